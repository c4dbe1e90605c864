// When to stop retransmitting: Linux's give-up arithmetic as pure functions (SPEC §4.6, §4.7,
// §7.8, §8.7, §11).
//
// Linux does not simply count retransmissions against tcp_retries2. For synchronized states it
// converts the retry count into a *time budget* — the time `boundary` exponentially backed-off
// retransmissions would take from rto_base, growing linearly once the RTO reaches TCP_RTO_MAX —
// and gives up when the time since the first retransmission (retrans_stamp) exceeds it
// (net/ipv4/tcp_timer.c tcp_model_timeout(), retransmits_timed_out()):
//     thresh  = ilog2(TCP_RTO_MAX / rto_base)
//     timeout = ((2 << boundary) - 1) × rto_base                           if boundary <= thresh
//             = ((2 << thresh) - 1) × rto_base + (boundary - thresh) × TCP_RTO_MAX   otherwise
// tcp_retries2 = 15, rto_base = TCP_RTO_MIN = 200 ms: thresh = ilog2(600) = 9, so
// 1023 × 0.2 s + 6 × 120 s = 924.6 s (SPEC §7.8), however large the real RTO is.
//
// SYN_SENT / SYN_RECV (full sockets) are decided by count first (tcp_write_timeout()): give up
// when retransmits >= TCP_SYNCNT or tcp_syn_retries (+ tcp_syn_linear_timeouts in SYN_SENT),
// else by the same time test with rto_base = TCP_TIMEOUT_INIT. With 6 retries SYNs leave at
// 0, 1, 3, 7, 15, 31, 63 s and connect() fails at 127 s (SPEC §4.6).
//   Linux ≥ 6.5 adds net.ipv4.tcp_syn_linear_timeouts (default 4 there): the first N SYN
//   timeouts do not double the RTO, giving SYNs at 0,1,2,3,4,5,7,11,19,35,67 and failure at
//   131 s. SPEC §4.6's numbers are the classic ones, i.e. syn_linear_timeouts = 0; the value is
//   a parameter here so either behaviour can be configured.
// The listener's request records (Linux reqsk_timer_handler()) count SYN+ACK timeouts against
// tcp_synack_retries and drop silently (SPEC §4.7); see synack_*() below.
//
// Orphans (closed by the application, Linux SOCK_DEAD) use tcp_orphan_retries() instead of
// retries2: the sysctl, where 0 means 8 — but only while the socket is "alive" (its RTO has not
// yet reached TCP_RTO_MAX); once it has, 0 stays 0 and the next timeout kills it. An ICMP soft
// error on a non-alive orphan forces 0 as well (SPEC §8.7).
//
// TCP_USER_TIMEOUT replaces the modelled budget with the user's time (same retrans_stamp
// origin), in every state, and clamps each armed RTO so the timer fires when the budget ends
// (tcp_clamp_rto_to_user_timeout()).
//
// What the engine must record for these functions (Linux field names):
//   retransmits    icsk_retransmits: timeouts since the last ACK that advanced snd_una
//                  (reset to 0 by such an ACK; incremented after each RTO retransmission).
//   retrans_stamp  SYN_SENT: when the first SYN was sent (tcp_connect()); otherwise when the
//                  first retransmission of the current episode went out (tcp_retransmit_skb()
//                  stamps the segment's new send time). Cleared with retransmits; while it is
//                  unset (no retransmission yet) pass the head segment's last send time, as
//                  Linux's zero-window check does (`retrans_stamp ?: tcp_skb_timestamp()`).
// All functions are pure: sysctls and socket options come in as arguments (the sysctl registry
// is the caller's business), nothing here reads a clock. Single-threaded like the core.
#pragma once

#include <cstdint>
#include <optional>

#include <synack/time.h>

#include "tcp/rtt.h"

