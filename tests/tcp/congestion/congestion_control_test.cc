// Loss recovery (RFC 5681 §3.2, RFC 6582 §3.2, Linux tcp_enter_loss()) with literal numbers.
// Sequence space used throughout: ISS 1000, 1000-byte segments, so segment k (1-based) covers
// [1001 + 1000(k-1), 1001 + 1000k); 20 segments outstanding means snd_una 1001, snd_max 21001.
#include "tcp/congestion/congestion_control.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace synack::tcp {
namespace {

using wire::SeqNum;

constexpr SeqNum kIss{1000};
constexpr SeqNum seg_start(uint32_t k) {
  return SeqNum{1001 + 1000 * (k - 1)};
}

AckSample ack(SeqNum a, uint32_t acked_segments, uint32_t flight_size) {
  return AckSample{.ack = a,
                   .acked_segments = acked_segments,
                   .flight_size = flight_size,
                   .cwnd_limited = true,
                   .rtt = Duration::nanos(-1),
                   .now = Instant::zero()};
}

static_assert(std::is_trivially_copyable_v<CongestionControl>);
static_assert(sizeof(CongestionControl) <= 32, "kept small: one per connection, by value");

TEST(CongestionControl, StartsOpenInSlowStartWithIw10) {
  const CongestionControl cc{CongestionAlgorithm::kNewReno, kIss};
  EXPECT_EQ(cc.cwnd(), 10u);
  EXPECT_EQ(cc.ssthresh(), kInfiniteSsthresh);
  EXPECT_TRUE(cc.in_slow_start());
  EXPECT_EQ(cc.state(), CaState::kOpen);
  EXPECT_EQ(cc.recover(), kIss);
  EXPECT_EQ(to_string(cc.algorithm()), "reno");
}

TEST(CongestionControl, SlowStartThroughTheFacade) {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss};
  // 10 ACKs of one segment each: 10 -> 20.
  for (uint32_t k = 2; k <= 11; ++k) {
    EXPECT_EQ(cc.on_ack(ack(seg_start(k), 1, 10)), AckAction::kNone);
  }
  EXPECT_EQ(cc.cwnd(), 20u);
}

TEST(CongestionControl, ThreeDupAcksEnterFastRecovery) {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss, 20};
  const SeqNum una = seg_start(1);
  const SeqNum snd_max = seg_start(21);  // 21001
  EXPECT_EQ(cc.on_dupack(una, snd_max, 20), DupAckAction::kNone);
  EXPECT_EQ(cc.state(), CaState::kDisorder);
  EXPECT_EQ(cc.on_dupack(una, snd_max, 20), DupAckAction::kNone);
  EXPECT_EQ(cc.cwnd(), 20u);
  // Third: ack 1001 > recover 1000 -> ssthresh = max(20/2, 2) = 10, cwnd = 10 + 3 = 13,
  // recover = highest sequence sent = 21000.
  EXPECT_EQ(cc.on_dupack(una, snd_max, 20), DupAckAction::kFastRetransmit);
  EXPECT_EQ(cc.state(), CaState::kRecovery);
  EXPECT_EQ(cc.ssthresh(), 10u);
  EXPECT_EQ(cc.cwnd(), 13u);
  EXPECT_EQ(cc.recover(), SeqNum{21000});
  // Further dupacks inflate by one each: 14, 15.
  EXPECT_EQ(cc.on_dupack(una, snd_max, 20), DupAckAction::kNone);
  EXPECT_EQ(cc.on_dupack(una, snd_max, 20), DupAckAction::kNone);
  EXPECT_EQ(cc.cwnd(), 15u);
}

CongestionControl in_recovery_with_cwnd_15() {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss, 20};
  for (int i = 0; i < 5; ++i)
    (void)cc.on_dupack(seg_start(1), seg_start(21), 20);
  return cc;
}

