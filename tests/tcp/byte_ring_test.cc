#include "tcp/byte_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace synack::tcp {
namespace {

std::vector<uint8_t> iota_bytes(size_t n, uint8_t first) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>(first + i);
  return v;
}

std::vector<uint8_t> concat(const ByteSpans& s) {
  std::vector<uint8_t> v(s.first.begin(), s.first.end());
  v.insert(v.end(), s.second.begin(), s.second.end());
  return v;
}

TEST(ByteRing, AllocatesNothingUntilGrown) {
  ByteRing r;
  EXPECT_EQ(r.capacity(), 0u);
  EXPECT_EQ(sizeof(ByteRing), 16u);
  EXPECT_TRUE(r.spans(0, 0).empty());
}

TEST(ByteRing, GrowthDoublesFromMinimumAndStopsAtLimit) {
  ByteRing r;
  r.grow(10, 100000, 0);
  EXPECT_EQ(r.capacity(), ByteRing::kMinCapacity);
  r.grow(ByteRing::kMinCapacity, 100000, 0);  // fits: no change
  EXPECT_EQ(r.capacity(), ByteRing::kMinCapacity);
  r.grow(ByteRing::kMinCapacity + 1, 100000, 0);
  EXPECT_EQ(r.capacity(), 2 * ByteRing::kMinCapacity);
  r.grow(20000, 100000, 0);  // need above double: need wins
  EXPECT_EQ(r.capacity(), 20000u);
  r.grow(20001, 30000, 0);  // double (40000) capped by the limit
  EXPECT_EQ(r.capacity(), 30000u);
  ByteRing small;
  small.grow(1, 1000, 0);  // a limit below the minimum caps the first block too
  EXPECT_EQ(small.capacity(), 1000u);
  small.release();
  EXPECT_EQ(small.capacity(), 0u);
}

TEST(ByteRing, WrapsAndKeepsBytesAcrossGrowth) {
  ByteRing r;
  r.grow(4096, 4096, 0);
  // Move the head near the end so that writes wrap.
  r.advance(4000);
  const auto a = iota_bytes(200, 1);
  r.write(0, a);
  const ByteSpans s = r.spans(0, 200);
  EXPECT_EQ(s.first.size(), 96u);  // 4096 - 4000
  EXPECT_EQ(s.second.size(), 104u);
  EXPECT_EQ(concat(s), a);
  std::vector<uint8_t> out(50);
  r.read(90, out);  // straddles the wrap point
  EXPECT_EQ(out, std::vector<uint8_t>(a.begin() + 90, a.begin() + 140));

  r.grow(5000, 100000, 200);  // relocates; logical bytes [0, 200) survive
  EXPECT_EQ(r.capacity(), 8192u);
  const ByteSpans t = r.spans(0, 200);
  EXPECT_TRUE(t.second.empty());
  EXPECT_EQ(concat(t), a);
}

TEST(ByteSpans, CopyToStopsAtTheShorterSide) {
  const auto a = iota_bytes(3, 10);
  const auto b = iota_bytes(4, 20);
  const ByteSpans s{a, b};
  std::vector<uint8_t> out(5, 0);
  EXPECT_EQ(s.copy_to(out), 5u);
  EXPECT_EQ(out, (std::vector<uint8_t>{10, 11, 12, 20, 21}));
  std::vector<uint8_t> big(10, 0);
  EXPECT_EQ(s.copy_to(big), 7u);
}

}  // namespace
}  // namespace synack::tcp
