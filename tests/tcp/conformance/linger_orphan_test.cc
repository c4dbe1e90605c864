// SO_LINGER (SPEC §12) and orphans pinned by a zero window (SPEC §8.7, §17 "zero-window peer
// pinning FIN-WAIT-1 and tcp_orphan_retries").
//
// Zero-window probing, Linux facts (net/ipv4/tcp_timer.c tcp_probe_timer, tcp_output.c
// tcp_send_probe0 / tcp_write_wakeup, tcp_input.c tcp_ack_probe):
// - the first probe goes tcp_probe0_base = max(RTO, 200 ms) after data got stuck; each probe
//   bumps icsk_backoff and the next comes min(base << backoff, 120 s) later, even when the
//   peer answers (its ACK with window 0 re-arms the timer with the same formula);
// - a probe with nothing sendable inside the window is a bare ACK with seq = SND.UNA − 1;
// - the peer's ACKs reset icsk_probes_out, so a non-orphan probes forever while the peer
//   answers; an orphan is "alive" only while base << backoff < 120 s, after which
//   tcp_orphan_retries(0) stays 0 and the firing kills it (ETIMEDOUT internally, no RST).
// With RTO 200 ms: probes at +0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4, 51.0, 102.2, 204.6 s after
// the data got stuck (backoff 0..9, alive while 0.2 × 2^backoff < 120), and the orphan dies at
// the next firing, +324.6 s.
#include <gtest/gtest.h>

#include <vector>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using ConformanceLinger = TcpScript;
using ConformanceZeroWindow = TcpScript;

// SPEC §12.1: SO_LINGER {on, 0}: close() sends RST+ACK (seq = SND.NXT, Linux tcp_disconnect →
// tcp_send_active_reset), the connection is gone at once (no FIN, no TIME-WAIT); the peer's
// late ACK finds nothing and is reset.
TEST_F(ConformanceLinger, LingerZeroCloseSendsRstNoTimeWait) {
  const SocketId s = establish_active();
  set_option(s, SockOpt::kLinger, 0);
  send(at(1_s), s, 1000);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  close(at(1050_ms), s);
  expect(at(1050_ms), {.flags = rst_ack, .seq = 1001, .ack = 1});
  expect_gone(at(1050_ms));
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = 1001});
  expect(at(1100_ms), {.flags = rst, .seq = 1001});
  expect_nothing_until(at(100_s));
}

// SPEC §12.1 on an idle connection: RST at SND.NXT = 1 instead of a FIN.
TEST_F(ConformanceLinger, LingerZeroOnIdleConnection) {
  const SocketId s = establish_active();
  set_option(s, SockOpt::kLinger, 0);
  close(at(1_s), s);
  expect(at(1_s), {.flags = rst_ack, .seq = 1, .ack = 1});
  expect_gone(at(1_s));
  expect_nothing_until(at(100_s));
}

// SPEC §12.3: SO_LINGER off (the default, and -1 here) is the normal background close.
TEST_F(ConformanceLinger, LingerOffIsNormalClose) {
  const SocketId s = establish_active();
  set_option(s, SockOpt::kLinger, -1);
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect_state(at(1_s), State::kFinWait1);
}

std::vector<Duration> zero_window_probe_offsets() {
  std::vector<Duration> v;
  Duration t = Duration::zero();
  Duration gap = 200_ms;
  for (int backoff = 0; backoff < 10; ++backoff) {
    t += gap;
    v.push_back(t);
    gap = std::min(gap * 2, Duration(120_s));
  }
  return v;  // +0.2 ... +204.6 s
}

// SPEC §8.7, §17: the peer advertises window 0 forever and answers every probe. Closed by the
// application, the FIN-WAIT-1 orphan must not live forever: it dies silently at +324.6 s.
TEST_F(ConformanceZeroWindow, OrphanInFinWait1IsNotPinnedForever) {
  const SocketId s = establish_active();
  inject(at(500_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  send(at(1_s), s, 1000);
  close(at(1_s), s);
  expect_state(at(1_s), State::kFinWait1);
  const auto offsets = zero_window_probe_offsets();
  ASSERT_EQ(offsets.back(), 204600_ms);
  for (Duration d : offsets) {
    expect(at(1_s + d), {.flags = ack, .seq = 0, .ack = 1, .len = 0});
    inject(at(1_s + d), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
    expect_state(at(1_s + d), State::kFinWait1);
  }
  const Instant death = at(1_s + 324600_ms);
  expect_state(death - 1_ms, State::kFinWait1);
  expect_nothing_until(death);
  expect_gone(death);
  expect_nothing_until(death + 100_s);
}

// The contrast: a socket the application still holds keeps probing every 120 s for as long as
// the peer answers (tcp_probe_timer: probes_out is reset by each ACK, max_probes = retries2).
TEST_F(ConformanceZeroWindow, HeldSocketProbesForeverWhilePeerAnswers) {
  const SocketId s = establish_active();
  inject(at(500_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  send(at(1_s), s, 1000);
  for (Duration d : zero_window_probe_offsets()) {
    expect(at(1_s + d), {.flags = ack, .seq = 0, .ack = 1, .len = 0});
    inject(at(1_s + d), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  }
  for (int k = 1; k <= 10; ++k) {
    const Instant t = at(1_s + 204600_ms + k * 120_s);
    expect(t, {.flags = ack, .seq = 0, .ack = 1, .len = 0});
    inject(t, {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  }
  expect_state(now(), State::kEstablished);
  expect_error(now(), s, 0);
  // The window opens: the data goes at once.
  inject(now() + 1_s, {.flags = ack, .seq = 1, .ack = 1, .win = 1000});
  expect(now(), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
}

}  // namespace
}  // namespace synack::tcptest
