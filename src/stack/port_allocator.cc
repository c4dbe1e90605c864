#include "stack/port_allocator.h"

#include <cassert>

namespace synack::stack {

namespace {

bool overlap(wire::Ipv4Address a, wire::Ipv4Address b) {
  return a.is_any() || b.is_any() || a == b;
}

}  // namespace

PortAllocator::PortAllocator(const KeyedHash& hash, uint64_t seed, unsigned perturb_order)
    : hash_(hash), rng_(seed), perturb_(size_t{1} << std::min(perturb_order, 16u)) {
  for (uint32_t& v : perturb_)
    v = rng_.next_u32();  // Linux: net_get_random_once(table_perturb)
}

uint64_t PortAllocator::port_offset(wire::Ipv4Address local, wire::Ipv4Address remote,
                                    uint16_t remote_port) const {
  const std::array<uint32_t, 3> words = {local.value(), remote.value(), remote_port};
  return hash_.words(words);
}

uint32_t PortAllocator::perturb_of(wire::Ipv4Address local, wire::Ipv4Address remote,
                                   uint16_t remote_port) const {
  return perturb_[port_offset(local, remote, remote_port) & (perturb_.size() - 1)];
}

void PortAllocator::set_in_use(uint16_t port, bool on) {
  const uint64_t bit = uint64_t{1} << (port & 63);
  if (on) {
    in_use_[port >> 6] |= bit;
  } else {
    in_use_[port >> 6] &= ~bit;
  }
}

void PortAllocator::acquire(const PortOwner& o) {
  std::vector<Entry>& v = ports_[o.port];
  for (Entry& e : v) {
    if (e.addr == o.addr && e.kind == o.kind && e.reuse_addr == o.reuse_addr) {
      ++e.count;
      return;
    }
  }
  v.push_back(Entry{o.addr, o.kind, o.reuse_addr, 1});
  set_in_use(o.port, true);
}

void PortAllocator::release(const PortOwner& o) {
  auto it = ports_.find(o.port);
  assert(it != ports_.end() && "release of a port not held");
  if (it == ports_.end()) return;
  std::vector<Entry>& v = it->second;
  for (size_t k = 0; k < v.size(); ++k) {
    Entry& e = v[k];
    if (e.addr == o.addr && e.kind == o.kind && e.reuse_addr == o.reuse_addr) {
      if (--e.count == 0) {
        v[k] = v.back();
        v.pop_back();
      }
      if (v.empty()) {
        ports_.erase(it);
        set_in_use(o.port, false);
      }
      return;
    }
  }
  assert(false && "release of an owner not held");
}

size_t PortAllocator::owner_count(uint16_t port) const {
  auto it = ports_.find(port);
  if (it == ports_.end()) return 0;
  size_t n = 0;
  for (const Entry& e : it->second)
    n += e.count;
  return n;
}

bool PortAllocator::held_by_binder(uint16_t port) const {
  if (!in_use(port)) return false;
  for (const Entry& e : ports_.at(port)) {
    if (e.kind != PortOwnerKind::kAutobind) return true;
  }
  return false;
}

bool PortAllocator::bind_conflict(const PortOwner& o, const PortOwner* self) const {
  if (!in_use(o.port)) return false;
  for (const Entry& e : ports_.at(o.port)) {
    uint32_t others = e.count;
    if (self != nullptr && e.addr == self->addr && e.kind == self->kind &&
        e.reuse_addr == self->reuse_addr) {
      --others;  // the socket itself
    }
    if (others == 0 || !overlap(o.addr, e.addr)) continue;
    // Linux inet_bind_conflict(), relax = true: both SO_REUSEADDR and the other one is not
    // listening -> no conflict.
    if (o.reuse_addr && e.reuse_addr && e.kind != PortOwnerKind::kListener) continue;
    return true;
  }
  return false;
}

bool PortAllocator::any_overlap(uint16_t port, wire::Ipv4Address addr) const {
  if (!in_use(port)) return false;
  for (const Entry& e : ports_.at(port)) {
    if (overlap(addr, e.addr)) return true;
  }
  return false;
}

int PortAllocator::bind(PortOwner& o, PortRange range) {
  if (o.port == 0) return pick_for_bind(o, range);
  if (bind_conflict(o, nullptr)) return EADDRINUSE;
  acquire(o);
  return 0;
}

int PortAllocator::listen(PortOwner& o) {
  assert(o.kind == PortOwnerKind::kBound);
  PortOwner as_listener = o;
  as_listener.kind = PortOwnerKind::kListener;
  if (bind_conflict(as_listener, &o)) return EADDRINUSE;
  release(o);
  acquire(as_listener);
  o = as_listener;
  return 0;
}

int PortAllocator::pick_for_bind(PortOwner& o, PortRange range) {
  if (range.hi < range.lo) return EADDRINUSE;
  // Linux inet_csk_find_open_port(): SO_REUSEADDR sockets try the lower half first.
  int attempt_half = o.reuse_addr ? 1 : 0;
  for (;;) {
    uint32_t low = range.lo;
    uint32_t high = uint32_t{range.hi} + 1;
    if (high - low < 4) attempt_half = 0;
    if (attempt_half != 0) {
      const uint32_t half = low + (((high - low) >> 2) << 1);
      if (attempt_half == 1) {
        high = half;
      } else {
        low = half;
      }
    }
    uint32_t remaining = high - low;
    if (remaining > 1) remaining &= ~1u;
    uint32_t offset = static_cast<uint32_t>(rng_.below(remaining));
    offset |= 1u;  // the opposite parity of connect()'s first choice
    for (;;) {
      uint32_t port = low + offset;
      for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
        if (port >= high) port -= remaining;
        const auto p = static_cast<uint16_t>(port);
        if (any_overlap(p, o.addr)) continue;
        o.port = p;
        acquire(o);
        return 0;
      }
      --offset;
      if (offset & 1) break;
    }
    if (attempt_half != 1) break;
    attempt_half = 2;  // now the upper half
  }
  return EADDRINUSE;
}

}  // namespace synack::stack
