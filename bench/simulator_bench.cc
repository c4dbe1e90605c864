// The simulator's event loop: how many packet events per second src/sim moves (issue 2), and
// what the link decorators and a real TCP transfer cost on top.
//
//   Bounce/inflight:K        K full-sized packets bouncing between two reflector hosts over a
//                            cable (1 ms latency, unlimited bandwidth): every event is one
//                            packet delivery, so the heap holds K events. Only the simulator,
//                            the links and the pool are measured.
//   BounceShaped/inflight:K  the same over a 10 Gbit/s link with a queue (serialization
//                            arithmetic and queue bookkeeping per packet)
//   BounceFaults/inflight:K  a FaultInjector in front of each link with a rule that parses
//                            every packet and never fires (the cost of a matching rule)
//   BouncePcap/inflight:K    a PcapTap writing every packet to /dev/null
//   StackBulk                two synack Stacks (sim::StackHost) over a 10 Gbit/s, 50 us
//                            cable, one connection, an application timer writing and
//                            reading every 100 us of virtual time: the whole system
//
// Counters: events/s and pkts/s (per second of wall time), and for StackBulk GB/s of payload
// and the virtual-time speed-up (virtual seconds simulated per wall second). allocs is not
// counted here: the simulator's own tests check the pool; bench/tcp_bulk_bench.cc counts the
// stacks.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/fault_injector.h"
#include "link/pcap_tap.h"
#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "wire/packet.h"

namespace synack::bench {
namespace {

using namespace synack::literals;

const auto kAddrA = wire::Ipv4Address::from_octets(10, 0, 0, 1);
const auto kAddrB = wire::Ipv4Address::from_octets(10, 0, 0, 2);

// Sends every packet it receives straight back (same buffer, no copy).
class Reflector final : public sim::Host {
 public:
  void attach(link::PacketSink& out) { out_ = &out; }
  void receive(sim::PacketPtr packet, Instant now) override {
    ++received_;
    out_->push(std::move(packet), now);
  }
  [[nodiscard]] uint64_t received() const { return received_; }

 private:
  link::PacketSink* out_ = nullptr;
  uint64_t received_ = 0;
};

// A valid full-sized TCP segment, so that decorators that parse see a real packet.
std::vector<uint8_t> full_segment() {
  static const std::vector<uint8_t> payload(1448, 0xab);
  wire::Packet p;
  p.ip.src = kAddrA;
  p.ip.dst = kAddrB;
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 5001;
  p.tcp.flags = wire::tcp_flags::kAck;
  p.tcp.window = 512;
  p.tcp.payload = payload;
  std::vector<uint8_t> out(1500);
  out.resize(wire::emit_packet(p, out));
  return out;
}

enum class Decor { kNone, kShaped, kFaults, kPcap };

void bounce(benchmark::State& state, Decor decor) {
  const auto inflight = static_cast<size_t>(state.range(0));
  sim::Simulator sim(1);
  Reflector a, b;
  const sim::HostId ia = sim.add_host(a, "a");
  const sim::HostId ib = sim.add_host(b, "b");
  link::LinkParams params{.latency = 1_ms};
  if (decor == Decor::kShaped) {
    params.bandwidth_bps = 10'000'000'000;
    params.queue_packets = 100'000;
  }
  auto cable = sim.add_cable(ia, ib, params);
  std::optional<link::FaultInjector> fa, fb;
  std::unique_ptr<link::PcapWriter> writer;
  std::optional<link::PcapTap> ta, tb;
  link::PacketSink* out_a = &cable.a_to_b;
  link::PacketSink* out_b = &cable.b_to_a;
  if (decor == Decor::kFaults) {
    fa.emplace("fa", cable.a_to_b, sim, sim.pool());
    fb.emplace("fb", cable.b_to_a, sim, sim.pool());
    // Matches nothing these packets carry (RST), armed forever: every packet is parsed.
    link::FaultRule never{.kind = link::FaultKind::kDrop,
                          .match = {.flags_all = wire::tcp_flags::kRst},
                          .times = link::FaultRule::kForever};
    fa->add(never);
    fb->add(never);
    out_a = &*fa;
    out_b = &*fb;
  } else if (decor == Decor::kPcap) {
    auto w = link::PcapWriter::open("/dev/null");
    if (!w.has_value()) {
      state.SkipWithError("cannot open /dev/null for pcap");
      return;
    }
    writer = std::move(w.value());
    ta.emplace(*writer, cable.a_to_b);
    tb.emplace(*writer, cable.b_to_a);
    out_a = &*ta;
    out_b = &*tb;
  }
  a.attach(*out_a);
  b.attach(*out_b);
  const auto seg = full_segment();
  for (size_t i = 0; i < inflight; ++i)
    out_a->push(sim.pool().copy(seg), sim.now());
  constexpr int kEventsPerIteration = 10'000;
  for (int i = 0; i < 1000; ++i)
    (void)sim.step();  // warm-up: the heap and the pool at their working sizes
  const uint64_t events0 = sim.events_processed();
  const uint64_t packets0 = a.received() + b.received();
  for (auto _ : state) {
    for (int i = 0; i < kEventsPerIteration; ++i) {
      if (!sim.step()) {
        state.SkipWithError("event queue ran dry");
        return;
      }
    }
  }
  const auto events = static_cast<double>(sim.events_processed() - events0);
  const auto packets = static_cast<double>(a.received() + b.received() - packets0);
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["pkts/s"] = benchmark::Counter(packets, benchmark::Counter::kIsRate);
  state.counters["pool_buffers"] = static_cast<double>(sim.pool().created());
}

void Bounce(benchmark::State& state) {
  bounce(state, Decor::kNone);
}
void BounceShaped(benchmark::State& state) {
  bounce(state, Decor::kShaped);
}
void BounceFaults(benchmark::State& state) {
  bounce(state, Decor::kFaults);
}
void BouncePcap(benchmark::State& state) {
  bounce(state, Decor::kPcap);
}
BENCHMARK(Bounce)->ArgName("inflight")->Arg(1)->Arg(64)->Arg(4096)->UseRealTime();
BENCHMARK(BounceShaped)->ArgName("inflight")->Arg(64)->UseRealTime();
BENCHMARK(BounceFaults)->ArgName("inflight")->Arg(64)->UseRealTime();
BENCHMARK(BouncePcap)->ArgName("inflight")->Arg(64)->UseRealTime();

// The application side of StackBulk: every `period` of virtual time, A writes what its send
// buffer takes and B reads everything; then both hosts are poked.
class App final : public sim::Timer {
 public:
  App(sim::Simulator& sim, sim::StackHost& a, sim::StackHost& b, sim::HostId ia, sim::HostId ib,
      SocketId c, SocketId s)
      : sim_(sim),
        a_(a),
        b_(b),
        ia_(ia),
        ib_(ib),
        c_(c),
        s_(s),
        src_(64 * 1024, 0x5a),
        dst_(256 * 1024) {}

