// zero-window-fin-wait1: a peer that advertises window 0 forever pins the server's closed
// socket in FIN-WAIT-1 until tcp_orphan_retries ends it (SPEC §7.2, §8.7, §17).
//
// Expected (Linux 6.x, net/ipv4/tcp_timer.c tcp_probe_timer and tcp_orphan_retries,
// tcp_input.c tcp_ack_probe, tcp_output.c tcp_send_probe0):
// - the server queues a response larger than the client's receive buffer and close()s; the FIN
//   sits behind data that never fits, so it is never sent and the orphan stays in FIN-WAIT-1;
// - the probe timer starts from the ACK that left nothing in flight with a zero window, after
//   base = max(RTO, tcp_rto_min); each probe's window-0 answer restarts it after
//   min(base << backoff, tcp_rto_max), backoff growing by one per probe (capped at
//   tcp_retries2);
// - each firing of an orphan: "alive" while base << backoff < tcp_rto_max; the retry limit is
//   tcp_orphan_retries, where 0 means 8 while alive and 0 once not; the orphan is killed at the
//   first firing that is not alive with backoff >= that limit (answered probes reset the
//   probe count, so only the backoff can end it). The kill sends no RST (tcp_write_err) and
//   counts TCPAbortOnTimeout.
// The base is taken from the run (the first probe's delay after the ACK that started the
// timer): the RTO is a measured quantity, not a setting. Everything after it — every probe
// time, the kill time, the number of probes — is computed here from the sysctls in force and
// the link's round trip, and compared with what the server sent.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;

constexpr size_t kResponse = 64 * 1024;
constexpr int kClientRcvBuf = 4096;
// Longer than any schedule the settings allow, short of "never" (an orphan_retries above
// tcp_retries2 with an answering peer is never killed, as in Linux).
constexpr Duration kHorizon = Duration::seconds(6 * 3600);

// The server's application: accept, queue the whole response (a send buffer big enough for
// it), close at once.
struct Sender {
  Stack& stack;
  SocketId listener = kNoSocket;
  SocketId sock = kNoSocket;
  std::string data = std::string(kResponse, 'x');
  size_t queued = 0;
  std::optional<Instant> closed_at;

  void step(Instant now) {
    if (closed_at) return;
    if (sock == kNoSocket) {
      auto a = stack.accept(listener, now);
      if (!a) return;
      sock = a.value();
      (void)stack.set_option(sock, SockOpt::kSndBuf, int64_t{4} * kResponse);
    }
    while (queued < data.size()) {
      const auto* p = reinterpret_cast<const uint8_t*>(data.data()) + queued;
      auto n = stack.send(sock, std::span<const uint8_t>(p, data.size() - queued), now);
      if (!n || n.value() == 0) break;
      queued += n.value();
    }
    if (queued == data.size() && stack.close(sock, now) == 0) closed_at = now;
  }
};

// Linux tcp_orphan_retries().
uint32_t orphan_limit(uint32_t sysctl, bool alive) {
  if (sysctl == 0 && alive) return 8;
  return sysctl;
}

struct Schedule {
  std::vector<Instant> probes;
  std::vector<Instant> answers;  // when the client's window-0 answers reach the server
  std::optional<Instant> death;
};

