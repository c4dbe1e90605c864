// A TCP segment as a validated value ("repr" in smoltcp's terms): header fields in host
// order, options decoded, payload as a view into the packet buffer it was parsed from.
// Parsing and emitting live in wire/packet.h; nothing outside wire/ touches byte order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "wire/seq_num.h"

namespace synack::wire {

// Flag bits as they appear in byte 13 of the TCP header.
namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace tcp_flags

// Option kinds (SPEC §1.3).
namespace tcp_option {
inline constexpr uint8_t kEol = 0;
inline constexpr uint8_t kNop = 1;
inline constexpr uint8_t kMss = 2;
inline constexpr uint8_t kWindowScale = 3;
inline constexpr uint8_t kSackPermitted = 4;
inline constexpr uint8_t kSack = 5;
inline constexpr uint8_t kTimestamps = 8;
inline constexpr uint8_t kFastOpen = 34;
inline constexpr uint8_t kExperimental = 254;
inline constexpr uint16_t kFastOpenMagic = 0xF989;  // RFC 7413 §4.1.1 experimental form
}  // namespace tcp_option

struct SackBlock {
  SeqNum left;   // first sequence number of the block
  SeqNum right;  // one past the last
  bool operator==(const SackBlock&) const = default;
};

struct Timestamps {
  uint32_t val = 0;  // TSval
  uint32_t ecr = 0;  // TSecr
  bool operator==(const Timestamps&) const = default;
};

// RFC 7413: an empty cookie (length 0) is a cookie request; a cookie is 4..16 bytes, even.
// parse_packet never yields another length: a Fast Open option with an invalid cookie length
// is skipped (counted in unknown_count), as Linux treats it as an invalid cookie.
struct FastOpenCookie {
  std::array<uint8_t, 16> bytes{};
  uint8_t len = 0;
  bool experimental = false;  // kind 254 with magic 0xF989 instead of kind 34
  bool operator==(const FastOpenCookie&) const = default;
};

// Decoded options. Values are as received (MSS 0, window scale > 14 included); which
// options count on which segment is for tcp/ to decide. If an option appears twice, the last
// occurrence wins (Linux tcp_parse_options). emit_packet writes them in Linux's order.
struct TcpOptions {
  // At most 4 SACK blocks fit in 40 option bytes (3 alongside timestamps).
  static constexpr int kMaxSackBlocks = 4;

  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // shift as received (a receiver clamps to 14)
  bool sack_permitted = false;
  std::optional<Timestamps> timestamps;
  uint8_t sack_block_count = 0;
  std::array<SackBlock, kMaxSackBlocks> sack_blocks{};
  std::optional<FastOpenCookie> fast_open;
  // Options skipped by length because synack does not know them (parse only; saturates at
  // 255; never emitted).
  uint8_t unknown_count = 0;

  bool operator==(const TcpOptions&) const = default;
};

struct TcpSegment {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  uint8_t flags = 0;    // tcp_flags bits
  uint16_t window = 0;  // as on the wire (unscaled)
  uint16_t urgent = 0;
  TcpOptions options;
  std::span<const uint8_t> payload;

  [[nodiscard]] bool has(uint8_t flag) const { return (flags & flag) != 0; }
  // Sequence space the segment occupies: payload plus one each for SYN and FIN.
  [[nodiscard]] uint32_t seq_len() const {
    return static_cast<uint32_t>(payload.size()) + (has(tcp_flags::kSyn) ? 1 : 0) +
           (has(tcp_flags::kFin) ? 1 : 0);
  }
};

// "S", "S.", "P.", "F.", "R", "FP." ... as tcpdump prints flags: its order F S R P . U E W
// ("." is ACK, "E" ECE, "W" CWR), "none" when no flag is set.
std::string flags_to_string(uint8_t flags);
// tcpdump-style options: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7", in the order and
// layout emit_packet writes (Linux's, padding NOPs included), whether parsed or built; the
// wire order of a parsed list is not kept.
std::string to_string(const TcpOptions& o);

}  // namespace synack::wire
