// linger-zero: close() with SO_LINGER {on, 0} (SPEC §8.5, §9.10, §12.1).
//
// Expected (Linux): close() sends RST instead of FIN, with seq = the next sequence number to
// send; the connection is gone at once (no FIN-WAIT, no TIME-WAIT); the peer accepts the RST
// (it is exactly at rcv_nxt) and its application sees ECONNRESET.
#include <fmt/format.h>

#include <cerrno>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  const std::string response = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ScriptApp server{rig.server(), {.send = response, .wait_for = request.size()}};
  ScriptApp client{rig.client(),
                   {.send = request,
                    .close_after_send = true,
                    .close_after_bytes = response.size(),
                    .abort_on_close = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const auto rsts = c.sent_with(kRst);
  uint32_t snd_nxt = 0;
  for (const SegmentSeen& seg : c.sent)
    if (!seg.has(kRst)) snd_nxt = seg.seq + static_cast<uint32_t>(seg.len);
  std::vector<Check> checks;
  checks.push_back(
      check("close() sends RST, with seq = the next sequence number, and no FIN",
            fmt::format("{} RST{}, {} FIN", rsts.size(),
                        rsts.empty() ? "" : " at " + seconds(rsts[0].at), c.sent_with(kFin).size()),
            rsts.size() == 1 && rsts[0].at == client.closed_at() && rsts[0].seq == snd_nxt &&
                c.sent_with(kFin).empty()));
  const auto closed = c.last_entered(tcp::State::kClosed);
  const bool skipped = !c.went_through(tcp::State::kTimeWait) &&
                       !c.went_through(tcp::State::kFinWait1) &&
                       !c.went_through(tcp::State::kFinWait2);
  checks.push_back(check("the client's connection is gone at once: no FIN-WAIT, no TIME-WAIT",
                         closed ? "CLOSED at " + seconds(*closed) : "not closed",
                         closed && *closed == client.closed_at() && skipped));
  checks.push_back(check("the server's application sees ECONNRESET when the RST arrives",
                         fmt::format("{} at {}", errno_name(server.error()),
                                     server.error() ? seconds(server.error_at()) : "-"),
                         server.error() == ECONNRESET && !rsts.empty() &&
                             server.error_at() == rsts[0].at + Duration::millis(10)));
  const bool server_gone = !rig.server().state_of(rig.server_endpoint(), rig.client_endpoint());
  checks.push_back(check("the server's connection is gone too, without TIME-WAIT",
                         server_gone ? "gone" : "still there",
                         server_gone && !s.went_through(tcp::State::kTimeWait) && ended));
  std::string summary =
      fmt::format("close() with SO_LINGER {{on, 0}} sent RST at {}; no TIME-WAIT; server got {}",
                  rsts.empty() ? "-" : seconds(rsts[0].at), errno_name(server.error()));
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& linger_zero() {
  static const Scenario kScenario{
      .name = "linger-zero",
      .summary =
          "close() with SO_LINGER {on, 0}: RST instead of FIN, no TIME-WAIT, peer gets ECONNRESET",
      .explanation =
          "The client reads the response and closes with SO_LINGER set to {on, 0}. Instead of "
          "the four-way close it sends a single RST and forgets the connection: no FIN-WAIT, no "
          "TIME-WAIT. The server's application sees ECONNRESET, an error, for an exchange that "
          "in fact succeeded, and any data still in flight is thrown away. Because it makes "
          "TIME-WAIT disappear, this option is often recommended to 'fix' TIME-WAIT piling up; "
          "it removes the protection TIME-WAIT gives (a lost final ACK, old duplicates on a "
          "reused port) and turns clean closes into resets. Use it only to abort on purpose.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
