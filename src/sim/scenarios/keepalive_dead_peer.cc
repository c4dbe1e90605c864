// keepalive-dead-peer: an idle connection whose peer vanished, found by keepalive (SPEC §11).
//
// Expected (Linux): with SO_KEEPALIVE, after tcp_keepalive_time of silence the client sends a
// probe (a bare ACK with seq = snd_una - 1), then one every tcp_keepalive_intvl; when
// tcp_keepalive_probes probes went unanswered and one more interval passed, the connection is
// destroyed and the application sees ETIMEDOUT: 7200 + 9 x 75 = 7875 s after the last segment
// received with the defaults.
#include <fmt/format.h>

#include <cerrno>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const Instant death = Instant::zero() + Duration::seconds(1);
  rig.to_server().add(link::drop_during(death, Instant::infinite(), {}, "peer dead"));
  rig.to_client().add(link::drop_during(death, Instant::infinite(), {}, "peer dead"));
  ScriptApp server{rig.server(), {.close_on_eof = false}};
  ScriptApp client{rig.client(), {.close_on_eof = false}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  if (rig.client().set_option(client.socket(), SockOpt::kKeepAlive, 1) != 0)
    return setup_error("SO_KEEPALIVE refused");
  rig.poke();
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  const HostLog& c = rig.client_log();
  const Duration idle = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTcpKeepaliveTime));
  const Duration intvl = Duration::seconds(ctx.sysctls.get(stack::SysctlId::kTcpKeepaliveIntvl));
  const int64_t count = ctx.sysctls.get(stack::SysctlId::kTcpKeepaliveProbes);
  Instant last_rx = Instant::zero();
  for (const SegmentSeen& s : c.received)
    last_rx = s.at;
  std::vector<SegmentSeen> probes;
  std::vector<SegmentSeen> resets;
  uint32_t snd_una = 0;  // nothing is in flight on the idle connection: snd_una = snd_nxt
  for (const SegmentSeen& s : c.sent) {
    if (s.at < death)
      snd_una = s.seq + static_cast<uint32_t>(s.len);
    else
      (s.has(wire::tcp_flags::kRst) ? resets : probes).push_back(s);
  }
  const Duration want_error = idle + intvl * count;

  std::vector<Check> checks;
  checks.push_back(check("the peer goes silent at 1 s (every packet lost from then on)",
                         fmt::format("last segment received at {}", seconds(last_rx)),
                         last_rx < death));
  bool spaced = probes.size() == static_cast<size_t>(count) && !probes.empty() &&
                probes[0].at - last_rx == idle;
  for (size_t i = 1; spaced && i < probes.size(); ++i)
    spaced = probes[i].at - probes[i - 1].at == intvl;
  checks.push_back(check(
      fmt::format("{} probes, the first {} after the last segment received, then every {}", count,
                  seconds(idle), seconds(intvl)),
      fmt::format("{} probes{}", probes.size(),
                  probes.empty() ? "" : ", the first after " + seconds(probes[0].at - last_rx)),
      spaced));
  bool shape = !probes.empty();
  for (const SegmentSeen& p : probes)
    shape = shape && p.is(wire::tcp_flags::kAck) && p.len == 0 && p.seq + 1 == snd_una;
  checks.push_back(check(
      "each probe is a bare ACK with seq = snd_una - 1",
      probes.empty() ? "-" : fmt::format("seq {} vs snd_una {}", probes[0].seq, snd_una), shape));
  const Duration after =
      client.error_at() == Instant::infinite() ? Duration::max() : client.error_at() - last_rx;
  checks.push_back(check(
      fmt::format("the application sees ETIMEDOUT {} after the last segment received",
                  seconds(want_error)),
      fmt::format("{} after {}", errno_name(client.error()), client.error() ? seconds(after) : "-"),
      client.error() == ETIMEDOUT && after == want_error));
  checks.push_back(
      check("at the timeout the client sends RST (Linux tcp_keepalive_timer) and gives up",
            fmt::format("{} RST", resets.size()),
            resets.size() == 1 && resets[0].at == client.error_at()));
  const bool gone = !rig.client().state_of(rig.client_endpoint(), rig.server_endpoint());
  checks.push_back(
      check("the client's connection is destroyed", gone ? "gone" : "still there", gone && ended));
  std::string summary =
      fmt::format("dead peer detected: {} at {} ({} after the last segment), {} probes",
                  errno_name(client.error()), seconds(client.error_at()),
                  client.error() ? seconds(after) : "-", probes.size());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& keepalive_dead_peer() {
  static const Scenario kScenario{
      .name = "keepalive-dead-peer",
      .summary = "an idle connection to a vanished peer: keepalive gives ETIMEDOUT at 7875 s",
      .explanation =
          "A connection is open and idle when the server vanishes (powered off, cable cut, "
          "NAT entry expired): nothing is sent, so nothing fails. TCP alone would keep the "
          "connection forever. With SO_KEEPALIVE the client probes after "
          "net.ipv4.tcp_keepalive_time (7200 s) of silence, then every tcp_keepalive_intvl "
          "(75 s); after tcp_keepalive_probes (9) unanswered probes it destroys the connection "
          "and the application gets ETIMEDOUT: more than two hours after the peer died. Hence "
          "the advice to set TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT per socket, or to use "
          "application-level heartbeats, when dead peers must be found in seconds.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
