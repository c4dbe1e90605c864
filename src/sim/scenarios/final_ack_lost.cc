// final-ack-lost: the ACK of the server's FIN is lost (SPEC §9.3 (a), §9.4, §17).
//
// Expected (Linux): the server, in LAST-ACK, retransmits its FIN on its retransmission timer;
// the client, in TIME-WAIT, answers the repeated FIN with the same ACK and restarts its
// TIME-WAIT timer, so it stays TIME-WAIT for the full length after that re-ACK; the server is
// CLOSED when the re-ACK arrives. Without TIME-WAIT the client would have answered with RST.
#include <fmt/format.h>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  // The client sends two bare ACKs: the handshake's third segment and the one acknowledging
  // the server's FIN (it never acknowledges a bare ACK). The second is lost.
  const uint32_t rule = rig.to_server().add(
      link::drop_nth({.flags_exact = kAck, .max_payload = 0}, 2, "final ACK lost"));
  ScriptApp server{rig.server(), {}};
  ScriptApp client{rig.client(), {.close_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const auto fins = s.sent_with(kFin);
  std::vector<SegmentSeen> tw_acks;
  for (const SegmentSeen& seg : c.sent)
    if (seg.state == tcp::State::kTimeWait && seg.is(kAck)) tw_acks.push_back(seg);
  const Duration hop = Duration::millis(10);
  std::vector<Check> checks;
  checks.push_back(check("the client's ACK of the server's FIN is lost",
                         fmt::format("{} dropped", rig.to_server().fired(rule)),
                         rig.to_server().fired(rule) == 1 && !tw_acks.empty()));
  checks.push_back(fin_resent_by_timer(
      "the server in LAST-ACK retransmits its FIN (same seq) on its retransmission timer", s, fins,
      tcp::State::kLastAck));
  checks.push_back(
      check("the client in TIME-WAIT ACKs the repeated FIN again, as soon as it arrives",
            fmt::format("{} ACKs sent in TIME-WAIT{}", tw_acks.size(),
                        tw_acks.size() >= 2 ? ", the second at " + seconds(tw_acks[1].at) : ""),
            tw_acks.size() == 2 && fins.size() == 2 && tw_acks[1].at == fins[1].at + hop &&
                tw_acks[1].ack == tw_acks[0].ack));
  checks.push_back(check("the client never sends RST",
                         fmt::format("{} RSTs", c.sent_with(kRst).size()),
                         c.sent_with(kRst).empty()));
  const auto s_closed = s.last_entered(tcp::State::kClosed);
  checks.push_back(check("the server is CLOSED when the re-ACK arrives",
                         s_closed ? seconds(*s_closed) : "never",
                         s_closed && tw_acks.size() == 2 && *s_closed == tw_acks[1].at + hop));
  const auto c_closed = c.last_entered(tcp::State::kClosed);
  const Duration tw_len = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTimeWaitLen));
  checks.push_back(
      check(fmt::format("the re-ACK restarts TIME-WAIT: the client is CLOSED {} after it",
                        seconds(tw_len)),
            c_closed && tw_acks.size() == 2 ? seconds(*c_closed - tw_acks[1].at) : "-",
            c_closed && tw_acks.size() == 2 && *c_closed - tw_acks[1].at == tw_len && ended));
  std::string summary = fmt::format(
      "final ACK lost; LAST-ACK resent its FIN after {}, TIME-WAIT re-ACKed it; server CLOSED at "
      "{}",
      fins.size() >= 2 ? seconds(fins[1].at - fins[0].at) : "-",
      s_closed ? seconds(*s_closed) : "never");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& final_ack_lost() {
  static const Scenario kScenario{
      .name = "final-ack-lost",
      .summary =
          "the last ACK of the close is lost: LAST-ACK resends its FIN, TIME-WAIT re-ACKs it",
      .explanation =
          "The client closes first and the server follows, but the very last segment of the "
          "close, the client's ACK of the server's FIN, is lost. The server cannot know its FIN "
          "arrived, so it stays in LAST-ACK and sends the FIN again. This is the first reason "
          "TIME-WAIT exists: the client still remembers the connection, answers the repeated "
          "FIN with the ACK the server needs, and starts its TIME-WAIT period again. Had the "
          "client forgotten the connection, it would have answered with RST and the server "
          "would have reported an error for a connection that in fact closed cleanly.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
