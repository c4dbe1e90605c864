// port-exhaustion and its fixes: short connections from one client address to one server port
// (SPEC §9.8, §14.1, §17).
//
// Expected (Linux): a connection the client closes first holds its local port in TIME-WAIT
// for 60 s, and connect() to the same server address and port needs a port not already used
// with it (__inet_hash_connect()). With P ports in net.ipv4.ip_local_port_range the first P
// connect() calls succeed and the next fails with EADDRNOTAVAIL — at P x interval, long before
// the first TIME-WAIT ends — unless net.ipv4.tcp_tw_reuse = 1 with timestamps, which lets
// connect() take over a TIME-WAIT tuple whose last timestamp is over tcp_tw_reuse_delay old
// (tcp_twsk_unique()); then no connect() fails. Two workload changes avoid the problem too:
// keep-alive (many requests on one connection, one port) and letting the server close first
// (TIME-WAIT lands on the server, whose port is the shared :80; the client's ports come back
// at LAST-ACK -> CLOSED).
//
// One file, three scenarios: the fixes share the workload and differ in one choice each.
#include <fmt/format.h>

#include <array>
#include <utility>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/short_connections.h"

namespace synack::sim::scenarios {
namespace {

constexpr int kAttempts = 1000;  // 100 per second for 10 s
constexpr Duration kInterval = Duration::millis(10);

constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kDefaults = {{
    {"net.ipv4.ip_local_port_range", "40000 40499"},
}};

int64_t ports_in_range(const stack::Sysctls& s) {
  const auto r = s.values(stack::SysctlId::kIpLocalPortRange);
  return r.size() == 2 ? r[1] - r[0] + 1 : 0;
}

int time_wait_entries(const HostLog& log) {
  int n = 0;
  for (const StateSeen& s : log.states)
    n += s.to == tcp::State::kTimeWait ? 1 : 0;
  return n;
}

Outcome run_client_closes(const RunContext& ctx) {
  Rig rig{ctx};
  rig.ladder_first_connection_only();
  if (!rig.open()) return setup_error(rig.error());
  ShortConnections load{rig, {.connections = kAttempts, .interval = kInterval}};
  if (!load.start()) return setup_error("the server cannot listen on port 80");
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  const int64_t ports = ports_in_range(ctx.sysctls);
  const Duration tw_len = ctx.sysctls.duration(stack::SysctlId::kTimeWaitLen);
  const bool reuse = ctx.sysctls.get(stack::SysctlId::kTcpTwReuse) == 1 &&
                     ctx.sysctls.get_bool(stack::SysctlId::kTcpTimestamps);
  std::vector<Check> checks;
  std::string summary;
  if (reuse || ports >= kAttempts) {
    checks.push_back(check(
        reuse ? fmt::format("tcp_tw_reuse = 1 with timestamps: all {} connect() calls succeed "
                            "with {} ports",
                            kAttempts, ports)
              : fmt::format("{} ports are enough for {} connections", ports, kAttempts),
        fmt::format("{} connected, {} EADDRNOTAVAIL", load.established(), load.eaddrnotavail()),
        load.established() == kAttempts && load.eaddrnotavail() == 0 && load.other_errors() == 0));
    summary =
        fmt::format("{} connections on {} ports, no EADDRNOTAVAIL", load.established(), ports);
  } else {
    const Instant expected_at = Instant::zero() + kInterval * ports;
    checks.push_back(check(
        fmt::format("exactly {} connect() calls succeed (the ports in ip_local_port_range)", ports),
        fmt::format("{}", load.connected_before_failure()),
        load.connected_before_failure() == ports && load.established() == ports));
    checks.push_back(
        check(fmt::format("connect() call {} fails with EADDRNOTAVAIL at {}, before TIME-WAIT's {} "
                          "frees a port",
                          ports + 1, seconds(expected_at), seconds(tw_len)),
              load.eaddrnotavail() > 0 ? seconds(load.first_eaddrnotavail()) : "never",
              load.eaddrnotavail() > 0 && load.first_eaddrnotavail() == expected_at &&
                  expected_at - Instant::zero() < tw_len));
    checks.push_back(check(
        fmt::format("every later call fails too ({} of {})", kAttempts - ports, kAttempts),
        fmt::format("{} EADDRNOTAVAIL, {} other errors", load.eaddrnotavail(), load.other_errors()),
        load.eaddrnotavail() == kAttempts - ports && load.other_errors() == 0));
    summary =
        fmt::format("{} connections, then EADDRNOTAVAIL at {}", load.connected_before_failure(),
                    load.eaddrnotavail() > 0 ? seconds(load.first_eaddrnotavail()) : "-");
  }
  checks.push_back(
      check("the client, closing first, holds the TIME-WAITs; the server none",
            fmt::format("client {} entries, server {}", time_wait_entries(rig.client_log()),
                        time_wait_entries(rig.server_log())),
            time_wait_entries(rig.client_log()) == load.established() &&
                time_wait_entries(rig.server_log()) == 0 && ended));
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

Outcome run_keepalive(const RunContext& ctx) {
  Rig rig{ctx};
  rig.ladder_first_connection_only();
  if (!rig.open()) return setup_error(rig.error());
  ShortConnections load{rig, {.connections = 1, .interval = kInterval, .requests = kAttempts}};
  if (!load.start()) return setup_error("the server cannot listen on port 80");
  const bool ended = rig.run(Duration::seconds(24 * 3600));
  const int64_t ports = ports_in_range(ctx.sysctls);
  std::vector<Check> checks;
  checks.push_back(
      check(fmt::format("{} requests (more than the {} ports) answered on one connection",
                        kAttempts, ports),
            fmt::format("{} exchanges on {} connection(s), {} errors", load.exchanges(),
                        load.established(), load.other_errors() + load.eaddrnotavail()),
            load.exchanges() == kAttempts && load.established() == 1 && load.other_errors() == 0 &&
                load.eaddrnotavail() == 0));
  checks.push_back(check("one TIME-WAIT in all, on the client",
                         fmt::format("{}", time_wait_entries(rig.client_log())),
                         time_wait_entries(rig.client_log()) == 1 && ended));
  std::string summary =
      fmt::format("{} requests on one connection, one port, no EADDRNOTAVAIL", load.exchanges());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

Outcome run_server_closes(const RunContext& ctx) {
  Rig rig{ctx};
  rig.ladder_first_connection_only();
  if (!rig.open()) return setup_error(rig.error());
  ShortConnections load{
      rig, {.connections = kAttempts, .interval = kInterval, .server_closes_first = true}};
  if (!load.start()) return setup_error("the server cannot listen on port 80");
  const bool ended = rig.run(Duration::seconds(24 * 3600));
  const int64_t ports = ports_in_range(ctx.sysctls);
  const int client_tw = time_wait_entries(rig.client_log());
  const int server_tw = time_wait_entries(rig.server_log());
  std::vector<Check> checks;
  checks.push_back(
      check(fmt::format("all {} connect() calls succeed with {} ports", kAttempts, ports),
            fmt::format("{} connected, {} EADDRNOTAVAIL, {} exchanges", load.established(),
                        load.eaddrnotavail(), load.exchanges()),
            load.established() == kAttempts && load.eaddrnotavail() == 0 &&
                load.exchanges() == kAttempts && load.other_errors() == 0));
  checks.push_back(check("every TIME-WAIT is on the server (it closed first), none on the client",
                         fmt::format("server {} entries, client {}", server_tw, client_tw),
                         server_tw == kAttempts && client_tw == 0 && ended));
  std::string summary =
      fmt::format("{} connections on {} ports, no EADDRNOTAVAIL; {} TIME-WAIT on the server",
                  load.established(), ports, server_tw);
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& port_exhaustion() {
  static const Scenario kScenario{
      .name = "port-exhaustion",
      .summary = "short connections from one client: EADDRNOTAVAIL after 500 ports (or tw_reuse)",
      .explanation =
          "A client connects to one server address and port 100 times a second and closes each "
          "connection first, with ip_local_port_range narrowed to 500 ports. Every closed "
          "connection keeps its local port in TIME-WAIT for 60 s, and a new connection to the "
          "same server needs a port not in use with it, so after exactly 500 connections (5 s) "
          "connect() fails with EADDRNOTAVAIL and keeps failing until TIME-WAITs start to end. "
          "With --sysctl net.ipv4.tcp_tw_reuse=1 (and timestamps, the default) connect() may take "
          "over a TIME-WAIT tuple whose last timestamp is over a second old, and nothing fails. "
          "See port-exhaustion-keepalive and port-exhaustion-server-closes for the other fixes.",
      .default_sysctls = kDefaults,
      .run = run_client_closes,
  };
  return kScenario;
}

const Scenario& port_exhaustion_keepalive() {
  static const Scenario kScenario{
      .name = "port-exhaustion-keepalive",
      .summary = "the port-exhaustion fix that needs no sysctl: 1000 requests on one connection",
      .explanation =
          "The same 1,000 requests as port-exhaustion, with the same 500-port range, sent one "
          "after another on a single persistent (keep-alive) connection. One connection uses one "
          "local port and leaves one TIME-WAIT when it is finally closed, so the port range never "
          "matters; it also saves a handshake per request. Connection pools and HTTP keep-alive "
          "are the usual way to do this.",
      .default_sysctls = kDefaults,
      .run = run_keepalive,
  };
  return kScenario;
}

const Scenario& port_exhaustion_server_closes() {
  static const Scenario kScenario{
      .name = "port-exhaustion-server-closes",
      .summary = "the same 1000 short connections, server closing first: TIME-WAIT on the server",
      .explanation =
          "The same 1,000 short connections as port-exhaustion, with the same 500-port range, but "
          "the server closes each connection after its response and the client closes when it "
          "reads end-of-file. TIME-WAIT belongs to the side that closes first, so it now lands on "
          "the server, where every connection shares port 80 and costs no port; the client's "
          "ports come back as soon as its LAST-ACK is answered and all 1,000 connect() calls "
          "succeed. When a client port comes round again the server accepts the new SYN over its "
          "TIME-WAIT for that tuple (the sequence number or timestamp is newer).",
      .default_sysctls = kDefaults,
      .run = run_server_closes,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
