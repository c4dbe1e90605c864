// RttEstimator: smoothed RTT, RTT variance and the retransmission timeout (RFC 6298, SPEC §7.3),
// computed exactly the way Linux does it.
//
// Linux keeps three fixed-point quantities in microseconds (net/ipv4/tcp_input.c
// tcp_rtt_estimator()):
//   srtt_us    = 8 × SRTT                     (gain 1/8 becomes a shift by 3)
//   mdev_us    = 4 × RTTVAR                   (gain 1/4 becomes a shift by 2)
//   rttvar_us  = the largest mdev_us seen during the last RTT, never below rto_min, and decayed
//                by a quarter of the excess once per RTT ("once per RTT" = snd_una passed the
//                snd_nxt recorded at the previous decay, kept in rtt_seq).
// and sets the timeout with __tcp_set_rto() + tcp_bound_rto() (include/net/tcp.h,
// tcp_input.c tcp_set_rto()):
//   RTO = min(usecs_to_jiffies(srtt_us / 8 + rttvar_us), TCP_RTO_MAX)
// Because rttvar_us never drops below rto_min (200 ms, TCP_RTO_MIN), RTO >= SRTT + 200 ms: on a
// 10 ms path Linux's RTO is 210 ms, not RFC 6298's max(1 s, ...) nor 200 ms. That floor is how
// Linux implements the RFC's lower bound, and why no separate min clamp exists.
// Two Linux departures from the RFC formulas are reproduced on purpose:
//   - first sample R: SRTT = R, mdev = 2R (so RTO ≈ 3R), rttvar = max(2R, rto_min);
//   - when a sample is below SRTT and the error still exceeds mdev/4, the mdev update gets an
//     extra 1/8 gain (the "Eifel-like" damping), so a sudden RTT drop does not inflate RTO.
// Timer granularity: Linux rounds the RTO up to a jiffy; synack emulates HZ=1000, so every RTO
// is a whole number of milliseconds (the timer wheel ticks in ms too).
//
// Backoff (tcp_timer.c tcp_retransmit_timer()): each retransmission timeout increments
// `backoff` (icsk_backoff) and doubles the current RTO up to TCP_RTO_MAX (except SYN_SENT's
// optional linear timeouts — see retry_limits.h rto_doubles()). A valid RTT sample recomputes
// the RTO from SRTT/RTTVAR and clears the backoff (tcp_ack_update_rtt(), RFC 6298 §5.7).
//
// Karn's rule (RFC 6298 §3, Karn & Partridge): the engine must call sample() only with an
// unambiguous measurement:
//   - from a segment that was never retransmitted, timed from its (only) transmission; or
//   - from the echoed timestamp (RFC 7323 §4: now - TSecr) of an ACK that acknowledges new
//     data, which is unambiguous even when the acked segment was retransmitted (Linux
//     tcp_ack_update_rtt() prefers the transmit-time sample and falls back to TSecr).
// An ACK that covers a retransmitted segment and carries no usable timestamp gives no sample;
// the backed-off RTO then stays in force until a later valid sample.
//
// Single-threaded like the rest of the core; a plain value type stored in the TCB.
#pragma once

#include <cstdint>

#include <synack/time.h>

#include "wire/seq_num.h"

namespace synack::tcp {

// include/net/tcp.h: TCP_RTO_MIN (HZ/5), TCP_RTO_MAX (120 s), TCP_TIMEOUT_INIT (1 s, RFC 6298
// §2.1), TCP_TIMEOUT_FALLBACK (3 s, RFC 6298 §5.7).
inline constexpr Duration kRtoMin = Duration::millis(200);
inline constexpr Duration kRtoMax = Duration::seconds(120);
inline constexpr Duration kTimeoutInit = Duration::seconds(1);
inline constexpr Duration kTimeoutFallback = Duration::seconds(3);

class RttEstimator {
 public:
  struct Config {
    // Per-socket floor for rttvar (Linux icsk_rto_min; sysctl tcp_rto_min_us / route rto_min).
    Duration rto_min = kRtoMin;
    Duration rto_max = kRtoMax;
    // The RTO before any sample: TCP_TIMEOUT_INIT for SYN and SYN+ACK.
    Duration initial_rto = kTimeoutInit;
  };

  RttEstimator() : RttEstimator(Config{}) {}
  explicit RttEstimator(const Config& config);

  // Feeds one RTT measurement allowed by Karn's rule (see the header comment). snd_una and
  // snd_nxt are the values after processing the ACK; they pace the once-per-RTT rttvar decay.
  // Negative samples are ignored (Linux skips seq_rtt_us < 0). Recomputes the RTO and clears
  // the backoff.
  void sample(Duration rtt, wire::SeqNum snd_una, wire::SeqNum snd_nxt);

  // A retransmission timer fired: backoff += 1 and, when `exponential`, RTO doubles up to
  // rto_max (tcp_retransmit_timer()).
  void on_retransmit_timeout(bool exponential = true);

  // Clears icsk_backoff without touching the RTO (Linux does this when a zero-window probe is
  // answered, tcp_ack_probe()).
  void reset_backoff() { backoff_ = 0; }

  // RFC 6298 §5.7 as Linux applies it when the connection is established (tcp_init_metrics()):
  // if the handshake produced no sample (its SYN or SYN+ACK was retransmitted), RTO becomes
  // 3 s and mdev/rttvar are primed to 3 s. No-op when a sample exists.
  void fall_back_if_no_sample();

  // Per-socket rto_min override; applies from the next sample on (as icsk_rto_min does).
  void set_rto_min(Duration rto_min) { config_.rto_min = rto_min; }

  // The timeout to arm now (icsk_rto): includes doubling from timeouts since the last sample.
  [[nodiscard]] Duration rto() const { return rto_; }
  [[nodiscard]] uint32_t backoff() const { return backoff_; }
  // inet_csk_rto_backoff(): min(rto << backoff, max).
  [[nodiscard]] Duration rto_backed_off(Duration max) const;
  // tcp_probe0_when(): zero-window probe interval, max(rto, TCP_RTO_MIN) << backoff with the
  // shift capped at ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1 = 10, then min(…, max_when).
  [[nodiscard]] Duration probe0_interval(Duration max_when = kRtoMax) const;

  [[nodiscard]] bool has_sample() const { return srtt_x8_us_ != 0; }
  // TCP_INFO's tcpi_rtt (srtt_us >> 3) and tcpi_rttvar (mdev_us >> 2), in microseconds.
  [[nodiscard]] Duration srtt() const { return Duration::micros(srtt_x8_us_ >> 3); }
  [[nodiscard]] Duration rttvar() const { return Duration::micros(mdev_us_ >> 2); }
  // The raw fixed-point state, named as in Linux, for tests and traces.
  [[nodiscard]] uint32_t srtt_us_x8() const { return srtt_x8_us_; }
  [[nodiscard]] uint32_t mdev_us() const { return mdev_us_; }
  [[nodiscard]] uint32_t mdev_max_us() const { return mdev_max_us_; }
  [[nodiscard]] uint32_t rttvar_us() const { return rttvar_us_; }
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  void set_rto_from_estimate();

  Config config_;
  uint32_t srtt_x8_us_ = 0;
  uint32_t mdev_us_ = 0;
  uint32_t mdev_max_us_ = 0;
  uint32_t rttvar_us_ = 0;
  wire::SeqNum rtt_seq_{};
  Duration rto_;
  uint32_t backoff_ = 0;
};

}  // namespace synack::tcp
