// Checksum vs memcpy on the same buffers (the checksum should be "invisible next to memcpy",
// wire/checksum.h), and parse/emit of a typical data segment. Run from a Release build:
//   build/<dir>/bench/checksum_bench
// Byte rates come from SetBytesProcessed, so Google Benchmark prints them as GB/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/checksum.h"
#include "wire/packet.h"

namespace synack::wire {
namespace {

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(i * 131 + 7);
  return b;
}

void BM_Checksum(benchmark::State& state) {
  const auto buf = pattern(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(buf.data());
    uint16_t c = internet_checksum(buf);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Checksum)->Arg(64)->Arg(1460)->Arg(64 * 1024);

void BM_Memcpy(benchmark::State& state) {
  const auto src = pattern(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> dst(src.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.data());
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(64)->Arg(1460)->Arg(64 * 1024);

// A 1460-byte data segment with timestamps, as on an established Linux connection.
Packet data_segment(const std::vector<uint8_t>& payload) {
  Packet p;
  p.ip.src = Ipv4Address::from_octets(10, 0, 0, 1);
  p.ip.dst = Ipv4Address::from_octets(10, 0, 0, 2);
  p.ip.id = 0x1234;
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 80;
  p.tcp.seq = SeqNum{123456789};
  p.tcp.ack = SeqNum{987654321};
  p.tcp.flags = 0x10;
  p.tcp.window = 502;
  p.tcp.options.timestamps = Timestamps{1000, 2000};
  p.tcp.payload = payload;
  return p;
}

void BM_EmitDataSegment(benchmark::State& state) {
  const auto payload = pattern(1460);
  const Packet p = data_segment(payload);
  std::vector<uint8_t> out(emitted_size(p));
  for (auto _ : state) {
    size_t n = emit_packet(p, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_EmitDataSegment);

void BM_ParseDataSegment(benchmark::State& state) {
  const auto payload = pattern(1460);
  const Packet p = data_segment(payload);
  std::vector<uint8_t> wire(emitted_size(p));
  if (emit_packet(p, wire) != wire.size()) state.SkipWithError("emit failed");
  const ParseOptions opts{.verify_checksums = state.range(0) != 0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(wire.data());
    auto r = parse_packet(wire, opts);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_ParseDataSegment)->ArgName("verify")->Arg(1)->Arg(0);

void BM_ParseIntoDataSegment(benchmark::State& state) {
  const auto payload = pattern(1460);
  const Packet p = data_segment(payload);
  std::vector<uint8_t> wire(emitted_size(p));
  if (emit_packet(p, wire) != wire.size()) state.SkipWithError("emit failed");
  const ParseOptions opts{.verify_checksums = state.range(0) != 0};
  Packet out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(wire.data());
    auto e = parse_packet_into(wire, out, opts);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_ParseIntoDataSegment)->ArgName("verify")->Arg(1)->Arg(0);

}  // namespace
}  // namespace synack::wire
