// ByteRing: the storage under SendQueue and RecvQueue — a circular byte buffer addressed by
// logical offset from its head, allocated lazily and grown in place of a copy.
//
// Why a ring and not a list of per-segment buffers (Linux's skb queues): the TCP engine must
// not allocate per segment on the established fast path (ARCHITECTURE "core contract").
// A ring holds a byte stream in one block: writing, acknowledging or reading a segment is a
// memcpy and an index update. Both queues address bytes by sequence number, so the ring
// offers random access at any logical offset (the receive side writes out-of-order data
// straight into its final place; the send side re-reads any byte for retransmission).
//
// Memory policy (issue "TCP engine": an idle connection must hold close to zero bytes):
//   - Nothing is allocated until the first byte needs room; sizeof(ByteRing) is 16.
//   - grow() makes room for a logical extent: capacity becomes the largest of the need,
//     twice the old capacity and kMinCapacity, but never above the owner's limit (so a
//     16 KB SO_SNDBUF never allocates more than 16 KB, and a 6 MB SO_RCVBUF only grows that
//     far if the peer actually fills it). Growing copies the live bytes once; in steady
//     state the capacity is stable and nothing is allocated.
//   - release() frees the block. The ring never releases on its own: freeing whenever a
//     queue drains would allocate once per request/response on a busy connection. The
//     owner (engine) decides when a connection is idle enough to give memory back.
// Capacity is not rounded to a power of two (a 6 MB limit must not cost 8 MB), so wrapping
// is one compare-and-subtract instead of a mask.
//
// The ring does not know which bytes are valid: the queues keep that bookkeeping.
// Single-threaded, like the rest of the core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace synack::tcp {

// Up to two contiguous pieces of a ring (the second is non-empty only when the range wraps).
struct ByteSpans {
  std::span<const uint8_t> first;
  std::span<const uint8_t> second;

  [[nodiscard]] size_t size() const { return first.size() + second.size(); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  // Copies min(size(), out.size()) bytes into out; returns the count.
  size_t copy_to(std::span<uint8_t> out) const;
};

class ByteRing {
 public:
  static constexpr uint32_t kMinCapacity = 4096;
  // Largest capacity (and owner limit) supported; owners clamp their limits to it.
  static constexpr uint32_t kMaxCapacity = uint32_t{1} << 30;

  ByteRing() = default;
  ByteRing(ByteRing&&) noexcept = default;
  ByteRing& operator=(ByteRing&&) noexcept = default;

  [[nodiscard]] uint32_t capacity() const { return cap_; }

  // Ensures capacity >= need, keeping logical bytes [0, keep) (keep <= capacity()).
  // The new capacity is max(need, min(limit, max(2 * capacity, kMinCapacity))).
  // Allocates only when need > capacity().
  void grow(uint32_t need, uint32_t limit, uint32_t keep);
  // Frees the block (capacity becomes 0).
  void release();

  // Copies `src` to logical offsets [off, off + src.size()); the range must fit capacity.
  void write(uint32_t off, std::span<const uint8_t> src);
  // Copies logical [off, off + out.size()) into out; the range must fit capacity.
  void read(uint32_t off, std::span<uint8_t> out) const;
  // The bytes at logical [off, off + len) as up to two spans; the range must fit capacity.
  [[nodiscard]] ByteSpans spans(uint32_t off, uint32_t len) const;
  // Moves the head forward by n bytes (logical offset n becomes 0).
  void advance(uint32_t n);

 private:
  [[nodiscard]] uint32_t index(uint32_t off) const {
    uint32_t i = head_ + off;  // head_ < cap_ and off <= cap_, so no overflow below 2^31
    return i >= cap_ ? i - cap_ : i;
  }

  std::unique_ptr<uint8_t[]> buf_;
  uint32_t cap_ = 0;
  uint32_t head_ = 0;
};

}  // namespace synack::tcp
