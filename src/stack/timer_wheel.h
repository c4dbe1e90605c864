// TimerWheel: every deadline of a host (retransmit, persist, keepalive, delayed ACK,
// TIME-WAIT, SYN-ACK retries, user timeouts) in one hierarchical timing wheel, sized for ten
// million armed timers (SPEC §9.5 "timers for millions of them must cost O(1) each").
//
// Why a cascading wheel (Varghese & Lauck's "hierarchical timing wheels"): a heap costs
// O(log n) per schedule and cancel and touches cache lines all over a 10^7-entry array; most
// TCP timers are cancelled or re-armed long before they fire (every ACK moves the
// retransmit deadline). A wheel makes schedule and cancel O(1) list operations and moves
// each entry at most once per level on its way down ("cascading"), so expiry is amortized
// O(levels) = O(1) and stays exact to the tick. Linux's own non-cascading wheel
// (kernel/time/timer.c) trades exactness for speed; synack keeps exactness because TCP tests
// check SYN retransmissions at exactly 1 s, 3 s, 7 s.
//
// Time. Deadlines are synack::Instant (ns) passed in; the wheel never reads a clock. Time is
// cut into ticks of `tick` (default 1 ms, at least 256 ns). A deadline d belongs to the
// expiry tick T = ceil(d / tick), so a timer fires in the tick that contains or follows its
// deadline and NEVER EARLY: it fires in the first advance(now) with now >= T * tick >= d.
// Deadlines that are whole multiples of the tick fire exactly at them. (The one exception:
// a finite deadline in the last partial tick before Instant::infinite(), ~292 years out, is
// clamped down to the last whole tick.) Scheduling at Instant::infinite() disarms the entry.
//
// Layout. Ticks are mapped to unsigned 64-bit keys (sign bit flipped, so negative Instants
// work and order is kept). `elapsed_` is the key of the last tick processed: every entry with
// T <= elapsed_ has fired or sits on the ready list. An armed entry with T > elapsed_ lives
// at level L = (index of the highest bit where T and elapsed_ differ) / 6, in slot
// (T >> 6L) & 63. There are kLevels = 11 levels of 64 slots (6 bits each, 66 >= 64 bits), so
// any deadline, however far, has a slot: no overflow list. With 1 ms ticks, level 0 spans
// 64 ms, level 1 4.1 s, level 2 4.4 min, level 3 4.7 h, level 4 12 days, and so on.
// Consequences of that placement rule (the invariant everything rests on):
//   - An entry's (level, slot) is a function of (T, elapsed_) alone, so cancel() needs no
//     stored position, and all entries with the same T are always in the same list.
//   - Every entry at level L shares elapsed_'s digits above L and has digit L greater than
//     elapsed_'s; hence every entry of a lower level expires before every entry of a higher
//     level, and within a level slot order is time order (no wrap-around).
// advance() repeatedly takes the earliest occupied slot (lowest non-empty level, lowest set
// bit); if its start tick S is <= the target tick it sets elapsed_ = S and either fires the
// slot (level 0: all of it is due at exactly S) or re-files its entries one level or more
// lower (cascade; those with T == S become due). Each entry cascades at most kLevels - 1
// times in its life.
//
// next_deadline() reads one 64-bit occupancy bitmap per level: the lowest set bit of the
// lowest non-empty level gives that slot's start tick, which is <= every armed expiry tick.
// It is EXACT when the earliest entry is in level 0 (due within the current 64-tick block)
// or on the ready list; otherwise it is the start of the slot holding the earliest entry, a
// lower bound. A driver that sleeps until next_deadline() and calls advance() then wakes at
// most kLevels - 1 times without anything firing before the real expiry; each such wake
// cascades and makes the next answer exact or closer. Cost: at most 11 words read, no scan.
//
// Order. Entries fire in order of expiry tick; entries with the same expiry tick fire in the
// order they were (last) scheduled. An entry scheduled with a deadline at or before the last
// processed tick (overdue) goes to the ready list and fires in the next advance(), in
// scheduling order, before anything still in the wheel. Put together: entries fire in
// order of (max(T, elapsed tick when scheduled), scheduling sequence).
//
// Callbacks. advance(now, f) calls f(TimerEntry&) for each due entry. The entry is disarmed
// before f runs. f may schedule, reschedule or cancel any entry, including the one that fired
// and ones due in the same tick (those simply stop being due); an entry f schedules at or
// before `now` fires in the same advance() call. The callback is a template parameter: no
// std::function, no allocation. pop_expired() is the same machinery pulled one entry at a
// time.
//
// Entries are intrusive (24 bytes: two links and one word holding the expiry tick and an
// 8-bit owner-defined kind). The owner embeds or derives from TimerEntry and gets back to
// its own object with static_cast (derive) or its own offset arithmetic; the kind tells
// several timers of one owner apart. An entry may be moved while armed (the move relinks its
// neighbours), so owners can live in a std::vector. Destroying, or assigning over, an armed
// entry is a bug that aborts in every build (like std::thread's destructor): cancel first.
// Destroying the wheel disarms every entry still in it, so an owner that declares its wheel
// after its entry containers (members are destroyed in reverse order) may tear down without
// cancelling each entry; otherwise cancel them first.
//
// Measured (bench/timer_wheel_bench.cc, -O2, 10^7 armed): schedule+cancel ~10 ns at any size;
// expiry + re-arm ~40 ns while the entries fit in cache, ~340-460 ns at 10^6-10^7 where every
// cascade step is a cache miss on a cold entry (std::multimap: 1.0 us and 1.6 us at 10^6).
//
// Single-threaded, like the rest of the core.
#pragma once

#include <cstddef>
#include <cstdint>

