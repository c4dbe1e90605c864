// Memory of one idle ESTABLISHED connection with empty buffers (TCP engine issue target: under
// 512 bytes including its table entry). The Tcb holds no heap while its queues are empty
// (ByteRing allocates lazily), so the figure is sizeof(Tcb) plus the connection table's share;
// bench/tcp_memory_bench.cc measures the same with a counting allocator.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>

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

}  // namespace
}  // namespace synack
