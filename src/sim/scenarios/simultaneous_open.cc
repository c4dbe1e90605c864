// simultaneous-open: both ends connect() to each other at the same instant (SPEC §3.3, §4.3,
// §17; RFC 9293 §3.5 figure 8).
//
// Expected (Linux 6.x, net/ipv4/tcp_input.c tcp_rcv_synsent_state_process and
// tcp_rcv_state_process): each SYN-SENT end receives the other's bare SYN, enters
// SYN-RECEIVED and answers with a SYN+ACK carrying its own ISN again (seq = own ISN, ack =
// peer ISN + 1); each SYN+ACK then finds its receiver in SYN-RECEIVED and, acknowledging that
// end's SYN, moves it to ESTABLISHED without a further segment. Four segments in all — two
// SYNs and two SYN+ACKs — where RFC 9293's figure draws a fifth and sixth (the ACKs) that
// Linux does not send. The times follow from the link: SYNs at 0, SYN+ACKs one one-way delay
// later, ESTABLISHED on both ends one round trip after the start.
//
// Why the client binds a fixed port: the server's connect() must name it, as two peer-to-peer
// programs agreeing on ports beforehand do. The server connects from its port 80; no listener.
#include <fmt/format.h>

#include <algorithm>
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

constexpr uint16_t kClientPort = 40000;

// The state path of one host's connection, with times.
std::string path(const HostLog& log, size_t n) {
  std::string out;
  for (size_t i = 0; i < std::min(n, log.states.size()); ++i)
    out += fmt::format("{}{} {}", out.empty() ? "" : " -> ", tcp::rfc_name(log.states[i].to),
                       seconds(log.states[i].at));
  return out;
}

// The handshake part of a path: SYN-SENT at 0, SYN-RECEIVED at `d`, ESTABLISHED at 2d.
bool handshake_path(const HostLog& log, Instant start, Duration d) {
  return log.states.size() >= 3 && log.states[0].to == tcp::State::kSynSent &&
         log.states[0].at == start && log.states[1].to == tcp::State::kSynReceived &&
         log.states[1].at == start + d && log.states[2].to == tcp::State::kEstablished &&
         log.states[2].at == start + d + d;
}

