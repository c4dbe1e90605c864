// Keyed hash for connection tuples, ISNs and cookies: SipHash-2-4 from libsodium.
//
// SPEC §2.3: tables are keyed by a secret so a remote party cannot choose colliding tuples;
// SPEC §4.4 / §6: ISNs and SYN cookies use the same primitive (as Linux does). The key comes
// from the stack's seeded RNG, so simulations are reproducible; a real deployment seeds the
// stack from a real entropy source at start-up (the driver's job, not the core's).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace synack {

class Rng;

class KeyedHash {
 public:
  using Key = std::array<uint8_t, 16>;

  explicit KeyedHash(const Key& key) : key_(key) {}
  [[nodiscard]] static KeyedHash from_rng(Rng& rng);

  [[nodiscard]] uint64_t operator()(std::span<const uint8_t> bytes) const;
  // Hashes the words as they lie in memory (host order): for in-process tables only,
  // never for values that go on the wire or across machines.
  [[nodiscard]] uint64_t words(std::span<const uint32_t> words) const;
  [[nodiscard]] const Key& key() const { return key_; }

 private:
  Key key_;
};

}  // namespace synack
