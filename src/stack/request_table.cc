#include "stack/request_table.h"

#include <array>
#include <bit>

namespace synack::stack {

RequestTable::RequestTable(const KeyedHash& hash, size_t initial_buckets)
    : hash_(hash), buckets_(std::bit_ceil(initial_buckets < 1 ? size_t{1} : initial_buckets)) {}

uint64_t RequestTable::hash_of(const tcp::FourTuple& k) const {
  const std::array<uint32_t, 3> words = {k.local_addr.value(), k.remote_addr.value(),
                                         (uint32_t{k.local_port} << 16) | uint32_t{k.remote_port}};
  return hash_.words(words);
}

tcp::RequestRecord* const* RequestTable::chain_of(uint64_t h) const {
  if (!old_.empty()) {
    const size_t i = static_cast<size_t>(h & (old_.size() - 1));
    if (i >= moved_) return &old_[i];
  }
  return &buckets_[static_cast<size_t>(h & (buckets_.size() - 1))];
}

tcp::RequestRecord* RequestTable::find(const tcp::FourTuple& key) const {
  for (tcp::RequestRecord* r = *chain_of(hash_of(key)); r != nullptr; r = r->hash_next) {
    if (r->tuple == key) return r;
  }
  return nullptr;
}

void RequestTable::insert(tcp::RequestRecord& r) {
  rehash_step();
  if (size_ + 1 > buckets_.size() && old_.empty()) {
    // Start a doubling; records move kRehashStep buckets at a time from now on.
    old_.swap(buckets_);
    buckets_.assign(old_.size() * 2, nullptr);
    moved_ = 0;
  }
  auto** head = const_cast<tcp::RequestRecord**>(chain_of(hash_of(r.tuple)));
  r.hash_next = *head;
  *head = &r;
  ++size_;
}

bool RequestTable::erase(tcp::RequestRecord& r) {
  auto** link = const_cast<tcp::RequestRecord**>(chain_of(hash_of(r.tuple)));
  for (; *link != nullptr; link = &(*link)->hash_next) {
    if (*link == &r) {
      *link = r.hash_next;
      r.hash_next = nullptr;
      --size_;
      rehash_step();
      return true;
    }
  }
  return false;
}

void RequestTable::rehash_step() {
  if (old_.empty()) return;
  const size_t mask = buckets_.size() - 1;
  for (size_t n = 0; n < kRehashStep && moved_ < old_.size(); ++n, ++moved_) {
    tcp::RequestRecord* r = old_[moved_];
    old_[moved_] = nullptr;
    while (r != nullptr) {
      tcp::RequestRecord* next = r->hash_next;
      tcp::RequestRecord*& slot = buckets_[static_cast<size_t>(hash_of(r->tuple) & mask)];
      r->hash_next = slot;
      slot = r;
      r = next;
    }
  }
  if (moved_ == old_.size()) {
    std::vector<tcp::RequestRecord*>().swap(old_);
    moved_ = 0;
  }
}

}  // namespace synack::stack
