// Opening a connection on the wire: RFC 9293 figure 5's transitions out of CLOSED, LISTEN and
// SYN-SENT (SPEC §3, §4), simultaneous open, the stale SYN+ACK of SPEC §4.2, and the lost
// SYN+ACK / lost third ACK stories of SPEC §17. Linux facts not fixed by SPEC are cited next to
// the step that depends on them.
#include <gtest/gtest.h>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using stack::Counter;

using ConformanceHandshake = TcpScript;

// SPEC §4.1, §3.3; RFC 9293 §3.5 figure 6. CLOSED → SYN-SENT → ESTABLISHED. The SYN carries
// Linux's option layout with every default on (SPEC §1.3.1); the peer offers no timestamps,
// so nothing after the SYN carries options.
TEST_F(ConformanceHandshake, ActiveOpenClosedSynSentEstablished) {
  const SocketId s = open();
  expect_gone(at(0_s));
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0, .options = linux_syn_options(any, 0)});
  expect_state(at(0_s), State::kSynSent);
  expect_ready(at(0_s), s, 0, ready::kOut);

  inject(at(100_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .win = 65535});
  expect(at(100_ms), {.flags = ack, .seq = 1, .ack = 1, .options = Opts{}});
  expect_state(at(100_ms), State::kEstablished);
  expect_ready(at(100_ms), s, ready::kOut, ready::kErr);
  expect_error(at(100_ms), s, 0);
  const SocketInfo i = info(s);
  EXPECT_EQ(i.state, State::kEstablished);
  EXPECT_EQ(i.remote, remote());
  EXPECT_EQ(i.local, local());
}

// SPEC §4.1, §3.2; RFC 9293 §3.5. LISTEN → SYN-RECEIVED (a request record) → ESTABLISHED;
// accept() has nothing until the third ACK. SYN+ACK options answer what the SYN offered
// (SPEC §1.3.1: "<mss 1460, nop, nop, sackOK, nop, wscale N>" without timestamps).
TEST_F(ConformanceHandshake, PassiveOpenListenSynReceivedEstablished) {
  const SocketId l = listen(at(0_s));
  expect_ready(at(0_s), l, 0, ready::kIn);
  inject(at(0_s), {.flags = syn, .seq = 0, .win = 65535});
  expect(at(0_s), {.flags = syn_ack,
                   .seq = 0,
                   .ack = 1,
                   .options = Opts{.mss = 1460, .sack_ok = true, .wscale = 7}});
  expect_state(at(0_s), State::kSynReceived);
  accept_fails(at(0_s), l, EAGAIN);

  inject(at(100_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);
  expect_ready(at(100_ms), l, ready::kIn);
  const SocketId a = accept(at(100_ms), l);
  EXPECT_EQ(info(a).state, State::kEstablished);
  EXPECT_EQ(info(a).remote, remote());
  accept_fails(at(100_ms), l, EAGAIN);
  expect_nothing_until(at(10_s));
}

// SPEC §1.3.1: with timestamps offered, the SYN+ACK is "<mss 1460, sackOK, TS val V ecr E,
// nop, wscale 7>" and echoes the SYN's TSval; every later segment carries TS.
TEST_F(ConformanceHandshake, SynAckEchoesTimestampsAndLaterSegmentsCarryThem) {
  peer_syn_options =
      Opts{.mss = 1460, .sack_ok = true, .ts = Ts{.val = 1000, .ecr = 0}, .wscale = 7};
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = linux_syn_options(any, 1000)});
  inject(at(10_ms), {.flags = ack, .seq = 1, .ack = 1, .options = Opts{.ts = Ts{.val = 1010}}});
  const SocketId a = accept(at(10_ms), l);
  send(at(20_ms), a, "hi");
  expect(at(20_ms), {.flags = psh_ack,
                     .seq = 1,
                     .ack = 1,
                     .options = Opts{.ts = Ts{.val = any, .ecr = 1010}},
                     .data = "hi"});
}

