// Closing a connection on the wire: every closing transition of RFC 9293 figure 5 (SPEC §8),
// TIME-WAIT's length and its purpose (SPEC §9.1–9.5), and the closing stories of SPEC §17
// (lost final ACK, simultaneous close, half-close download, CLOSE-WAIT leak, close with unread
// data). Connections are opened with a 0 RTT handshake, so the RTO is exactly 200 ms.
#include <gtest/gtest.h>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using ConformanceClose = TcpScript;

// SPEC §8.2, §9.2, §3.3 client path: ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT (60 s
// from the peer's FIN) → CLOSED. After that the tuple is unknown: a segment gets RST.
TEST_F(ConformanceClose, ActiveCloseThroughTimeWait) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect_state(at(1_s), State::kFinWait1);
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(1100_ms), State::kFinWait2);
  inject(at(1200_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1200_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(1200_ms), State::kTimeWait);
  expect_state(at(61199_ms), State::kTimeWait);
  expect_nothing_until(at(61200_ms));
  expect_gone(at(61200_ms));
  inject(at(62_s), {.flags = ack, .seq = 2, .ack = 2});
  expect(at(62_s), {.flags = rst, .seq = 2});
}

// SPEC §8.3: FIN-WAIT-1 receiving a FIN+ACK that acknowledges our FIN goes straight to
// TIME-WAIT (three segments on the wire).
TEST_F(ConformanceClose, FinAckInFinWait1GoesStraightToTimeWait) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(1100_ms), State::kTimeWait);
  expect_nothing_until(at(61100_ms));
  expect_gone(at(61100_ms));
}

// SPEC §8.4, §17 "simultaneous close": FIN-WAIT-1 receiving a FIN that does not acknowledge
// ours → CLOSING (ACK sent at once); the ACK of our FIN → TIME-WAIT.
TEST_F(ConformanceClose, SimultaneousCloseThroughClosing) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1010_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1010_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(1010_ms), State::kClosing);
  inject(at(1020_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(1020_ms), State::kTimeWait);
  expect_nothing_until(at(61020_ms));
  expect_gone(at(61020_ms));
}

// SPEC §8.4: CLOSING retransmits its FIN when the peer's ACK of it is lost.
TEST_F(ConformanceClose, ClosingRetransmitsFin) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1010_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1010_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect(at(1200_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect_state(at(1200_ms), State::kClosing);
}

// SPEC §8.2, §3.3 server path: ESTABLISHED → CLOSE-WAIT (the stack ACKs the FIN; packetdrill
// close-remote-fin-then-close shows Linux ACKing at once) → LAST-ACK on close() → CLOSED on
// the final ACK; the tuple is then unknown.
TEST_F(ConformanceClose, PassiveCloseThroughLastAck) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(1_s), State::kCloseWait);
  expect_ready(at(1_s), a, ready::kIn | ready::kRdHup);
  recv(at(1_s), a, 0);          // EOF
  send(at(1500_ms), a, "bye");  // CLOSE-WAIT can still send
  expect(at(1500_ms), {.flags = psh_ack, .seq = 1, .ack = 2, .data = "bye"});
  inject(at(1600_ms), {.flags = ack, .seq = 2, .ack = 4});
  close(at(2_s), a);
  expect(at(2_s), {.flags = fin_ack, .seq = 4, .ack = 2});
  expect_state(at(2_s), State::kLastAck);
  inject(at(2100_ms), {.flags = ack, .seq = 2, .ack = 5});
  expect_gone(at(2100_ms));
  inject(at(2200_ms), {.flags = ack, .seq = 2, .ack = 5});
  expect(at(2200_ms), {.flags = rst, .seq = 5});
  (void)l;
}

// SPEC §8.6, §17 "CLOSE-WAIT leak", server side: the stack never leaves CLOSE-WAIT on its own.
TEST_F(ConformanceClose, CloseWaitLastsUntilTheApplicationCloses) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_nothing_until(at(20000_s));
  expect_state(at(20000_s), State::kCloseWait);
  EXPECT_EQ(info(a).state, State::kCloseWait);
  (void)l;
}

// SPEC §8.8, §17 "CLOSE-WAIT leak", client side: the orphan waits tcp_fin_timeout (60 s) in
// FIN-WAIT-2 from the ACK of its FIN, then disappears silently; the server's late FIN is
// answered with RST.
TEST_F(ConformanceClose, OrphanFinWait2EndsAfterFinTimeout) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(1_s), State::kFinWait2);
  expect_state(at(61_s) - 1_ms, State::kFinWait2);
  expect_nothing_until(at(61_s));
  expect_gone(at(61_s));
  inject(at(100_s), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(100_s), {.flags = rst, .seq = 2});
}

