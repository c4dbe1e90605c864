// Which data segments carry PSH, and when the FIN may pass a full congestion window — both as
// Linux 6.18 puts them on the wire (the harness's matcher ignores PSH, so these tests read the
// flags of the segments expect() returns).
//
// PSH: Linux marks the end of every write (tcp_push() -> tcp_mark_push()), and the last
// segment of a burst cut short by cwnd leaves with PSH too (packetdrill's
// mss/mss-setsockopt-tcp_maxseg-*.pkt and shutdown/shutdown-rdwr-send-queue-ack-close.pkt,
// checked against the host kernel); a segment sent while Nagle holds the small tail back has
// none (host kernel: ". 501:1501(1000)"), nor has the end of a burst cut by the receive window.
//
// FIN: tcp_cwnd_test() lets a FIN that rides on a one-segment skb out whatever cwnd says (the
// bare FIN after shutdown() with a full window in flight, shutdown-rdwr-write-queue-close.pkt).
#include <gtest/gtest.h>

#include <vector>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

bool has_psh(const wire::Packet& p) {
  return (p.tcp.flags & psh) != 0;
}

// The peer's MSS is 1000 (as in the packetdrill scripts), so IW10 is 10000 bytes.
class ConformancePushAndFin : public TcpScript {
 protected:
  ConformancePushAndFin() { peer_syn_options.mss = 1000; }

  // Expects `count` 1000-byte segments from `seq` at `t`; returns whether each had PSH.
  std::vector<bool> expect_burst(Instant t, uint32_t seq, int count, Where w = {}) {
    std::vector<bool> pushed;
    for (int i = 0; i < count; ++i) {
      pushed.push_back(
          has_psh(expect(t, {.flags = ack, .seq = seq + 1000u * i, .ack = 1, .len = 1000}, w)));
    }
    return pushed;
  }
};

std::vector<bool> only_last(int count) {
  std::vector<bool> v(static_cast<size_t>(count), false);
  v.back() = true;
  return v;
}

// shutdown-rdwr-send-queue-ack-close.pkt's wire: a 20000-byte write sends IW10 ending with
// PSH; an ACK of one segment lets two more out, the second with PSH; the rest leaves with FIN
// and PSH on its last segment.
TEST_F(ConformancePushAndFin, LastSegmentOfEachBurstCarriesPsh) {
  auto [l, a] = establish_passive();
  send(at(10_ms), a, 20000);
  EXPECT_EQ(expect_burst(at(10_ms), 1, 10), only_last(10));
  shutdown(at(10_ms), a, ShutdownHow::kBoth);  // FIN queued behind 10000 unsent bytes
  expect_nothing_until(at(11_ms));
  inject(at(11_ms), {.flags = ack, .seq = 1, .ack = 1001});
  EXPECT_EQ(expect_burst(at(11_ms), 10001, 2), only_last(2));
  inject(at(12_ms), {.flags = ack, .seq = 1, .ack = 12001});
  // cwnd 22 now: the remaining 8000 bytes go at once, the last one with FIN.
  EXPECT_EQ(expect_burst(at(12_ms), 12001, 7), std::vector<bool>(7, false));
  const wire::Packet last =
      expect(at(12_ms), {.flags = fin_ack, .seq = 19001, .ack = 1, .len = 1000});
  EXPECT_TRUE(has_psh(last));
  (void)l;
}

// mss-setsockopt-tcp_maxseg-server.pkt's wire: a 12000-byte write is cut at IW10 by cwnd; the
// cut carries PSH, and so does the end of the data when an ACK releases it.
TEST_F(ConformancePushAndFin, BurstCutByCwndEndsWithPshAndSoDoesTheData) {
  auto [l, a] = establish_passive();
  send(at(10_ms), a, 12000);
  EXPECT_EQ(expect_burst(at(10_ms), 1, 10), only_last(10));
  inject(at(20_ms), {.flags = ack, .seq = 1, .ack = 10001});
  EXPECT_EQ(expect_burst(at(20_ms), 10001, 2), only_last(2));
  (void)l;
}

// Nagle holds the 500-byte tail of a 1500-byte write while the first small segment is
// unacknowledged: the full segment before it leaves without PSH; the tail, once released,
// ends the data and has it (the host kernel's wire for the same writes).
TEST_F(ConformancePushAndFin, SegmentBeforeANagleHeldTailHasNoPsh) {
  auto [l, a] = establish_passive();
  send(at(10_ms), a, 500);
  EXPECT_TRUE(has_psh(expect(at(10_ms), {.flags = ack, .seq = 1, .ack = 1, .len = 500})));
  send(at(10_ms), a, 1500);
  EXPECT_FALSE(has_psh(expect(at(10_ms), {.flags = ack, .seq = 501, .ack = 1, .len = 1000})));
  expect_nothing_until(at(11_ms));
  inject(at(11_ms), {.flags = ack, .seq = 1, .ack = 501});
  EXPECT_TRUE(has_psh(expect(at(11_ms), {.flags = ack, .seq = 1501, .ack = 1, .len = 500})));
  (void)l;
}