TEST(CongestionControl, PartialAckDeflatesAndAsksForRetransmission) {
  CongestionControl cc = in_recovery_with_cwnd_15();
  ASSERT_EQ(cc.cwnd(), 15u);
  // ACK 6001: segments 1-5 acked (segment 6 was lost too), 6001 <= recover 21000 -> partial.
  // cwnd = 15 - 5 + 1 = 11; stay in recovery; retransmit segment 6.
  EXPECT_EQ(cc.on_ack(ack(seg_start(6), 5, 15)), AckAction::kRetransmitFirstUnacked);
  EXPECT_EQ(cc.cwnd(), 11u);
  EXPECT_EQ(cc.state(), CaState::kRecovery);
  EXPECT_EQ(cc.ssthresh(), 10u);
  // Dupacks keep inflating after a partial ACK: 12.
  EXPECT_EQ(cc.on_dupack(seg_start(6), seg_start(21), 15), DupAckAction::kNone);
  EXPECT_EQ(cc.cwnd(), 12u);
}

TEST(CongestionControl, FullAckExitsWithoutBurst) {
  CongestionControl cc = in_recovery_with_cwnd_15();
  // New data went out during recovery (snd_max now 26001); ACK 21001 > recover 21000 acks
  // everything up to recover, 5 segments remain in flight:
  // cwnd = min(ssthresh 10, max(5, 1) + 1) = 6.
  EXPECT_EQ(cc.on_ack(ack(seg_start(21), 20, 5)), AckAction::kNone);
  EXPECT_EQ(cc.state(), CaState::kOpen);
  EXPECT_EQ(cc.cwnd(), 6u);
  EXPECT_EQ(cc.dupacks(), 0u);
  EXPECT_TRUE(cc.in_slow_start());  // 6 < 10: slow start climbs back to ssthresh
}

TEST(CongestionControl, FullAckWithAFullPipeGoesToSsthresh) {
  CongestionControl cc = in_recovery_with_cwnd_15();
  // 12 segments still in flight: min(10, 13) = 10 = ssthresh, congestion avoidance next.
  EXPECT_EQ(cc.on_ack(ack(seg_start(21), 20, 12)), AckAction::kNone);
  EXPECT_EQ(cc.cwnd(), 10u);
  EXPECT_FALSE(cc.in_slow_start());
}

TEST(CongestionControl, RtoCollapsesToOneSegment) {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss, 20};
  cc.on_rto(seg_start(1), seg_start(21), 20, /*repeated_timeout=*/false);
  EXPECT_EQ(cc.state(), CaState::kLoss);
  EXPECT_EQ(cc.cwnd(), 1u);
  EXPECT_EQ(cc.ssthresh(), 10u);  // max(20 / 2, 2)
  EXPECT_EQ(cc.recover(), SeqNum{21000});
  // Slow start again: ACK of segment 1 -> 2, of 2-3 -> 4.
  EXPECT_EQ(cc.on_ack(ack(seg_start(2), 1, 19)), AckAction::kNone);
  EXPECT_EQ(cc.cwnd(), 2u);
  EXPECT_EQ(cc.on_ack(ack(seg_start(4), 2, 17)), AckAction::kNone);
  EXPECT_EQ(cc.cwnd(), 4u);
  EXPECT_EQ(cc.state(), CaState::kLoss);
  // An ACK beyond recover ends the episode; its 17 segments still count:
  // slow start 4 -> min(21, 10) = 10 with 11 left over; CA: cnt 11 >= 10 -> cwnd 11, cnt 1.
  EXPECT_EQ(cc.on_ack(ack(seg_start(21), 17, 0)), AckAction::kNone);
  EXPECT_EQ(cc.state(), CaState::kOpen);
  EXPECT_EQ(cc.cwnd(), 11u);
  EXPECT_EQ(cc.window().cwnd_cnt, 1u);
}

