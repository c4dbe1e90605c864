// peer-crash-mid-transfer: the client vanishes during a download; the server retransmits
// until net.ipv4.tcp_retries2 ends the connection (SPEC §7.3, §7.8, §17).
//
// Expected (Linux tcp_retransmit_timer(), tcp_write_timeout(), retransmits_timed_out(),
// tcp_model_timeout()): with no ACK coming back, the retransmission timer set by the last ACK
// (its arrival + the RTO in force) fires and resends the oldest unacknowledged segment; each
// retransmission doubles the RTO, capped at net.ipv4.tcp_rto_max_ms. tcp_retries2 is not a
// count but a time budget measured from the first retransmission: the time tcp_retries2
// doublings from TCP_RTO_MIN (200 ms) would take with TCP_RTO_MAX as cap,
//   budget = (2^(t+1) - 1) x 200 ms + (tcp_retries2 - t) x 120 s,  t = log2(120 s / 200 ms) = 9,
// 924.6 s for the default 15. The first firing at or after that point gives up: the
// application's next call fails with ETIMEDOUT, no RST is sent, TCPAbortOnTimeout counts it.
// The real RTO (here about 220 ms, from the 20 ms round trip) decides when the retransmissions
// happen, so the give-up time is the first retransmission time beyond the budget, not the
// budget itself. The RTO in force when the peer vanished comes from the connection's own RTT
// samples; the scenario reads it from the socket and derives everything else from the rules.
//
// SACK is off by default here: with SACK Linux first sends a tail loss probe (RACK-TLP,
// tcp_schedule_loss_probe() needs SACK) one probe timeout before the RTO, which synack does
// not model yet (SPEC §7.4 lists RACK as a later goal); without SACK Linux sends none, so
// the schedule below is Linux's exactly.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;

// Linux's compile-time bounds used by tcp_model_timeout() (include/net/tcp.h).
constexpr Duration kLinuxRtoMin = Duration::millis(200);
constexpr Duration kLinuxRtoMax = Duration::seconds(120);

