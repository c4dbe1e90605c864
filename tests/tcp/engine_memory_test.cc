// Memory of one idle ESTABLISHED connection with empty buffers (TCP engine issue target: under
// 512 bytes including its table entry). The Tcb holds no heap while its queues are empty
// (ByteRing allocates lazily), so the figure is sizeof(Tcb) plus the connection table's share;
// bench/tcp_memory_bench.cc measures the same with a counting allocator.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>

#include "../../bench/in_memory_pair.h"
#include "stack/stack.h"
#include "tcp/tcb.h"

namespace synack {
namespace {

class NullOutput final : public PacketOutput {
 public:
  void transmit(std::span<const uint8_t>, Instant) override {}
};

TEST(EngineMemory, IdleConnectionUnder512Bytes) {
  NullOutput out;
  Stack s({.address = wire::Ipv4Address::from_octets(10, 0, 0, 1)}, 1, out);
  // 1000 connections in SYN-SENT hold no buffers either; what counts is the Tcb and the table.
  for (uint16_t i = 0; i < 1000; ++i) {
    const SocketId id = s.socket().value();
    ASSERT_EQ(
        s.connect(id, Endpoint{wire::Ipv4Address::from_octets(10, 0, 1, 1), uint16_t(1000 + i)},
                  Instant::zero()),
        EINPROGRESS);
    const tcp::Tcb* t = s.connection_of(id);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->sq.buffer_bytes(), 0u);
    EXPECT_EQ(t->rq.buffer_bytes(), 0u);
  }
  const size_t per_conn = s.table_bytes_per_connection();
  std::printf("sizeof(Tcb) = %zu bytes; with its connection-table share: %zu bytes\n",
              sizeof(tcp::Tcb), per_conn);
  EXPECT_LT(per_conn, 512u);
}

size_t ring_bytes(const tcp::Tcb* t) {
  return t->sq.buffer_bytes() + t->rq.buffer_bytes();
}

// Moves 1 KiB each way and reads it all; the pair's clock then stands 1 ms after the last
// packet.
void exchange_1kib(bench::InMemoryPair& pair, SocketId c, SocketId s) {
  std::vector<uint8_t> buf(1024, 0x5a);
  ASSERT_EQ(pair.a().send(c, buf, pair.now()).value(), 1024u);
  ASSERT_EQ(pair.b().send(s, buf, pair.now()).value(), 1024u);
  pair.pump();
  ASSERT_EQ(pair.b().recv(s, buf, pair.now()).value(), 1024u);
  ASSERT_EQ(pair.a().recv(c, buf, pair.now()).value(), 1024u);
  pair.step(Duration::millis(1));
}

// Issue item 4a: an ESTABLISHED connection that carried 1 KiB each way and went idle gives its
// rings back once it has been quiet for tcp_delack_max (200 ms), not at once (a request/
// response connection would allocate per request) and not while data keeps coming.
TEST(EngineMemory, IdleConnectionAfterTrafficHoldsNoRingMemory) {
  bench::InMemoryPair pair;
  auto [c, s] = pair.connect();
  ASSERT_NE(c, kNoSocket);
  exchange_1kib(pair, c, s);
  const tcp::Tcb* tc = pair.a().connection_of(c);
  const tcp::Tcb* ts = pair.b().connection_of(s);
  EXPECT_GT(ring_bytes(tc), 0u);  // both rings were used and are still held right after
  EXPECT_GT(ring_bytes(ts), 0u);
  // Traffic every 100 ms keeps the rings.
  for (int i = 0; i < 5; ++i) {
    pair.step(Duration::millis(99));
    exchange_1kib(pair, c, s);
    EXPECT_GT(ring_bytes(tc), 0u) << i;
  }
  // Quiet: gone 200 ms after the last segment arrived, with no packet sent for it.
  const uint64_t delivered = pair.packets_delivered();
  while (pair.settle(pair.now() + Duration::seconds(1))) {
  }
  EXPECT_EQ(ring_bytes(tc), 0u);
  EXPECT_EQ(ring_bytes(ts), 0u);
  EXPECT_EQ(pair.packets_delivered(), delivered);
  EXPECT_EQ(pair.a().info(c).value().state, tcp::State::kEstablished);
  // And the connection still works: the rings come back on demand.
  exchange_1kib(pair, c, s);
  EXPECT_GT(ring_bytes(tc), 0u);
}

// Rings are given back at once when the state says they will not be needed: FIN-WAIT-2 (our
// FIN acknowledged) on the side that closed, CLOSE-WAIT after the EOF was read on the other.
TEST(EngineMemory, RingsGoBackInFinWait2AndInCloseWaitAfterEof) {
  bench::InMemoryPair pair;
  auto [c, s] = pair.connect();
  ASSERT_NE(c, kNoSocket);
  exchange_1kib(pair, c, s);
  ASSERT_EQ(pair.a().shutdown(c, ShutdownHow::kWrite, pair.now()), 0);
  // The FIN's ACK is delayed (40 ms, Linux tcp_fin() with pingpong); the quiet-time reclaim
  // could not come before 200 ms, so what is observed at 50 ms is the state rule.
  pair.pump();
  pair.step(Duration::millis(50));
  const tcp::Tcb* tc = pair.a().connection_of(c);
  const tcp::Tcb* ts = pair.b().connection_of(s);
  EXPECT_EQ(tc->state, tcp::State::kFinWait2);
  EXPECT_EQ(ring_bytes(tc), 0u);
  EXPECT_EQ(ts->state, tcp::State::kCloseWait);
  std::vector<uint8_t> buf(16);
  ASSERT_EQ(pair.b().recv(s, buf, pair.now()).value(), 0u);  // EOF
  EXPECT_EQ(ring_bytes(ts), 0u);
}

// Options set on a listening socket reach the connections it accepts (Linux sk_clone_lock()
// copies the listener's settings): they are kept on the listener itself.
TEST(EngineMemory, ListenerOptionsReachAcceptedConnections) {
  bench::InMemoryPair pair;
  auto first = pair.connect();  // creates the listener
  ASSERT_NE(first.second, kNoSocket);
  EXPECT_EQ(pair.b().get_option(first.second, SockOpt::kNoDelay).value(), 0);
  ASSERT_EQ(pair.b().set_option(pair.listener(), SockOpt::kNoDelay, 1), 0);
  EXPECT_EQ(pair.b().get_option(pair.listener(), SockOpt::kNoDelay).value(), 1);
  auto second = pair.connect();
  ASSERT_NE(second.second, kNoSocket);
  EXPECT_EQ(pair.b().get_option(second.second, SockOpt::kNoDelay).value(), 1);
}

}  // namespace
}  // namespace synack
