// RequestTable: every pending passive handshake of a host (tcp/request_record.h) by its
// 4-tuple — looked up right after the connection table (SPEC §2.2, STYLE lesson 9).
//
// Why intrusive chaining with SipHash: as for the connection table, an entry costs the
// record's own `hash_next` plus one bucket slot, nothing is allocated per lookup, and the
// per-stack secret keeps a remote party from choosing tuples that share a chain (SPEC §2.3) —
// which matters most here, because a SYN flood decides which tuples get records.
//
// Growth without latency spikes: INCREMENTAL rehash (as Redis's dict and the TIME-WAIT table
// do). The bucket count is a power of two; when the table holds more records than buckets
// the array doubles, the old array stays alive, and every insert or erase moves
// kRehashStep old buckets into the new one. Lookups check the new array and, while the old
// one still holds the tuple's bucket, that bucket too. A doubling starts at size N = B and
// the next cannot be due before N more inserts, while the drain needs B / kRehashStep calls,
// so a drain always ends first and no call touches more than kRehashStep chains.
//
// Single-threaded like the rest of the core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/keyed_hash.h"
#include "tcp/request_record.h"

namespace synack::stack {

class RequestTable {
 public:
  static constexpr size_t kRehashStep = 4;

  // `initial_buckets` is rounded up to a power of two.
  explicit RequestTable(const KeyedHash& hash, size_t initial_buckets = 64);

  [[nodiscard]] tcp::RequestRecord* find(const tcp::FourTuple& key) const;
  // The tuple must not be present.
  void insert(tcp::RequestRecord& r);
  // Returns false if `r` was not in the table.
  bool erase(tcp::RequestRecord& r);
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] size_t bucket_count() const { return buckets_.size(); }
  [[nodiscard]] bool rehashing() const { return !old_.empty(); }
  // Bytes held by the table itself (both bucket arrays while a rehash is under way).
  [[nodiscard]] size_t bucket_bytes() const {
    return (buckets_.capacity() + old_.capacity()) * sizeof(tcp::RequestRecord*);
  }
  // Records plus table.
  [[nodiscard]] size_t memory_bytes() const {
    return size_ * sizeof(tcp::RequestRecord) + bucket_bytes();
  }

  // Visits every record; f may not insert or erase.
  template <class F>
  void for_each(F&& f) const {
    for (const auto* arr : {&old_, &buckets_}) {
      for (tcp::RequestRecord* head : *arr) {
        for (tcp::RequestRecord* r = head; r != nullptr; r = r->hash_next)
          f(*r);
      }
    }
  }

 private:
  [[nodiscard]] uint64_t hash_of(const tcp::FourTuple& key) const;
  // The chain that holds (or would hold) `key`: the old array's bucket while not yet moved.
  [[nodiscard]] tcp::RequestRecord* const* chain_of(uint64_t h) const;
  void rehash_step();

  KeyedHash hash_;
  std::vector<tcp::RequestRecord*> buckets_;
  std::vector<tcp::RequestRecord*> old_;  // non-empty while a rehash is under way
  size_t moved_ = 0;                      // old buckets below this index are moved
  size_t size_ = 0;
};

}  // namespace synack::stack