std::string describe(const char* who, const SegmentSeen& s) {
  return fmt::format("{} {}{} seq {} ack {} at {}", who, s.has(kSyn) ? "SYN" : "",
                     s.has(kAck) ? (s.has(kSyn) ? "+ACK" : "ACK") : "", s.seq, s.ack,
                     seconds(s.at));
}

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const std::string message = "hello from a peer";
  ScriptApp client{rig.client(), {.send = message, .close_after_send = true}};
  ScriptApp server{rig.server(), {}};
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });

  const Instant start = rig.sim().now();
  client.set_socket(rig.connect(kClientPort));
  // The server's connect(), at the same instant, from its port 80 to the client's port.
  SocketId ss = kNoSocket;
  if (auto s = rig.server().socket()) {
    ss = s.value();
    const bool ok = rig.server().bind(ss, rig.server_endpoint()) == 0 &&
                    rig.server().connect(ss, rig.client_endpoint(), start) == EINPROGRESS;
    if (!ok) ss = kNoSocket;
  }
  if (client.socket() == kNoSocket || ss == kNoSocket)
    return setup_error("cannot open the two sockets of the simultaneous open");
  server.set_socket(ss);
  rig.poke();
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const Duration d = Rig::latency();
  std::vector<Check> checks;

  // The handshake segments: everything either end sent before the first data segment.
  std::vector<SegmentSeen> hs_c;
  std::vector<SegmentSeen> hs_s;
  for (const SegmentSeen& seg : c.sent)
    if (seg.len == 0 && !seg.has(kFin) && seg.at <= start + d + d) hs_c.push_back(seg);
  for (const SegmentSeen& seg : s.sent)
    if (seg.len == 0 && !seg.has(kFin) && seg.at <= start + d + d) hs_s.push_back(seg);
  const bool shape = hs_c.size() == 2 && hs_s.size() == 2 && hs_c[0].is(kSyn) && hs_s[0].is(kSyn) &&
                     hs_c[1].is(kSyn | kAck) && hs_s[1].is(kSyn | kAck);
  std::string seen;
  for (const auto& x : hs_c)
    seen += (seen.empty() ? "" : "; ") + describe("client", x);
  for (const auto& x : hs_s)
    seen += (seen.empty() ? "" : "; ") + describe("server", x);
  checks.push_back(check(
      "four handshake segments: a SYN from each end at 0, a SYN+ACK from each end one one-way "
      "delay later, no bare ACK",
      seen.empty() ? "none" : seen,
      shape && hs_c[0].at == start && hs_s[0].at == start && hs_c[1].at == start + d &&
          hs_s[1].at == start + d));
  checks.push_back(
      check("each SYN+ACK repeats its sender's ISN and acknowledges the peer's ISN + 1",
            shape ? fmt::format("client {} / {}, server {} / {}", hs_c[1].seq, hs_c[1].ack,
                                hs_s[1].seq, hs_s[1].ack)
                  : "-",
            shape && hs_c[1].seq == hs_c[0].seq && hs_c[1].ack == hs_s[0].seq + 1 &&
                hs_s[1].seq == hs_s[0].seq && hs_s[1].ack == hs_c[0].seq + 1));
  checks.push_back(check(fmt::format("client: SYN-SENT 0 s -> SYN-RECEIVED {} -> ESTABLISHED {}",
                                     seconds(d), seconds(d + d)),
                         path(c, 3), handshake_path(c, start, d)));
  checks.push_back(check(fmt::format("server: SYN-SENT 0 s -> SYN-RECEIVED {} -> ESTABLISHED {}",
                                     seconds(d), seconds(d + d)),
                         path(s, 3), handshake_path(s, start, d)));
  checks.push_back(check(
      "both connect() calls succeed (no error on either socket)",
      fmt::format("client {}, server {}", errno_name(client.error()), errno_name(server.error())),
      client.connected() && server.connected() && client.error() == 0 && server.error() == 0));
  // Then an ordinary close: the client's message arrives, it closes first and keeps TIME-WAIT.
  const auto tw = c.entered(tcp::State::kTimeWait);
  checks.push_back(
      check(fmt::format("then a normal close: the {}-byte message arrives, the client (first FIN) "
                        "goes through TIME-WAIT, the server does not, no RST",
                        message.size()),
            fmt::format("server read {}, client TIME-WAIT {}, server TIME-WAIT {}, {} RST",
                        server.received(), tw ? seconds(*tw) : "-",
                        s.went_through(tcp::State::kTimeWait) ? "yes" : "no",
                        c.sent_with(kRst).size() + s.sent_with(kRst).size()),
            server.received() == message.size() && tw && !s.went_through(tcp::State::kTimeWait) &&
                c.sent_with(kRst).empty() && s.sent_with(kRst).empty() && ended &&
                c.last_entered(tcp::State::kClosed) && s.last_entered(tcp::State::kClosed)));
  std::string summary = fmt::format(
      "both ends SYN-SENT -> SYN-RECEIVED -> ESTABLISHED at {} with {} segments",
      c.entered(tcp::State::kEstablished) ? seconds(*c.entered(tcp::State::kEstablished)) : "-",
      hs_c.size() + hs_s.size());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& simultaneous_open() {
  static const Scenario kScenario{
      .name = "simultaneous-open",
      .summary = "both ends connect() at once: SYN-SENT -> SYN-RECEIVED -> ESTABLISHED, 4 segments",
      .explanation =
          "Two programs that agreed on their ports call connect() towards each other at the same "
          "moment, so neither is listening. Each SYN crosses the other on the wire; an end in "
          "SYN-SENT that receives a bare SYN knows the peer is opening too, moves to "
          "SYN-RECEIVED and answers with a SYN+ACK that repeats its own initial sequence number. "
          "When those SYN+ACKs arrive, each acknowledges the receiver's SYN, so both ends become "
          "ESTABLISHED one round trip after they started. Linux needs four segments for this, "
          "two SYNs and two SYN+ACKs, and sends no extra ACK. It is rare between ordinary "
          "clients and servers but real for peer-to-peer programs punching through NATs, and it "
          "is the one path where a connection reaches SYN-RECEIVED without a listener.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