// SPEC §8.8: an orphan in FIN-WAIT-2 that gets the FIN in time ACKs it and enters an ordinary
// 60 s TIME-WAIT from then (Linux tcp_timewait_state_process, FIN-WAIT-2 substate).
TEST_F(ConformanceClose, OrphanFinWait2GettingFinEntersTimeWait) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  inject(at(31_s), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(31_s), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(31_s), State::kTimeWait);
  expect_state(at(90_s), State::kTimeWait);  // past the FIN-WAIT-2 deadline of 61 s
  expect_gone(at(91_s));
}

// SPEC §8.8: after shutdown(SHUT_WR) (not an orphan) FIN-WAIT-2 may last indefinitely.
TEST_F(ConformanceClose, HalfClosedFinWait2IsNotBoundedByFinTimeout) {
  const SocketId s = establish_active();
  shutdown(at(1_s), s, ShutdownHow::kWrite);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = 2});
  expect_nothing_until(at(1000_s));
  expect_state(at(1000_s), State::kFinWait2);
}

// SPEC §8.1, §17 "half-close big download", client side: after shutdown(SHUT_WR) the client
// keeps receiving in FIN-WAIT-2; the server's FIN then moves it to TIME-WAIT.
TEST_F(ConformanceClose, HalfCloseClientKeepsReceiving) {
  const SocketId s = establish_active();
  send(at(500_ms), s, "GET");
  expect(at(500_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET"});
  shutdown(at(500_ms), s, ShutdownHow::kWrite);
  expect(at(500_ms), {.flags = fin_ack, .seq = 4, .ack = 1});
  inject(at(600_ms), {.flags = ack, .seq = 1, .ack = 5});
  expect_state(at(600_ms), State::kFinWait2);
  send_fails(at(600_ms), s, EPIPE);

  // Each segment's ACK may be immediate (quick-ACK) or delayed (at most 200 ms, SPEC §7.5).
  inject(at(700_ms), {.flags = ack, .seq = 1, .ack = 5, .len = 1460});
  expect_acks_until(at(950_ms), {.flags = ack, .seq = 5, .ack = 1461});
  inject(at(1_s), {.flags = ack, .seq = 1461, .ack = 5, .len = 1460});
  expect_acks_until(at(1250_ms), {.flags = ack, .seq = 5, .ack = 2921});
  inject(at(1300_ms), {.flags = psh_ack, .seq = 2921, .ack = 5, .len = 1000});
  expect_acks_until(at(1550_ms), {.flags = ack, .seq = 5, .ack = 3921});
  recv(at(1600_ms), s, 3920);
  inject(at(1700_ms), {.flags = fin_ack, .seq = 3921, .ack = 5});
  expect(at(1700_ms), {.flags = ack, .seq = 5, .ack = 3922});
  expect_state(at(1700_ms), State::kTimeWait);
  recv(at(1700_ms), s, 0);  // EOF
}

// SPEC §8.1, §17 "half-close big download", server side: the client's FIN puts the server in
// CLOSE-WAIT, it keeps sending, then closes: FIN after all data (SPEC §8.2), LAST-ACK, CLOSED.
TEST_F(ConformanceClose, HalfCloseServerKeepsSendingThenFin) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  send(at(2_s), a, 1000);
  expect(at(2_s), {.flags = psh_ack, .seq = 1, .ack = 2, .len = 1000});
  inject(at(2100_ms), {.flags = ack, .seq = 2, .ack = 1001});
  send(at(3_s), a, 1000);
  expect(at(3_s), {.flags = psh_ack, .seq = 1001, .ack = 2, .len = 1000});
  close(at(3_s), a);
  expect(at(3_s), {.flags = fin_ack, .seq = 2001, .ack = 2});
  expect_state(at(3_s), State::kLastAck);
  inject(at(3100_ms), {.flags = ack, .seq = 2, .ack = 2002});
  expect_gone(at(3100_ms));
  (void)l;
}

// SPEC §8.7: an orphan's FIN retransmissions are bounded by tcp_orphan_retries (0 means 8
// while the RTO is below TCP_RTO_MAX: Linux tcp_orphan_retries). tcp_write_timeout turns 8
// into the time budget tcp_model_timeout(8, 200 ms) = 511 × 0.2 = 102.2 s from the first
// retransmission: FINs at close + 0.2 × (2^k − 1) s for k = 1..9 (the 9th at +102.2 s, 102.0 s
// after the first retransmission, still inside the budget), and the firing at +204.6 s
// (RTO 102.4 s, still "alive") ends the orphan silently.
TEST_F(ConformanceClose, OrphanFinRetransmissionsBoundedByOrphanRetries) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  Duration rto = 200_ms;
  Duration t = 1_s;
  for (int k = 1; k <= 9; ++k) {
    t += rto;
    rto = rto * 2;
    expect(at(t), {.flags = fin_ack, .seq = 1, .ack = 1});
  }
  ASSERT_EQ(t, 1_s + 102200_ms);
  const Instant death = at(t + rto);
  ASSERT_EQ(death, at(1_s + 204600_ms));
  expect_state(death - 1_ms, State::kFinWait1);
  expect_nothing_until(death);
  expect_gone(death);
  expect_nothing_until(death + 200_s);
}