// The probe times, the answers and the kill time, from the first firing's base, the link's
// one-way delay and the settings. Two sets of rules meet here:
// - the server (tcp_probe_timer, tcp_send_probe0, tcp_ack_probe): a firing either kills the
//   orphan or sends a probe (probes_out + 1, backoff + 1 up to tcp_retries2) and re-arms
//   min(base << backoff, tcp_rto_max) from the firing; an answer resets probes_out and
//   re-arms the same interval from its arrival;
// - the client: a probe (sequence number one below what it has acknowledged) is outside its
//   window, and Linux answers such segments with a duplicate ACK at most once per
//   net.ipv4.tcp_invalid_ratelimit (tcp_oow_rate_limited), so probes closer than that to the
//   previous answer go unanswered.
Schedule predict(Instant trigger, Duration base, Duration one_way, const stack::Sysctls& sys) {
  const Duration rto_max = Duration::millis(sys.get(SysctlId::kTcpRtoMaxMs));
  const Duration ratelimit = Duration::millis(sys.get(SysctlId::kTcpInvalidRatelimit));
  const auto retries2 = static_cast<uint32_t>(sys.get(SysctlId::kTcpRetries2));
  const auto orphan_retries = static_cast<uint32_t>(sys.get(SysctlId::kTcpOrphanRetries));
  auto interval = [&](uint32_t backoff) {
    return backoff >= 32 ? rto_max : std::min(base * (int64_t{1} << backoff), rto_max);
  };
  Schedule out;
  uint32_t backoff = 0;
  uint32_t probes_out = 0;
  std::optional<Instant> last_answer_sent;  // at the client
  Instant fire = trigger + interval(0);
  // The rig runs to kHorizon from time zero; the model stops at the same instant.
  while (fire < Instant::zero() + kHorizon) {
    const bool alive = interval(backoff) < rto_max;
    const uint32_t max_probes = orphan_limit(orphan_retries, alive);
    if ((!alive && backoff >= max_probes) || probes_out >= max_probes) {
      out.death = fire;
      return out;
    }
    out.probes.push_back(fire);
    ++probes_out;
    if (backoff < retries2) ++backoff;
    const Instant at_client = fire + one_way;
    if (!last_answer_sent || at_client - *last_answer_sent >= ratelimit) {
      last_answer_sent = at_client;
      out.answers.push_back(at_client + one_way);
      probes_out = 0;
      fire = at_client + one_way + interval(backoff);
    } else {
      fire = fire + interval(backoff);
    }
  }
  return out;
}

