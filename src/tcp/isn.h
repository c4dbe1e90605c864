// Initial sequence numbers and timestamp offsets (RFC 6528, SPEC §4.4, §7.7).
//
// ISN = M + F(local addr, remote addr, local port, remote port, secret), as Linux computes it
// (net/core/secure_seq.c secure_tcp_seq() and seq_scale()):
//   F = SipHash-2-4 keyed by a per-stack secret over the connection's 4-tuple, truncated to
//       32 bits. The tuple is seen from the end that chooses the ISN (local first), so the two
//       ends of one connection hash different inputs and get unrelated ISNs.
//   M = the clock in nanoseconds >> 6: one tick per 64 ns, so the 32-bit space wraps every
//       2^32 × 64 ns ≈ 275 s — more than one MSL between reuses of a tuple's numbers, and fast
//       enough that a new incarnation's ISN moves past the old one's sequence space.
// The clock is the Instant the caller passes (SPEC §4.4: injected time), the secret comes from
// the stack's seeded Rng, so a simulation replays bit for bit; a real deployment seeds the
// stack from real entropy (KeyedHash's header says the same).
//
// The hash input is a fixed byte string, independent of host byte order (ISNs go on the
// wire): local address, remote address (4 bytes each, network order), then local port and
// remote port (2 bytes each, network order) — Linux's siphash_3u32(saddr, daddr,
// sport << 16 | dport) over the same values.
//
// TSval offset (secure_tcp_ts_off()): Linux adds a per-connection random offset to its
// millisecond timestamp clock so TSval does not reveal uptime. It is a keyed hash of the
// address pair only (not the ports), under a second, independent secret: every connection
// between the same two hosts shares the offset, which keeps PAWS and TIME-WAIT reuse working
// across connections (Linux narrowed it from the 4-tuple to the address pair for that reason).
// With net.ipv4.tcp_timestamps = 2 Linux uses no offset; the caller then simply passes 0.
//
// Single-threaded like the rest of the core; immutable after construction.
#pragma once

#include <cstdint>

#include <synack/time.h>

#include "base/keyed_hash.h"
#include "wire/ipv4_address.h"
#include "wire/seq_num.h"

namespace synack {
class Rng;
}

namespace synack::tcp {

class IsnGenerator {
 public:
  IsnGenerator(const KeyedHash& seq_secret, const KeyedHash& ts_secret)
      : seq_secret_(seq_secret), ts_secret_(ts_secret) {}
  // Draws both secrets from the stack's Rng (sequence secret first, then timestamp secret).
  [[nodiscard]] static IsnGenerator from_rng(Rng& rng);

  // The ISN for a connection whose local end is (local, local_port), chosen at `now`.
  [[nodiscard]] wire::SeqNum isn(wire::Ipv4Address local, uint16_t local_port,
                                 wire::Ipv4Address remote, uint16_t remote_port, Instant now) const;

  // F alone (the keyed-hash part of the ISN), exposed for tests and traces.
  [[nodiscard]] uint32_t isn_hash(wire::Ipv4Address local, uint16_t local_port,
                                  wire::Ipv4Address remote, uint16_t remote_port) const;

  // M alone: now in nanoseconds >> 6, modulo 2^32.
  [[nodiscard]] static uint32_t isn_clock(Instant now);

  // The offset added to this host's millisecond TSval clock for connections from `local` to
  // `remote`.
  [[nodiscard]] uint32_t ts_offset(wire::Ipv4Address local, wire::Ipv4Address remote) const;

 private:
  KeyedHash seq_secret_;
  KeyedHash ts_secret_;
};

}  // namespace synack::tcp
