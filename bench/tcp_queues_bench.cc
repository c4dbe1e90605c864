// Throughput of the TCP byte queues on the established fast path, and proof that it does
// not touch the heap (ARCHITECTURE: no allocation per segment).
//
//   RecvInOrder/B        1460-byte segments inserted in order; the application reads after
//                        every B segments (B = 1: a prompt reader; 44: ~64 KB batches)
//   RecvInOrderReleaseWhenEmpty  RecvInOrder/1 calling release_if_empty() after each read
//   RecvReorderedPairs   every other pair of segments swapped: each first arrival is
//                        out of order (range table path), the second fills the gap
//   RecvOneLossPerWindow a 64-segment flight with one segment lost and retransmitted last:
//                        63 out-of-order inserts that merge into one range, then a gap fill
//                        that releases ~90 KB at once
//   SendWritePeekAck     the sender's cycle: the application writes 1460 bytes, a segment is
//                        built from peek(snd_nxt) into a packet buffer, every second segment
//                        is acknowledged (delayed ACKs), with ~64 KB in flight
//
// This binary replaces the global operator new/delete with the counting versions of
// alloc_counter.h. Each benchmark
// warms up to its steady state, then counts allocations inside the timed loop; the counter
// allocs_per_seg must be 0, and the benchmark reports an error if it is not. sizeof of the
// empty queues and the heap they hold are reported as counters too.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "alloc_counter.h"
#include "base/rng.h"
#include "tcp/recv_queue.h"
#include "tcp/send_queue.h"

namespace {

using synack::tcp::RecvQueue;
using synack::tcp::SendQueue;
using synack::wire::SeqNum;

constexpr uint32_t kMss = 1460;

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  synack::Rng rng{42};
  rng.fill(v.data(), v.size());
  return v;
}

// Reports allocations in the timed loop (must be 0), throughput and memory counters.
void finish(benchmark::State& state, uint64_t allocs, uint64_t segments, size_t buffer_bytes,
            size_t sizeof_queue, bool allocs_expected = false) {
  state.SetBytesProcessed(static_cast<int64_t>(segments * kMss));
  state.counters["allocs_per_seg"] =
      segments == 0 ? 0.0 : static_cast<double>(allocs) / static_cast<double>(segments);
  state.counters["buffer_bytes"] = static_cast<double>(buffer_bytes);
  state.counters["sizeof"] = static_cast<double>(sizeof_queue);
  if (allocs != 0 && !allocs_expected) state.SkipWithError("heap allocation in the steady state");
  if (allocs == 0 && allocs_expected) state.SkipWithError("allocation counter saw nothing");
}

void RecvInOrder(benchmark::State& state) {
  const auto batch = static_cast<uint32_t>(state.range(0));
  const auto seg = random_bytes(kMss);
  std::vector<uint8_t> app(kMss * batch);
  RecvQueue q{SeqNum{0xfffff000}, 6u << 20};  // tcp_rmem max; wraps early
  SeqNum seq{0xfffff000};
  auto cycle = [&] {
    for (uint32_t i = 0; i < batch; ++i) {
      benchmark::DoNotOptimize(q.insert(seq, seg));
      seq += kMss;
    }
    benchmark::DoNotOptimize(q.read(app));
  };
  for (int i = 0; i < 8; ++i)
    cycle();  // warm-up: the ring reaches its working size
  const uint64_t before = synack::bench::heap::allocs;
  uint64_t segs = 0;
  for (auto _ : state) {
    cycle();
    segs += batch;
  }
  finish(state, synack::bench::heap::allocs - before, segs, q.buffer_bytes(), sizeof(RecvQueue));
}
BENCHMARK(RecvInOrder)->Arg(1)->Arg(44);

