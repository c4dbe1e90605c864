// Bulk transfer between two synack Stacks over the in-memory wire with random packet loss in
// both directions, with and without SACK (issue 5: the lossy-echo stall): how much a loss
// costs the sender.
//
//   BulkLoss/loss_permille:10/sack:1   1 % loss, SACK negotiated (RFC 6675 recovery + PRR)
//   BulkLoss/loss_permille:10/sack:0   1 % loss, tcp_sack = 0 on both ends (NewReno, go-back-N)
//   .../loss_permille:50/...           5 %
//
// The wire delivers at once, so a round trip costs (almost) no virtual time and what remains
// is what recovery cannot do within round trips: retransmission timeouts, each at least the
// 200 ms minimum RTO. Counters, per MiB of application payload: timeouts (TCPTimeouts of the
// sender), rexmits (RetransSegs), virtual_ms (simulated time the transfer took — nearly all of
// it RTO waits), and MB/s of wall time for the whole loop (both stacks). 4 MiB buffers on both
// ends (what Linux autotuning reaches) so windows hold many segments, as on a real path.
// Loss is a seeded draw per packet (InMemoryPair::set_loss), so runs are repeatable.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bulk_transfer.h"
#include "in_memory_pair.h"
#include "stack/sysctl_registry.h"

namespace synack::bench {
namespace {

constexpr uint64_t kMiB = 1u << 20;

void setup(Stack& s, bool sack) {
  const int64_t rmem[] = {4096, 4 << 20, 6 << 20};
  const int64_t wmem[] = {4096, 4 << 20, 4 << 20};
  (void)s.sysctls().set_values(stack::SysctlId::kTcpRmem, rmem);
  (void)s.sysctls().set_values(stack::SysctlId::kTcpWmem, wmem);
  (void)s.sysctls().set_value(stack::SysctlId::kTcpSack, sack ? 1 : 0);
}

void BulkLoss(benchmark::State& state) {
  const double loss = static_cast<double>(state.range(0)) / 1000.0;
  const bool sack = state.range(1) != 0;
  InMemoryPair pair(1);
  setup(pair.a(), sack);
  setup(pair.b(), sack);
  BulkTransfer bulk(pair, Duration::millis(1));
  if (!bulk.open()) {
    state.SkipWithError(bulk.error().c_str());
    return;
  }
  pair.set_loss(loss, 42);
  const auto& c = pair.a().counters();
  const uint64_t timeouts_before = c[stack::Counter::kTcpExtTCPTimeouts];
  const uint64_t rexmit_before = c[stack::Counter::kTcpRetransSegs];
  const Instant start = pair.now();
  uint64_t bytes = 0;
  for (auto _ : state) {
    if (!bulk.transfer(kMiB, /*check_pattern=*/true)) {
      state.SkipWithError(bulk.error().c_str());
      return;
    }
    bytes += kMiB;
  }
  const double mib = static_cast<double>(bytes) / kMiB;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["timeouts"] =
      static_cast<double>(c[stack::Counter::kTcpExtTCPTimeouts] - timeouts_before) / mib;
  state.counters["rexmits"] =
      static_cast<double>(c[stack::Counter::kTcpRetransSegs] - rexmit_before) / mib;
  state.counters["virtual_ms"] = static_cast<double>((pair.now() - start).ms()) / mib;
}
BENCHMARK(BulkLoss)
    ->ArgNames({"loss_permille", "sack"})
    ->Args({10, 1})
    ->Args({10, 0})
    ->Args({50, 1})
    ->Args({50, 0})
    ->Iterations(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synack::bench
