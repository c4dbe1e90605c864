// Cost of the timer wheel per operation with 10^3, 10^6 and 10^7 other timers armed
// (deadlines spread uniformly over 0..120 s), to show that it stays flat as the wheel fills.
//
//   ScheduleCancel/N   arm a timer at a random deadline in 0..120 s, then cancel it
//                      (the common TCP case: a retransmit timer armed and cancelled by an ACK)
//   Reschedule/N       move an armed timer to a new random deadline (one call)
//   ScheduleExpire/N   steady-state churn: time moves forward; every timer that fires is
//                      re-armed at now + random(1 ms..120 s). The counter per_timer is the
//                      cost of one expiry plus its re-arm, including all cascading, amortized.
//   Multimap*/N        the same on std::multimap, as the baseline the wheel must beat.
//
// The background timers live in one array of TimerEntry (kEntryBytes each); the counters
// report bytes per entry and the wheel's fixed size. Fixtures are built once per size and
// reused across the library's repeated calls, so the 10^7 setup is paid once per benchmark.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "base/rng.h"
#include "stack/timer_wheel.h"

namespace {

using synack::Duration;
using synack::Instant;
using synack::Rng;
using synack::stack::TimerEntry;
using synack::stack::TimerWheel;

constexpr int64_t kSpreadMs = 120'000;
constexpr size_t kTable = 1 << 16;  // pre-drawn random delays, so the RNG is not measured

struct Fixture {
  explicit Fixture(size_t n) : background(std::make_unique<TimerEntry[]>(n)), count(n) {
    Rng rng{0x7133e5};
    for (size_t i = 0; i < n; ++i) {
      wheel.schedule(
          background[i],
          Instant::zero() + Duration::millis(static_cast<int64_t>(rng.between(1, kSpreadMs))));
    }
    delays.resize(kTable);
    // Sub-millisecond parts too, so deadlines are not all whole ticks.
    for (auto& d : delays)
      d = Duration::micros(static_cast<int64_t>(rng.between(1'000, kSpreadMs * 1'000)));
  }
  ~Fixture() {
    for (size_t i = 0; i < count; ++i)
      wheel.cancel(background[i]);
  }
  std::unique_ptr<TimerEntry[]> background;
  size_t count;
  TimerWheel wheel;  // after the entries: destroyed first (it would disarm them anyway)
  std::vector<Duration> delays;
  Instant now = Instant::zero();
};

// One fixture alive at a time keeps peak memory at one 10^7 array (240 MB), not three.
Fixture& fixture_for(int tag, size_t n) {
  static std::unique_ptr<Fixture> current;
  static int current_tag = -1;
  static size_t current_n = 0;
  if (!current || current_tag != tag || current_n != n) {
    current.reset();
    current = std::make_unique<Fixture>(n);
    current_tag = tag;
    current_n = n;
  }
  return *current;
}

void report_memory(benchmark::State& state, const Fixture& f) {
  state.counters["armed"] = static_cast<double>(f.wheel.size());
  state.counters["entry_B"] = static_cast<double>(TimerWheel::kEntryBytes);
  state.counters["wheel_B"] = static_cast<double>(TimerWheel::wheel_bytes());
}

void ScheduleCancel(benchmark::State& state) {
  Fixture& f = fixture_for(0, static_cast<size_t>(state.range(0)));
  std::vector<TimerEntry> fg(1024);
  size_t i = 0;
  for (auto _ : state) {
    TimerEntry& e = fg[i & 1023];
    f.wheel.schedule(e, f.now + f.delays[i & (kTable - 1)]);
    f.wheel.cancel(e);
    ++i;
  }
  report_memory(state, f);
}

void Reschedule(benchmark::State& state) {
  Fixture& f = fixture_for(1, static_cast<size_t>(state.range(0)));
  // Move background entries themselves: the entry and its neighbours are cold at 10^7.
  Rng rng{99};
  size_t i = 0;
  for (auto _ : state) {
    TimerEntry& e = f.background[rng.below(f.count)];
    f.wheel.schedule(e, f.now + f.delays[i & (kTable - 1)]);
    ++i;
  }
  report_memory(state, f);
}

void ScheduleExpire(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  Fixture& f = fixture_for(2, n);
  // Mean lifetime is 60 s, so n/60 timers fire per second; step so ~16 fire per iteration.
  const Duration step = Duration::nanos(static_cast<int64_t>(16.0 * 60e9 / static_cast<double>(n)));
  size_t i = 0;
  int64_t fired = 0;
  for (auto _ : state) {
    f.now += step;
    fired += static_cast<int64_t>(f.wheel.advance(
        f.now, [&](TimerEntry& e) { f.wheel.schedule(e, f.now + f.delays[i++ & (kTable - 1)]); }));
  }
  state.counters["fired"] = static_cast<double>(fired);
  state.counters["per_timer"] = benchmark::Counter(
      static_cast<double>(fired), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  report_memory(state, f);
}

// Baseline: the same two workloads on std::multimap (a red-black tree keyed by deadline),
// the obvious library alternative (STYLE: "prefer a well-kept library ... benchmark it").
struct MapFixture {
  using Map = std::multimap<int64_t, size_t>;
  explicit MapFixture(size_t n) : where(n) {
    Rng rng{0x7133e5};
    for (size_t i = 0; i < n; ++i) {
      where[i] = map.emplace(static_cast<int64_t>(rng.between(1, kSpreadMs)) * 1'000'000, i);
    }
    delays.resize(kTable);
    for (auto& d : delays)
      d = static_cast<int64_t>(rng.between(1'000, kSpreadMs * 1'000)) * 1'000;
  }
  Map map;
  std::vector<Map::iterator> where;
  std::vector<int64_t> delays;
  int64_t now = 0;
};

void MultimapScheduleCancel(benchmark::State& state) {
  MapFixture f{static_cast<size_t>(state.range(0))};
  size_t i = 0;
  for (auto _ : state) {
    auto it = f.map.emplace(f.now + f.delays[i & (kTable - 1)], 0);
    f.map.erase(it);
    ++i;
  }
}

void MultimapScheduleExpire(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  MapFixture f{n};
  const auto step = static_cast<int64_t>(16.0 * 60e9 / static_cast<double>(n));
  size_t i = 0;
  int64_t fired = 0;
  for (auto _ : state) {
    f.now += step;
    while (!f.map.empty() && f.map.begin()->first <= f.now) {
      // Re-arm by moving the node (C++17 extract/insert: no allocation), like the wheel.
      auto node = f.map.extract(f.map.begin());
      node.key() = f.now + f.delays[i++ & (kTable - 1)];
      f.where[node.mapped()] = f.map.insert(std::move(node));
      ++fired;
    }
  }
  state.counters["per_timer"] = benchmark::Counter(
      static_cast<double>(fired), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(ScheduleCancel)->Arg(1'000)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(Reschedule)->Arg(1'000)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(ScheduleExpire)->Arg(1'000)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(MultimapScheduleCancel)->Arg(1'000)->Arg(1'000'000);
BENCHMARK(MultimapScheduleExpire)->Arg(1'000)->Arg(1'000'000);

}  // namespace
