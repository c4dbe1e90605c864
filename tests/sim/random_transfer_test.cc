// Randomized simulation test of the TCP engine (issue 3, "Checked by"): two synack hosts
// transfer random payloads (1 B .. 8 MiB, 1-4 connections at once, either direction, every
// close pattern) across links with random loss (0-20 %), duplication, reordering, delay,
// bandwidth limits and queue drops; every byte must arrive exactly once and in order, both
// ends must reach CLOSED after TIME-WAIT, and nothing may be left behind. What one seed
// decides is in random_transfer_scenario.h, the application and the checks in
// random_transfer_world.h.
//
// Seeds are fixed (1, 2, 3, ... and kBigSeedBase + 0, 1, ...), so CI is deterministic and a
// failure names its seed. Environment:
//   SYNACK_SOAK_SEED=<n>         run only seed n (RandomTransferReplay.Seed; the others skip)
//   SYNACK_SOAK_PCAP=<file>      with SYNACK_SOAK_SEED: capture both directions to a pcap
//   SYNACK_SOAK_TRACE=1          with SYNACK_SOAK_SEED: print every event of both stacks
//   SYNACK_SOAK_SEEDS=<count>    how many small seeds (payloads up to 256 KiB)
//   SYNACK_SOAK_BIG_SEEDS=<n>    how many big seeds (up to 8 MiB, one direction exactly 8 MiB)
//   SYNACK_SOAK_FIRST=<n>        first seed of both ranges (default 0: seeds 1.. and big 0..)
// Defaults are sized so the sanitizer (Debug) build stays well under two minutes on two cores
// and the release build runs thousands of seeds; both are spread over kShards gtest cases so
// ctest -j runs them in parallel.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/random_transfer_scenario.h"
#include "sim/random_transfer_world.h"

