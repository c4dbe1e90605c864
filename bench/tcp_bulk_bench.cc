// Bulk throughput of one TCP connection between two synack Stacks in one process, over the
// in-memory wire (bench/in_memory_pair.h; no simulator), with and without checksum
// verification on receive (TCP engine issue, "Checked by").
//
//   Bulk/buffers:0/verify:1   Linux default buffers (tcp_wmem[1] 16 KiB, tcp_rmem[1] 128 KiB)
//   Bulk/buffers:1/verify:1   4 MiB send and receive buffers (what Linux autotuning reaches)
//   .../verify:0              the same without verifying checksums on receive; needs a
//                             StackConfig::verify_checksums field, and reports an error
//                             naming it while the Stack has none
//   ParseSegment/verify:{0,1} wire::parse_packet_into of one full data segment of this
//                             transfer: the receive-side price of verification per segment
//
// Counters: GB/s (10^9 bytes of application payload per second of wall time — the timed loop
// includes both stacks, the sender's copy in and the receiver's copy out), segs (packets on
// the wire per iteration, both directions), rexmit_segs (retransmitted segments per
// iteration: on this lossless wire anything but 0 is an engine bug) and allocs_per_seg (heap
// allocations per packet in the timed loop; the established fast path must not allocate, so
// anything but 0 is an error). Each iteration moves 8 MiB; every byte is checked once before timing
// starts.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "alloc_counter.h"
#include "bulk_transfer.h"
#include "in_memory_pair.h"
#include "stack/sysctl_registry.h"
#include "wire/packet.h"

namespace synack::bench {
namespace {

constexpr uint64_t kBytesPerIteration = 8u << 20;

// Sets StackConfig::verify_checksums when the Stack has that knob; false when it has none.
template <class Config>
bool set_verify_checksums(Config& c, bool on) {
  if constexpr (requires { c.verify_checksums = on; }) {
    c.verify_checksums = on;
    return true;
  } else {
    return on;  // verification is always on without the knob
  }
}

void large_buffers(Stack& s) {
  const int64_t rmem[] = {4096, 4 << 20, 6 << 20};
  const int64_t wmem[] = {4096, 4 << 20, 4 << 20};
  (void)s.sysctls().set_values(stack::SysctlId::kTcpRmem, rmem);
  (void)s.sysctls().set_values(stack::SysctlId::kTcpWmem, wmem);
}

void Bulk(benchmark::State& state) {
  const bool big = state.range(0) != 0;
  const bool verify = state.range(1) != 0;
  StackConfig ca = InMemoryPair::default_config(1);
  StackConfig cb = InMemoryPair::default_config(2);
  if (!set_verify_checksums(ca, verify) || !set_verify_checksums(cb, verify)) {
    state.SkipWithError("StackConfig has no verify_checksums: cannot turn verification off");
    return;
  }
  InMemoryPair pair(1, ca, cb);
  if (big) {
    large_buffers(pair.a());
    large_buffers(pair.b());
  }
  BulkTransfer bulk(pair);
  if (!bulk.open() || !bulk.transfer(2 * kBytesPerIteration, /*check_pattern=*/true)) {
    state.SkipWithError(bulk.error().c_str());
    return;
  }
  const uint64_t allocs_before = heap::allocs;
  const uint64_t rexmit_before = pair.a().counters()[stack::Counter::kTcpRetransSegs];
  const uint64_t packets_before = pair.packets_delivered();
  uint64_t bytes = 0;
  for (auto _ : state) {
    if (!bulk.transfer(kBytesPerIteration, false)) {
      state.SkipWithError(bulk.error().c_str());
      return;
    }
    bytes += kBytesPerIteration;
  }
  const uint64_t allocs = heap::allocs - allocs_before;
  const uint64_t packets = pair.packets_delivered() - packets_before;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e9, benchmark::Counter::kIsRate);
  state.counters["segs"] =
      benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kAvgIterations);
  state.counters["rexmit_segs"] = benchmark::Counter(
      static_cast<double>(pair.a().counters()[stack::Counter::kTcpRetransSegs] - rexmit_before),
      benchmark::Counter::kAvgIterations);
  state.counters["allocs_per_seg"] =
      packets == 0 ? 0.0 : static_cast<double>(allocs) / static_cast<double>(packets);
  if (allocs != 0) state.SkipWithError("heap allocation on the established fast path");
}
BENCHMARK(Bulk)
    ->ArgNames({"buffers", "verify"})
    ->Args({0, 1})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({1, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void ParseSegment(benchmark::State& state) {
  InMemoryPair pair;
  BulkTransfer bulk(pair);
  if (!bulk.open() || !bulk.transfer(64 * 1024, false)) {
    state.SkipWithError(bulk.error().c_str());
    return;
  }
  const std::vector<uint8_t> segment = pair.largest_packet();
  if (segment.size() < 1000) {
    state.SkipWithError("no full-sized data segment captured");
    return;
  }
  wire::Packet p;
  const wire::ParseOptions opts{.verify_checksums = state.range(0) != 0};
  for (auto _ : state) {
    auto err = wire::parse_packet_into(segment, p, opts);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(segment.size()));
  state.counters["bytes"] = static_cast<double>(segment.size());
}
BENCHMARK(ParseSegment)->ArgName("verify")->Arg(0)->Arg(1);

}  // namespace
}  // namespace synack::bench
