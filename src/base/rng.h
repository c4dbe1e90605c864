// Seeded pseudo-random numbers for the core and the simulator.
//
// Determinism (ARCHITECTURE "core contract"): the same seed gives the same sequence on every
// platform and compiler, so a failing randomized test replays from its printed seed. The
// standard <random> distributions are implementation-defined, so synack draws bounded values
// itself (Lemire's multiply-shift with rejection). The generator is xoshiro256** seeded
// through SplitMix64 — small, fast and well studied; not for secrets (those come from
// libsodium-keyed hashes whose keys are drawn from here at start-up, which is fine for a
// simulation and documented as such for real deployments).
#pragma once

#include <cstdint>

namespace synack {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  [[nodiscard]] uint64_t next_u64();
  [[nodiscard]] uint32_t next_u32() { return static_cast<uint32_t>(next_u64() >> 32); }
  // Uniform in [0, bound); bound 0 returns 0.
  [[nodiscard]] uint64_t below(uint64_t bound);
  // Uniform in [lo, hi] inclusive.
  [[nodiscard]] uint64_t between(uint64_t lo, uint64_t hi);
  // Uniform in [0, 1).
  [[nodiscard]] double unit();
  // True with probability p (p <= 0 never, p >= 1 always).
  [[nodiscard]] bool chance(double p);
  void fill(void* buf, uint64_t len);
  // An independent generator derived from this one (for giving each host its own stream).
  [[nodiscard]] Rng fork();

 private:
  uint64_t s_[4];
};

}  // namespace synack