// SPEC §8.2: the FIN is never sent ahead of queued data. With a zero window nothing can go,
// so close() sends nothing; when the window opens the data goes, the FIN on the same segment
// as Linux does (tcp_send_fin sets FIN on the last unsent skb instead of queueing a new one).
TEST_F(ConformanceClose, FinWaitsBehindQueuedData) {
  const SocketId s = establish_active();
  inject(at(500_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 0});
  send(at(1_s), s, 100);
  close(at(1_s), s);
  expect_state(at(1_s), State::kFinWait1);
  expect_nothing_until(at(1100_ms));
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 1000});
  expect(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 1, .len = 100});
  inject(at(1200_ms), {.flags = ack, .seq = 1, .ack = 102});
  expect_state(at(1200_ms), State::kFinWait2);
}

// SPEC §9.3(a), §9.4, §17 "final ACK lost", the TIME-WAIT side: the peer in LAST-ACK
// retransmits its FIN; TIME-WAIT ACKs it again and restarts its 60 s.
TEST_F(ConformanceClose, TimeWaitReAcksRetransmittedFinAndRestarts) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});  // lost
  inject(at(1300_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1300_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(61200_ms), State::kTimeWait);  // the first 60 s would have ended at 61.1 s
  expect_nothing_until(at(61300_ms));
  expect_gone(at(61300_ms));
}

// SPEC §9.3(a), §17 "final ACK lost", the LAST-ACK side: the FIN is retransmitted after the
// RTO until the final ACK arrives.
TEST_F(ConformanceClose, LastAckRetransmitsFinUntilFinalAck) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  close(at(2_s), a);
  expect(at(2_s), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(2200_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect_state(at(2200_ms), State::kLastAck);
  inject(at(2300_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_gone(at(2300_ms));
  expect_nothing_until(at(10_s));
  (void)l;
}

// RFC 9293 §3.10.4 (CLOSE in SYN-RECEIVED: "form a FIN segment and send it, and enter
// FIN-WAIT-1"); figure 5 SYN-RECEIVED → FIN-WAIT-1. Reached through a simultaneous open,
// the only way a socket the application holds is in SYN-RECEIVED.
TEST_F(ConformanceClose, CloseInSynReceivedSendsFin) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  inject(at(50_ms), {.flags = syn, .seq = 0});
  expect(at(50_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  close(at(60_ms), s);
  expect(at(60_ms), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect_state(at(60_ms), State::kFinWait1);
  inject(at(100_ms), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(100_ms), State::kFinWait2);
  inject(at(150_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(150_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(150_ms), State::kTimeWait);
}

// SPEC §8.5 (RFC 2525 §2.17): close() with unread received data aborts: RST+ACK with
// seq = SND.NXT and ack = RCV.NXT (Linux tcp_send_active_reset), no FIN, no TIME-WAIT.
TEST_F(ConformanceClose, CloseWithUnreadDataSendsRst) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  expect_acks_until(at(1200_ms), {.flags = ack, .seq = 1, .ack = 101});
  close(at(2_s), a);
  expect(at(2_s), {.flags = rst_ack, .seq = 1, .ack = 101});
  expect_gone(at(2_s));
  expect_nothing_until(at(100_s));
  (void)l;
}

// SPEC §8.5 counter-case: data that was read does not make close() abort.
TEST_F(ConformanceClose, CloseAfterReadingEverythingSendsFin) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  expect_acks_until(at(1200_ms), {.flags = ack, .seq = 1, .ack = 101});
  recv(at(2_s), a, 100);
  close(at(2_s), a);
  expect(at(2_s), {.flags = fin_ack, .seq = 1, .ack = 101});
  (void)l;
}

}  // namespace
}  // namespace synack::tcptest
