#include "tcp/time_wait_table.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace synack::tcp {

static_assert(sizeof(TimeWaitRecord) == 60,
              "SPEC §9.6 budget: 60-byte slot + 2..4 bytes of buckets");

namespace {

constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();

// TCP_PAWS_24DAYS: ts_recent older than this is void (Linux tcp_paws_check()).
constexpr int64_t kPaws24DaysMs = int64_t{60} * 60 * 24 * 24 * 1000;
// TCP_PAWS_MSL: an RST may pass PAWS once ts_recent is this old (Linux tcp_paws_reject()).
constexpr Duration kPawsMsl = Duration::seconds(60);
// An out-of-window-ACK stamp this old cannot matter any more (rate limits are < 1 s).
constexpr int64_t kOowStaleMs = int64_t{1} << 30;
constexpr size_t kInitialBuckets = 16;

// Milliseconds, floored, modulo 2^32.
uint32_t ms32(Instant t) {
  int64_t ns = t.ns();
  int64_t ms = ns / 1'000'000;
  if (ns % 1'000'000 < 0) --ms;
  return static_cast<uint32_t>(ms);
}

// a - b in ms as a signed 32-bit distance (both modulo 2^32).
int64_t ms_diff(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b);
}

}  // namespace

// --- TimeWaitRecord --------------------------------------------------------------------------

Instant TimeWaitRecord::deadline() const {
  const uint64_t ns = (uint64_t{deadline_hi_} << 32) | deadline_lo_;
  return Instant::from_nanos(static_cast<int64_t>(ns));
}

void TimeWaitRecord::set_deadline(Instant d) {
  const auto ns = static_cast<uint64_t>(d.ns());
  deadline_lo_ = static_cast<uint32_t>(ns);
  deadline_hi_ = static_cast<uint32_t>(ns >> 32);
}

Duration TimeWaitRecord::ts_recent_age(Instant now) const {
  if (!stamp_valid_) return Duration::max();
  const int64_t age = ms_diff(ms32(now), ts_recent_stamp_ms_);
  if (age >= kPaws24DaysMs) return Duration::max();
  return Duration::millis(age);
}

void TimeWaitRecord::set_ts_recent(uint32_t tsval, Instant now) {
  ts_recent = tsval;
  ts_recent_stamp_ms_ = ms32(now);
  stamp_valid_ = true;
}

bool TimeWaitRecord::paws_reject(uint32_t tsval, bool rst, Instant now) const {
  if (static_cast<int32_t>(ts_recent - tsval) <= 0) return false;  // not older: window 0
  const Duration age = ts_recent_age(now);
  if (age == Duration::max()) return false;  // no stamp, or void after 24 days
  if (rst && age >= kPawsMsl) return false;
  return true;
}

bool TimeWaitRecord::oow_rate_limited(Instant now, Duration limit) {
  const uint32_t t = ms32(now);
  if (oow_valid_) {
    const int64_t elapsed = ms_diff(t, last_oow_ack_ms_);
    if (elapsed >= 0 && elapsed < limit.ms()) return true;
  }
  last_oow_ack_ms_ = t;
  oow_valid_ = true;
  return false;
}

bool TimeWaitRecord::reusable_for_connect(Instant now, Duration delay) const {
  if (!ts_ok) return false;
  const Duration age = ts_recent_age(now);
  return age != Duration::max() && age > delay;
}

void TimeWaitRecord::drop_stale_stamps(Instant now) {
  if (stamp_valid_ && ts_recent_age(now) == Duration::max()) stamp_valid_ = false;
  if (oow_valid_) {
    const int64_t d = ms_diff(ms32(now), last_oow_ack_ms_);
    if (d >= kOowStaleMs || d <= -kOowStaleMs) oow_valid_ = false;
  }
}

// --- TimeWaitTable ---------------------------------------------------------------------------

TimeWaitTable::TimeWaitTable(const KeyedHash& hash, size_t max_records, Duration time_wait_len)
    : hash_(hash),
      max_records_(max_records),
      time_wait_len_(time_wait_len),
      buckets_(kInitialBuckets, kNil) {}

TimeWaitTable::~TimeWaitTable() = default;

uint64_t TimeWaitTable::hash_of(const FourTuple& k) const {
  const std::array<uint32_t, 3> words = {k.local_addr.value(), k.remote_addr.value(),
                                         (uint32_t{k.local_port} << 16) | uint32_t{k.remote_port}};
  return hash_.words(words);
}

uint32_t& TimeWaitTable::chain_head(uint64_t h) {
  if (!old_buckets_.empty()) {
    const size_t ob = h & (old_buckets_.size() - 1);
    if (ob >= rehash_pos_) return old_buckets_[ob];
  }
  return buckets_[h & (buckets_.size() - 1)];
}

