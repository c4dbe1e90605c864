// The receive window and the receive queue: the right edge we advertise never lies past what
// the queue can hold, so in-window data is never dropped; data a peer sends past the queue
// anyway is counted (Linux TCPRcvQDrop / TCPOFODrop) and traced; and every ACK sent while
// out-of-order data is held carries SACK blocks (RFC 2018 §4).
//
// Found by tcp_bulk_bench: with 4 MiB buffers and window scale 7, rounding the kept window UP
// to the scale unit on every ACK let the edge creep tens of KB past the queue, the tail of
// in-window segments was cut off silently and the sender recovered only by RTO.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../../bench/bulk_transfer.h"
#include "../../bench/in_memory_pair.h"
#include "stack/counters.h"
#include "stack/sysctl_registry.h"
#include "tcp/harness/tcp_script.h"
#include "tcp/tcb.h"

namespace synack::tcptest {
namespace {

using namespace synack::literals;
using stack::Counter;
using EngineWindowScript = TcpScript;

void big_buffers(Stack& s) {
  const int64_t rmem[] = {4096, 4 << 20, 6 << 20};
  const int64_t wmem[] = {4096, 4 << 20, 4 << 20};
  ASSERT_TRUE(s.sysctls().set_values(stack::SysctlId::kTcpRmem, rmem).has_value());
  ASSERT_TRUE(s.sysctls().set_values(stack::SysctlId::kTcpWmem, wmem).has_value());
}

// The edge the receiver last advertised, as a distance past the queue's own edge (> 0 is the
// bug: the peer may send bytes the queue cannot take).
int32_t edge_overrun(const tcp::Tcb& t) {
  return (t.rcv_wup + t.rcv_wnd) - t.rq.right_edge();
}

// The benchmark's scenario: 4 MiB buffers, the sender always filling the window, 16 MiB.
// On a lossless wire nothing may be dropped or retransmitted.
TEST(EngineWindow, LargeBuffersBulkTransferDropsNothing) {
  bench::InMemoryPair pair;
  big_buffers(pair.a());
  big_buffers(pair.b());
  bench::BulkTransfer bulk(pair);
  ASSERT_TRUE(bulk.open());
  ASSERT_TRUE(bulk.transfer(16u << 20, /*check_pattern=*/true)) << bulk.error();
  const auto& rx = pair.b().counters();
  EXPECT_EQ(rx[Counter::kTcpExtTCPRcvQDrop], 0u);
  EXPECT_EQ(rx[Counter::kTcpExtTCPOFODrop], 0u);
  EXPECT_EQ(rx[Counter::kTcpExtTCPZeroWindowDrop], 0u);
  EXPECT_EQ(pair.a().counters()[Counter::kTcpRetransSegs], 0u);
  EXPECT_EQ(pair.a().counters()[Counter::kTcpExtTCPTimeouts], 0u);
}

// The receiver stops reading: the sender fills the queue to the last byte, the window closes,
// and at no step did the advertised edge pass the queue. Reading then drains everything.
TEST(EngineWindow, ReceiverThatStopsReadingIsFilledExactlyNeverOverrun) {
  bench::InMemoryPair pair;
  big_buffers(pair.a());
  big_buffers(pair.b());
  auto [c, s] = pair.connect();
  ASSERT_NE(c, kNoSocket);
  const tcp::Tcb* rx = pair.b().connection_of(s);
  ASSERT_NE(rx, nullptr);
  ASSERT_EQ(rx->rcv_wscale, 7);  // ilog2(6 MiB) - 15: the scale unit is 128 bytes
  // The stream is bytes i % 251 (a prime, so it does not line up with segments).
  std::vector<uint8_t> src(64 * 1024 + 251);
  for (size_t i = 0; i < src.size(); ++i)
    src[i] = static_cast<uint8_t>(i % 251);
  uint64_t sent = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::span<const uint8_t> chunk(src.data() + sent % 251, 64 * 1024);
    auto r = pair.a().send(c, chunk, pair.now());
    if (r.has_value()) sent += r.value();
    pair.pump();
    ASSERT_LE(edge_overrun(*rx), 0) << "round " << round;
    pair.step(Duration::millis(1));
    ASSERT_LE(edge_overrun(*rx), 0) << "round " << round;
    if (rx->rq.window() == 0 && pair.a().counters()[Counter::kTcpExtTCPWinProbe] > 0) break;
  }
  // The sender used all we offered and the queue (4 MiB of buffer: 2 MiB of window, Linux
  // tcp_win_from_space) is full but for less than one segment: below one MSS of free space
  // no window is offered (receiver SWS avoidance). Nothing was dropped getting there.
  EXPECT_EQ(rx->receive_window(), 0u);
  EXPECT_EQ(rx->rq.limit(), 2u << 20);
  EXPECT_LT(rx->rq.window(), rx->rcv_mss);
  EXPECT_EQ(pair.b().counters()[Counter::kTcpExtTCPRcvQDrop], 0u);
  EXPECT_EQ(pair.b().counters()[Counter::kTcpExtTCPOFODrop], 0u);
  EXPECT_EQ(pair.a().counters()[Counter::kTcpRetransSegs], 0u);