#include <synack/time.h>

namespace synack::stack {

class TimerWheel;

// Doubly linked list node: the entry's links and the wheel's slot heads are both this.
struct TimerLink {
  TimerLink* prev = nullptr;
  TimerLink* next = nullptr;
};

class TimerEntry : private TimerLink {
 public:
  explicit TimerEntry(uint8_t kind = 0) : word_(kind) {}
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;
  // Moving takes over the source's place in the wheel (if armed); the source ends unarmed.
  TimerEntry(TimerEntry&& other) noexcept;
  // The destination must be unarmed (aborts otherwise).
  TimerEntry& operator=(TimerEntry&& other) noexcept;
  // Aborts if still armed: cancel before destroying.
  ~TimerEntry();

  [[nodiscard]] bool armed() const { return prev != nullptr; }
  [[nodiscard]] uint8_t kind() const { return static_cast<uint8_t>(word_ & 0xff); }
  void set_kind(uint8_t kind) { word_ = (word_ & ~int64_t{0xff}) | kind; }

 private:
  friend class TimerWheel;
  [[nodiscard]] int64_t tick() const { return word_ >> 8; }  // arithmetic shift: C++20
  void set_tick(int64_t tick) {
    word_ = static_cast<int64_t>(static_cast<uint64_t>(tick) << 8) | kind();
  }
  void take_links_from(TimerEntry& other);

  // Expiry tick (signed, 56 bits) << 8 | kind. Meaningful only while armed.
  int64_t word_;
};

class TimerWheel {
 public:
  static constexpr int kLevelBits = 6;
  static constexpr int kSlots = 1 << kLevelBits;  // per level
  static constexpr int kLevels = 11;              // 11 * 6 = 66 >= 64 key bits
  static constexpr int64_t kMinTickNs = 256;      // keeps ticks within 56 bits

  // `start`: the time the wheel begins at (everything at or before it counts as overdue).
  // `tick`: the granularity; must be >= 256 ns (asserted).
  explicit TimerWheel(Instant start = Instant::zero(), Duration tick = Duration::millis(1));
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  // Arms `e` to expire at `deadline`, or moves it there if already armed (in this wheel).
  // Counts as a new scheduling for tie order. Instant::infinite() cancels instead.
  void schedule(TimerEntry& e, Instant deadline);
  // Disarms `e`; no-op if it is not armed. `e` must not be armed in another wheel.
  void cancel(TimerEntry& e);

  // Fires, in order, every entry due at or before `now`; returns how many fired.
  template <class F>
  size_t advance(Instant now, F&& on_expire) {
    const uint64_t target = floor_key(now);
    size_t fired = 0;
    while (TimerEntry* e = pop_due(target)) {
      ++fired;
      on_expire(*e);
    }
    return fired;
  }
  // Pull form of advance(): the next entry due at or before `now` (already disarmed), or
  // nullptr when none is left. Calling it until nullptr is exactly advance(now, ...).
  [[nodiscard]] TimerEntry* pop_expired(Instant now) { return pop_due(floor_key(now)); }

  // A time at or before the earliest armed expiry (exact in the common cases, see the top
  // of this file); Instant::infinite() when nothing is armed.
  [[nodiscard]] Instant next_deadline() const;
  // The tick-rounded instant at which an armed entry will fire (T * tick).
  [[nodiscard]] Instant expiry(const TimerEntry& e) const {
    return Instant::from_nanos(e.tick() * tick_ns_);
  }
  // The last processed tick's instant: entries due at or before it have fired.
  [[nodiscard]] Instant processed_until() const { return key_instant(elapsed_); }

  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] Duration tick() const { return Duration::nanos(tick_ns_); }
  // Memory: per entry (embedded by its owner) and for the wheel itself (fixed, independent
  // of the number of entries).
  static constexpr size_t kEntryBytes = sizeof(TimerEntry);
  [[nodiscard]] static constexpr size_t wheel_bytes() { return sizeof(TimerWheel); }

 private:
  [[nodiscard]] static uint64_t to_key(int64_t tick) {
    return static_cast<uint64_t>(tick) ^ (uint64_t{1} << 63);
  }
  [[nodiscard]] static int64_t from_key(uint64_t key) {
    return static_cast<int64_t>(key ^ (uint64_t{1} << 63));
  }
  [[nodiscard]] uint64_t floor_key(Instant t) const;
  [[nodiscard]] Instant key_instant(uint64_t key) const {
    return Instant::from_nanos(from_key(key) * tick_ns_);
  }
  [[nodiscard]] static int level_of(uint64_t key, uint64_t elapsed);
  [[nodiscard]] TimerLink& slot_of(uint64_t key, int level) {
    return slots_[level][(key >> (level * kLevelBits)) & (kSlots - 1)];
  }
  // Files an unlinked entry by its tick: onto the ready list if due, else into its slot.
  void file(TimerEntry& e);
  void unlink(TimerEntry& e);
  TimerEntry* pop_due(uint64_t target);
  // Lowest non-empty level, or -1.
  [[nodiscard]] int lowest_level() const;
  [[nodiscard]] uint64_t slot_start(int level, int slot) const;

  int64_t tick_ns_;
  int64_t max_tick_;    // last tick whose instant is representable
  uint64_t elapsed_;    // key of the last processed tick
  uint64_t ready_min_;  // a lower bound of the ready entries' keys (valid while non-empty)
  size_t size_ = 0;
  uint64_t occupied_[kLevels] = {};  // bit s of level L: slots_[L][s] is non-empty
  TimerLink ready_;                  // due entries, in firing order
  TimerLink slots_[kLevels][kSlots];
};

}  // namespace synack::stack
