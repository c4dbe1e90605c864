// Port exhaustion (SPEC §14.1, §9.8, issue 4 "Checked by"): one client host making short
// connections to one server port, two simulated stacks over a 1 ms link.
//   - client closes first: TIME-WAIT lands on the client and holds each port for 60 s, so
//     exactly (ports in ip_local_port_range) connections succeed, then connect() fails with
//     EADDRNOTAVAIL — well within 60 s;
//   - the same with tcp_tw_reuse = 1 and timestamps: connect() takes over TIME-WAIT tuples
//     whose last timestamp is over 1 s old, so more connections than ports succeed and
//     connect() never fails;
//   - server closes first: TIME-WAIT lands on the server, the client's ports come back at
//     LAST-ACK → CLOSED, and the client never runs out.
// The client opens kPerMs connections per simulated millisecond. Range: 40000-43999 (4,000
// ports) set through net.ipv4.ip_local_port_range, not the default 28,232: near exhaustion
// every connect() scans the whole range (as Linux's __inet_hash_connect() does), so the
// default range made the first test take ~400 s under ASan (the other two ~10 s each).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "stack/counters.h"

namespace synack::sim {
namespace {

using namespace synack::literals;

const auto kClient = wire::Ipv4Address::from_octets(10, 0, 0, 1);
const auto kServer = wire::Ipv4Address::from_octets(10, 0, 0, 2);
constexpr uint16_t kPort = 80;
constexpr int kPerMs = 2;  // 2,000 connections per simulated second
constexpr int kRangeLo = 40000;
constexpr int kRangeHi = 43999;
constexpr int kPorts = kRangeHi - kRangeLo + 1;

struct Outcome {
  int succeeded = 0;  // handshakes completed
  int refused_addr = 0;
  Instant first_eaddrnotavail = Instant::infinite();
  Instant last_success;
  int other_errors = 0;
};

struct World {
  explicit World(uint64_t seed)
      : sim(seed),
        client({.address = kClient}, seed * 2 + 1, sim.pool()),
        server({.address = kServer}, seed * 2 + 2, sim.pool()) {
    ic = sim.add_host(client, "client");
    is = sim.add_host(server, "server");
    auto cable = sim.add_cable(ic, is, link::LinkParams{.latency = 1_ms});
    client.attach(cable.a_to_b);
    server.attach(cable.b_to_a);
  }

  // Runs until `stop_after` successes, the first EADDRNOTAVAIL (if stop_on_fail) or `limit`.
  Outcome run(bool server_closes_first, int stop_after, bool stop_on_fail, Duration limit) {
    Stack& cs = client.stack();
    Stack& ss = server.stack();
    EXPECT_TRUE(cs.sysctls()
                    .set("net.ipv4.ip_local_port_range",
                         std::to_string(kRangeLo) + " " + std::to_string(kRangeHi))
                    .has_value());
    const SocketId l = ss.socket().value();
    EXPECT_EQ(ss.bind(l, Endpoint{kServer, kPort}), 0);
    EXPECT_EQ(ss.listen(l, 4096, sim.now()), 0);
    Outcome out;
    std::vector<SocketId> connecting, client_open, server_open;
    const Instant start = sim.now();
    char buf[16];
    // After the first EADDRNOTAVAIL (stop_on_fail) no new connect(); the handshakes already
    // under way finish (they hold ports too) for `drain` more.
    Instant stop_at = Instant::infinite();
    const Duration drain = 100_ms;
    while (sim.now() - start < limit && out.succeeded < stop_after &&
           (stop_at.is_infinite() || sim.now() < stop_at + drain)) {
      const Instant now = sim.now();
      for (int k = 0; k < kPerMs && stop_at.is_infinite(); ++k) {
        const SocketId s = cs.socket().value();
        const int rc = cs.connect(s, Endpoint{kServer, kPort}, now);
        if (rc == EINPROGRESS) {
          connecting.push_back(s);
          continue;
        }
        (void)cs.close(s, now);
        if (rc == EADDRNOTAVAIL) {
          ++out.refused_addr;
          if (out.first_eaddrnotavail.is_infinite()) out.first_eaddrnotavail = now;
        } else {
          ++out.other_errors;
        }
      }
      if (stop_on_fail && out.refused_addr > 0 && stop_at.is_infinite()) stop_at = now;
      // Client: completed handshakes; the client closes at once or waits for the server's FIN.
      std::erase_if(connecting, [&](SocketId s) {
        const uint32_t r = cs.readiness(s);
        if ((r & ready::kErr) != 0) {
          ++out.other_errors;
          (void)cs.close(s, now);
          return true;
        }
        if ((r & ready::kOut) == 0) return false;
        ++out.succeeded;
        out.last_success = now;
        if (server_closes_first) {
          client_open.push_back(s);
        } else {
          EXPECT_EQ(cs.close(s, now), 0);
        }
        return true;
      });
      std::erase_if(client_open, [&](SocketId s) {
        auto r = cs.recv(s, std::span(reinterpret_cast<uint8_t*>(buf), sizeof buf), now);
        if (!r || *r != 0) return false;
        EXPECT_EQ(cs.close(s, now), 0);  // EOF: close in turn
        return true;
      });
      // Server: accept; close at once, or after the client's FIN.
      for (;;) {
        auto a = ss.accept(l, now);
        if (!a) break;
        if (server_closes_first) {
          EXPECT_EQ(ss.close(*a, now), 0);
        } else {
          server_open.push_back(*a);
        }
      }
      std::erase_if(server_open, [&](SocketId s) {
        auto r = ss.recv(s, std::span(reinterpret_cast<uint8_t*>(buf), sizeof buf), now);
        if (!r || *r != 0) return false;
        EXPECT_EQ(ss.close(s, now), 0);
        return true;
      });
      sim.poke(ic);
      sim.poke(is);
      sim.run_for(1_ms);
    }
    return out;
  }

