// time-wait-pileup: a client making short connections to one server, closing first (SPEC §9,
// §17).
//
// Expected (Linux): every connection the client closes first ends in TIME-WAIT on the client
// for TCP_TIMEWAIT_LEN (60 s; synack.tcp_timewait_len here), so with one close every
// `interval` the count rises for 60 s and then holds at 60 s / interval (3,000 at 50/s) — as
// many leave each second as arrive — capped by net.ipv4.tcp_max_tw_buckets. The server, which
// closed second (LAST-ACK), keeps none. After the last close the count falls to zero exactly
// TIME-WAIT's length after the last connection entered it.
#include <fmt/format.h>

#include <algorithm>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/short_connections.h"

namespace synack::sim::scenarios {
namespace {

constexpr int kConnections = 6000;  // 50 per second for 120 s
constexpr Duration kInterval = Duration::millis(20);
// Between events (connections start on 20 ms boundaries, segments take 10 ms).
constexpr Duration kOffset = Duration::millis(5);

// How many of the closes at first + k * interval (k < n) fall in (at - len, at].
int64_t lattice_in_window(Instant first, Duration interval, int64_t n, Instant at, Duration len) {
  int64_t count = 0;
  for (int64_t k = 0; k < n; ++k) {
    const Instant t = first + interval * k;
    if (t <= at && at - t < len) ++count;
  }
  return count;
}

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  rig.ladder_first_connection_only();
  if (!rig.open()) return setup_error(rig.error());
  ShortConnections load{rig, {.connections = kConnections, .interval = kInterval}};
  if (!load.start()) return setup_error("the server cannot listen on port 80");

  const Duration tw_len = ctx.sysctls.duration(stack::SysctlId::kTimeWaitLen);
  const int64_t max_tw = ctx.sysctls.get(stack::SysctlId::kTcpMaxTwBuckets);
  // The plateau is looked at 30 s before the last connect() (90 s with the defaults), when it
  // has held for a while; the counts are what `ss -tan` would show then.
  const Instant last_connect = Instant::zero() + kInterval * (kConnections - 1);
  const Instant plateau_at = last_connect - Duration::seconds(30) + kOffset;
  uint32_t client_tw = 0;
  uint32_t server_tw = 0;
  rig.sim().at(plateau_at, [&](Instant now) {
    client_tw = count_in(rig.client(), tcp::State::kTimeWait, now);
    server_tw = count_in(rig.server(), tcp::State::kTimeWait, now);
  });
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  // The client's entries into and exits from TIME-WAIT, from its event trace.
  const HostLog& c = rig.client_log();
  std::vector<Instant> entered;
  std::vector<Instant> left;
  for (const StateSeen& s : c.states) {
    if (s.to == tcp::State::kTimeWait) entered.push_back(s.at);
    if (s.from == tcp::State::kTimeWait) left.push_back(s.at);
  }
  std::vector<Check> checks;
  checks.push_back(check(
      fmt::format("all {} connections complete their exchange", kConnections),
      fmt::format("{} exchanges, {} errors", load.exchanges(),
                  load.other_errors() + load.eaddrnotavail()),
      load.exchanges() == kConnections && load.other_errors() == 0 && load.eaddrnotavail() == 0));
  // Every connection closes the same way, so the client enters TIME-WAIT once per interval.
  bool evenly = entered.size() == static_cast<size_t>(kConnections);
  for (size_t i = 1; evenly && i < entered.size(); ++i)
    evenly = entered[i] - entered[i - 1] == kInterval;
  checks.push_back(check(
      fmt::format("the client (closing first) enters TIME-WAIT once every {}", seconds(kInterval)),
      fmt::format("{} entries", entered.size()), evenly));
  const int64_t expected =
      entered.empty() ? 0
                      : std::min(max_tw, lattice_in_window(entered.front(), kInterval, kConnections,
                                                           plateau_at, tw_len));
  checks.push_back(
      check(fmt::format("at {} the client holds {} TIME-WAIT sockets (tcp_timewait_len {} / {}, at "
                        "most tcp_max_tw_buckets {})",
                        seconds(plateau_at), expected, seconds(tw_len), seconds(kInterval), max_tw),
            fmt::format("{}", client_tw), client_tw == expected && expected > 0));
  checks.push_back(
      check(fmt::format("the server (closing second) holds none at {}", seconds(plateau_at)),
            fmt::format("{}", server_tw),
            server_tw == 0 && !rig.server_log().went_through(tcp::State::kTimeWait)));
  // Each TIME-WAIT lasts exactly its length; the last one ends tw_len after the last entry.
  bool each_len = left.size() == entered.size();
  for (size_t i = 0; each_len && i < left.size(); ++i)
    each_len = left[i] - entered[i] == tw_len;
  const Instant end = rig.sim().now();
  checks.push_back(check(
      fmt::format("the pile drains: the last TIME-WAIT ends {} after the last one began",
                  seconds(tw_len)),
      entered.empty() || left.empty() ? "-"
                                      : fmt::format("last entered {}, last left {}",
                                                    seconds(entered.back()), seconds(left.back())),
      each_len && !left.empty() && left.back() == entered.back() + tw_len && ended &&
          count_in(rig.client(), tcp::State::kTimeWait, end) == 0));
  std::string summary =
      fmt::format("{} TIME-WAIT on the client at {} (0 on the server), all gone at {}", client_tw,
                  seconds(plateau_at), left.empty() ? "-" : seconds(left.back()));
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& time_wait_pileup() {
  static const Scenario kScenario{
      .name = "time-wait-pileup",
      .summary = "50 short connections a second: TIME-WAIT on the client plateaus at 3000",
      .explanation =
          "A client opens a connection to the same server 50 times a second for two minutes; "
          "each carries one small request and response and the client closes it first. The "
          "side that closes first keeps the connection in TIME-WAIT for 60 s, so the client's "
          "TIME-WAIT count climbs for a minute and then stays flat at rate x 60 s = 3,000, one "
          "leaving for each one arriving. The server closed second and keeps none. A TIME-WAIT "
          "socket is a few hundred bytes and no file descriptor; what it costs is the local "
          "port it holds for that tuple (see port-exhaustion). The whole pile is gone 60 s "
          "after the last close. Run with --chart to see the ramp and the plateau.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
