// BulkTransfer: one connection from stack A to stack B over an InMemoryPair, the sender
// writing as fast as its send buffer takes data and the receiver reading everything — the
// established fast path the throughput benchmark times and the allocation test counts.
//
// The sender writes a fixed pattern (a counter of bytes modulo 251, a prime, so the pattern
// does not line up with segment or buffer sizes); the receiver checks it when asked, which
// proves every byte arrived once and in order without keeping a copy of the stream.
//
// Each round: write until send() says EAGAIN, deliver, read until recv() says EAGAIN,
// deliver, then move the clock by `round_time` (the stand-in for a round trip; timers due by
// then fire). A round with no progress jumps to the next deadline (a delayed ACK, a window
// probe); a transfer that makes no progress for 10 virtual seconds has stalled and reports
// it instead of spinning.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "in_memory_pair.h"

namespace synack::bench {

class BulkTransfer {
 public:
  static constexpr uint32_t kPatternPeriod = 251;

  explicit BulkTransfer(InMemoryPair& pair, Duration round_time = Duration::micros(10))
      : pair_(pair), round_time_(round_time), src_(64 * 1024 + kPatternPeriod), dst_(256 * 1024) {
    for (size_t i = 0; i < src_.size(); ++i)
      src_[i] = static_cast<uint8_t>(i % kPatternPeriod);
  }

  // Opens the connection; false (with error()) if the handshake fails.
  bool open() {
    auto [c, s] = pair_.connect();
    if (c == kNoSocket || s == kNoSocket) {
      error_ = "handshake failed";
      return false;
    }
    client_ = c;
    server_ = s;
    return true;
  }

  // Moves `bytes` more from A to B (the receiver reads them all). False on a stall or a
  // pattern mismatch (see error()).
  bool transfer(uint64_t bytes, bool check_pattern) {
    const uint64_t target = received_ + bytes;
    Instant last_progress = pair_.now();
    while (received_ < target) {
      bool progress = false;
      // The writer: never more than the target, so the stream ends where the caller wants.
      while (sent_ < target) {
        const size_t off = sent_ % kPatternPeriod;
        const uint64_t left = target - sent_;
        const size_t want = left < 64 * 1024 ? static_cast<size_t>(left) : 64 * 1024;
        auto r =
            pair_.a().send(client_, std::span<const uint8_t>(src_.data() + off, want), pair_.now());
        if (!r.has_value() || r.value() == 0) break;
        sent_ += r.value();
        progress = true;
      }
      pair_.pump();
      for (;;) {
        auto r = pair_.b().recv(server_, dst_, pair_.now());
        if (!r.has_value() || r.value() == 0) break;
        if (check_pattern && !check(r.value())) return false;
        received_ += r.value();
        progress = true;
      }
      pair_.pump();
      if (progress) {
        last_progress = pair_.now();
        pair_.step(round_time_);
      } else if (pair_.now() - last_progress > Duration::seconds(10) ||
                 !pair_.settle(pair_.now() + Duration::seconds(10))) {
        error_ = "stalled at " + std::to_string(received_) + " bytes received, " +
                 std::to_string(sent_) + " sent";
        return false;
      }
    }
    return true;
  }

  [[nodiscard]] SocketId client() const { return client_; }
  [[nodiscard]] SocketId server() const { return server_; }
  [[nodiscard]] uint64_t received() const { return received_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool check(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (dst_[i] != static_cast<uint8_t>((received_ + i) % kPatternPeriod)) {
        error_ = "byte " + std::to_string(received_ + i) + " is wrong";
        return false;
      }
    }
    return true;
  }

  InMemoryPair& pair_;
  Duration round_time_;
  std::vector<uint8_t> src_;
  std::vector<uint8_t> dst_;
  SocketId client_ = kNoSocket;
  SocketId server_ = kNoSocket;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  std::string error_;
};

}  // namespace synack::bench
