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

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"
#include "tcp/tcb.h"

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

// SPEC §12.2 with Linux's semantics: close() with SO_LINGER {on, t > 0} queues the FIN and
// then waits (Linux sk_stream_wait_close()) until the connection leaves FIN-WAIT-1 / CLOSING /
// LAST-ACK, is reset, or t seconds pass; then it returns 0 and the connection carries on as an
// orphan. inet_release() passes sk_lingertime whatever O_NONBLOCK says. The core exposes the
// wait as Stack::close_linger() + linger_done(); the RTO here is the 200 ms minimum (RTT 0),
// so an unanswered FIN goes again at +0.2, 0.6, 1.4, 3.0, 6.2, 12.6 s.

// The peer ACKs the FIN at 2 s, linger 5 s: the wait ends at 2 s, in FIN-WAIT-2, and the
// now orphaned FIN-WAIT-2 is bounded by tcp_fin_timeout (60 s) from then.
TEST_F(ConformanceLinger, LingerWaitEndsWhenTheFinIsAcked) {
  const SocketId s = establish_active();
  set_option(s, SockOpt::kLinger, 5);
  const auto lw = close_linger(at(0_s), s);
  ASSERT_TRUE(lw.has_value());
  EXPECT_EQ(lw->deadline, at(5_s));
  expect(at(0_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect_linger_done(at(100_ms), *lw, false);
  const tcp::Tcb* t = stack().find_connection(local(), remote());
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->orphan);  // the application is still inside close()
  for (int ms : {200, 600, 1400}) {
    expect(at(Duration::millis(ms)), {.flags = fin_ack, .seq = 1, .ack = 1});
  }
  expect_linger_done(at(1999_ms), *lw, false);
  inject(at(2_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(2_s), State::kFinWait2);
  expect_linger_done(at(2_s), *lw, true);
  send_fails(at(2_s), s, EBADF);  // the descriptor is closed
  expect_state(at(61999_ms), State::kFinWait2);
  expect_nothing_until(at(62_s));
  expect_gone(at(62_s));
}

// A silent peer, linger 5 s: the wait ends at the deadline with the FIN still unacknowledged;
// close() returns 0 and the orphan keeps retransmitting the FIN on its RTO schedule.
TEST_F(ConformanceLinger, LingerWaitEndsAtTheDeadlineThenFinRetransmissionsGoOn) {
  const SocketId s = establish_active();
  set_option(s, SockOpt::kLinger, 5);
  const auto lw = close_linger(at(0_s), s);
  ASSERT_TRUE(lw.has_value());
  expect(at(0_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  send_fails(at(100_ms), s, EBADF);  // inside close(): no other call on this descriptor
  for (int ms : {200, 600, 1400, 3000}) {
    expect(at(Duration::millis(ms)), {.flags = fin_ack, .seq = 1, .ack = 1});
  }
  expect_linger_done(at(4999_ms), *lw, false);
  expect_linger_done(at(5_s), *lw, true);
  expect_state(at(5_s), State::kFinWait1);
  const tcp::Tcb* t = stack().find_connection(local(), remote());
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->orphan);
  expect(at(6200_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(12600_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect_state(at(12600_ms), State::kFinWait1);
}

// An RST during the wait ends it at once (the connection is CLOSED); nothing more is sent.
TEST_F(ConformanceLinger, LingerWaitEndsOnReset) {
  const SocketId s = establish_active();
  set_option(s, SockOpt::kLinger, 5);
  const auto lw = close_linger(at(0_s), s);
  ASSERT_TRUE(lw.has_value());
  expect(at(0_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(100_ms), {.flags = rst, .seq = 1});
  expect_gone(at(100_ms));
  expect_linger_done(at(100_ms), *lw, true);
  expect_nothing_until(at(10_s));
}

// Unread data wins over linger, as without it (Linux __tcp_close(): the unread-data check
// comes first): RST at once, TCPAbortOnClose, nothing to wait for.
TEST_F(ConformanceLinger, LingerWithUnreadDataResetsWithoutWaiting) {
  const SocketId s = establish_active();
  inject(at(500_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  expect(at(500_ms), {.flags = ack, .seq = 1, .ack = 101});
  set_option(s, SockOpt::kLinger, 5);
  const auto lw = close_linger(at(1_s), s);
  EXPECT_FALSE(lw.has_value());
  expect(at(1_s), {.flags = rst_ack, .seq = 1, .ack = 101});
  expect_gone(at(1_s));
  EXPECT_EQ(stack().counters()[stack::Counter::kTcpExtTCPAbortOnClose], 1u);
  expect_nothing_until(at(10_s));
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