uint32_t TimeWaitTable::chain_head(uint64_t h) const {
  return const_cast<TimeWaitTable*>(this)->chain_head(h);
}

uint32_t TimeWaitTable::find_index(const FourTuple& t, uint64_t h) const {
  for (uint32_t i = chain_head(h); i != kNil; i = slot(i).hash_next_) {
    if (slot(i).tuple == t) return i;
  }
  return kNil;
}

TimeWaitRef TimeWaitTable::find(const FourTuple& tuple) const {
  return TimeWaitRef{find_index(tuple, hash_of(tuple))};
}

TimeWaitRecord& TimeWaitTable::at(TimeWaitRef r) {
  assert(r.valid() && r.index < slots_used_);
  return slot(r.index);
}

const TimeWaitRecord& TimeWaitTable::at(TimeWaitRef r) const {
  assert(r.valid() && r.index < slots_used_);
  return slot(r.index);
}

uint32_t TimeWaitTable::alloc_slot() {
  if (free_head_ != kNil) {
    const uint32_t i = free_head_;
    free_head_ = slot(i).hash_next_;
    return i;
  }
  if (slots_used_ == slabs_.size() * kSlabRecords)
    slabs_.push_back(std::make_unique<TimeWaitRecord[]>(kSlabRecords));
  return slots_used_++;
}

Result<TimeWaitRef, TimeWaitError> TimeWaitTable::start(const TimeWaitState& s, Instant now) {
  return start(s, now, time_wait_len_);
}

Result<TimeWaitRef, TimeWaitError> TimeWaitTable::start(const TimeWaitState& s, Instant now,
                                                        Duration lifetime) {
  // Linux inet_twsk_alloc(): the bucket limit is checked first (SPEC §9.7).
  if (size_ >= max_records_) return Failure{TimeWaitError::kOverflow};
  const uint64_t h = hash_of(s.tuple);
  if (find_index(s.tuple, h) != kNil) return Failure{TimeWaitError::kExists};
  maybe_grow();
  rehash_step();

  const uint32_t i = alloc_slot();
  TimeWaitRecord& r = slot(i);
  r = TimeWaitRecord{};
  r.tuple = s.tuple;
  r.snd_nxt = s.snd_nxt;
  r.rcv_nxt = s.rcv_nxt;
  r.ts_recent = s.ts_recent;
  r.ts_offset = s.ts_offset;
  r.window = s.window;
  r.ts_ok = s.ts_ok;
  r.fin_wait2 = s.fin_wait2;
  r.reuse_addr = s.reuse_addr;
  r.autobind = s.autobind;
  r.rcv_wscale = s.rcv_wscale & 0xf;
  if (!s.ts_recent_stamp.is_infinite()) {
    r.ts_recent_stamp_ms_ = ms32(s.ts_recent_stamp);
    r.stamp_valid_ = true;
    r.drop_stale_stamps(now);
  }
  if (!s.last_oow_ack.is_infinite()) {
    r.last_oow_ack_ms_ = ms32(s.last_oow_ack);
    r.oow_valid_ = true;
    r.drop_stale_stamps(now);
  }
  r.set_deadline(now + lifetime);

  uint32_t& head = chain_head(h);
  r.hash_next_ = head;
  head = i;
  link_expiry(i, lifetime);
  ++size_;
  return TimeWaitRef{i};
}

void TimeWaitTable::restart(TimeWaitRef r, Instant now) {
  restart(r, now, time_wait_len_);
}

void TimeWaitTable::restart(TimeWaitRef r, Instant now, Duration lifetime) {
  TimeWaitRecord& rec = at(r);
  rec.drop_stale_stamps(now);
  unlink_expiry(r.index);
  rec.set_deadline(now + lifetime);
  link_expiry(r.index, lifetime);
}

void TimeWaitTable::kill(TimeWaitRef r) {
  assert(r.valid() && r.index < slots_used_);
  remove(r.index);
  rehash_step();
}

void TimeWaitTable::remove(uint32_t i) {
  unhash(i);
  unlink_expiry(i);
  TimeWaitRecord& r = slot(i);
  r = TimeWaitRecord{};
  r.hash_next_ = free_head_;
  free_head_ = i;
  --size_;
}

void TimeWaitTable::unhash(uint32_t i) {
  uint32_t* link = &chain_head(hash_of(slot(i).tuple));
  while (*link != i) {
    assert(*link != kNil && "record not in its chain");
    link = &slot(*link).hash_next_;
  }
  *link = slot(i).hash_next_;
  slot(i).hash_next_ = kNil;
}

// --- expiry lists ------------------------------------------------------------------------------

