// Expected values are worked out by hand from Linux's tcp_rtt_estimator()/__tcp_set_rto()
// arithmetic (net/ipv4/tcp_input.c, include/net/tcp.h), shown step by step in the comments, and
// were cross-checked with a separate throw-away re-derivation — never copied from this code.
// Notation: srtt8 = 8×SRTT, mdev = 4×RTTVAR, all in µs; RTO = ceil_ms(srtt8/8 + rttvar).
#include "tcp/rtt.h"

#include <gtest/gtest.h>

namespace synack::tcp {
namespace {

using namespace synack::literals;
using wire::SeqNum;

TEST(RttEstimator, InitialRtoIsOneSecond) {
  RttEstimator e;
  EXPECT_EQ(e.rto(), 1_s);
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.backoff(), 0u);
}

TEST(RttEstimator, FirstSampleSetsSrttAndFloorsRttvarAtRtoMin) {
  RttEstimator e;
  // R = 100 ms: srtt8 = 800000, mdev = 2R = 200000, rttvar = max(200000, 200000) = 200000.
  // RTO = 100000 + 200000 µs = 300 ms.
  e.sample(100_ms, SeqNum{0}, SeqNum{10});
  EXPECT_EQ(e.srtt_us_x8(), 800000u);
  EXPECT_EQ(e.mdev_us(), 200000u);
  EXPECT_EQ(e.rttvar_us(), 200000u);
  EXPECT_EQ(e.rto(), 300_ms);
  EXPECT_EQ(e.srtt(), 100_ms);
  EXPECT_EQ(e.rttvar(), 50_ms);  // TCP_INFO rttvar = mdev / 4
}

TEST(RttEstimator, SmallRttGivesRttPlus200ms) {
  RttEstimator e;
  // R = 10 ms: mdev = 20000 < rto_min, so rttvar = 200000; RTO = 10000 + 200000 µs = 210 ms.
  e.sample(10_ms, SeqNum{0}, SeqNum{10});
  EXPECT_EQ(e.rto(), 210_ms);
}

TEST(RttEstimator, SubsequentSamplesFollowLinuxFixedPoint) {
  RttEstimator e;
  e.sample(100_ms, SeqNum{0}, SeqNum{10});  // srtt8 800000, mdev 200000, rtt_seq = 10
  // R = 120 ms, snd_una 5 (not past rtt_seq 10):
  //   m = 120000 - 800000/8 = 20000; srtt8 = 820000
  //   m >= 0: m -= 200000/4 -> -30000; mdev = 170000 (not above mdev_max 200000)
  //   RTO = 820000/8 + 200000 = 302500 µs -> 303 ms (rounded up to the ms jiffy)
  e.sample(120_ms, SeqNum{5}, SeqNum{20});
  EXPECT_EQ(e.srtt_us_x8(), 820000u);
  EXPECT_EQ(e.mdev_us(), 170000u);
  EXPECT_EQ(e.rttvar_us(), 200000u);
  EXPECT_EQ(e.rto(), 303_ms);
  // R = 80 ms, snd_una 15 (past rtt_seq 10, so the per-RTT decay runs):
  //   m = 80000 - 820000/8 = 80000 - 102500 = -22500; srtt8 = 797500
  //   m < 0: m = 22500 - 170000/4 = -20000 (not > 0, no extra damping); mdev = 150000
  //   decay: mdev_max 200000 is not below rttvar 200000, so rttvar stays; mdev_max := 200000
  //   RTO = 797500/8 (= 99687) + 200000 = 299687 µs -> 300 ms
  e.sample(80_ms, SeqNum{15}, SeqNum{30});
  EXPECT_EQ(e.srtt_us_x8(), 797500u);
  EXPECT_EQ(e.mdev_us(), 150000u);
  EXPECT_EQ(e.rttvar_us(), 200000u);
  EXPECT_EQ(e.mdev_max_us(), 200000u);
  EXPECT_EQ(e.rto(), 300_ms);
}

TEST(RttEstimator, RttDropGetsDampedVarianceAndRttvarDecaysOncePerRtt) {
  RttEstimator e;
  // R = 500 ms: srtt8 4000000, mdev 1000000, rttvar 1000000; RTO = 500000 + 1000000 = 1.5 s.
  e.sample(500_ms, SeqNum{0}, SeqNum{10});
  EXPECT_EQ(e.rto(), 1500_ms);
  // R = 100 ms (a sudden drop), snd_una 5 (same RTT):
  //   m = 100000 - 500000 = -400000; srtt8 = 3600000
  //   m < 0: m = 400000 - 1000000/4 = 150000 > 0 -> damped: 150000 >> 3 = 18750
  //   mdev = 1018750 > mdev_max 1000000 -> mdev_max = rttvar = 1018750
  //   RTO = 450000 + 1018750 = 1468750 µs -> 1469 ms (undamped mdev would be 1150000)
  e.sample(100_ms, SeqNum{5}, SeqNum{20});
  EXPECT_EQ(e.srtt_us_x8(), 3600000u);
  EXPECT_EQ(e.mdev_us(), 1018750u);
  EXPECT_EQ(e.rttvar_us(), 1018750u);
  EXPECT_EQ(e.rto(), 1469_ms);
  // R = 450 ms, snd_una 15 (> rtt_seq 10):
  //   m = 0; m -= 1018750/4 (= 254687) -> mdev = 764063
  //   decay: mdev_max 1018750 == rttvar, no change; rtt_seq = 30, mdev_max := 200000
  //   RTO = 450000 + 1018750 -> 1469 ms
  e.sample(450_ms, SeqNum{15}, SeqNum{30});
  EXPECT_EQ(e.mdev_us(), 764063u);
  EXPECT_EQ(e.rttvar_us(), 1018750u);
  EXPECT_EQ(e.mdev_max_us(), 200000u);
  EXPECT_EQ(e.rto(), 1469_ms);
  // R = 450 ms, snd_una 35 (> rtt_seq 30):
  //   m = 0; m -= 764063/4 (= 191015) -> mdev = 573048 > mdev_max 200000 -> mdev_max = 573048
  //   decay: rttvar -= (1018750 - 573048) / 4 = 445702 / 4 = 111425 -> rttvar = 907325
  //   RTO = 450000 + 907325 = 1357325 µs -> 1358 ms
  e.sample(450_ms, SeqNum{35}, SeqNum{40});
  EXPECT_EQ(e.mdev_us(), 573048u);
  EXPECT_EQ(e.rttvar_us(), 907325u);
  EXPECT_EQ(e.rto(), 1358_ms);
}

TEST(RttEstimator, ExponentialBackoffCapsAt120Seconds) {
  RttEstimator e;
  e.sample(100_ms, SeqNum{0}, SeqNum{10});  // RTO 300 ms
  const Duration expected[] = {600_ms,   1200_ms,  2400_ms,  4800_ms, 9600_ms,
                               19200_ms, 38400_ms, 76800_ms, 120_s,   120_s};
  uint32_t n = 0;
  for (Duration d : expected) {
    e.on_retransmit_timeout();
    ++n;
    EXPECT_EQ(e.rto(), d) << "after timeout " << n;
    EXPECT_EQ(e.backoff(), n);
  }
}

TEST(RttEstimator, LinearTimeoutKeepsRtoButCountsBackoff) {
  RttEstimator e;
  e.on_retransmit_timeout(/*exponential=*/false);
  EXPECT_EQ(e.rto(), 1_s);
  EXPECT_EQ(e.backoff(), 1u);
}

TEST(RttEstimator, ValidSampleRecomputesRtoAndClearsBackoff) {
  RttEstimator e;
  e.sample(100_ms, SeqNum{0}, SeqNum{10});
  e.on_retransmit_timeout();
  e.on_retransmit_timeout();
  EXPECT_EQ(e.rto(), 1200_ms);
  // Karn's rule is the caller's: here a timestamp-based sample of 100 ms arrives.
  //   m = 0; srtt8 stays 800000; m -= 200000/4 -> mdev 150000; rttvar stays 200000.
  //   RTO = 100000 + 200000 = 300 ms, backoff 0.
  e.sample(100_ms, SeqNum{10}, SeqNum{20});
  EXPECT_EQ(e.rto(), 300_ms);
  EXPECT_EQ(e.backoff(), 0u);
}

TEST(RttEstimator, NegativeSampleIgnored) {
  RttEstimator e;
  e.sample(-1_ms, SeqNum{0}, SeqNum{10});
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.rto(), 1_s);
}

