// Two synack Stacks in the simulator: handshake, data both ways, four-way close, TIME-WAIT.
#include "sim/stack_host.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "base/rng.h"
#include "sim/simulator.h"

namespace synack::sim {
namespace {

using namespace synack::literals;

const auto kAddrA = wire::Ipv4Address::from_octets(10, 0, 0, 1);
const auto kAddrB = wire::Ipv4Address::from_octets(10, 0, 0, 2);

struct Pair {
  explicit Pair(uint64_t seed, const link::LinkParams& params)
      : sim(seed),
        a({.address = kAddrA}, seed * 2 + 1, sim.pool()),
        b({.address = kAddrB}, seed * 2 + 2, sim.pool()) {
    ia = sim.add_host(a, "a");
    ib = sim.add_host(b, "b");
    auto cable = sim.add_cable(ia, ib, params);
    a.attach(cable.a_to_b);
    b.attach(cable.b_to_a);
  }
  void poke() {
    sim.poke(ia);
    sim.poke(ib);
  }
  Simulator sim;
  StackHost a;
  StackHost b;
  HostId ia = 0;
  HostId ib = 0;
};

TEST(StackHost, TransferBothWaysAndCloseReachesClosedAfterTimeWait) {
  Pair p(7, link::LinkParams{.latency = 5_ms});
  Stack& cs = p.a.stack();
  Stack& ss = p.b.stack();
  const SocketId l = ss.socket().value();
  ASSERT_EQ(ss.bind(l, Endpoint{kAddrB, 80}), 0);
  ASSERT_EQ(ss.listen(l, 16, p.sim.now()), 0);
  const SocketId c = cs.socket().value();
  ASSERT_EQ(cs.connect(c, Endpoint{kAddrB, 80}, p.sim.now()), EINPROGRESS);
  p.poke();
  p.sim.run_for(100_ms);
  ASSERT_NE(cs.readiness(c) & ready::kOut, 0u);
  auto acc = ss.accept(l, p.sim.now());
  ASSERT_TRUE(acc.has_value());
  const SocketId s = acc.value();
  EXPECT_EQ(cs.info(c)->state, tcp::State::kEstablished);
  EXPECT_EQ(ss.info(s)->state, tcp::State::kEstablished);

  Rng rng(99);
  std::vector<uint8_t> up(300'000), down(50'000);
  rng.fill(up.data(), up.size());
  rng.fill(down.data(), down.size());
  size_t up_sent = 0, down_sent = 0;
  std::vector<uint8_t> got_up, got_down;
  std::vector<uint8_t> buf(70'000);
  bool c_closed = false, s_closed = false;
  for (int i = 0; i < 20'000 && !(c_closed && s_closed); ++i) {
    const Instant now = p.sim.now();
    if (up_sent < up.size()) {
      auto r = cs.send(c, std::span(up).subspan(up_sent), now);
      if (r) up_sent += r.value();
    } else if (!c_closed && got_down.size() == down.size()) {
      ASSERT_EQ(cs.close(c, now), 0);
      c_closed = true;
    }
    if (down_sent < down.size()) {
      auto r = ss.send(s, std::span(down).subspan(down_sent), now);
      if (r) down_sent += r.value();
    }
    for (;;) {
      auto r = ss.recv(s, buf, now);
      if (!r || r.value() == 0) {
        if (r && r.value() == 0 && !s_closed && down_sent == down.size()) {
          ASSERT_EQ(ss.close(s, now), 0);  // EOF: the client closed first
          s_closed = true;
        }
        break;
      }
      got_up.insert(got_up.end(), buf.begin(), buf.begin() + long(r.value()));
    }
    for (;;) {
      if (c_closed) break;
      auto r = cs.recv(c, buf, now);
      if (!r || r.value() == 0) break;
      got_down.insert(got_down.end(), buf.begin(), buf.begin() + long(r.value()));
    }
    p.poke();
    p.sim.run_for(1_ms);
  }
  ASSERT_TRUE(c_closed && s_closed);
  EXPECT_EQ(got_up, up);
  EXPECT_EQ(got_down, down);
  p.sim.run_for(1_s);
  // The client closed first: it alone holds the tuple in TIME-WAIT (SPEC §9.1).
  EXPECT_EQ(ss.connection_count(), 0u);
  ASSERT_EQ(cs.connection_count(), 1u);
  p.sim.run_for(60_s);
  EXPECT_EQ(cs.connection_count(), 0u);
  EXPECT_TRUE(cs.next_deadline().is_infinite());
  EXPECT_TRUE(ss.next_deadline().is_infinite());
  EXPECT_EQ(cs.counters()[stack::Counter::kTcpActiveOpens], 1u);
  EXPECT_EQ(ss.counters()[stack::Counter::kTcpPassiveOpens], 1u);
  EXPECT_EQ(cs.counters()[stack::Counter::kTcpExtTW], 1u);
  EXPECT_EQ(cs.counters()[stack::Counter::kTcpCurrEstab], 0u);
  EXPECT_EQ(ss.counters()[stack::Counter::kTcpCurrEstab], 0u);
  EXPECT_EQ(p.sim.pool().live(), 0u);
}

}  // namespace
}  // namespace synack::sim
