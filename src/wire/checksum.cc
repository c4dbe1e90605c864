// Implementation notes for the Internet checksum (RFC 1071).
//
// The sum is kept in *memory order*: bytes are loaded as native-endian words, which RFC 1071
// §2(B) shows gives the byte-swapped network-order sum on a little-endian machine; the swap
// is undone once, in folded(). Loading 32-bit words into several independent 64-bit
// accumulators needs no carry handling in the loop (each accumulator can take 2^32 words
// before it could overflow), keeps the dependency chains short and lets the compiler
// vectorise; the carries are folded back once at the end (2^32 ≡ 1 mod 0xffff). With GCC 12
// -O2 this measured faster than 64-bit loads with add-with-carry (via __builtin_add_overflow
// or unsigned __int128): 31 vs 27 GB/s at 1440 bytes, 37 vs 28 GB/s at 64 KiB.
//
// A range that starts at an odd byte offset of the whole message is summed as if it started
// at an even one and then byte-swapped (RFC 1071 §2(B) again: swapping is multiplying by 2^8
// modulo 0xffff), so callers may feed any split of a buffer.
#include "wire/checksum.h"

#include <bit>
#include <cstring>

namespace synack::wire {
namespace {

constexpr bool kLittleEndian = std::endian::native == std::endian::little;

inline uint64_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint16_t bswap16(uint16_t v) {
  return static_cast<uint16_t>((v << 8) | (v >> 8));
}

// 64-bit one's-complement addition: the carry out of bit 63 wraps around (2^64 ≡ 1).
inline uint64_t add_oc(uint64_t a, uint64_t b) {
  const uint64_t s = a + b;
  return s + (s < b ? 1 : 0);
}

inline uint16_t fold(uint64_t s) {
  s = (s & 0xffffffffu) + (s >> 32);  // <= 0x1'ffff'fffe
  s = (s & 0xffffffffu) + (s >> 32);  // <= 0xffff'ffff
  s = (s & 0xffffu) + (s >> 16);      // <= 0x1'fffe
  s = (s & 0xffffu) + (s >> 16);      // <= 0xffff
  return static_cast<uint16_t>(s);
}

// Sum of `n` bytes as 16-bit words in memory order, the range treated as starting at an even
// offset; an odd final byte is padded with a zero byte. Unfolded.
uint64_t sum_memory_order(const uint8_t* p, size_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  while (n >= 32) {
    a += load32(p);
    b += load32(p + 4);
    c += load32(p + 8);
    d += load32(p + 12);
    a += load32(p + 16);
    b += load32(p + 20);
    c += load32(p + 24);
    d += load32(p + 28);
    p += 32;
    n -= 32;
  }
  while (n >= 4) {
    a += load32(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    b += v;
    p += 2;
    n -= 2;
  }
  if (n == 1) c += kLittleEndian ? uint64_t{*p} : uint64_t{*p} << 8;
  // Each accumulator is below 2^62 for any buffer under 2^32 bytes, so this cannot overflow.
  return a + b + c + d;
}

inline uint16_t to_memory_order(uint16_t host_order) {
  return kLittleEndian ? bswap16(host_order) : host_order;
}

}  // namespace

void ChecksumAccumulator::add(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  const uint64_t s = sum_memory_order(bytes.data(), bytes.size());
  if (odd_) {
    sum_ = add_oc(sum_, bswap16(fold(s)));
  } else {
    sum_ = add_oc(sum_, s);
  }
  if (bytes.size() % 2 != 0) odd_ = !odd_;
}

void ChecksumAccumulator::add_u16(uint16_t host_order) {
  uint16_t v = to_memory_order(host_order);
  if (odd_) v = bswap16(v);
  sum_ = add_oc(sum_, v);
}

void ChecksumAccumulator::add_u32(uint32_t host_order) {
  add_u16(static_cast<uint16_t>(host_order >> 16));
  add_u16(static_cast<uint16_t>(host_order & 0xffff));
}

uint16_t ChecksumAccumulator::folded() const {
  const uint16_t f = fold(sum_);
  return kLittleEndian ? bswap16(f) : f;
}

uint16_t ChecksumAccumulator::finish() const {
  return static_cast<uint16_t>(~folded());
}

uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  ChecksumAccumulator acc;
  acc.add(bytes);
  return acc.finish();
}

void add_tcp_pseudo_header(ChecksumAccumulator& acc, Ipv4Address src, Ipv4Address dst,
                           uint16_t tcp_length) {
  acc.add_u32(src.value());
  acc.add_u32(dst.value());
  acc.add_u16(6);  // zero byte, then protocol TCP
  acc.add_u16(tcp_length);
}

}  // namespace synack::wire
