// Listener costs (issue 4 "Checked by": bytes per request record, SYN-with-cookie processing
// rate). Run from a Release build:  build/release/bench/listener_bench
//
//   BM_RequestRecordBytes   N SYNs from distinct sources to one listener whose backlog holds
//                           them all: heap bytes held per pending handshake (the record plus
//                           its share of the request table, measured with the counting
//                           allocator, glibc's 8-byte block header not included) and the
//                           stack's own request_bytes() / N.
//   BM_SynCookieRate        the whole Stack::input path for a SYN answered with a cookie
//                           (tcp_syncookies = 2): parse and checksum, connection and request
//                           lookups, listener, cookie, SYN+ACK built and checksummed into a
//                           PacketOutput that drops it. items_per_second = SYNs/s on one core.
//
// Figures (release preset, GCC 12, 2 shared cores, load ~9 — treat them as a floor):
//   request record: sizeof 88 bytes; heap 95.7 bytes per record at N = 1,000 and 98.5 at
//   N = 100,000 (record block + bucket slots; request_bytes() agrees: 96.2 / 98.5)
//   SYN-with-cookie through Stack::input: 245 ns per SYN = 4.09 M SYNs/s on one core
//   (60-byte SYN+ACK emitted per SYN)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "alloc_counter.h"
#include "base/rng.h"
#include "stack/stack.h"
#include "tcp/request_record.h"
#include "wire/packet.h"

namespace synack {
namespace {

using namespace synack::literals;
using stack::SysctlId;

const auto kServer = wire::Ipv4Address::from_octets(10, 0, 0, 1);

class NullOutput final : public PacketOutput {
 public:
  void transmit(std::span<const uint8_t> p, Instant) override { bytes += p.size(); }
  uint64_t bytes = 0;
};

// SYN packets from random sources, as Linux would send them (MSS, SACK, TS, wscale).
std::vector<std::vector<uint8_t>> make_syns(size_t n, uint64_t seed) {
  Rng rng{seed};
  std::vector<std::vector<uint8_t>> out(n);
  wire::Packet p;
  p.ip.dst = kServer;
  p.tcp.dst_port = 80;
  p.tcp.flags = wire::tcp_flags::kSyn;
  p.tcp.window = 64240;
  p.tcp.options.mss = 1460;
  p.tcp.options.sack_permitted = true;
  p.tcp.options.window_scale = 7;
  for (auto& b : out) {
    p.ip.src = wire::Ipv4Address{rng.next_u32() | 0x01000000u};
    p.tcp.src_port = static_cast<uint16_t>(1024 + rng.below(64000));
    p.tcp.seq = wire::SeqNum{rng.next_u32()};
    p.tcp.options.timestamps = wire::Timestamps{rng.next_u32(), 0};
    b.resize(wire::emitted_size(p));
    b.resize(wire::emit_packet(p, b));
  }
  return out;
}

void BM_RequestRecordBytes(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto syns = make_syns(n, 7);
  double per_record_heap = 0;
  double per_record_reported = 0;
  for (auto _ : state) {
    NullOutput out;
    Stack st({.address = kServer}, 1, out);
    (void)st.sysctls().set_value(SysctlId::kSomaxconn, 1 << 24);
    (void)st.sysctls().set_value(SysctlId::kTcpMaxSynBacklog, 1 << 24);
    const SocketId l = st.socket().value();
    (void)st.bind(l, Endpoint{kServer, 80});
    (void)st.listen(l, 1 << 24, Instant::zero());
    const int64_t before = bench::heap::total_live_bytes();
    for (const auto& s : syns)
      st.input(s, Instant::zero());
    const int64_t after = bench::heap::total_live_bytes();
    if (st.request_count() != n) state.SkipWithError("not every SYN made a record");
    per_record_heap = double(after - before) / double(n);
    per_record_reported = double(st.request_bytes()) / double(n);
  }
  state.counters["sizeof_record"] = sizeof(tcp::RequestRecord);
  state.counters["heap_bytes_per_record"] = per_record_heap;
  state.counters["request_bytes_per_record"] = per_record_reported;
}
BENCHMARK(BM_RequestRecordBytes)
    ->Arg(1000)
    ->Arg(100000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_SynCookieRate(benchmark::State& state) {
  NullOutput out;
  Stack st({.address = kServer}, 1, out);
  (void)st.sysctls().set_value(SysctlId::kTcpSyncookies, 2);
  const SocketId l = st.socket().value();
  (void)st.bind(l, Endpoint{kServer, 80});
  (void)st.listen(l, 128, Instant::zero());
  const auto syns = make_syns(4096, 11);
  size_t i = 0;
  Instant now = Instant::zero() + 1_s;
  for (auto _ : state) {
    st.input(syns[i], now);
    if (++i == syns.size()) {
      i = 0;
      now = now + 1_ms;
    }
  }
  if (st.request_count() != 0) state.SkipWithError("a cookie SYN left a record");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["synack_bytes"] = double(out.bytes) / double(state.iterations());
}
BENCHMARK(BM_SynCookieRate);

}  // namespace
}  // namespace synack
