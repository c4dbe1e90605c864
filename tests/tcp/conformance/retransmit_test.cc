// Retransmission timing and giving up, to the millisecond Linux keeps (SPEC §4.6, §4.7, §7.3,
// §7.8, §17 "SYN lost every time").
//
// The data tests open with a handshake RTT of 0 or 100 ms so the first RTO is the same under
// RFC 6298 and Linux: Linux tcp_rtt_estimator() starts with srtt = m, mdev = 2m and
// rttvar = max(mdev, tcp_rto_min), and tcp_set_rto() sets rto = srtt + rttvar; RFC 6298 §2.2
// gives SRTT + 4 × RTTVAR = m + 2m clamped below at 200 ms. m = 0 → 200 ms, m = 100 ms → 300 ms.
//
// Give-up arithmetic (net/ipv4/tcp_timer.c retransmits_timed_out, tcp_model_timeout): the
// budget for tcp_retries2 = 15 with rto_base 200 ms is 1023 × 0.2 + 6 × 120 = 924.6 s, measured
// from retrans_stamp, which tcp_retransmit_skb() sets to the (already refreshed) timestamp of
// the first retransmission. The check runs when the RTO fires, before retransmitting, so the
// connection dies at the first firing at least 924.6 s after the first retransmission.
#include <gtest/gtest.h>

#include <vector>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using ConformanceRetransmit = TcpScript;

// SPEC §4.6: tcp_syn_retries 6 → SYNs at 0, 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s, no
// RST (Linux tcp_write_err).
TEST_F(ConformanceRetransmit, SynAtLinuxTimesThenEtimedoutAt127s) {
  const SocketId s = open();
  connect(at(0_s), s);
  for (int t : {0, 1, 3, 7, 15, 31, 63}) {
    expect(at(Duration::seconds(t)), {.flags = syn, .seq = 0, .options = linux_syn_options()});
  }
  expect_state(at(127_s) - 1_ms, State::kSynSent);
  expect_error(at(127_s) - 1_ms, s, 0);
  expect_nothing_until(at(127_s));
  expect_gone(at(127_s));
  expect_ready(at(127_s), s, ready::kErr);
  expect_error(at(127_s), s, ETIMEDOUT);
  expect_nothing_until(at(300_s));
}

// SPEC §4.6: per-socket TCP_SYNCNT overrides the sysctl: 2 → SYNs at 0, 1, 3 s, failure at 7 s.
TEST_F(ConformanceRetransmit, SynCntOverridesSynRetries) {
  const SocketId s = open();
  set_option(s, SockOpt::kSynCnt, 2);
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  expect(at(1_s), {.flags = syn, .seq = 0});
  expect(at(3_s), {.flags = syn, .seq = 0});
  expect_state(at(7_s) - 1_ms, State::kSynSent);
  expect_nothing_until(at(7_s));
  expect_gone(at(7_s));
  expect_error(at(7_s), s, ETIMEDOUT);
  expect_nothing_until(at(60_s));
}

// SPEC §17 "SYN lost": the first SYN is lost, the retransmission at 1 s is answered.
TEST_F(ConformanceRetransmit, LostSynRecoveredAtOneSecond) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  expect(at(1_s), {.flags = syn, .seq = 0});
  inject(at(1100_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(1100_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(1100_ms), State::kEstablished);
  expect_ready(at(1100_ms), s, ready::kOut);
  expect_nothing_until(at(10_s));
}

// SPEC §4.7: tcp_synack_retries 5 → SYN+ACK at 0, 1, 3, 7, 15, 31 s; the request is dropped
// silently at 63 s (Linux reqsk_timer_handler: num_timeout reaches the limit). The client's
// late ACK then meets only the listener and is reset (RFC 9293 §3.10.7.2).
TEST_F(ConformanceRetransmit, SynAckAtLinuxTimesThenRequestDropped) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  for (int t : {0, 1, 3, 7, 15, 31}) {
    expect(at(Duration::seconds(t)), {.flags = syn_ack, .seq = 0, .ack = 1});
  }
  expect_state(at(63_s) - 1_ms, State::kSynReceived);
  expect_nothing_until(at(63_s));
  expect_gone(at(63_s));
  expect_nothing_until(at(100_s));
  inject(at(100_s), {.flags = ack, .seq = 1, .ack = 1});
  expect(at(100_s), {.flags = rst, .seq = 1});
  accept_fails(at(100_s), l, EAGAIN);
}

