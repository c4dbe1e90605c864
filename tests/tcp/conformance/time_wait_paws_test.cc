// TIME-WAIT facing new SYNs (SPEC §9.1, §9.5) and PAWS (SPEC §7.7, RFC 7323 §5).
#include <gtest/gtest.h>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using ConformanceTimeWait = TcpScript;
using ConformancePaws = TcpScript;

// SPEC §9.1: only the side that sent the first FIN enters TIME-WAIT — here the server.
// SPEC §9.5 (RFC 6191, Linux TCP_TW_SYN): a SYN for the same tuple with a sequence number
// beyond the old RCV.NXT ends the TIME-WAIT and is handled by the listener as a new
// connection. (Linux picks the new ISN as the old SND.NXT + 65537, tcp_timewait_state_process;
// SPEC does not fix it, so it is not asserted.)
TEST_F(ConformanceTimeWait, NewSynAboveRcvNxtReusesTheTuple) {
  auto [l, a] = establish_passive();
  close(at(1_s), a);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(1100_ms), State::kTimeWait);

  inject(at(5_s), {.flags = syn, .seq = 1'000'000});
  expect(at(5_s), {.flags = syn_ack, .seq = 0, .ack = 1'000'001});
  expect_state(at(5_s), State::kSynReceived);
  inject(at(5100_ms), {.flags = ack, .seq = 1'000'001, .ack = 1});
  expect_state(at(5100_ms), State::kEstablished);
  accept(at(5100_ms), l);
}

// SPEC §9.5: an old duplicate SYN (seq not above RCV.NXT) in TIME-WAIT is answered with an
// ACK and does not start a connection; TIME-WAIT ends on its original schedule (an ACK-less
// SYN does not restart the timer: Linux tcp_timewait_state_process reschedules only for
// segments with ACK or PAWS rejects).
TEST_F(ConformanceTimeWait, OldSynIsAnsweredWithAck) {
  auto [l, a] = establish_passive();
  close(at(1_s), a);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  inject(at(5_s), {.flags = syn, .seq = 0});
  expect(at(5_s), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(5_s), State::kTimeWait);
  accept_fails(at(5_s), l, EAGAIN);
  expect_nothing_until(at(61100_ms));
  expect_gone(at(61100_ms));
}

// SPEC §9.5 "answered with an ACK or dropped, as Linux": a bare ACK exactly at RCV.NXT is
// taken silently and restarts the 60 s (Linux tcp_timewait_state_process: "In window segment,
// it may be only reset or bare ack" → inet_twsk_reschedule, TCP_TW_SUCCESS).
TEST_F(ConformanceTimeWait, BareAckAtRcvNxtIsSilentAndRestartsTimer) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  inject(at(30_s), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(89_s), State::kTimeWait);
  expect_nothing_until(at(90_s));
  expect_gone(at(90_s));
}

// SPEC §9.2: TIME-WAIT is 60 s whatever tcp_fin_timeout says; and the side that did not close
// first never enters it (LAST-ACK → CLOSED).
TEST_F(ConformanceTimeWait, OnlyTheFirstCloserWaits) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  close(at(1_s), a);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 2});
  inject(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_gone(at(1100_ms));
  (void)l;
}

// SPEC §7.7 (RFC 7323 §5.3): with timestamps negotiated, a segment whose TSval is older than
// ts_recent is dropped and answered with an ACK (Linux tcp_validate_incoming → tcp_send_dupack
// carrying TSecr = ts_recent); its data is not delivered. Newer segments pass.
TEST_F(ConformancePaws, OldTimestampDroppedWithDupAck) {
  peer_syn_options =
      Opts{.mss = 1460, .sack_ok = true, .ts = Ts{.val = 1000, .ecr = 0}, .wscale = 7};
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = linux_syn_options(any, 1000)});
  inject(at(0_s), {.flags = ack, .seq = 1, .ack = 1, .options = Opts{.ts = Ts{.val = 1000}}});
  const SocketId a = accept(at(0_s), l);

  inject(at(1_s), {.flags = psh_ack,
                   .seq = 1,
                   .ack = 1,
                   .options = Opts{.ts = Ts{.val = 2000}},
                   .data = "new"});
  expect_acks_until(
      at(1200_ms),
      {.flags = ack, .seq = 1, .ack = 4, .options = Opts{.ts = Ts{.val = any, .ecr = 2000}}});
  EXPECT_EQ(recv(at(1200_ms), a, 3), "new");

  inject(at(2_s), {.flags = psh_ack,
                   .seq = 4,
                   .ack = 1,
                   .options = Opts{.ts = Ts{.val = 1500}},
                   .data = "old"});
  expect(at(2_s),
         {.flags = ack, .seq = 1, .ack = 4, .options = Opts{.ts = Ts{.val = any, .ecr = 2000}}});
  recv_fails(at(2_s), a, EAGAIN);

  inject(at(3_s), {.flags = psh_ack,
                   .seq = 4,
                   .ack = 1,
                   .options = Opts{.ts = Ts{.val = 3000}},
                   .data = "ok!"});
  expect_acks_until(
      at(3200_ms),
      {.flags = ack, .seq = 1, .ack = 7, .options = Opts{.ts = Ts{.val = any, .ecr = 3000}}});
  EXPECT_EQ(recv(at(3200_ms), a, 3), "ok!");
  expect_state(at(3200_ms), State::kEstablished);
}

}  // namespace
}  // namespace synack::tcptest
