// SACK-based loss recovery as a sender (RFC 6675 with PRR, RFC 6937; SPEC §7.4), packet by
// packet. The peer offers SACK (the harness's default SYN options) and acknowledges with SACK
// blocks the way a Linux receiver does; every segment synack sends is stated with its time.
//
// Arithmetic shared by the tests (segments of 1460 bytes; "seg k" starts at 1 + (k-1) * 1460):
// the 0 ms handshake leaves RTO 200 ms and cwnd 10; the first ACK grows cwnd to 11 (slow
// start, the flight was cwnd-limited). At the ACK that makes IsLost(snd_una) true — three
// segments SACKed above the hole, the same ACK as the third duplicate — ssthresh = cwnd / 2 = 5
// (Linux tcp_reno_ssthresh()) and PRR (Linux tcp_cwnd_reduction()) sets cwnd = pipe + sndcnt
// on every ACK: while pipe > ssthresh, sndcnt = ceil(prr_delivered * ssthresh / prior_cwnd) -
// prr_out; at or below it, min(ssthresh - pipe, max(prr_delivered - prr_out, delivered) [+1
// if snd_una advanced]); the first sndcnt is at least 1 (the fast retransmission).
#include <gtest/gtest.h>

#include <vector>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"
#include "tcp/tcb.h"

namespace synack::tcptest {
namespace {

using stack::Counter;

constexpr uint32_t kMss = 1460;
constexpr uint32_t seg(uint32_t k) {
  return 1 + (k - 1) * kMss;
}

class ConformanceSackRecovery : public TcpScript {
 protected:
  // An ACK for data up to (not including) seg `una`, SACKing segs first..last.
  SegSpec sack_ack(uint32_t una, uint32_t first, uint32_t last) {
    return {.flags = ack,
            .seq = 1,
            .ack = seg(una),
            .options = Opts{.sack = {{seg(first), seg(last + 1)}}}};
  }
  SegSpec data(uint32_t k, uint32_t len = kMss) {
    return {.flags = ack, .seq = seg(k), .ack = 1, .len = len};
  }
  const tcp::Tcb& tcb(SocketId s) {
    const tcp::Tcb* t = stack().connection_of(s);
    if (t == nullptr) throw ScriptFailure("no connection");
    return *t;
  }
  uint64_t counter(Counter c) { return stack().counters()[c]; }
  // tcpi_unacked / sacked / lost / retrans as src/api's TCP_INFO computes them.
  struct Counts {
    uint32_t unacked, sacked, lost, retrans;
  };
  Counts counts(SocketId s) {
    const tcp::Tcb& t = tcb(s);
    if (!t.sack) throw ScriptFailure("no scoreboard");
    const auto f = t.sack->flight(t.snd_una, t.snd_max, t.snd_nxt, t.snd_mss, tcp::sack_mode(t));
    return {tcp::segments(f.outstanding, t.snd_mss), tcp::segments(f.sacked, t.snd_mss),
            tcp::segments(f.lost, t.snd_mss), tcp::segments(f.retrans, t.snd_mss)};
  }

