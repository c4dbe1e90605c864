#include "base/keyed_hash.h"

#include <sodium.h>

#include <cstring>

#include "base/rng.h"

namespace synack {

static_assert(crypto_shorthash_siphash24_KEYBYTES == 16);
static_assert(crypto_shorthash_siphash24_BYTES == 8);

KeyedHash KeyedHash::from_rng(Rng& rng) {
  Key key{};
  rng.fill(key.data(), key.size());
  return KeyedHash{key};
}

uint64_t KeyedHash::operator()(std::span<const uint8_t> bytes) const {
  unsigned char out[crypto_shorthash_siphash24_BYTES];
  // SipHash is a pure function in libsodium: no sodium_init() needed, no global state.
  crypto_shorthash_siphash24(out, bytes.data(), bytes.size(), key_.data());
  uint64_t v;
  std::memcpy(&v, out, sizeof v);
  return v;
}

uint64_t KeyedHash::words(std::span<const uint32_t> words) const {
  return (*this)(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(words.data()), words.size_bytes()));
}

}  // namespace synack
