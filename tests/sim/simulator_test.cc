#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "link/link_test_util.h"

namespace synack::sim {
namespace {

using namespace synack::literals;

// A host that records arrivals and fires a timer list.
class FakeHost final : public Host {
 public:
  void receive(PacketPtr packet, Instant now) override {
    log.push_back("rx " + std::to_string(packet->size()) + " @" + to_string(now));
  }
  void advance(Instant now) override {
    ++advances;
    while (!deadlines.empty() && deadlines.front() <= now) {
      log.push_back("timer @" + to_string(now));
      deadlines.erase(deadlines.begin());
    }
  }
  [[nodiscard]] Instant next_deadline() const override {
    return deadlines.empty() ? Instant::infinite() : deadlines.front();
  }
  std::vector<Instant> deadlines;
  std::vector<std::string> log;
  int advances = 0;
};

class CountingTimer final : public Timer {
 public:
  explicit CountingTimer(std::vector<int>& order, int id) : order_(order), id_(id) {}
  void fire(Instant) override { order_.push_back(id_); }

 private:
  std::vector<int>& order_;
  int id_;
};

TEST(Simulator, SameInstantEventsRunInInsertionOrder) {
  Simulator sim{1};
  std::vector<int> order;
  std::vector<CountingTimer> timers;
  timers.reserve(6);
  for (int i = 0; i < 6; ++i)
    timers.emplace_back(order, i);
  const Instant t = Instant::zero() + 5_ms;
  sim.schedule(t, timers[3]);
  sim.schedule(t, timers[1]);
  sim.schedule(t - 1_ms, timers[5]);
  sim.schedule(t, timers[4]);
  sim.at(t, [&](Instant) { order.push_back(100); });
  sim.schedule(t, timers[0]);
  sim.run();
  EXPECT_EQ(order, (std::vector<int>{5, 3, 1, 4, 100, 0}));
  EXPECT_EQ(sim.now(), t);
  EXPECT_EQ(sim.events_processed(), 6u);
}

TEST(Simulator, WakesHostsAtTheirDeadlinesAndSkipsStaleWakeUps) {
  Simulator sim{1};
  FakeHost h;
  h.deadlines = {Instant::zero() + 1_s, Instant::zero() + 3_s};
  const HostId id = sim.add_host(h, "h");
  // At 2 s a test changes the host from outside: the 3 s deadline moves to 2.5 s.
  sim.at(Instant::zero() + 2_s, [&](Instant) { h.deadlines = {Instant::zero() + 2500_ms}; });
  sim.run();
  EXPECT_EQ(h.log, (std::vector<std::string>{"timer @1.000000", "timer @2.500000"}));
  // 1 s and 2.5 s; the wake queued for 3 s was stale and skipped.
  EXPECT_EQ(h.advances, 2);
  EXPECT_EQ(sim.now(), Instant::zero() + 2500_ms);
  (void)id;
}

TEST(Simulator, PokeReadsANewDeadline) {
  Simulator sim{1};
  FakeHost h;
  const HostId id = sim.add_host(h, "h");
  EXPECT_FALSE(sim.step());
  h.deadlines = {Instant::zero() + 4_s};
  sim.poke(id);
  sim.run();
  EXPECT_EQ(h.log, (std::vector<std::string>{"timer @4.000000"}));
}

TEST(Simulator, RunUntilStopsAtTheBoundaryAndAdvancesTheClock) {
  Simulator sim{1};
  std::vector<int> order;
  CountingTimer a{order, 1}, b{order, 2};
  sim.schedule(Instant::zero() + 1_s, a);
  sim.schedule(Instant::zero() + 2_s + 1_ns, b);
  sim.run_until(Instant::zero() + 2_s);
  EXPECT_EQ(order, std::vector<int>{1});
  EXPECT_EQ(sim.now(), Instant::zero() + 2_s);
  sim.run_for(1_s);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(sim.now(), Instant::zero() + 3_s);
}

TEST(Simulator, CableDeliversIntoHostsAndPendingPacketsReturnToThePool) {
  auto sim = std::make_unique<Simulator>(1);
  FakeHost a, b;
  const HostId ia = sim->add_host(a, "a");
  const HostId ib = sim->add_host(b, "b");
  auto cable = sim->add_cable(ia, ib, {.latency = 10_ms});
  EXPECT_EQ(cable.a_to_b.name(), "a->b");
  EXPECT_EQ(cable.b_to_a.name(), "b->a");
  cable.a_to_b.push(sim->pool().copy(link::testing::tcp_packet(0x02, 1)), sim->now());
  cable.b_to_a.push(sim->pool().copy(link::testing::tcp_packet(0x12, 1, 5)), sim->now());
  sim->run_until(Instant::zero() + 10_ms);
  EXPECT_EQ(b.log, std::vector<std::string>{"rx 40 @0.010000"});
  EXPECT_EQ(a.log, std::vector<std::string>{"rx 45 @0.010000"});
  // A packet still in flight when the simulator is destroyed goes back to the pool
  // (the pool asserts in its destructor otherwise).
  cable.a_to_b.push(sim->pool().copy(link::testing::tcp_packet(0x10, 2)), sim->now());
  EXPECT_EQ(sim->pool().live(), 1u);
  sim.reset();
}

TEST(Simulator, PacketBuffersAreReusedNotReallocated) {
  Simulator sim{1};
  FakeHost h;
  const HostId id = sim.add_host(h, "h");
  link::SimLink& l = sim.add_link("x->h", {.latency = 1_ms}, sim.inbox(id));
  const auto p = link::testing::tcp_packet(0x10, 1, 1000);
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 10; ++i)
      l.push(sim.pool().copy(p), sim.now());
    sim.run();
  }
  EXPECT_EQ(h.log.size(), 1000u);
  EXPECT_LE(sim.pool().created(), 10u);
  EXPECT_EQ(sim.pool().live(), 0u);
}

}  // namespace
}  // namespace synack::sim
