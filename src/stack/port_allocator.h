// PortAllocator: local ports for bind() and connect() (SPEC §14), Linux 6.x's algorithms.
//
// Who holds a port. Every socket that has a local port is an "owner" of it: a bound socket,
// a listener, an autobound connection (connect() picked the port) — and, after it closes, its
// TIME-WAIT record, which keeps the same owner (SPEC §14.2: a port in TIME-WAIT is still
// bound; Linux keeps the timewait sock on the bind bucket). The stack registers owners with
// bind()/connect()/acquire() and drops them with release(); the allocator keeps, per port in
// use, a short list of (address, kind, SO_REUSEADDR, count) — a port with 28,000 autobound
// connections from one address is one entry — plus a 65,536-bit map of ports in use (8 KiB)
// so scans skip free ports without a lookup. The allocator knows nothing about the
// connection tables: connect() asks a caller-supplied predicate whether a 4-tuple is free,
// taken, or held by a TIME-WAIT record that tcp_tw_reuse allows taking over (SPEC §9.8).
//
// connect() without a bound port (Linux __inet_hash_connect(), net/ipv4/inet_hashtables.c):
//   port_offset = SipHash(local addr, remote addr, remote port) under the stack's secret
//                 (Linux secure_ipv4_port_ephemeral()), so destinations spread (SPEC §14.3)
//                 and a remote party cannot predict the sequence;
//   index       = port_offset mod the perturb table size; the table ("table_perturb", RFC
//                 6056 algorithm 5) starts random and table[index] grows after each success,
//                 so consecutive connect()s to one destination take different ports;
//   offset      = (table[index] + (port_offset >> 32)) mod remaining, made EVEN, where
//                 remaining = the range size rounded down to even;
//   scan        ports lo+offset, +2, +4 ... (wrapping) — the ports of lo's parity first —
//                 then the other parity (offset + 1). Linux 6.x favours even ports (for the
//                 default lo = 32768) for connect() and odd ones for bind(0), so the two
//                 rarely compete (commit "tcp/dccp: better use of ephemeral ports in
//                 connect()", 4.6, still the shape of the 6.x code). A port whose owners
//                 include anything but autobound connections (a bind(), a listener) is
//                 skipped outright (Linux: bind bucket with fastreuse >= 0); otherwise the
//                 predicate decides on the full 4-tuple;
//   success     table[index] += 2 + max(i, 2 * random(0..7)), i = ports tried in that pass.
// Nothing free: EADDRNOTAVAIL (SPEC §14.2). With an odd-sized range the rounding means, as in
// Linux, that one port may be missed by a given scan.
//
// bind(0) (Linux inet_csk_find_open_port()): a random start, ODD parity first, any owner on
// an overlapping address makes the port unusable (Linux's relax = false), and a socket with
// SO_REUSEADDR tries the lower half of the range before the upper half.
// bind(port) (inet_csk_get_port() + inet_bind_conflict()): conflicts with every owner on an
// overlapping address (same address, or either is 0.0.0.0) unless both have SO_REUSEADDR and
// that owner is not a listener — so with SO_REUSEADDR a listener may bind while old
// connections on the port sit in TIME-WAIT (SPEC §14.2), if those had SO_REUSEADDR too (they
// inherit it from their listener, as in Linux). listen() re-checks with the socket now a
// listener: two SO_REUSEADDR sockets may bind one port but only one may listen on it.
// Not modelled: SO_REUSEPORT (a later goal), ip_local_reserved_ports, ip_autobind_reuse.
//
// Randomness comes from a seeded Rng (sans-IO: simulations replay). The perturb table has
// 2^perturb_order entries: Linux 6.x uses 2^16 (256 KiB); synack defaults to 2^8 (1 KiB, the
// original 2021 size) because a simulation may run thousands of stacks.
//
// Single-threaded like the rest of the core.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "base/keyed_hash.h"
#include "base/result.h"
#include "base/rng.h"
#include "wire/ipv4_address.h"

namespace synack::stack {

// net.ipv4.ip_local_port_range, both ends included.
struct PortRange {
  uint16_t lo = 32768;
  uint16_t hi = 60999;
};

enum class PortOwnerKind : uint8_t {
  kBound,     // bind() / bind(0), or an accepted connection (it shares its listener's port)
  kListener,  // listen()
  kAutobind,  // connect() chose the port; its TIME-WAIT keeps this kind
};

struct PortOwner {
  wire::Ipv4Address addr;  // bound local address; 0.0.0.0 = any
  uint16_t port = 0;
  PortOwnerKind kind = PortOwnerKind::kBound;
  bool reuse_addr = false;  // SO_REUSEADDR
  bool operator==(const PortOwner&) const = default;
};

// The predicate's answer for one candidate 4-tuple.
enum class TupleState : uint8_t {
  kFree,              // no connection, request or TIME-WAIT has it
  kReusableTimeWait,  // a TIME-WAIT record has it and tcp_tw_reuse lets connect() take it
  kTaken,
};

struct ConnectPort {
  uint16_t port = 0;
  bool reuses_time_wait = false;  // the caller kills that record and counts TWRecycled
};

class PortAllocator {
 public:
  static constexpr unsigned kDefaultPerturbOrder = 8;

