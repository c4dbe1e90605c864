// SYN cookies on the wire (SPEC §6; Linux tcp_conn_request() with want_cookie,
// cookie_v4_check()): the cookie SYN+ACK's options with and without timestamps, the options a
// valid ACK recovers from its TSecr, data on the cookie ACK, and the ACKs that fail — a forged
// cookie (wrong hash), a cookie more than 2 minute-ticks old — which the listener resets, as
// well as an ACK that is not checked as a cookie at all because the listener sent none lately.
// tcp_syncookies = 2 makes every SYN a cookie SYN so each test needs only one peer.
#include <gtest/gtest.h>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"
#include "tcp/tcb.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using stack::SysctlId;

class ConformanceSyncookie : public TcpScript {
 protected:
  ConformanceSyncookie() { set_sysctl(SysctlId::kTcpSyncookies, 2); }
  void set_sysctl(SysctlId id, int64_t v) {
    auto r = stack().sysctls().set_value(id, v);
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  uint64_t counter(Counter c) { return stack().counters().value(c); }
};

// SPEC §6.3, no timestamps: the SYN offered SACK and window scale, but the cookie SYN+ACK
// offers neither (nothing could carry them back); the connection runs without both, with the
// MSS from the cookie's table (1460 → 1460).
TEST_F(ConformanceSyncookie, WithoutTimestampsOnlyTheMssSurvives) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = Opts{.mss = 1460}});
  inject(at(50_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(50_ms), State::kEstablished);
  const SocketId a = accept(at(50_ms), l);
  const tcp::Tcb* t = stack().connection_of(a);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->sack_ok);
  EXPECT_FALSE(t->ws_ok);
  EXPECT_FALSE(t->ts_ok);
  EXPECT_EQ(t->snd_mss, 1460);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesRecv), 1u);
}

// SPEC §6.3 with timestamps (tcp_timestamps = 2: no per-connection offset, so the TSval on the
// wire shows the encoding): the SYN+ACK offers SACK, TS and window scale as usual; the low 6
// bits of its TSval are the SYN's options (wscale 7 in bits 0-3, SACK in bit 4); the ACK
// echoing that TSval restores them, and the MSS class 1300 for a SYN MSS of 1400.
TEST_F(ConformanceSyncookie, OptionsRecoveredFromTheTimestamp) {
  set_sysctl(SysctlId::kTcpTimestamps, 2);
  peer_syn_options =
      Opts{.mss = 1400, .sack_ok = true, .ts = Ts{.val = 5000, .ecr = 0}, .wscale = 7};
  const SocketId l = listen(at(0_s));
  inject(at(70_s), {.flags = syn, .seq = 0});
  const wire::Packet sa =
      expect(at(70_s),
             {.flags = syn_ack,
              .seq = 0,
              .ack = 1,
              .options = Opts{
                  .mss = 1460, .sack_ok = true, .ts = Ts{.val = any, .ecr = 5000}, .wscale = 7}});
  ASSERT_TRUE(sa.tcp.options.timestamps.has_value());
  const uint32_t tsval = sa.tcp.options.timestamps->val;
  EXPECT_EQ(tsval & 0x3f, 0x17u);   // wscale 7 | SACK
  EXPECT_LE(tsval, 70'000u);        // never ahead of the TS clock (ms)
  EXPECT_GT(tsval + 128, 70'000u);  // rounded down to a multiple of 64, at most 2 steps
  inject(at(70_s),
         {.flags = ack, .seq = 1, .ack = 1, .options = Opts{.ts = Ts{.val = 5010, .ecr = tsval}}});
  expect_state(at(70_s), State::kEstablished);
  const SocketId a = accept(at(70_s), l);
  const tcp::Tcb* t = stack().connection_of(a);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->ts_ok);
  EXPECT_TRUE(t->sack_ok);
  EXPECT_TRUE(t->ws_ok);
  EXPECT_EQ(t->snd_wscale, 7);
  EXPECT_EQ(t->ts_recent, 5010u);
  EXPECT_EQ(t->snd_mss, 1300 - 12);
}

// A valid cookie ACK carrying the request: the connection is created with the data in it,
// readable at accept(), and acknowledged.
TEST_F(ConformanceSyncookie, DataOnTheCookieAckIsDelivered) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(30_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET /"});
  expect_acks_until(at(31_s), {.flags = ack, .seq = 1, .ack = 6});
  expect_state(now(), State::kEstablished);
  const SocketId a = accept(now(), l);
  EXPECT_EQ(recv(now(), a, 5), "GET /");
}

// SPEC §6.2 forged cookie (wrong hash): SyncookiesFailed, and the listener resets the ACK
// (RST seq = SEG.ACK, Linux tcp_v4_do_rcv() → the listener's tcp_rcv_state_process()).
TEST_F(ConformanceSyncookie, ForgedCookieIsResetAndCounted) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 1 + 0x10000});
  expect(at(1_s), {.flags = rst, .seq = 1 + 0x10000});
  expect_gone(at(1_s));
  accept_fails(at(1_s), l, EAGAIN);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesFailed), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesRecv), 0u);
}

