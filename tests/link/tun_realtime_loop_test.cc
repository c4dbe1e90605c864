// RealtimeLoop: run limits, the delay queue's timing and order, and two real Stacks talking
// through two loops over an AF_UNIX datagram socketpair (a stand-in for a TUN that needs no
// root), with and without the simulator's random impairments in between. Each loop runs on
// its own thread and owns its own Stack; the socketpair is all they share.
#include "link/realtime_loop.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "base/rng.h"
#include "link/fault_injector.h"
#include "link/sim_link.h"

namespace synack::link {
namespace {

using namespace synack::literals;

struct DevicePair {
  DevicePair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) std::abort();
    a.emplace(TunDevice::adopt(sv[0], "a").value());
    b.emplace(TunDevice::adopt(sv[1], "b").value());
  }
  std::optional<TunDevice> a, b;
};

struct Recorder final : PacketSink {
  void push(PacketPtr packet, Instant now) override {
    firsts.push_back(packet->bytes()[0]);
    times.push_back(now);
  }
  std::vector<uint8_t> firsts;
  std::vector<Instant> times;
};

TEST(RealtimeLoop, RunEndsAtItsDeadline) {
  DevicePair d;
  RealtimeLoop loop(*d.a);
  const Instant until = loop.now() + 30_ms;
  auto r = loop.run(RunLimits{.until = until});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, RunEnd::kDeadline);
  EXPECT_GE(loop.now(), until);
  EXPECT_LT(loop.now(), until + 1_s);  // it slept, and not for long
}

TEST(RealtimeLoop, RunEndsOnPredicateAndOnStopFlag) {
  DevicePair d;
  RealtimeLoop loop(*d.a);
  int steps = 0;
  loop.on_step([&](Instant) { ++steps; });
  auto done = loop.run(RunLimits{.until = loop.now() + 10_s, .done = [&] { return steps >= 1; }});
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, RunEnd::kDone);
  EXPECT_EQ(steps, 1);

  std::atomic<bool> stop{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    stop = true;
  });
  const Instant start = loop.now();
  auto stopped = loop.run(RunLimits{.until = start + 10_s, .stop = &stop});
  setter.join();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(*stopped, RunEnd::kStopped);
  EXPECT_LT(loop.now() - start, 5_s);
}

TEST(RealtimeLoop, DelayQueueDeliversInTimeOrderNotBeforeItsTime) {
  DevicePair d;
  RealtimeLoop loop(*d.a);
  Recorder rec;
  const Instant t0 = loop.now();
  const std::vector<std::pair<Duration, uint8_t>> plan{
      {40_ms, 3}, {10_ms, 1}, {40_ms, 4}, {20_ms, 2}};
  for (auto [delay, tag] : plan)
    loop.deliver_at(t0 + delay, rec, loop.pool().copy(std::vector<uint8_t>{tag}));
  auto r = loop.run(RunLimits{.until = t0 + 2_s, .done = [&] { return rec.firsts.size() == 4; }});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, RunEnd::kDone);
  EXPECT_EQ(rec.firsts, (std::vector<uint8_t>{1, 2, 3, 4}));  // equal times keep FIFO order
  const std::vector<Duration> due{10_ms, 20_ms, 40_ms, 40_ms};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_GE(rec.times[i], t0 + due[i]) << i;
  EXPECT_EQ(loop.delayed(), 0u);
}

TEST(RealtimeLoop, DevicePacketsReachTheInboundChainAndDeviceSinkWrites) {
  DevicePair d;
  RealtimeLoop loop(*d.a);
  Recorder rec;
  loop.set_inbound(rec);
  const std::vector<uint8_t> p{0x45, 0, 0, 20};
  ASSERT_TRUE(d.b->write(p) && *d.b->write(p));
  auto r = loop.run(
      RunLimits{.until = loop.now() + 2_s, .done = [&] { return rec.firsts.size() == 2; }});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, RunEnd::kDone);
  EXPECT_EQ(loop.counters().packets_read, 2u);

  loop.device_sink().push(loop.pool().copy(p), loop.now());
  std::array<uint8_t, 16> buf{};
  auto got = d.b->read(buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, p.size());
  EXPECT_EQ(loop.counters().packets_written, 1u);
}

