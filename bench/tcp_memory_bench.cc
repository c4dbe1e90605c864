// Memory held by one idle ESTABLISHED connection with empty buffers (TCP engine issue target:
// under 512 bytes including its table entry), measured, not computed.
//
// Method: two Stacks over the in-memory wire; after a warm-up connection (the listener and the
// tables exist), open N connections from A to B, accept each, let every timer due within a
// second fire, and count the heap the stacks gained, per side, with a counting operator new
// (bench/alloc_counter.h: allocator usable sizes, attributed to the stack whose call was
// running). Per-connection bytes = that heap / N + sizeof(Tcb) is NOT added separately: the
// Tcb is itself a heap block, so the heap figure already holds it. Growth of shared arrays
// (socket vector, connection-table buckets, port map) is included at its amortized share,
// which is why two values of N are run.
//
//   IdleConnection/conns:N/traffic:0   connections that never carried data
//   IdleConnection/conns:N/traffic:1   each sent 1 KiB each way first, then went idle with
//                                      everything read and acknowledged ("empty buffers"
//                                      after use: shows whether buffer memory is given back)
//
// Counters (per connection): client_bytes, server_bytes (heap, usable sizes), client_blocks,
// server_blocks (heap blocks; glibc adds an 8-byte header to each), and for reference
// sizeof_tcb, the breakdown of its biggest members, and table_share (the stack's own
// table_bytes_per_connection() minus sizeof(Tcb)). target_512 is 1 when both sides are under
// 512 bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "alloc_counter.h"
#include "in_memory_pair.h"
#include "tcp/tcb.h"

namespace synack::bench {
namespace {

struct Idle {
  SocketId client;
  SocketId server;
};

void IdleConnection(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const bool traffic = state.range(1) != 0;
  double client = 0, server = 0, client_blocks = 0, server_blocks = 0, table = 0;
  for (auto _ : state) {
    InMemoryPair pair;
    pair.on_enter = &heap::set_side;
    std::vector<Idle> conns;
    conns.reserve(n + 1);
    std::vector<uint8_t> buf(4096, 0x5a);
    auto open_one = [&]() -> bool {
      auto [c, s] = pair.connect();
      if (c == kNoSocket || s == kNoSocket) return false;
      conns.push_back({c, s});
      if (!traffic) return true;
      const std::span<const uint8_t> kib(buf.data(), 1024);
      heap::set_side(0);
      if (!pair.a().send(c, kib, pair.now()).has_value()) return false;
      heap::set_side(1);
      if (!pair.b().send(s, kib, pair.now()).has_value()) return false;
      pair.pump();
      size_t got_a = 0, got_b = 0;
      for (int round = 0; round < 100 && (got_a < 1024 || got_b < 1024); ++round) {
        heap::set_side(1);
        if (auto r = pair.b().recv(s, buf, pair.now()); r.has_value()) got_b += r.value();
        heap::set_side(0);
        if (auto r = pair.a().recv(c, buf, pair.now()); r.has_value()) got_a += r.value();
        pair.step(Duration::millis(1));
      }
      return got_a == 1024 && got_b == 1024;
    };
    if (!open_one()) {
      state.SkipWithError("warm-up connection failed");
      return;
    }
    while (pair.settle(pair.now() + Duration::seconds(1))) {
    }
    const int64_t a0 = heap::live_bytes[0], b0 = heap::live_bytes[1];
    const int64_t ab0 = heap::live_blocks[0], bb0 = heap::live_blocks[1];
    for (size_t i = 0; i < n; ++i) {
      if (!open_one()) {
        state.SkipWithError("connection failed");
        return;
      }
    }
    // Delayed ACKs and anything else due soon fire; nothing may stay in flight.
    while (pair.settle(pair.now() + Duration::seconds(1))) {
    }
    heap::set_side(2);
    for (const Idle& c : conns) {
      auto ia = pair.a().info(c.client);
      auto ib = pair.b().info(c.server);
      if (!ia.has_value() || !ib.has_value() || ia->state != tcp::State::kEstablished ||
          ib->state != tcp::State::kEstablished || ia->send_queue != 0 || ib->send_queue != 0 ||
          ia->recv_queue != 0 || ib->recv_queue != 0) {
        state.SkipWithError("a connection is not idle ESTABLISHED with empty queues");
        return;
      }
    }
    const auto per = [n](int64_t v) { return static_cast<double>(v) / static_cast<double>(n); };
    client = per(heap::live_bytes[0] - a0);
    server = per(heap::live_bytes[1] - b0);
    client_blocks = per(heap::live_blocks[0] - ab0);
    server_blocks = per(heap::live_blocks[1] - bb0);
    table = static_cast<double>(pair.b().table_bytes_per_connection()) -
            static_cast<double>(sizeof(tcp::Tcb));
  }
  state.counters["client_bytes"] = client;
  state.counters["server_bytes"] = server;
  state.counters["client_blocks"] = client_blocks;
  state.counters["server_blocks"] = server_blocks;
  state.counters["sizeof_tcb"] = sizeof(tcp::Tcb);
  state.counters["sizeof_sq"] = sizeof(tcp::SendQueue);
  state.counters["sizeof_rq"] = sizeof(tcp::RecvQueue);
  state.counters["sizeof_rtt"] = sizeof(tcp::RttEstimator);
  state.counters["sizeof_cc"] = sizeof(tcp::CongestionControl);
  state.counters["sizeof_opt"] = sizeof(tcp::TcbOptions);
  state.counters["sizeof_timer"] = sizeof(stack::TimerEntry);
  state.counters["table_share"] = table;
  state.counters["target_512"] = client < 512 && server < 512 ? 1 : 0;
}
BENCHMARK(IdleConnection)
    ->ArgNames({"conns", "traffic"})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Args({1000, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synack::bench