size_t TimeWaitTable::pick_list(Duration lifetime) {
  for (size_t k = 0; k < kExpiryLists; ++k) {
    if (lists_[k].lifetime == lifetime && lists_[k].head != kNil) return k;
  }
  for (size_t k = 0; k < kExpiryLists; ++k) {
    if (lists_[k].head == kNil) {
      lists_[k].lifetime = lifetime;
      return k;
    }
  }
  // More live lifetimes than lists: the longest list lifetime not above ours keeps appends
  // O(1) under a monotonic clock; otherwise the shortest (ordered insert below).
  size_t best = kExpiryLists;
  size_t shortest = 0;
  for (size_t k = 0; k < kExpiryLists; ++k) {
    if (lists_[k].lifetime <= lifetime &&
        (best == kExpiryLists || lists_[k].lifetime > lists_[best].lifetime)) {
      best = k;
    }
    if (lists_[k].lifetime < lists_[shortest].lifetime) shortest = k;
  }
  return best != kExpiryLists ? best : shortest;
}

void TimeWaitTable::link_expiry(uint32_t i, Duration lifetime) {
  const size_t k = pick_list(lifetime);
  List& l = lists_[k];
  TimeWaitRecord& r = slot(i);
  r.list_ = static_cast<uint8_t>(k);
  const Instant d = r.deadline();
  // Walk back from the tail to the last record due no later than d (O(1) in the usual case).
  uint32_t after = l.tail;
  while (after != kNil && slot(after).deadline() > d)
    after = slot(after).prev_;
  r.prev_ = after;
  r.next_ = after == kNil ? l.head : slot(after).next_;
  if (r.prev_ == kNil) {
    l.head = i;
  } else {
    slot(r.prev_).next_ = i;
  }
  if (r.next_ == kNil) {
    l.tail = i;
  } else {
    slot(r.next_).prev_ = i;
  }
}

void TimeWaitTable::unlink_expiry(uint32_t i) {
  TimeWaitRecord& r = slot(i);
  List& l = lists_[r.list_];
  if (r.prev_ == kNil) {
    l.head = r.next_;
  } else {
    slot(r.prev_).next_ = r.next_;
  }
  if (r.next_ == kNil) {
    l.tail = r.prev_;
  } else {
    slot(r.next_).prev_ = r.prev_;
  }
  r.prev_ = r.next_ = kNil;
}

uint32_t TimeWaitTable::due_head(Instant now) const {
  uint32_t best = kNil;
  Instant best_d = Instant::infinite();
  for (const List& l : lists_) {
    if (l.head == kNil) continue;
    const Instant d = slot(l.head).deadline();
    if (best == kNil || d < best_d) {
      best = l.head;
      best_d = d;
    }
  }
  return best != kNil && best_d <= now ? best : kNil;
}

Instant TimeWaitTable::next_deadline() const {
  Instant best = Instant::infinite();
  for (const List& l : lists_) {
    if (l.head != kNil) best = std::min(best, slot(l.head).deadline());
  }
  return best;
}

// --- growth --------------------------------------------------------------------------------------

void TimeWaitTable::maybe_grow() {
  if (size_ + 1 <= kMaxLoad * buckets_.size()) return;
  // A previous rehash still under way (only if the table grew by more than the drain rate
  // allows, which kRehashStep rules out): finish it first.
  while (!old_buckets_.empty())
    rehash_step();
  old_buckets_.swap(buckets_);
  buckets_.assign(old_buckets_.size() * 2, kNil);
  rehash_pos_ = 0;
}

void TimeWaitTable::rehash_step() {
  if (old_buckets_.empty()) return;
  const size_t mask = buckets_.size() - 1;
  for (size_t n = 0; n < kRehashStep && rehash_pos_ < old_buckets_.size(); ++n, ++rehash_pos_) {
    uint32_t i = old_buckets_[rehash_pos_];
    old_buckets_[rehash_pos_] = kNil;
    while (i != kNil) {
      TimeWaitRecord& r = slot(i);
      const uint32_t next = r.hash_next_;
      uint32_t& head = buckets_[hash_of(r.tuple) & mask];
      r.hash_next_ = head;
      head = i;
      i = next;
    }
  }
  if (rehash_pos_ == old_buckets_.size()) {
    std::vector<uint32_t>().swap(old_buckets_);
    rehash_pos_ = 0;
  }
}

size_t TimeWaitTable::memory_bytes() const {
  return slabs_.size() * kSlabRecords * sizeof(TimeWaitRecord) +
         slabs_.capacity() * sizeof(slabs_[0]) +
         (buckets_.capacity() + old_buckets_.capacity()) * sizeof(uint32_t);
}

double TimeWaitTable::bytes_per_record() const {
  if (size_ == 0) return 0;
  return static_cast<double>(sizeof(TimeWaitRecord)) +
         static_cast<double>((buckets_.size() + old_buckets_.size()) * sizeof(uint32_t)) /
             static_cast<double>(size_);
}

}  // namespace synack::tcp