// The simulator's scripted FaultInjector works unchanged between a stack and a real device:
// its delays go through the loop's delay queue.
TEST(RealtimeLoop, FaultInjectorDropsAndDelaysOnTheRealLink) {
  DevicePair d;
  RealtimeLoop loop(*d.a);
  FaultInjector faults("a out", loop.device_sink(), loop, loop.pool());
  faults.add(drop_next({}, "first lost"));
  faults.add(delay_next({}, 30_ms, "second late"));
  loop.set_outbound(faults);
  const Instant t0 = loop.now();
  for (uint8_t tag : {1, 2, 3})
    loop.output().transmit(std::vector<uint8_t>{tag}, t0);
  EXPECT_EQ(loop.delayed(), 1u);
  auto r = loop.run(RunLimits{.until = t0 + 2_s, .done = [&] { return loop.delayed() == 0; }});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, RunEnd::kDone);
  EXPECT_GE(loop.now(), t0 + 30_ms);
  std::vector<uint8_t> arrived;
  std::array<uint8_t, 16> buf{};
  for (auto n = d.b->read(buf); n && *n > 0; n = d.b->read(buf))
    arrived.push_back(buf[0]);
  EXPECT_EQ(arrived, (std::vector<uint8_t>{3, 2}));  // 1 dropped, 2 overtaken by 3
  EXPECT_EQ(faults.fired(0), 1u);
  EXPECT_EQ(faults.fired(1), 1u);
}

// The server side: accepts, echoes, closes after the peer's FIN once everything is echoed.
void echo_step(Stack& st, SocketId listener,
               std::vector<std::pair<SocketId, std::vector<uint8_t>>>& conns, Instant now) {
  for (auto c = st.accept(listener, now); c; c = st.accept(listener, now))
    conns.push_back({*c, {}});
  std::array<uint8_t, 8192> buf{};
  for (auto it = conns.begin(); it != conns.end();) {
    auto& [s, pending] = *it;
    bool eof = false;
    for (;;) {
      if (!pending.empty()) {
        auto n = st.send(s, pending, now);
        if (!n) break;
        pending.erase(pending.begin(), pending.begin() + static_cast<long>(*n));
        if (!pending.empty()) break;
      }
      auto r = st.recv(s, buf, now);
      if (!r) break;
      if (*r == 0) {
        eof = true;
        break;
      }
      pending.assign(buf.begin(), buf.begin() + static_cast<long>(*r));
    }
    if (eof && pending.empty()) {
      EXPECT_EQ(st.close(s, now), 0);
      it = conns.erase(it);
    } else {
      ++it;
    }
  }
}

struct EchoResult {
  std::vector<uint8_t> sent, received;
  RunEnd end = RunEnd::kDeadline;
  uint64_t link_drops = 0;
};