// A burst cut by the peer's window (3000 bytes, no window scaling) ends without PSH; the rest, once
// the window opens, ends the data with it.
TEST_F(ConformancePushAndFin, BurstCutByTheReceiveWindowEndsWithoutPsh) {
  const SocketId l = listen(at(0_ms));
  inject(at(0_ms), {.flags = syn, .seq = 0, .win = 3000, .options = Opts{.mss = 1000}});
  expect(at(0_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .options = Opts{.mss = 1460}});
  inject(at(1_ms), {.flags = ack, .seq = 1, .ack = 1, .win = 3000});
  const SocketId a = accept(at(1_ms), l);
  send(at(10_ms), a, 5000);
  EXPECT_EQ(expect_burst(at(10_ms), 1, 3), std::vector<bool>(3, false));
  inject(at(11_ms), {.flags = ack, .seq = 1, .ack = 3001, .win = 3000});
  EXPECT_EQ(expect_burst(at(11_ms), 3001, 2), only_last(2));
  (void)l;
}

// Small writes each end the data: every one carries PSH (TCP_NODELAY so Nagle holds none).
TEST_F(ConformancePushAndFin, EveryWriteEndsWithPsh) {
  auto [l, a] = establish_passive();
  set_option(a, SockOpt::kNoDelay, 1);
  send(at(10_ms), a, 100);
  EXPECT_TRUE(has_psh(expect(at(10_ms), {.flags = ack, .seq = 1, .ack = 1, .len = 100})));
  send(at(11_ms), a, 2500);
  EXPECT_EQ(expect_burst(at(11_ms), 101, 2), std::vector<bool>({false, false}));
  EXPECT_TRUE(has_psh(expect(at(11_ms), {.flags = ack, .seq = 2101, .ack = 1, .len = 500})));
  (void)l;
}

// shutdown-rdwr-write-queue-close.pkt's wire: with IW10 all in flight, shutdown() sends the
// bare FIN at once (Linux tcp_cwnd_test(): a one-segment FIN skb is never held by cwnd).
TEST_F(ConformancePushAndFin, BareFinPassesAFullCongestionWindow) {
  auto [l, a] = establish_passive();
  send(at(10_ms), a, 10000);
  EXPECT_EQ(expect_burst(at(10_ms), 1, 10), only_last(10));
  shutdown(at(20_ms), a, ShutdownHow::kBoth);
  expect(at(20_ms), {.flags = fin_ack, .seq = 10001, .ack = 1});
  expect_state(at(20_ms), State::kFinWait1);
  (void)l;
}

// The FIN on the last piece of data that fits one segment passes a full cwnd with that data.
TEST_F(ConformancePushAndFin, FinWithOneSegmentOfDataPassesAFullCongestionWindow) {
  auto [l, a] = establish_passive();
  send(at(10_ms), a, 10400);
  EXPECT_EQ(expect_burst(at(10_ms), 1, 10), only_last(10));
  shutdown(at(20_ms), a, ShutdownHow::kWrite);
  const wire::Packet p = expect(at(20_ms), {.flags = fin_ack, .seq = 10001, .ack = 1, .len = 400});
  EXPECT_TRUE(has_psh(p));
  (void)l;
}

// With more than one segment of data left the FIN waits for the ACK clock like the data.
TEST_F(ConformancePushAndFin, FinBehindMoreThanOneSegmentWaitsForCwnd) {
  auto [l2, a2] = establish_passive();
  send(at(10_ms), a2, 11500);
  EXPECT_EQ(expect_burst(at(10_ms), 1, 10), only_last(10));
  shutdown(at(20_ms), a2, ShutdownHow::kWrite);
  expect_nothing_until(at(100_ms));  // 1500 bytes + FIN: two segments, cwnd is full
  inject(at(100_ms), {.flags = ack, .seq = 1, .ack = 10001});
  EXPECT_FALSE(has_psh(expect(at(100_ms), {.flags = ack, .seq = 10001, .ack = 1, .len = 1000})));
  EXPECT_TRUE(has_psh(expect(at(100_ms), {.flags = fin_ack, .seq = 11001, .ack = 1, .len = 500})));
  (void)l2;
}

}  // namespace
}  // namespace synack::tcptest
