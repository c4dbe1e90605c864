#include "stack/connection_table.h"

#include <array>
#include <bit>

namespace synack::stack {

ConnectionTable::ConnectionTable(const KeyedHash& hash, size_t initial_buckets)
    : hash_(hash), buckets_(std::bit_ceil(initial_buckets < 1 ? size_t{1} : initial_buckets)) {}

uint64_t ConnectionTable::hash_of(const tcp::FourTuple& k) const {
  const std::array<uint32_t, 3> words = {k.local_addr.value(), k.remote_addr.value(),
                                         (uint32_t{k.local_port} << 16) | uint32_t{k.remote_port}};
  return hash_.words(words);
}

tcp::Tcb* const* ConnectionTable::old_chain(uint64_t h) const {
  if (old_buckets_.empty()) return nullptr;
  const size_t b = h & (old_buckets_.size() - 1);
  return b >= rehash_pos_ ? &old_buckets_[b] : nullptr;
}

tcp::Tcb* ConnectionTable::find(const tcp::FourTuple& key) const {
  const uint64_t h = hash_of(key);
  if (tcp::Tcb* const* old = old_chain(h)) {
    for (tcp::Tcb* t = *old; t != nullptr; t = t->hash_next) {
      if (t->tuple == key) return t;
    }
  }
  for (tcp::Tcb* t = buckets_[h & (buckets_.size() - 1)]; t != nullptr; t = t->hash_next) {
    if (t->tuple == key) return t;
  }
  return nullptr;
}

void ConnectionTable::insert(tcp::Tcb& t) {
  last_moved_ = 0;
  if (size_ + 1 > buckets_.size()) start_growth();
  rehash_step();
  tcp::Tcb*& head = buckets_[hash_of(t.tuple) & (buckets_.size() - 1)];
  t.hash_next = head;
  head = &t;
  ++size_;
}

bool ConnectionTable::erase(tcp::Tcb& t) {
  const uint64_t h = hash_of(t.tuple);
  tcp::Tcb* const* old = old_chain(h);
  for (tcp::Tcb** link : {const_cast<tcp::Tcb**>(old), &buckets_[h & (buckets_.size() - 1)]}) {
    if (link == nullptr) continue;
    for (; *link != nullptr; link = &(*link)->hash_next) {
      if (*link == &t) {
        *link = t.hash_next;
        t.hash_next = nullptr;
        --size_;
        return true;
      }
    }
  }
  return false;
}

void ConnectionTable::start_growth() {
  // A rehash still running when the next doubling is due (impossible by the step sizes, see
  // the header) is finished first, so there are never three arrays.
  while (!old_buckets_.empty())
    rehash_step();
  old_buckets_.swap(buckets_);
  buckets_.assign(old_buckets_.size() * 2, nullptr);
  rehash_pos_ = 0;
}

void ConnectionTable::rehash_step() {
  if (old_buckets_.empty()) return;
  const size_t mask = buckets_.size() - 1;
  size_t moved = 0;
  for (size_t visited = 0; visited < kRehashBuckets && rehash_pos_ < old_buckets_.size();) {
    tcp::Tcb*& head = old_buckets_[rehash_pos_];
    if (head == nullptr) {
      ++rehash_pos_;
      ++visited;
      continue;
    }
    if (moved == kRehashEntries) break;
    tcp::Tcb* t = head;
    head = t->hash_next;
    tcp::Tcb*& slot = buckets_[hash_of(t->tuple) & mask];
    t->hash_next = slot;
    slot = t;
    ++moved;
  }
  last_moved_ += moved;
  if (rehash_pos_ == old_buckets_.size()) {
    old_buckets_.clear();
    old_buckets_.shrink_to_fit();
    rehash_pos_ = 0;
  }
}

}  // namespace synack::stack
