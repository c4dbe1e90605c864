// RecvQueue: received bytes on their way to the application — the in-order part it can
// read, and out-of-order data waiting for the gap before it to fill (SPEC §7.1).
//
// Layout. One ByteRing addressed by sequence number, logical offset 0 = the first unread
// byte (read_seq). Sequence space, left to right:
//     [read_seq, rcv_nxt)            in order, readable (FIONREAD = readable())
//     [rcv_nxt, read_seq + limit)    the receive window; out-of-order ranges live here
// Out-of-order bytes are written straight into their final place in the ring, so filling a
// gap is an index update — no per-segment buffers, no copy when ranges merge. Which bytes
// beyond rcv_nxt are valid is kept in a sorted table of disjoint, non-adjacent ranges.
//
// insert(seq, bytes, fin) implements the receive side of RFC 9293 §3.10.7.4: bytes before
// rcv_nxt are trimmed (duplicate), bytes past the right edge (read_seq + limit, or a FIN
// already received) are trimmed (beyond window), and within the window only bytes not yet
// held are written: when a retransmission overlaps stored data with different content, the
// first received copy wins, as in Linux. The result says what happened so the engine can
// choose its ACK (RFC 5681 §4.2: ACK at once for out-of-order data and for a segment that
// fills a gap; RFC 2883 D-SACK for a duplicate).
//
// The window. window() = read_seq + limit - rcv_nxt: the free space the engine may
// advertise (it applies window scaling, SWS avoidance and "never shrink" itself, SPEC §7.2).
// Out-of-order data lies inside that window, so it does not reduce it.
//
// Bounded reassembly. The range table holds at most kMaxOfoRanges entries (allocated only
// when out-of-order data first arrives, released with the ring). A hostile peer sending
// 1-byte segments with gaps can therefore cost at most one table and the buffer it was
// already allowed. When a new range would be one too many, Linux's tcp_prune_ofo_queue
// policy applies: data nearer rcv_nxt is worth more (it unblocks the reader first), so
//   - if the new range lies above every stored range, it is refused (ofo_dropped);
//   - otherwise the highest stored range is discarded (ofo_pruned) to make room.
// Discarding SACKed data is "reneging" (RFC 2018 §8); the peer keeps such data until it is
// cumulatively acknowledged, so it retransmits it. Both counts go to the engine's MIB.
//
// SACK (RFC 2018 §4). Each range carries the stamp of its last change; sack_blocks() lists
// ranges by most recent change first, so the first block contains the segment that
// triggered the ACK (even a duplicate of stored data), then the most recently reported.
//
// FIN. A FIN is recorded when every byte before it was accepted (a FIN needs no buffer
// space: Linux accepts a bare FIN even into a zero window). An out-of-order FIN waits like
// data; when rcv_nxt reaches it, rcv_nxt steps over it and the insert reports `fin`. Data
// after a recorded FIN is refused; a second FIN at another number is ignored. eof() is true
// once the FIN is in order and every byte before it has been read.
//
// Memory: see ByteRing. release_if_empty() frees the ring and the range table when nothing
// is buffered; the engine calls it when it considers the connection idle.
// Single-threaded, like the rest of the core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "tcp/byte_ring.h"
#include "wire/seq_num.h"
#include "wire/tcp_segment.h"

namespace synack::tcp {

struct InsertResult {
  uint32_t in_order = 0;       // bytes that became readable (this segment + merged ranges)
  uint32_t out_of_order = 0;   // new bytes stored beyond rcv_nxt
  uint32_t duplicate = 0;      // bytes already held (before rcv_nxt or in a stored range)
  uint32_t beyond_window = 0;  // bytes refused past the right edge or a recorded FIN
  uint32_t ofo_dropped = 0;    // bytes refused because the range table was full
  uint32_t ofo_pruned = 0;     // stored out-of-order bytes discarded to make room
  bool fin = false;            // the FIN is now in order (rcv_nxt stepped over it)
  bool filled_gap = false;     // rcv_nxt advanced while out-of-order data was waiting
  // The first duplicate run, for a D-SACK block (RFC 2883); empty when left == right.
  wire::SackBlock dsack{};

  // RFC 5681 §4.2: an out-of-order segment, a duplicate, or one that fills a gap should be
  // acknowledged at once rather than delayed.
  [[nodiscard]] bool wants_immediate_ack() const {
    return out_of_order > 0 || duplicate > 0 || filled_gap || ofo_dropped > 0 || beyond_window > 0;
  }
};

class RecvQueue {
 public:
  static constexpr uint32_t kDefaultLimit = 131072;  // tcp_rmem[1]
  static constexpr uint16_t kMaxOfoRanges = 64;