// The same prompt reader, but the queue gives its memory back every time it drains: the
// price of the most aggressive release policy (one allocation per segment), and a check
// that the counter sees allocations at all.
void RecvInOrderReleaseWhenEmpty(benchmark::State& state) {
  const auto seg = random_bytes(kMss);
  std::vector<uint8_t> app(kMss);
  RecvQueue q{SeqNum{1}, 131072};
  SeqNum seq{1};
  const uint64_t before = synack::bench::heap::allocs;
  uint64_t segs = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(q.insert(seq, seg));
    seq += kMss;
    benchmark::DoNotOptimize(q.read(app));
    benchmark::DoNotOptimize(q.release_if_empty());
    ++segs;
  }
  finish(state, synack::bench::heap::allocs - before, segs, q.buffer_bytes(), sizeof(RecvQueue),
         true);
}
BENCHMARK(RecvInOrderReleaseWhenEmpty);

void RecvReorderedPairs(benchmark::State& state) {
  const auto seg = random_bytes(kMss);
  std::vector<uint8_t> app(2 * kMss);
  RecvQueue q{SeqNum{1}, 131072};
  SeqNum seq{1};
  auto cycle = [&] {
    benchmark::DoNotOptimize(q.insert(seq + kMss, seg));  // out of order
    benchmark::DoNotOptimize(q.insert(seq, seg));         // fills the gap
    seq += 2 * kMss;
    benchmark::DoNotOptimize(q.read(app));
  };
  for (int i = 0; i < 8; ++i)
    cycle();
  const uint64_t before = synack::bench::heap::allocs;
  uint64_t segs = 0;
  for (auto _ : state) {
    cycle();
    segs += 2;
  }
  finish(state, synack::bench::heap::allocs - before, segs, q.buffer_bytes(), sizeof(RecvQueue));
}
BENCHMARK(RecvReorderedPairs);

void RecvOneLossPerWindow(benchmark::State& state) {
  constexpr uint32_t kFlight = 64;
  const auto seg = random_bytes(kMss);
  std::vector<uint8_t> app(kFlight * kMss);
  RecvQueue q{SeqNum{1}, 6u << 20};
  SeqNum seq{1};
  auto cycle = [&] {
    for (uint32_t i = 1; i < kFlight; ++i)
      benchmark::DoNotOptimize(q.insert(seq + i * kMss, seg));
    benchmark::DoNotOptimize(q.insert(seq, seg));  // the retransmission
    seq += kFlight * kMss;
    benchmark::DoNotOptimize(q.read(app));
  };
  for (int i = 0; i < 4; ++i)
    cycle();
  const uint64_t before = synack::bench::heap::allocs;
  uint64_t segs = 0;
  for (auto _ : state) {
    cycle();
    segs += kFlight;
  }
  finish(state, synack::bench::heap::allocs - before, segs, q.buffer_bytes(), sizeof(RecvQueue));
}
BENCHMARK(RecvOneLossPerWindow);

void SendWritePeekAck(benchmark::State& state) {
  const auto seg = random_bytes(kMss);
  std::vector<uint8_t> packet(kMss);
  SendQueue q{SeqNum{0xffff0000}, 4u << 20};  // tcp_wmem max
  SeqNum snd_nxt = q.snd_una();
  uint64_t n = 0;
  auto cycle = [&] {
    benchmark::DoNotOptimize(q.write(seg));
    q.peek(snd_nxt, kMss).copy_to(packet);  // the segment's payload
    benchmark::DoNotOptimize(packet.data());
    snd_nxt += kMss;
    // ~64 KB in flight; the peer ACKs every second segment.
    if (++n % 2 == 0 && snd_nxt - q.snd_una() > 65536) {
      benchmark::DoNotOptimize(q.ack(q.snd_una() + 2 * kMss));
    }
  };
  for (int i = 0; i < 200; ++i)
    cycle();
  const uint64_t before = synack::bench::heap::allocs;
  uint64_t segs = 0;
  for (auto _ : state) {
    cycle();
    ++segs;
  }
  finish(state, synack::bench::heap::allocs - before, segs, q.buffer_bytes(), sizeof(SendQueue));
}
BENCHMARK(SendWritePeekAck);

}  // namespace