  // Ten segments at 1 s; seg 1 acknowledged at 1050 ms (cwnd 11: segs 11 and 12 follow).
  SocketId ten_segments_out(uint32_t queued_segments) {
    const SocketId s = establish_active();
    send(at(1_s), s, queued_segments * kMss);
    for (uint32_t k = 1; k <= 10; ++k)
      expect(at(1_s), data(k));
    inject(at(1050_ms), {.flags = ack, .seq = 1, .ack = seg(2)});
    if (queued_segments > 10) {
      expect(at(1050_ms), data(11));
      expect(at(1050_ms), data(12));
    }
    return s;
  }
};

// One segment (seg 2) lost: SACKed duplicate ACKs let new data out while SACKed segments leave
// the pipe (Linux tcp_packets_in_flight()); the third — IsLost(seg 2) — retransmits seg 2 once;
// PRR paces new data; the ACK beyond `recover` ends recovery with cwnd = ssthresh = 5.
TEST_F(ConformanceSackRecovery, OneLostSegmentRetransmittedOnceThenPrrThenExitAtSsthresh) {
  const SocketId s = ten_segments_out(30);
  // SACK of seg 3: 11 outstanding, 1 SACKed: pipe 10 < cwnd 11.
  inject(at(1051_ms), sack_ack(2, 3, 3));
  expect(at(1051_ms), data(13));
  inject(at(1052_ms), sack_ack(2, 3, 4));
  expect(at(1052_ms), data(14));
  // Three SACKed above seg 2: recovery. pipe = 13 - 3 - 1 (lost) = 9 > ssthresh 5:
  // sndcnt = ceil(1 * 5 / 11) = 1, cwnd 10: the retransmission of seg 2 only.
  inject(at(1053_ms), sack_ack(2, 3, 5));
  expect(at(1053_ms), data(2));
  EXPECT_EQ(tcb(s).cc.state(), tcp::CaState::kRecovery);
  EXPECT_EQ(tcb(s).cc.ssthresh(), 5u);
  EXPECT_EQ(tcb(s).cc.cwnd(), 10u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPSackRecovery), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPRenoRecovery), 0u);
  // PRR: prr_delivered 2..10 against prr_out 1..5 (see the file comment).
  inject(at(1054_ms), sack_ack(2, 3, 6));  // pipe 9: ceil(10/11) - 1 = 0
  expect_nothing_until(at(1055_ms));
  inject(at(1055_ms), sack_ack(2, 3, 7));  // pipe 8: ceil(15/11) - 1 = 1
  expect(at(1055_ms), data(15));
  inject(at(1056_ms), sack_ack(2, 3, 8));  // pipe 8: ceil(20/11) - 2 = 0
  expect_nothing_until(at(1057_ms));
  inject(at(1057_ms), sack_ack(2, 3, 9));  // pipe 7: ceil(25/11) - 2 = 1
  expect(at(1057_ms), data(16));
  inject(at(1058_ms), sack_ack(2, 3, 10));  // pipe 7: ceil(30/11) - 3 = 0
  expect_nothing_until(at(1059_ms));
  inject(at(1059_ms), sack_ack(2, 3, 11));  // pipe 6: ceil(35/11) - 3 = 1
  expect(at(1059_ms), data(17));
  inject(at(1060_ms), sack_ack(2, 3, 12));  // pipe 6: ceil(40/11) - 4 = 0
  expect_nothing_until(at(1061_ms));
  inject(at(1061_ms), sack_ack(2, 3, 13));  // pipe 5 = ssthresh: min(0, ...) = 0
  expect_nothing_until(at(1062_ms));
  inject(at(1062_ms), sack_ack(2, 3, 14));  // pipe 4: min(1, max(10 - 4, 1)) = 1
  expect(at(1062_ms), data(18));
  // TCP_INFO in segments, as Linux: 17 outstanding (2..18), 12 SACKed, seg 2 lost and
  // retransmitted.
  const Counts i = counts(s);
  EXPECT_EQ(i.unacked, 17u);
  EXPECT_EQ(i.sacked, 12u);
  EXPECT_EQ(i.lost, 1u);
  EXPECT_EQ(i.retrans, 1u);
  // The retransmission arrives: everything up to seg 17 is acknowledged, beyond recover (the
  // end of seg 14): Open, cwnd = ssthresh 5, and with seg 18 in flight four new segments go.
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = seg(18)});
  for (uint32_t k = 19; k <= 22; ++k)
    expect(at(1100_ms), data(k));
  EXPECT_EQ(tcb(s).cc.state(), tcp::CaState::kOpen);
  EXPECT_EQ(tcb(s).cc.cwnd(), 5u);
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastRetrans), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPTimeouts), 0u);
}

// The retransmission of seg 2 is lost as well. It left at 1053 ms when seg 14 was the highest
// sent (its fence: seg 15). Segs 15-17 went later; once all three are SACKed with seg 2 still
// missing, seg 2's retransmission is lost too (more than DupThresh - 1 segments sent after it
// arrived) and it goes again at once, counted in TCPLostRetransmit — not one RTO later.
TEST_F(ConformanceSackRecovery, LostRetransmissionSentAgainWhenLaterDataIsSacked) {
  const SocketId s = ten_segments_out(30);
  inject(at(1051_ms), sack_ack(2, 3, 3));
  expect(at(1051_ms), data(13));
  inject(at(1052_ms), sack_ack(2, 3, 4));
  expect(at(1052_ms), data(14));
  inject(at(1053_ms), sack_ack(2, 3, 5));
  expect(at(1053_ms), data(2));
  // PRR as in OneLostSegmentRetransmittedOnceThenPrrThenExitAtSsthresh.
  uint32_t next = 15;
  for (uint32_t k = 6; k <= 14; ++k) {
    const Instant when = at(1048_ms) + k * 1_ms;
    inject(when, sack_ack(2, 3, k));
    if (k == 7 || k == 9 || k == 11 || k == 14) expect(when, data(next++));
  }
  // pipe 4 (17 out, 13 SACKed, seg 2 lost and retransmitted): one new segment per delivery.
  inject(at(1100_ms), sack_ack(2, 3, 15));
  expect(at(1100_ms), data(19));
  inject(at(1101_ms), sack_ack(2, 3, 16));
  expect(at(1101_ms), data(20));
  EXPECT_EQ(counter(Counter::kTcpExtTCPLostRetransmit), 0u);  // two beyond the fence: not yet
  inject(at(1102_ms), sack_ack(2, 3, 17));
  expect(at(1102_ms), data(2));
  // PRR still allows one new segment: like Linux, the lost retransmission left the pipe
  // before it was sent again.
  expect(at(1102_ms), data(21));
  EXPECT_EQ(counter(Counter::kTcpExtTCPLostRetransmit), 1u);
  EXPECT_EQ(tcb(s).cc.state(), tcp::CaState::kRecovery);
  // The second retransmission arrives: recovery ends (beyond recover, the end of seg 14).
  inject(at(1150_ms), {.flags = ack, .seq = 1, .ack = seg(22)});
  EXPECT_EQ(tcb(s).cc.state(), tcp::CaState::kOpen);
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPTimeouts), 0u);
}