  // Drain: every byte arrives once, in order.
  std::vector<uint8_t> buf(256 * 1024);
  uint64_t got = 0;
  for (int round = 0; round < 20000 && got < sent; ++round) {
    for (;;) {
      auto r = pair.b().recv(s, buf, pair.now());
      if (!r.has_value() || r.value() == 0) break;
      for (size_t i = 0; i < r.value(); ++i) {
        ASSERT_EQ(buf[i], static_cast<uint8_t>((got + i) % 251)) << got + i;
      }
      got += r.value();
    }
    pair.step(Duration::millis(1));
    ASSERT_LE(edge_overrun(*rx), 0) << "drain round " << round;
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(pair.b().counters()[Counter::kTcpExtTCPRcvQDrop], 0u);
}

// A peer that ignores our window: the bytes past the queue are cut off, counted as
// TCPRcvQDrop (in-order data, Linux tcp_data_queue()) and ACKed only up to the queue's end.
// SO_RCVBUF 2000 -> 4000 bytes of buffer (Linux doubles it) -> a 2000-byte queue.
TEST_F(EngineWindowScript, InOrderBytesPastTheQueueCountTcpRcvQDrop) {
  const SocketId s = open();
  set_option(s, SockOpt::kRcvBuf, 2000);
  establish_active(0_s, Instant::zero(), s);
  inject(at(1_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 2500});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 2001, .win = 0});
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPRcvQDrop], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPOFODrop], 0u);
  EXPECT_EQ(recv(at(2_s), s, 2000).size(), 2000u);
}

// The same overrun out of order: the stored part is SACKed, the rest counts as TCPOFODrop
// (Linux tcp_data_queue_ofo()). Every ACK while out-of-order data is held carries SACK
// blocks (RFC 2018 §4) — the immediate ACK and a duplicate ACK for a later segment alike.
TEST_F(EngineWindowScript, OutOfOrderBytesPastTheQueueCountTcpOfoDropAndAcksCarrySack) {
  const SocketId s = open();
  set_option(s, SockOpt::kRcvBuf, 2000);
  establish_active(0_s, Instant::zero(), s);
  inject(at(1_s), {.flags = psh_ack, .seq = 101, .ack = 1, .len = 2000});
  wire::Packet a1 = expect(at(1_s), {.flags = ack, .seq = 1, .ack = 1});
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPOFODrop], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPRcvQDrop], 0u);
  ASSERT_EQ(a1.tcp.options.sack_block_count, 1);
  EXPECT_EQ(a1.tcp.options.sack_blocks[0].left, wire::SeqNum{kPeerIsn + 101});
  EXPECT_EQ(a1.tcp.options.sack_blocks[0].right, wire::SeqNum{kPeerIsn + 2001});
  // A duplicate of stored data: the duplicate ACK reports the block again.
  inject(at(1100_ms), {.flags = psh_ack, .seq = 201, .ack = 1, .len = 100});
  wire::Packet a2 = expect(at(1100_ms), {.flags = ack, .seq = 1, .ack = 1});
  ASSERT_GE(a2.tcp.options.sack_block_count, 1);
  EXPECT_EQ(a2.tcp.options.sack_blocks[0].right, wire::SeqNum{kPeerIsn + 2001});
  // The gap fills: everything is readable, no SACK blocks any more.
  inject(at(1200_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 100});
  wire::Packet a3 = expect(at(1200_ms), {.flags = ack, .seq = 1, .ack = 2001, .win = 0});
  EXPECT_EQ(a3.tcp.options.sack_block_count, 0);
  EXPECT_EQ(recv(at(2_s), s, 2000).size(), 2000u);
}

}  // namespace
}  // namespace synack::tcptest