  Simulator sim;
  StackHost client;
  StackHost server;
  HostId ic = 0;
  HostId is = 0;
};

void print(const char* what, const Outcome& o, const World& w) {
  std::printf(
      "[ ports    ] %s: %d connections in %.3f s, EADDRNOTAVAIL %d (first at %.3f s), client "
      "TIME-WAIT %zu, server TIME-WAIT %zu, TWRecycled %llu\n",
      what, o.succeeded, o.last_success.since_epoch().secs(), o.refused_addr,
      o.first_eaddrnotavail.is_infinite() ? -1.0 : o.first_eaddrnotavail.since_epoch().secs(),
      w.client.stack().time_wait_count(), w.server.stack().time_wait_count(),
      static_cast<unsigned long long>(
          w.client.stack().counters()[stack::Counter::kTcpExtTWRecycled]));
}

TEST(PortExhaustion, ClientClosingFirstRunsOutAfterTheRange) {
  World w(1);
  const Outcome o =
      w.run(/*server_closes_first=*/false, kPorts + 1000, /*stop_on_fail=*/true, 60_s);
  print("client closes first", o, w);
  EXPECT_EQ(o.succeeded, kPorts);
  EXPECT_GT(o.refused_addr, 0);
  EXPECT_LT(o.first_eaddrnotavail, Instant::zero() + 60_s);
  EXPECT_EQ(o.other_errors, 0);
  EXPECT_EQ(w.client.stack().time_wait_count(), static_cast<size_t>(kPorts));
  EXPECT_EQ(w.server.stack().time_wait_count(), 0u);
}

TEST(PortExhaustion, TwReuseWithTimestampsDoesNotRunOut) {
  World w(2);
  ASSERT_TRUE(w.client.stack().sysctls().set_value(stack::SysctlId::kTcpTwReuse, 1).has_value());
  const Outcome o = w.run(false, kPorts + 2000, false, 60_s);
  print("client closes first, tcp_tw_reuse=1", o, w);
  EXPECT_EQ(o.succeeded, kPorts + 2000);
  EXPECT_LT(o.last_success, Instant::zero() + 60_s);
  EXPECT_EQ(o.refused_addr, 0);
  EXPECT_EQ(o.other_errors, 0);
  EXPECT_GE(w.client.stack().counters()[stack::Counter::kTcpExtTWRecycled], 2000u);
}

TEST(PortExhaustion, ServerClosingFirstKeepsTimeWaitOnTheServer) {
  World w(3);
  const Outcome o = w.run(/*server_closes_first=*/true, kPorts + 2000, false, 60_s);
  print("server closes first", o, w);
  EXPECT_EQ(o.succeeded, kPorts + 2000);
  EXPECT_LT(o.last_success, Instant::zero() + 60_s);
  EXPECT_EQ(o.refused_addr, 0);
  EXPECT_EQ(o.other_errors, 0);
  EXPECT_EQ(w.client.stack().time_wait_count(), 0u);
  // One record per tuple: client ports come round again while the server still holds their
  // TIME-WAIT, and the new SYN takes the tuple over (SPEC §9.5, counted as TWKilled).
  EXPECT_GT(w.server.stack().time_wait_count(), 0u);
  EXPECT_LE(w.server.stack().time_wait_count(), static_cast<size_t>(kPorts));
  EXPECT_GE(w.server.stack().counters()[stack::Counter::kTcpExtTWKilled], 2000u);
}

}  // namespace
}  // namespace synack::sim
