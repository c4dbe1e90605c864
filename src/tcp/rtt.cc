#include "tcp/rtt.h"

#include <algorithm>

namespace synack::tcp {

namespace {

// usecs_to_jiffies() with HZ=1000: round up to a whole millisecond.
Duration ceil_to_ms(int64_t us) {
  return Duration::millis((us + 999) / 1000);
}

uint32_t to_u32_us(Duration d) {
  const int64_t us = std::clamp<int64_t>(d.us(), 0, UINT32_MAX);
  return static_cast<uint32_t>(us);
}

}  // namespace

RttEstimator::RttEstimator(const Config& config) : config_(config), rto_(config.initial_rto) {}

void RttEstimator::sample(Duration rtt, wire::SeqNum snd_una, wire::SeqNum snd_nxt) {
  if (rtt < Duration::zero()) return;
  const uint32_t rto_min_us = to_u32_us(config_.rto_min);
  // m is a signed microsecond quantity, like Linux's `long m`.
  int64_t m = std::min<int64_t>(rtt.us(), UINT32_MAX / 8);
  int64_t srtt = srtt_x8_us_;
  if (srtt != 0) {
    m -= srtt >> 3;  // error against SRTT
    srtt += m;       // SRTT = 7/8 SRTT + 1/8 R
    int64_t mdev = mdev_us_;
    if (m < 0) {
      m = -m;
      m -= mdev >> 2;
      // RTT fell: damp the variance update by a further 1/8 (Linux's Eifel-like rule).
      if (m > 0) m >>= 3;
    } else {
      m -= mdev >> 2;
    }
    mdev += m;  // mdev = 3/4 mdev + 1/4 |error|
    mdev_us_ = static_cast<uint32_t>(std::max<int64_t>(mdev, 0));
    if (mdev_us_ > mdev_max_us_) {
      mdev_max_us_ = mdev_us_;
      rttvar_us_ = std::max(rttvar_us_, mdev_max_us_);
    }
    if (snd_una > rtt_seq_) {
      // One RTT has passed since the last decay: move rttvar a quarter of the way down to the
      // largest mdev of that RTT, and restart the window at rto_min.
      if (mdev_max_us_ < rttvar_us_) rttvar_us_ -= (rttvar_us_ - mdev_max_us_) >> 2;
      rtt_seq_ = snd_nxt;
      mdev_max_us_ = rto_min_us;
    }
  } else {
    srtt = m << 3;
    mdev_us_ = static_cast<uint32_t>(m << 1);  // RTO ≈ 3 × RTT for the first sample
    rttvar_us_ = std::max(mdev_us_, rto_min_us);
    mdev_max_us_ = rttvar_us_;
    rtt_seq_ = snd_nxt;
  }
  srtt_x8_us_ = static_cast<uint32_t>(std::max<int64_t>(srtt, 1));
  set_rto_from_estimate();
  backoff_ = 0;  // RFC 6298 §5.7 / tcp_ack_update_rtt(): only a valid sample resets backoff
}

void RttEstimator::set_rto_from_estimate() {
  const int64_t us = static_cast<int64_t>(srtt_x8_us_ >> 3) + rttvar_us_;
  rto_ = std::min(ceil_to_ms(us), config_.rto_max);
}

void RttEstimator::on_retransmit_timeout(bool exponential) {
  ++backoff_;
  if (exponential) rto_ = std::min(rto_ * 2, config_.rto_max);
}

void RttEstimator::fall_back_if_no_sample() {
  if (has_sample()) return;
  const uint32_t us = to_u32_us(kTimeoutFallback);
  rttvar_us_ = us;
  mdev_us_ = us;
  mdev_max_us_ = us;
  rto_ = kTimeoutFallback;
}

Duration RttEstimator::rto_backed_off(Duration max) const {
  // Shift in 64 bits; beyond 2^32 the result is certainly above any sane max.
  if (backoff_ >= 32) return max;
  const int64_t ns = rto_.ns();
  if (ns > (max.ns() >> backoff_)) return max;
  return std::min(Duration::nanos(ns << backoff_), max);
}

Duration RttEstimator::probe0_interval(Duration max_when) const {
  // ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1 = ilog2(600) + 1 = 10 (constants, not per socket).
  constexpr uint32_t kMaxShift = 10;
  const uint32_t shift = std::min(backoff_, kMaxShift);
  const Duration base = std::max(rto_, kRtoMin);
  return std::min(base * (int64_t{1} << shift), max_when);
}

}  // namespace synack::tcp
