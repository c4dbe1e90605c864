// Engine behaviours the conformance suite does not script: delayed ACK and quick-ACK, Nagle
// and TCP_NODELAY, fast retransmit with NewReno, zero-window probing, the receive window.
// Wire-level, packetdrill style (tests/tcp/harness); expected values come from the Linux
// rules cited in each test, not from this engine's output.
#include <gtest/gtest.h>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using namespace synack::literals;
using stack::Counter;
using tcp::State;

class EngineBehaviour : public TcpScript {};

// SPEC §7.5: the first data is ACKed at once (quick-ACK at connection start, Linux
// tcp_incr_quickack()); once the application answered within the ACK timeout the connection
// is interactive (pingpong) and the next request's ACK waits the 40 ms delayed-ACK time.
TEST_F(EngineBehaviour, QuickAckFirstThenDelayedAckWhenInteractive) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "req1"});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 5});
  recv(at(1_s), a, 4);
  send(at(1010_ms), a, "resp1");  // within ato of the request: pingpong
  expect(at(1010_ms), {.flags = psh_ack, .seq = 1, .ack = 5, .data = "resp1"});
  inject(at(1020_ms), {.flags = ack, .seq = 5, .ack = 6});
  inject(at(2_s), {.flags = psh_ack, .seq = 5, .ack = 6, .data = "req2"});
  expect_nothing_until(at(2040_ms));
  expect(at(2040_ms), {.flags = ack, .seq = 6, .ack = 9});
  EXPECT_EQ(stack().counters()[Counter::kTcpExtDelayedACKs], 1u);
  (void)l;
}

// A reply within the delayed-ACK time carries the ACK: no separate pure ACK (SPEC §7.5).
TEST_F(EngineBehaviour, DelayedAckRidesOnTheReply) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "req1"});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 5});
  send(at(1010_ms), a, "resp1");
  expect(at(1010_ms), {.flags = psh_ack, .seq = 1, .ack = 5, .data = "resp1"});
  inject(at(1020_ms), {.flags = ack, .seq = 5, .ack = 6});
  inject(at(2_s), {.flags = psh_ack, .seq = 5, .ack = 6, .data = "req2"});
  send(at(2010_ms), a, "resp2");
  expect(at(2010_ms), {.flags = psh_ack, .seq = 6, .ack = 9, .data = "resp2"});
  inject(at(2020_ms), {.flags = ack, .seq = 9, .ack = 11});
  expect_nothing_until(at(3_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtDelayedACKs], 0u);
  (void)l;
}

// SPEC §7.6 / Linux tcp_nagle_check() (Minshall): a second small segment waits while the
// first small one is unacknowledged; the ACK releases it. TCP_NODELAY sends at once.
TEST_F(EngineBehaviour, NagleHoldsSecondSmallSegmentUntilAck) {
  const SocketId s = establish_active();
  send(at(1_s), s, "aaaa");
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "aaaa"});
  send(at(1001_ms), s, "bbbb");
  expect_nothing_until(at(1100_ms));
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = 5});
  expect(at(1100_ms), {.flags = psh_ack, .seq = 5, .ack = 1, .data = "bbbb"});
}

TEST_F(EngineBehaviour, NoDelaySendsSmallSegmentsAtOnce) {
  const SocketId s = open();
  set_option(s, SockOpt::kNoDelay, 1);
  establish_active(0_s, Instant::zero(), s);
  send(at(1_s), s, "aaaa");
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "aaaa"});
  send(at(1001_ms), s, "bbbb");
  expect(at(1001_ms), {.flags = psh_ack, .seq = 5, .ack = 1, .data = "bbbb"});
}

