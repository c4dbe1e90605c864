// normal-lifecycle: one whole connection with nothing lost (SPEC §3.3, §4.1, §8.2, §9, §17).
//
// Expected (RFC 9293 §3.5-§3.6, Linux): SYN, SYN+ACK (ack = client ISN + 1), ACK; request and
// response delivered whole; the client, which closes first, goes FIN-WAIT-1 -> FIN-WAIT-2 ->
// TIME-WAIT and the server CLOSE-WAIT -> LAST-ACK -> CLOSED; only the client keeps TIME-WAIT,
// for exactly the TIME-WAIT length in force (synack.tcp_timewait_len, Linux's fixed 60 s).
//
// Why TIME-WAIT is measured twice: from the state changes in the client's event trace (the
// time it entered and left) and from Stack::state_of() sampled just inside and just outside
// that interval, so the check does not depend on how the engine stores TIME-WAIT (a full
// connection or a compact record, SPEC §9.6).
#include <fmt/format.h>

#include <optional>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

// "SYN-SENT -> ESTABLISHED -> ..." of one host's connection, for comparing with a path.
std::vector<tcp::State> path_of(const HostLog& log) {
  std::vector<tcp::State> out;
  for (const StateSeen& s : log.states)
    out.push_back(s.to);
  return out;
}

