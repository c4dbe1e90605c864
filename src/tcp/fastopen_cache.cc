#include "tcp/fastopen_cache.h"

#include <array>
#include <cassert>

namespace synack::tcp {

FastOpenClientCache::FastOpenClientCache(size_t capacity, const KeyedHash& hash)
    : hash_(hash), slots_(capacity == 0 ? 1 : capacity) {
  size_t nbuckets = 1;
  while (nbuckets < slots_.size())
    nbuckets <<= 1;
  buckets_.assign(nbuckets, kNone);
  clear();
}

void FastOpenClientCache::clear() {
  for (uint32_t& b : buckets_)
    b = kNone;
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i] = Slot{};
    slots_[i].chain_next = i + 1 < slots_.size() ? static_cast<uint32_t>(i + 1) : kNone;
  }
  free_head_ = 0;
  lru_head_ = lru_tail_ = kNone;
  size_ = 0;
}

uint32_t FastOpenClientCache::bucket_of(wire::Ipv4Address local, wire::Ipv4Address server) const {
  const std::array<uint32_t, 2> words{local.value(), server.value()};
  return static_cast<uint32_t>(hash_.words(words) & (buckets_.size() - 1));
}

uint32_t FastOpenClientCache::find(wire::Ipv4Address local, wire::Ipv4Address server) const {
  for (uint32_t i = buckets_[bucket_of(local, server)]; i != kNone; i = slots_[i].chain_next) {
    if (slots_[i].local == local && slots_[i].server == server) return i;
  }
  return kNone;
}

void FastOpenClientCache::lru_unlink(uint32_t i) {
  Slot& s = slots_[i];
  (s.lru_prev != kNone ? slots_[s.lru_prev].lru_next : lru_head_) = s.lru_next;
  (s.lru_next != kNone ? slots_[s.lru_next].lru_prev : lru_tail_) = s.lru_prev;
  s.lru_prev = s.lru_next = kNone;
}

void FastOpenClientCache::lru_push_front(uint32_t i) {
  Slot& s = slots_[i];
  s.lru_prev = kNone;
  s.lru_next = lru_head_;
  if (lru_head_ != kNone) slots_[lru_head_].lru_prev = i;
  lru_head_ = i;
  if (lru_tail_ == kNone) lru_tail_ = i;
}

void FastOpenClientCache::chain_unlink(uint32_t i) {
  uint32_t* link = &buckets_[bucket_of(slots_[i].local, slots_[i].server)];
  while (*link != i) {
    assert(*link != kNone);
    link = &slots_[*link].chain_next;
  }
  *link = slots_[i].chain_next;
  slots_[i].chain_next = kNone;
}

void FastOpenClientCache::release(uint32_t i) {
  chain_unlink(i);
  lru_unlink(i);
  slots_[i] = Slot{};
  slots_[i].chain_next = free_head_;
  free_head_ = i;
  --size_;
}

std::optional<FastOpenCacheEntry> FastOpenClientCache::get(wire::Ipv4Address local,
                                                           wire::Ipv4Address server) {
  const uint32_t i = find(local, server);
  if (i == kNone) return std::nullopt;
  lru_unlink(i);
  lru_push_front(i);
  FastOpenCacheEntry e = slots_[i].entry;
  if (e.cookie.len == 0 && e.try_exp == 1) e.cookie.experimental = true;
  return e;
}

void FastOpenClientCache::set(wire::Ipv4Address local, wire::Ipv4Address server, uint16_t mss,
                              const std::optional<wire::FastOpenCookie>& cookie, bool syn_lost,
                              uint8_t try_exp, Instant now) {
  uint32_t i = find(local, server);
  if (i == kNone) {
    if (free_head_ == kNone) release(lru_tail_);
    i = free_head_;
    free_head_ = slots_[i].chain_next;
    Slot& s = slots_[i];
    s = Slot{};
    s.local = local;
    s.server = server;
    s.used = true;
    const uint32_t b = bucket_of(local, server);
    s.chain_next = buckets_[b];
    buckets_[b] = i;
    ++size_;
  } else {
    lru_unlink(i);
  }
  lru_push_front(i);

  FastOpenCacheEntry& e = slots_[i].entry;
  if (mss != 0) e.mss = mss;
  if (cookie && cookie->len > 0) {
    e.cookie = *cookie;
  } else if (try_exp > e.try_exp && e.cookie.len == 0 && !e.cookie.experimental) {
    e.try_exp = try_exp;
  }
  if (syn_lost) {
    if (e.syn_loss < 1023) ++e.syn_loss;  // Linux's 10-bit field (it wraps; we saturate)
    e.last_syn_loss = now;
  } else {
    e.syn_loss = 0;
  }
}

bool FastOpenClientCache::erase(wire::Ipv4Address local, wire::Ipv4Address server) {
  const uint32_t i = find(local, server);
  if (i == kNone) return false;
  release(i);
  return true;
}

}  // namespace synack::tcp
