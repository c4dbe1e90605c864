// Keepalive (SPEC §11, §17 "keepalive on a dead peer / on a restarted peer").
//
// Linux facts used (net/ipv4/tcp_timer.c tcp_keepalive_timer, tcp_output.c tcp_xmit_probe_skb):
// - the idle time counts from the last segment received (keepalive_time_elapsed uses
//   max(lrcvtime, rcv_tstamp)); SO_KEEPALIVE set before connect() arms the timer when the
//   connection becomes ESTABLISHED, i.e. at the same instant as the SYN+ACK arrives;
// - a probe is a bare ACK with seq = SND.UNA − 1 (SPEC §11.2), ack = RCV.NXT;
// - after `probes` unanswered probes the next firing sends RST+ACK (tcp_send_active_reset,
//   seq = SND.NXT) and fails the socket with ETIMEDOUT.
#include <gtest/gtest.h>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using ConformanceKeepalive = TcpScript;

SegSpec probe() {
  return {.flags = ack, .seq = 0, .ack = 1, .len = 0};
}

// SPEC §11.1: defaults 7200 / 75 / 9: probes at 7200 + 75 n s (n = 0..8), dead at 7875 s.
TEST_F(ConformanceKeepalive, DeadPeerTimesOutAt7875s) {
  const SocketId s = open();
  set_option(s, SockOpt::kKeepAlive, 1);
  establish_active(0_s, at(0_s), s);
  expect_nothing_until(at(7200_s));
  for (int n = 0; n < 9; ++n) {
    expect(at(7200_s + n * 75_s), probe());
    expect_state(at(7200_s + n * 75_s), State::kEstablished);
  }
  expect_nothing_until(at(7875_s));
  expect(at(7875_s), {.flags = rst_ack, .seq = 1, .ack = 1});
  expect_gone(at(7875_s));
  expect_ready(at(7875_s), s, ready::kErr);
  expect_error(at(7875_s), s, ETIMEDOUT);
  expect_nothing_until(at(10000_s));
}

// SPEC §11.2: a restarted peer answers the probe with RST (seq = the probe's ACK = RCV.NXT of
// ours): ECONNRESET, connection gone.
TEST_F(ConformanceKeepalive, RestartedPeerResets) {
  const SocketId s = open();
  set_option(s, SockOpt::kKeepAlive, 1);
  establish_active(0_s, at(0_s), s);
  expect(at(7200_s), probe());
  inject(at(7200_s) + 20_ms, {.flags = rst, .seq = 1});
  expect_gone(at(7200_s) + 20_ms);
  expect_ready(at(7200_s) + 20_ms, s, ready::kErr);
  expect_error(at(7200_s) + 20_ms, s, ECONNRESET);
  expect_nothing_until(at(10000_s));
}

// SPEC §11.2: a live peer's answer restarts the idle time: the next probe comes 7200 s after
// the answer, not 75 s after the probe.
TEST_F(ConformanceKeepalive, AnsweredProbeRestartsIdleTime) {
  const SocketId s = open();
  set_option(s, SockOpt::kKeepAlive, 1);
  establish_active(0_s, at(0_s), s);
  expect(at(7200_s), probe());
  const Instant answer = at(7200_s) + 50_ms;
  inject(answer, {.flags = ack, .seq = 1, .ack = 1});
  expect_nothing_until(answer + 7200_s);
  expect(answer + 7200_s, probe());
  expect_state(answer + 7200_s, State::kEstablished);
  expect_error(answer + 7200_s, s, 0);
}

// SPEC §11.1: TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT override the sysctls:
// 60 / 10 / 3 → probes at 60, 70, 80 s, dead at 90 s.
TEST_F(ConformanceKeepalive, PerSocketOptions) {
  const SocketId s = open();
  set_option(s, SockOpt::kKeepAlive, 1);
  set_option(s, SockOpt::kKeepIdle, 60);
  set_option(s, SockOpt::kKeepIntvl, 10);
  set_option(s, SockOpt::kKeepCnt, 3);
  establish_active(0_s, at(0_s), s);
  expect(at(60_s), probe());
  expect(at(70_s), probe());
  expect(at(80_s), probe());
  expect_nothing_until(at(90_s));
  expect(at(90_s), {.flags = rst_ack, .seq = 1, .ack = 1});
  expect_gone(at(90_s));
  expect_error(at(90_s), s, ETIMEDOUT);
}

// SPEC §11.1: keepalive is off unless SO_KEEPALIVE.
TEST_F(ConformanceKeepalive, OffByDefault) {
  const SocketId s = establish_active();
  expect_nothing_until(at(20000_s));
  expect_state(at(20000_s), State::kEstablished);
  expect_error(at(20000_s), s, 0);
}

}  // namespace
}  // namespace synack::tcptest
