#include "wire/seq_num.h"

#include <gtest/gtest.h>

namespace synack::wire {
namespace {

TEST(SeqNum, ArithmeticWrapsModulo2To32) {
  EXPECT_EQ((SeqNum{0xffffffff} + 1).raw(), 0u);
  EXPECT_EQ((SeqNum{0xfffffff0} + 0x20).raw(), 0x10u);
  EXPECT_EQ((SeqNum{5} - 10).raw(), 0xfffffffbu);
  SeqNum s{0xfffffffe};
  s += 3;
  EXPECT_EQ(s.raw(), 1u);
  s -= 2;
  EXPECT_EQ(s.raw(), 0xffffffffu);
}

TEST(SeqNum, DistanceIsSignedAcrossTheWrap) {
  EXPECT_EQ(SeqNum{0x10} - SeqNum{0xfffffff0}, 0x20);
  EXPECT_EQ(SeqNum{0xfffffff0} - SeqNum{0x10}, -0x20);
  EXPECT_EQ(SeqNum{7} - SeqNum{7}, 0);
}

TEST(SeqNum, ComparisonIsModular) {
  const SeqNum before{0xfffffff0};
  const SeqNum after{0x10};  // 32 bytes later, across the wrap
  EXPECT_TRUE(before < after);
  EXPECT_TRUE(before <= after);
  EXPECT_TRUE(after > before);
  EXPECT_TRUE(after >= before);
  EXPECT_FALSE(after < before);
  EXPECT_TRUE(SeqNum{3} <= SeqNum{3});
  EXPECT_TRUE(SeqNum{3} >= SeqNum{3});
  EXPECT_FALSE(SeqNum{3} < SeqNum{3});
  // Just under half the space ahead is still "after"; exactly half is "before" (int32 min).
  EXPECT_TRUE(SeqNum{0} < SeqNum{0x7fffffff});
  EXPECT_TRUE(SeqNum{0x80000000} < SeqNum{0});
}

TEST(SeqNum, WindowAcrossTheWrap) {
  const SeqNum lo{0xffffff00};
  const SeqNum hi = lo + 0x200;  // 0x100
  EXPECT_TRUE(in_window(lo, lo, hi));
  EXPECT_TRUE(in_window(SeqNum{0}, lo, hi));
  EXPECT_TRUE(in_window(SeqNum{0xff}, lo, hi));
  EXPECT_FALSE(in_window(hi, lo, hi));
  EXPECT_FALSE(in_window(lo - 1, lo, hi));
  EXPECT_FALSE(in_window(lo, lo, lo));  // empty window holds nothing
}

TEST(SeqNum, MaxMinAcrossTheWrap) {
  EXPECT_EQ(seq_max(SeqNum{0xfffffff0}, SeqNum{0x10}).raw(), 0x10u);
  EXPECT_EQ(seq_min(SeqNum{0xfffffff0}, SeqNum{0x10}).raw(), 0xfffffff0u);
}

TEST(SeqNum, ToStringIsUnsignedDecimal) {
  EXPECT_EQ(to_string(SeqNum{0}), "0");
  EXPECT_EQ(to_string(SeqNum{4294967295u}), "4294967295");
}

}  // namespace
}  // namespace synack::wire
