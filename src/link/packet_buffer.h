// Pooled packet buffers: the unit that moves through links, decorators and the simulator.
//
// A packet is owned by exactly one stage at a time (a link's queue, an event in the
// simulator, a decorator passing it on), so ownership is a move-only handle, PacketPtr.
// When the handle dies the buffer goes back to its pool with its capacity intact, so a
// packet that crosses five hops and a million packets that cross one are not reallocated
// (ARCHITECTURE: no heap allocation per packet in the fast path). Buffers start with room
// for a 1500-byte MTU and grow once if a larger packet (a TUN with offloads) needs it.
//
// The pool must outlive every PacketPtr it handed out; live() lets tests check for leaks.
// Single-threaded, like everything the simulator touches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace synack::link {

class PacketPool;

class PacketBuffer {
 public:
  [[nodiscard]] std::span<uint8_t> bytes() { return {data_.data(), data_.size()}; }
  [[nodiscard]] std::span<const uint8_t> bytes() const { return {data_.data(), data_.size()}; }
  [[nodiscard]] size_t size() const { return data_.size(); }
  // Sets the length; contents up to the old length are kept. No allocation within capacity.
  std::span<uint8_t> resize(size_t n) {
    data_.resize(n);
    return bytes();
  }
  void assign(std::span<const uint8_t> src) { data_.assign(src.begin(), src.end()); }

 private:
  friend class PacketPool;
  friend struct PacketRecycler;
  explicit PacketBuffer(PacketPool* pool, size_t reserve) : pool_(pool) { data_.reserve(reserve); }
  std::vector<uint8_t> data_;
  PacketPool* pool_;
};

struct PacketRecycler {
  void operator()(PacketBuffer* b) const;
};
using PacketPtr = std::unique_ptr<PacketBuffer, PacketRecycler>;

class PacketPool {
 public:
  static constexpr size_t kDefaultReserve = 2048;  // an Ethernet MTU plus headroom

  PacketPool() = default;
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;
  ~PacketPool();

  // A buffer of `size` bytes (contents unspecified: the caller writes all of them).
  [[nodiscard]] PacketPtr make(size_t size);
  // A buffer holding a copy of `bytes`.
  [[nodiscard]] PacketPtr copy(std::span<const uint8_t> bytes);

  // Buffers currently handed out, and buffers ever created (allocations).
  [[nodiscard]] size_t live() const { return live_; }
  [[nodiscard]] size_t created() const { return created_; }

 private:
  friend struct PacketRecycler;
  void recycle(PacketBuffer* b);

  std::vector<PacketBuffer*> free_;
  size_t live_ = 0;
  size_t created_ = 0;
};

}  // namespace synack::link
