// syn-flood: spoofed SYNs at a million a second against a listener with backlog 128 while
// legitimate clients connect (SPEC §6.4, §6.5, §17).
//
// Expected (Linux tcp_conn_request()): the SYN queue holds at most the listener's
// max_ack_backlog (min(backlog, net.core.somaxconn)) request records. With
// net.ipv4.tcp_syncookies = 1 (the default) a SYN that finds it full is answered with a
// cookie SYN+ACK and no record, so every legitimate client's third ACK is accepted
// (cookie_v4_check()): 100 % connect, and the records stay bounded by the backlog. With
// tcp_syncookies = 0 the SYN is dropped: the queue is owned by spoofed requests that wait out
// their SYN+ACK retries, and legitimate clients' SYNs are dropped with them. Either way the
// kernel logs "Possible SYN flooding on port ...", ending in "Sending cookies." or
// "Dropping request." by the setting in force.
//
// The flood lasts 0.25 s (250,000 SYNs) — shorter than tests/sim/syn_flood_test.cc's 1.2 s —
// so the scenario stays within seconds in a sanitizer build; 100 clients start during the
// first 0.2 s and success is counted when the flood ends, before any client's first SYN
// retransmission (1 s) could have helped it.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/short_connections.h"
#include "sim/syn_flood.h"

namespace synack::sim::scenarios {
namespace {

constexpr int kClients = 100;
constexpr Duration kClientInterval = Duration::millis(2);
constexpr int kBacklog = 128;
constexpr uint64_t kSynsPerSecond = 1'000'000;
constexpr Instant kFloodEnd = Instant::zero() + Duration::millis(250);
// Without cookies, fewer than this share of the clients get in (it is near zero: the flood
// fills the queue within its first millisecond).
constexpr int kWithoutCookiesBelowPercent = 50;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  rig.ladder_first_connection_only();
  rig.route_server_to_client_net_only();
  if (!rig.open()) return setup_error(rig.error());
  ShortConnections load{
      rig, {.connections = kClients, .interval = kClientInterval, .backlog = kBacklog}};
  if (!load.start()) return setup_error("the server cannot listen on port 80");
  SynFlooder flood(rig.sim(), rig.server_inbox(), rig.sim().rng().fork(),
                   SynFloodParams{.target = rig.server_endpoint().addr,
                                  .target_port = Rig::kServerPort,
                                  .syns_per_second = kSynsPerSecond,
                                  .start = Instant::zero(),
                                  .stop = kFloodEnd,
                                  .protected_prefix = Rig::client_address(),
                                  .protected_prefix_len = 24});
  flood.start();
  // The SYN queue's size, looked at every millisecond (after each flood batch).
  size_t peak_records = 0;
  std::function<void(Instant)> sample = [&](Instant now) {
    peak_records = std::max(peak_records, rig.server().request_count());
    if (now < kFloodEnd) rig.sim().at(now + Duration::millis(1), sample);
  };
  rig.sim().at(Instant::zero(), sample);
  (void)rig.run(kFloodEnd - Instant::zero());

  const int64_t cookies = ctx.sysctls.get(stack::SysctlId::kTcpSyncookies);
  const int64_t max_backlog =
      std::min<int64_t>(kBacklog, ctx.sysctls.get(stack::SysctlId::kSomaxconn));
  const int connected = load.established();
  const int percent = connected * 100 / kClients;
  // SYNs per second x the flood's length in milliseconds / 1000.
  const uint64_t expected_syns =
      kSynsPerSecond * static_cast<uint64_t>((kFloodEnd - Instant::zero()).ms()) / 1000;
  std::vector<Check> checks;
  checks.push_back(check(
      fmt::format("the attacker sent {} spoofed SYNs by {}", expected_syns, seconds(kFloodEnd)),
      fmt::format("{}, {} SYN+ACKs to spoofed sources discarded by the router", flood.sent(),
                  rig.server_replies_discarded()),
      flood.sent() >= expected_syns));
  const std::string flood_log =
      fmt::format("TCP: request_sock_TCP: Possible SYN flooding on port {}:{}. {}.",
                  to_string(rig.server_endpoint().addr), Rig::kServerPort,
                  cookies != 0 ? "Sending cookies" : "Dropping request");
  const auto& logs = rig.server_log().logs;
  checks.push_back(check(fmt::format("the server logs \"{}\"", flood_log),
                         logs.empty() ? "nothing" : logs.front(),
                         std::find(logs.begin(), logs.end(), flood_log) != logs.end()));
  if (cookies != 0) {
    checks.push_back(
        check(fmt::format("tcp_syncookies = {}: all {} legitimate clients connect during the flood",
                          cookies, kClients),
              fmt::format("{} ({} %)", connected, percent), connected == kClients));
    checks.push_back(
        check(fmt::format("request records never exceed max_ack_backlog + 1 = {}", max_backlog + 1),
              fmt::format("peak {}", peak_records),
              peak_records <= static_cast<size_t>(max_backlog + 1)));
  } else {
    checks.push_back(
        check(fmt::format("tcp_syncookies = 0: fewer than {} % of the {} clients connect",
                          kWithoutCookiesBelowPercent, kClients),
              fmt::format("{} ({} %)", connected, percent), percent < kWithoutCookiesBelowPercent));
    checks.push_back(check(
        fmt::format("the SYN queue is full of spoofed requests (max_ack_backlog {})", max_backlog),
        fmt::format("peak {}", peak_records),
        peak_records >= static_cast<size_t>(max_backlog) &&
            peak_records <= static_cast<size_t>(max_backlog + 1)));
  }
  std::string summary = fmt::format(
      "tcp_syncookies={}: {}/{} legitimate clients connected ({} %) under {} spoofed "
      "SYNs, peak {} request records",
      cookies, connected, kClients, percent, flood.sent(), peak_records);
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& syn_flood() {
  static const Scenario kScenario{
      .name = "syn-flood",
      .summary = "1M spoofed SYN/s at a backlog-128 listener: cookies keep 100 % of clients in",
      .explanation =
          "An attacker sends SYNs from random forged addresses at a million a second to a server "
          "listening with backlog 128, while 100 real clients connect and make a request. Each "
          "forged SYN would take a slot in the SYN queue for a minute of SYN+ACK retries, and "
          "the queue holds only 128. With net.ipv4.tcp_syncookies = 1 (the default), a SYN that "
          "finds the queue full gets a SYN+ACK whose sequence number encodes the connection, "
          "and nothing is stored; a real client's ACK proves the round trip and the connection "
          "is rebuilt from it, so every client gets in and memory stays bounded. Run it again "
          "with --sysctl net.ipv4.tcp_syncookies=0 and the queue belongs to the attacker: "
          "almost no client connects while the flood lasts.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