namespace synack::sim::soak {
namespace {

// Seeds that fail because of known engine bugs, excluded from the default runs (they still run
// with SYNACK_SOAK_SEED=<n>). Each entry names the bug; remove it when the bug is fixed.
struct KnownFailure {
  uint64_t seed;
  const char* bug;
};
// Empty now. 1709 passes since the pending-handshake fixes; 1306 passes since the receive
// window fix. Its diagnosis stands as Linux behaviour, not an engine bug: a retransmission of
// a segment the peer already holds is dropped there as a full duplicate before RFC 7323 §4.3
// R3 may update TS.Recent, so the duplicate ACK echoes the TSval of the last in-window segment
// (seconds old after an RTO); it advances snd_una over retransmitted data, so Karn forbids the
// sequence sample and tcp_ack_update_rtt() takes the TSecr one — seconds long, as in Linux —
// and at 18 % loss the RTO climbs to 120 s. A LAST-ACK FIN retransmitted after the peer's
// TIME-WAIT ended would then draw an RST, which the checks below still report as a failure.
constexpr std::array<KnownFailure, 0> kKnownFailures{};

constexpr int kShards = 8;
#ifdef NDEBUG
constexpr uint64_t kDefaultSmallSeeds = 2000;
constexpr uint64_t kDefaultBigSeeds = 16;
#else
constexpr uint64_t kDefaultSmallSeeds = 240;
constexpr uint64_t kDefaultBigSeeds = 4;
#endif

std::optional<uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

const char* known_bug(uint64_t seed) {
  for (const KnownFailure& k : kKnownFailures)
    if (k.seed == seed && seed != 0) return k.bug;
  return nullptr;
}

std::string replay_hint(uint64_t seed) {
  return "replay: SYNACK_SOAK_SEED=" + std::to_string(seed) +
         " synack_unit_tests --gtest_filter=RandomTransferReplay.*"
         " (add SYNACK_SOAK_PCAP=/tmp/seed.pcap for a capture)";
}

// Runs one seed; returns false (after reporting) when it failed.
bool run_seed(uint64_t seed, const std::string& pcap, Outcome* out = nullptr,
              bool print_events = false) {
  const Scenario sc = make_scenario(seed);
  World world(sc, pcap, print_events);
  const Outcome o = world.run();
  if (out != nullptr) *out = o;
  if (o.failure.empty()) return true;
  ADD_FAILURE() << "seed " << seed << " FAILED; " << replay_hint(seed) << "\n"
                << o.failure << "\n"
                << sc.describe();
  return false;
}

struct Stats {
  uint64_t seeds = 0;
  uint64_t skipped = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
  Duration longest;
  uint64_t longest_seed = 0;
};

void run_range(uint64_t base, uint64_t count, int shard, const char* what) {
  if (env_u64("SYNACK_SOAK_SEED"))
    GTEST_SKIP() << "SYNACK_SOAK_SEED set: only RandomTransferReplay runs";
  const uint64_t first = env_u64("SYNACK_SOAK_FIRST").value_or(0);
  const auto t0 = std::chrono::steady_clock::now();
  Stats st;
  int failures = 0;
  for (uint64_t i = uint64_t(shard); i < count && failures < 3; i += kShards) {
    const uint64_t seed = base + first + i;
    if (known_bug(seed) != nullptr) {
      ++st.skipped;
      continue;
    }
    SCOPED_TRACE("seed " + std::to_string(seed) + "; " + replay_hint(seed));
    Outcome o;
    if (!run_seed(seed, {}, &o)) ++failures;
    ++st.seeds;
    st.events += o.events;
    st.bytes += o.bytes;
    if (o.transfer_done.since_epoch() > st.longest) {
      st.longest = o.transfer_done.since_epoch();
      st.longest_seed = seed;
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "[ soak     ] %s shard %d: %llu seeds (%llu known failures skipped), %.2f s wall, %llu "
      "events, %.1f MB delivered, longest transfer %s (seed %llu)\n",
      what, shard, static_cast<unsigned long long>(st.seeds),
      static_cast<unsigned long long>(st.skipped), wall, static_cast<unsigned long long>(st.events),
      double(st.bytes) / 1e6, to_string(st.longest).c_str(),
      static_cast<unsigned long long>(st.longest_seed));
  EXPECT_EQ(failures, 0) << "see the seeds above";
}

class RandomTransfer : public ::testing::TestWithParam<int> {};

TEST_P(RandomTransfer, SmallPayloads) {
  run_range(0 + 1, env_u64("SYNACK_SOAK_SEEDS").value_or(kDefaultSmallSeeds), GetParam(), "small");
}

TEST_P(RandomTransfer, BigPayloads) {
  run_range(kBigSeedBase, env_u64("SYNACK_SOAK_BIG_SEEDS").value_or(kDefaultBigSeeds), GetParam(),
            "big");
}

INSTANTIATE_TEST_SUITE_P(Shards, RandomTransfer, ::testing::Range(0, kShards));

TEST(RandomTransferReplay, Seed) {
  const auto seed = env_u64("SYNACK_SOAK_SEED");
  if (!seed) GTEST_SKIP() << "set SYNACK_SOAK_SEED=<n> to replay one seed";
  const char* pcap = std::getenv("SYNACK_SOAK_PCAP");
  const Scenario sc = make_scenario(*seed);
  std::printf("%s\n", sc.describe().c_str());
  if (const char* bug = known_bug(*seed)) std::printf("known failure: %s\n", bug);
  Outcome o;
  const bool ok = run_seed(*seed, pcap != nullptr ? pcap : "", &o,
                           env_u64("SYNACK_SOAK_TRACE").value_or(0) != 0);
  std::printf("seed %llu %s: transfer done at %s, end %s, %llu events, %llu bytes\n",
              static_cast<unsigned long long>(*seed), ok ? "passed" : "FAILED",
              to_string(o.transfer_done).c_str(), to_string(o.end).c_str(),
              static_cast<unsigned long long>(o.events), static_cast<unsigned long long>(o.bytes));
}

// The generator itself: the seed alone decides the scenario, every draw stays in its range,
// and the payload function is what the receiver recomputes (offsets, not call boundaries,
// decide the bytes).
TEST(RandomTransferScenario, DeterministicAndInRange) {
  for (uint64_t seed : {uint64_t{1}, uint64_t{77}, kBigSeedBase, kBigSeedBase + 5}) {
    SCOPED_TRACE(seed);
    const Scenario a = make_scenario(seed);
    EXPECT_EQ(a.describe(), make_scenario(seed).describe());
    EXPECT_NE(a.describe(), make_scenario(seed + 1).describe());
    ASSERT_GE(a.conns.size(), 1u);
    ASSERT_LE(a.conns.size(), 4u);
    bool has_max = false;
    for (const ConnSpec& c : a.conns) {
      for (const SideSpec* s : {&c.client, &c.server}) {
        EXPECT_LE(s->send_bytes, seed >= kBigSeedBase ? kBigMax : kSmallMax);
        has_max |= s->send_bytes == kBigMax;
      }
      EXPECT_FALSE(c.client.close == CloseMode::kCloseAfterEof &&
                   c.server.close == CloseMode::kCloseAfterEof);
    }
    EXPECT_EQ(has_max, seed >= kBigSeedBase);
    for (const link::LinkParams* p : {&a.a_to_b, &a.b_to_a}) {
      EXPECT_GE(p->loss, 0.0);
      EXPECT_LE(p->loss, 0.20);
    }
  }
}

TEST(RandomTransferScenario, PayloadDependsOnOffsetOnly) {
  std::vector<uint8_t> whole(1000), parts(1000);
  payload_fill(42, 5, whole);
  // The same range in odd-sized pieces.
  size_t off = 0;
  for (size_t n : {1, 7, 8, 3, 100, 881}) {
    payload_fill(42, 5 + off, std::span(parts).subspan(off, n));
    off += n;
  }
  ASSERT_EQ(off, whole.size());
  EXPECT_EQ(whole, parts);
  std::vector<uint8_t> other(1000);
  payload_fill(43, 5, other);
  EXPECT_NE(whole, other);
}

}  // namespace
}  // namespace synack::sim::soak
