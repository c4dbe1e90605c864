// Zero-window probing with a peer that answers one RTT later (SPEC §7.2, §8.7). The tests in
// linger_orphan_test.cc answer each probe at the instant it leaves, where "from the probe"
// and "from the answer" give the same times; here the answer comes 20 ms later, which tells
// them apart. Linux facts (net/ipv4/tcp_input.c tcp_ack_probe, tcp_output.c tcp_send_probe0 /
// tcp_write_wakeup / tcp_xmit_probe_skb, tcp_timer.c tcp_probe_timer):
// - tcp_ack() calls tcp_ack_probe() when nothing was in flight: if the head of the send queue
//   still does not fit in the window, the probe timer restarts from that ACK with
//   tcp_probe0_when() = min(max(RTO, 200 ms) << backoff, 120 s); if it fits, backoff is
//   cleared and the timer stopped;
// - a probe firing that finds room for some data sends that data instead of a bare probe
//   (tcp_write_wakeup) and is not counted as TCPWinProbe (only tcp_xmit_probe_skb counts);
//   with data in flight, tcp_send_probe0() clears probes_out and backoff.
// With RTO 200 ms and answers 20 ms after each probe: probes at +0.2 s after the data got
// stuck, then each answer + 0.4, 0.8, 1.6, 3.2 ... s.
#include <gtest/gtest.h>

#include <algorithm>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using ConformanceZeroWindowRtt = TcpScript;

SegSpec bare_probe() {
  return {.flags = ack, .seq = 0, .ack = 1, .len = 0};
}
SegSpec window_zero() {
  return {.flags = ack, .seq = 1, .ack = 1, .win = 0};
}

// SPEC §7.2: a held socket's probe timer restarts from each window-0 answer.
TEST_F(ConformanceZeroWindowRtt, ProbeTimerRestartsFromEachWindowZeroAnswer) {
  const SocketId s = establish_active();
  inject(at(500_ms), window_zero());
  send(at(1_s), s, 100);
  const Instant probes[] = {at(1200_ms), at(1620_ms), at(2440_ms), at(4060_ms), at(7280_ms)};
  for (const Instant p : probes) {
    expect_nothing_until(p);
    expect(p, bare_probe());
    inject(p + 20_ms, window_zero());
  }
  // Last answer at 7.30 s: the next probe would be due at 13.70 s. The window opens first.
  expect_nothing_until(at(8_s));
  inject(at(8_s), {.flags = ack, .seq = 1, .ack = 1, .win = 1});  // 128 bytes (wscale 7)
  expect(at(8_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  inject(at(8020_ms), {.flags = ack, .seq = 1, .ack = 101, .win = 1});
  expect_nothing_until(at(20_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPWinProbe], 5u);
}

// SPEC §8.7, §17: the orphan pinned by a zero window still dies, one firing after its
// backed-off RTO reached 120 s (tcp_probe_timer: not "alive", tcp_orphan_retries 0) — now
// counted from the last answer: ten probes, the last at 205.78 s, answered at 205.80 s,
// death at 325.80 s.
TEST_F(ConformanceZeroWindowRtt, OrphanDiesOneMaxIntervalAfterLastAnswer) {
  const SocketId s = establish_active();
  inject(at(500_ms), window_zero());
  send(at(1_s), s, 1000);
  close(at(1_s), s);
  expect_state(at(1_s), State::kFinWait1);
  Instant probe = at(1200_ms);
  Duration gap = 200_ms;
  for (int backoff = 0; backoff < 10; ++backoff) {
    expect_nothing_until(probe);
    expect(probe, bare_probe());
    inject(probe + 20_ms, window_zero());
    expect_state(probe + 20_ms, State::kFinWait1);
    gap = std::min(gap * 2, Duration(120_s));
    probe = probe + 20_ms + gap;
  }
  const Instant death = at(325800_ms);
  ASSERT_EQ(probe, death);
  expect_state(death - 1_ms, State::kFinWait1);
  expect_nothing_until(death);
  expect_gone(death);
  expect_nothing_until(death + 100_s);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPWinProbe], 10u);
}

// A window too small for the head of the queue (sender SWS avoidance holds it back) does not
// end probing: the timer restarts from the answer with the backed-off interval. The firing
// then sends what fits (tcp_write_wakeup), not counted as TCPWinProbe, and with data in
// flight the backoff is gone: the next firing comes max(RTO, 200 ms) after the ACK.
TEST_F(ConformanceZeroWindowRtt, SmallWindowProbeSendsDataUncountedAndClearsBackoff) {
  const SocketId s = establish_active();
  inject(at(500_ms), window_zero());
  send(at(1_s), s, 1000);
  expect_nothing_until(at(1200_ms));
  expect(at(1200_ms), bare_probe());
  inject(at(1220_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 1});  // 128 bytes
  expect_nothing_until(at(1620_ms));
  expect(at(1620_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 128});
  inject(at(1620_ms), {.flags = ack, .seq = 1, .ack = 129, .win = 1});
  expect_nothing_until(at(1820_ms));
  expect(at(1820_ms), {.flags = psh_ack, .seq = 129, .ack = 1, .len = 128});
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPWinProbe], 1u);
}

}  // namespace
}  // namespace synack::tcptest
