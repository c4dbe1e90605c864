#include "base/rng.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace synack {
namespace {

TEST(Rng, SameSeedSameSequence) {
  Rng a{42}, b{42}, c{43};
  std::vector<uint64_t> va, vb, vc;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a.next_u64());
    vb.push_back(b.next_u64());
    vc.push_back(c.next_u64());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
}

TEST(Rng, SequenceIsPinnedAcrossPlatforms) {
  // Replaying a seed printed by a failing test on another machine depends on this value.
  Rng r{0};
  EXPECT_EQ(r.next_u64(), 0x99ec5f36cb75f2b4ULL);
}

TEST(Rng, BelowStaysInRangeAndCoversIt) {
  Rng r{7};
  std::array<int, 6> hits{};
  for (int i = 0; i < 60'000; ++i) {
    const uint64_t v = r.below(6);
    ASSERT_LT(v, 6u);
    ++hits[v];
  }
  for (int h : hits) {
    EXPECT_GT(h, 9'000);
    EXPECT_LT(h, 11'000);
  }
  EXPECT_EQ(r.below(0), 0u);
  EXPECT_EQ(r.below(1), 0u);
}

TEST(Rng, BetweenIsInclusive) {
  Rng r{9};
  bool saw_lo = false, saw_hi = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = r.between(10, 12);
    ASSERT_GE(v, 10u);
    ASSERT_LE(v, 12u);
    saw_lo |= v == 10;
    saw_hi |= v == 12;
  }
  EXPECT_TRUE(saw_lo);
  EXPECT_TRUE(saw_hi);
  EXPECT_EQ(r.between(5, 5), 5u);
}

TEST(Rng, ChanceExtremesAndRate) {
  Rng r{11};
  int yes = 0;
  for (int i = 0; i < 100'000; ++i) {
    EXPECT_FALSE(r.chance(0.0));
    EXPECT_TRUE(r.chance(1.0));
    yes += r.chance(0.2) ? 1 : 0;
  }
  EXPECT_GT(yes, 19'000);
  EXPECT_LT(yes, 21'000);
}

TEST(Rng, UnitInHalfOpenInterval) {
  Rng r{13};
  for (int i = 0; i < 10'000; ++i) {
    const double u = r.unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Rng, FillWritesOddLengths) {
  Rng a{5}, b{5};
  std::array<uint8_t, 13> x{}, y{};
  a.fill(x.data(), x.size());
  b.fill(y.data(), y.size());
  EXPECT_EQ(x, y);
  EXPECT_NE(x, (std::array<uint8_t, 13>{}));
}

TEST(Rng, ForkGivesIndependentStream) {
  Rng parent{21};
  Rng child = parent.fork();
  EXPECT_NE(parent.next_u64(), child.next_u64());
}

}  // namespace
}  // namespace synack
