#include "tcp/time_wait_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/rng.h"

namespace synack::tcp {
namespace {

using namespace synack::literals;
using wire::Ipv4Address;

KeyedHash key(uint8_t seed) {
  KeyedHash::Key k{};
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<uint8_t>(seed * 31 + i);
  return KeyedHash{k};
}

FourTuple tuple(uint32_t n) {
  return FourTuple{.local_addr = Ipv4Address::from_octets(10, 0, 0, 1),
                   .remote_addr = Ipv4Address{0x0a000100u + (n >> 16)},
                   .local_port = 80,
                   .remote_port = static_cast<uint16_t>(n & 0xffff)};
}

TimeWaitState state(uint32_t n) {
  return TimeWaitState{.tuple = tuple(n),
                       .snd_nxt = SeqNum{1000 + n},
                       .rcv_nxt = SeqNum{5000 + n},
                       .window = static_cast<uint16_t>(n),
                       .ts_ok = true,
                       .ts_recent = 77,
                       .ts_offset = 12345};
}

Instant at(Duration d) {
  return Instant::zero() + d;
}

// Expires up to `now` and returns the remote ports, in order.
std::vector<uint32_t> expire(TimeWaitTable& t, Instant now) {
  std::vector<uint32_t> out;
  t.expire(now, [&](const TimeWaitRecord& r) { out.push_back(r.tuple.remote_port); });
  return out;
}

TEST(TimeWaitTable, RecordLayoutFitsTheBudget) {
  // SPEC §9.6 / issue 4: <= 64 bytes per record including table overhead and the timer.
  EXPECT_EQ(sizeof(TimeWaitRecord), 60u);
  TimeWaitTable t(key(1), 1'000'000);
  for (uint32_t n = 1; n <= 200'000; ++n) {
    ASSERT_TRUE(t.start(state(n), at(0_s)));
    // The budget holds at load >= 1 (a nearly empty table is dominated by its 16 initial
    // buckets) and outside a rehash (the old half-size array adds 2 bytes until drained).
    if (!t.rehashing() && t.size() >= t.bucket_count()) {
      ASSERT_LE(t.bytes_per_record(), 64.0 + 1e-9) << "at " << n << " records";
    }
    if (t.rehashing()) {
      ASSERT_LE(t.bytes_per_record(), 66.0 + 1e-9) << "at " << n << " records";
    }
  }
  // Outside a rehash the load is between 1 and 2, so buckets cost 2..4 bytes per record.
  while (t.rehashing()) {
    t.kill(t.find(tuple(1)));
    ASSERT_TRUE(t.start(state(1), at(0_s)));
  }
  EXPECT_LE(t.bytes_per_record(), 64.0);
  EXPECT_GE(t.bytes_per_record(), 62.0);
  std::printf("TIME-WAIT record: %zu-byte slot, %.2f bytes per record with buckets at %zu\n",
              sizeof(TimeWaitRecord), t.bytes_per_record(), t.size());
}

TEST(TimeWaitTable, StartFindKeepsTheState) {
  TimeWaitTable t(key(1), 100);
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.next_deadline().is_infinite());
  EXPECT_FALSE(t.find(tuple(7)));
  TimeWaitState s = state(7);
  s.fin_wait2 = true;
  s.reuse_addr = true;
  s.ts_recent_stamp = at(3_s);
  auto r = t.start(s, at(10_s));
  ASSERT_TRUE(r);
  const TimeWaitRef ref = t.find(tuple(7));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref, *r);
  const TimeWaitRecord& rec = t.at(ref);
  EXPECT_EQ(rec.tuple, tuple(7));
  EXPECT_EQ(rec.snd_nxt, SeqNum{1007});
  EXPECT_EQ(rec.rcv_nxt, SeqNum{5007});
  EXPECT_EQ(rec.window, 7);
  EXPECT_TRUE(rec.ts_ok);
  EXPECT_TRUE(rec.fin_wait2);
  EXPECT_TRUE(rec.reuse_addr);
  EXPECT_FALSE(rec.autobind);
  EXPECT_EQ(rec.ts_recent, 77u);
  EXPECT_EQ(rec.ts_offset, 12345u);
  EXPECT_EQ(rec.deadline(), at(70_s));
  EXPECT_EQ(rec.ts_recent_age(at(10_s)), 7_s);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.next_deadline(), at(70_s));
  EXPECT_FALSE(t.find(tuple(8)));
}