TEST(CongestionControl, NoFastRetransmitForDupAcksBelowRecoverAfterRto) {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss, 20};
  cc.on_rto(seg_start(1), seg_start(21), 20, false);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(cc.on_dupack(seg_start(1), seg_start(21), 20), DupAckAction::kNone);
  }
  EXPECT_EQ(cc.state(), CaState::kLoss);
  EXPECT_EQ(cc.cwnd(), 1u);
  EXPECT_EQ(cc.ssthresh(), 10u);
}

TEST(CongestionControl, SsthreshReducedOncePerTimeoutEpisode) {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss, 20};
  cc.on_rto(seg_start(1), seg_start(21), 20, false);
  EXPECT_EQ(cc.ssthresh(), 10u);
  // Backed-off repeat with no progress: held constant (a recompute would give 8 / 2 = 4).
  cc.on_rto(seg_start(1), seg_start(21), 8, /*repeated_timeout=*/true);
  EXPECT_EQ(cc.ssthresh(), 10u);
  EXPECT_EQ(cc.cwnd(), 1u);
  // An ACK made progress since (Linux icsk_retransmits back to 0), still below recover: the
  // next timeout is a new reduction: max(8 / 2, 2) = 4.
  cc.on_rto(seg_start(3), seg_start(21), 8, /*repeated_timeout=*/false);
  EXPECT_EQ(cc.ssthresh(), 4u);
}

TEST(CongestionControl, RtoDuringFastRecoveryKeepsTheReducedSsthresh) {
  CongestionControl cc = in_recovery_with_cwnd_15();  // ssthresh 10, recover 21000
  cc.on_rto(seg_start(1), seg_start(21), 18, false);
  EXPECT_EQ(cc.ssthresh(), 10u);  // not max(18 / 2, 2) = 9 — already reduced for this loss
  EXPECT_EQ(cc.cwnd(), 1u);
  EXPECT_EQ(cc.state(), CaState::kLoss);
}

TEST(CongestionControl, NewAckClearsDisorder) {
  CongestionControl cc{CongestionAlgorithm::kNewReno, kIss, 20};
  (void)cc.on_dupack(seg_start(1), seg_start(21), 20);
  (void)cc.on_dupack(seg_start(1), seg_start(21), 20);
  EXPECT_EQ(cc.on_ack(ack(seg_start(2), 1, 19)), AckAction::kNone);
  EXPECT_EQ(cc.state(), CaState::kOpen);
  EXPECT_EQ(cc.dupacks(), 0u);
  // Two more dupacks are not enough: the count restarted.
  EXPECT_EQ(cc.on_dupack(seg_start(2), seg_start(21), 19), DupAckAction::kNone);
  EXPECT_EQ(cc.on_dupack(seg_start(2), seg_start(21), 19), DupAckAction::kNone);
  EXPECT_EQ(cc.state(), CaState::kDisorder);
}

TEST(CongestionControl, SecondLossAfterRecoveryIsANewEvent) {
  CongestionControl cc = in_recovery_with_cwnd_15();
  (void)cc.on_ack(ack(seg_start(21), 20, 12));  // exit, cwnd 10, recover 21000
  // Later loss at segment 25 (snd_una 25001 > recover): a new fast retransmit.
  // ssthresh = max(12 / 2, 2) = 6, cwnd = 9, recover = snd_max - 1 = 33000.
  for (int i = 0; i < 2; ++i)
    (void)cc.on_dupack(seg_start(25), seg_start(33), 12);
  EXPECT_EQ(cc.on_dupack(seg_start(25), seg_start(33), 12), DupAckAction::kFastRetransmit);
  EXPECT_EQ(cc.ssthresh(), 6u);
  EXPECT_EQ(cc.cwnd(), 9u);
  EXPECT_EQ(cc.recover(), SeqNum{33000});
}

TEST(CongestionControl, StateNames) {
  EXPECT_EQ(to_string(CaState::kOpen), "open");
  EXPECT_EQ(to_string(CaState::kRecovery), "recovery");
  EXPECT_EQ(static_cast<int>(CaState::kLoss), 4);  // TCP_INFO tcpi_ca_state value
}

}  // namespace
}  // namespace synack::tcp
