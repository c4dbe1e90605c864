// The byte stream at the edges the state machine cares about (SPEC §7.1, §7.5): in-order and
// out-of-order arrival, duplicates, and when ACKs leave.
//
// Linux facts (net/ipv4/tcp_input.c): an out-of-order segment is ACKed at once
// (__tcp_ack_snd_check: "We have out of order data"), with a SACK block when SACK was
// negotiated; the segment that fills the hole is ACKed at once too (tcp_data_queue: "RFC5681
// 4.2. SHOULD send immediate ACK, when gap in queue is filled"); a pure duplicate is ACKed at
// once (tcp_data_queue: "A retransmit, 2nd most common case. Force an immediate ack").
#include <gtest/gtest.h>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using ConformanceData = TcpScript;

// SPEC §7.1: out-of-order data is kept and delivered when the gap fills; the receiver
// re-ACKs the hole at once and ACKs everything as soon as the gap is filled.
TEST_F(ConformanceData, OutOfOrderSegmentHeldUntilGapFills) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = psh_ack, .seq = 6, .ack = 1, .data = "world"});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 1});
  recv_fails(at(1_s), a, EAGAIN);
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = 1, .data = "hello"});
  expect(at(1100_ms), {.flags = ack, .seq = 1, .ack = 11});
  EXPECT_EQ(recv(at(1100_ms), a, 10), "helloworld");
  (void)l;
}

// SPEC §7.1: a duplicate is dropped (not delivered twice) and ACKed at once.
TEST_F(ConformanceData, DuplicateSegmentDroppedAndAcked) {
  auto [l, a] = establish_passive();
  inject(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "abc"});
  expect_acks_until(at(1200_ms), {.flags = ack, .seq = 1, .ack = 4});
  EXPECT_EQ(recv(at(1200_ms), a, 3), "abc");
  inject(at(2_s), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "abc"});
  expect(at(2_s), {.flags = ack, .seq = 1, .ack = 4});
  recv_fails(at(2_s), a, EAGAIN);
  // Overlapping data is trimmed: only the new tail is delivered.
  inject(at(3_s), {.flags = psh_ack, .seq = 2, .ack = 1, .data = "bcdef"});
  expect_acks_until(at(3200_ms), {.flags = ack, .seq = 1, .ack = 7});
  EXPECT_EQ(recv(at(3200_ms), a, 3), "def");
  (void)l;
}

// SPEC §7.5: at least every second full-sized segment is ACKed: two back-to-back full
// segments get an ACK covering both at once, whatever the quick-ACK state (Linux
// __tcp_ack_snd_check: "More than one full frame received").
TEST_F(ConformanceData, AckAtLeastEverySecondFullSegment) {
  auto [l, a] = establish_passive();
  uint32_t seq = 1;
  for (int i = 0; i < 20; ++i) {  // well past Linux's 16 quick ACKs at the start
    const Instant t = at(1_s) + i * 1_s;
    inject(t, {.flags = ack, .seq = seq, .ack = 1, .len = 1460});
    inject_also(t, {.flags = ack, .seq = seq + 1460, .ack = 1, .len = 1460});
    seq += 2920;
    expect_acks_until(t, {.flags = ack, .seq = 1, .ack = seq});
    recv(t, a, 2920);
  }
  (void)l;
}

// SPEC §7.5: a lone small segment is ACKed within TCP_DELACK_MAX (200 ms) — at once or
// delayed. (With a 1 s gap, longer than the RTO, Linux even re-enters quick-ACK mode:
// tcp_event_data_recv "Too long gap", so only the upper bound is asserted.)
TEST_F(ConformanceData, LoneSegmentAckedWithinDelackMax) {
  auto [l, a] = establish_passive();
  uint32_t seq = 1;
  for (int i = 0; i < 20; ++i) {
    const Instant t = at(1_s) + i * 1_s;
    inject(t, {.flags = psh_ack, .seq = seq, .ack = 1, .len = 10});
    seq += 10;
    expect_between(t, t + 200_ms, {.flags = ack, .seq = 1, .ack = seq});
    recv(now(), a, 10);
  }
  (void)l;
}

}  // namespace
}  // namespace synack::tcptest