std::string names(const std::vector<tcp::State>& path) {
  std::string out;
  for (tcp::State s : path)
    out += fmt::format("{}{}", out.empty() ? "" : " -> ", tcp::rfc_name(s));
  return out;
}

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  const std::string response = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  ScriptApp server{rig.server(), {.send = response, .wait_for = request.size()}};
  ScriptApp client{
      rig.client(),
      {.send = request, .close_after_send = true, .close_after_bytes = response.size()}};
  server.set_listener(rig.listen());
  const Duration tw_len = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTimeWaitLen));
  // The 4-tuple's state as the stack reports it, 1 ms after entering TIME-WAIT, 1 ms before
  // its end and 1 ms after; sampled by actions scheduled when the client enters TIME-WAIT.
  const Duration margin = Duration::millis(1);
  std::optional<tcp::State> early;
  std::optional<tcp::State> late;
  std::optional<tcp::State> after;
  bool scheduled = false;
  auto sample = [&rig](std::optional<tcp::State>& into) {
    return [&rig, &into](Instant) {
      into = rig.client().state_of(rig.client_endpoint(), rig.server_endpoint());
    };
  };
  rig.set_client_app([&](Instant now) {
    client.step(now);
    if (scheduled || !rig.client_log().entered(tcp::State::kTimeWait)) return;
    scheduled = true;
    const Instant tw = *rig.client_log().entered(tcp::State::kTimeWait);
    rig.sim().at(tw + margin, sample(early));
    rig.sim().at(tw + tw_len - margin, sample(late));
    rig.sim().at(tw + tw_len + margin, sample(after));
  });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  std::vector<Check> checks;

  // The handshake: the first three segments on the wire, in order.
  const auto syns = c.sent_with(kSyn, kAck);
  const auto synacks = s.sent_with(kSyn | kAck);
  std::optional<SegmentSeen> third;
  for (const SegmentSeen& seg : c.sent)
    if (!synacks.empty() && seg.has(kAck) && !seg.has(kSyn) && seg.at >= synacks[0].at) {
      third = seg;
      break;
    }
  const bool handshake = syns.size() == 1 && synacks.size() == 1 && third &&
                         synacks[0].ack == syns[0].seq + 1 && third->ack == synacks[0].seq + 1 &&
                         third->seq == syns[0].seq + 1;
  checks.push_back(check(
      "three-way handshake: SYN, SYN+ACK with ack = client ISN + 1, ACK with ack = server ISN + 1",
      fmt::format("{} SYN, {} SYN+ACK{}", syns.size(), synacks.size(),
                  third ? fmt::format(", ACK at {}", seconds(third->at)) : ", no ACK"),
      handshake));
  checks.push_back(
      check(fmt::format("the request ({} bytes) and the response ({} bytes) arrive whole",
                        request.size(), response.size()),
            fmt::format("server read {}, client read {}", server.received(), client.received()),
            server.received() == request.size() && client.received() == response.size()));

  // The two typical paths of SPEC §3.3; the server's half-open connection is the listener's
  // request record (NEW-SYN-RECV, SPEC §3.2) until the third segment arrives.
  const std::vector<tcp::State> want_c = {tcp::State::kSynSent,  tcp::State::kEstablished,
                                          tcp::State::kFinWait1, tcp::State::kFinWait2,
                                          tcp::State::kTimeWait, tcp::State::kClosed};
  const std::vector<tcp::State> want_s = {tcp::State::kNewSynRecv, tcp::State::kEstablished,
                                          tcp::State::kCloseWait, tcp::State::kLastAck,
                                          tcp::State::kClosed};
  checks.push_back(check("client: " + names(want_c), names(path_of(c)), path_of(c) == want_c));
  checks.push_back(check("server: " + names(want_s), names(path_of(s)), path_of(s) == want_s));

  // The close: the client's FIN first, the server's after it; no RST anywhere.
  const auto cfin = c.sent_with(kFin);
  const auto sfin = s.sent_with(kFin);
  checks.push_back(
      check("the client sends the first FIN, the server's FIN follows; one each, no RST",
            fmt::format("client FIN at {}, server FIN at {}, {} RST",
                        cfin.empty() ? "-" : seconds(cfin[0].at),
                        sfin.empty() ? "-" : seconds(sfin[0].at),
                        c.sent_with(kRst).size() + s.sent_with(kRst).size()),
            cfin.size() == 1 && sfin.size() == 1 && cfin[0].at < sfin[0].at &&
                c.sent_with(kRst).empty() && s.sent_with(kRst).empty()));

  // TIME-WAIT: only on the side that closed first, for exactly its length.
  const auto tw = c.entered(tcp::State::kTimeWait);
  const auto gone = c.last_entered(tcp::State::kClosed);
  checks.push_back(
      check(fmt::format("the client keeps TIME-WAIT for exactly {} (state changes in its trace)",
                        seconds(tw_len)),
            tw && gone ? fmt::format("TIME-WAIT {} -> CLOSED {} = {}", seconds(*tw), seconds(*gone),
                                     seconds(*gone - *tw))
                       : "-",
            tw && gone && *gone - *tw == tw_len && ended));
  auto shown = [](const std::optional<tcp::State>& st) {
    return st ? std::string(tcp::rfc_name(*st)) : std::string("none");
  };
  checks.push_back(
      check("the client's stack reports the 4-tuple in TIME-WAIT 1 ms after it began and 1 ms "
            "before its end, and no connection 1 ms after",
            fmt::format("{}, {}, {}", shown(early), shown(late), shown(after)),
            early == tcp::State::kTimeWait && late == tcp::State::kTimeWait && !after));
  checks.push_back(check("the server, which closed second, never enters TIME-WAIT",
                         s.went_through(tcp::State::kTimeWait) ? "TIME-WAIT seen" : "not seen",
                         !s.went_through(tcp::State::kTimeWait)));
  std::string summary = fmt::format(
      "request/response done, client TIME-WAIT from {} to {} ({}), server CLOSED at {}",
      tw ? seconds(*tw) : "-", gone ? seconds(*gone) : "-", tw && gone ? seconds(*gone - *tw) : "-",
      s.last_entered(tcp::State::kClosed) ? seconds(*s.last_entered(tcp::State::kClosed)) : "-");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& normal_lifecycle() {
  static const Scenario kScenario{
      .name = "normal-lifecycle",
      .summary = "handshake, request/response, four-way close, 60 s TIME-WAIT on the client",
      .explanation =
          "Nothing goes wrong: this is the reference every other story departs from. The client "
          "opens with the three-way handshake, sends a request, reads the response and closes; "
          "the server reads the EOF and closes at once, so its FIN also carries the ACK of the "
          "client's FIN and three segments end the connection. The client, which sent the first "
          "FIN, then waits in TIME-WAIT for 60 s (twice the maximum segment lifetime Linux "
          "assumes) so that a lost final ACK can be repeated and stray old segments die out; the "
          "server, which closed second, is gone as soon as its FIN is acknowledged. That "
          "asymmetry is why TIME-WAIT piles up on whichever side closes first.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
