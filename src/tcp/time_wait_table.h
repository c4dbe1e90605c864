// TimeWaitTable: the compact TIME-WAIT records of one host (SPEC §9.6, STYLE lesson 8), in a
// table of their own behind a small interface — start, find, restart, kill, expire. What to
// answer to a segment stays in the engine (input_time_wait.cc); this file only keeps the
// state that behaviour needs and the few data-only rules over it (PAWS, the out-of-window
// ACK rate limit, tw_reuse eligibility).
//
// What a record holds (Linux struct tcp_timewait_sock, the same idea): the 4-tuple, snd_nxt
// and rcv_nxt (the ACK we repeat), the window field to advertise (already shifted by our
// window scale), ts_recent and when it was stored, our TSval offset, whether timestamps were
// on, the last rate-limited out-of-window ACK, the FIN-WAIT-2 sub-state flag (SPEC §8.8:
// a closed orphan waiting for the peer's FIN lives here too), the port-ownership bits the
// stack needs to release the local port when the record goes (SPEC §14.2: TIME-WAIT keeps
// its port bound), and the exact expiry deadline.
//
// Budget: <= 64 bytes per record INCLUDING table overhead and the timer. Measured layout
// (time_wait_table_test checks it, bench/time_wait_bench.cc prints it):
//   48 bytes of state (the deadline is exact, 8 bytes; the two stamps are 32-bit milliseconds)
// + 12 bytes of links: hash chain, and prev/next in an expiry list (32-bit pool indices,
//   not pointers)
// = 60 bytes per pool slot, plus the hash buckets: 4 bytes each at a load factor between
//   1 and 2, i.e. 2..4 bytes per record -> 62..64 bytes per record. While an incremental
//   rehash is under way the old bucket array (half the size) is still alive: +2 bytes per
//   record until it is drained. Linux spends ~100+ bytes (tcp_timewait_sock + its timer).
//
// Timers: no TimerEntry per record (24 bytes would break the budget). Every record's deadline
// is now + a lifetime, and lifetimes take very few values (60 s TIME-WAIT; the FIN-WAIT-2
// timeout), so the table keeps up to kExpiryLists doubly linked lists, one per lifetime,
// each sorted by deadline simply by appending at the tail: start and restart are O(1)
// (unlink + append), expiry pops list heads, next_deadline() reads kExpiryLists heads.
// Deadlines are exact (not rounded to a tick), so a TIME-WAIT ends at exactly 60 s as the
// engine's tests expect. If more distinct lifetimes are live than there are lists, a record
// joins the list with the largest lifetime not above its own (still an O(1) append when
// time only moves forward); failing that it is inserted in order, walking back from the
// tail — correct, and O(1) again whenever `now` is monotonic and lifetimes are few, which is
// every realistic case. The stack arms ONE wheel entry at next_deadline() and calls
// expire(now) when it fires.
//
// Hashing (SPEC §2.3): SipHash keyed by the stack's secret (base/keyed_hash.h) over the
// 4-tuple, so a remote party cannot aim for one chain. Growth without latency spikes:
//   - records live in fixed-size slabs of kSlabRecords; a slab is never moved or copied,
//     a new one is added when the free list is empty (no vector-doubling copy of millions);
//   - the bucket array doubles when the load passes 2, and the rehash is INCREMENTAL (as in
//     Redis's dict): every mutating call moves kRehashStep old buckets, lookups consult the
//     old array for buckets not yet moved. The step makes the drain finish long before the
//     next doubling is due. So no single call ever touches more than a handful of records.
// Slabs are kept when the table shrinks (memory_bytes() reports the high-water mark, like a
// slab cache); they are reused first.
//
// tcp_max_tw_buckets (SPEC §9.7): the table takes the limit as a parameter; start() fails
// with kOverflow at the limit and the caller counts TCPTimeWaitOverflow and logs.
//
// Times: the deadline is an exact Instant. ts_recent_stamp and last_oow_ack are kept as
// 32-bit milliseconds (Linux keeps them in seconds and jiffies); both `now` and the stamp are
// floored to whole milliseconds before subtracting, so an age is exact to 1 ms. They wrap
// after 49 days; a record older than that is impossible without restarts, and restart()
// drops a stamp once it is 24 days old — exactly Linux's rule that ts_recent is void after
// TCP_PAWS_24DAYS (tcp_paws_check()), so a void stamp means "never" for PAWS and reuse.
//
// Refs: start() and find() return a TimeWaitRef (a pool index). It stays valid until the
// record is killed or expired; the same index is reused for a later record, so do not keep
// a ref across a call that may remove the record.
//
// Measured (bench/time_wait_bench.cc, -O2, on the shared 2-vCPU dev VM under load ~6, wall
// clock): 10^7 records created over one simulated minute then all expired: 3.7 us create and
// 0.65 us expire per record, 44 s total (26 s CPU), 63.4 bytes per record (slot + buckets;
// heap incl. slack 63.4). 10^6: 1.0 us / 0.24 us, 62.1 bytes. find(): 44 ns CPU at 10^3
// records (mostly SipHash), ~1.1-1.5 us CPU at 10^6-10^7 (a cold bucket and a cold record:
// cache + TLB misses dominate; the create cost is the duplicate check plus the amortized
// rehash, both cold).
//
// Single-threaded like the rest of the core.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "base/keyed_hash.h"
#include "base/result.h"
#include "tcp/tcb.h"  // FourTuple
#include "wire/seq_num.h"

