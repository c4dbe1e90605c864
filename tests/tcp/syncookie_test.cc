// SYN cookies (SPEC §6): Linux's encoding, MSS classes, age limit, forgeries, TSval options.
#include "tcp/syncookie.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>

#include "base/rng.h"
#include "tcp/tcb.h"

namespace synack::tcp {
namespace {

using namespace synack::literals;
using wire::Ipv4Address;
using wire::SeqNum;

KeyedHash key(uint8_t first) {
  KeyedHash::Key k{};
  std::iota(k.begin(), k.end(), first);
  return KeyedHash{k};
}

SynCookies fixed() {
  return SynCookies{key(0), key(50)};
}

// The listener's view: local = server 10.0.0.2:80, remote = client 10.0.0.1:40000.
FourTuple tuple() {
  FourTuple t;
  t.local_addr = Ipv4Address::from_octets(10, 0, 0, 2);
  t.remote_addr = Ipv4Address::from_octets(10, 0, 0, 1);
  t.local_port = 80;
  t.remote_port = 40000;
  return t;
}

constexpr Instant at(Duration d) {
  return Instant::zero() + d;
}

TEST(SynCookie, MatchesLinuxLayoutRecomputedByHand) {
  // Independent recomputation through KeyedHash (checked against the SipHash paper in
  // keyed_hash_test): client addr, server addr, client port, server port, count, big-endian.
  auto h = [](const KeyedHash& k, uint8_t count) {
    const std::array<uint8_t, 16> in{10,   0,    0,    1,    10, 0, 0, 2,
                                     0x9c, 0x40, 0x00, 0x50, 0,  0, 0, count};
    return static_cast<uint32_t>(k(in));
  };
  const uint32_t client_isn = 0x12345678;
  // 7 min 30 s: count 7; MSS 1440 is index 2.
  const uint32_t expected =
      h(key(0), 0) + client_isn + (7u << 24) + ((h(key(50), 7) + 2) & 0xFFFFFF);
  const SyncookieIsn c = fixed().encode(tuple(), SeqNum{client_isn}, 1440, at(450_s));
  EXPECT_EQ(c.isn.raw(), expected);
  EXPECT_EQ(c.mss, 1440);
}

TEST(SynCookie, RoundTripsEveryMssClass) {
  const SynCookies sc = fixed();
  for (uint16_t mss : kSyncookieMssTable) {
    SCOPED_TRACE(mss);
    const SyncookieIsn c = sc.encode(tuple(), SeqNum{1000}, mss, at(10_s));
    EXPECT_EQ(c.mss, mss);
    auto d = sc.decode(tuple(), c.isn + 1, SeqNum{1001}, at(10_s));
    ASSERT_TRUE(d.has_value()) << to_string(d.error());
    EXPECT_EQ(*d, mss);
  }
}

TEST(SynCookie, InBetweenMssRoundsDownToTheTableLikeLinux) {
  // Linux __cookie_v4_init_sequence: the largest entry <= the client's MSS, and 536 for
  // anything smaller (it rounds up there rather than refuse).
  const std::array<std::pair<uint16_t, uint16_t>, 11> cases{{{0, 536},
                                                             {100, 536},
                                                             {535, 536},
                                                             {536, 536},
                                                             {1299, 536},
                                                             {1300, 1300},
                                                             {1439, 1300},
                                                             {1452, 1440},
                                                             {1459, 1440},
                                                             {1460, 1460},
                                                             {8960, 1460}}};
  const SynCookies sc = fixed();
  for (auto [client, chosen] : cases) {
    SCOPED_TRACE(client);
    const SyncookieIsn c = sc.encode(tuple(), SeqNum{77}, client, at(1_s));
    EXPECT_EQ(c.mss, chosen);
    auto d = sc.decode(tuple(), c.isn + 1, SeqNum{78}, at(1_s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, chosen);
  }
}

TEST(SynCookie, ValidInItsTickAndTheNextOnly) {
  // Linux check_tcp_syn_cookie: diff >= MAX_SYNCOOKIE_AGE (2) fails, so ages 0 and 1 pass.
  const SynCookies sc = fixed();
  const SyncookieIsn c = sc.encode(tuple(), SeqNum{5}, 1460, at(30_s));  // tick 0
  auto at_age = [&](Duration when) { return sc.decode(tuple(), c.isn + 1, SeqNum{6}, at(when)); };
  EXPECT_TRUE(at_age(30_s).has_value());   // age 0
  EXPECT_TRUE(at_age(59_s).has_value());   // age 0
  EXPECT_TRUE(at_age(60_s).has_value());   // age 1
  EXPECT_TRUE(at_age(119_s).has_value());  // age 1
  auto age2 = at_age(120_s);
  ASSERT_FALSE(age2.has_value());
  EXPECT_EQ(age2.error(), SyncookieError::kTooOld);
  auto age3 = at_age(180_s);
  ASSERT_FALSE(age3.has_value());
  EXPECT_EQ(age3.error(), SyncookieError::kTooOld);
}

TEST(SynCookie, LifetimeIsBetweenOneAndTwoMinutes) {
  const SynCookies sc = fixed();
  // Made in the last millisecond of tick 0: dead 60.001 s later (tick 2).
  const SyncookieIsn late = sc.encode(tuple(), SeqNum{5}, 536, at(59'999_ms));
  EXPECT_TRUE(sc.decode(tuple(), late.isn + 1, SeqNum{6}, at(119'999_ms)).has_value());
  EXPECT_FALSE(sc.decode(tuple(), late.isn + 1, SeqNum{6}, at(120_s)).has_value());
  // Made at the start of tick 1: alive for just under 120 s.
  const SyncookieIsn early = sc.encode(tuple(), SeqNum{5}, 536, at(60_s));
  EXPECT_TRUE(sc.decode(tuple(), early.isn + 1, SeqNum{6}, at(179'999_ms)).has_value());
  EXPECT_FALSE(sc.decode(tuple(), early.isn + 1, SeqNum{6}, at(180_s)).has_value());
}

TEST(SynCookie, ACookieFromTheFutureIsTooOld) {
  // diff is taken modulo 256, so a counter ahead of now looks 255 ticks old.
  const SynCookies sc = fixed();
  const SyncookieIsn c = sc.encode(tuple(), SeqNum{5}, 536, at(120_s));
  auto d = sc.decode(tuple(), c.isn + 1, SeqNum{6}, at(60_s));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error(), SyncookieError::kTooOld);
}

TEST(SynCookie, FlippingAnyHashOrCounterBitFails) {
  const SynCookies sc = fixed();
  for (uint16_t mss : kSyncookieMssTable) {
    const SyncookieIsn c = sc.encode(tuple(), SeqNum{999}, mss, at(3600_s));
    for (int bit = 2; bit < 32; ++bit) {
      SCOPED_TRACE(testing::Message() << "mss " << mss << " bit " << bit);
      const SeqNum forged{c.isn.raw() ^ (1u << bit)};
      EXPECT_FALSE(sc.decode(tuple(), forged + 1, SeqNum{1000}, at(3600_s)).has_value());
    }
  }
}

TEST(SynCookie, LowTwoBitsOnlyAuthenticateTheMssClassLoosely) {
  // Linux adds the MSS index to the hash, so flipping bit 0 or 1 shifts the index by 1 or 2:
  // the cookie either fails or decodes to a different class — never to the original one.
  const SynCookies sc = fixed();
  for (uint16_t mss : kSyncookieMssTable) {
    const SyncookieIsn c = sc.encode(tuple(), SeqNum{999}, mss, at(3600_s));
    for (int bit = 0; bit < 2; ++bit) {
      SCOPED_TRACE(testing::Message() << "mss " << mss << " bit " << bit);
      auto d = sc.decode(tuple(), SeqNum{c.isn.raw() ^ (1u << bit)} + 1, SeqNum{1000}, at(3600_s));
      if (d.has_value()) {
        EXPECT_NE(*d, mss);
      }
    }
  }
}

TEST(SynCookie, WrongTupleOrClientSequenceFails) {
  const SynCookies sc = fixed();
  const SyncookieIsn c = sc.encode(tuple(), SeqNum{4242}, 1460, at(100_s));
  ASSERT_TRUE(sc.decode(tuple(), c.isn + 1, SeqNum{4243}, at(100_s)).has_value());

  std::array<FourTuple, 4> wrong{tuple(), tuple(), tuple(), tuple()};
  wrong[0].remote_addr = Ipv4Address::from_octets(10, 0, 0, 3);
  wrong[1].local_addr = Ipv4Address::from_octets(10, 0, 0, 4);
  wrong[2].remote_port = 40001;
  wrong[3].local_port = 81;
  for (size_t i = 0; i < wrong.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(sc.decode(wrong[i], c.isn + 1, SeqNum{4243}, at(100_s)).has_value());
  }
  // The client ISN is added, not hashed: a sequence number k ahead lowers the index by k, so
  // k >= 4 always fails, while k = 1..3 may land on a lower MSS class (as in Linux) — never
  // on the original one.
  for (uint32_t k : {4u, 1000u, 1u << 24, 0x80000000u}) {
    SCOPED_TRACE(k);
    EXPECT_FALSE(sc.decode(tuple(), c.isn + 1, SeqNum{4243} + k, at(100_s)).has_value());
  }
  for (uint32_t k : {1u, 2u, 3u}) {
    auto d = sc.decode(tuple(), c.isn + 1, SeqNum{4243} + k, at(100_s));
    if (d.has_value()) {
      EXPECT_EQ(*d, kSyncookieMssTable[3 - k]);
    }
  }
  EXPECT_FALSE(sc.decode(tuple(), c.isn + 2, SeqNum{4243}, at(100_s)).has_value());
  // Another stack's secrets.
  const SynCookies other{key(1), key(50)};
  EXPECT_FALSE(other.decode(tuple(), c.isn + 1, SeqNum{4243}, at(100_s)).has_value());
}

TEST(SynCookie, RandomForgeriesAlmostNeverPass) {
  // A blind attacker guessing ACK numbers: each guess passes with probability about
  // 2/256 (age) × 4/2^24 (index) ≈ 2e-9, so 200k guesses should all fail.
  const uint64_t seed = 20240601;
  Rng rng{seed};
  const SynCookies sc = SynCookies::from_rng(rng);
  int passed = 0;
  for (int i = 0; i < 200'000; ++i) {
    if (sc.decode(tuple(), SeqNum{rng.next_u32()}, SeqNum{1}, at(1_s)).has_value()) ++passed;
  }
  EXPECT_EQ(passed, 0) << "seed " << seed;
}

TEST(SynCookie, EightBitCounterWraps) {
  // Tick 255 -> 256: the encoded byte goes 0xFF -> 0x00 and diff is still 1.
  const SynCookies sc = fixed();
  const SyncookieIsn c = sc.encode(tuple(), SeqNum{1}, 1300, at(255 * 60_s + 1_s));
  auto d = sc.decode(tuple(), c.isn + 1, SeqNum{2}, at(256 * 60_s));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, 1300);
  EXPECT_FALSE(sc.decode(tuple(), c.isn + 1, SeqNum{2}, at(257 * 60_s)).has_value());
}

TEST(SynCookie, ThirtyTwoBitCounterWraps) {
  const SynCookies sc = fixed();
  const uint32_t cookie = sc.encode_at(tuple(), 0xFFFFFFF0u, 3, 0xFFFFFFFFu);
  auto d = sc.decode_at(tuple(), cookie, 0xFFFFFFF0u, 0);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, 3);
  auto old = sc.decode_at(tuple(), cookie, 0xFFFFFFF0u, 1);
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error(), SyncookieError::kTooOld);
}

TEST(SynCookie, CounterIsMinutesOfTheInjectedClock) {
  EXPECT_EQ(SynCookies::counter(at(0_s)), 0u);
  EXPECT_EQ(SynCookies::counter(at(59'999'999'999_ns)), 0u);
  EXPECT_EQ(SynCookies::counter(at(60_s)), 1u);
  EXPECT_EQ(SynCookies::counter(at(3600_s)), 60u);
}

TEST(SynCookieTs, LiteralEncodings) {
  // ts_now 1000 = 15 * 64 + 40. wscale 7 + SACK = 0b010111 = 23: 960 | 23 = 983 <= 1000.
  EXPECT_EQ(
      SynCookies::encode_ts_options(1000, {.wscale_ok = true, .snd_wscale = 7, .sack_ok = true}),
      983u);
  // ts_now 970 = 15 * 64 + 10. No wscale (0xF) + SACK + ECN = 63: 960 | 63 = 1023 > 970,
  // so one step back: 959.
  EXPECT_EQ(SynCookies::encode_ts_options(970, {.sack_ok = true, .ecn_ok = true}), 959u);
  // Near zero the step back wraps modulo 2^32, as the u64 Linux clock truncated to 32 bits.
  EXPECT_EQ(SynCookies::encode_ts_options(5, {.wscale_ok = true, .snd_wscale = 14}),
            0xFFFFFFCEu);  // 14 - 64
  // A wscale above 14 is sent as 14.
  EXPECT_EQ(SynCookies::encode_ts_options(640, {.wscale_ok = true, .snd_wscale = 15}), 590u);
}

TEST(SynCookieTs, RoundTripsEveryWscaleSackAndEcn) {
  const uint32_t ts_off = 0x9E3779B9;
  for (uint32_t ts_now : {64'000u, 64'063u, 123'456'789u, 0xFFFFFFFFu}) {
    for (int ws = -1; ws <= 14; ++ws) {
      for (int bits = 0; bits < 4; ++bits) {
        SyncookieTsOptions o;
        o.wscale_ok = ws >= 0;
        o.snd_wscale = static_cast<uint8_t>(ws >= 0 ? ws : 0);
        o.sack_ok = (bits & 1) != 0;
        o.ecn_ok = (bits & 2) != 0;
        SCOPED_TRACE(testing::Message() << "ts_now " << ts_now << " ws " << ws << " bits " << bits);
        const uint32_t tsval = SynCookies::encode_ts_options(ts_now, o);
        EXPECT_LT(ts_now - tsval, 64u);  // never ahead of the clock, at most 63 behind
        // The ACK echoes TSval + offset as TSecr.
        auto d = SynCookies::decode_ts_options(wire::Timestamps{.val = 777, .ecr = tsval + ts_off},
                                               ts_off, true, true, true);
        ASSERT_TRUE(d.has_value());
        EXPECT_TRUE(d->tstamp_ok);
        EXPECT_EQ(d->ts_recent, 777u);
        EXPECT_EQ(d->opts, o);
      }
    }
  }
}

TEST(SynCookieTs, WithoutTimestampsEverythingIsLost) {
  auto d = SynCookies::decode_ts_options(std::nullopt, 1234, true, true, true);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, SyncookieAckOptions{});
}

TEST(SynCookieTs, DisabledOptionsRefuseTheAck) {
  const uint32_t sack_ws7 =
      SynCookies::encode_ts_options(6400, {.wscale_ok = true, .snd_wscale = 7, .sack_ok = true});
  const wire::Timestamps ts{.val = 1, .ecr = sack_ws7};
  EXPECT_TRUE(SynCookies::decode_ts_options(ts, 0, true, true, true).has_value());
  EXPECT_FALSE(SynCookies::decode_ts_options(ts, 0, false, true, true).has_value());
  EXPECT_FALSE(SynCookies::decode_ts_options(ts, 0, true, false, true).has_value());
  EXPECT_FALSE(SynCookies::decode_ts_options(ts, 0, true, true, false).has_value());
  // No window scale encoded: tcp_window_scaling = 0 does not matter.
  const uint32_t plain = SynCookies::encode_ts_options(6400, {});
  auto d =
      SynCookies::decode_ts_options(wire::Timestamps{.val = 1, .ecr = plain}, 0, true, true, false);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->opts.wscale_ok);
  EXPECT_FALSE(d->opts.sack_ok);
}

TEST(SynCookieTs, ZeroEchoIsNotOffsetCorrected) {
  // Linux subtracts the offset only from a non-zero TSecr; 0 decodes as wscale 0, no SACK.
  auto d =
      SynCookies::decode_ts_options(wire::Timestamps{.val = 9, .ecr = 0}, 0x55, true, true, true);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->opts.wscale_ok);
  EXPECT_EQ(d->opts.snd_wscale, 0);
  EXPECT_FALSE(d->opts.sack_ok);
}

TEST(SynqOverflowStamp, RecentMeansWithinOneSecondBeforeTo120SecondsAfter) {
  SynqOverflowStamp s;
  EXPECT_TRUE(s.no_recent_overflow(at(0_s)));  // a listener that never sent cookies
  s.note(at(10_s));
  EXPECT_TRUE(s.no_recent_overflow(at(8'999_ms)));
  EXPECT_FALSE(s.no_recent_overflow(at(9_s)));
  EXPECT_FALSE(s.no_recent_overflow(at(10_s)));
  EXPECT_FALSE(s.no_recent_overflow(at(130_s)));
  EXPECT_TRUE(s.no_recent_overflow(at(130'001_ms)));
}

TEST(SynqOverflowStamp, RecordsAtMostOncePerSecond) {
  SynqOverflowStamp s;
  s.note(at(10_s));
  s.note(at(10'500_ms));
  EXPECT_EQ(s.last(), at(10_s));
  s.note(at(11_s));
  EXPECT_EQ(s.last(), at(10_s));
  s.note(at(11'001_ms));
  EXPECT_EQ(s.last(), at(11'001_ms));
}

}  // namespace
}  // namespace synack::tcp
