// parse_size: decimal sizes with K/M/G (1024 multiples) as `GET /N` and --get/--send read them.
#include "app/size_parse.h"

#include <gtest/gtest.h>

namespace synack::app {
namespace {

TEST(SizeParse, PlainDecimal) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1500"), 1500u);
  EXPECT_EQ(parse_size("007"), 7u);
}

TEST(SizeParse, SuffixesAre1024Multiples) {
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("1k"), 1024u);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("1M"), 1048576u);
  EXPECT_EQ(parse_size("100M"), 104857600u);
  EXPECT_EQ(parse_size("1MB"), 1048576u);
  EXPECT_EQ(parse_size("2G"), 2147483648u);
  EXPECT_EQ(parse_size("3gi"), uint64_t{3} << 30);
}

TEST(SizeParse, RejectsMalformed) {
  for (const char* bad :
       {"", "K", "-1", "+1", " 1", "1 ", "1.5", "1KK", "1T", "1Kb", "0x10", "1e3", "1/", "12a"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(SizeParse, RejectsOverflow) {
  EXPECT_EQ(parse_size("4611686018427387904"), kMaxSize);  // 2^62 exactly
  EXPECT_FALSE(parse_size("4611686018427387905").has_value());
  EXPECT_FALSE(parse_size("99999999999999999999999").has_value());
  EXPECT_EQ(parse_size("4294967296G"), kMaxSize);  // 2^32 * 2^30
  EXPECT_FALSE(parse_size("4294967297G").has_value());
}

}  // namespace
}  // namespace synack::app
