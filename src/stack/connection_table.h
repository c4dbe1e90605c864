// ConnectionTable: every connection of a host (any state from SYN-SENT to CLOSING / LAST-ACK;
// TIME-WAIT has its own table, tcp/time_wait_table.h) by its 4-tuple — the first and hottest
// lookup of the demultiplexer (SPEC §2.2, STYLE lesson 9).
//
// Why an intrusive chained hash: the Tcb carries its own `hash_next` link, so an entry costs
// one pointer in the Tcb plus one bucket slot (8 bytes at load factor 1) — no node allocation
// per connection, nothing allocated per lookup. SPEC §2.3: the hash is SipHash keyed by a
// per-stack secret (base/keyed_hash.h), so a remote party cannot choose tuples that collide.
//
// Growth without latency spikes (issue 4 item 7): the bucket array doubles when the table
// holds more entries than buckets, and the rehash is INCREMENTAL (as in the TIME-WAIT table and
// Redis's dict): while it lasts, new entries go to the new array, lookups and erases look in
// the old array's bucket (until it is drained) and then in the new one, and every insert moves
// at most kRehashEntries entries (visiting at most kRehashBuckets buckets) from the old array.
// That drains the old array long before the next doubling is due (it needs as many inserts as
// the old array has buckets), so no single insert ever touches more than a handful of
// entries — one doubling of a million-connection table would otherwise move a million
// entries inside one packet's processing. Chosen over pre-sizing from a sysctl (Linux's
// thash_entries) because a simulation runs thousands of small stacks, and a busy server
// should not need a boot-time guess; the cost is a second chain lookup while a rehash runs.
//
// Single-threaded like the rest of the core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/keyed_hash.h"
#include "tcp/tcb.h"

namespace synack::stack {

class ConnectionTable {
 public:
  static constexpr size_t kRehashEntries = 16;  // entries moved per insert, at most
  static constexpr size_t kRehashBuckets = 64;  // old buckets visited per insert, at most

  // `initial_buckets` is rounded up to a power of two.
  explicit ConnectionTable(const KeyedHash& hash, size_t initial_buckets = 64);

  [[nodiscard]] tcp::Tcb* find(const tcp::FourTuple& key) const;
  // The tuple must not be present.
  void insert(tcp::Tcb& t);
  // Returns false if `t` was not in the table.
  bool erase(tcp::Tcb& t);
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] size_t bucket_count() const { return buckets_.size(); }
  [[nodiscard]] bool rehashing() const { return !old_buckets_.empty(); }
  // Entries the last insert() moved from the old bucket array (tests check the bound).
  [[nodiscard]] size_t last_moved() const { return last_moved_; }
  // Bytes of table overhead (bucket slots of both arrays during a rehash).
  [[nodiscard]] size_t bucket_bytes() const {
    return (buckets_.size() + old_buckets_.size()) * sizeof(tcp::Tcb*);
  }

  // Visits every entry; f may not insert or erase.
  template <class F>
  void for_each(F&& f) const {
    for (const auto* array : {&old_buckets_, &buckets_}) {
      for (tcp::Tcb* head : *array) {
        for (tcp::Tcb* t = head; t != nullptr; t = t->hash_next)
          f(*t);
      }
    }
  }

 private:
  [[nodiscard]] uint64_t hash_of(const tcp::FourTuple& key) const;
  // The old-array chain an entry with hash h may still be in, or nullptr.
  [[nodiscard]] tcp::Tcb* const* old_chain(uint64_t h) const;
  void start_growth();
  void rehash_step();

  KeyedHash hash_;
  std::vector<tcp::Tcb*> buckets_;      // size: a power of two
  std::vector<tcp::Tcb*> old_buckets_;  // non-empty while an incremental rehash runs
  size_t rehash_pos_ = 0;               // old buckets below this are drained
  size_t size_ = 0;
  size_t last_moved_ = 0;
};

}  // namespace synack::stack
