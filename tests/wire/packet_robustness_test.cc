// Bad input never crashes (SPEC §1.4): seeded random garbage, random mutations of valid
// packets, and random option lists. Under ASan/UBSan (the default test build) an overread
// fails the test even where the assertions cannot see it. Anything that does parse must
// survive emit -> parse unchanged.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/rng.h"
#include "packet_test_util.h"
#include "wire/packet.h"
#include "wire/tcp_options_codec.h"

namespace synack::wire {
namespace {

using testing::same_packet;

// If `bytes` parsed, emitting the result and parsing again must give the same packet.
void check_reemit(const Packet& p, uint64_t seed, int iter) {
  if (!tcp_options_emittable(p.tcp.options)) return;  // e.g. unpadded TS + 3 SACK blocks
  std::vector<uint8_t> out(emitted_size(p));
  ASSERT_EQ(emit_packet(p, out), out.size()) << "seed " << seed << " iter " << iter;
  auto again = parse_packet(out);
  ASSERT_TRUE(again.has_value()) << "seed " << seed << " iter " << iter << ": "
                                 << to_string(again.error()) << " for " << to_string(p);
  Packet expected = p;
  expected.tcp.options.unknown_count = 0;  // unknown options are skipped, never re-emitted
  EXPECT_TRUE(same_packet(*again, expected)) << "seed " << seed << " iter " << iter;
}

TEST(Robustness, RandomGarbage) {
  constexpr uint64_t kSeed = 0xbad'f00d'0001;
  Rng rng(kSeed);
  int parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> b(rng.below(120));
    rng.fill(b.data(), b.size());
    // Make some of them look like IPv4/TCP so the deeper checks are reached.
    if (b.size() >= 20 && rng.chance(0.7)) {
      b[0] = static_cast<uint8_t>(0x40 | (rng.chance(0.8) ? 5 : rng.below(16)));
      b[9] = kIpProtoTcp;
      b[6] &= 0x40;
      b[7] = 0;
      if (rng.chance(0.8)) {
        b[2] = static_cast<uint8_t>(b.size() >> 8);
        b[3] = static_cast<uint8_t>(b.size());
      }
    }
    auto r = parse_packet(b, ParseOptions{.verify_checksums = false});
    if (r.has_value()) {
      ++parsed;
      check_reemit(*r, kSeed, iter);
      (void)to_string(*r);
    }
    (void)parse_packet(b);
  }
  EXPECT_GT(parsed, 100) << "the generator should reach the option parser often";
}

TEST(Robustness, MutatedValidPackets) {
  constexpr uint64_t kSeed = 0xbad'f00d'0002;
  Rng rng(kSeed);
  const auto base = testing::raw_packet(
      {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7, 34, 6, 1, 2, 3, 4, 1, 1},
      {'x', 'y', 'z'}, 0x02);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> b = base;
    const int flips = 1 + static_cast<int>(rng.below(4));
    for (int f = 0; f < flips; ++f) {
      b[rng.below(b.size())] = static_cast<uint8_t>(rng.next_u32());
    }
    if (rng.chance(0.2)) b.resize(rng.below(b.size() + 1));
    if (rng.chance(0.8)) testing::fix_checksums(b);
    auto r = parse_packet(b);
    if (r.has_value()) {
      ++ok;
      check_reemit(*r, kSeed, iter);
    }
  }
  EXPECT_GT(ok, 1000);
}

TEST(Robustness, RandomOptionLists) {
  constexpr uint64_t kSeed = 0xbad'f00d'0003;
  Rng rng(kSeed);
  static constexpr uint8_t kKinds[] = {0, 1, 2, 3, 4, 5, 8, 34, 254, 19, 30, 99};
  static constexpr uint8_t kLens[] = {0, 1, 2, 3, 4, 6, 10, 18, 26, 34, 40, 255};
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> opts(4 * rng.below(11));
    for (size_t i = 0; i < opts.size(); ++i) {
      const uint64_t pick = rng.below(4);
      opts[i] = pick == 0   ? kKinds[rng.below(sizeof kKinds)]
                : pick == 1 ? kLens[rng.below(sizeof kLens)]
                : pick == 2 ? static_cast<uint8_t>(0xf9 + rng.below(2) * 0x90)
                            : static_cast<uint8_t>(rng.next_u32());
    }
    TcpOptions o;
    if (parse_tcp_options(opts, o)) {
      ++accepted;
      ASSERT_LE(o.sack_block_count, TcpOptions::kMaxSackBlocks) << "seed " << kSeed;
      if (o.fast_open) {
        ASSERT_LE(o.fast_open->len, 16) << "seed " << kSeed;
      }
      Packet p = testing::template_packet();
      p.tcp.options = o;
      check_reemit(p, kSeed, iter);
    }
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace synack::wire
