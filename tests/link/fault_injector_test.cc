#include "link/fault_injector.h"

#include <gtest/gtest.h>

#include "link/link_test_util.h"
#include "sim/simulator.h"

namespace synack::link {
namespace {

using namespace synack::literals;
using namespace wire::tcp_flags;
using testing::Collector;
using testing::EventLog;
using testing::tcp_packet;

class FaultInjectorTest : public ::testing::Test {
 protected:
  FaultInjectorTest() { faults.set_observer(&log); }

  // Pushes a packet through the injector at time `t` and runs the simulator up to it.
  void send_at(Instant t, const std::vector<uint8_t>& bytes) {
    sim.run_until(t);
    faults.push(sim.pool().copy(bytes), t);
  }
  void send(const std::vector<uint8_t>& bytes) { send_at(sim.now(), bytes); }

  sim::Simulator sim{1};
  Collector out;
  EventLog log;
  FaultInjector faults{"a->b faults", out, sim, sim.pool()};
};

TEST_F(FaultInjectorTest, DropNextSynFiresOnceOnTheFirstSynOnly) {
  const uint32_t r = faults.add(drop_next({.flags_all = kSyn}, "lost SYN"));
  send(tcp_packet(kAck, 5));
  send(tcp_packet(kSyn, 100));  // dropped
  send(tcp_packet(kSyn, 100));  // the retransmission gets through
  send(tcp_packet(kSyn | kAck, 7));
  ASSERT_EQ(out.arrivals.size(), 3u);
  EXPECT_EQ(out.arrivals[0].bytes, tcp_packet(kAck, 5));
  EXPECT_EQ(out.arrivals[1].bytes, tcp_packet(kSyn, 100));
  EXPECT_EQ(faults.fired(r), 1u);
  EXPECT_EQ(faults.counters().drops(DropReason::kFaultRule), 1u);
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].kind, LinkEventKind::kDropped);
  EXPECT_EQ(log.events[0].rule, "lost SYN");
}

TEST_F(FaultInjectorTest, FlagsExactAndFlagsNoneDistinguishSynFromSynAck) {
  faults.add(drop_next({.flags_all = kSyn, .flags_none = kAck}));
  faults.add(drop_next({.flags_exact = kSyn | kAck}));
  send(tcp_packet(kSyn | kAck, 1));  // second rule
  send(tcp_packet(kSyn | kAck, 2));  // passes
  send(tcp_packet(kSyn, 3));         // first rule
  ASSERT_EQ(out.arrivals.size(), 1u);
  EXPECT_EQ(out.arrivals[0].bytes, tcp_packet(kSyn | kAck, 2));
  EXPECT_EQ(faults.fired(0), 1u);
  EXPECT_EQ(faults.fired(1), 1u);
}

TEST_F(FaultInjectorTest, DropNthCountsOnlyMatchingPackets) {
  const uint32_t r = faults.add(drop_nth({.min_payload = 1}, 3, "third data segment"));
  for (uint32_t i = 0; i < 6; ++i) {
    send(tcp_packet(kAck, i));             // pure ACKs never match
    send(tcp_packet(kAck | kPsh, i, 10));  // data: the third one (i == 2) is dropped
  }
  EXPECT_EQ(out.arrivals.size(), 11u);
  EXPECT_EQ(faults.fired(r), 1u);
  ASSERT_EQ(faults.log().size(), 1u);
  for (const auto& a : out.arrivals)
    EXPECT_NE(a.bytes, tcp_packet(kAck | kPsh, 2, 10));
}

TEST_F(FaultInjectorTest, SeqAndPortPredicates) {
  faults.add(drop_next({.seq = 42}));
  faults.add(drop_next({.dst_port = 443}));  // never matches: the packets go to port 80
  send(tcp_packet(kAck, 41));
  send(tcp_packet(kAck, 42));
  send(tcp_packet(kAck, 42));
  EXPECT_EQ(out.arrivals.size(), 2u);
  EXPECT_EQ(faults.fired(0), 1u);
  EXPECT_EQ(faults.fired(1), 0u);
}

TEST_F(FaultInjectorTest, TimeWindowDropsEverythingInsideAndNothingOutside) {
  const Instant t0 = Instant::zero() + 10_s;
  const uint32_t r = faults.add(drop_during(t0, t0 + 5_s, {}, "B unreachable"));
  const std::vector<uint8_t> junk = {1, 2, 3};    // not even IPv4: an empty predicate matches it
  send_at(t0 - 1_ns, tcp_packet(kAck, 1));        // before: passes
  send_at(t0, tcp_packet(kAck, 2));               // dropped
  send_at(t0 + 1_s, junk);                        // dropped
  send_at(t0 + 5_s - 1_ns, tcp_packet(kSyn, 3));  // dropped
  send_at(t0 + 5_s, tcp_packet(kAck, 4));         // window closed: passes
  ASSERT_EQ(out.arrivals.size(), 2u);
  EXPECT_EQ(out.arrivals[0].at, t0 - 1_ns);
  EXPECT_EQ(out.arrivals[1].at, t0 + 5_s);
  EXPECT_EQ(faults.fired(r), 3u);
  ASSERT_EQ(faults.log().size(), 3u);
  EXPECT_EQ(faults.log()[0].at, t0);
  EXPECT_EQ(faults.log()[2].at, t0 + 5_s - 1_ns);
}

