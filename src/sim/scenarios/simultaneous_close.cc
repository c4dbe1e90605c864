// simultaneous-close: both applications close at the same moment (SPEC §8.4, §17).
//
// Expected (RFC 9293 §3.6, Linux): both ends send FIN and enter FIN-WAIT-1; each receives a
// FIN that does not acknowledge its own, so each enters CLOSING and ACKs; each then receives
// the other's ACK and enters TIME-WAIT. Both ends keep TIME-WAIT for its full length.
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
  ScriptApp server{rig.server(), {.close_on_eof = false}};
  ScriptApp client{rig.client(), {.close_on_eof = false}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const Instant close_at = Instant::zero() + Duration::seconds(1);
  rig.sim().at(close_at, [&](Instant now) {
    client.close(now);
    server.close(now);
  });
  const bool ended = rig.run(Duration::seconds(3600));

  const Duration tw_len = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTimeWaitLen));
  std::vector<Check> checks;
  std::string summary;
  for (int side = 0; side < 2; ++side) {
    const HostLog& log = side == 0 ? rig.client_log() : rig.server_log();
    const char* who = side == 0 ? "client" : "server";
    const auto fins = log.sent_with(kFin);
    checks.push_back(check(fmt::format("the {} sends its FIN at {}", who, seconds(close_at)),
                           fins.empty() ? "no FIN" : seconds(fins[0].at),
                           fins.size() == 1 && fins[0].at == close_at));
    const auto fw1 = log.entered(tcp::State::kFinWait1);
    const auto closing = log.entered(tcp::State::kClosing);
    const auto tw = log.entered(tcp::State::kTimeWait);
    const auto end = log.last_entered(tcp::State::kClosed);
    const bool fw2 = log.went_through(tcp::State::kFinWait2);
    checks.push_back(
        check(fmt::format("the {} goes FIN-WAIT-1 -> CLOSING -> TIME-WAIT (never FIN-WAIT-2)", who),
              fmt::format("FIN-WAIT-1 {}, CLOSING {}, TIME-WAIT {}{}", fw1 ? seconds(*fw1) : "-",
                          closing ? seconds(*closing) : "-", tw ? seconds(*tw) : "-",
                          fw2 ? ", FIN-WAIT-2 seen" : ""),
              fw1 && closing && tw && *fw1 <= *closing && *closing <= *tw && !fw2));
    checks.push_back(check(fmt::format("the {} keeps TIME-WAIT for {}", who, seconds(tw_len)),
                           tw && end ? seconds(*end - *tw) : "-",
                           tw && end && *end - *tw == tw_len && ended));
    summary += fmt::format("{}{} CLOSING at {}", side == 0 ? "both ends through CLOSING: " : ", ",
                           who, closing ? seconds(*closing) : "never");
  }
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& simultaneous_close() {
  static const Scenario kScenario{
      .name = "simultaneous-close",
      .summary = "both ends close at the same time: both pass through CLOSING and TIME-WAIT",
      .explanation =
          "Both applications close at the same instant, so both FINs cross on the wire. Each "
          "end is in FIN-WAIT-1 when it receives a FIN that does not acknowledge its own, which "
          "is the one path into the rarely seen CLOSING state: the end has the peer's FIN but "
          "its own is still unacknowledged. Each ACKs the other's FIN, and when those ACKs "
          "arrive both ends enter TIME-WAIT. With no single side closing first, both keep "
          "TIME-WAIT; an `ss` listing showing CLOSING is usually a brief moment like this, or "
          "a peer that never acknowledges our FIN.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
