// ConnectionTable: every connection of a host (any state from SYN-SENT to TIME-WAIT) by its
// 4-tuple — the first and hottest lookup of the demultiplexer (SPEC §2.2, STYLE lesson 9).
//
// Why an intrusive chained hash: the Tcb carries its own `hash_next` link, so an entry costs
// one pointer in the Tcb plus one bucket slot (8 bytes at load factor 1) — no node allocation
// per connection, nothing allocated per lookup. SPEC §2.3: the hash is SipHash keyed by a
// per-stack secret (base/keyed_hash.h), so a remote party cannot choose tuples that collide.
// The bucket array doubles when the table holds more entries than buckets (amortized O(1)).
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
  explicit ConnectionTable(const KeyedHash& hash, size_t initial_buckets = 64);

  [[nodiscard]] tcp::Tcb* find(const tcp::FourTuple& key) const;
  // The tuple must not be present.
  void insert(tcp::Tcb& t);
  // Returns false if `t` was not in the table.
  bool erase(tcp::Tcb& t);
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] size_t bucket_count() const { return buckets_.size(); }
  // Bytes of table overhead per entry at the current load (bucket slots / entries).
  [[nodiscard]] size_t bucket_bytes() const { return buckets_.size() * sizeof(tcp::Tcb*); }

  // Visits every entry; f may not insert or erase.
  template <class F>
  void for_each(F&& f) const {
    for (tcp::Tcb* head : buckets_) {
      for (tcp::Tcb* t = head; t != nullptr; t = t->hash_next)
        f(*t);
    }
  }

 private:
  [[nodiscard]] size_t bucket_of(const tcp::FourTuple& key, size_t nbuckets) const;
  void grow();

  KeyedHash hash_;
  std::vector<tcp::Tcb*> buckets_;
  size_t size_ = 0;
};

}  // namespace synack::stack