TEST_F(FaultInjectorTest, CorruptAtPacketOffsetFlipsExactlyThatByteOnce) {
  const uint32_t r = faults.add(corrupt_next({.flags_all = kSyn}, CorruptAt::kPacket, 8));
  const auto syn = tcp_packet(kSyn, 9);
  send(syn);
  send(syn);
  ASSERT_EQ(out.arrivals.size(), 2u);
  auto expected = syn;
  expected[8] ^= 0xff;  // the TTL byte
  EXPECT_EQ(out.arrivals[0].bytes, expected);
  EXPECT_EQ(out.arrivals[1].bytes, syn);
  EXPECT_EQ(faults.fired(r), 1u);
  EXPECT_EQ(faults.counters().corrupted, 1u);
  // The receiver's parser notices: the IPv4 header checksum no longer verifies.
  const auto parsed = wire::parse_packet(out.arrivals[0].bytes);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), wire::ParseError::kBadIpChecksum);
}

TEST_F(FaultInjectorTest, CorruptPayloadSkipsSegmentsWithoutEnoughPayload) {
  faults.add(corrupt_next({}, CorruptAt::kPayload, 4));
  send(tcp_packet(kAck, 1));     // no payload: not eligible, rule stays armed
  send(tcp_packet(kAck, 2, 4));  // 4 bytes: offset 4 is past the end
  send(tcp_packet(kAck | kPsh, 3, 10));
  ASSERT_EQ(out.arrivals.size(), 3u);
  EXPECT_EQ(out.arrivals[0].bytes, tcp_packet(kAck, 1));
  EXPECT_EQ(out.arrivals[1].bytes, tcp_packet(kAck, 2, 4));
  auto expected = tcp_packet(kAck | kPsh, 3, 10);
  expected[40 + 4] ^= 0xff;  // 20-byte IPv4 header + 20-byte TCP header (no options)
  EXPECT_EQ(out.arrivals[2].bytes, expected);
  const auto parsed = wire::parse_packet(out.arrivals[2].bytes);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), wire::ParseError::kBadTcpChecksum);
}

TEST_F(FaultInjectorTest, DelayNextHoldsOnePacketBack) {
  const uint32_t r = faults.add(delay_next({.seq = 1}, 30_ms, "slow"));
  send_at(Instant::zero() + 1_s, tcp_packet(kAck, 1));
  send_at(Instant::zero() + 1_s + 10_ms, tcp_packet(kAck, 2));
  send_at(Instant::zero() + 1_s + 20_ms, tcp_packet(kAck, 1));  // same seq, not delayed again
  sim.run();
  ASSERT_EQ(out.arrivals.size(), 3u);
  EXPECT_EQ(out.arrivals[0].bytes, tcp_packet(kAck, 2));
  EXPECT_EQ(out.arrivals[1].at, Instant::zero() + 1_s + 20_ms);
  EXPECT_EQ(out.arrivals[2].at, Instant::zero() + 1_s + 30_ms);
  EXPECT_EQ(out.arrivals[2].bytes, tcp_packet(kAck, 1));
  EXPECT_EQ(faults.fired(r), 1u);
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].kind, LinkEventKind::kDelayed);
  EXPECT_EQ(log.events[0].extra, 30_ms);
}

TEST_F(FaultInjectorTest, DuplicateNextMakesExactCopies) {
  faults.add(duplicate_next({.flags_all = kFin}, 2));
  send(tcp_packet(kAck, 1));
  send(tcp_packet(kFin | kAck, 2));
  send(tcp_packet(kFin | kAck, 3));
  ASSERT_EQ(out.arrivals.size(), 5u);
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(out.arrivals[i].bytes, tcp_packet(kFin | kAck, 2));
  EXPECT_EQ(out.arrivals[4].bytes, tcp_packet(kFin | kAck, 3));
  EXPECT_EQ(faults.counters().duplicated, 2u);
  EXPECT_EQ(sim.pool().live(), 0u);
}

TEST_F(FaultInjectorTest, TimesLimitsHowOftenARuleFires) {
  FaultRule rule = drop_next({.flags_all = kSyn});
  rule.times = 2;
  faults.add(rule);
  for (int i = 0; i < 4; ++i)
    send(tcp_packet(kSyn, 1));
  EXPECT_EQ(out.arrivals.size(), 2u);
  EXPECT_EQ(faults.fired(0), 2u);
}

}  // namespace
}  // namespace synack::link