namespace synack::tcp {

// tcp_model_timeout(): the time budget of `boundary` backed-off retransmissions.
[[nodiscard]] Duration model_timeout(uint32_t boundary, Duration rto_base,
                                     Duration rto_max = kRtoMax);

// retransmits_timed_out(): false while nothing was retransmitted; otherwise whether
// now - retrans_stamp >= limit, the limit being user_timeout if set (non-zero) else
// model_timeout(boundary, rto_base).
[[nodiscard]] bool retransmits_timed_out(uint32_t retransmits, Instant retrans_stamp, Instant now,
                                         uint32_t boundary, Duration rto_base,
                                         Duration user_timeout = Duration::zero());

// tcp_orphan_retries(): the retry bound for an orphaned socket.
[[nodiscard]] uint32_t orphan_retries(uint32_t sysctl_orphan_retries, bool alive, bool soft_error);

// The sysctls the retransmission give-up reads (names as in /proc/sys/net/ipv4). No defaults
// here on purpose: the sysctl registry owns them (SPEC §18).
struct RetrySysctls {
  uint32_t syn_retries;          // tcp_syn_retries
  uint32_t syn_linear_timeouts;  // tcp_syn_linear_timeouts (SYN_SENT only)
  uint32_t retries1;             // tcp_retries1
  uint32_t retries2;             // tcp_retries2
  uint32_t orphan_retries;       // tcp_orphan_retries (0 = 8 while alive)
};

enum class RtoSocketKind : uint8_t {
  kSynSent,       // active open waiting for SYN+ACK
  kSynReceived,   // a full socket in SYN-RECEIVED (simultaneous open)
  kSynchronized,  // ESTABLISHED and later states, including FIN-WAIT-1/CLOSING/LAST-ACK
};

// Everything tcp_retransmit_timer()/tcp_write_timeout() look at when the RTO fires.
struct RtoFiring {
  RtoSocketKind kind;
  bool orphan;            // SOCK_DEAD: the application closed the socket
  uint32_t retransmits;   // icsk_retransmits before this firing
  Instant retrans_stamp;  // see header comment
  Instant now;
  Duration rto;               // icsk_rto when the timer fired (before this firing's doubling)
  Duration syn_rto_base;      // tcp_timeout_init(): TCP_TIMEOUT_INIT unless configured otherwise
  uint8_t syn_count;          // TCP_SYNCNT, 0 = not set
  Duration user_timeout;      // TCP_USER_TIMEOUT, zero = not set
  bool soft_error;            // sk_err_soft: an ICMP error was seen
  bool peer_window_zero;      // snd_wnd == 0 (the retransmission is really a window probe)
  Instant last_ack_received;  // rcv_tstamp: when the peer last sent an ACK (zero window only)
};

enum class RtoAction : uint8_t {
  kRetransmit,  // retransmit the head of the queue, back off, re-arm
  kGiveUp,      // abort with ETIMEDOUT (or the pending soft error); no RST is sent (SPEC §7.8)
};

struct RtoVerdict {
  RtoAction action = RtoAction::kRetransmit;
  // tcp_retries1 worth of time has passed: suspect the path (negative route advice, MTU
  // black-hole probing). Always false in the SYN states and the zero-window branch.
  bool suspect_path = false;
  // The peer's window is zero and the socket is not an orphan: Linux retransmits as a probe
  // and skips the count/time model; it gives up only after 2 × TCP_RTO_MAX of silence without
  // progress, or after TCP_USER_TIMEOUT (tcp_rtx_probe0_timed_out(), Linux 6.10+).
  bool zero_window_probe = false;
  // Orphans only: if the stack is out of resources (too many orphans / memory pressure) it
  // must abort this orphan now, and send RST when this is true (tcp_out_of_resources()).
  bool orphan_reset_if_out_of_resources = false;
};

// Called by the engine each time the retransmission timer fires, before retransmitting.
[[nodiscard]] RtoVerdict on_rto_timer(const RtoFiring& f, const RetrySysctls& s);

// After a retransmission with backoff now equal to `backoff_after` (icsk_backoff, already
// incremented): does the RTO double? False only for SYN_SENT within tcp_syn_linear_timeouts.
[[nodiscard]] bool rto_doubles(RtoSocketKind kind, uint32_t backoff_after,
                               uint32_t syn_linear_timeouts);

// After the retransmission (retransmits_after = icsk_retransmits incremented): Linux drops the
// cached route once retries1 + 1 worth of time has passed (__sk_dst_reset()).
[[nodiscard]] bool route_reset_due(RtoSocketKind kind, uint32_t retransmits_after,
                                   Instant retrans_stamp, Instant now, Duration syn_rto_base,
                                   uint32_t retries1);

// tcp_clamp_rto_to_user_timeout(): the delay to arm the retransmission timer with. With a user
// timeout it never runs past retrans_stamp + user_timeout; once that has passed it fires "at
// once" (one jiffy, 1 ms here).
[[nodiscard]] Duration clamp_rto_to_user_timeout(Duration rto, Duration user_timeout,
                                                 Instant retrans_stamp, Instant now);

// --- Request records (listener half-open entries), SPEC §4.7 ---------------------------------

// reqsk_timer_handler(): the SYN+ACK retry bound. TCP_SYNCNT on the listener overrides
// tcp_synack_retries. When the request queue is more than half full (qlen * 2 > max(8,
// backlog)), old requests get fewer retries — down to 2 — so young ones keep room.
[[nodiscard]] uint32_t synack_retry_limit(uint8_t listener_syn_count, uint32_t synack_retries,
                                          uint32_t queue_len, uint32_t young_len,
                                          uint32_t max_ack_backlog);

// syn_ack_recalc() without TCP_DEFER_ACCEPT: drop the request once `num_timeout` SYN+ACK
// timeouts have happened (num_timeout counts earlier firings of this record's timer).
[[nodiscard]] inline bool synack_expired(uint32_t num_timeout, uint32_t retry_limit) {
  return num_timeout >= retry_limit;
}

// reqsk_timeout(): delay to the next firing after num_timeout (already incremented) timeouts:
// min(initial << num_timeout, TCP_RTO_MAX). With 1 s: SYN+ACK resent at 1, 3, 7, 15, 31 s.
[[nodiscard]] Duration synack_timeout(Duration initial, uint32_t num_timeout,
                                      Duration rto_max = kRtoMax);

// tcp_fastopen_synack_timer(): a Fast Open child gets one more SYN+ACK retry than a request
// record (TCP_SYNCNT overrides): give up once num_timeout >= syn_count ?: synack_retries + 1.
[[nodiscard]] bool fastopen_synack_expired(uint32_t num_timeout, uint8_t syn_count,
                                           uint32_t synack_retries);

// --- Zero-window probes (persist timer), SPEC §7.2 -------------------------------------------

struct ProbeFiring {
  bool nothing_to_probe;                  // packets_out != 0 or no unsent data: stop probing
  uint32_t probes_out;                    // icsk_probes_out: unanswered probes so far
  std::optional<Instant> probes_started;  // icsk_probes_tstamp (nullopt = first probe)
  Instant now;
  bool orphan;
  Duration rto_backed_off;     // RttEstimator::rto_backed_off(rto_max)
  Duration rto_max = kRtoMax;  // tcp_rto_max(sk): net.ipv4.tcp_rto_max_ms (Linux 6.15+)
  uint32_t backoff;            // icsk_backoff
  Duration user_timeout;       // zero = not set
  bool soft_error;
  uint32_t retries2;
  uint32_t orphan_retries_sysctl;
  // Orphans only: the host has more orphans than tcp_max_orphans allows for this socket
  // (Linux tcp_out_of_resources(sk, true) → tcp_check_oom(): orphans << shift >
  // tcp_max_orphans, shift 1 when nothing was heard from the peer for 2 × TCP_RTO_MAX).
  bool out_of_resources = false;
};

enum class ProbeAction : uint8_t {
  kStop,           // nothing to probe: clear probes_out and probes_started
  kSendProbe,      // send a probe (start the probe clock if probes_started was unset)
  kGiveUp,         // ETIMEDOUT
  kAbortOnMemory,  // an orphan while out of resources: RST, TCPAbortOnMemory, gone
};

// tcp_probe_timer(): the persist timer's give-up rule. Probing continues forever while the peer
// answers (the engine resets probes_out on each ACK); it ends after retries2 unanswered probes,
// after TCP_USER_TIMEOUT since the first probe, or early for orphans. An orphan is checked in
// Linux's order: its retry bound once its RTO reached TCP_RTO_MAX, then tcp_out_of_resources()
// (a reset, done before the probe count is compared), then the probe count.
[[nodiscard]] ProbeAction on_probe_timer(const ProbeFiring& f);

// --- Keepalive, SPEC §11 ---------------------------------------------------------------------

struct KeepaliveFiring {
  Instant now;
  Instant last_heard;     // latest of the last segment received and the last ACK received
  bool busy;              // packets_out != 0 or unsent data queued: not idle
  uint32_t probes_out;    // icsk_probes_out
  Duration idle;          // TCP_KEEPIDLE ?: tcp_keepalive_time
  Duration interval;      // TCP_KEEPINTVL ?: tcp_keepalive_intvl
  uint32_t probes;        // TCP_KEEPCNT ?: tcp_keepalive_probes
  Duration user_timeout;  // zero = not set
};

enum class KeepaliveAction : uint8_t {
  kRearm,      // nothing to do yet: re-arm after `rearm_after`
  kSendProbe,  // send a probe, probes_out += 1, re-arm after `rearm_after` (the interval)
  kGiveUp,     // send RST, then abort with ETIMEDOUT (Linux sends the RST here)
};

struct KeepaliveVerdict {
  KeepaliveAction action;
  Duration rearm_after;  // meaningful for kRearm and kSendProbe
};

// tcp_keepalive_timer() (established part; FIN-WAIT-2 orphans are handled elsewhere): gives
// up after `probes` unanswered probes once idle, or with a user timeout once at least one probe
// is out and the silence has lasted user_timeout. Defaults: 7200 + 9 × 75 = 7875 s.
[[nodiscard]] KeepaliveVerdict on_keepalive_timer(const KeepaliveFiring& f);

}  // namespace synack::tcp
