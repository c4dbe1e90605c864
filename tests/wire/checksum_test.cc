// The fast checksum against a plain RFC 1071 reference (16-bit big-endian words, carries
// folded at the end) over random buffers, lengths, alignments and splits.
#include "wire/checksum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/rng.h"

namespace synack::wire {
namespace {

// RFC 1071 §4.1 written the obvious way; a virtual zero byte pads an odd length.
uint16_t reference_sum(std::span<const uint8_t> b) {
  uint64_t s = 0;
  for (size_t i = 0; i < b.size(); i += 2) {
    const uint32_t hi = b[i];
    const uint32_t lo = i + 1 < b.size() ? b[i + 1] : 0;
    s += (hi << 8) | lo;
  }
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

uint16_t reference_checksum(std::span<const uint8_t> b) {
  return static_cast<uint16_t>(~reference_sum(b));
}

TEST(Checksum, Rfc1071WorkedExample) {
  // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (computed there by hand).
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  ChecksumAccumulator acc;
  acc.add(b);
  EXPECT_EQ(acc.folded(), 0xddf2);
  EXPECT_EQ(acc.finish(), 0x220d);
  EXPECT_EQ(internet_checksum(b), 0x220d);
}

TEST(Checksum, KnownIpv4Header) {
  // A classic textbook header (Wikipedia "IPv4 header checksum" example): checksum 0xb861.
  uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(internet_checksum(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  ChecksumAccumulator acc;
  acc.add(h);
  EXPECT_EQ(acc.folded(), 0xffff);  // a header with its checksum in place verifies
}

TEST(Checksum, EmptyAndSingleByte) {
  EXPECT_EQ(internet_checksum({}), 0xffff);
  const uint8_t one[] = {0xab};
  EXPECT_EQ(internet_checksum(one), static_cast<uint16_t>(~0xab00));
}

TEST(Checksum, AllOnesDoesNotOverflow) {
  // Worst case for the carries: every word 0xffff, for every length up to 64 KiB + a bit.
  std::vector<uint8_t> b(65536 + 33, 0xff);
  for (size_t n : {size_t{1}, size_t{2}, size_t{31}, size_t{32}, size_t{33}, size_t{4095},
                   size_t{65536}, b.size()}) {
    SCOPED_TRACE(n);
    auto s = std::span<const uint8_t>(b).first(n);
    EXPECT_EQ(internet_checksum(s), reference_checksum(s));
  }
}

TEST(Checksum, MatchesReferenceOnRandomBuffers) {
  constexpr uint64_t kSeed = 0x5eed'c0de'0001;
  Rng rng(kSeed);
  std::vector<uint8_t> storage(70000);
  rng.fill(storage.data(), storage.size());
  for (int iter = 0; iter < 2000; ++iter) {
    // Mostly short lengths, sometimes long ones; any start offset (alignment).
    const size_t len = rng.chance(0.1) ? rng.below(65536) : rng.below(200);
    const size_t start = rng.below(64);
    auto s = std::span<const uint8_t>(storage).subspan(start, len);
    ASSERT_EQ(internet_checksum(s), reference_checksum(s))
        << "seed " << kSeed << " iter " << iter << " start " << start << " len " << len;
  }
}

TEST(Checksum, AnySplitGivesTheSameSum) {
  // Chunks of odd length shift the byte parity of the following chunks.
  constexpr uint64_t kSeed = 0x5eed'c0de'0002;
  Rng rng(kSeed);
  std::vector<uint8_t> b(3000);
  for (int iter = 0; iter < 1000; ++iter) {
    const size_t len = rng.below(b.size());
    rng.fill(b.data(), len);
    auto all = std::span<const uint8_t>(b).first(len);
    ChecksumAccumulator acc;
    size_t pos = 0;
    int chunks = 0;
    while (pos < len) {
      const size_t n = std::min<size_t>(len - pos, rng.below(80));
      acc.add(all.subspan(pos, n));
      pos += n;
      ++chunks;
    }
    ASSERT_EQ(acc.folded(), reference_sum(all))
        << "seed " << kSeed << " iter " << iter << " len " << len << " chunks " << chunks;
  }
}

TEST(Checksum, AddU16AndU32AreBigEndianBytes) {
  constexpr uint64_t kSeed = 0x5eed'c0de'0003;
  Rng rng(kSeed);
  for (int iter = 0; iter < 500; ++iter) {
    // Some bytes first, possibly odd in number, so the words land at either parity.
    uint8_t prefix[7];
    const size_t plen = rng.below(sizeof prefix + 1);
    rng.fill(prefix, sizeof prefix);
    const uint16_t w = static_cast<uint16_t>(rng.next_u32());
    const uint32_t d = rng.next_u32();
    const uint8_t bytes[] = {static_cast<uint8_t>(w >> 8),  static_cast<uint8_t>(w),
                             static_cast<uint8_t>(d >> 24), static_cast<uint8_t>(d >> 16),
                             static_cast<uint8_t>(d >> 8),  static_cast<uint8_t>(d)};
    ChecksumAccumulator a;
    a.add(std::span<const uint8_t>(prefix, plen));
    a.add_u16(w);
    a.add_u32(d);
    ChecksumAccumulator b;
    b.add(std::span<const uint8_t>(prefix, plen));
    b.add(bytes);
    ASSERT_EQ(a.folded(), b.folded()) << "seed " << kSeed << " iter " << iter;
  }
}

TEST(Checksum, PseudoHeaderIsTheRfc9293Layout) {
  // RFC 9293 §3.1: src(4) dst(4) zero(1) PTCL=6(1) TCP length(2), summed like data.
  const Ipv4Address src = Ipv4Address::from_octets(192, 168, 1, 10);
  const Ipv4Address dst = Ipv4Address::from_octets(172, 16, 254, 3);
  const uint8_t pseudo[] = {192, 168, 1, 10, 172, 16, 254, 3, 0, 6, 0x05, 0xdc};
  ChecksumAccumulator acc;
  add_tcp_pseudo_header(acc, src, dst, 1500);
  EXPECT_EQ(acc.folded(), reference_sum(pseudo));
}

}  // namespace
}  // namespace synack::wire
