// third-ack-lost: the handshake's final ACK is lost, and the client has nothing to send
// (SPEC §4.8, §10.3, §17).
//
// Expected (Linux): the client is ESTABLISHED as soon as the SYN+ACK arrives; the server
// holds only its request record (NEW-SYN-RECV), whose timer resends the SYN+ACK one initial
// RTO (TCP_TIMEOUT_INIT, synack.tcp_rto_initial_ms) after the first (reqsk_timer_handler());
// the client, already synchronized, takes that SYN as a challenge and answers at once with an
// ACK for it (tcp_validate_incoming(): RFC 5961 §4 challenge ACK, counted TCPSYNChallenge and
// TCPChallengeACK), which completes the handshake on the server. The server speaks first
// (an SMTP- or SSH-style greeting), so until then the server application cannot accept and the
// client application waits: the lost ACK costs both a whole second.
//
// Why a server-speaks-first protocol: when the client sends first (HTTP), its first data
// segment carries the same ACK and completes the handshake by itself (tcp_check_req() takes
// any valid ACK); nothing would visibly go wrong. Here nothing else can repair the loss.
#include <fmt/format.h>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kSyn;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  // The client's first bare ACK is the third segment of the handshake.
  const uint32_t rule = rig.to_server().add(
      link::drop_next({.flags_exact = kAck, .max_payload = 0}, "third ACK lost"));
  const std::string greeting = "220 mail.example.net ESMTP\r\n";
  const std::string quit = "QUIT\r\n";
  ScriptApp server{rig.server(), {.send = greeting}};
  ScriptApp client{rig.client(),
                   {.send = quit, .wait_for = greeting.size(), .close_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const Duration hop = Duration::millis(10);
  const Duration rto0 = Duration::millis(ctx.sysctls.get(stack::SysctlId::kTcpRtoInitialMs));
  const auto syns = c.sent_with(kSyn, kAck);
  const auto synacks = s.sent_with(kSyn | kAck);
  // When the greeting's first byte reached the client, and the client's bare ACKs sent before
  // that: the lost third ACK and the answer to the repeated SYN+ACK.
  Instant greeted = Instant::infinite();
  for (const SegmentSeen& seg : c.received)
    if (seg.len > 0) {
      greeted = seg.at;
      break;
    }
  std::vector<SegmentSeen> acks;
  for (const SegmentSeen& seg : c.sent)
    if (seg.is(kAck) && seg.len == 0 && seg.at < greeted) acks.push_back(seg);
  std::vector<Check> checks;
  const auto c_est = c.entered(tcp::State::kEstablished);
  checks.push_back(
      check("the client is ESTABLISHED when the SYN+ACK arrives, and its ACK is lost",
            fmt::format("ESTABLISHED at {}, {} dropped", c_est ? seconds(*c_est) : "never",
                        rig.to_server().fired(rule)),
            c_est && *c_est == Instant::zero() + hop * 2 && rig.to_server().fired(rule) == 1));
  checks.push_back(check(
      fmt::format("the server resends its SYN+ACK once, {} after the first (same ISN), and the "
                  "client never resends its SYN",
                  seconds(rto0)),
      fmt::format(
          "{} SYN+ACKs{}, {} SYN", synacks.size(),
          synacks.size() > 1 ? ", the second after " + seconds(synacks[1].at - synacks[0].at) : "",
          syns.size()),
      synacks.size() == 2 && synacks[1].at - synacks[0].at == rto0 &&
          synacks[1].seq == synacks[0].seq && syns.size() == 1));
  const bool reacked = acks.size() == 2 && synacks.size() == 2 &&
                       acks[1].at == synacks[1].at + hop && acks[1].seq == acks[0].seq &&
                       acks[1].ack == synacks[0].seq + 1;
  checks.push_back(
      check("the client, ESTABLISHED, answers the repeated SYN+ACK at once with the same ACK",
            fmt::format("{} bare ACKs before the greeting{}", acks.size(),
                        acks.size() > 1 ? ", the second at " + seconds(acks[1].at) : ""),
            reacked));
  const uint64_t syn_challenge = rig.client().counters()[Counter::kTcpExtTCPSYNChallenge];
  const uint64_t challenge = rig.client().counters()[Counter::kTcpExtTCPChallengeACK];
  checks.push_back(
      check("that ACK is a challenge ACK for a SYN in a synchronized state "
            "(TCPSYNChallenge 1, TCPChallengeACK 1 on the client)",
            fmt::format("TCPSYNChallenge {}, TCPChallengeACK {}", syn_challenge, challenge),
            syn_challenge == 1 && challenge == 1));
  const auto s_est = s.entered(tcp::State::kEstablished);
  checks.push_back(check("the server goes NEW-SYN-RECV -> ESTABLISHED when that ACK arrives",
                         s_est ? seconds(*s_est) : "never",
                         s_est && reacked && *s_est == acks[1].at + hop &&
                             s.entered(tcp::State::kNewSynRecv).has_value()));
  checks.push_back(
      check("the server application accepts and greets at once: the greeting "
            "reaches the client one hop after the server connected",
            greeted.is_infinite() ? "never" : seconds(greeted), s_est && greeted == *s_est + hop));
  checks.push_back(
      check("then the exchange and the close complete normally",
            fmt::format("client read {} of {} bytes, server {} of {}", client.received(),
                        greeting.size(), server.received(), quit.size()),
            client.received() == greeting.size() && server.received() == quit.size() &&
                client.closed() && server.closed() && ended));
  std::string summary = fmt::format(
      "third ACK lost; SYN+ACK resent after {}, client re-ACKed, server ESTABLISHED at {}",
      synacks.size() > 1 ? seconds(synacks[1].at - synacks[0].at) : "-",
      s_est ? seconds(*s_est) : "never");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& third_ack_lost() {
  static const Scenario kScenario{
      .name = "third-ack-lost",
      .summary = "the handshake's last ACK is lost: SYN+ACK resent at 1 s, the client re-ACKs",
      .explanation =
          "The client receives the SYN+ACK, is connected, and sends the handshake's final ACK, "
          "which is lost. The protocol is one where the server speaks first (SMTP, SSH, FTP), so "
          "the client sends nothing else and waits. The server has not seen the handshake "
          "complete: it holds only a small request record, not a connection its application could"
          " accept. After its initial timeout (1 s) it resends the SYN+ACK. The client, already "
          "ESTABLISHED, treats a SYN at this point as suspicious and answers with an ACK of what "
          "it has (a challenge ACK, RFC 5961), which is exactly the missing third segment: the "
          "server connects and sends its greeting, one second late. If the client had spoken "
          "first, its data would have carried the ACK and nobody would notice.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