TEST(RttEstimator, ZeroSampleKeepsSrttPositive) {
  RttEstimator e;
  // srtt8 = 0 would mean "no sample"; Linux stores max(1, srtt8). RTO = 0 + 200000 -> 200 ms.
  e.sample(0_ms, SeqNum{0}, SeqNum{10});
  EXPECT_TRUE(e.has_sample());
  EXPECT_EQ(e.srtt_us_x8(), 1u);
  EXPECT_EQ(e.rto(), 200_ms);
}

TEST(RttEstimator, PerSocketRtoMinOverride) {
  RttEstimator e{{.rto_min = 5_ms}};
  // R = 10 ms: rttvar = max(20000, 5000) = 20000; RTO = 10000 + 20000 = 30 ms.
  e.sample(10_ms, SeqNum{0}, SeqNum{10});
  EXPECT_EQ(e.rto(), 30_ms);
  RttEstimator f;
  f.set_rto_min(1_ms);
  f.sample(10_ms, SeqNum{0}, SeqNum{10});
  EXPECT_EQ(f.rto(), 30_ms);
}

TEST(RttEstimator, RtoBoundedAtMax) {
  RttEstimator e;
  // R = 50 s: RTO = 50 s + 100 s = 150 s -> TCP_RTO_MAX 120 s.
  e.sample(50_s, SeqNum{0}, SeqNum{10});
  EXPECT_EQ(e.rto(), 120_s);
}

