// The right edge of the receive window once offered stays offered (SPEC §7.2; Linux
// tcp_select_window() never shrinks it, RFC 7323 Appendix F). With window scaling the field
// can only say multiples of 128 bytes (wscale 7); when rounding up would promise more than the
// receive queue holds, synack's field rounds down, less than 128 bytes short of the edge it
// offered before. The peer may still send up to that earlier edge, and its ACKs carry
// sequence numbers up to it: both must be accepted. (Before, they were refused as out of
// window: against a Linux peer that had filled the window, only its zero-window probes got
// through, one per backed-off RTO — the 1 MiB lossy echo interop stall.)
//
// Numbers (receive queue 65536 bytes = tcp_rmem[1] / 2, window clamp 65536, rcv_ssthresh
// 65536 after the first full segment; our sequence numbers start at 1 after the SYN):
//   - 44 segments of 1460 fill [1, 64241); reading all of it leaves the queue empty and
//     cur = 128 bytes offered, so tcp_cleanup_rbuf's rule sends a window update: field 512,
//     edge 64241 + 65536 = 129777 (= the queue's own edge, read_seq + 65536);
//   - 20 more bytes: 65516 left, not a multiple of 128; rounding up to 65536 passes the queue's
//     edge, so the field says 511 (65408): edge 64261 + 65408 = 129669, 108 bytes short.
#include <gtest/gtest.h>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"
#include "tcp/tcb.h"

namespace synack::tcptest {
namespace {

using stack::Counter;

constexpr uint32_t kMss = 1460;
constexpr uint32_t kQueueEdge = 129777;  // 64241 + 65536
constexpr uint32_t kGapStart = 64261;    // after the 20 bytes
constexpr uint32_t kGapEnd = kGapStart + kMss;

class ConformanceWindowEdge : public TcpScript {
 protected:
  const tcp::Tcb& tcb(SocketId s) {
    const tcp::Tcb* t = stack().connection_of(s);
    if (t == nullptr) throw ScriptFailure("no connection");
    return *t;
  }
  uint64_t counter(Counter c) { return stack().counters()[c]; }

  // Up to the moment the field is 108 bytes short of the edge offered before (above).
  SocketId offer_then_round_down() {
    const SocketId s = establish_active();
    for (uint32_t k = 0; k < 44; ++k)
      inject_also(at(100_ms), {.flags = ack, .seq = 1 + k * kMss, .ack = 1, .len = kMss});
    expect_acks_until(at(300_ms), {.flags = ack, .seq = 1, .ack = 64241});
    recv(at(400_ms), s, 44 * kMss);
    expect(at(400_ms), {.flags = ack, .seq = 1, .ack = 64241, .win = 512});
    inject(at(500_ms), {.flags = ack, .seq = 64241, .ack = 1, .len = 20});
    expect_acks_until(at(700_ms), {.flags = ack, .seq = 1, .ack = kGapStart, .win = 511});
    return s;
  }
};

// The peer fills the window it was offered, one segment lost: the last segment starts past the
// rounded-down field's edge (129669) and is stored; the gap's retransmission completes it.
TEST_F(ConformanceWindowEdge, DataUpToTheEdgeOfferedBeforeIsAccepted) {
  const SocketId s = offer_then_round_down();
  // Each out-of-order segment is acknowledged at once with the SACK block it grew.
  auto arrive = [&](uint32_t seq, uint32_t len) {
    inject(at(800_ms), {.flags = ack, .seq = seq, .ack = 1, .len = len});
    expect(at(800_ms), {.flags = ack,
                        .seq = 1,
                        .ack = kGapStart,
                        .options = Opts{.sack = {{kGapEnd, seq + len}}}});
  };
  uint32_t seq = kGapEnd;
  for (; seq + kMss <= kQueueEdge - 48; seq += kMss)
    arrive(seq, kMss);
  arrive(seq, kQueueEdge - 48 - seq);
  arrive(kQueueEdge - 48, 48);  // starts 60 bytes past the field's edge (129669)
  inject(at(900_ms), {.flags = ack, .seq = kGapStart, .ack = 1, .len = kMss});
  expect(at(900_ms), {.flags = ack, .seq = 1, .ack = kQueueEdge, .win = 0});
  recv(at(1_s), s, kQueueEdge - 64241);
  EXPECT_EQ(counter(Counter::kTcpExtTCPZeroWindowDrop), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPRcvQDrop), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPOFODrop), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPACKSkippedSeq), 0u);
}

// RFC 9293 §3.10.7.4: a pure ACK is acceptable at any sequence number within the window.
// The peer's ACKs carry its snd_nxt; once it sent up to the earlier edge while a segment is
// missing here, that is past the rounded-down field's edge. The ACK must still acknowledge
// our data: no retransmission follows.
TEST_F(ConformanceWindowEdge, AckAtThePeersSndNxtUpToTheEdgeIsProcessed) {
  const SocketId s = offer_then_round_down();
  inject(at(800_ms), {.flags = ack, .seq = kQueueEdge - 48, .ack = 1, .len = 48});
  expect(at(800_ms), {.flags = ack,
                      .seq = 1,
                      .ack = kGapStart,
                      .options = Opts{.sack = {{kQueueEdge - 48, kQueueEdge}}}});
  send(at(1_s), s, 100);
  expect(at(1_s), {.flags = psh_ack, .seq = 1, .ack = kGapStart, .len = 100});
  inject(at(1010_ms), {.flags = ack, .seq = kQueueEdge, .ack = 101});
  EXPECT_EQ(tcb(s).snd_una - tcb(s).iss, 101u);
  expect_nothing_until(at(5_s));
  EXPECT_EQ(counter(Counter::kTcpExtTCPACKSkippedSeq), 0u);
  EXPECT_EQ(tcb(s).total_retrans, 0u);
}

}  // namespace
}  // namespace synack::tcptest
