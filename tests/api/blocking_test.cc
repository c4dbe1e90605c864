// Blocking calls of the BSD-socket facade in the simulator's virtual time: each returns at the
// exact virtual instant its event arrives (cable latency 10 ms each way).
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "api/socket_world.h"

namespace synack::api::testing {
namespace {

// A sink that loses everything: "unplugs" a host.
class BlackHole final : public link::PacketSink {
 public:
  void push(link::PacketPtr, Instant) override {}
};

TEST(SocketsBlocking, AcceptReturnsWhenTheHandshakeCompletes) {
  SocketWorld w;
  const int l = w.listener();
  ASSERT_GE(l, 0);
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in to = inet(kServerAddr, 80);
  ASSERT_EQ(w.cli.connect(c, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  const int s = w.srv.accept(l, sa(from), &len);
  ASSERT_GE(s, 0);
  // SYN arrives at 10 ms, SYN+ACK at the client at 20 ms, its ACK at the server at 30 ms.
  EXPECT_EQ(w.sim.now(), Instant::zero() + 30_ms);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(from.sin_family, AF_INET);
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), kClientAddr.value());
  EXPECT_NE(ntohs(from.sin_port), 0);
}

TEST(SocketsBlocking, ConnectReturnsAfterOneRoundTrip) {
  SocketWorld w;
  ASSERT_GE(w.listener(), 0);
  const int c = w.connect();
  ASSERT_GE(c, 0);
  EXPECT_EQ(w.sim.now(), Instant::zero() + 20_ms);
}

TEST(SocketsBlocking, ConnectToAClosedPortFailsWithEconnrefused) {
  SocketWorld w;
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in to = inet(kServerAddr, 81);
  EXPECT_EQ(w.cli.connect(c, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_EQ(w.sim.now(), Instant::zero() + 20_ms);  // the RST arrives one round trip later
}

TEST(SocketsBlocking, ConnectGivesUpAfterTcpSyncntWithEtimedout) {
  SocketWorld w(link::LinkParams{.latency = 10_ms, .loss = 1.0});
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ASSERT_EQ(w.cli.setsockopt(c, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof one), 0);
  const sockaddr_in to = inet(kServerAddr, 80);
  EXPECT_EQ(w.cli.connect(c, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  // SYN at 0 s, one retransmission at 1 s, then RTO 2 s runs out: 3 s (SPEC §4.6).
  EXPECT_EQ(w.sim.now(), Instant::zero() + 3_s);
}

TEST(SocketsBlocking, ConnectWithSoSndtimeoReturnsEinprogressWhenItRunsOut) {
  SocketWorld w(link::LinkParams{.latency = 10_ms, .loss = 1.0});
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const timeval tv{.tv_sec = 0, .tv_usec = 500'000};
  ASSERT_EQ(w.cli.setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
  const sockaddr_in to = inet(kServerAddr, 80);
  EXPECT_EQ(w.cli.connect(c, sa(to), sizeof to), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  EXPECT_EQ(w.sim.now(), Instant::zero() + 500_ms);
  EXPECT_EQ(w.cli.connect(c, sa(to), sizeof to), -1);  // still SYN-SENT
  EXPECT_EQ(errno, EALREADY);
}

TEST(SocketsBlocking, ReadReturnsDataWhenItArrives) {
  SocketWorld w;
  const auto p = w.pair();
  ASSERT_GE(p.s, 0);
  const Instant t0 = w.sim.now();
  w.sim.at(t0 + 100_ms, [&](Instant) { ASSERT_EQ(w.cli.write(p.c, "hello", 5), 5); });
  char buf[64] = {};
  EXPECT_EQ(w.srv.read(p.s, buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(w.sim.now(), t0 + 110_ms);
}

TEST(SocketsBlocking, ReadWithSoRcvtimeoFailsWithEagainAtTheTimeout) {
  SocketWorld w;
  const auto p = w.pair();
  const timeval tv{.tv_sec = 0, .tv_usec = 250'000};
  ASSERT_EQ(w.srv.setsockopt(p.s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  const Instant t0 = w.sim.now();
  char buf[8];
  EXPECT_EQ(w.srv.read(p.s, buf, sizeof buf), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(w.sim.now(), t0 + 250_ms);
}

TEST(SocketsBlocking, ReadReturnsZeroWhenThePeerCloses) {
  SocketWorld w;
  const auto p = w.pair();
  const Instant t0 = w.sim.now();
  w.sim.at(t0 + 50_ms, [&](Instant) { ASSERT_EQ(w.cli.close(p.c), 0); });
  char buf[8];
  EXPECT_EQ(w.srv.read(p.s, buf, sizeof buf), 0);
  EXPECT_EQ(w.sim.now(), t0 + 60_ms);
}

TEST(SocketsBlocking, RecvWaitallCollectsEveryByte) {
  SocketWorld w;
  const auto p = w.pair();
  const Instant t0 = w.sim.now();
  for (int i = 0; i < 3; ++i) {
    w.sim.at(t0 + Duration::millis(100 * (i + 1)), [&, i](Instant) {
      ASSERT_EQ(w.cli.send(p.c, std::string(10, char('a' + i)).data(), 10, 0), 10);
    });
  }
  char buf[30];
  EXPECT_EQ(w.srv.recv(p.s, buf, sizeof buf, MSG_WAITALL), 30);
  EXPECT_EQ(std::string(buf, 30),
            std::string(10, 'a') + std::string(10, 'b') + std::string(10, 'c'));
  EXPECT_EQ(w.sim.now(), t0 + 310_ms);
}

TEST(SocketsBlocking, BlockingWriteOfMoreThanTheBufferCompletes) {
  SocketWorld w;
  const auto p = w.pair();
  const int small = 4096;
  ASSERT_EQ(w.cli.setsockopt(p.c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  std::string data(200'000, 'x');
  const size_t& got = w.drain_server(p.s, data.size(), 10_ms, 10_ms);
  EXPECT_EQ(w.cli.write(p.c, data.data(), data.size()), ssize_t(data.size()));
  w.sim.run_for(5_s);
  EXPECT_EQ(got, data.size());
}

TEST(SocketsBlocking, LingerCloseWaitsForTheFinToBeAcknowledged) {
  SocketWorld w;
  const auto p = w.pair();
  const linger on5{.l_onoff = 1, .l_linger = 5};
  ASSERT_EQ(w.cli.setsockopt(p.c, SOL_SOCKET, SO_LINGER, &on5, sizeof on5), 0);
  const Instant t0 = w.sim.now();
  EXPECT_EQ(w.cli.close(p.c), 0);
  EXPECT_EQ(w.sim.now(), t0 + 20_ms);  // FIN out, its ACK back
}

TEST(SocketsBlocking, LingerCloseReturnsAtTheLingerTimeWhenNoAckComes) {
  SocketWorld w;
  const auto p = w.pair();
  const linger on2{.l_onoff = 1, .l_linger = 2};
  ASSERT_EQ(w.cli.setsockopt(p.c, SOL_SOCKET, SO_LINGER, &on2, sizeof on2), 0);
  BlackHole hole;
  w.client.attach(hole);
  const Instant t0 = w.sim.now();
  EXPECT_EQ(w.cli.close(p.c), 0);
  EXPECT_EQ(w.sim.now(), t0 + 2_s);
}

// In a simulation a blocked call that nothing can ever wake (no event left, no timeout) fails
// with EAGAIN instead of hanging: an idle connection with no timers armed.
TEST(SocketsBlocking, ReadThatNothingCanWakeFailsWithEagain) {
  SocketWorld w;
  const auto p = w.pair();
  w.sim.run_for(1_s);  // delayed ACKs and the like are done
  char buf[8];
  EXPECT_EQ(w.srv.read(p.s, buf, sizeof buf), -1);
  EXPECT_EQ(errno, EAGAIN);
}

}  // namespace
}  // namespace synack::api::testing
