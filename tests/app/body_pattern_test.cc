// The generated body: 16-byte lines numbering themselves, any window reproducible.
#include "app/body_pattern.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace synack::app {
namespace {

std::string window(uint64_t offset, size_t n) {
  std::vector<uint8_t> b(n);
  fill_pattern(offset, b);
  return std::string(b.begin(), b.end());
}

TEST(BodyPattern, LinesNameTheirIndex) {
  EXPECT_EQ(window(0, 32), "000000000000000\n000000000000001\n");
  EXPECT_EQ(window(16 * 0xabc, 16), "000000000000abc\n");
}

TEST(BodyPattern, AnyWindowMatchesTheWholeStream) {
  const std::string all = window(0, 4096);
  for (uint64_t off : {1u, 15u, 16u, 17u, 1000u, 4000u})
    EXPECT_EQ(window(off, 96), all.substr(off, 96)) << "offset " << off;
}

}  // namespace
}  // namespace synack::app
