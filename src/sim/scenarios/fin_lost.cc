// fin-lost: the client's FIN is lost (SPEC §8.2, §17).
//
// Expected (Linux): the client stays in FIN-WAIT-1 and its retransmission timer resends the
// FIN (same sequence number); the server enters CLOSE-WAIT only when the retransmitted FIN
// arrives, one link delay later; then the close completes and the client keeps TIME-WAIT for
// its full length.
#include <fmt/format.h>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kFin;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const uint32_t rule = rig.to_server().add(link::drop_next({.flags_all = kFin}, "FIN lost"));
  ScriptApp server{rig.server(), {}};
  ScriptApp client{rig.client(), {.send = "hello\n", .close_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const auto fins = c.sent_with(kFin);
  std::vector<Check> checks;
  checks.push_back(check("the client's first FIN is lost",
                         fmt::format("{} dropped", rig.to_server().fired(rule)),
                         rig.to_server().fired(rule) == 1));
  checks.push_back(fin_resent_by_timer(
      "the client's retransmission timer resends the FIN (same seq) from FIN-WAIT-1", c, fins,
      tcp::State::kFinWait1));
  const auto cw = s.entered(tcp::State::kCloseWait);
  checks.push_back(check("the server enters CLOSE-WAIT when the resent FIN arrives",
                         cw ? seconds(*cw) : "never",
                         cw && fins.size() >= 2 && *cw == fins[1].at + Duration::millis(10)));
  const auto tw = c.entered(tcp::State::kTimeWait);
  const auto end = c.last_entered(tcp::State::kClosed);
  const Duration tw_len = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTimeWaitLen));
  checks.push_back(check(fmt::format("the client then keeps TIME-WAIT for {}", seconds(tw_len)),
                         tw && end ? seconds(*end - *tw) : "no TIME-WAIT",
                         tw && end && *end - *tw == tw_len));
  const bool closed = server.closed() && s.last_entered(tcp::State::kClosed) && ended;
  checks.push_back(
      check("the server closes (LAST-ACK -> CLOSED)", closed ? "CLOSED" : "not closed", closed));
  std::string summary = fmt::format("FIN lost; resent after {}; server in CLOSE-WAIT at {}",
                                    fins.size() >= 2 ? seconds(fins[1].at - fins[0].at) : "-",
                                    cw ? seconds(*cw) : "never");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& fin_lost() {
  static const Scenario kScenario{
      .name = "fin-lost",
      .summary = "the client's FIN is lost: FIN-WAIT-1 retransmits it, then the close completes",
      .explanation =
          "The client sends a short message and closes, but its FIN is lost. A FIN takes one "
          "sequence number, so TCP protects it like data: it stays unacknowledged, the client "
          "stays in FIN-WAIT-1, and the retransmission timer sends it again. Only when the "
          "repeated FIN arrives does the server learn that the client is done and enter "
          "CLOSE-WAIT; the rest of the close proceeds as usual. An application that closed has "
          "already moved on, so this work happens in the background on an orphaned socket; "
          "net.ipv4.tcp_orphan_retries limits how long it goes on if the peer never answers.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
