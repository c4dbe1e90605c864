// close-wait-leak: the server application reads EOF and never closes (SPEC §8.6, §8.8, §17).
//
// Expected (Linux): the server's connection enters CLOSE-WAIT when the client's FIN arrives
// and stays there: the stack never leaves CLOSE-WAIT on its own, whatever time passes. The
// client, which called close(), is an orphan in FIN-WAIT-2; it waits net.ipv4.tcp_fin_timeout
// for a FIN that never comes, and then its connection is gone (Linux moves it to the
// TIME-WAIT table in a FIN-WAIT-2 sub-state that simply expires).
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
  ScriptApp client{rig.client(), {.send = "GET / HTTP/1.0\r\n\r\n", .close_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(24 * 3600));
  // Long after every timer: the leak is still there.
  const Instant look = rig.sim().now() + Duration::seconds(3600);
  rig.sim().run_until(look);

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const Duration fin_timeout = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTcpFinTimeout));
  std::vector<Check> checks;
  const auto cw = s.entered(tcp::State::kCloseWait);
  checks.push_back(check("the server's application reads EOF (the client's FIN)",
                         server.eof() ? "EOF at " + seconds(server.eof_at()) : "no EOF",
                         server.eof() && cw && server.eof_at() == *cw));
  const auto now_state = rig.server().state_of(rig.server_endpoint(), rig.client_endpoint());
  checks.push_back(check(
      fmt::format("the server is still in CLOSE-WAIT at {}, and never sent a FIN", seconds(look)),
      now_state ? std::string(tcp::rfc_name(*now_state)) : "gone",
      now_state == tcp::State::kCloseWait && s.sent_with(kFin).empty() && !server.closed()));
  const auto fw2 = c.entered(tcp::State::kFinWait2);
  const auto gone = c.last_entered(tcp::State::kClosed);
  checks.push_back(
      check(fmt::format("the client orphan leaves FIN-WAIT-2 after tcp_fin_timeout = {}",
                        seconds(fin_timeout)),
            fw2 && gone ? seconds(*gone - *fw2) : "-",
            fw2 && gone && *gone - *fw2 == fin_timeout &&
                !rig.client().state_of(rig.client_endpoint(), rig.server_endpoint())));
  checks.push_back(check("the client never enters TIME-WAIT (no FIN came)",
                         c.went_through(tcp::State::kTimeWait) ? "TIME-WAIT seen" : "none",
                         !c.went_through(tcp::State::kTimeWait) && ended));
  std::string summary = fmt::format(
      "server stuck in CLOSE-WAIT since {}; client orphan gone {} after entering FIN-WAIT-2",
      cw ? seconds(*cw) : "-", fw2 && gone ? seconds(*gone - *fw2) : "-");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& close_wait_leak() {
  static const Scenario kScenario{
      .name = "close-wait-leak",
      .summary =
          "the server app never closes: CLOSE-WAIT forever, the client leaves FIN-WAIT-2 after 60 "
          "s",
      .explanation =
          "The client sends a request and closes. The server's stack acknowledges the FIN and "
          "its application reads end-of-file, but the application has a bug: it never calls "
          "close(). CLOSE-WAIT means exactly that, the peer is done and we are waiting for our "
          "own application, so the kernel never ends it; the socket, its buffers and its file "
          "descriptor stay until the process closes them or exits. The client, meanwhile, "
          "closed its socket and waits in FIN-WAIT-2 for a FIN that never comes; as an orphan "
          "it gives up after net.ipv4.tcp_fin_timeout (60 s). Many CLOSE-WAIT sockets always "
          "point at the application on that host, never at the network or a sysctl.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
