// port-exhaustion-more-addresses: the port-exhaustion workload from a client with two source
// addresses (SPEC §14.1, §17: "more addresses").
//
// Expected (Linux): a 4-tuple is unique per (local address, local port, remote address, remote
// port), so each local address has the whole ip_local_port_range towards one server address
// and port. The client binds each socket to one of its addresses in turn with
// IP_BIND_ADDRESS_NO_PORT before connect(): bind() then fixes only the source address and
// connect() picks the port with the full 4-tuple known (__inet_bind() skips get_port();
// __inet_hash_connect() scans from the per-(source, destination) offset). With P ports and N
// addresses, N x P connections fit where one address fits P: with the 500-port range and two
// addresses, all 1,000 connect() calls succeed, 500 from each address, each leaving its
// TIME-WAIT on the client under its own address. A smaller range moves the expectation with
// it: P successes per address, then EADDRNOTAVAIL at N x P x interval.
//
// Why IP_BIND_ADDRESS_NO_PORT: without it bind(addr, 0) must pick a port before the destination
// is known, so the port is reserved for every destination (inet_csk_find_open_port()) and
// connect()'s own search skips ports a bind() holds — a load generator that binds to choose
// its source address would run out of ports far sooner.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/short_connections.h"

namespace synack::sim::scenarios {
namespace {

constexpr int kAttempts = 1000;  // 100 per second for 10 s, as port-exhaustion
constexpr Duration kInterval = Duration::millis(10);
const wire::Ipv4Address kSecondAddr = wire::Ipv4Address::from_octets(10, 0, 0, 3);

constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kDefaults = {{
    {"net.ipv4.ip_local_port_range", "40000 40499"},
}};

int64_t ports_in_range(const stack::Sysctls& s) {
  const auto r = s.values(stack::SysctlId::kIpLocalPortRange);
  return r.size() == 2 ? r[1] - r[0] + 1 : 0;
}

// TIME-WAIT entries of the host whose local address is `addr`.
int time_wait_entries(const HostLog& log, wire::Ipv4Address addr) {
  int n = 0;
  for (const StateSeen& s : log.states)
    n += s.to == tcp::State::kTimeWait && s.tuple.local_addr == addr ? 1 : 0;
  return n;
}

int time_wait_entries(const HostLog& log) {
  int n = 0;
  for (const StateSeen& s : log.states)
    n += s.to == tcp::State::kTimeWait ? 1 : 0;
  return n;
}

Outcome run(const RunContext& ctx) {
  const std::vector<wire::Ipv4Address> sources = {Rig::client_address(), kSecondAddr};
  Rig rig{ctx, {kSecondAddr}};
  rig.ladder_first_connection_only();
  if (!rig.open()) return setup_error(rig.error());
  ShortConnections load{rig, {.connections = kAttempts, .interval = kInterval, .sources = sources}};
  if (!load.start()) return setup_error("the server cannot listen on port 80");
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  const auto n = static_cast<int64_t>(sources.size());
  const int64_t ports = ports_in_range(ctx.sysctls);
  const int64_t per_address = kAttempts / n;  // calls alternate between the addresses
  const bool reuse = ctx.sysctls.get(stack::SysctlId::kTcpTwReuse) == 1 &&
                     ctx.sysctls.get_bool(stack::SysctlId::kTcpTimestamps);
  // Each address succeeds until its ports run out (none do with tcp_tw_reuse = 1).
  const int64_t expect_each = reuse ? per_address : std::min(ports, per_address);
  const int64_t expect_all = expect_each * n;
  const std::string split =
      fmt::format("{} from {}, {} from {}", load.established_from(0), to_string(sources[0]),
                  load.established_from(1), to_string(sources[1]));

  std::vector<Check> checks;
  std::string summary;
  checks.push_back(check(
      fmt::format("{} connect() calls succeed, {} from each address ({} ports x {} addresses{})",
                  expect_all, expect_each, ports, n, reuse ? ", tcp_tw_reuse = 1" : ""),
      fmt::format("{} connected ({}), {} EADDRNOTAVAIL", load.established(), split,
                  load.eaddrnotavail()),
      load.established() == expect_all && load.established_from(0) == expect_each &&
          load.established_from(1) == expect_each && load.other_errors() == 0));
  if (expect_all == kAttempts) {
    checks.push_back(check("no connect() call fails with EADDRNOTAVAIL",
                           fmt::format("{}", load.eaddrnotavail()), load.eaddrnotavail() == 0));
    summary = fmt::format("{} connections on {} ports x {} addresses ({}), no EADDRNOTAVAIL",
                          load.established(), ports, n, split);
  } else {
    const Instant expected_at = Instant::zero() + kInterval * (expect_all);
    checks.push_back(
        check(fmt::format("connect() call {} fails with EADDRNOTAVAIL at {}, and every later one",
                          expect_all + 1, seconds(expected_at)),
              load.eaddrnotavail() > 0
                  ? fmt::format("first at {}, {} in all", seconds(load.first_eaddrnotavail()),
                                load.eaddrnotavail())
                  : "never",
              load.connected_before_failure() == expect_all &&
                  load.first_eaddrnotavail() == expected_at &&
                  load.eaddrnotavail() == kAttempts - expect_all));
    summary =
        fmt::format("{} connections ({}), then EADDRNOTAVAIL at {}", load.established(), split,
                    load.eaddrnotavail() > 0 ? seconds(load.first_eaddrnotavail()) : "-");
  }
  const int tw_first = time_wait_entries(rig.client_log(), sources[0]);
  const int tw_second = time_wait_entries(rig.client_log(), sources[1]);
  checks.push_back(check(
      "the client, closing first, holds every TIME-WAIT, under the address each connection used; "
      "the server none",
      fmt::format("client {} + {}, server {}", tw_first, tw_second,
                  time_wait_entries(rig.server_log())),
      tw_first == load.established_from(0) && tw_second == load.established_from(1) &&
          time_wait_entries(rig.server_log()) == 0 && ended));
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& port_exhaustion_more_addresses() {
  static const Scenario kScenario{
      .name = "port-exhaustion-more-addresses",
      .summary = "the port-exhaustion fix of more source addresses: 1000 connections, 500 each",
      .explanation =
          "The same 1,000 short connections as port-exhaustion, with the same 500-port range, "
          "from a client with two addresses (10.0.0.1 and 10.0.0.3). Before each connect() the "
          "client binds the socket to one address in turn with IP_BIND_ADDRESS_NO_PORT, so the "
          "port is chosen at connect() for the whole 4-tuple. A 4-tuple includes the local "
          "address, so each address has all 500 ports towards the server: every call succeeds, "
          "500 from each address, and the TIME-WAITs sit on the client under both addresses. "
          "bind(addr, 0) without the option would reserve each port for every destination "
          "before connect() is even called.",
      .default_sysctls = kDefaults,
      .run = run,
      .link = "client 10.0.0.1 and 10.0.0.3 <-> server 10.0.0.2:80, 10 ms one way",
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
