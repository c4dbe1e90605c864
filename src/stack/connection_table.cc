#include "stack/connection_table.h"

#include <array>

namespace synack::stack {

ConnectionTable::ConnectionTable(const KeyedHash& hash, size_t initial_buckets)
    : hash_(hash), buckets_(initial_buckets < 1 ? 1 : initial_buckets, nullptr) {}

size_t ConnectionTable::bucket_of(const tcp::FourTuple& k, size_t nbuckets) const {
  const std::array<uint32_t, 3> words = {k.local_addr.value(), k.remote_addr.value(),
                                         (uint32_t{k.local_port} << 16) | uint32_t{k.remote_port}};
  return static_cast<size_t>(hash_.words(words) % nbuckets);
}

tcp::Tcb* ConnectionTable::find(const tcp::FourTuple& key) const {
  for (tcp::Tcb* t = buckets_[bucket_of(key, buckets_.size())]; t != nullptr; t = t->hash_next) {
    if (t->tuple == key) return t;
  }
  return nullptr;
}

void ConnectionTable::insert(tcp::Tcb& t) {
  if (size_ + 1 > buckets_.size()) grow();
  tcp::Tcb*& head = buckets_[bucket_of(t.tuple, buckets_.size())];
  t.hash_next = head;
  head = &t;
  ++size_;
}

bool ConnectionTable::erase(tcp::Tcb& t) {
  tcp::Tcb** link = &buckets_[bucket_of(t.tuple, buckets_.size())];
  for (; *link != nullptr; link = &(*link)->hash_next) {
    if (*link == &t) {
      *link = t.hash_next;
      t.hash_next = nullptr;
      --size_;
      return true;
    }
  }
  return false;
}

void ConnectionTable::grow() {
  std::vector<tcp::Tcb*> next(buckets_.size() * 2, nullptr);
  for (tcp::Tcb* head : buckets_) {
    while (head != nullptr) {
      tcp::Tcb* t = head;
      head = head->hash_next;
      tcp::Tcb*& slot = next[bucket_of(t->tuple, next.size())];
      t->hash_next = slot;
      slot = t;
    }
  }
  buckets_.swap(next);
}

}  // namespace synack::stack
