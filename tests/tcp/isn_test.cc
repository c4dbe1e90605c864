// RFC 6528 ISNs and Linux-style TSval offsets (SPEC §4.4, §7.7).
#include "tcp/isn.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>
#include <set>

#include "base/rng.h"

namespace synack::tcp {
namespace {

using namespace synack::literals;
using wire::Ipv4Address;

const Ipv4Address kClient = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address kServer = Ipv4Address::from_octets(10, 0, 0, 2);

KeyedHash key(uint8_t first) {
  KeyedHash::Key k{};
  std::iota(k.begin(), k.end(), first);
  return KeyedHash{k};
}

IsnGenerator fixed() {
  return IsnGenerator{key(0), key(100)};
}

TEST(Isn, HashIsSipHashOfTheDocumentedByteLayout) {
  // Independent recomputation through KeyedHash (itself checked against the SipHash paper's
  // vectors): local addr, remote addr, local port, remote port, all big-endian; low 32 bits.
  const std::array<uint8_t, 12> in{10, 0, 0, 1, 10, 0, 0, 2, 0x9c, 0x40, 0x00, 0x50};
  const auto expected = static_cast<uint32_t>(key(0)(in));
  EXPECT_EQ(fixed().isn_hash(kClient, 40000, kServer, 80), expected);
  const std::array<uint8_t, 8> ts_in{10, 0, 0, 1, 10, 0, 0, 2};
  EXPECT_EQ(fixed().ts_offset(kClient, kServer), static_cast<uint32_t>(key(100)(ts_in)));
}

TEST(Isn, DeterministicForKeyAndTime) {
  const Instant t = Instant::zero() + 12345_ms;
  EXPECT_EQ(fixed().isn(kClient, 40000, kServer, 80, t),
            fixed().isn(kClient, 40000, kServer, 80, t));
  Rng a{7};
  Rng b{7};
  EXPECT_EQ(IsnGenerator::from_rng(a).isn(kClient, 40000, kServer, 80, t),
            IsnGenerator::from_rng(b).isn(kClient, 40000, kServer, 80, t));
}

TEST(Isn, IsHashPlusClock) {
  const Instant t = Instant::from_nanos(1'000'000'000);  // 1e9 ns >> 6 = 15625000
  const IsnGenerator g = fixed();
  EXPECT_EQ(IsnGenerator::isn_clock(t), 15625000u);
  EXPECT_EQ(g.isn(kClient, 40000, kServer, 80, t).raw(),
            g.isn_hash(kClient, 40000, kServer, 80) + 15625000u);
}

TEST(Isn, AdvancesOnePer64Nanoseconds) {
  const IsnGenerator g = fixed();
  const auto at = [&](int64_t ns) {
    return g.isn(kClient, 40000, kServer, 80, Instant::from_nanos(ns));
  };
  EXPECT_EQ(at(63), at(0));
  EXPECT_EQ(at(64) - at(0), 1);
  EXPECT_EQ(at(640) - at(0), 10);
  EXPECT_EQ(at(1'000'000) - at(0), 15625);  // 1 ms = 15625 ticks
  // Wraps modulo 2^32 every 2^38 ns (~275 s): same ISN again.
  EXPECT_EQ(at(int64_t{1} << 38), at(0));
}

TEST(Isn, DiffersPerTupleAndDirection) {
  const IsnGenerator g = fixed();
  const Instant t = Instant::zero();
  const uint32_t base = g.isn_hash(kClient, 40000, kServer, 80);
  std::set<uint32_t> seen{base};
  seen.insert(g.isn_hash(kClient, 40001, kServer, 80));  // another source port
  seen.insert(g.isn_hash(kClient, 40000, kServer, 81));  // another destination port
  seen.insert(g.isn_hash(Ipv4Address::from_octets(10, 0, 0, 3), 40000, kServer, 80));
  seen.insert(g.isn_hash(kServer, 80, kClient, 40000));  // the other end of the same connection
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_NE(g.isn(kClient, 40000, kServer, 80, t), g.isn(kServer, 80, kClient, 40000, t));
}

TEST(Isn, SecretMatters) {
  Rng r{42};
  const IsnGenerator a = IsnGenerator::from_rng(r);
  const IsnGenerator b = IsnGenerator::from_rng(r);
  EXPECT_NE(a.isn_hash(kClient, 40000, kServer, 80), b.isn_hash(kClient, 40000, kServer, 80));
}

TEST(TsOffset, PerAddressPairNotPerPort) {
  const IsnGenerator g = fixed();
  EXPECT_EQ(g.ts_offset(kClient, kServer), g.ts_offset(kClient, kServer));
  EXPECT_NE(g.ts_offset(kClient, kServer), g.ts_offset(kServer, kClient));
  EXPECT_NE(g.ts_offset(kClient, kServer),
            g.ts_offset(kClient, Ipv4Address::from_octets(10, 0, 0, 3)));
  // Uses its own secret: not the sequence hash of the same addresses.
  const std::array<uint8_t, 8> in{10, 0, 0, 1, 10, 0, 0, 2};
  EXPECT_NE(g.ts_offset(kClient, kServer), static_cast<uint32_t>(key(0)(in)));
}

}  // namespace
}  // namespace synack::tcp