// Client on loop A (optionally behind lossy SimLinks both ways), echo server on loop B.
EchoResult echo_over_pair(size_t bytes, double loss, uint64_t seed) {
  DevicePair d;
  const auto addr_a = wire::Ipv4Address::from_octets(10, 99, 0, 1);
  const auto addr_b = wire::Ipv4Address::from_octets(10, 99, 0, 2);
  std::atomic<bool> stop_server{false};
  std::thread server([&] {
    RealtimeLoop loop(*d.b);
    Stack st(StackConfig{.address = addr_b}, seed + 1, loop.output());
    loop.attach(st);
    auto ls = st.socket();
    EXPECT_TRUE(ls);
    EXPECT_EQ(st.bind(*ls, Endpoint{addr_b, 7}), 0);
    EXPECT_EQ(st.listen(*ls, 8, loop.now()), 0);
    std::vector<std::pair<SocketId, std::vector<uint8_t>>> conns;
    loop.on_step([&](Instant now) { echo_step(st, *ls, conns, now); });
    auto r = loop.run(RunLimits{.until = loop.now() + 30_s, .stop = &stop_server});
    EXPECT_TRUE(r);
  });

  EchoResult out;
  Rng rng(seed);
  out.sent.resize(bytes);
  rng.fill(out.sent.data(), out.sent.size());
  RealtimeLoop loop(*d.a);
  Stack st(StackConfig{.address = addr_a}, seed, loop.output());
  loop.attach(st);
  const LinkParams params{.loss = loss, .reorder = loss, .reorder_delay = 3_ms};
  SimLink out_link("a->b", loop, loop.pool(), rng.fork(), params);
  SimLink in_link("b->a", loop, loop.pool(), rng.fork(), params);
  out_link.connect(loop.device_sink());
  in_link.connect(loop.stack_sink());
  loop.set_outbound(out_link);
  loop.set_inbound(in_link);

  auto s = st.socket();
  EXPECT_TRUE(s);
  // The server thread may not be listening yet: retry refused connects.
  bool connecting = false, connected = false, eof = false, shut = false;
  size_t sent = 0;
  std::array<uint8_t, 8192> buf{};
  Instant retry_at = Instant::zero();
  loop.on_step([&](Instant now) {
    if (!connecting && now >= retry_at) {
      if (connected) return;
      if (st.connect(*s, Endpoint{addr_b, 7}, now) == EINPROGRESS) connecting = true;
    }
    if (!connecting) return;
    const uint32_t ready = st.readiness(*s);
    if (connecting && !connected) {
      if (ready & ready::kErr) {  // refused: try again in a moment with a new socket
        (void)st.take_error(*s);
        (void)st.close(*s, now);
        s = st.socket();
        connecting = false;
        retry_at = now + 20_ms;
        return;
      }
      if (!(ready & ready::kOut)) return;
      connected = true;
    }
    while (sent < out.sent.size()) {
      auto n = st.send(*s, std::span(out.sent).subspan(sent), now);
      if (!n) break;
      sent += *n;
    }
    if (sent == out.sent.size() && !shut) shut = st.shutdown(*s, ShutdownHow::kWrite, now) == 0;
    for (;;) {
      auto r = st.recv(*s, buf, now);
      if (!r) break;
      if (*r == 0) {
        eof = true;
        break;
      }
      out.received.insert(out.received.end(), buf.begin(), buf.begin() + static_cast<long>(*r));
    }
  });
  auto r = loop.run(RunLimits{.until = loop.now() + 25_s, .done = [&] { return eof; }});
  if (r) out.end = *r;
  if (eof) (void)st.close(*s, loop.now());
  stop_server = true;
  server.join();
  out.link_drops = out_link.counters().drops_total() + in_link.counters().drops_total();
  return out;
}

TEST(RealtimeLoop, TwoStacksEchoOverADatagramPair) {
  const EchoResult r = echo_over_pair(200'000, 0.0, 11);
  EXPECT_EQ(r.end, RunEnd::kDone);
  EXPECT_EQ(r.received.size(), r.sent.size());
  EXPECT_TRUE(r.received == r.sent);
  EXPECT_EQ(r.link_drops, 0u);
}

TEST(RealtimeLoop, EchoSurvivesFivePercentLossAndReordering) {
  const uint64_t seed = 23;
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  const EchoResult r = echo_over_pair(100'000, 0.05, seed);
  EXPECT_EQ(r.end, RunEnd::kDone);
  EXPECT_EQ(r.received.size(), r.sent.size());
  EXPECT_TRUE(r.received == r.sent);
  EXPECT_GT(r.link_drops, 0u);  // the impairment really was in the path
}

}  // namespace
}  // namespace synack::link
