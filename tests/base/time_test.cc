#include <gtest/gtest.h>
#include <synack/time.h>

namespace synack {
namespace {

using namespace literals;

TEST(Duration, UnitsConvert) {
  EXPECT_EQ((1_s).ns(), 1'000'000'000);
  EXPECT_EQ((200_ms).us(), 200'000);
  EXPECT_EQ((40_us).ns(), 40'000);
  EXPECT_EQ(Duration::seconds(2) / 200_ms, 10);
  EXPECT_EQ(3 * 1_s, 3_s);
  EXPECT_LT(199_ms, 200_ms);
}

TEST(Instant, ArithmeticAndOrder) {
  const Instant t0 = Instant::zero();
  const Instant t1 = t0 + 1500_ms;
  EXPECT_EQ(t1 - t0, 1500_ms);
  EXPECT_LT(t0, t1);
  EXPECT_LT(t1, Instant::infinite());
  EXPECT_TRUE(Instant::infinite().is_infinite());
  EXPECT_FALSE(t1.is_infinite());
}

TEST(Time, ToStringIsReadable) {
  EXPECT_EQ(to_string(0_s), "0s");
  EXPECT_EQ(to_string(60_s), "60s");
  EXPECT_EQ(to_string(1500_ms), "1.500000s");
  EXPECT_EQ(to_string(200_ms), "200ms");
  EXPECT_EQ(to_string(40_us), "40us");
  EXPECT_EQ(to_string(7_ns), "7ns");
  EXPECT_EQ(to_string(Instant::zero() + 12_s + 345_us), "12.000345");
  EXPECT_EQ(to_string(Instant::infinite()), "never");
}

}  // namespace
}  // namespace synack