  PortAllocator(const KeyedHash& hash, uint64_t seed,
                unsigned perturb_order = kDefaultPerturbOrder);

  // bind(): `o.port` 0 picks a port in `range` (written back into o). On success the owner is
  // registered and 0 returned; otherwise EADDRINUSE (explicit port in use, or none free).
  [[nodiscard]] int bind(PortOwner& o, PortRange range);
  // listen() on a registered kBound owner: EADDRINUSE if another owner forbids it, else the
  // owner becomes kListener (o is updated).
  [[nodiscard]] int listen(PortOwner& o);

  // connect() on a socket without a local port. tuple_state(uint16_t local_port) says whether
  // (local, local_port, remote, remote_port) is usable. On success registers a kAutobind owner
  // {local, port, reuse_addr} and returns the port; EADDRNOTAVAIL when no port is free.
  template <class F>
  [[nodiscard]] Result<ConnectPort, int> connect(wire::Ipv4Address local, wire::Ipv4Address remote,
                                                 uint16_t remote_port, PortRange range,
                                                 F&& tuple_state, bool reuse_addr = false);

  // Registers / drops an owner without any check (accepted connections, which share the
  // listener's port; the stack's own bookkeeping). release() of an owner not held is a bug.
  void acquire(const PortOwner& o);
  void release(const PortOwner& o);

  // Inspection.
  [[nodiscard]] bool in_use(uint16_t port) const { return (in_use_[port >> 6] >> (port & 63)) & 1; }
  [[nodiscard]] size_t owner_count(uint16_t port) const;
  [[nodiscard]] size_t ports_in_use() const { return ports_.size(); }
  // The perturb slot a destination uses (tests check that it advances).
  [[nodiscard]] uint32_t perturb_of(wire::Ipv4Address local, wire::Ipv4Address remote,
                                    uint16_t remote_port) const;

 private:
  struct Entry {
    wire::Ipv4Address addr;
    PortOwnerKind kind;
    bool reuse_addr;
    uint32_t count;
  };

  [[nodiscard]] uint64_t port_offset(wire::Ipv4Address local, wire::Ipv4Address remote,
                                     uint16_t remote_port) const;
  // connect(): a port held by anything but autobound connections is never shared.
  [[nodiscard]] bool held_by_binder(uint16_t port) const;
  // bind(port) / listen(): inet_bind_conflict() with relax = true. `self` is excluded once.
  [[nodiscard]] bool bind_conflict(const PortOwner& o, const PortOwner* self) const;
  // bind(0): any owner on an overlapping address (relax = false).
  [[nodiscard]] bool any_overlap(uint16_t port, wire::Ipv4Address addr) const;
  [[nodiscard]] int pick_for_bind(PortOwner& o, PortRange range);
  void set_in_use(uint16_t port, bool on);

  KeyedHash hash_;
  Rng rng_;
  std::vector<uint32_t> perturb_;
  std::array<uint64_t, 65536 / 64> in_use_{};
  std::unordered_map<uint16_t, std::vector<Entry>> ports_;
};

template <class F>
Result<ConnectPort, int> PortAllocator::connect(wire::Ipv4Address local, wire::Ipv4Address remote,
                                                uint16_t remote_port, PortRange range,
                                                F&& tuple_state, bool reuse_addr) {
  const uint32_t low = range.lo;
  const uint32_t high = uint32_t{range.hi} + 1;  // exclusive
  if (range.hi < range.lo) return Failure{EADDRNOTAVAIL};
  uint32_t remaining = high - low;
  if (remaining > 1) remaining &= ~1u;
  const uint64_t h = port_offset(local, remote, remote_port);
  const size_t index = h & (perturb_.size() - 1);
  uint32_t offset = (perturb_[index] + static_cast<uint32_t>(h >> 32)) % remaining;
  offset &= ~1u;  // first pass: ports of lo's parity
  for (;;) {
    uint32_t port = low + offset;
    for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
      if (port >= high) port -= remaining;
      const auto p = static_cast<uint16_t>(port);
      if (held_by_binder(p)) continue;
      const TupleState st = tuple_state(p);
      if (st == TupleState::kTaken) continue;
      // Linux: some randomness in the step when contention is low, none when it is high.
      const uint32_t step = std::max<uint32_t>(i, static_cast<uint32_t>(rng_.below(8)) * 2);
      perturb_[index] += step + 2;
      acquire(PortOwner{local, p, PortOwnerKind::kAutobind, reuse_addr});
      return ConnectPort{p, st == TupleState::kReusableTimeWait};
    }
    ++offset;
    if (!((offset & 1) && remaining > 1)) break;
  }
  return Failure{EADDRNOTAVAIL};
}

}  // namespace synack::stack
