#include "tcp/retry_limits.h"

#include <algorithm>
#include <bit>

namespace synack::tcp {

namespace {

// ilog2 of a positive integer (floor); 0 for 0 so callers need no special case.
uint32_t ilog2(uint64_t v) {
  return v == 0 ? 0 : static_cast<uint32_t>(63 - std::countl_zero(v));
}

// The Linux timer granularity emulated here: one jiffy at HZ=1000.
constexpr Duration kJiffy = Duration::millis(1);

bool is_syn_state(RtoSocketKind kind) {
  return kind != RtoSocketKind::kSynchronized;
}

}  // namespace

Duration model_timeout(uint32_t boundary, Duration rto_base, Duration rto_max) {
  if (rto_base <= Duration::zero()) return Duration::zero();
  const uint32_t thresh = ilog2(static_cast<uint64_t>(rto_max / rto_base));
  // Beyond ~60 doublings the exponential part cannot be represented; Linux's u32 would have
  // wrapped long before, but boundary is at most 255 in practice and thresh is small.
  if (boundary <= thresh) {
    return rto_base * ((int64_t{2} << boundary) - 1);
  }
  return rto_base * ((int64_t{2} << thresh) - 1) +
         rto_max * static_cast<int64_t>(boundary - thresh);
}

bool retransmits_timed_out(uint32_t retransmits, Instant retrans_stamp, Instant now,
                           uint32_t boundary, Duration rto_base, Duration user_timeout) {
  if (retransmits == 0) return false;
  const Duration limit =
      user_timeout > Duration::zero() ? user_timeout : model_timeout(boundary, rto_base);
  return now - retrans_stamp >= limit;
}

uint32_t orphan_retries(uint32_t sysctl_orphan_retries, bool alive, bool soft_error) {
  uint32_t retries = sysctl_orphan_retries;
  // An ICMP error says something is wrong with a socket that is already backed off to the max.
  if (soft_error && !alive) retries = 0;
  // 0 means "some safe number" — 8, over 100 s at a 200 ms RTO — only while still alive.
  if (retries == 0 && alive) retries = 8;
  return retries;
}

RtoVerdict on_rto_timer(const RtoFiring& f, const RetrySysctls& s) {
  RtoVerdict v;

  // tcp_retransmit_timer(): a peer that shrank its window to zero is being probed, not
  // timed out (orphans excepted) — tcp_rtx_probe0_timed_out() gives up only when the peer has
  // been silent for 2 × TCP_RTO_MAX *and* retransmissions have made no progress for as long;
  // a user timeout shortens both and also ends it by itself.
  if (f.peer_window_zero && !f.orphan && !is_syn_state(f.kind)) {
    v.zero_window_probe = true;
    const Duration rtx_delta = f.now - f.retrans_stamp;
    Duration limit = kRtoMax * 2;
    if (f.user_timeout > Duration::zero()) {
      if (rtx_delta > f.user_timeout) {
        v.action = RtoAction::kGiveUp;
        return v;
      }
      limit = std::min(limit, f.user_timeout);
    }
    // Linux measures the silence from the timer's scheduled expiry; a sans-IO timer fires
    // exactly then, so that is `now`.
    const Duration rcv_delta = f.now - f.last_ack_received;
    if (rcv_delta > limit && rtx_delta > limit) v.action = RtoAction::kGiveUp;
    return v;
  }

  // tcp_write_timeout().
  bool expired = false;
  uint32_t retry_until = 0;
  if (is_syn_state(f.kind)) {
    retry_until = f.syn_count != 0 ? f.syn_count : s.syn_retries;
    uint32_t max_retransmits = retry_until;
    if (f.kind == RtoSocketKind::kSynSent) max_retransmits += s.syn_linear_timeouts;
    expired = f.retransmits >= max_retransmits;
  } else {
    v.suspect_path =
        retransmits_timed_out(f.retransmits, f.retrans_stamp, f.now, s.retries1, kRtoMin);
    retry_until = s.retries2;
    if (f.orphan) {
      const bool alive = f.rto < kRtoMax;
      retry_until = orphan_retries(s.orphan_retries, alive, f.soft_error);
      v.orphan_reset_if_out_of_resources =
          alive ||
          !retransmits_timed_out(f.retransmits, f.retrans_stamp, f.now, retry_until, kRtoMin);
    }
  }
  if (!expired) {
    // retransmits_timed_out() models from tcp_timeout_init() in the SYN states, TCP_RTO_MIN
    // otherwise; a user timeout replaces the model entirely.
    const Duration rto_base = is_syn_state(f.kind) ? f.syn_rto_base : kRtoMin;
    expired = retransmits_timed_out(f.retransmits, f.retrans_stamp, f.now, retry_until, rto_base,
                                    f.user_timeout);
  }
  if (expired) v.action = RtoAction::kGiveUp;
  return v;
}

bool rto_doubles(RtoSocketKind kind, uint32_t backoff_after, uint32_t syn_linear_timeouts) {
  return kind != RtoSocketKind::kSynSent || backoff_after > syn_linear_timeouts;
}

bool route_reset_due(RtoSocketKind kind, uint32_t retransmits_after, Instant retrans_stamp,
                     Instant now, Duration syn_rto_base, uint32_t retries1) {
  const Duration rto_base = is_syn_state(kind) ? syn_rto_base : kRtoMin;
  return retransmits_timed_out(retransmits_after, retrans_stamp, now, retries1 + 1, rto_base);
}

Duration clamp_rto_to_user_timeout(Duration rto, Duration user_timeout, Instant retrans_stamp,
                                   Instant now) {
  if (user_timeout <= Duration::zero()) return rto;
  const Duration remaining = user_timeout - (now - retrans_stamp);
  if (remaining <= Duration::zero()) return kJiffy;  // budget spent: fire as soon as possible
  return std::min(rto, remaining);
}

uint32_t synack_retry_limit(uint8_t listener_syn_count, uint32_t synack_retries, uint32_t queue_len,
                            uint32_t young_len, uint32_t max_ack_backlog) {
  uint32_t limit = listener_syn_count != 0 ? listener_syn_count : synack_retries;
  // Keep half of the queue for young requests: while at least half (then a quarter, an
  // eighth, ...) of the queue is old, shave one retry off, never below 2.
  if (uint64_t{queue_len} * 2 > std::max<uint64_t>(8, max_ack_backlog)) {
    uint64_t young = uint64_t{young_len} * 2;
    while (limit > 2) {
      if (queue_len < young) break;
      --limit;
      young *= 2;
    }
  }
  return limit;
}

Duration synack_timeout(Duration initial, uint32_t num_timeout, Duration rto_max) {
  if (num_timeout >= 32) return rto_max;
  return std::min(initial * (int64_t{1} << num_timeout), rto_max);
}

bool fastopen_synack_expired(uint32_t num_timeout, uint8_t syn_count, uint32_t synack_retries) {
  const uint32_t max_retries = syn_count != 0 ? syn_count : synack_retries + 1;
  return num_timeout >= max_retries;
}

ProbeAction on_probe_timer(const ProbeFiring& f) {
  if (f.nothing_to_probe) return ProbeAction::kStop;
  // RFC 1122 §4.2.2.17: keep probing while the peer answers; a user timeout bounds the time
  // since the first unanswered probe.
  if (f.probes_started && f.user_timeout > Duration::zero() &&
      f.now - *f.probes_started >= f.user_timeout) {
    return ProbeAction::kGiveUp;
  }
  uint32_t max_probes = f.retries2;
  if (f.orphan) {
    // Linux 6.15+ tcp_probe_timer(): "alive" is judged against tcp_rto_max(sk), the
    // tcp_rto_max_ms in force, not the TCP_RTO_MAX constant.
    const bool alive = f.rto_backed_off < f.rto_max;
    max_probes = orphan_retries(f.orphan_retries_sysctl, alive, f.soft_error);
    if (!alive && f.backoff >= max_probes) return ProbeAction::kGiveUp;
    if (f.out_of_resources) return ProbeAction::kAbortOnMemory;
  }
  return f.probes_out >= max_probes ? ProbeAction::kGiveUp : ProbeAction::kSendProbe;
}

KeepaliveVerdict on_keepalive_timer(const KeepaliveFiring& f) {
  // Data in flight or queued: the retransmission/persist machinery watches the peer.
  if (f.busy) return {KeepaliveAction::kRearm, f.idle};
  const Duration elapsed = f.now - f.last_heard;
  if (elapsed < f.idle) return {KeepaliveAction::kRearm, f.idle - elapsed};
  const bool user_timeout_set = f.user_timeout > Duration::zero();
  if ((user_timeout_set && elapsed >= f.user_timeout && f.probes_out > 0) ||
      (!user_timeout_set && f.probes_out >= f.probes)) {
    return {KeepaliveAction::kGiveUp, Duration::zero()};
  }
  return {KeepaliveAction::kSendProbe, f.interval};
}

}  // namespace synack::tcp