TEST(RttEstimator, FallbackToThreeSecondsWithoutHandshakeSample) {
  RttEstimator e;
  e.on_retransmit_timeout();  // SYN retransmitted: RTO 2 s, no sample (Karn)
  e.fall_back_if_no_sample();
  EXPECT_EQ(e.rto(), 3_s);
  EXPECT_EQ(e.mdev_us(), 3000000u);
  RttEstimator f;
  f.sample(100_ms, SeqNum{0}, SeqNum{1});
  f.fall_back_if_no_sample();
  EXPECT_EQ(f.rto(), 300_ms);
}

TEST(RttEstimator, BackedOffRtoAndProbeInterval) {
  // The persist timer grows icsk_backoff without doubling icsk_rto; linear timeouts give the
  // same state (backoff n, RTO 1 s).
  RttEstimator p;
  EXPECT_EQ(p.rto_backed_off(kRtoMax), 1_s);
  for (int i = 0; i < 3; ++i)
    p.on_retransmit_timeout(false);
  EXPECT_EQ(p.rto_backed_off(kRtoMax), 8_s);  // 1 s << 3
  EXPECT_EQ(p.probe0_interval(), 8_s);
  for (int i = 0; i < 5; ++i)
    p.on_retransmit_timeout(false);  // backoff 8: 256 s
  EXPECT_EQ(p.rto_backed_off(kRtoMax), 120_s);
  EXPECT_EQ(p.probe0_interval(), 120_s);
  EXPECT_EQ(p.probe0_interval(60_s), 60_s);
}

TEST(RttEstimator, ProbeIntervalNeverBelowTcpRtoMin) {
  // tcp_probe0_base() = max(icsk_rto, TCP_RTO_MIN) even with a smaller per-socket rto_min.
  RttEstimator e{{.rto_min = 5_ms}};
  e.sample(10_ms, SeqNum{0}, SeqNum{10});  // RTO 30 ms
  EXPECT_EQ(e.probe0_interval(), 200_ms);
  e.on_retransmit_timeout(false);
  e.on_retransmit_timeout(false);
  EXPECT_EQ(e.probe0_interval(), 800_ms);        // 200 ms << 2
  EXPECT_EQ(e.rto_backed_off(kRtoMax), 120_ms);  // 30 ms << 2
}

}  // namespace
}  // namespace synack::tcp
