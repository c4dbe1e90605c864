// TimerWheel implementation; the design is described in timer_wheel.h.
#include "stack/timer_wheel.h"

#include <bit>
#include <cassert>
#include <cstdlib>
#include <limits>

namespace synack::stack {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

int64_t ceil_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a > 0) ++q;
  return q;
}

bool list_empty(const TimerLink& head) {
  return head.next == &head;
}

// Appends the detached node `n` at the tail of the list headed by `head`.
void push_back(TimerLink& head, TimerLink* n) {
  n->prev = head.prev;
  n->next = &head;
  head.prev->next = n;
  head.prev = n;
}

void remove(TimerLink* n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
}

// Contract violations that would leave dangling pointers in the wheel.
[[noreturn]] void die_armed() {
  assert(false && "TimerEntry destroyed or overwritten while armed: cancel it first");
  std::abort();
}

}  // namespace

// ---- TimerEntry ----

void TimerEntry::take_links_from(TimerEntry& other) {
  prev = other.prev;
  next = other.next;
  prev->next = this;
  next->prev = this;
  other.prev = nullptr;
  other.next = nullptr;
}

TimerEntry::TimerEntry(TimerEntry&& other) noexcept : TimerLink(), word_(other.word_) {
  if (other.armed()) take_links_from(other);
}

TimerEntry& TimerEntry::operator=(TimerEntry&& other) noexcept {
  if (this == &other) return *this;
  if (armed()) die_armed();
  word_ = other.word_;
  if (other.armed()) take_links_from(other);
  return *this;
}

TimerEntry::~TimerEntry() {
  if (armed()) die_armed();
}

// ---- TimerWheel ----

TimerWheel::TimerWheel(Instant start, Duration tick)
    : tick_ns_(tick.ns() < kMinTickNs ? kMinTickNs : tick.ns()),
      max_tick_(std::numeric_limits<int64_t>::max() / tick_ns_),
      elapsed_(to_key(floor_div(start.ns(), tick_ns_))),
      ready_min_(elapsed_) {
  assert(tick.ns() >= kMinTickNs && "TimerWheel tick must be at least 256 ns");
  ready_.prev = ready_.next = &ready_;
  for (auto& level : slots_) {
    for (auto& head : level)
      head.prev = head.next = &head;
  }
}

TimerWheel::~TimerWheel() {
  // Disarm whatever is left so that the entries' destructors do not see dangling links.
  auto disarm_all = [](TimerLink& head) {
    TimerLink* n = head.next;
    while (n != &head) {
      TimerLink* next = n->next;
      n->prev = n->next = nullptr;
      n = next;
    }
    head.prev = head.next = &head;
  };
  disarm_all(ready_);
  for (int level = 0; level < kLevels; ++level) {
    uint64_t bits = occupied_[level];
    while (bits != 0) {
      disarm_all(slots_[level][std::countr_zero(bits)]);
      bits &= bits - 1;
    }
  }
}

uint64_t TimerWheel::floor_key(Instant t) const {
  return to_key(floor_div(t.ns(), tick_ns_));
}

int TimerWheel::level_of(uint64_t key, uint64_t elapsed) {
  assert(key > elapsed);
  return (std::bit_width(key ^ elapsed) - 1) / kLevelBits;
}

uint64_t TimerWheel::slot_start(int level, int slot) const {
  const int above = (level + 1) * kLevelBits;
  const uint64_t prefix = above >= 64 ? 0 : (elapsed_ >> above) << above;
  return prefix | (static_cast<uint64_t>(slot) << (level * kLevelBits));
}

int TimerWheel::lowest_level() const {
  for (int level = 0; level < kLevels; ++level) {
    if (occupied_[level] != 0) return level;
  }
  return -1;
}

void TimerWheel::file(TimerEntry& e) {
  const uint64_t key = to_key(e.tick());
  if (key <= elapsed_) {
    if (list_empty(ready_) || key < ready_min_) ready_min_ = key;
    push_back(ready_, &e);
    return;
  }
  const int level = level_of(key, elapsed_);
  const int slot = static_cast<int>((key >> (level * kLevelBits)) & (kSlots - 1));
  push_back(slots_[level][slot], &e);
  occupied_[level] |= uint64_t{1} << slot;
}

void TimerWheel::unlink(TimerEntry& e) {
  remove(&e);
  e.prev = e.next = nullptr;
  const uint64_t key = to_key(e.tick());
  if (key <= elapsed_) return;  // it was on the ready list
  const int level = level_of(key, elapsed_);
  const int slot = static_cast<int>((key >> (level * kLevelBits)) & (kSlots - 1));
  if (list_empty(slots_[level][slot])) occupied_[level] &= ~(uint64_t{1} << slot);
}

void TimerWheel::schedule(TimerEntry& e, Instant deadline) {
  if (deadline.is_infinite()) {
    cancel(e);
    return;
  }
  if (e.armed()) {
    unlink(e);
  } else {
    ++size_;
  }
  int64_t tick = ceil_div(deadline.ns(), tick_ns_);
  if (tick > max_tick_) tick = max_tick_;  // the last partial tick before infinity
  e.set_tick(tick);
  file(e);
}

void TimerWheel::cancel(TimerEntry& e) {
  if (!e.armed()) return;
  unlink(e);
  --size_;
}

TimerEntry* TimerWheel::pop_due(uint64_t target) {
  for (;;) {
    if (!list_empty(ready_)) {
      auto* e = static_cast<TimerEntry*>(ready_.next);
      remove(e);
      e->prev = e->next = nullptr;
      --size_;
      return e;
    }
    const int level = lowest_level();
    if (level < 0) break;
    const int slot = std::countr_zero(occupied_[level]);
    const uint64_t start = slot_start(level, slot);
    if (start > target) break;
    // Nothing is due before `start`: move time there and empty the slot.
    elapsed_ = start;
    occupied_[level] &= ~(uint64_t{1} << slot);
    TimerLink& head = slots_[level][slot];
    if (level == 0) {
      // Every entry of a level-0 slot has T == start: splice the whole list, order kept.
      ready_.next = head.next;
      ready_.prev = head.prev;
      head.next->prev = &ready_;
      head.prev->next = &ready_;
      head.next = head.prev = &head;
      ready_min_ = start;
    } else {
      // Cascade: re-file each entry relative to the new elapsed_, in list order, so that
      // entries with equal T keep their relative order.
      TimerLink* n = head.next;
      head.next->prev = nullptr;
      head.prev->next = nullptr;
      head.next = head.prev = &head;
      while (n != nullptr) {
        TimerLink* next = n->next;
        file(*static_cast<TimerEntry*>(n));
        n = next;
      }
    }
  }
  if (target > elapsed_) elapsed_ = target;
  return nullptr;
}

Instant TimerWheel::next_deadline() const {
  if (!list_empty(ready_)) return key_instant(ready_min_);
  const int level = lowest_level();
  if (level < 0) return Instant::infinite();
  return key_instant(slot_start(level, std::countr_zero(occupied_[level])));
}

}  // namespace synack::stack
