// The congestion window every algorithm shares, and the growth helpers Linux gives them all
// (net/ipv4/tcp_cong.c tcp_slow_start(), tcp_cong_avoid_ai()).
//
// Units: segments, as Linux counts them (snd_cwnd, snd_ssthresh are packet counts; TCP_INFO
// reports them that way, and ss prints "cwnd:10"). The engine converts to bytes with its
// current MSS when deciding how much it may send. Growth is by *acknowledged segments*, the
// packet-count form of RFC 3465 byte counting that Linux uses:
//   - slow start (cwnd < ssthresh): cwnd += segments acked, stopping at ssthresh; what is left
//     over carries into congestion avoidance. Linux applies no per-ACK cap (RFC 3465's L), so
//     a stretch ACK for 2 segments adds 2 — cwnd doubles per RTT with or without delayed ACKs.
//   - congestion avoidance: acked segments accumulate in cwnd_cnt; each full window's worth
//     (w) adds one segment: +1 MSS per RTT (RFC 5681 §3.1 eq. 3, counted exactly, not as
//     MSS*MSS/cwnd per ACK).
// RFC 6928 / Linux TCP_INIT_CWND: the initial window is 10 segments; Linux drops it to 1 when
// the handshake needed more than one retransmission (tcp_init_transfer(), RFC 5681 §3.1 relaxed
// for the 1 s initial RTO).
//
// Value types only; single-threaded like the rest of the core.
#pragma once

#include <cstdint>

#include <synack/time.h>

#include "wire/seq_num.h"

namespace synack::tcp {

inline constexpr uint32_t kInfiniteSsthresh = 0x7fffffff;  // TCP_INFINITE_SSTHRESH
inline constexpr uint32_t kInitialCwnd = 10;               // TCP_INIT_CWND (RFC 6928)

struct CongestionWindow {
  uint32_t cwnd = kInitialCwnd;           // snd_cwnd, segments, always >= 1
  uint32_t ssthresh = kInfiniteSsthresh;  // snd_ssthresh, segments
  uint32_t cwnd_cnt = 0;                  // snd_cwnd_cnt: acked segments toward the next +1
  uint32_t cwnd_clamp = UINT32_MAX;       // snd_cwnd_clamp

  [[nodiscard]] bool in_slow_start() const { return cwnd < ssthresh; }  // tcp_in_slow_start()
};

// What the engine knows about one ACK that advanced snd_una.
struct AckSample {
  wire::SeqNum ack;         // SEG.ACK (snd_una after this ACK)
  uint32_t acked_segments;  // segments newly acknowledged by it
  uint32_t flight_size;     // segments still outstanding after it (RFC 5681 FlightSize)
  bool cwnd_limited;        // tcp_is_cwnd_limited(): the sender was using its whole cwnd
  Duration rtt;             // this ACK's RTT sample, negative if none (unused by NewReno)
  Instant now;              // (unused by NewReno; CUBIC's clock)
};

// tcp_slow_start(): grows cwnd by `acked` up to ssthresh; returns the acked segments left over.
uint32_t slow_start(CongestionWindow& w, uint32_t acked);

// tcp_cong_avoid_ai(): +1 segment per `per_increment` segments acked (per_increment = cwnd for
// Reno's one MSS per RTT).
void cong_avoid_ai(CongestionWindow& w, uint32_t per_increment, uint32_t acked);

// tcp_init_transfer(): IW for a new connection given how many times its SYN or SYN+ACK was
// retransmitted.
[[nodiscard]] constexpr uint32_t initial_cwnd(uint32_t handshake_retransmissions) {
  return handshake_retransmissions > 1 ? 1 : kInitialCwnd;
}

}  // namespace synack::tcp
