// accept-queue-overflow: an application that does not accept() while more handshakes complete
// than its backlog allows (SPEC §5.1, §5.3-§5.5, §17).
//
// Expected (Linux 6.x, net/ipv4/tcp_minisocks.c tcp_check_req, inet_connection_sock.c
// inet_csk_complete_hashdance / reqsk_timer_handler, tcp_input.c tcp_conn_request):
// - the accept queue is full when it holds more than the backlog, so it takes backlog + 1;
// - a SYN that meets a full accept queue is dropped, so the overflow this story shows needs
//   handshakes that began while there was room: `kBacklog` clients connect at 0 and fill the
//   queue to the backlog; `kBacklog + 1` more connect 25 ms later, their SYNs all get request
//   records, the first third ACK takes the last place and the others meet a full queue;
// - tcp_abort_on_overflow = 0: each such ACK (and every later segment of that client while the
//   queue stays full) is dropped and counted in ListenOverflows and ListenDrops; the request
//   stays in SYN-RECV and its SYN+ACK is retransmitted (initial RTO, doubling); the client,
//   ESTABLISHED since the SYN+ACK, retransmits its request; once the application accepts, the
//   next segment from each such client completes its handshake and it is served;
// - tcp_abort_on_overflow = 1: the ACK is answered with RST and the request forgotten; the
//   client's connect() had succeeded, so its next call fails with ECONNRESET.
// Every count and time below comes from the run's segments and the setting in force.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

constexpr int kBacklog = 2;
constexpr Instant kSecondWave = Instant::zero() + Duration::millis(25);
constexpr Instant kAcceptFrom = Instant::zero() + Duration::millis(2500);
const std::string kRequest = "GET / HTTP/1.0\r\n\r\n";
const std::string kResponse = "HTTP/1.0 200 OK\r\n\r\nhello";

