// NewReno's algorithm-specific part: how the window grows and where ssthresh goes on loss.
//
// The split follows Linux's tcp_congestion_ops: the loss-recovery state machine (dupack
// counting, fast retransmit, the RFC 6582 `recover` point, RTO handling) is shared and lives in
// CongestionControl; an algorithm only supplies growth on ACK and the post-loss ssthresh. Linux
// calls this algorithm "reno" (tcp_reno_cong_avoid(), tcp_reno_ssthresh()); with its shared
// non-SACK recovery it behaves as NewReno.
//   growth:   RFC 5681 §3.1 as Linux does it — nothing unless the flow is cwnd-limited (Linux
//             tcp_is_cwnd_limited(), the RFC 7661 idea: an application-limited sender must not
//             inflate a window it never uses); slow start while cwnd < ssthresh, leftover
//             acked segments go to congestion avoidance (+1 segment per cwnd acked).
//   ssthresh: RFC 5681 eq. (4), max(FlightSize / 2, 2 segments). Linux's tcp_reno_ssthresh()
//             halves cwnd instead of FlightSize; the two agree whenever the sender is
//             cwnd-limited, which is also the only time Linux lets cwnd grow.
//
// A stateless value type: CUBIC (RFC 9438) will be a sibling with its own state (epoch, W_max,
// K, ...) and the same two member functions, added to CongestionControl's variant.
#pragma once

#include <cstdint>

#include "tcp/congestion/window.h"

namespace synack::tcp {

class NewReno {
 public:
  static constexpr const char* kName = "reno";  // net.ipv4.tcp_congestion_control spelling

  // tcp_reno_cong_avoid(): growth for one ACK outside recovery.
  void on_ack(CongestionWindow& w, const AckSample& ack) const;
  // Slow-start threshold after a loss with `flight_size` segments outstanding.
  [[nodiscard]] uint32_t ssthresh_after_loss(const CongestionWindow& w, uint32_t flight_size) const;
};

}  // namespace synack::tcp