TEST(TimeWaitTable, DuplicateTupleIsRefused) {
  TimeWaitTable t(key(1), 100);
  ASSERT_TRUE(t.start(state(1), at(0_s)));
  auto again = t.start(state(1), at(1_s));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), TimeWaitError::kExists);
  EXPECT_EQ(t.size(), 1u);
}

TEST(TimeWaitTable, ExpiresExactlyAtTheDeadlineInOrder) {
  TimeWaitTable t(key(2), 100);
  ASSERT_TRUE(t.start(state(1), at(0_s)));
  ASSERT_TRUE(t.start(state(2), at(1_s)));
  ASSERT_TRUE(t.start(state(3), at(1_s) + 1_ns));
  EXPECT_EQ(t.next_deadline(), at(60_s));
  EXPECT_TRUE(expire(t, at(60_s) - 1_ns).empty());
  EXPECT_EQ(expire(t, at(60_s)), (std::vector<uint32_t>{1}));
  EXPECT_EQ(t.next_deadline(), at(61_s));
  EXPECT_EQ(expire(t, at(100_s)), (std::vector<uint32_t>{2, 3}));
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.next_deadline().is_infinite());
}

TEST(TimeWaitTable, RestartMovesTheDeadline) {
  // SPEC §9.4: a retransmitted FIN restarts the 60 s.
  TimeWaitTable t(key(3), 100);
  ASSERT_TRUE(t.start(state(1), at(0_s)));
  ASSERT_TRUE(t.start(state(2), at(5_s)));
  t.restart(t.find(tuple(1)), at(30_s));
  EXPECT_EQ(t.at(t.find(tuple(1))).deadline(), at(90_s));
  EXPECT_EQ(t.next_deadline(), at(65_s));
  EXPECT_TRUE(expire(t, at(64_s)).empty());
  EXPECT_EQ(expire(t, at(89_s)), (std::vector<uint32_t>{2}));
  EXPECT_EQ(expire(t, at(90_s)), (std::vector<uint32_t>{1}));
}

TEST(TimeWaitTable, KillRemovesAtOnceAndFreesTheSlot) {
  TimeWaitTable t(key(4), 2);
  ASSERT_TRUE(t.start(state(1), at(0_s)));
  ASSERT_TRUE(t.start(state(2), at(1_s)));
  const size_t mem = t.memory_bytes();
  t.kill(t.find(tuple(1)));
  EXPECT_FALSE(t.find(tuple(1)));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.next_deadline(), at(61_s));
  ASSERT_TRUE(t.start(state(3), at(2_s)));  // reuses the freed slot
  EXPECT_EQ(t.memory_bytes(), mem);
  EXPECT_EQ(expire(t, at(200_s)), (std::vector<uint32_t>{2, 3}));
}