// SPEC §7.4: initial window 10 segments; three duplicate ACKs retransmit the first
// unacknowledged segment at once (RFC 5681 §3.2), the cumulative ACK ends recovery.
TEST_F(EngineBehaviour, InitialWindowTenThenFastRetransmitOnThirdDupAck) {
  const SocketId s = establish_active();
  send(at(1_s), s, 20 * 1460);
  for (uint32_t i = 0; i < 10; ++i) {
    expect(at(1_s), {.flags = ack, .seq = 1 + i * 1460, .ack = 1, .len = 1460});
  }
  expect_nothing_until(at(1050_ms));
  // Segment 1 arrived, segment 2 was lost, 3..5 arrive: one new ACK, then three duplicates.
  inject(at(1050_ms), {.flags = ack, .seq = 1, .ack = 1461});
  // Slow start: cwnd 11 with 9 in flight lets two more segments go.
  expect(at(1050_ms), {.flags = ack, .seq = 1 + 10 * 1460, .ack = 1, .len = 1460});
  expect(at(1050_ms), {.flags = ack, .seq = 1 + 11 * 1460, .ack = 1, .len = 1460});
  inject(at(1051_ms), {.flags = ack, .seq = 1, .ack = 1461});
  inject(at(1052_ms), {.flags = ack, .seq = 1, .ack = 1461});
  expect_nothing_until(at(1053_ms));
  inject(at(1053_ms), {.flags = ack, .seq = 1, .ack = 1461});
  expect(at(1053_ms), {.flags = ack, .seq = 1461, .ack = 1, .len = 1460});
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPFastRetrans], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPRenoRecovery], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpRetransSegs], 1u);
}

// SPEC §7.2: data waits behind a zero window; the persist timer probes with seq = snd_una - 1
// after max(RTO, 200 ms), backing off (Linux tcp_probe_timer), restarted from each window-0
// answer (tcp_ack_probe), and the window opening lets the data go.
TEST_F(EngineBehaviour, ZeroWindowProbesThenSendsWhenWindowOpens) {
  const SocketId s = establish_active();
  inject(at(500_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  send(at(1_s), s, 100);
  expect_nothing_until(at(1200_ms));
  expect(at(1200_ms), {.flags = ack, .seq = 0, .ack = 1, .len = 0});
  inject(at(1210_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  expect_nothing_until(at(1610_ms));
  expect(at(1610_ms), {.flags = ack, .seq = 0, .ack = 1, .len = 0});
  inject(at(1620_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 100});
  expect(at(1620_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPWinProbe], 2u);
}

// SPEC §7.3: the first data RTO is the 200 ms minimum after a 0 s handshake sample, and it
// doubles (Linux tcp_retransmit_timer()).
TEST_F(EngineBehaviour, DataRetransmittedAtRtoAndBackedOff) {
  const SocketId s = establish_active();
  send(at(1_s), s, "x");
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "x"});
  expect(at(1200_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "x"});
  expect(at(1600_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "x"});
  inject(at(1700_ms), {.flags = ack, .seq = 1, .ack = 2});
  expect_nothing_until(at(10_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPTimeouts], 2u);
}

// SPEC §1.3.1 / Linux tcp_select_initial_window(): the SYN offers 64240 (65535 rounded down to
// 44 MSS); after the handshake the window field is scaled by 7 and never shrinks the offered
// edge: 64240 rounded up to 128 is 64256 = 502 << 7 (the window in Linux captures,
// tests/data/handshake-data-fin.pcap).
TEST_F(EngineBehaviour, WindowFieldsMatchLinux) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0, .win = 64240, .options = linux_syn_options()});
  inject(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(0_s), {.flags = ack, .seq = 1, .ack = 1, .win = 502});
}

// SPEC §8.7 (Linux tcp_close() -> tcp_check_oom()): beyond tcp_max_orphans a closing socket is
// reset right after its FIN, counted as TCPAbortOnMemory.
TEST_F(EngineBehaviour, TooManyOrphansResetAfterFin) {
  ASSERT_TRUE(stack().sysctls().set_value(stack::SysctlId::kTcpMaxOrphans, 0).has_value());
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = rst_ack, .seq = 2, .ack = 1});
  expect_gone(at(1_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnMemory], 1u);
  expect_nothing_until(at(10_s));
}

}  // namespace
}  // namespace synack::tcptest
