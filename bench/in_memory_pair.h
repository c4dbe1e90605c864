// InMemoryPair: two Stacks in one process joined by an in-memory wire, with no simulator —
// what the TCP benchmarks and the fast-path allocation test drive.
//
// Why a queue and not a direct call: Stack::input may not be re-entered. If A's transmit()
// called B.input() directly, B's ACK would call A.input() while A is still inside its own
// output(), half-way through building a segment. So each transmit() copies the packet into a
// FIFO shared by both directions and returns; pump() then delivers packets one at a time, in
// the order they were sent, until nothing is left. That is a wire with zero latency and
// infinite bandwidth, which is the point: the benchmarks measure the stacks, not a link model.
//
// Allocation: the FIFO is a ring of byte vectors that keep their capacity, and the packet
// being delivered is swapped out of its slot (no copy, no allocation) so that packets sent
// during its delivery may grow the ring safely. After warm-up (the ring at its high-water
// mark) moving a packet allocates nothing, so heap counters see only the stacks.
//
// Time is virtual and only moves when the driver says so: step(d) moves the clock and fires
// due timers; settle() jumps to the next deadline when the wire is idle.
//
// Single-threaded, like the stacks.
#pragma once

#include <synack/time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "stack/packet_output.h"
#include "stack/stack.h"
#include "wire/ipv4_address.h"

namespace synack::bench {

class InMemoryPair {
 public:
  static constexpr uint16_t kServerPort = 5001;

  explicit InMemoryPair(uint64_t seed = 1, StackConfig a = default_config(1),
                        StackConfig b = default_config(2))
      : out_a_(*this, 0),
        out_b_(*this, 1),
        a_(a, seed * 2 + 1, out_a_),
        b_(b, seed * 2 + 2, out_b_) {
    ring_.resize(64);
    for (auto& slot : ring_)
      slot.reserve(2048);
    current_.reserve(2048);
  }
  InMemoryPair(const InMemoryPair&) = delete;
  InMemoryPair& operator=(const InMemoryPair&) = delete;

  static StackConfig default_config(uint8_t host) {
    return StackConfig{.address = wire::Ipv4Address::from_octets(10, 0, 0, host)};
  }

  [[nodiscard]] Stack& a() { return a_; }
  [[nodiscard]] Stack& b() { return b_; }
  [[nodiscard]] Instant now() const { return now_; }
  [[nodiscard]] uint64_t packets_delivered() const { return delivered_; }
  [[nodiscard]] size_t in_flight() const { return count_; }
  // Loses each packet sent from now on with probability `p` (a seeded, replayable draw), for
  // the loss-recovery benchmarks; 0 (the default) loses nothing and draws nothing.
  void set_loss(double p, uint64_t seed) {
    loss_ = p;
    loss_rng_ = Rng(seed);
  }
  [[nodiscard]] uint64_t packets_lost() const { return lost_; }
  // A copy of the largest packet either stack has sent (a full data segment once data flows).
  [[nodiscard]] const std::vector<uint8_t>& largest_packet() const { return largest_; }

  // Called with 0 (stack A) or 1 (stack B) before every call the pair makes into a stack, so
  // an allocation counter can attribute heap use to a side. Null: no hook.
  void (*on_enter)(int side) = nullptr;

  // Delivers queued packets (and whatever they cause) until the wire is empty.
  void pump() {
    while (count_ > 0) {
      std::swap(current_, ring_[head_]);
      const int to = sides_[head_];
      head_ = (head_ + 1) % ring_.size();
      --count_;
      ++delivered_;
      enter(to);
      (to == 0 ? a_ : b_).input(std::span<const uint8_t>(current_), now_);
    }
  }

  // Moves the clock by `d`, fires due timers on both stacks and pumps.
  void step(Duration d) {
    now_ = now_ + d;
    fire_due();
    pump();
  }

  // With the wire empty: jumps to the earliest deadline of either stack (if any is due before
  // `limit`), fires it and pumps. Returns false when no deadline is left before `limit`.
  bool settle(Instant limit) {
    pump();
    const Instant next = std::min(a_.next_deadline(), b_.next_deadline());
    if (next.is_infinite() || next > limit) return false;
    if (next > now_) now_ = next;
    fire_due();
    pump();
    return true;
  }

  // Opens one connection from A to a listener on B (created on first use) and accepts it.
  // Returns {client socket on A, server socket on B}, or {0, 0} if the handshake failed.
  std::pair<SocketId, SocketId> connect() {
    if (listener_ == kNoSocket) {
      enter(1);
      listener_ = b_.socket().value();
      if (b_.bind(listener_, Endpoint{b_addr(), kServerPort}) != 0) return {};
      if (b_.listen(listener_, 4096, now_) != 0) return {};
    }
    enter(0);
    const SocketId c = a_.socket().value();
    if (a_.connect(c, Endpoint{b_addr(), kServerPort}, now_) != EINPROGRESS) return {};
    pump();
    enter(1);
    auto s = b_.accept(listener_, now_);
    if (!s.has_value()) return {};
    return {c, s.value()};
  }

  [[nodiscard]] SocketId listener() const { return listener_; }

 private:
  class Output final : public PacketOutput {
   public:
    Output(InMemoryPair& pair, int side) : pair_(pair), side_(side) {}
    void transmit(std::span<const uint8_t> packet, Instant /*now*/) override {
      pair_.enqueue(packet, side_ == 0 ? 1 : 0);
    }

   private:
    InMemoryPair& pair_;
    int side_;
  };

  wire::Ipv4Address b_addr() { return wire::Ipv4Address::from_octets(10, 0, 0, 2); }

  void enter(int side) {
    if (on_enter != nullptr) on_enter(side);
  }

  void enqueue(std::span<const uint8_t> packet, int to) {
    if (loss_ > 0 && loss_rng_.chance(loss_)) {
      ++lost_;
      return;
    }
    if (count_ == ring_.size()) grow();
    const size_t tail = (head_ + count_) % ring_.size();
    ring_[tail].assign(packet.begin(), packet.end());
    sides_[tail] = to;
    ++count_;
    if (packet.size() > largest_.size()) largest_.assign(packet.begin(), packet.end());
  }

  void grow() {
    std::vector<std::vector<uint8_t>> bigger(ring_.size() * 2);
    std::vector<int> sides(bigger.size());
    for (size_t i = 0; i < count_; ++i) {
      bigger[i] = std::move(ring_[(head_ + i) % ring_.size()]);
      sides[i] = sides_[(head_ + i) % ring_.size()];
    }
    for (auto& slot : bigger) {
      if (slot.capacity() == 0) slot.reserve(2048);
    }
    ring_ = std::move(bigger);
    sides_ = std::move(sides);
    head_ = 0;
  }

  void fire_due() {
    if (a_.next_deadline() <= now_) {
      enter(0);
      a_.advance(now_);
    }
    if (b_.next_deadline() <= now_) {
      enter(1);
      b_.advance(now_);
    }
  }

  Output out_a_;
  Output out_b_;
  std::vector<std::vector<uint8_t>> ring_;
  std::vector<int> sides_ = std::vector<int>(64);
  std::vector<uint8_t> current_;
  std::vector<uint8_t> largest_;
  size_t head_ = 0;
  size_t count_ = 0;
  uint64_t delivered_ = 0;
  double loss_ = 0;
  Rng loss_rng_{1};
  uint64_t lost_ = 0;
  Instant now_ = Instant::zero() + Duration::seconds(1);
  SocketId listener_ = kNoSocket;
  Stack a_;
  Stack b_;
};

}  // namespace synack::bench
