// keepalive-restarted-peer: an idle connection whose server rebooted (SPEC §10, §11, §17).
//
// The reboot: at 1 s the server host goes dark for 30 s (every packet either way is lost)
// and its stack forgets the connection. The rig cannot power a stack off, so the server's
// application aborts the connection at that instant and the RST it sends is lost with
// everything else: afterwards the server's stack holds no trace of the connection and its
// service listens on port 80 again, exactly the state of a host that came back up.
//
// Expected (Linux): nothing happens on the idle connection until the client's first keepalive
// probe, tcp_keepalive_time after the last segment it received. The probe (a bare ACK,
// seq = snd_una - 1) reaches a host with no such connection: the listener on port 80 answers
// an ACK with RST, seq = the probe's ACK field, no ACK flag (tcp_v4_send_reset(),
// RFC 9293 §3.10.7.1). That sequence number is the client's rcv_nxt, so the RST is accepted
// (RFC 5961 §3): the connection is destroyed and the application reads ECONNRESET one round
// trip after the probe; EstabResets counts it. One probe, no waiting for tcp_keepalive_probes.
#include <fmt/format.h>

#include <cerrno>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kRst;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const Instant crash = Instant::zero() + Duration::seconds(1);
  const Instant back = crash + Duration::seconds(30);
  const uint32_t dark_c =
      rig.to_server().add(link::drop_during(crash, back, {}, "server rebooting"));
  const uint32_t dark_s =
      rig.to_client().add(link::drop_during(crash, back, {}, "server rebooting"));
  ScriptApp server{rig.server(), {.close_on_eof = false, .abort_on_close = true}};
  ScriptApp client{rig.client(), {.close_on_eof = false}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  if (rig.client().set_option(client.socket(), SockOpt::kKeepAlive, 1) != 0)
    return setup_error("SO_KEEPALIVE refused");
  rig.poke();
  bool forgotten = false;
  rig.sim().at(crash, [&](Instant now) {
    server.close(now);
    forgotten = !rig.server().state_of(rig.server_endpoint(), rig.client_endpoint());
    rig.poke();
  });
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const Duration idle = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTcpKeepaliveTime));
  const Duration hop = Duration::millis(10);
  Instant last_rx = Instant::zero();
  for (const SegmentSeen& seg : c.received)
    if (seg.at < crash) last_rx = seg.at;
  uint32_t snd_una = 0;
  std::vector<SegmentSeen> probes;
  for (const SegmentSeen& seg : c.sent) {
    if (seg.at < crash)
      snd_una = seg.seq + static_cast<uint32_t>(seg.len);
    else
      probes.push_back(seg);
  }
  std::vector<SegmentSeen> answers;  // the server's RSTs after it came back
  for (const SegmentSeen& seg : s.sent_with(kRst))
    if (seg.at >= back) answers.push_back(seg);

  std::vector<Check> checks;
  checks.push_back(
      check(fmt::format("the server reboots at {}: its connection is gone, the abort's RST is lost "
                        "with everything else until {}",
                        seconds(crash), seconds(back)),
            fmt::format("connection {}, {} packet(s) lost", forgotten ? "forgotten" : "still there",
                        rig.to_server().fired(dark_c) + rig.to_client().fired(dark_s)),
            forgotten && rig.to_client().fired(dark_s) >= 1 && client.error_at() > back));
  const bool one_probe = probes.size() == 1 && probes[0].at - last_rx == idle &&
                         probes[0].is(kAck) && probes[0].len == 0 && probes[0].seq + 1 == snd_una;
  checks.push_back(check(
      fmt::format("one keepalive probe, {} after the last segment received, seq = snd_una - 1",
                  seconds(idle)),
      probes.empty()
          ? "none"
          : fmt::format("{} segment(s), the first {} after, seq {} vs snd_una {}", probes.size(),
                        seconds(probes[0].at - last_rx), probes[0].seq, snd_una),
      one_probe));
  const bool rst_ok = one_probe && answers.size() == 1 && answers[0].is(kRst) &&
                      answers[0].seq == probes[0].ack && answers[0].at == probes[0].at + hop;
  checks.push_back(check(
      "the rebooted server answers the probe at once with RST, seq = the probe's ACK, no ACK flag",
      answers.empty()
          ? "no RST"
          : fmt::format("{} RST at {}, seq {} (probe ack {})", answers.size(),
                        seconds(answers[0].at), answers[0].seq, probes.empty() ? 0 : probes[0].ack),
      rst_ok));
  checks.push_back(check(
      "the client application reads ECONNRESET one round trip after the probe",
      fmt::format("{} at {}", errno_name(client.error()),
                  client.error() ? seconds(client.error_at()) : "-"),
      client.error() == ECONNRESET && one_probe && client.error_at() == probes[0].at + hop * 2));
  const bool gone = !rig.client().state_of(rig.client_endpoint(), rig.server_endpoint());
  const uint64_t resets = rig.client().counters()[Counter::kTcpEstabResets];
  checks.push_back(
      check("the client's connection is destroyed without a reply, EstabResets 1",
            fmt::format("{}, {} RST sent, EstabResets {}", gone ? "gone" : "still there",
                        c.sent_with(kRst).size(), resets),
            gone && c.sent_with(kRst).empty() && resets == 1 &&
                !c.went_through(tcp::State::kTimeWait) && ended));
  std::string summary =
      fmt::format("restarted peer found by the first keepalive probe at {}: {} at {}",
                  probes.empty() ? "-" : seconds(probes[0].at), errno_name(client.error()),
                  client.error() ? seconds(client.error_at()) : "-");
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& keepalive_restarted_peer() {
  static const Scenario kScenario{
      .name = "keepalive-restarted-peer",
      .summary = "an idle connection to a rebooted server: the first keepalive probe gets RST",
      .explanation =
          "A connection is open and idle when the server reboots. The reboot wipes the server's "
          "TCP state, and the reset it might have sent is lost while the machine is down, so the "
          "client still believes in the connection. Unlike a dead peer, a restarted one answers: "
          "when the client's first keepalive probe arrives, after net.ipv4.tcp_keepalive_time "
          "(7200 s) of silence, the server finds no such connection and replies with a reset. The"
          " client accepts it, because it carries exactly the sequence number the client expects,"
          " and the application gets ECONNRESET one round trip after the probe instead of "
          "ETIMEDOUT 675 s later. Any data the client sent would have found the same answer "
          "sooner; keepalive matters when nobody sends.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
