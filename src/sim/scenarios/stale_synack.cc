// stale-synack: a SYN+ACK from an old incarnation reaches a client in SYN-SENT (SPEC §4.2).
//
// Expected (RFC 9293 §3.10.7.3, Linux tcp_rcv_synsent_state_process): the SYN+ACK's ACK field
// does not acknowledge our SYN, so the client answers with a bare RST whose seq is that ACK
// value (SEG.ACK), stays in SYN-SENT, and the real handshake then completes. The server drops
// the RST (its sequence number is far outside the window), so it is unaffected.
#include <fmt/format.h>

#include <vector>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"
#include "wire/packet.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

// Far from the client's ISN: acknowledges nothing this connection sent, and as a sequence
// number it is far outside the server's receive window.
constexpr uint32_t kStaleOffset = 0x40000000;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  ScriptApp server{rig.server(), {}};
  ScriptApp client{rig.client(), {.close_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const auto syns = rig.client_log().sent_with(kSyn, kAck);
  if (syns.empty()) return setup_error("the client sent no SYN");
  const uint32_t isn = syns[0].seq;

  wire::Packet stale;
  stale.ip.src = rig.server_endpoint().addr;
  stale.ip.dst = rig.client_endpoint().addr;
  stale.tcp.src_port = rig.server_endpoint().port;
  stale.tcp.dst_port = rig.client_endpoint().port;
  stale.tcp.seq = wire::SeqNum(0x12345678);
  const uint32_t stale_ack = isn + 1 + kStaleOffset;
  stale.tcp.ack = wire::SeqNum(stale_ack);
  stale.tcp.flags = kSyn | kAck;
  stale.tcp.window = 65535;
  stale.tcp.options.mss = 1460;
  std::vector<uint8_t> bytes(wire::emitted_size(stale));
  if (wire::emit_packet(stale, bytes) == 0) return setup_error("cannot build the stale SYN+ACK");
  const Instant inject_at = Instant::zero() + Duration::millis(5);
  rig.inject_to_client(std::move(bytes), inject_at,
                       fmt::format("old duplicate SYN+ACK arrives: ack {} (not ISN+1)", stale_ack));
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const auto rsts = c.sent_with(kRst);
  std::vector<Check> checks;
  checks.push_back(check(
      "the client answers the stale SYN+ACK with a bare RST, seq = SEG.ACK",
      rsts.empty() ? "no RST"
                   : fmt::format("RST at {} seq {} flags 0x{:02x}", seconds(rsts[0].at),
                                 rsts[0].seq, rsts[0].flags),
      rsts.size() == 1 && rsts[0].at == inject_at && rsts[0].seq == stale_ack && rsts[0].is(kRst)));
  const auto est = c.entered(tcp::State::kEstablished);
  bool stayed = !c.states.empty() && c.states[0].to == tcp::State::kSynSent;
  for (size_t i = 1; i < c.states.size() && est; ++i)
    stayed = stayed && !(c.states[i].at < *est);
  checks.push_back(check("the client stays in SYN-SENT and its SYN is not resent",
                         fmt::format("{} SYN", c.sent_with(kSyn, kAck).size()),
                         stayed && c.sent_with(kSyn, kAck).size() == 1));
  checks.push_back(check("the real SYN+ACK then completes the handshake one RTT after the SYN",
                         est ? seconds(*est) : "never",
                         est && *est == syns[0].at + Duration::millis(20)));
  const auto sest = s.entered(tcp::State::kEstablished);
  const bool closed = client.closed() && server.closed() && s.last_entered(tcp::State::kClosed) &&
                      ended && s.sent_with(kRst).empty();
  checks.push_back(check("the server is unaffected: ESTABLISHED, then a normal close, no RST",
                         sest ? "ESTABLISHED at " + seconds(*sest) : "never ESTABLISHED",
                         sest && closed));
  std::string summary =
      fmt::format("stale SYN+ACK answered by RST seq={} (SEG.ACK); connected at {}",
                  rsts.empty() ? 0 : rsts[0].seq, est ? seconds(*est) : "never");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& stale_synack() {
  static const Scenario kScenario{
      .name = "stale-synack",
      .summary = "an old SYN+ACK reaches SYN-SENT: answered by RST seq=SEG.ACK, handshake goes on",
      .explanation =
          "While the client waits for the answer to its SYN, a SYN+ACK arrives that belongs to "
          "an older connection between the same ports (an old duplicate that wandered in the "
          "network). Its acknowledgment number does not match the client's SYN, so the client "
          "knows it is not the answer: it sends a reset carrying that acknowledgment number as "
          "its sequence number, which the stale peer would accept, and keeps waiting. The real "
          "SYN+ACK arrives and the connection opens normally. This check is why the handshake "
          "needs three segments: the third tells the server whether its SYN+ACK answered a "
          "current SYN or an old one.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