// Two holes in one window (segs 2 and 5): both are retransmitted within the same RTT, the
// second as soon as three segments above it are SACKed (RFC 6675 NextSeg() rule 1), not after
// a partial ACK one RTT later as NewReno would. Segs 9-10, above everything SACKed, are not
// resent (no loss mark).
TEST_F(ConformanceSackRecovery, TwoHolesBothRetransmittedInOneRtt) {
  ten_segments_out(10);
  inject(at(1051_ms), sack_ack(2, 3, 3));
  inject(at(1052_ms), sack_ack(2, 3, 4));
  expect_nothing_until(at(1053_ms));
  // Seg 5 lost too: SACK 3-4 and 6.
  inject(at(1053_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(6), seg(7)}, {seg(3), seg(5)}}}});
  // 3 SACKed above seg 2: recovery; pipe 9 - 3 - 1 = 5 = ssthresh, so only the forced
  // fast retransmission (cwnd 6).
  expect(at(1053_ms), data(2));
  inject(at(1054_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(6), seg(8)}, {seg(3), seg(5)}}}});
  expect_nothing_until(at(1055_ms));
  // Seg 8 SACKed too: segs 6-8 above seg 5 — lost; pipe 3, PRR cwnd 5 lets it go.
  inject(at(1055_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(6), seg(9)}, {seg(3), seg(5)}}}});
  expect(at(1055_ms), data(5));
  // The two retransmissions arrive in turn; the second ACK covers everything.
  inject(at(1103_ms),
         {.flags = ack, .seq = 1, .ack = seg(5), .options = Opts{.sack = {{seg(6), seg(9)}}}});
  inject(at(1105_ms), {.flags = ack, .seq = 1, .ack = seg(11)});
  expect_nothing_until(at(2_s));
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastRetrans), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPSackRecovery), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPTimeouts), 0u);
}

// Two holes (segs 2 and 4), both lost as soon as three segments above seg 4 are SACKed: both
// go at once. Both retransmissions are lost too: the RTO goes back to snd_una, and the
// go-back-N pass sends only what the peer has not SACKed (Linux tcp_enter_loss() keeps SACKed
// skbs): segs 2 and 4 again, never 3 or 5..10.
TEST_F(ConformanceSackRecovery, LostRetransmissionsRtoGoBackNSkipsSackedData) {
  const SocketId s = ten_segments_out(10);
  inject(at(1051_ms), sack_ack(2, 3, 3));
  inject(at(1052_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(5), seg(6)}, {seg(3), seg(4)}}}});
  expect_nothing_until(at(1053_ms));
  // Segs 5-7 SACKed: segs 2 and 4 are lost. pipe = 9 - 4 - 2 = 3 <= ssthresh 5, delivered 2:
  // sndcnt = min(5 - 3, max(2, 2)) = 2, cwnd 5: both holes.
  inject(at(1053_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(5), seg(8)}, {seg(3), seg(4)}}}});
  expect(at(1053_ms), data(2));
  expect(at(1053_ms), data(4));
  const Duration rto = tcb(s).rtt.rto();
  inject(at(1054_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(5), seg(11)}, {seg(3), seg(4)}}}});
  // Both retransmissions are lost: the RTO, armed when recovery began, resends seg 2 alone
  // (cwnd 1, seg 3 is SACKed).
  const Instant fired = at(1053_ms) + rto;
  expect(fired, data(2));
  EXPECT_EQ(tcb(s).cc.state(), tcp::CaState::kLoss);
  // Its ACK (cwnd 2 by slow start): seg 4, then nothing — 5..10 are SACKed.
  inject(fired + 50_ms,
         {.flags = ack, .seq = 1, .ack = seg(4), .options = Opts{.sack = {{seg(5), seg(11)}}}});
  expect(fired + 50_ms, data(4));
  inject(fired + 100_ms, {.flags = ack, .seq = 1, .ack = seg(11)});
  expect_nothing_until(at(10_s));
  EXPECT_EQ(counter(Counter::kTcpExtTCPTimeouts), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPSackRecoveryFail), 1u);
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 4u);
}

