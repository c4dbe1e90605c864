// SackScoreboard: what the peer's SACK blocks told a sender about its outstanding data, and
// the RFC 6675 loss-recovery marks that depend on it (Linux: the TCPCB_SACKED_ACKED /
// TCPCB_LOST / TCPCB_SACKED_RETRANS bits of each skb, tp->sacked_out / lost_out / retrans_out).
//
// Why ranges, not per-segment bits: the send queue is one run of bytes without segment
// boundaries (send_queue.h), so the scoreboard is a sorted set of disjoint SACKed sequence
// ranges above snd_una, plus two points that stand for Linux's per-skb marks:
//   lost      RFC 6675 IsLost(): every unSACKed byte below lost_end() is lost. A hole is lost
//             when more than (DupThresh - 1) * SMSS bytes above it are SACKed — DupThresh 3,
//             Linux's tp->reordering default (tcp_mark_head_lost() in its RFC 6675 mode).
//             Computed from the ranges on demand, never stored.
//   high_rxt  RFC 6675 HighRxt: the highest byte retransmitted in this recovery (+1); the
//             unSACKed bytes below it are "retransmitted and in flight".
// pipe (RFC 6675 SetPipe(), Linux tcp_packets_in_flight()) = outstanding - SACKed - lost +
// retransmitted, in bytes; Flight below gives all four so TCP_INFO can report segments.
//
// Memory: the Tcb holds a null pointer until the first valid SACK block arrives, so an idle
// or loss-free connection pays 8 bytes; the scoreboard (a fixed inline array, no further
// allocation) is freed when everything sent is acknowledged. At most kMaxRanges ranges are
// kept: beyond that the highest range is forgotten. Forgetting is always safe — a byte not
// marked SACKed is only retransmitted again — never the reverse: a byte is skipped for
// retransmission only while the peer's latest information says it holds it, and the
// cumulative ACK, not the scoreboard, is what frees data (reneging, RFC 2018 §8).
//
// Single-threaded like the rest of the core.
#pragma once

#include <array>
#include <cstdint>

#include "wire/seq_num.h"

namespace synack::tcp {

// Proportional Rate Reduction state (RFC 6937, Linux prior_cwnd / prr_delivered / prr_out).
struct PrrState {
  uint32_t prior_cwnd = 0;     // cwnd when recovery began, segments
  uint32_t prr_delivered = 0;  // segments delivered (acked or SACKed) since then
  uint32_t prr_out = 0;        // segments sent since then
};

class SackScoreboard {
 public:
  static constexpr uint32_t kMaxRanges = 16;
  static constexpr uint32_t kDupThresh = 3;  // RFC 6675 DupThresh, Linux tp->reordering

  struct Range {
    wire::SeqNum left;   // first SACKed byte
    wire::SeqNum right;  // one past the last
  };

  // Byte counts of [snd_una, snd_max) (Linux packets_out, sacked_out, lost_out, retrans_out).
  struct Flight {
    uint32_t outstanding = 0;
    uint32_t sacked = 0;
    uint32_t lost = 0;
    uint32_t retrans = 0;
    [[nodiscard]] uint32_t pipe() const { return outstanding - sacked - lost + retrans; }
  };

  // Records [left, right) (already validated: snd_una <= left < right <= snd_max). Returns the
  // bytes newly SACKed by it.
  uint32_t mark(wire::SeqNum left, wire::SeqNum right);
  // The cumulative ACK moved to `una`: forgets what it covers.
  void advance(wire::SeqNum una);
  // Forgets every SACK mark (reneging); the recovery points stay.
  void clear_ranges() { count_ = 0; }

  // True when `una` (a new cumulative ACK) falls inside a SACKed range: the peer threw away
  // data it had SACKed (Linux tcp_check_sack_reneging()).
  [[nodiscard]] bool reneged_at(wire::SeqNum una) const;
  // The first byte at or after `seq` that is not SACKed.
  [[nodiscard]] wire::SeqNum skip_sacked(wire::SeqNum seq) const;
  // Where the unSACKed run starting at `seq` ends: the next range's left edge, or `limit`.
  [[nodiscard]] wire::SeqNum hole_end(wire::SeqNum seq, wire::SeqNum limit) const;
  // SACKed bytes in [from, to).
  [[nodiscard]] uint32_t sacked_between(wire::SeqNum from, wire::SeqNum to) const;
  // RFC 6675 IsLost() as a boundary: every unSACKed byte below it is lost; `una` if none.
  [[nodiscard]] wire::SeqNum lost_end(wire::SeqNum una, uint32_t mss) const;
  // Highest SACKed byte + 1 (`una` if nothing is SACKed).
  [[nodiscard]] wire::SeqNum highest_sacked(wire::SeqNum una) const;

  // `retransmitting_to`: Recovery — high_rxt; Loss (after an RTO, go-back-N) — snd_nxt, with
  // everything unSACKed counted lost (Linux tcp_enter_loss()); otherwise unused.
  enum class Mode : uint8_t { kOpen, kRecovery, kLoss };
  [[nodiscard]] Flight flight(wire::SeqNum una, wire::SeqNum snd_max, wire::SeqNum snd_nxt,
                              uint32_t mss, Mode mode) const;

  [[nodiscard]] uint32_t ranges() const { return count_; }
  [[nodiscard]] const Range& range(uint32_t i) const { return ranges_[i]; }
  [[nodiscard]] bool empty() const { return count_ == 0; }

  // Lost retransmissions. Each retransmission in a recovery is remembered with its fence:
  // snd_max when it left, so every byte at or above the fence was sent after it. When more
  // than (DupThresh - 1) * SMSS bytes above the fence are SACKed while the retransmitted
  // segment is still the unacknowledged head, the retransmission was lost too (the same
  // reordering tolerance as IsLost(); Linux 6.x finds it by RACK's send times, RFC 8985 §6.2,
  // older Linux by tcp_mark_lost_retrans()'s ack_seq — the fence here). Without this only the
  // RTO would resend it. At most kMaxRetransmits are remembered; a retransmission beyond that
  // is simply left to the RTO.
  static constexpr uint32_t kMaxRetransmits = 8;
  void note_retransmit(wire::SeqNum seq, wire::SeqNum fence);
  // True (and the record forgotten) when the retransmission of the segment at `una` is lost.
  [[nodiscard]] bool retransmit_lost(wire::SeqNum una, wire::SeqNum snd_max, uint32_t mss);
  void forget_retransmits() { rxt_count_ = 0; }

  // RFC 6675 HighRxt and the PRR counters of the current recovery (reset when it starts).
  wire::SeqNum high_rxt;
  PrrState prr;

 private:
  void erase(uint32_t i, uint32_t n);

  struct Retransmit {
    wire::SeqNum seq;    // first byte of the retransmitted segment
    wire::SeqNum fence;  // snd_max when it was sent
  };

  std::array<Range, kMaxRanges> ranges_{};
  uint32_t count_ = 0;
  std::array<Retransmit, kMaxRetransmits> rxts_{};
  uint32_t rxt_count_ = 0;
};

// Whole segments of `mss` in `bytes`, rounded up (Linux counts packets; synack counts bytes).
[[nodiscard]] constexpr uint32_t segments(uint32_t bytes, uint32_t mss) {
  return mss == 0 ? bytes : (bytes + mss - 1) / mss;
}

}  // namespace synack::tcp