namespace synack::tcp {

// What the engine hands over when a connection enters TIME-WAIT (or the FIN-WAIT-2 sub-state).
struct TimeWaitState {
  FourTuple tuple;
  SeqNum snd_nxt;
  SeqNum rcv_nxt;
  uint16_t window = 0;     // window FIELD of our ACKs: receive window >> rcv_wscale
  uint8_t rcv_wscale = 0;  // our window scale (FIN-WAIT-2's in-window check needs bytes)
  bool ts_ok = false;      // timestamps were on
  uint32_t ts_recent = 0;  // RFC 7323 TS.Recent
  uint32_t ts_offset = 0;  // our TSval = ms clock + ts_offset
  Instant ts_recent_stamp = Instant::infinite();  // infinite: never set
  Instant last_oow_ack = Instant::infinite();     // infinite: never
  bool fin_wait2 = false;   // SPEC §8.8 sub-state: our FIN is ACKed, the peer's FIN is awaited
  bool reuse_addr = false;  // port ownership to release on expiry: SO_REUSEADDR
  bool autobind = false;    //   and whether connect() picked the port (PortAllocator)
};

class TimeWaitRecord {
 public:
  FourTuple tuple;
  SeqNum snd_nxt;
  SeqNum rcv_nxt;
  uint32_t ts_recent = 0;
  uint32_t ts_offset = 0;
  uint16_t window = 0;
  bool ts_ok : 1 = false;
  bool fin_wait2 : 1 = false;
  bool reuse_addr : 1 = false;
  bool autobind : 1 = false;
  uint8_t rcv_wscale : 4 = 0;

  // Exact expiry time; change it only through the table (restart()).
  [[nodiscard]] Instant deadline() const;

  // --- timestamps (RFC 7323, Linux tcp_paws_check / tcp_paws_reject) -------------------------
  [[nodiscard]] bool has_ts_recent_stamp() const { return stamp_valid_; }
  // now - ts_recent_stamp to the millisecond; Duration::max() when there is none.
  [[nodiscard]] Duration ts_recent_age(Instant now) const;
  // Stores TS.Recent (the engine decides when: RFC 7323 §4.3).
  void set_ts_recent(uint32_t tsval, Instant now);
  // PAWS for a segment carrying TSval `tsval` (the caller checks ts_ok and that the segment
  // has the option): Linux tcp_paws_reject() with TIME-WAIT's window of 0 — reject when the
  // TSval is older than ts_recent, unless there is no valid stamp (never set, or 24 days
  // old), or it is an RST and ts_recent is at least TCP_PAWS_MSL (60 s) old.
  [[nodiscard]] bool paws_reject(uint32_t tsval, bool rst, Instant now) const;