  void fire(Instant now) override {
    for (;;) {
      auto r = a_.stack().send(c_, src_, now);
      if (!r.has_value() || r.value() == 0) break;
    }
    for (;;) {
      auto r = b_.stack().recv(s_, dst_, now);
      if (!r.has_value() || r.value() == 0) break;
      received_ += r.value();
    }
    sim_.poke(ia_);
    sim_.poke(ib_);
    sim_.schedule(now + 100_us, *this);
  }
  [[nodiscard]] uint64_t received() const { return received_; }

 private:
  sim::Simulator& sim_;
  sim::StackHost& a_;
  sim::StackHost& b_;
  sim::HostId ia_, ib_;
  SocketId c_, s_;
  std::vector<uint8_t> src_;
  std::vector<uint8_t> dst_;
  uint64_t received_ = 0;
};

void StackBulk(benchmark::State& state) {
  sim::Simulator sim(1);
  sim::StackHost a({.address = kAddrA}, 3, sim.pool());
  sim::StackHost b({.address = kAddrB}, 4, sim.pool());
  const sim::HostId ia = sim.add_host(a, "a");
  const sim::HostId ib = sim.add_host(b, "b");
  auto cable = sim.add_cable(
      ia, ib, {.latency = 50_us, .bandwidth_bps = 10'000'000'000, .queue_packets = 10'000});
  a.attach(cable.a_to_b);
  b.attach(cable.b_to_a);
  Stack& cs = a.stack();
  Stack& ss = b.stack();
  const SocketId l = ss.socket().value();
  if (ss.bind(l, Endpoint{kAddrB, 5001}) != 0 || ss.listen(l, 16, sim.now()) != 0) {
    state.SkipWithError("listen failed");
    return;
  }
  const SocketId c = cs.socket().value();
  (void)cs.connect(c, Endpoint{kAddrB, 5001}, sim.now());
  sim.poke(ia);
  sim.run_for(10_ms);
  auto s = ss.accept(l, sim.now());
  if (!s.has_value()) {
    state.SkipWithError("handshake failed");
    return;
  }
  App app(sim, a, b, ia, ib, c, s.value());
  sim.schedule(sim.now(), app);
  sim.run_for(100_ms);  // warm-up: slow start done, buffers at their working sizes
  const uint64_t events0 = sim.events_processed();
  const uint64_t bytes0 = app.received();
  const Instant t0 = sim.now();
  for (auto _ : state)
    sim.run_for(10_ms);
  const auto events = static_cast<double>(sim.events_processed() - events0);
  const auto bytes = static_cast<double>(app.received() - bytes0);
  if (bytes == 0) {
    state.SkipWithError("no data moved");
    return;
  }
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsRate);
  state.counters["virtual_Gbit/s"] = bytes * 8 / 1e9 / (sim.now() - t0).secs();
  state.counters["virtual_s/s"] =
      benchmark::Counter((sim.now() - t0).secs(), benchmark::Counter::kIsRate);
}
BENCHMARK(StackBulk)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synack::bench