struct Client {
  ScriptApp app;
  uint16_t port = 0;
  bool second_wave = false;
};

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const bool abort_on_overflow = ctx.sysctls.get(SysctlId::kTcpAbortOnOverflow) != 0;
  const SocketId listener = rig.listen(kBacklog);
  if (listener == kNoSocket) return setup_error("cannot listen");

  // The server: accepts nothing before kAcceptFrom, then everything, answering each request.
  std::deque<ScriptApp> served;
  bool accepting = false;
  auto serve = [&](Instant now) {
    if (accepting)
      while (auto a = rig.server().accept(listener, now)) {
        served.emplace_back(rig.server(),
                            AppScript{.send = kResponse, .wait_for = kRequest.size()});
        served.back().set_socket(a.value());
      }
    for (ScriptApp& a : served)
      a.step(now);
  };
  rig.set_server_app(serve);
  rig.sim().at(kAcceptFrom, [&](Instant now) {
    accepting = true;
    serve(now);
    rig.poke();
  });

  std::deque<Client> clients;
  auto open_client = [&](bool second) {
    clients.push_back(Client{
        ScriptApp{
            rig.client(),
            {.send = kRequest, .close_after_send = true, .close_after_bytes = kResponse.size()}},
        0, second});
    const SocketId s = rig.connect();
    clients.back().app.set_socket(s);
    if (auto info = rig.client().info(s)) clients.back().port = info.value().local.port;
  };
  rig.set_client_app([&](Instant now) {
    for (Client& c : clients)
      c.app.step(now);
  });
  for (int i = 0; i < kBacklog; ++i)
    open_client(false);
  rig.sim().at(kSecondWave, [&](Instant) {
    for (int i = 0; i < kBacklog + 1; ++i)
      open_client(true);
  });
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& s = rig.server_log();
  const HostLog& cl = rig.client_log();
  const Duration d = Rig::latency();
  const Duration initial_rto = Duration::millis(ctx.sysctls.get(SysctlId::kTcpRtoInitialMs));
  std::vector<Check> checks;

  // Per client, from the server's view: when its third ACK came, when the server's end
  // became ESTABLISHED, which segments it sent.
  struct View {
    std::optional<Instant> syn_in;  // when the client's SYN reached the server
    std::optional<Instant> third_ack_in;
    std::optional<Instant> established;
    std::optional<Instant> client_established;
    std::vector<Instant> synacks;
    std::vector<Instant> rsts;
    size_t acks_dropped = 0;  // ACK-bearing segments received before accepting started
    std::optional<Instant> first_after_accept;
    size_t data_sent = 0;  // the client's data segments (its request, retransmissions too)
  };
  std::map<uint16_t, View> view;
  for (const SegmentSeen& seg : s.received) {
    View& v = view[seg.remote_port];
    if (!seg.has(kSyn) && seg.has(kAck) && !seg.has(kRst)) {
      if (!v.third_ack_in) v.third_ack_in = seg.at;
      if (seg.at < kAcceptFrom) ++v.acks_dropped;
      if (seg.at > kAcceptFrom && !v.first_after_accept) v.first_after_accept = seg.at;
    }
  }
  for (const SegmentSeen& seg : s.sent) {
    View& v = view[seg.remote_port];
    if (seg.has(kSyn) && seg.has(kAck)) v.synacks.push_back(seg.at);
    // The first SYN+ACK leaves the instant the SYN arrives (a SYN reaching the listener is
    // traced under the listener's tuple, so its own record does not name the client).
    if (seg.has(kSyn) && seg.has(kAck) && !v.syn_in) v.syn_in = seg.at;
    if (seg.has(kRst)) v.rsts.push_back(seg.at);
  }
  for (const StateSeen& st : s.states)
    if (st.to == tcp::State::kEstablished && !view[st.tuple.remote_port].established)
      view[st.tuple.remote_port].established = st.at;
  for (const StateSeen& st : cl.states)
    if (st.to == tcp::State::kEstablished && !view[st.tuple.local_port].client_established)
      view[st.tuple.local_port].client_established = st.at;
  for (const SegmentSeen& seg : cl.sent)
    if (seg.len > 0) ++view[seg.local_port].data_sent;

  // Who overflowed: clients whose third ACK did not complete the handshake on arrival.
  std::vector<const Client*> over;
  std::vector<const Client*> fit;
  for (const Client& c : clients) {
    const View& v = view[c.port];
    const bool completed = v.third_ack_in && v.established && *v.established == *v.third_ack_in;
    (completed ? fit : over).push_back(&c);
  }
  const size_t want_over = static_cast<size_t>(kBacklog);  // backlog + 1 fit, 2 × backlog + 1 came
  const bool all_second =
      std::all_of(over.begin(), over.end(), [](auto* c) { return c->second_wave; });
  checks.push_back(check(
      fmt::format("backlog {}: the accept queue takes {}; of {} completed handshakes, {} third "
                  "ACKs meet a full queue, all from the second wave",
                  kBacklog, kBacklog + 1, clients.size(), want_over),
      fmt::format("{} fit, {} overflowed{}", fit.size(), over.size(),
                  all_second ? "" : " (not all second-wave)"),
      over.size() == want_over && all_second && clients.size() == 2 * want_over + 1));

  const auto& n = rig.server().counters();
  uint64_t want_overflows = 0;
  if (abort_on_overflow) {
    want_overflows = over.size();
    // Each overflowed client: RST at its third ACK, ECONNRESET when that RST arrives, and no
    // SYN+ACK retransmission.
    size_t ok = 0;
    std::string seen;
    for (const Client* c : over) {
      const View& v = view[c->port];
      const bool good = v.third_ack_in && !v.rsts.empty() && v.rsts.front() == *v.third_ack_in &&
                        v.synacks.size() == 1 && c->app.error() == ECONNRESET &&
                        c->app.error_at() == v.rsts.front() + d;
      ok += good ? 1 : 0;
      seen += fmt::format("{}port {}: RST {}, {} at {}", seen.empty() ? "" : "; ", c->port,
                          v.rsts.empty() ? "-" : seconds(v.rsts.front()),
                          errno_name(c->app.error()), seconds(c->app.error_at()));
    }
    checks.push_back(check(
        "tcp_abort_on_overflow = 1: each overflowed third ACK is answered with RST at once, no "
        "SYN+ACK is resent, the client reads ECONNRESET one one-way delay later",
        seen.empty() ? "none" : seen, ok == over.size() && !over.empty()));
  } else {
    // Each overflowed client: the server keeps SYN-RECV and resends its SYN+ACK at the
    // initial RTO and doubling; the client was ESTABLISHED since the first SYN+ACK and resends
    // its request; after accepting starts, its next segment gets it in.
    size_t ok = 0;
    std::string seen;
    for (const Client* c : over) {
      const View& v = view[c->port];
      want_overflows += v.acks_dropped;
      std::vector<Instant> want_synacks;
      if (v.syn_in) {
        Duration rto = initial_rto;
        for (Instant t = *v.syn_in; t < kAcceptFrom; t = t + rto, rto = rto * 2)
          want_synacks.push_back(t);
      }
      std::vector<Instant> synacks_before;
      for (Instant t : v.synacks)
        if (t < kAcceptFrom) synacks_before.push_back(t);
      const bool good =
          v.client_established && v.syn_in && *v.client_established == *v.syn_in + d &&
          synacks_before == want_synacks && want_synacks.size() >= 2 && v.data_sent >= 2 &&
          v.rsts.empty() && v.first_after_accept && v.established &&
          *v.established == *v.first_after_accept && c->app.received() == kResponse.size();
      ok += good ? 1 : 0;
      std::string sa;
      for (Instant t : synacks_before)
        sa += (sa.empty() ? "" : ", ") + secs(t.since_epoch());
      seen += fmt::format(
          "{}port {}: client ESTABLISHED {}, SYN+ACK at {} s, request sent {} "
          "times, server ESTABLISHED {}, response {} bytes",
          seen.empty() ? "" : "; ", c->port,
          v.client_established ? seconds(*v.client_established) : "-", sa, v.data_sent,
          v.established ? seconds(*v.established) : "-", c->app.received());
    }
    checks.push_back(check(
        fmt::format("tcp_abort_on_overflow = 0: each overflowed client is ESTABLISHED one RTT "
                    "after connect() and resends its request; the server keeps SYN-RECV, "
                    "resends the SYN+ACK {} after the SYN and doubling; the first segment after "
                    "accepting starts at {} completes the handshake and the client is served",
                    seconds(initial_rto), seconds(kAcceptFrom)),
        seen.empty() ? "none" : seen, ok == over.size() && !over.empty()));
  }
  checks.push_back(
      check(fmt::format("ListenOverflows = ListenDrops = {} (every {} refused by the full queue)",
                        want_overflows, abort_on_overflow ? "third ACK" : "ACK-bearing segment"),
            fmt::format("ListenOverflows = {}, ListenDrops = {}",
                        n[Counter::kTcpExtListenOverflows], n[Counter::kTcpExtListenDrops]),
            n[Counter::kTcpExtListenOverflows] == want_overflows &&
                n[Counter::kTcpExtListenDrops] == want_overflows && want_overflows > 0));
  size_t served_ok = 0;
  for (const Client* c : fit)
    served_ok += c->app.received() == kResponse.size() ? 1 : 0;
  checks.push_back(check("the clients that fitted are all served once the application accepts",
                         fmt::format("{} of {}", served_ok, fit.size()),
                         served_ok == fit.size() && ended));

  std::string summary = fmt::format(
      "backlog {}, tcp_abort_on_overflow = {}: {} of {} clients overflowed, ListenOverflows = {}, "
      "{}",
      kBacklog, abort_on_overflow ? 1 : 0, over.size(), clients.size(),
      n[Counter::kTcpExtListenOverflows],
      abort_on_overflow ? "they got ECONNRESET" : "all served after accept() started");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& accept_queue_overflow() {
  static const Scenario kScenario{
      .name = "accept-queue-overflow",
      .summary =
          "an app that does not accept(): third ACKs dropped (or RST with "
          "tcp_abort_on_overflow=1)",
      .explanation =
          "The server listens with a backlog of 2 but its application is busy and calls "
          "accept() only after 2.5 s. Completed handshakes wait in the accept queue, which takes "
          "backlog + 1 = 3; two clients connect first, three more a moment later, so two third "
          "ACKs find the queue full. By default Linux drops such an ACK and keeps the half-open "
          "request: the client already believes it is connected and sends its request, which "
          "is dropped and retransmitted, while the server resends its SYN+ACK; nothing is lost "
          "for good, and once accept() makes room the next segment gets the client in. With "
          "net.ipv4.tcp_abort_on_overflow = 1 the server answers the ACK with RST and the "
          "client's established connection fails with ECONNRESET. Growing counters of "
          "ListenOverflows mean the application accepts too slowly or its backlog is too small.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
