#include "link/sim_link.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "link/link_test_util.h"
#include "sim/simulator.h"

namespace synack::link {
namespace {

using namespace synack::literals;
using testing::Collector;
using testing::EventLog;

TEST(TransmissionTime, IsBitsOverBandwidthRoundedUpToANanosecond) {
  EXPECT_EQ(transmission_time(1500, 0), Duration::zero());                // unlimited
  EXPECT_EQ(transmission_time(1500, 12'000'000), Duration::millis(1));    // 12000 bits
  EXPECT_EQ(transmission_time(125, 1'000'000'000), Duration::micros(1));  // 1000 bits at 1G
  EXPECT_EQ(transmission_time(1, 3'000'000'000), Duration::nanos(3));     // 8/3 ns -> 3
  EXPECT_EQ(transmission_time(65535, 1'000), Duration::nanos(524'280'000'000));
}

TEST(SimLink, ArrivalIsLatencyPlusSerializationAndPacketsQueueBehindEachOther) {
  sim::Simulator sim{1};
  Collector sink;
  // 8 Mbit/s: one byte per microsecond, so an N-byte packet serializes in N us.
  SimLink& link = sim.add_link("a->b", {.latency = 5_ms, .bandwidth_bps = 8'000'000}, sink);
  const auto p = testing::tcp_packet(0x10, 1, 960);  // 20 + 20 + 960 = 1000 bytes
  ASSERT_EQ(p.size(), 1000u);
  sim.at(Instant::zero() + 1_s, [&](Instant now) {
    link.push(sim.pool().copy(p), now);  // departs 1 s, done 1 s + 1 ms
    link.push(sim.pool().copy(p), now);  // waits behind the first: done 1 s + 2 ms
  });
  sim.at(Instant::zero() + 1_s + 5_ms, [&](Instant now) {
    link.push(sim.pool().copy(p), now);  // link idle again: done 1.005 s + 1 ms
  });
  sim.run();
  ASSERT_EQ(sink.arrivals.size(), 3u);
  const Instant t0 = Instant::zero() + 1_s;
  EXPECT_EQ(sink.arrivals[0].at, t0 + 1_ms + 5_ms);
  EXPECT_EQ(sink.arrivals[1].at, t0 + 2_ms + 5_ms);
  EXPECT_EQ(sink.arrivals[2].at, t0 + 5_ms + 1_ms + 5_ms);
  EXPECT_EQ(sink.arrivals[0].bytes, p);
  EXPECT_EQ(link.counters().packets_out, 3u);
  EXPECT_EQ(link.counters().bytes_out, 3000u);
  EXPECT_EQ(sim.pool().live(), 0u);
}

TEST(SimLink, FullQueueTailDropsAndCountsIt) {
  sim::Simulator sim{1};
  Collector sink;
  EventLog log;
  SimLink& link =
      sim.add_link("a->b", {.latency = 1_ms, .bandwidth_bps = 8'000'000, .queue_packets = 3}, sink);
  link.set_observer(&log);
  const auto p = testing::tcp_packet(0x10, 1, 960);
  sim.at(Instant::zero(), [&](Instant now) {
    for (int i = 0; i < 5; ++i)
      link.push(sim.pool().copy(p), now);  // 3 fit (one on the wire + two waiting)
  });
  // At 1 ms the first has left the queue: room for exactly one more.
  sim.at(Instant::zero() + 1_ms, [&](Instant now) {
    link.push(sim.pool().copy(p), now);
    link.push(sim.pool().copy(p), now);
  });
  sim.run();
  EXPECT_EQ(sink.arrivals.size(), 4u);
  EXPECT_EQ(link.counters().drops(DropReason::kQueueFull), 3u);
  EXPECT_EQ(link.counters().drops_total(), 3u);
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[0].kind, LinkEventKind::kDropped);
  EXPECT_EQ(log.events[0].reason, DropReason::kQueueFull);
  EXPECT_EQ(log.events[2].at, Instant::zero() + 1_ms);
  // The fourth accepted packet starts after the three before it: 3 ms + 1 ms + latency.
  EXPECT_EQ(sink.arrivals[3].at, Instant::zero() + 4_ms + 1_ms);
}

TEST(SimLink, LossRateMatchesProbability) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    sim::Simulator sim{seed};
    Collector sink;
    SimLink& link = sim.add_link("a->b", {.latency = 1_ms, .loss = 0.1}, sink);
    const auto p = testing::tcp_packet(0x10, 1);
    constexpr int kN = 40'000;
    for (int i = 0; i < kN; ++i)
      link.push(sim.pool().copy(p), sim.now());
    sim.run();
    const auto lost = link.counters().drops(DropReason::kRandomLoss);
    EXPECT_EQ(lost + sink.arrivals.size(), static_cast<size_t>(kN));
    // Binomial(40000, 0.1): sd = 60; 5 sd either side.
    EXPECT_NEAR(static_cast<double>(lost), 4'000.0, 300.0);
  }
}

TEST(SimLink, DuplicationAndReorderingHappenAtTheirRates) {
  const uint64_t seed = 7;
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  sim::Simulator sim{seed};
  Collector sink;
  SimLink& link = sim.add_link(
      "a->b", {.latency = 1_ms, .duplicate = 0.05, .reorder = 0.1, .reorder_delay = 3_ms}, sink);
  constexpr int kN = 20'000;
  for (int i = 0; i < kN; ++i)
    sim.at(Instant::zero() + Duration::millis(i),
           [&, i](Instant now) { link.push(sim.pool().copy(testing::tcp_packet(0x10, i)), now); });
  sim.run();
  const auto dup = link.counters().duplicated;
  const auto reordered = link.counters().reordered;
  EXPECT_EQ(sink.arrivals.size(), kN + dup);
  EXPECT_NEAR(static_cast<double>(dup), 1000.0, 5 * std::sqrt(kN * 0.05 * 0.95));
  EXPECT_NEAR(static_cast<double>(reordered), 2000.0, 5 * std::sqrt(kN * 0.1 * 0.9));
  // Out-of-order arrivals: a packet whose sequence number is below one that arrived earlier.
  int inversions = 0;
  int duplicates_seen = 0;
  uint32_t highest = 0;
  uint32_t prev = UINT32_MAX;
  for (const auto& a : sink.arrivals) {
    const auto parsed = wire::parse_packet(a.bytes);
    ASSERT_TRUE(parsed.has_value());
    const uint32_t seq = parsed->tcp.seq.raw();
    if (seq == prev) ++duplicates_seen;
    if (seq < highest) ++inversions;
    highest = std::max(highest, seq);
    prev = seq;
  }
  EXPECT_GT(inversions, 0);
  EXPECT_GT(duplicates_seen, 0);
}

// The per-packet arrival record of a lossy, duplicating, reordering link.
std::vector<std::pair<int64_t, std::vector<uint8_t>>> run_lossy(uint64_t seed) {
  sim::Simulator sim{seed};
  Collector sink;
  SimLink& link = sim.add_link("a->b",
                               {.latency = 2_ms,
                                .bandwidth_bps = 10'000'000,
                                .queue_packets = 50,
                                .loss = 0.2,
                                .duplicate = 0.05,
                                .reorder = 0.05,
                                .reorder_delay = 1_ms},
                               sink);
  for (int i = 0; i < 500; ++i)
    sim.at(Instant::zero() + Duration::micros(100 * i), [&, i](Instant now) {
      link.push(sim.pool().copy(testing::tcp_packet(0x18, i * 100, i % 200)), now);
    });
  sim.run();
  std::vector<std::pair<int64_t, std::vector<uint8_t>>> out;
  for (auto& a : sink.arrivals)
    out.emplace_back(a.at.ns(), std::move(a.bytes));
  return out;
}

TEST(SimLink, SameSeedSameRunDifferentSeedDifferentRun) {
  const auto a = run_lossy(11);
  const auto b = run_lossy(11);
  const auto c = run_lossy(12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(SimLink, UnconnectedLinkDropsWithAReason) {
  sim::Simulator sim{1};
  SimLink link{"loose", sim, sim.pool(), Rng{1}, {}};
  link.push(sim.pool().copy(testing::tcp_packet(0x02, 1)), sim.now());
  EXPECT_EQ(link.counters().drops(DropReason::kNotConnected), 1u);
  EXPECT_EQ(sim.pool().live(), 0u);
}

}  // namespace
}  // namespace synack::link