  // `rcv_nxt`: sequence number of the first data byte expected (IRS + 1).
  explicit RecvQueue(wire::SeqNum rcv_nxt = wire::SeqNum{0}, uint32_t limit = kDefaultLimit);

  // Restarts an empty queue at a new rcv_nxt (e.g. when the peer's SYN arrives). Returns
  // false, changing nothing, if anything is buffered or a FIN was recorded.
  bool reset(wire::SeqNum rcv_nxt);

  // A segment's text starting at `seq`, with `fin` if it carried FIN. Any seq is accepted
  // (modular distance from rcv_nxt); the engine's acceptability test comes first.
  [[nodiscard]] InsertResult insert(wire::SeqNum seq, std::span<const uint8_t> data,
                                    bool fin = false);

  // Copies up to out.size() readable bytes and consumes them; returns the count.
  size_t read(std::span<uint8_t> out);
  // Like read() without consuming (MSG_PEEK).
  size_t peek(std::span<uint8_t> out) const;
  // The readable bytes in place (valid until the next insert/read/consume), and consume(n)
  // to drop n of them after use: zero-copy reading.
  [[nodiscard]] ByteSpans readable_spans() const;
  void consume(uint32_t n);

  [[nodiscard]] uint32_t readable() const { return static_cast<uint32_t>(nxt_ - read_seq_); }
  // The next sequence number expected, counting the FIN once it is in order.
  [[nodiscard]] wire::SeqNum rcv_nxt() const { return fin_in_order_ ? nxt_ + 1 : nxt_; }
  // Free space to advertise: read_seq + limit - rcv_nxt, or 0.
  [[nodiscard]] uint32_t window() const;
  // The highest sequence number (exclusive) the queue can hold now: read_seq + limit.
  [[nodiscard]] wire::SeqNum right_edge() const { return read_seq_ + limit_; }

  [[nodiscard]] std::optional<wire::SeqNum> fin_seq() const;
  [[nodiscard]] bool fin_received() const { return fin_in_order_; }  // FIN is in order
  [[nodiscard]] bool eof() const { return fin_in_order_ && readable() == 0; }

  [[nodiscard]] size_t ofo_ranges() const { return nranges_; }
  [[nodiscard]] uint32_t ofo_bytes() const;
  // Writes up to out.size() SACK blocks, most recently changed first; returns the count.
  // A block that ends at a recorded out-of-order FIN includes the FIN's number.
  size_t sack_blocks(std::span<wire::SackBlock> out) const;

  [[nodiscard]] uint32_t limit() const { return limit_; }
  // A lower limit never discards buffered bytes; it narrows the window for new ones.
  void set_limit(uint32_t limit);

  // Heap held: the ring plus the range table if allocated.
  [[nodiscard]] size_t buffer_bytes() const;
  // Frees ring and range table if nothing is buffered; returns true if memory was released.
  bool release_if_empty();

 private:
  struct Range {
    wire::SeqNum left;
    wire::SeqNum right;
    uint64_t stamp;  // value of stamp_ at the last change, for SACK block order (no wrap)
  };

  // Writes the parts of `data` (starting at sequence s) not covered by stored ranges;
  // returns the bytes written and records the first overlap in *dsack if it is empty.
  uint32_t write_uncovered(wire::SeqNum s, std::span<const uint8_t> data, wire::SackBlock* dsack);
  // Stores out-of-order [s, s + data.size()) under the table policy (see the top).
  void insert_out_of_order(wire::SeqNum s, std::span<const uint8_t> data, InsertResult* r);
  // Moves nxt_ over the stored ranges that now touch it.
  void absorb_ranges();
  // Makes the ring large enough to hold bytes up to sequence `end`.
  void reserve_to(wire::SeqNum end);
  [[nodiscard]] wire::SeqNum highest_end() const;

  ByteRing ring_;
  std::unique_ptr<Range[]> ranges_;  // sorted by left; allocated on first out-of-order data
  wire::SeqNum read_seq_;            // first unread byte (ring offset 0)
  wire::SeqNum nxt_;                 // one past the last in-order data byte
  wire::SeqNum fin_at_;              // the FIN's sequence number if has_fin_
  uint32_t limit_;
  uint64_t stamp_ = 0;
  uint16_t nranges_ = 0;
  bool has_fin_ = false;
  bool fin_in_order_ = false;
};

}  // namespace synack::tcp
