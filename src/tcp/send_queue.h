// SendQueue: the application's unsent and unacknowledged bytes, as one run of sequence
// space starting at snd_una (RFC 9293 §3.3.1), plus the FIN that follows them.
//
// Why one contiguous run: everything the sender needs is a position in that run. A new
// segment, a retransmission after RTO (re-read from snd_una), a fast or SACK-driven
// retransmission of any hole — all are peek(seq, len) at some sequence number, so segment
// boundaries need not be remembered here and re-segmentation (smaller MSS after PMTU
// discovery, coalescing on retransmit as Linux does) is free. Per-segment facts that do need
// boundaries (time sent, retransmitted for Karn's rule, SACKed for RFC 6675's scoreboard)
// belong to the loss-recovery code that owns them, not to the byte store.
//
// Sequence layout, with una = snd_una:
//     [una, una + size())      data bytes, acknowledged up to una, some maybe sent
//     una + size()             the FIN's sequence number, once shutdown() was called
// write() refuses new bytes after shutdown(), so the FIN always sits after the last data
// byte and a sender that emits "data up to end_seq(), then FIN at fin_seq()" can never put
// FIN ahead of data (SPEC §8.2). ack() accepts the FIN's number + 1 and reports fin_acked.
//
// Limits: write() takes as many bytes as fit under limit() (a non-blocking socket's partial
// write). The limit is the socket's send buffer (SO_SNDBUF / tcp_wmem: default 16384, max
// 4 MB); the engine converts the socket option and may change it (autotuning) at any time.
// A lower limit never drops queued bytes, it only refuses more.
//
// Memory: see ByteRing. No allocation per segment once the ring reached its working size;
// release_if_empty() gives the block back when the engine deems the connection idle.
// Single-threaded, like the rest of the core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "tcp/byte_ring.h"
#include "wire/seq_num.h"

namespace synack::tcp {

enum class AckStatus : uint8_t {
  kDuplicate,  // up_to == snd_una: nothing new (the engine's duplicate-ACK logic decides)
  kOld,        // up_to before snd_una: an old ACK, ignored
  kAdvanced,   // bytes (and/or the FIN) were acknowledged and freed
  kBeyond,     // up_to is past everything queued (data and FIN): refused, nothing changed
};
const char* to_string(AckStatus s);

struct AckResult {
  AckStatus status = AckStatus::kDuplicate;
  uint32_t bytes_acked = 0;  // data bytes freed (the FIN is not a byte)
  bool fin_acked = false;    // this ACK covered our FIN
};

class SendQueue {
 public:
  static constexpr uint32_t kDefaultLimit = 16384;  // tcp_wmem[1]

  // `snd_una`: sequence number of the first data byte (ISS + 1 once the SYN is accounted).
  explicit SendQueue(wire::SeqNum snd_una = wire::SeqNum{0}, uint32_t limit = kDefaultLimit);

  // Restarts an empty queue at a new first sequence number (e.g. when the ISS is chosen).
  // Returns false, changing nothing, if the queue holds data or a FIN.
  bool reset(wire::SeqNum snd_una);

  // Appends as many bytes as fit under limit(); returns the count (0 when full or after
  // shutdown()).
  [[nodiscard]] size_t write(std::span<const uint8_t> data);
  // Queues the FIN after the last byte written (idempotent). Returns its sequence number.
  wire::SeqNum shutdown();

  // Frees everything before `up_to`. See AckStatus for the outcomes.
  [[nodiscard]] AckResult ack(wire::SeqNum up_to);

  // Up to `len` data bytes starting at `seq` (snd_una <= seq <= end_seq()), as up to two
  // spans; fewer if the data ends sooner, none if seq is outside that range. The spans stay
  // valid until the next write(), ack(), set_limit() or release_if_empty().
  [[nodiscard]] ByteSpans peek(wire::SeqNum seq, uint32_t len) const;
  // Copies the bytes peek(seq, out.size()) would return into out; returns the count.
  size_t copy_out(wire::SeqNum seq, std::span<uint8_t> out) const;

  [[nodiscard]] wire::SeqNum snd_una() const { return una_; }
  // One past the last data byte (where the FIN goes).
  [[nodiscard]] wire::SeqNum end_seq() const { return una_ + size_; }
  // The FIN's sequence number while queued and not yet acknowledged.
  [[nodiscard]] std::optional<wire::SeqNum> fin_seq() const;
  [[nodiscard]] bool fin_queued() const { return fin_ != Fin::kNone; }
  [[nodiscard]] bool fin_acked() const { return fin_ == Fin::kAcked; }

  // Data bytes not yet acknowledged (sent or not).
  [[nodiscard]] uint32_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  // Data bytes at or after snd_nxt (0 if snd_nxt is at or past end_seq(); all of them if
  // snd_nxt is before snd_una).
  [[nodiscard]] uint32_t unsent(wire::SeqNum snd_nxt) const;
  // Room for write(): limit() - size(), or 0.
  [[nodiscard]] uint32_t free_space() const { return size_ < limit_ ? limit_ - size_ : 0; }
  [[nodiscard]] uint32_t limit() const { return limit_; }
  void set_limit(uint32_t limit);

  // Bytes of heap held (the ring's capacity).
  [[nodiscard]] size_t buffer_bytes() const { return ring_.capacity(); }
  // Frees the ring if no data is queued; returns true if memory was released.
  bool release_if_empty();

 private:
  enum class Fin : uint8_t { kNone, kQueued, kAcked };

  ByteRing ring_;
  wire::SeqNum una_;
  uint32_t size_ = 0;
  uint32_t limit_;
  Fin fin_ = Fin::kNone;
};

}  // namespace synack::tcp
