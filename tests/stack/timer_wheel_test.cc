#include "stack/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/rng.h"

namespace synack::stack {
namespace {

using namespace synack::literals;

// An owner that derives from the entry, as the stack's records do.
struct Timer : TimerEntry {
  explicit Timer(int id_ = 0) : id(id_) {}
  int id;
};

Instant at(Duration d) {
  return Instant::zero() + d;
}

// Advances and returns the ids fired, in order.
std::vector<int> fire(TimerWheel& w, Instant now) {
  std::vector<int> out;
  w.advance(now, [&](TimerEntry& e) { out.push_back(static_cast<Timer&>(e).id); });
  return out;
}

TEST(TimerWheel, StartsEmpty) {
  TimerWheel w;
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(w.next_deadline().is_infinite());
  EXPECT_TRUE(fire(w, at(1000_s)).empty());
  EXPECT_EQ(w.tick(), 1_ms);
}

TEST(TimerWheel, WholeMillisecondDeadlinesFireExactlyAtThem) {
  // SYN retransmissions with a 1 s initial RTO and doubling backoff: 1, 3, 7, 15, 31 s.
  TimerWheel w;
  std::vector<Timer> t;
  for (int i = 0; i < 5; ++i)
    t.emplace_back(i);
  const int64_t secs[] = {1, 3, 7, 15, 31};
  for (int i = 0; i < 5; ++i)
    w.schedule(t[i], at(Duration::seconds(secs[i])));
  EXPECT_EQ(w.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const Instant due = at(Duration::seconds(secs[i]));
    EXPECT_TRUE(fire(w, due - 1_ns).empty()) << "fired early at " << to_string(due - 1_ns);
    EXPECT_EQ(fire(w, due), std::vector<int>{i}) << to_string(due);
  }
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, SubTickDeadlineRoundsUpNeverEarly) {
  TimerWheel w;
  Timer a{1};
  w.schedule(a, at(1500_us));
  EXPECT_EQ(w.expiry(a), at(2_ms));
  EXPECT_EQ(w.next_deadline(), at(2_ms));
  EXPECT_TRUE(fire(w, at(1500_us)).empty());  // same tick as the deadline: not yet complete
  EXPECT_TRUE(fire(w, at(2_ms) - 1_ns).empty());
  EXPECT_EQ(fire(w, at(2_ms)), std::vector<int>{1});
}

TEST(TimerWheel, TickIsAConstructorParameter) {
  TimerWheel w{Instant::zero(), 10_ms};
  EXPECT_EQ(w.tick(), 10_ms);
  Timer a{1}, b{2};
  w.schedule(a, at(15_ms));  // rounds up to 20 ms
  w.schedule(b, at(30_ms));  // a whole tick: exact
  EXPECT_TRUE(fire(w, at(19_ms)).empty());
  EXPECT_EQ(fire(w, at(20_ms)), std::vector<int>{1});
  EXPECT_TRUE(fire(w, at(30_ms) - 1_ns).empty());
  EXPECT_EQ(fire(w, at(30_ms)), std::vector<int>{2});
}

// Deadlines chosen to sit on every level boundary (64^k ms) and far beyond.
const Duration kLadder[] = {1_ms,    2_ms,          63_ms,    64_ms,         65_ms,
                            4095_ms, 4096_ms,       4097_ms,  60_s,          262144_ms,
                            7200_s,  16'777'216_ms, 86'400_s, 30 * 86'400_s, 3 * 365 * 86'400_s};

TEST(TimerWheel, OrderAcrossLevelsInOneJump) {
  TimerWheel w;
  const size_t n = std::size(kLadder);
  std::vector<Timer> t;
  for (size_t i = 0; i < n; ++i)
    t.emplace_back(static_cast<int>(i));
  // Schedule in a scrambled order; expect firing in deadline order.
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (k * 7) % n;  // 7 is coprime with 15
    w.schedule(t[i], at(kLadder[i]));
  }
  ASSERT_EQ(w.size(), n);
  std::vector<int> expected;
  for (size_t i = 0; i < n; ++i)
    expected.push_back(static_cast<int>(i));
  EXPECT_EQ(fire(w, at(4 * 365 * 86'400_s)), expected);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, DrivenByNextDeadlineEachFiresAtItsExactDeadline) {
  // A driver that sleeps until next_deadline() sees every timer fire exactly at its whole-ms
  // deadline, with a bounded number of wake-ups that fire nothing (one per level crossed).
  TimerWheel w;
  const size_t n = std::size(kLadder);
  std::vector<Timer> t;
  for (size_t i = 0; i < n; ++i)
    t.emplace_back(static_cast<int>(i));
  for (size_t i = 0; i < n; ++i)
    w.schedule(t[i], at(kLadder[i]));
  size_t next = 0;
  int idle_wakes = 0;
  Instant last = Instant::zero();
  while (!w.empty()) {
    const Instant nd = w.next_deadline();
    ASSERT_GE(nd, last);
    ASSERT_LE(nd, at(kLadder[next])) << "next_deadline later than the earliest timer";
    last = nd;
    const std::vector<int> fired = fire(w, nd);
    if (fired.empty()) {
      ++idle_wakes;
      continue;
    }
    ASSERT_EQ(fired, std::vector<int>{static_cast<int>(next)});
    EXPECT_EQ(nd, at(kLadder[next]));
    ++next;
  }
  EXPECT_EQ(next, n);
  EXPECT_LE(idle_wakes, static_cast<int>(n) * (TimerWheel::kLevels - 1));
}

TEST(TimerWheel, ManySmallStepsFireAtTheRightTick) {
  TimerWheel w;
  Rng rng{11};
  std::vector<std::unique_ptr<Timer>> t;
  std::vector<int64_t> due_ms;
  for (int i = 0; i < 2000; ++i) {
    t.push_back(std::make_unique<Timer>(i));
    due_ms.push_back(static_cast<int64_t>(rng.between(1, 10'000)));
    w.schedule(*t.back(), at(Duration::millis(due_ms.back())));
  }
  std::vector<int64_t> fired_at(t.size(), -1);
  for (int64_t ms = 0; ms <= 10'000; ++ms) {
    w.advance(at(Duration::millis(ms)), [&](TimerEntry& e) {
      const int id = static_cast<Timer&>(e).id;
      ASSERT_EQ(fired_at[id], -1) << "fired twice";
      fired_at[id] = ms;
    });
  }
  EXPECT_EQ(fired_at, due_ms);
}

TEST(TimerWheel, EqualDeadlinesFireInSchedulingOrderEvenAcrossCascades) {
  TimerWheel w;
  Timer a{1}, b{2}, c{3}, d{4};
  const Instant due = at(5000_ms);  // level 2 from time 0
  w.schedule(a, due);
  w.schedule(b, due);
  fire(w, at(4100_ms));  // a and b have cascaded down to level 1 (same 4096 ms block)
  w.schedule(c, due);
  fire(w, at(4995_ms));  // a, b, c cascaded to level 0 (same 64 ms block)
  w.schedule(d, due);
  w.schedule(a, due);  // rescheduling counts as a new scheduling: a moves to the back
  EXPECT_EQ(fire(w, due), (std::vector<int>{2, 3, 4, 1}));
}

TEST(TimerWheel, CancelAndCancelUnarmed) {
  TimerWheel w;
  Timer a{1}, b{2}, far{3};
  w.cancel(a);  // unarmed: no-op
  EXPECT_EQ(w.size(), 0u);
  w.schedule(a, at(10_ms));
  w.schedule(b, at(10_ms));
  w.schedule(far, at(7200_s));
  w.cancel(a);
  w.cancel(a);
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(w.size(), 2u);
  w.cancel(far);
  EXPECT_EQ(w.next_deadline(), at(10_ms));
  EXPECT_EQ(fire(w, at(1000_s)), std::vector<int>{2});
  EXPECT_TRUE(w.next_deadline().is_infinite());
}

TEST(TimerWheel, CancelLastEntryOfHighLevelSlotUpdatesNextDeadline) {
  TimerWheel w;
  Timer a{1}, b{2};
  w.schedule(a, at(3600_s));
  w.schedule(b, at(7200_s));
  const Instant before = w.next_deadline();
  EXPECT_LE(before, at(3600_s));
  w.cancel(a);
  EXPECT_GT(w.next_deadline(), at(3600_s));  // a's slot is no longer reported
  EXPECT_LE(w.next_deadline(), at(7200_s));
  w.cancel(b);
  EXPECT_TRUE(w.next_deadline().is_infinite());
}

TEST(TimerWheel, CallbackCancelsEntryDueInTheSameTick) {
  TimerWheel w;
  Timer a{1}, b{2}, c{3};
  w.schedule(a, at(5_ms));
  w.schedule(b, at(5_ms));
  w.schedule(c, at(9_ms));
  std::vector<int> out;
  w.advance(at(20_ms), [&](TimerEntry& e) {
    out.push_back(static_cast<Timer&>(e).id);
    if (&e == &a) {
      w.cancel(b);
      w.cancel(c);
    }
  });
  EXPECT_EQ(out, std::vector<int>{1});
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CallbackRearmsItselfAndFiresAgainInTheSameAdvance) {
  // A periodic 100 ms timer, advanced by one jump of 1 s, fires ten times at the right ticks.
  TimerWheel w;
  Timer p{1};
  w.schedule(p, at(100_ms));
  std::vector<Instant> when;
  w.advance(at(1_s), [&](TimerEntry& e) {
    EXPECT_FALSE(e.armed());
    when.push_back(w.expiry(e));
    w.schedule(e, w.expiry(e) + 100_ms);
  });
  ASSERT_EQ(when.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(when[i], at(Duration::millis(100 * (i + 1))));
  EXPECT_TRUE(p.armed());
  // p is due at 1100 ms, in the next 64-tick block: next_deadline() is that block's start.
  EXPECT_GT(w.next_deadline(), at(1_s));
  EXPECT_LE(w.next_deadline(), at(1100_ms));
  EXPECT_EQ(w.expiry(p), at(1100_ms));
  w.cancel(p);
}

TEST(TimerWheel, CallbackSchedulesOthersBeforeAndAfterNow) {
  TimerWheel w;
  Timer a{1}, past{2}, soon{3}, later{4};
  w.schedule(a, at(10_ms));
  w.advance(at(50_ms), [&](TimerEntry& e) {
    if (&e != &a) return;
    w.schedule(past, at(1_ms));   // overdue: fires in this same advance
    w.schedule(soon, at(30_ms));  // due before now: fires in this advance, at its tick
    w.schedule(later, at(51_ms));
  });
  EXPECT_FALSE(past.armed());
  EXPECT_FALSE(soon.armed());
  EXPECT_TRUE(later.armed());
  EXPECT_EQ(w.next_deadline(), at(51_ms));
  EXPECT_EQ(fire(w, at(51_ms)), std::vector<int>{4});
}

TEST(TimerWheel, OverdueScheduleFiresAtNextAdvanceEvenWithoutTimeMoving) {
  TimerWheel w{at(100_s)};
  Timer a{1}, b{2};
  w.schedule(a, at(99_s));
  w.schedule(b, at(100_s));
  EXPECT_LE(w.next_deadline(), at(99_s));
  EXPECT_EQ(fire(w, at(100_s)), (std::vector<int>{1, 2}));
}

TEST(TimerWheel, NonZeroAndNegativeStart) {
  for (const Instant start :
       {at(123'456'789_us), Instant::zero() - 5000_s, Instant::zero() - 1500_us}) {
    SCOPED_TRACE(to_string(start));
    TimerWheel w{start};
    Timer a{1}, b{2}, c{3};
    w.schedule(c, start + 7200_s);
    w.schedule(a, start + 1_s);
    w.schedule(b, start + 3_s);
    // Whole-ms deadlines relative to a start that is itself a whole microsecond count only
    // fire "exactly" if the start is on a tick; check the never-early rule in general.
    std::vector<std::pair<int, Instant>> got;
    Instant now = start;
    for (int i = 0; i < 64 && !w.empty(); ++i) {
      now = w.next_deadline();
      w.advance(now, [&](TimerEntry& e) { got.emplace_back(static_cast<Timer&>(e).id, now); });
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].first, 1);
    EXPECT_EQ(got[1].first, 2);
    EXPECT_EQ(got[2].first, 3);
    const Duration offs[] = {1_s, 3_s, 7200_s};
    for (int i = 0; i < 3; ++i) {
      EXPECT_GE(got[i].second, start + offs[i]);
      EXPECT_LT(got[i].second, start + offs[i] + 1_ms);
    }
  }
}

TEST(TimerWheel, VeryFarDeadlinesAndInfinity) {
  TimerWheel w;
  Timer a{1}, b{2}, c{3};
  const Instant century = at(100 * 365 * 86'400_s);
  w.schedule(a, century);
  w.schedule(b, Instant::infinite() - 1_ns);  // clamped to the last whole tick
  w.schedule(c, at(1_s));
  w.schedule(c, Instant::infinite());  // "never": disarms
  EXPECT_FALSE(c.armed());
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(fire(w, century - 1_ms).empty());
  EXPECT_EQ(fire(w, century), std::vector<int>{1});
  EXPECT_LE(w.next_deadline(), Instant::infinite() - 1_ns);
  EXPECT_EQ(fire(w, Instant::infinite()), std::vector<int>{2});
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, LargeJumpFiresEverythingInOrder) {
  TimerWheel w{at(1_s)};
  Rng rng{5};
  std::vector<std::unique_ptr<Timer>> t;
  std::multimap<int64_t, int> model;  // ms -> id, insertion order kept for equal keys
  for (int i = 0; i < 20'000; ++i) {
    const auto ms = static_cast<int64_t>(rng.between(1'001, 10 * 86'400'000));
    t.push_back(std::make_unique<Timer>(i));
    w.schedule(*t.back(), at(Duration::millis(ms)));
    model.emplace(ms, i);
  }
  std::vector<int> expected;
  for (const auto& [ms, id] : model)
    expected.push_back(id);
  EXPECT_EQ(fire(w, at(11 * 86'400_s)), expected);
}

TEST(TimerWheel, PopExpiredIsThePullFormOfAdvance) {
  Timer a{1}, b{2}, c{3};
  TimerWheel w;  // declared after its entries: its destructor disarms c
  w.schedule(b, at(20_ms));
  w.schedule(a, at(10_ms));
  w.schedule(c, at(30_ms));
  TimerEntry* e = w.pop_expired(at(25_ms));
  ASSERT_EQ(e, &a);
  e = w.pop_expired(at(25_ms));
  ASSERT_EQ(e, &b);
  EXPECT_EQ(w.pop_expired(at(25_ms)), nullptr);
  EXPECT_EQ(w.size(), 1u);
}

TEST(TimerWheel, KindTellsAnOwnersTimersApart) {
  struct Conn {
    TimerEntry rexmt{1};
    TimerEntry keepalive{2};
  };
  TimerWheel w;
  Conn c;
  w.schedule(c.keepalive, at(7200_s));
  w.schedule(c.rexmt, at(200_ms));
  std::vector<int> kinds;
  w.advance(at(7200_s), [&](TimerEntry& e) { kinds.push_back(e.kind()); });
  EXPECT_EQ(kinds, (std::vector<int>{1, 2}));
  c.rexmt.set_kind(9);
  EXPECT_EQ(c.rexmt.kind(), 9);
}

TEST(TimerWheel, ArmedEntriesMayMoveWithTheirOwners) {
  TimerWheel w;
  std::vector<Timer> t;
  t.reserve(1);
  for (int i = 0; i < 100; ++i) {
    t.emplace_back(i);  // reallocates while earlier entries are armed
    w.schedule(t.back(), at(Duration::millis(100 - i)));
  }
  std::vector<int> expected;
  for (int i = 99; i >= 0; --i)
    expected.push_back(i);
  EXPECT_EQ(fire(w, at(1_s)), expected);
}

TEST(TimerWheel, MoveAssignmentTakesOverTheSlot) {
  TimerWheel w;
  Timer a{1};
  Timer b{2};
  w.schedule(a, at(5_ms));
  b = std::move(a);  // b (unarmed) takes a's place; ids are not part of the entry
  EXPECT_FALSE(a.armed());
  EXPECT_TRUE(b.armed());
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(fire(w, at(5_ms)), std::vector<int>{1});  // Timer's move copies id too
}

TEST(TimerWheel, DestroyingTheWheelDisarmsItsEntries) {
  Timer a{1}, b{2};
  {
    TimerWheel w;
    w.schedule(a, at(1_ms));
    w.schedule(b, at(9000_s));
  }
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(b.armed());
}

TEST(TimerWheelDeathTest, DestroyingAnArmedEntryAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        TimerWheel w;
        auto* e = new TimerEntry;
        w.schedule(*e, at(1_s));
        delete e;
      },
      "");
}

// Randomized comparison with a reference model. The model encodes the documented order:
// key (max(T, processed tick at scheduling), scheduling sequence) — a multimap keeps equal
// keys in insertion order, which is the sequence.
struct ModelRun {
  explicit ModelRun(uint64_t seed) : rng(seed) {}
  Rng rng;
  TimerWheel w;
  std::vector<std::unique_ptr<Timer>> t;
  std::multimap<int64_t, int> model;  // effective tick (ms) -> id
  std::vector<std::multimap<int64_t, int>::iterator> where;
  std::vector<bool> in_model;
  int64_t processed_ms = 0;  // floor(last advance / 1 ms)

  void model_remove(int id) {
    if (in_model[id]) model.erase(where[id]);
    in_model[id] = false;
  }
  Duration random_delay() {
    switch (rng.below(5)) {
      case 0:
        return Duration::micros(static_cast<int64_t>(rng.below(100'000)));
      case 1:
        return Duration::millis(static_cast<int64_t>(rng.below(10'000)));
      case 2:
        return Duration::millis(static_cast<int64_t>(rng.below(3 * 3'600'000)));
      case 3:
        return Duration::millis(static_cast<int64_t>(rng.below(40LL * 86'400'000)));
      default:
        return -Duration::millis(static_cast<int64_t>(rng.below(5'000)));  // overdue
    }
  }
  void schedule(int id, Instant now) {
    const Instant d = now + random_delay();
    w.schedule(*t[id], d);
    model_remove(id);
    // ceil to whole ms
    int64_t tick = d.ns() / 1'000'000;
    if (d.ns() % 1'000'000 > 0) ++tick;
    where[id] = model.emplace(std::max(tick, processed_ms), id);
    in_model[id] = true;
  }
  // Advances both; returns false (after recording failures) on a mismatch.
  void advance(Instant now) {
    std::vector<int> got = fire(w, now);
    const int64_t target = now.ns() / 1'000'000;
    std::vector<int> want;
    while (!model.empty() && model.begin()->first <= target) {
      want.push_back(model.begin()->second);
      in_model[model.begin()->second] = false;
      model.erase(model.begin());
    }
    processed_ms = std::max(processed_ms, target);
    ASSERT_EQ(got, want) << "advance to " << to_string(now);
  }
};

TEST(TimerWheel, RandomizedAgainstMultimapModel) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ModelRun m{seed};
    const int kTimers = 300;
    for (int i = 0; i < kTimers; ++i)
      m.t.push_back(std::make_unique<Timer>(i));
    m.where.resize(kTimers);
    m.in_model.assign(kTimers, false);
    Instant now = Instant::zero();
    for (int op = 0; op < 4000; ++op) {
      const int id = static_cast<int>(m.rng.below(kTimers));
      const uint64_t kind = m.rng.below(100);
      if (kind < 45) {
        m.schedule(id, now);  // arms or reschedules
      } else if (kind < 60) {
        m.w.cancel(*m.t[id]);
        m.model_remove(id);
      } else if (kind < 80) {
        now += Duration::micros(static_cast<int64_t>(m.rng.below(5'000'000)));
        m.advance(now);
      } else if (kind < 85) {
        now += Duration::seconds(static_cast<int64_t>(m.rng.below(86'400)));
        m.advance(now);
      } else {
        // Drive to the next firing by next_deadline() alone, as a driver would.
        for (int wake = 0; wake < TimerWheel::kLevels && !m.model.empty(); ++wake) {
          const Instant nd = m.w.next_deadline();
          const int64_t earliest = m.model.begin()->first;
          ASSERT_LE(nd, Instant::zero() + Duration::millis(earliest)) << "op " << op;
          const bool moved = nd > now;
          if (moved) now = nd;
          const size_t before = m.w.size();
          m.advance(now);
          if (HasFatalFailure()) return;
          if (m.w.size() != before) {
            // Something fired at a time next_deadline() chose: exactly its whole-ms tick.
            if (moved) {
              EXPECT_EQ(now, Instant::zero() + Duration::millis(earliest)) << "op " << op;
            }
            break;
          }
        }
      }
      if (HasFatalFailure()) return;
      ASSERT_EQ(m.w.size(), m.model.size()) << "op " << op;
      for (int i = 0; i < kTimers; ++i)
        ASSERT_EQ(m.t[i]->armed(), m.in_model[i]);
      if (!m.model.empty()) {
        const int64_t earliest = m.model.begin()->first;
        const Instant nd = m.w.next_deadline();
        ASSERT_LE(nd, Instant::zero() + Duration::millis(earliest)) << "op " << op;
        // Exact when the earliest is due within the current 64-tick block (level 0).
        if (earliest > m.processed_ms && (earliest ^ m.processed_ms) < 64) {
          ASSERT_EQ(nd, Instant::zero() + Duration::millis(earliest)) << "op " << op;
        }
      } else {
        ASSERT_TRUE(m.w.next_deadline().is_infinite());
      }
    }
    for (auto& p : m.t)
      m.w.cancel(*p);
  }
}

}  // namespace
}  // namespace synack::stack