TEST(TimeWaitTable, OverflowAtTheLimit) {
  // SPEC §9.7: tcp_max_tw_buckets; the caller counts TCPTimeWaitOverflow.
  TimeWaitTable t(key(5), 3);
  for (uint32_t n = 1; n <= 3; ++n)
    ASSERT_TRUE(t.start(state(n), at(0_s)));
  auto r = t.start(state(4), at(0_s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TimeWaitError::kOverflow);
  EXPECT_FALSE(t.find(tuple(4)));
  t.kill(t.find(tuple(2)));
  EXPECT_TRUE(t.start(state(4), at(0_s)));
  t.set_max_records(2);  // lowering the sysctl keeps what is there, refuses new ones
  EXPECT_EQ(t.size(), 3u);
  EXPECT_FALSE(t.start(state(5), at(0_s)));
  EXPECT_EQ(expire(t, at(60_s)).size(), 3u);
  EXPECT_TRUE(t.start(state(5), at(60_s)));
}

TEST(TimeWaitTable, ExpireCallbackMayStartRecordsAndLimitBoundsTheWork) {
  TimeWaitTable t(key(6), 100);
  for (uint32_t n = 1; n <= 5; ++n)
    ASSERT_TRUE(t.start(state(n), at(Duration::seconds(n))));
  std::vector<uint32_t> seen;
  const size_t fired = t.expire(
      at(100_s),
      [&](const TimeWaitRecord& r) {
        seen.push_back(r.tuple.remote_port);
        EXPECT_FALSE(t.find(r.tuple)) << "record must have left the table";
        ASSERT_TRUE(t.start(state(r.tuple.remote_port + 100), at(100_s)));
      },
      3);
  EXPECT_EQ(fired, 3u);
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(t.size(), 5u);
  EXPECT_EQ(expire(t, at(100_s)), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(expire(t, at(160_s)), (std::vector<uint32_t>{101, 102, 103}));
}

TEST(TimeWaitTable, MixedLifetimesExpireInDeadlineOrder) {
  // FIN-WAIT-2 records (SPEC §8.8) live min(tcp_fin_timeout, 60 s); more distinct lifetimes
  // than lists must still come out in deadline order.
  TimeWaitTable t(key(7), 1000);
  Rng rng{42};
  std::multimap<Instant, uint32_t> model;
  for (uint32_t n = 1; n <= 300; ++n) {
    const Instant now = at(Duration::millis(n * 10));
    const Duration life = Duration::seconds(static_cast<int64_t>(rng.between(1, 20)));
    TimeWaitState s = state(n);
    s.fin_wait2 = true;
    ASSERT_TRUE(t.start(s, now, life));
    model.emplace(now + life, n);
  }
  Instant prev = Instant::zero();
  size_t count = 0;
  t.expire(at(100_s), [&](const TimeWaitRecord& r) {
    EXPECT_GE(r.deadline(), prev);
    prev = r.deadline();
    ++count;
  });
  EXPECT_EQ(count, model.size());
}

TEST(TimeWaitTable, NextDeadlineWithSeveralLifetimes) {
  TimeWaitTable t(key(8), 100);
  ASSERT_TRUE(t.start(state(1), at(0_s)));         // 60 s list
  ASSERT_TRUE(t.start(state(2), at(10_s), 30_s));  // 30 s list, due 40 s
  EXPECT_EQ(t.next_deadline(), at(40_s));
  t.restart(t.find(tuple(2)), at(20_s));  // now a TIME-WAIT: 60 s from 20 s
  EXPECT_EQ(t.next_deadline(), at(60_s));
  EXPECT_EQ(expire(t, at(80_s)), (std::vector<uint32_t>{1, 2}));
}

TEST(TimeWaitTable, CollidingTuplesShareAChain) {
  // Tuples chosen to fall in one bucket of the initial 16 under key A: all stay findable and
  // removable. Under another key the same tuples spread (SPEC §2.3: the secret decides).
  const KeyedHash a = key(9);
  std::vector<uint32_t> same;
  for (uint32_t n = 0; same.size() < 24; ++n) {
    const FourTuple k = tuple(n);
    const std::array<uint32_t, 3> w = {k.local_addr.value(), k.remote_addr.value(),
                                       (uint32_t{k.local_port} << 16) | k.remote_port};
    if ((a.words(w) & 15) == 3) same.push_back(n);
  }
  TimeWaitTable t(a, 100);
  for (uint32_t n : same)
    ASSERT_TRUE(t.start(state(n), at(0_s)));
  for (uint32_t n : same)
    ASSERT_TRUE(t.find(tuple(n))) << n;
  for (size_t i = 0; i < same.size(); i += 2)
    t.kill(t.find(tuple(same[i])));
  for (size_t i = 0; i < same.size(); ++i)
    EXPECT_EQ(static_cast<bool>(t.find(tuple(same[i]))), i % 2 == 1) << same[i];

  const KeyedHash b = key(10);
  std::set<uint64_t> buckets_b;
  for (uint32_t n : same) {
    const FourTuple k = tuple(n);
    const std::array<uint32_t, 3> w = {k.local_addr.value(), k.remote_addr.value(),
                                       (uint32_t{k.local_port} << 16) | k.remote_port};
    buckets_b.insert(b.words(w) & 15);
  }
  EXPECT_GT(buckets_b.size(), 4u);
}

TEST(TimeWaitTable, GrowsIncrementallyAndFindsDuringTheRehash) {
  TimeWaitTable t(key(11), 1'000'000);
  size_t rehash_checks = 0;
  size_t last_buckets = t.bucket_count();
  for (uint32_t n = 0; n < 50'000; ++n) {
    ASSERT_TRUE(t.start(state(n), at(0_s)));
    if (t.bucket_count() != last_buckets) {
      // Just doubled: the rehash must not have happened all at once.
      EXPECT_EQ(t.bucket_count(), last_buckets * 2);
      if (last_buckets >= 64) {
        EXPECT_TRUE(t.rehashing());
      }
      last_buckets = t.bucket_count();
    }
    if (t.rehashing() && n % 97 == 0) {
      for (uint32_t m = 0; m <= n; m += 13)
        ASSERT_TRUE(t.find(tuple(m))) << m << " during a rehash at " << n;
      ++rehash_checks;
    }
  }
  EXPECT_GT(rehash_checks, 0u);
  EXPECT_LE(t.size(), TimeWaitTable::kMaxLoad * t.bucket_count());
  for (uint32_t m = 0; m < 50'000; ++m)
    ASSERT_TRUE(t.find(tuple(m))) << m;
  EXPECT_EQ(expire(t, at(60_s)).size(), 50'000u);
}

TEST(TimeWaitTable, RandomOpsMatchAModel) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng{seed};
    constexpr size_t kLimit = 3000;
    TimeWaitTable t(key(static_cast<uint8_t>(seed)), kLimit);
    struct Rec {
      Instant deadline;
      uint32_t snd;
    };
    std::map<uint32_t, Rec> model;  // remote port/addr index -> record
    Instant now = at(0_s);
    for (int op = 0; op < 100'000; ++op) {
      const uint32_t n = static_cast<uint32_t>(rng.below(8000));
      const uint64_t what = rng.below(100);
      if (what < 40) {
        const Duration life =
            rng.chance(0.8) ? 60_s : Duration::millis(int64_t(rng.between(1, 60'000)));
        auto r = t.start(state(n), now, life);
        if (model.count(n) != 0) {
          ASSERT_FALSE(r);
          ASSERT_EQ(r.error(), TimeWaitError::kExists);
        } else if (model.size() >= kLimit) {
          ASSERT_FALSE(r);
          ASSERT_EQ(r.error(), TimeWaitError::kOverflow);
        } else {
          ASSERT_TRUE(r);
          model[n] = Rec{now + life, 1000 + n};
        }
      } else if (what < 60) {
        const TimeWaitRef ref = t.find(tuple(n));
        ASSERT_EQ(static_cast<bool>(ref), model.count(n) != 0) << n;
        if (ref) {
          ASSERT_EQ(t.at(ref).deadline(), model[n].deadline);
          ASSERT_EQ(t.at(ref).snd_nxt, SeqNum{model[n].snd});
        }
      } else if (what < 70) {
        const TimeWaitRef ref = t.find(tuple(n));
        if (ref) {
          t.restart(ref, now);
          model[n].deadline = now + 60_s;
        }
      } else if (what < 80) {
        const TimeWaitRef ref = t.find(tuple(n));
        if (ref) {
          t.kill(ref);
          model.erase(n);
        }
      } else {
        now += Duration::millis(int64_t(rng.between(0, 3000)));
        std::multiset<std::pair<Instant, uint32_t>> due;
        for (const auto& [k, v] : model)
          if (v.deadline <= now) due.emplace(v.deadline, k);
        Instant prev = Instant::zero();
        std::multiset<std::pair<Instant, uint32_t>> got;
        t.expire(now, [&](const TimeWaitRecord& r) {
          EXPECT_GE(r.deadline(), prev);
          prev = r.deadline();
          const uint32_t k =
              ((r.tuple.remote_addr.value() - 0x0a000100u) << 16) | r.tuple.remote_port;
          got.emplace(r.deadline(), k);
        });
        ASSERT_EQ(got, due) << "at op " << op;
        for (const auto& [d, k] : due)
          model.erase(k);
        Instant next = Instant::infinite();
        for (const auto& [k, v] : model)
          next = std::min(next, v.deadline);
        ASSERT_EQ(t.next_deadline(), next);
      }
      ASSERT_EQ(t.size(), model.size());
    }
  }
}

// --- data-only helpers -------------------------------------------------------------------------

TEST(TimeWaitRecord, PawsRejectsOlderTimestampsAsLinux) {
  TimeWaitTable t(key(12), 10);
  TimeWaitState s = state(1);
  s.ts_recent = 1000;
  s.ts_recent_stamp = at(10_s);
  const TimeWaitRef ref = *t.start(s, at(10_s));
  const TimeWaitRecord& r = t.at(ref);
  EXPECT_FALSE(r.paws_reject(1000, false, at(11_s)));  // equal: window 0 accepts
  EXPECT_FALSE(r.paws_reject(1001, false, at(11_s)));
  EXPECT_TRUE(r.paws_reject(999, false, at(11_s)));
  EXPECT_TRUE(r.paws_reject(999, true, at(69_s) + 999_ms));  // RST: not yet TCP_PAWS_MSL old
  EXPECT_FALSE(r.paws_reject(999, true, at(70_s)));          // RST after 60 s passes
  EXPECT_TRUE(r.paws_reject(999, false, at(70_s)));
  // Sequence-space wrap: 0x10 is newer than 0xfffffff0.
  TimeWaitRecord& w = t.at(ref);
  w.set_ts_recent(0xfffffff0u, at(20_s));
  EXPECT_FALSE(w.paws_reject(0x10, false, at(21_s)));
  EXPECT_TRUE(w.paws_reject(0xffffff00u, false, at(21_s)));
}

TEST(TimeWaitRecord, NoStampOrTwentyFourDaysOldMeansNoPaws) {
  TimeWaitTable t(key(13), 10);
  TimeWaitState s = state(1);
  s.ts_recent = 1000;  // no stamp: ts_recent was never set
  const TimeWaitRef ref = *t.start(s, at(0_s));
  EXPECT_FALSE(t.at(ref).has_ts_recent_stamp());
  EXPECT_FALSE(t.at(ref).paws_reject(1, false, at(1_s)));
  EXPECT_EQ(t.at(ref).ts_recent_age(at(1_s)), Duration::max());
  // TCP_PAWS_24DAYS: a record kept alive by restarts for 24 days forgets its ts_recent.
  t.at(ref).set_ts_recent(1000, at(0_s));
  Instant now = at(0_s);
  const Duration days24 = Duration::seconds(24 * 24 * 3600);
  while (now < at(days24) - 60_s) {
    now += 50_s;
    t.restart(ref, now);
  }
  EXPECT_TRUE(t.at(ref).paws_reject(1, false, now));
  now = at(days24);
  t.restart(ref, now);
  EXPECT_FALSE(t.at(ref).has_ts_recent_stamp());
  EXPECT_FALSE(t.at(ref).paws_reject(1, false, now));
}

TEST(TimeWaitRecord, OutOfWindowAckRateLimit) {
  // Linux tcp_oow_rate_limited() with tcp_invalid_ratelimit = 500 ms.
  TimeWaitTable t(key(14), 10);
  TimeWaitRecord& r = t.at(*t.start(state(1), at(0_s)));
  EXPECT_FALSE(r.oow_rate_limited(at(1_s), 500_ms));
  EXPECT_TRUE(r.oow_rate_limited(at(1_s) + 499_ms, 500_ms));
  EXPECT_FALSE(r.oow_rate_limited(at(1_s) + 500_ms, 500_ms));
  EXPECT_TRUE(r.oow_rate_limited(at(1_s) + 600_ms, 500_ms));
  // The engine's last_oow_ack carries over into the record.
  TimeWaitState s = state(2);
  s.last_oow_ack = at(10_s);
  TimeWaitRecord& r2 = t.at(*t.start(s, at(10_s) + 100_ms));
  EXPECT_TRUE(r2.oow_rate_limited(at(10_s) + 200_ms, 500_ms));
}

TEST(TimeWaitRecord, ReusableForConnectNeedsTimestampsAndTheDelay) {
  // SPEC §9.8: timestamps on and the last timestamp older than tcp_tw_reuse_delay.
  TimeWaitTable t(key(15), 10);
  TimeWaitState s = state(1);
  s.ts_recent_stamp = at(5_s);
  const TimeWaitRecord& r = t.at(*t.start(s, at(5_s)));
  EXPECT_FALSE(r.reusable_for_connect(at(6_s), 1000_ms));  // exactly the delay: not after
  EXPECT_TRUE(r.reusable_for_connect(at(6_s) + 1_ms, 1000_ms));
  EXPECT_TRUE(r.reusable_for_connect(at(5_s) + 11_ms, 10_ms));
  s = state(2);
  s.ts_ok = false;
  s.ts_recent_stamp = at(5_s);
  EXPECT_FALSE(t.at(*t.start(s, at(5_s))).reusable_for_connect(at(50_s), 1000_ms));
  s = state(3);  // timestamps on but no stamp
  EXPECT_FALSE(t.at(*t.start(s, at(5_s))).reusable_for_connect(at(50_s), 1000_ms));
}

}  // namespace
}  // namespace synack::tcp