  // --- out-of-window ACK rate limit (Linux tcp_oow_rate_limited, tw_last_oow_ack_time) ----
  // True: an ACK was sent less than `limit` ago, skip this one (the caller counts
  // TCPACKSkippedTimeWait). False: the caller may send; the time is recorded.
  [[nodiscard]] bool oow_rate_limited(Instant now, Duration limit);

  // --- tcp_tw_reuse (SPEC §9.8) --------------------------------------------------------------
  // connect() may take over this tuple: timestamps were on and the last timestamp is at least
  // `delay` old (strictly later than stamp + delay, in ms, as Linux's time_after32).
  // Linux >= 6.13 measures the delay from TIME-WAIT entry (tw_entry_stamp) instead; the SPEC
  // says "its last timestamp", which is the older kernels' rule with the delay made tunable.
  [[nodiscard]] bool reusable_for_connect(Instant now, Duration delay) const;

 private:
  friend class TimeWaitTable;
  static constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();

  uint8_t list_ : 4 = 0;  // which expiry list (shares the byte after the public flags)
  bool stamp_valid_ : 1 = false;
  bool oow_valid_ : 1 = false;
  uint32_t ts_recent_stamp_ms_ = 0;  // valid iff stamp_valid_
  uint32_t last_oow_ack_ms_ = 0;     // valid iff oow_valid_
  uint32_t deadline_lo_ = 0;         // Instant ns, split so the record is 4-byte aligned
  uint32_t deadline_hi_ = 0;
  // Links (pool indices): hash chain (or free list), expiry list.
  uint32_t hash_next_ = kNil;
  uint32_t prev_ = kNil;
  uint32_t next_ = kNil;

  void set_deadline(Instant d);
  void drop_stale_stamps(Instant now);
};

struct TimeWaitRef {
  uint32_t index = std::numeric_limits<uint32_t>::max();
  [[nodiscard]] bool valid() const { return index != std::numeric_limits<uint32_t>::max(); }
  explicit operator bool() const { return valid(); }
  bool operator==(const TimeWaitRef&) const = default;
};

enum class TimeWaitError : uint8_t {
  kOverflow,  // tcp_max_tw_buckets reached (SPEC §9.7)
  kExists,    // a record for the tuple already exists (SPEC §2.1: one per tuple)
};

class TimeWaitTable {
 public:
  static constexpr size_t kExpiryLists = 8;
  static constexpr size_t kSlabRecords = 4096;
  static constexpr size_t kRehashStep = 8;  // old buckets moved per mutating call
  static constexpr size_t kMaxLoad = 2;     // records per bucket before doubling
  static constexpr size_t kSlotBytes = sizeof(TimeWaitRecord);

  // `max_records`: tcp_max_tw_buckets. `time_wait_len`: the default lifetime (SPEC §9.2).
  TimeWaitTable(const KeyedHash& hash, size_t max_records,
                Duration time_wait_len = Duration::seconds(60));
  TimeWaitTable(const TimeWaitTable&) = delete;
  TimeWaitTable& operator=(const TimeWaitTable&) = delete;
  ~TimeWaitTable();

  // A new record expiring at now + lifetime (default: time_wait_len).
  [[nodiscard]] Result<TimeWaitRef, TimeWaitError> start(const TimeWaitState& s, Instant now);
  [[nodiscard]] Result<TimeWaitRef, TimeWaitError> start(const TimeWaitState& s, Instant now,
                                                         Duration lifetime);
  // The record for the tuple, or an invalid ref.
  [[nodiscard]] TimeWaitRef find(const FourTuple& tuple) const;
  [[nodiscard]] TimeWaitRecord& at(TimeWaitRef r);
  [[nodiscard]] const TimeWaitRecord& at(TimeWaitRef r) const;
  // A new deadline of now + lifetime (SPEC §9.4: a retransmitted FIN restarts the 60 s).
  void restart(TimeWaitRef r, Instant now);
  void restart(TimeWaitRef r, Instant now, Duration lifetime);
  // Removes the record at once (RST in TIME-WAIT, tw_reuse, a SYN that reopens the tuple).
  void kill(TimeWaitRef r);