// SPEC §7.3: RTO 200 ms (the minimum) after a 0 RTT handshake, doubling: data at 1 s,
// retransmissions at 1.2, 1.6, 2.4, 4.0 s; the ACK stops them.
TEST_F(ConformanceRetransmit, DataRtoIsTheMinimumAndDoubles) {
  const SocketId s = establish_active(0_s);
  send(at(1_s), s, 1000);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  for (int ms : {1200, 1600, 2400, 4000}) {
    expect(at(Duration::millis(ms)), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  }
  inject(at(4100_ms), {.flags = ack, .seq = 1, .ack = 1001});
  expect_nothing_until(at(30_s));
  expect_state(at(30_s), State::kEstablished);
  EXPECT_EQ(info(s).send_queue, 0u);
}

// SPEC §7.3: the RTO comes from the handshake's RTT sample: 100 ms → 100 + 4 × 50 = 300 ms.
TEST_F(ConformanceRetransmit, DataRtoFromHandshakeSample) {
  const SocketId s = establish_active(100_ms);
  send(at(1_s), s, 500);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 500});
  expect(at(1300_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 500});
  expect(at(1900_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 500});
  inject(at(2_s), {.flags = ack, .seq = 1, .ack = 501});
  expect_nothing_until(at(10_s));
}

// Linux applies the 200 ms floor to the variance term, not to the sum (tcp_rtt_estimator:
// rttvar_us = max(mdev_us, tcp_rto_min_us); tcp_set_rto: srtt + rttvar): a 10 ms RTT gives
// 10 + max(20, 200) = 210 ms, where RFC 6298 clamped would give 200 ms.
TEST_F(ConformanceRetransmit, LinuxRtoFloorAppliesToVarianceTerm) {
  const SocketId s = establish_active(10_ms);
  send(at(1_s), s, 100);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  expect(at(1210_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  expect(at(1630_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
}

// SPEC §7.8: tcp_retries2 15 → the time budget 924.6 s (see the file comment): retransmissions
// at send + 0.2 × (2^k − 1) s for k = 1..10, then every 120 s (TCP_RTO_MAX), the last at
// send + 924.6 s; the next firing, at send + 1044.6 s, gives up with ETIMEDOUT and no RST.
TEST_F(ConformanceRetransmit, Retries2GivesUpAfterModelledTimeNoRst) {
  const SocketId s = establish_active(0_s);
  send(at(1_s), s, 1000);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  std::vector<Duration> times;
  Duration rto = 200_ms;
  Duration t = 1_s;
  for (int k = 0; k < 16; ++k) {
    t += rto;
    times.push_back(t);
    rto = std::min(rto * 2, Duration(120_s));
  }
  ASSERT_EQ(times.back(), 1_s + 924600_ms);
  for (Duration d : times) {
    expect(at(d), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  }
  const Instant give_up = at(1_s + 1044600_ms);
  expect_state(give_up - 1_ms, State::kEstablished);
  expect_nothing_until(give_up);
  expect_gone(give_up);
  expect_ready(give_up, s, ready::kErr);
  expect_error(give_up, s, ETIMEDOUT);
  expect_nothing_until(give_up + 500_s);
}

// SPEC §7.8, §15.1: TCP_USER_TIMEOUT 3000 ms replaces the budget. Measured from the first
// retransmission (1.2 s); Linux clamps the RTO so the timer fires when the budget ends
// (tcp_clamp_rto_to_user_timeout): retransmissions at 1.2, 1.6, 2.4, 4.0 s, then the timer
// fires at 4.2 s instead of 7.2 s and the connection gives up, no RST.
TEST_F(ConformanceRetransmit, UserTimeoutGivesUpWhenTheTimeRunsOut) {
  const SocketId s = establish_active(0_s);
  set_option(s, SockOpt::kUserTimeoutMs, 3000);
  send(at(1_s), s, 1000);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  for (int ms : {1200, 1600, 2400, 4000}) {
    expect(at(Duration::millis(ms)), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 1000});
  }
  expect_state(at(4199_ms), State::kEstablished);
  expect_nothing_until(at(4200_ms));
  expect_gone(at(4200_ms));
  expect_error(at(4200_ms), s, ETIMEDOUT);
  expect_nothing_until(at(20_s));
}

// SPEC §17 "FIN lost": the FIN is retransmitted on the same RTO schedule as data.
TEST_F(ConformanceRetransmit, LostFinRetransmitted) {
  const SocketId s = establish_active(0_s);
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1200_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1600_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1700_ms), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(1700_ms), State::kFinWait2);
  expect_nothing_until(at(30_s));
}

}  // namespace
}  // namespace synack::tcptest