// SPEC §6.2 too old: a cookie made in minute-tick 0 is valid through tick 1 (119 s) and too
// old in tick 2 (120 s). A second cookie SYN at 100 s keeps the listener's "sent cookies
// lately" stamp fresh, so the old ACK is checked — and fails — rather than ignored.
TEST_F(ConformanceSyncookie, CookieTwoTicksOldIsRefused) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  const uint32_t isn_old = stack_isn();
  use_peer_port(kPeerPort + 1);
  inject(at(100_s), {.flags = syn, .seq = 0});
  expect(at(100_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  use_peer_port(kPeerPort, isn_old);
  inject(at(120_s), {.flags = ack, .seq = 1, .ack = 1});
  expect(at(120_s), {.flags = rst, .seq = 1});
  expect_gone(at(120_s));
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesFailed), 1u);
  accept_fails(at(120_s), l, EAGAIN);
}

// ...and the same cookie is still good in its second tick.
TEST_F(ConformanceSyncookie, CookieOneTickOldIsAccepted) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(119_s), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(119_s), State::kEstablished);
  accept(at(119_s), l);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesRecv), 1u);
}

// Linux tcp_synq_no_recent_overflow(): a listener that has not sent a cookie in the last
// 120 s does not check ACKs as cookies — the ACK is simply reset, and nothing is counted.
TEST_F(ConformanceSyncookie, NoRecentCookiesMeansNoCookieCheck) {
  set_sysctl(SysctlId::kTcpSyncookies, 1);
  listen(at(0_s));
  inject(at(0_s), {.flags = ack, .seq = 1, .ack = 1});
  expect(at(0_s), {.flags = rst, .seq = 1});
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesFailed), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesRecv), 0u);
}

// Accept-queue limits still apply to a cookie connection (SPEC §6.2): with the queue full the
// valid cookie ACK is dropped (ListenOverflows) and the client's retransmission gets in once
// accept() made room.
TEST_F(ConformanceSyncookie, CookieAckWithFullAcceptQueueIsDroppedThenRetried) {
  const SocketId l = listen(at(0_s));
  ASSERT_EQ(stack().listen(l, 0, at(0_s)), 0);
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(10_ms), {.flags = ack, .seq = 1, .ack = 1});  // accept queue: 1 > 0, full
  // Make room, let a second peer get its cookie, then fill the queue again with a third.
  accept(at(20_ms), l);
  use_peer_port(kPeerPort + 1);
  inject(at(30_ms), {.flags = syn, .seq = 0});
  expect(at(30_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  const uint32_t isn_b = stack_isn();
  use_peer_port(kPeerPort + 2);
  inject(at(40_ms), {.flags = syn, .seq = 0});
  expect(at(40_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(50_ms), {.flags = ack, .seq = 1, .ack = 1});  // queue full again
  use_peer_port(kPeerPort + 1, isn_b);
  inject(at(60_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "x"});
  expect_gone(at(60_ms));
  EXPECT_EQ(counter(Counter::kTcpExtListenOverflows), 1u);
  accept(at(100_ms), l);
  inject(at(300_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "x"});  // client RTO
  expect_acks_until(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(now(), State::kEstablished);
  const SocketId b = accept(now(), l);
  EXPECT_EQ(recv(now(), b, 1), "x");
}

}  // namespace
}  // namespace synack::tcptest