Duration linux_budget(int64_t retries2) {
  int64_t thresh = 0;  // ilog2(TCP_RTO_MAX / TCP_RTO_MIN)
  while ((int64_t{2} << thresh) <= kLinuxRtoMax / kLinuxRtoMin)
    ++thresh;
  if (retries2 <= thresh) return kLinuxRtoMin * ((int64_t{2} << retries2) - 1);
  return kLinuxRtoMin * ((int64_t{2} << thresh) - 1) + kLinuxRtoMax * (retries2 - thresh);
}

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const Instant crash = Instant::zero() + Duration::millis(200);
  rig.to_server().add(link::drop_during(crash, Instant::infinite(), {}, "client gone"));
  rig.to_client().add(link::drop_during(crash, Instant::infinite(), {}, "client gone"));
  const std::string request = "GET /big HTTP/1.0\r\n\r\n";
  const std::string response(8 << 20, 'x');
  ScriptApp server{rig.server(), {.send = response, .wait_for = request.size()}};
  ScriptApp client{rig.client(), {.send = request, .close_on_eof = false}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  // The RTO the server's connection had before its first retransmission.
  Duration rto;
  rig.set_server_app([&](Instant now) {
    server.step(now);
    bool retransmitted = false;
    for (const TimerSeen& t : rig.server_log().timers)
      retransmitted = retransmitted || t.kind == stack::TimerKind::kRetransmit;
    if (retransmitted || server.socket() == kNoSocket || server.error() != 0) return;
    if (auto info = rig.server().info(server.socket())) rto = info.value().rto;
  });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  const HostLog& s = rig.server_log();
  Instant last_ack = Instant::zero();
  for (const SegmentSeen& seg : s.received)
    last_ack = seg.at;
  // Retransmissions: segments sent after the last ACK arrived (everything sent then is a
  // retransmission of the head, as the window of new data was used up long before).
  std::vector<SegmentSeen> rexmits;
  for (const SegmentSeen& seg : s.sent)
    if (seg.at > last_ack) rexmits.push_back(seg);

  // The Linux schedule from the RTO in force.
  const Duration rto_max = Duration::millis(ctx.sysctls.get(stack::SysctlId::kTcpRtoMaxMs));
  const int64_t retries2 = ctx.sysctls.get(stack::SysctlId::kTcpRetries2);
  const Duration budget = linux_budget(retries2);
  std::vector<Duration> want;  // retransmission times after the first
  Instant give_up = last_ack + rto;
  {
    Instant at = last_ack + rto;
    const Instant first = at;
    Duration next = rto;
    for (int guard = 0; guard < 200; ++guard) {
      if (at != first && at - first >= budget) break;
      want.push_back(at - first);
      next = std::min(next * 2, rto_max);
      at = at + next;
    }
    give_up = at;
  }
  std::vector<Duration> got;
  for (const SegmentSeen& r : rexmits)
    got.push_back(r.at - rexmits.front().at);
  auto list = [](const std::vector<Duration>& v) {
    std::string out;
    for (Duration d : v)
      out += fmt::format("{}{}", out.empty() ? "" : ", ", secs(d));
    return out;
  };

  std::vector<Check> checks;
  checks.push_back(
      check(fmt::format("the client vanishes at {} in the middle of the download", seconds(crash)),
            fmt::format("last ACK at {}, {} of {} bytes delivered", seconds(last_ack),
                        client.received(), response.size()),
            last_ack < crash + Duration::millis(10) && client.received() > 0 &&
                client.received() < response.size()));
  checks.push_back(check(
      fmt::format("the first retransmission one RTO ({}, at least tcp_rto_min) after the last ACK",
                  seconds(rto)),
      rexmits.empty() ? "none" : seconds(rexmits.front().at - last_ack),
      !rexmits.empty() && rexmits.front().at - last_ack == rto &&
          rto >= Duration::micros(ctx.sysctls.get(stack::SysctlId::kTcpRtoMinUs))));
  bool same_head = !rexmits.empty();
  for (const SegmentSeen& r : rexmits)
    same_head = same_head && r.seq == rexmits.front().seq && r.len > 0 && !r.has(kRst);
  checks.push_back(check(
      fmt::format("then the RTO doubles up to {}: {} retransmissions of the oldest segment at "
                  "+{} s",
                  seconds(rto_max), want.size(), list(want)),
      fmt::format("{} at +{} s", got.size(), list(got)), got == want && same_head));
  checks.push_back(check(
      fmt::format("tcp_retries2 = {} (a {} budget from the first retransmission): ETIMEDOUT at "
                  "{}",
                  retries2, seconds(budget), seconds(give_up)),
      fmt::format("{} at {}", errno_name(server.error()),
                  server.error() ? seconds(server.error_at()) : "-"),
      server.error() == ETIMEDOUT && server.error_at() == give_up));
  const uint64_t aborts = rig.server().counters()[Counter::kTcpExtTCPAbortOnTimeout];
  const bool gone = !rig.server().state_of(rig.server_endpoint(), rig.client_endpoint());
  checks.push_back(check(
      "the connection is destroyed silently: no RST, no FIN, "
      "TCPAbortOnTimeout 1",
      fmt::format("{}, {} RST, {} FIN, TCPAbortOnTimeout {}", gone ? "gone" : "still there",
                  s.sent_with(kRst).size(), s.sent_with(kFin).size(), aborts),
      gone && s.sent_with(kRst).empty() && s.sent_with(kFin).empty() && aborts == 1 && ended));
  std::string summary = fmt::format(
      "peer gone at {}: {} retransmissions, {} at {} ({} after the first retransmission)",
      seconds(crash), rexmits.size(), errno_name(server.error()),
      server.error() ? seconds(server.error_at()) : "-",
      rexmits.empty() || !server.error() ? "-" : seconds(server.error_at() - rexmits.front().at));
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kDefaults = {{
    {"net.ipv4.tcp_sack", "0"},
}};

}  // namespace

const Scenario& peer_crash_mid_transfer() {
  static const Scenario kScenario{
      .name = "peer-crash-mid-transfer",
      .summary = "the client vanishes mid-download: RTO backoff, ETIMEDOUT after ~15 minutes",
      .explanation =
          "The server is sending a large download when the client disappears (power loss, kernel "
          "panic, a cable pulled): no ACK and no reset will ever come back. The server cannot "
          "tell this from a congested path, so it resends the oldest unacknowledged segment "
          "whenever its retransmission timer runs out, doubling the wait each time up to two "
          "minutes. net.ipv4.tcp_retries2 (15) sets how long this goes on, as the time 15 "
          "doublings from 200 ms would take (924.6 s) rather than a count; the next timeout after"
          " that ends the connection and the application's next call fails with ETIMEDOUT, about "
          "a quarter of an hour after the peer died. Lowering tcp_retries2 (or TCP_USER_TIMEOUT "
          "per socket) is how to notice sooner.",
      .default_sysctls = kDefaults,
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