// SPEC §4.3; RFC 9293 §3.5 figure 7. SYN-SENT receiving a bare SYN → SYN-RECEIVED with a
// SYN+ACK (same ISN); the peer's SYN+ACK then completes it silently: four segments in all.
// Linux 6.11+ (commit 23e89e8ee7be): tcp_validate_incoming() lets a SYN+ACK with seq + 1 ==
// rcv_nxt and ack == snd_nxt through in SYN_RECV, and tcp_rcv_state_process() consumes the
// segment once ESTABLISHED (the socket has an owner), so no ACK answers it.
TEST_F(ConformanceHandshake, SimultaneousOpen) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  inject(at(50_ms), {.flags = syn, .seq = 0});
  expect(at(50_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect_state(at(50_ms), State::kSynReceived);
  expect_ready(at(50_ms), s, 0, ready::kOut);

  inject(at(100_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);
  expect_ready(at(100_ms), s, ready::kOut);
  expect_error(at(100_ms), s, 0);
  expect_nothing_until(at(10_s));
  EXPECT_EQ(stack().counters().value(Counter::kTcpExtTCPSYNChallenge), 0u);
  EXPECT_EQ(stack().counters().value(Counter::kTcpExtDelayedACKLost), 0u);

  // The connection works both ways afterwards.
  send(at(10_s), s, "hi");
  expect(at(10_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "hi"});
  inject(at(10050_ms), {.flags = psh_ack, .seq = 1, .ack = 3, .data = "yo"});
  expect(at(10050_ms), {.flags = ack, .seq = 3, .ack = 3});
}

// SPEC §4.3, the same Linux rule seen from the other side: a SYN+ACK that does not match
// (ack != snd_nxt) is still a SYN in a synchronized state, answered by a challenge ACK
// (RFC 5961 §4), and the end stays in SYN-RECEIVED.
TEST_F(ConformanceHandshake, SimultaneousOpenMismatchedSynAckIsChallenged) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  inject(at(50_ms), {.flags = syn, .seq = 0});
  expect(at(50_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(100_ms), {.flags = syn_ack, .seq = 0, .ack = 5});
  expect(at(100_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(100_ms), State::kSynReceived);
  EXPECT_EQ(stack().counters().value(Counter::kTcpExtTCPSYNChallenge), 1u);
  (void)s;
}

// SPEC §4.2 (RFC 9293 §3.10.7.3, figure 9): a SYN+ACK that does not acknowledge our SYN is
// answered with <SEQ=SEG.ACK><CTL=RST> and the attempt goes on. Linux re-arms the SYN timer
// to TCP_TIMEOUT_MIN when no retransmission happened yet (tcp_rcv_synsent_state_process,
// "Previous FIN/ACK or RST/ACK might be ignored"); SPEC only requires that the attempt goes
// on, so the retransmitted SYN may come any time up to the ordinary 1 s RTO.
TEST_F(ConformanceHandshake, StaleSynAckAnsweredWithRstAndAttemptGoesOn) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  inject(at(100_ms), {.flags = syn_ack, .seq = 5000, .ack = 777777});
  expect(at(100_ms), {.flags = rst, .seq = 777777, .len = 0});
  expect_state(at(100_ms), State::kSynSent);
  expect_error(at(100_ms), s, 0);

  expect_between(at(100_ms), at(1_s), {.flags = syn, .seq = 0});
  const Instant t = now();
  inject(t + 50_ms, {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(t + 50_ms, {.flags = ack, .seq = 1, .ack = 1});
  expect_state(t + 50_ms, State::kEstablished);
}

// SPEC §10.1, §15.2: RST+ACK acknowledging our SYN refuses the connection: ECONNREFUSED, no
// more SYNs, nothing left for the tuple.
TEST_F(ConformanceHandshake, RstAckToSynIsConnectionRefused) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  inject(at(10_ms), {.flags = rst_ack, .seq = 0, .ack = 1, .win = 0});
  expect_gone(at(10_ms));
  expect_ready(at(10_ms), s, ready::kErr);
  expect_error(at(10_ms), s, ECONNREFUSED);
  expect_nothing_until(at(200_s));
}

// SPEC §10.2: in SYN-SENT an RST is accepted only if it acknowledges our SYN (RFC 9293
// §3.10.7.3: no ACK → drop; unacceptable ACK with RST → drop). RST is never answered with RST
// (SPEC §10.4). A wrong ACK also re-arms Linux's SYN timer early (see the stale SYN+ACK test),
// hence the window for the retransmission.
TEST_F(ConformanceHandshake, RstWithoutAcceptableAckIgnoredInSynSent) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  inject(at(10_ms), {.flags = rst, .seq = 0});
  expect_state(at(10_ms), State::kSynSent);
  inject(at(20_ms), {.flags = rst_ack, .seq = 0, .ack = 5000});
  expect_state(at(20_ms), State::kSynSent);
  expect_error(at(20_ms), s, 0);
  expect_between(at(20_ms), at(1_s), {.flags = syn, .seq = 0});
  expect_state(now(), State::kSynSent);
}

// SPEC §8.5: close() in SYN-SENT just forgets the attempt (no RST, no FIN); a SYN+ACK that
// arrives afterwards finds no socket and gets <SEQ=SEG.ACK><CTL=RST> (SPEC §10.1).
TEST_F(ConformanceHandshake, CloseInSynSentForgetsTheAttempt) {
  const SocketId s = open();
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0});
  close(at(500_ms), s);
  expect_gone(at(500_ms));
  expect_nothing_until(at(600_ms));
  inject(at(600_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(600_ms), {.flags = rst, .seq = 1});
  expect_nothing_until(at(200_s));
}

// RFC 9293 figure 5 LISTEN → CLOSED on close(); a later SYN gets RST+ACK with seq 0 and
// ack = SEG.SEQ + SEG.LEN (SPEC §10.1; the SYN counts one).
TEST_F(ConformanceHandshake, CloseListenerThenSynIsRefused) {
  const SocketId l = listen(at(0_s));
  close(at(1_s), l);
  inject(at(2_s), {.flags = syn, .seq = 0});
  expect(at(2_s), {.flags = rst_ack, .seq = 0, .ack = 1});
}

// RFC 9293 §3.10.7.2: in LISTEN an RST is ignored, and any ACK-bearing segment gets
// <SEQ=SEG.ACK><CTL=RST> (Linux tcp_rcv_state_process: "if (th->ack) return 1" → reset).
TEST_F(ConformanceHandshake, ListenerIgnoresRstAndResetsStrayAck) {
  const SocketId l = listen(at(0_s));
  inject(at(1_s), {.flags = rst, .seq = 0});
  expect_nothing_until(at(2_s));
  inject(at(2_s), {.flags = ack, .seq = 1, .ack = 4242});
  expect(at(2_s), {.flags = rst, .seq = 4242});
  accept_fails(at(2_s), l, EAGAIN);
}

// SPEC §4.7, §17 "SYN+ACK lost": the client's retransmitted SYN makes the server send the
// SYN+ACK again at once; the handshake then completes.
TEST_F(ConformanceHandshake, LostSynAckRecoveredByRetransmittedSyn) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});  // lost
  inject(at(500_ms), {.flags = syn, .seq = 0});
  expect(at(500_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect_state(at(500_ms), State::kSynReceived);
  inject(at(600_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(600_ms), State::kEstablished);
  accept(at(600_ms), l);
}

// SPEC §4.8, §17 "third ACK lost", server side: the server keeps retransmitting the SYN+ACK
// (1 s, 3 s: SPEC §4.7) and any later segment with a valid ACK — here the client's first data
// — completes the handshake; the data is readable and acknowledged.
TEST_F(ConformanceHandshake, LostThirdAckServerRetransmitsSynAckThenDataCompletes) {
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  // The client's ACKs to these are lost.
  expect(at(1_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(3_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect_state(at(3500_ms), State::kSynReceived);
  accept_fails(at(3500_ms), l, EAGAIN);

  inject(at(3500_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "hello"});
  expect_acks_until(at(3700_ms), {.flags = ack, .seq = 1, .ack = 6});
  expect_state(now(), State::kEstablished);
  const SocketId a = accept(now(), l);
  EXPECT_EQ(recv(now(), a, 5), "hello");
  expect_nothing_until(at(20_s));  // no more SYN+ACKs
}

// SPEC §4.8, client side: an ESTABLISHED client answers each retransmitted SYN+ACK with an
// ACK (Linux sends it as an RFC 5961 challenge ACK: the same segment).
TEST_F(ConformanceHandshake, LostThirdAckClientReAcksRetransmittedSynAck) {
  const SocketId s = establish_active(100_ms);
  inject(at(1_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(1_s), State::kEstablished);
  expect_error(at(1_s), s, 0);
}

}  // namespace
}  // namespace synack::tcptest