  // Removes every record due at or before `now` (at most `limit`), in deadline order, calling
  // on_expire(const TimeWaitRecord&) for each AFTER it has left the table (the callback gets a
  // copy and may call anything on the table). Returns how many expired.
  template <class F>
  size_t expire(Instant now, F&& on_expire, size_t limit = std::numeric_limits<size_t>::max()) {
    size_t n = 0;
    while (n < limit) {
      const uint32_t i = due_head(now);
      if (i == TimeWaitRecord::kNil) break;
      const TimeWaitRecord copy = slot(i);
      remove(i);
      ++n;
      on_expire(static_cast<const TimeWaitRecord&>(copy));
    }
    return n;
  }
  // The earliest deadline (exact), or Instant::infinite() when empty.
  [[nodiscard]] Instant next_deadline() const;

  // Visits every record (any order); f may not change the table.
  template <class F>
  void for_each(F&& f) const {
    for (const List& l : lists_) {
      for (uint32_t i = l.head; i != TimeWaitRecord::kNil; i = slot(i).next_)
        f(static_cast<const TimeWaitRecord&>(slot(i)));
    }
  }

  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] size_t max_records() const { return max_records_; }
  void set_max_records(size_t n) { max_records_ = n; }  // existing records stay
  [[nodiscard]] Duration time_wait_len() const { return time_wait_len_; }
  void set_time_wait_len(Duration d) { time_wait_len_ = d; }
  [[nodiscard]] size_t bucket_count() const { return buckets_.size(); }
  [[nodiscard]] bool rehashing() const { return !old_buckets_.empty(); }
  // Heap held: slabs (allocated, used or free) + bucket arrays (both during a rehash).
  [[nodiscard]] size_t memory_bytes() const;
  // Per live record: sizeof(record) + current bucket bytes / size (the budget's figure).
  [[nodiscard]] double bytes_per_record() const;

 private:
  struct List {
    Duration lifetime = Duration::zero();
    uint32_t head = TimeWaitRecord::kNil;
    uint32_t tail = TimeWaitRecord::kNil;
  };

  [[nodiscard]] TimeWaitRecord& slot(uint32_t i) {
    return slabs_[i / kSlabRecords][i % kSlabRecords];
  }
  [[nodiscard]] const TimeWaitRecord& slot(uint32_t i) const {
    return slabs_[i / kSlabRecords][i % kSlabRecords];
  }
  [[nodiscard]] uint64_t hash_of(const FourTuple& t) const;
  // The chain head a tuple with hash h lives in (old array if its bucket is not moved yet).
  [[nodiscard]] uint32_t& chain_head(uint64_t h);
  [[nodiscard]] uint32_t chain_head(uint64_t h) const;
  [[nodiscard]] uint32_t find_index(const FourTuple& t, uint64_t h) const;
  uint32_t alloc_slot();
  void remove(uint32_t i);  // unhash, unlink, free
  void unhash(uint32_t i);
  void link_expiry(uint32_t i, Duration lifetime);
  void unlink_expiry(uint32_t i);
  [[nodiscard]] size_t pick_list(Duration lifetime);
  void maybe_grow();
  void rehash_step();
  [[nodiscard]] uint32_t due_head(Instant now) const;

  KeyedHash hash_;
  size_t max_records_;
  Duration time_wait_len_;
  size_t size_ = 0;
  std::vector<std::unique_ptr<TimeWaitRecord[]>> slabs_;
  uint32_t free_head_ = TimeWaitRecord::kNil;  // free slots chained through hash_next_
  uint32_t slots_used_ = 0;                    // slots ever handed out (high-water mark)
  std::vector<uint32_t> buckets_;
  std::vector<uint32_t> old_buckets_;  // non-empty while an incremental rehash is under way
  size_t rehash_pos_ = 0;              // old buckets below this have been moved
  std::array<List, kExpiryLists> lists_{};
};

}  // namespace synack::tcp