// D-SACK (RFC 2883: the first block below the cumulative ACK, or inside the second) and
// invalid blocks (beyond snd_nxt, or wholly below snd_una) are counted and change nothing:
// no recovery, no retransmission.
TEST_F(ConformanceSackRecovery, DsackAndInvalidBlocksCountedAndIgnored) {
  const SocketId s = ten_segments_out(10);
  // D-SACK below the ACK.
  inject(at(1051_ms),
         {.flags = ack, .seq = 1, .ack = seg(2), .options = Opts{.sack = {{seg(1), seg(2)}}}});
  // D-SACK inside the second block (TCPDSACKOfoRecv), with that second block valid.
  inject(at(1052_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(3), seg(4)}, {seg(3), seg(5)}}}});
  // Beyond anything sent, and a block with left == right.
  inject(at(1053_ms), {.flags = ack,
                       .seq = 1,
                       .ack = seg(2),
                       .options = Opts{.sack = {{seg(11), seg(13)}, {seg(6), seg(6)}}}});
  expect_nothing_until(at(1100_ms));
  EXPECT_EQ(counter(Counter::kTcpExtTCPDSACKRecv), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPDSACKOfoRecv), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPSACKDiscard), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPSackRecovery), 0u);
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 0u);
  // Only segs 3-4 count as SACKed.
  EXPECT_EQ(counts(s).sacked, 2u);
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = seg(11)});
  expect_nothing_until(at(2_s));
}

// A receiver that reneges (its cumulative ACK stops at data it had SACKed: it threw that
// away): the marks are forgotten (Linux tcp_check_sack_reneging()), so the RTO resends the
// reneged data instead of skipping it — the receiver gets every byte.
TEST_F(ConformanceSackRecovery, RenegedSackedDataIsResentAfterRto) {
  const SocketId s = ten_segments_out(10);
  // Segs 2 and 3 missing, 4..10 SACKed: both lost, pipe 0, cwnd = ssthresh 5: both go.
  inject(at(1051_ms), sack_ack(2, 4, 10));
  expect(at(1051_ms), data(2));
  expect(at(1051_ms), data(3));
  // The peer's cumulative ACK stops at seg 4, which it had SACKed.
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = seg(4)});
  EXPECT_EQ(counter(Counter::kTcpExtTCPSACKReneging), 1u);
  EXPECT_TRUE(tcb(s).sack->empty());
  // Nothing is known to be lost any more; the RTO (re-armed by this ACK) resends from seg 4
  // on, every segment, none skipped.
  const Instant fired = at(1100_ms) + tcb(s).rtt.rto();
  expect(fired, data(4));
  inject(fired + 50_ms, {.flags = ack, .seq = 1, .ack = seg(5)});
  expect(fired + 50_ms, data(5));
  expect(fired + 50_ms, data(6));
  inject(fired + 100_ms, {.flags = ack, .seq = 1, .ack = seg(7)});
  for (uint32_t k = 7; k <= 10; ++k)
    expect(fired + 100_ms, data(k));
  inject(fired + 150_ms, {.flags = ack, .seq = 1, .ack = seg(11)});
  expect_nothing_until(at(10_s));
}

// Without SACK-permitted from the peer, NewReno is unchanged: window inflation from
// ssthresh + 3, one retransmission per partial ACK.
TEST_F(ConformanceSackRecovery, PeerWithoutSackKeepsNewReno) {
  peer_syn_options = Opts{.mss = 1460, .wscale = 7};
  const SocketId s = ten_segments_out(10);
  inject(at(1051_ms), {.flags = ack, .seq = 1, .ack = seg(2)});
  inject(at(1052_ms), {.flags = ack, .seq = 1, .ack = seg(2)});
  expect_nothing_until(at(1053_ms));
  inject(at(1053_ms), {.flags = ack, .seq = 1, .ack = seg(2)});
  expect(at(1053_ms), data(2));
  const tcp::Tcb* t = stack().connection_of(s);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->sack_ok);
  EXPECT_EQ(t->sack, nullptr);
  EXPECT_EQ(t->cc.cwnd(), t->cc.ssthresh() + 3);
  // Partial ACK up to seg 5 (seg 5 lost too): NewReno resends seg 5 at once.
  inject(at(1100_ms), {.flags = ack, .seq = 1, .ack = seg(5)});
  expect(at(1100_ms), data(5));
  EXPECT_EQ(counter(Counter::kTcpExtTCPRenoRecovery), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPSackRecovery), 0u);
}

}  // namespace
}  // namespace synack::tcptest
