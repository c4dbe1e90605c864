// Window growth (Linux tcp_slow_start(), tcp_cong_avoid_ai(), tcp_reno_cong_avoid()) with
// expected numbers worked out by hand in the comments.
#include "tcp/congestion/new_reno.h"

#include <gtest/gtest.h>

#include "tcp/congestion/window.h"

namespace synack::tcp {
namespace {

AckSample acked(uint32_t segments, bool cwnd_limited = true) {
  return AckSample{.ack = wire::SeqNum{0},
                   .acked_segments = segments,
                   .flight_size = 0,
                   .cwnd_limited = cwnd_limited,
                   .rtt = Duration::nanos(-1),
                   .now = Instant::zero()};
}

// One round trip: the whole window is acknowledged, `per_ack` segments per ACK.
void one_rtt(const NewReno& algo, CongestionWindow& w, uint32_t per_ack) {
  const uint32_t window = w.cwnd;
  for (uint32_t done = 0; done < window; done += per_ack)
    algo.on_ack(w, acked(per_ack));
}

TEST(SlowStart, DoublesEachRoundTrip) {
  const NewReno reno;
  CongestionWindow w;  // IW 10, ssthresh infinite
  EXPECT_EQ(w.cwnd, 10u);
  one_rtt(reno, w, 1);
  EXPECT_EQ(w.cwnd, 20u);
  one_rtt(reno, w, 1);
  EXPECT_EQ(w.cwnd, 40u);
  // Delayed ACKs (2 segments each): Linux counts both, so it still doubles.
  one_rtt(reno, w, 2);
  EXPECT_EQ(w.cwnd, 80u);
}

TEST(SlowStart, StopsAtSsthreshAndCarriesTheRest) {
  CongestionWindow w{.cwnd = 9, .ssthresh = 10};
  // min(9 + 3, 10) = 10; 3 - 1 = 2 segments left over for congestion avoidance.
  EXPECT_EQ(slow_start(w, 3), 2u);
  EXPECT_EQ(w.cwnd, 10u);
  const NewReno reno;
  CongestionWindow v{.cwnd = 9, .ssthresh = 10};
  reno.on_ack(v, acked(3));
  EXPECT_EQ(v.cwnd, 10u);
  EXPECT_EQ(v.cwnd_cnt, 2u);  // the leftover went to cwnd_cnt
}

TEST(CongestionAvoidance, OneSegmentPerRoundTrip) {
  const NewReno reno;
  CongestionWindow w{.cwnd = 20, .ssthresh = 20};
  EXPECT_FALSE(w.in_slow_start());
  // 19 ACKs: cwnd_cnt 19 < 20, no growth; the 20th makes 20 >= 20: cwnd 21, cnt 0.
  for (int i = 0; i < 19; ++i)
    reno.on_ack(w, acked(1));
  EXPECT_EQ(w.cwnd, 20u);
  EXPECT_EQ(w.cwnd_cnt, 19u);
  reno.on_ack(w, acked(1));
  EXPECT_EQ(w.cwnd, 21u);
  EXPECT_EQ(w.cwnd_cnt, 0u);
  one_rtt(reno, w, 1);
  EXPECT_EQ(w.cwnd, 22u);
}

TEST(CongestionAvoidance, ByteCountingWithDelayedAcks) {
  const NewReno reno;
  CongestionWindow w{.cwnd = 20, .ssthresh = 20};
  // 10 ACKs of 2: cnt 20 -> cwnd 21, cnt 0.
  for (int i = 0; i < 10; ++i)
    reno.on_ack(w, acked(2));
  EXPECT_EQ(w.cwnd, 21u);
  EXPECT_EQ(w.cwnd_cnt, 0u);
  // 11 more ACKs of 2: after 10, cnt 20 < 21; the 11th makes 22 >= 21: cwnd 22, cnt 1.
  for (int i = 0; i < 11; ++i)
    reno.on_ack(w, acked(2));
  EXPECT_EQ(w.cwnd, 22u);
  EXPECT_EQ(w.cwnd_cnt, 1u);
}

TEST(CongestionAvoidance, StretchAckAddsSeveralSegments) {
  CongestionWindow w{.cwnd = 10, .ssthresh = 5};
  // cnt 0 + 25 = 25 >= 10: delta 2, cnt 5, cwnd 12.
  cong_avoid_ai(w, w.cwnd, 25);
  EXPECT_EQ(w.cwnd, 12u);
  EXPECT_EQ(w.cwnd_cnt, 5u);
}

TEST(CongestionAvoidance, CreditsFromALargerWindowApplyGently) {
  // cwnd_cnt 30 collected at a larger w; w is now 10: first +1 and cnt reset, then count.
  CongestionWindow w{.cwnd = 10, .ssthresh = 5, .cwnd_cnt = 30};
  cong_avoid_ai(w, w.cwnd, 1);
  EXPECT_EQ(w.cwnd, 11u);
  EXPECT_EQ(w.cwnd_cnt, 1u);
}

TEST(Growth, NoneWhenNotCwndLimited) {
  const NewReno reno;
  CongestionWindow w;
  reno.on_ack(w, acked(5, /*cwnd_limited=*/false));
  EXPECT_EQ(w.cwnd, 10u);
  EXPECT_EQ(w.cwnd_cnt, 0u);
}

TEST(Growth, ClampHolds) {
  CongestionWindow w{.cwnd = 10, .cwnd_clamp = 12};
  EXPECT_EQ(slow_start(w, 5), 0u);
  EXPECT_EQ(w.cwnd, 12u);
}

TEST(Ssthresh, HalfTheFlightButAtLeastTwo) {
  const NewReno reno;
  const CongestionWindow w;
  EXPECT_EQ(reno.ssthresh_after_loss(w, 20), 10u);
  EXPECT_EQ(reno.ssthresh_after_loss(w, 21), 10u);
  EXPECT_EQ(reno.ssthresh_after_loss(w, 3), 2u);
  EXPECT_EQ(reno.ssthresh_after_loss(w, 0), 2u);
}

TEST(InitialWindow, TenUnlessTheHandshakeNeededRetransmissions) {
  EXPECT_EQ(initial_cwnd(0), 10u);
  EXPECT_EQ(initial_cwnd(1), 10u);  // Linux tolerates one (1 s initial RTO may be spurious)
  EXPECT_EQ(initial_cwnd(2), 1u);
}

}  // namespace
}  // namespace synack::tcp
