// The Internet checksum (RFC 1071) and the TCP pseudo-header sum (RFC 9293 §3.1).
//
// The hot loop sums 64-bit words with end-around carry and folds once at the end; it must
// stay "invisible next to memcpy" (bench/checksum_bench.cc measures both on the same buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/ipv4_address.h"

namespace synack::wire {

// Accumulates a one's-complement sum over byte ranges given in order. Ranges may have odd
// lengths; the byte position parity is tracked across calls, as a single buffer would be.
class ChecksumAccumulator {
 public:
  void add(std::span<const uint8_t> bytes);
  void add_u16(uint16_t host_order);  // as if two bytes in network order at an even offset
  void add_u32(uint32_t host_order);  // as if four bytes in network order at an even offset
  // The final checksum: the one's complement of the folded sum, in host order. Writing it
  // to the header in network order makes the whole range sum to 0xffff.
  [[nodiscard]] uint16_t finish() const;
  // The folded sum without complement (0..0xffff), for verification and incremental use.
  [[nodiscard]] uint16_t folded() const;

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;  // an odd number of bytes has been added so far
};

// Checksum of one buffer (e.g. an IPv4 header with its checksum field zeroed).
[[nodiscard]] uint16_t internet_checksum(std::span<const uint8_t> bytes);

// Sum of a TCP pseudo-header (src, dst, zero, protocol 6, TCP length), to add before the
// TCP header and payload.
void add_tcp_pseudo_header(ChecksumAccumulator& acc, Ipv4Address src, Ipv4Address dst,
                           uint16_t tcp_length);

}  // namespace synack::wire
