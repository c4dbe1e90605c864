#include "app/body_pattern.h"

namespace synack::app {
namespace {

uint8_t pattern_byte(uint64_t line, uint64_t col) {
  if (col == kPatternLine - 1) return '\n';
  const unsigned shift = static_cast<unsigned>(4 * (kPatternLine - 2 - col));
  const auto nibble = static_cast<unsigned>((line >> shift) & 0xf);
  return static_cast<uint8_t>(nibble < 10 ? '0' + nibble : 'a' + (nibble - 10));
}

}  // namespace

void fill_pattern(uint64_t offset, std::span<uint8_t> out) {
  uint64_t line = offset / kPatternLine;
  uint64_t col = offset % kPatternLine;
  for (uint8_t& b : out) {
    b = pattern_byte(line, col);
    if (++col == kPatternLine) {
      col = 0;
      ++line;
    }
  }
}

}  // namespace synack::app
