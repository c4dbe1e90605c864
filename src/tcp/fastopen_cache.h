// The client's TCP Fast Open cookie cache (SPEC §13.3; Linux keeps it in the tcp_metrics
// table, net/ipv4/tcp_metrics.c: tcp_fastopen_cache_get / tcp_fastopen_cache_set).
//
// One entry per (local address, server address) pair — Linux's tcp_metrics key — holding what
// a later connect() to that server needs: the server's cookie, the MSS it announced, which
// option form to try next when a cookie request went unanswered (try_exp), and how many Fast
// Open SYNs in a row were lost (syn_loss, last_syn_loss).
//
// Why a fixed table with LRU eviction: the cache must stay bounded whatever the application
// connects to, and a lookup on connect() must not allocate (ARCHITECTURE: no allocation on the
// hot path). All entries are allocated once at construction; an index array of chains (keyed
// SipHash of the address pair, so a server cannot aim collisions) finds them; a doubly linked
// recency list through the entries picks the victim when the table is full. Linux instead
// allocates entries and reclaims the oldest of a hash chain deeper than 5; the observable
// difference is only which destination is forgotten first.
//
// Update rules are Linux's (tcp_fastopen_cache_set):
//   - a non-zero MSS replaces the stored one;
//   - a cookie (length > 0) replaces the stored one; otherwise try_exp is raised to the given
//     value if no cookie is stored (1: retry the request with the experimental option kind
//     254, 2: go back to kind 34 for good);
//   - a lost SYN increments syn_loss and stamps last_syn_loss, anything else resets syn_loss.
// get() reports a missing cookie whose try_exp is 1 as an empty experimental cookie, so the
// next request uses kind 254.
//
// Single-threaded like the rest of the core.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "base/keyed_hash.h"
#include "wire/ipv4_address.h"
#include "wire/tcp_segment.h"

namespace synack::tcp {

struct FastOpenCacheEntry {
  wire::FastOpenCookie cookie{};  // len 0: none known (exp set: request with kind 254)
  uint16_t mss = 0;               // the server's MSS, 0 = unknown
  uint8_t try_exp = 0;
  uint16_t syn_loss = 0;  // consecutive Fast Open SYNs lost (Linux keeps 10 bits)
  Instant last_syn_loss{};
  bool operator==(const FastOpenCacheEntry&) const = default;
};

class FastOpenClientCache {
 public:
  // capacity >= 1 entries, all allocated now.
  FastOpenClientCache(size_t capacity, const KeyedHash& hash);

  // The entry for this pair, or nullopt; refreshes its recency. Never allocates.
  [[nodiscard]] std::optional<FastOpenCacheEntry> get(wire::Ipv4Address local,
                                                      wire::Ipv4Address server);
  // Linux tcp_fastopen_cache_set(); creates the entry (evicting the least recently used one
  // when full). `cookie` may be empty (len 0) or absent.
  void set(wire::Ipv4Address local, wire::Ipv4Address server, uint16_t mss,
           const std::optional<wire::FastOpenCookie>& cookie, bool syn_lost, uint8_t try_exp,
           Instant now);
  // Forgets a destination (ip tcp_metrics delete); false if it was not cached.
  bool erase(wire::Ipv4Address local, wire::Ipv4Address server);
  void clear();

  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] size_t capacity() const { return slots_.size(); }

 private:
  static constexpr uint32_t kNone = ~uint32_t{0};
  struct Slot {
    wire::Ipv4Address local;
    wire::Ipv4Address server;
    FastOpenCacheEntry entry;
    uint32_t chain_next = kNone;
    uint32_t lru_prev = kNone;  // towards the most recently used
    uint32_t lru_next = kNone;  // towards the least recently used
    bool used = false;
  };

  [[nodiscard]] uint32_t bucket_of(wire::Ipv4Address local, wire::Ipv4Address server) const;
  [[nodiscard]] uint32_t find(wire::Ipv4Address local, wire::Ipv4Address server) const;
  void lru_unlink(uint32_t i);
  void lru_push_front(uint32_t i);
  void chain_unlink(uint32_t i);
  void release(uint32_t i);

  KeyedHash hash_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> buckets_;  // power of two >= capacity
  uint32_t free_head_ = kNone;     // free slots chained through chain_next
  uint32_t lru_head_ = kNone;
  uint32_t lru_tail_ = kNone;
  size_t size_ = 0;
};

}  // namespace synack::tcp
