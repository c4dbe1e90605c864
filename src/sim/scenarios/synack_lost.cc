// synack-lost: the server's first SYN+ACK is lost (SPEC §4.7, §17).
//
// Expected (Linux): the client, still in SYN-SENT, retransmits its SYN when its 1 s initial
// RTO expires; the server answers the retransmitted SYN (or its own SYN+ACK timer, also 1 s)
// with a new SYN+ACK, and the client is ESTABLISHED one round trip after its retransmission:
// at 1 s + 2 x 10 ms. The server holds only a request record (NEW-SYN-RECV) until the final
// ACK, then the connection closes normally.
#include <fmt/format.h>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kSyn;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const uint32_t rule =
      rig.to_client().add(link::drop_next({.flags_all = kSyn | kAck}, "SYN+ACK lost"));
  ScriptApp server{rig.server(), {}};
  ScriptApp client{rig.client(), {.close_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const auto syns = c.sent_with(kSyn, kAck);
  const auto synacks = s.sent_with(kSyn | kAck);
  const Duration rtt = Duration::millis(20);
  const Duration rto0 = Duration::millis(ctx.sysctls.get(stack::SysctlId::kTcpRtoInitialMs));
  std::vector<Check> checks;
  checks.push_back(check("the first SYN+ACK is lost on the way to the client",
                         fmt::format("{} dropped", rig.to_client().fired(rule)),
                         rig.to_client().fired(rule) == 1 && !synacks.empty()));
  checks.push_back(check(
      fmt::format("the client retransmits its SYN once, at the initial RTO of {}", seconds(rto0)),
      fmt::format("{} SYNs, the second at {}", syns.size(),
                  syns.size() > 1 ? seconds(syns[1].at - syns[0].at) : "-"),
      syns.size() == 2 && syns[1].at - syns[0].at == rto0));
  checks.push_back(check("the server sends the SYN+ACK again (same ISN)",
                         fmt::format("{} SYN+ACKs", synacks.size()),
                         synacks.size() >= 2 && synacks[1].seq == synacks[0].seq));
  const auto est = c.entered(tcp::State::kEstablished);
  checks.push_back(check("the client is ESTABLISHED one round trip after its retransmission",
                         est ? seconds(*est) : "never",
                         est && syns.size() == 2 && *est == syns[1].at + rtt));
  const auto sest = s.entered(tcp::State::kEstablished);
  checks.push_back(check("the server is ESTABLISHED when the final ACK arrives",
                         sest ? seconds(*sest) : "never", sest && est && *sest == *est + rtt / 2));
  const bool closed = client.closed() && server.closed() && c.last_entered(tcp::State::kClosed) &&
                      s.last_entered(tcp::State::kClosed) && ended;
  checks.push_back(check("then the connection closes normally on both ends",
                         closed ? "both CLOSED" : "not closed", closed));
  std::string summary = fmt::format("SYN+ACK lost; client ESTABLISHED at {} after {} SYNs",
                                    est ? seconds(*est) : "never", syns.size());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& synack_lost() {
  static const Scenario kScenario{
      .name = "synack-lost",
      .summary = "the first SYN+ACK is lost: the SYN is resent at 1 s, connected one RTT later",
      .explanation =
          "The server answers the client's SYN, but its SYN+ACK is lost. The client cannot tell "
          "that from a lost SYN: it waits its initial retransmission timeout (1 s) and sends the "
          "SYN again. The server, which keeps only a small request record for the half-open "
          "connection, answers the repeated SYN with its SYN+ACK again (it would also have "
          "resent it on its own timer, net.ipv4.tcp_synack_retries times). One round trip "
          "later both ends are connected: a single lost packet in the handshake costs a whole "
          "second, which is why handshake loss shows up as 1 s steps in connection latency.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