std::string times(const std::vector<Instant>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 4 && v.size() > 8) {
      out += ", ...";
      i = v.size() - 3;
    }
    out += (out.empty() ? "" : ", ") + secs(v[i].since_epoch());
  }
  return out.empty() ? "none" : out;
}

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  Sender server{.stack = rig.server(),
                .listener = rig.listen(),
                .sock = kNoSocket,
                .data = std::string(kResponse, 'x'),
                .queued = 0,
                .closed_at = std::nullopt};
  rig.set_server_app([&](Instant now) { server.step(now); });
  // The client never reads: its small receive buffer fills and its window stays 0.
  const SocketId cs = rig.connect(
      0, [&rig](SocketId s) { (void)rig.client().set_option(s, SockOpt::kRcvBuf, kClientRcvBuf); });
  if (server.listener == kNoSocket || cs == kNoSocket) return setup_error("cannot open sockets");
  const bool ended = rig.run(kHorizon);

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const stack::Sysctls& sys = ctx.sysctls;
  std::vector<Check> checks;

  const auto fw1 = s.entered(tcp::State::kFinWait1);
  checks.push_back(
      check(fmt::format("the server close()s with {} bytes queued and enters FIN-WAIT-1; its FIN, "
                        "behind data that never fits, is never sent",
                        kResponse),
            fmt::format("close at {}, FIN-WAIT-1 at {}, {} FIN sent",
                        server.closed_at ? seconds(*server.closed_at) : "-",
                        fw1 ? seconds(*fw1) : "-", s.sent_with(kFin).size()),
            server.closed_at && fw1 && *fw1 == *server.closed_at && s.sent_with(kFin).empty()));

  // Probes: the server's bare ACKs (it receives no data, so it has nothing else to ACK).
  std::vector<Instant> probes;
  for (const SegmentSeen& seg : s.sent)
    if (seg.is(kAck) && seg.len == 0) probes.push_back(seg.at);
  // What started the probe timer: the last segment the server received before the first
  // probe (the client's ACK that took the last data in flight with window 0).
  std::optional<SegmentSeen> trigger;
  if (!probes.empty())
    for (const SegmentSeen& seg : s.received)
      if (seg.at < probes.front()) trigger = seg;
  const bool zero_after = trigger && std::all_of(c.sent.begin(), c.sent.end(), [&](const auto& x) {
                            return x.at < trigger->at || x.window == 0;
                          });
  checks.push_back(
      check("the client advertises window 0 in every segment from the one that started the probe "
            "timer on, and its connection stays ESTABLISHED",
            trigger ? fmt::format("trigger ACK at {}, window 0 after it: {}", seconds(trigger->at),
                                  zero_after ? "yes" : "no")
                    : "no probe",
            zero_after && rig.client().state_of(rig.client_endpoint(), rig.server_endpoint()) ==
                              tcp::State::kEstablished));

  Schedule want;
  Duration base;
  if (trigger) {
    base = probes.front() - trigger->at;
    want = predict(trigger->at, base, Rig::latency(), sys);
  }
  const Duration rto_min = Duration::micros(sys.get(SysctlId::kTcpRtoMinUs));
  checks.push_back(check(
      fmt::format("the first probe comes max(RTO, tcp_rto_min = {}) after that ACK, below "
                  "the 1 s initial RTO",
                  seconds(rto_min)),
      trigger ? seconds(base) : "-", trigger && base >= rto_min && base < Duration::seconds(1)));
  const auto gone = s.last_entered(tcp::State::kClosed);
  checks.push_back(check(
      fmt::format("probes at {} s (base << backoff, capped at tcp_rto_max_ms = {}, from each "
                  "answer; the client answers at most once per tcp_invalid_ratelimit = {} ms)",
                  times(want.probes), sys.get(SysctlId::kTcpRtoMaxMs),
                  sys.get(SysctlId::kTcpInvalidRatelimit)),
      fmt::format("{} s ({} probes)", times(probes), probes.size()),
      trigger && probes == want.probes));
  std::vector<Instant> answers;
  if (trigger)
    for (const SegmentSeen& seg : s.received)
      if (seg.at > trigger->at) answers.push_back(seg.at);
  checks.push_back(
      check(fmt::format("window-0 answers reach the server at {} s", times(want.answers)),
            times(answers) + " s", trigger && answers == want.answers));
  checks.push_back(check(
      want.death ? fmt::format("the orphan is killed at {} (tcp_orphan_retries = {}), from "
                               "FIN-WAIT-1, with no RST",
                               seconds(*want.death), sys.get(SysctlId::kTcpOrphanRetries))
                 : fmt::format("the orphan is never killed (tcp_orphan_retries = {} above what "
                               "the backoff reaches)",
                               sys.get(SysctlId::kTcpOrphanRetries)),
      fmt::format("{}, {} RST", gone ? "CLOSED at " + seconds(*gone) : "still there",
                  s.sent_with(kRst).size()),
      trigger && s.sent_with(kRst).empty() &&
          (want.death ? gone && *gone == *want.death && s.states.size() >= 2 &&
                            s.states[s.states.size() - 2].to == tcp::State::kFinWait1
                      : !gone)));
  const auto& n = rig.server().counters();
  checks.push_back(
      check(fmt::format("counters: TCPWinProbe = {}, TCPAbortOnTimeout = {}", want.probes.size(),
                        want.death ? 1 : 0),
            fmt::format("TCPWinProbe = {}, TCPAbortOnTimeout = {}", n[Counter::kTcpExtTCPWinProbe],
                        n[Counter::kTcpExtTCPAbortOnTimeout]),
            n[Counter::kTcpExtTCPWinProbe] == want.probes.size() &&
                n[Counter::kTcpExtTCPAbortOnTimeout] == (want.death ? 1u : 0u) &&
                ended == want.death.has_value()));

  std::string summary =
      gone ? fmt::format("orphan killed in FIN-WAIT-1 at {} after {} zero-window probes",
                         seconds(*gone), probes.size())
           : fmt::format("orphan still in FIN-WAIT-1 after {} probes", probes.size());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& zero_window_fin_wait1() {
  static const Scenario kScenario{
      .name = "zero-window-fin-wait1",
      .summary =
          "a peer stuck at window 0 pins the closed server socket in FIN-WAIT-1 until "
          "tcp_orphan_retries",
      .explanation =
          "The server writes a 64 KB response and closes its socket at once, as many servers "
          "do. The client never reads, so its small receive buffer fills and it advertises a "
          "window of 0 for good. The response cannot be delivered and the FIN waits behind it, "
          "so the closed socket, now an orphan, stays in FIN-WAIT-1 and keeps asking with "
          "zero-window probes, further and further apart. The client keeps answering them "
          "(Linux answers such out-of-window segments at most once per 500 ms), and RFC 1122 "
          "says a sender should keep probing a peer that answers; left alone such peers could "
          "hold memory on a server forever. Linux therefore lets an orphan probe "
          "only until its backed-off interval reaches the maximum RTO and then kills it "
          "(tcp_orphan_retries, 0 meaning 8), silently: no RST, just TCPAbortOnTimeout.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
