#include "base/keyed_hash.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>

#include "base/rng.h"

namespace synack {
namespace {

KeyedHash reference_key() {
  KeyedHash::Key k{};
  std::iota(k.begin(), k.end(), uint8_t{0});
  return KeyedHash{k};
}

TEST(KeyedHash, MatchesSipHash24ReferenceVectors) {
  // Test vectors from the SipHash paper (Aumasson & Bernstein, appendix A): key 00..0f,
  // messages 00, 00 01, ... ; output read as a little-endian 64-bit integer.
  const KeyedHash h = reference_key();
  EXPECT_EQ(h(std::span<const uint8_t>{}), 0x726fdb47dd0e0e31ULL);
  std::array<uint8_t, 15> msg{};
  std::iota(msg.begin(), msg.end(), uint8_t{0});
  EXPECT_EQ(h(std::span<const uint8_t>(msg.data(), 1)), 0x74f839c593dc67fdULL);
  EXPECT_EQ(h(std::span<const uint8_t>(msg.data(), 15)), 0xa129ca6149be45e5ULL);
}

TEST(KeyedHash, DifferentKeysDifferentHashes) {
  Rng r{1};
  const KeyedHash a = KeyedHash::from_rng(r);
  const KeyedHash b = KeyedHash::from_rng(r);
  const std::array<uint32_t, 3> tuple{0x0a000001, 0x0a000002, (80u << 16) | 40000u};
  EXPECT_NE(a.words(tuple), b.words(tuple));
  EXPECT_EQ(a.words(tuple), a.words(tuple));
}

}  // namespace
}  // namespace synack
