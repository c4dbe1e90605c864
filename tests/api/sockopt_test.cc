// getsockopt/setsockopt of the BSD-socket facade: Linux's length rules, the doubled buffer
// sizes, timeouts, and TCP_INFO after a transfer.
#include <gtest/gtest.h>
#include <linux/tcp.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "api/socket_world.h"
#include "stack/counters.h"
#include "tcp/tcb.h"

namespace synack::api::testing {
namespace {

int get_int(Sockets& s, int fd, int level, int name) {
  int v = -12345;
  socklen_t len = sizeof v;
  EXPECT_EQ(s.getsockopt(fd, level, name, &v, &len), 0) << name;
  EXPECT_EQ(len, sizeof v);
  return v;
}

int set_int(Sockets& s, int fd, int level, int name, int v) {
  return s.setsockopt(fd, level, name, &v, sizeof v);
}

// Writes `data` from the pair's client and drains it at the server every 5 ms for `run`;
// returns the bytes the server read.
size_t send_and_drain(SocketWorld& w, const SocketWorld::Pair& p, const std::string& data,
                      Duration run) {
  const size_t& got = w.drain_server(p.s, data.size(), 0_ms, 5_ms);
  EXPECT_EQ(w.cli.write(p.c, data.data(), data.size()), ssize_t(data.size()));
  w.sim.run_for(run);
  return got;
}

TEST(SocketsSockopt, IntOptionsRoundTrip) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_REUSEADDR), 0);
  EXPECT_EQ(set_int(w.cli, fd, SOL_SOCKET, SO_REUSEADDR, 5), 0);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_REUSEADDR), 1);  // booleans read back as 1
  EXPECT_EQ(set_int(w.cli, fd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_NODELAY, 1), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPIDLE, 30), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPINTVL, 5), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPCNT, 4), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_SYNCNT, 2), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_SYNCNT), 2);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1500), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 1500);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
  EXPECT_EQ(get_int(w.cli, fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
  EXPECT_EQ(set_int(w.cli, fd, IPPROTO_TCP, TCP_QUICKACK, 1), 0);
  EXPECT_ERRNO(set_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPIDLE, 0), EINVAL);
  EXPECT_ERRNO(set_int(w.cli, fd, IPPROTO_TCP, TCP_KEEPCNT, 128), EINVAL);
  EXPECT_ERRNO(set_int(w.cli, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1), EINVAL);
  EXPECT_ERRNO(set_int(w.cli, fd, IPPROTO_TCP, TCP_MAXSEG, 10), EINVAL);
}

TEST(SocketsSockopt, BufferSizesReadBackDoubled) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(set_int(w.cli, fd, SOL_SOCKET, SO_RCVBUF, 10000), 0);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_RCVBUF), 20000);
  EXPECT_EQ(set_int(w.cli, fd, SOL_SOCKET, SO_SNDBUF, 10000), 0);
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_SNDBUF), 20000);
  EXPECT_EQ(set_int(w.cli, fd, SOL_SOCKET, SO_SNDBUF, 1), 0);  // clamped up to SOCK_MIN_SNDBUF/2
  EXPECT_EQ(get_int(w.cli, fd, SOL_SOCKET, SO_SNDBUF), 4608);
}

// sock_setsockopt(SO_ZEROCOPY) on TCP (checked on Linux 6.18): 0 or 1 in any state, else
// EINVAL; a short optlen is EINVAL; accept() inherits it. A MSG_ZEROCOPY send is a copy here
// (sockopt.cc says why) and returns what it queued, empty iovecs included.
TEST(SocketsSockopt, ZerocopyIsAFlagAndMsgZerocopySendsCopy) {
  SocketWorld w;
  const int l = w.listener();
  ASSERT_GE(l, 0);
  EXPECT_EQ(get_int(w.srv, l, SOL_SOCKET, SO_ZEROCOPY), 0);
  EXPECT_EQ(set_int(w.srv, l, SOL_SOCKET, SO_ZEROCOPY, 1), 0);
  EXPECT_EQ(get_int(w.srv, l, SOL_SOCKET, SO_ZEROCOPY), 1);
  EXPECT_ERRNO(set_int(w.srv, l, SOL_SOCKET, SO_ZEROCOPY, 2), EINVAL);
  EXPECT_ERRNO(set_int(w.srv, l, SOL_SOCKET, SO_ZEROCOPY, -1), EINVAL);
  const short half = 1;
  EXPECT_ERRNO(w.srv.setsockopt(l, SOL_SOCKET, SO_ZEROCOPY, &half, sizeof half), EINVAL);
  const int c = w.connect();
  ASSERT_GE(c, 0);
  const int s = w.srv.accept(l, nullptr, nullptr);
  ASSERT_GE(s, 0);
  EXPECT_EQ(get_int(w.srv, s, SOL_SOCKET, SO_ZEROCOPY), 1);
  EXPECT_EQ(get_int(w.cli, c, SOL_SOCKET, SO_ZEROCOPY), 0);
  EXPECT_EQ(set_int(w.cli, c, SOL_SOCKET, SO_ZEROCOPY, 1), 0);  // ESTABLISHED: still fine
  EXPECT_EQ(set_int(w.cli, c, SOL_SOCKET, SO_ZEROCOPY, 0), 0);
  EXPECT_EQ(get_int(w.cli, c, SOL_SOCKET, SO_ZEROCOPY), 0);

  char a[10] = "abcdefghi";
  char b[50] = "0123456789";
  iovec none[2] = {{a, 0}, {b, 0}};
  msghdr m{};
  m.msg_iov = none;
  m.msg_iovlen = 2;
  EXPECT_EQ(w.srv.sendmsg(s, &m, MSG_ZEROCOPY), 0);
  iovec some[4] = {{a, 0}, {a, 10}, {b, 0}, {b, 50}};
  m.msg_iov = some;
  m.msg_iovlen = 4;
  EXPECT_EQ(w.srv.sendmsg(s, &m, MSG_ZEROCOPY), 60);
  w.sim.run_for(50_ms);
  char got[64] = {};
  EXPECT_EQ(w.cli.recv(c, got, sizeof got, MSG_DONTWAIT), 60);
  EXPECT_EQ(std::string(got, 10), std::string(a, 10));
  EXPECT_EQ(std::string(got + 10, 50), std::string(b, 50));
}

TEST(SocketsSockopt, LingerUsesStructLinger) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  linger l{.l_onoff = 7, .l_linger = 7};
  socklen_t len = sizeof l;
  ASSERT_EQ(w.cli.getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
  EXPECT_EQ(l.l_onoff, 0);
  EXPECT_EQ(l.l_linger, 0);
  l = {.l_onoff = 1, .l_linger = 9};
  ASSERT_EQ(w.cli.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  l = {};
  ASSERT_EQ(w.cli.getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
  EXPECT_EQ(l.l_onoff, 1);
  EXPECT_EQ(l.l_linger, 9);
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(int)), EINVAL);
}

TEST(SocketsSockopt, LengthAndNameErrors) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  int v = 1;
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, 2), EINVAL);  // short
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, nullptr, sizeof v), EFAULT);
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, socklen_t(-1)), EINVAL);
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
  EXPECT_ERRNO(w.cli.setsockopt(fd, IPPROTO_TCP, 9999, &v, sizeof v), ENOPROTOOPT);
  EXPECT_ERRNO(w.cli.setsockopt(fd, IPPROTO_IP, 9999, &v, sizeof v), ENOPROTOOPT);
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT);
  EXPECT_ERRNO(w.cli.setsockopt(99, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v), EBADF);
  socklen_t len = sizeof v;
  EXPECT_ERRNO(w.cli.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, nullptr), EFAULT);
  EXPECT_ERRNO(w.cli.getsockopt(fd, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
  EXPECT_ERRNO(w.cli.getsockopt(fd, IPPROTO_TCP, 9999, &v, &len), ENOPROTOOPT);
  len = socklen_t(-1);
  EXPECT_ERRNO(w.cli.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
  // A short getsockopt buffer is not an error: Linux copies what fits and says how much.
  char one = 0;
  len = 1;
  EXPECT_EQ(w.cli.getsockopt(fd, SOL_SOCKET, SO_TYPE, &one, &len), 0);
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(one, SOCK_STREAM);
}

TEST(SocketsSockopt, TimeoutsRoundTripAndValidate) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{.tv_sec = 2, .tv_usec = 500'000};
  ASSERT_EQ(w.cli.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  timeval got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(w.cli.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
  EXPECT_EQ(got.tv_sec, 2);
  EXPECT_EQ(got.tv_usec, 500'000);
  ASSERT_EQ(w.cli.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &got, &len), 0);
  EXPECT_EQ(got.tv_sec, 0);
  tv.tv_usec = 1'000'000;
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), EDOM);
  EXPECT_ERRNO(w.cli.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, 4), EINVAL);
}

TEST(SocketsSockopt, SoErrorAndAcceptconn) {
  SocketWorld w;
  const int l = w.listener();
  EXPECT_EQ(get_int(w.srv, l, SOL_SOCKET, SO_ACCEPTCONN), 1);
  EXPECT_EQ(get_int(w.srv, l, SOL_SOCKET, SO_ERROR), 0);
}

TEST(SocketsSockopt, TcpInfoAfterATransfer) {
  SocketWorld w;
  const auto p = w.pair();
  const int nodelay = 1;
  ASSERT_EQ(w.cli.setsockopt(p.c, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay), 0);
  std::string data(100'000, 'd');
  ASSERT_EQ(send_and_drain(w, p, data, 2_s), data.size());

  tcp_info i{};
  socklen_t len = sizeof i;
  ASSERT_EQ(w.cli.getsockopt(p.c, IPPROTO_TCP, TCP_INFO, &i, &len), 0);
  EXPECT_EQ(len, sizeof i);
  const tcp::Tcb& t = *w.client.stack().connection_of(w.cli.stack_socket(p.c));
  EXPECT_EQ(i.tcpi_state, 1);     // TCP_ESTABLISHED
  EXPECT_EQ(i.tcpi_ca_state, 0);  // TCP_CA_Open
  EXPECT_EQ(i.tcpi_retransmits, 0);
  EXPECT_EQ(i.tcpi_probes, 0);
  EXPECT_EQ(i.tcpi_backoff, 0);
  EXPECT_EQ(i.tcpi_options & TCPI_OPT_TIMESTAMPS, t.ts_ok ? TCPI_OPT_TIMESTAMPS : 0);
  EXPECT_NE(i.tcpi_options & TCPI_OPT_WSCALE, 0);  // both synack ends offer window scaling
  EXPECT_EQ(i.tcpi_snd_wscale, t.snd_wscale);
  EXPECT_EQ(i.tcpi_rcv_wscale, t.rcv_wscale);
  // 20 ms round trips plus delayed ACKs: SRTT at least 20 ms, RTO >= SRTT + 200 ms (rtt.h).
  EXPECT_EQ(i.tcpi_rtt, uint32_t(t.rtt.srtt().us()));
  EXPECT_GE(i.tcpi_rtt, 20'000u);
  EXPECT_LT(i.tcpi_rtt, 60'000u);
  EXPECT_EQ(i.tcpi_rto, uint32_t(t.rtt.rto().us()));
  EXPECT_GE(i.tcpi_rto, 220'000u);
  EXPECT_EQ(i.tcpi_rttvar, uint32_t(t.rtt.rttvar().us()));
  EXPECT_EQ(i.tcpi_snd_mss, t.snd_mss);
  EXPECT_EQ(i.tcpi_rcv_mss, t.rcv_mss);
  EXPECT_EQ(i.tcpi_unacked, 0u);  // everything acknowledged
  EXPECT_EQ(i.tcpi_lost, 0u);
  EXPECT_EQ(i.tcpi_retrans, 0u);
  EXPECT_GT(i.tcpi_snd_cwnd, 10u);  // slow start grew it from the initial 10
  EXPECT_EQ(i.tcpi_snd_cwnd, t.cc.cwnd());
  EXPECT_EQ(i.tcpi_snd_ssthresh, 0x7fffffffu);  // no loss: TCP_INFINITE_SSTHRESH
  EXPECT_EQ(i.tcpi_bytes_acked, data.size());
  EXPECT_EQ(i.tcpi_total_retrans, 0u);

  tcp_info s{};
  ASSERT_EQ(w.srv.getsockopt(p.s, IPPROTO_TCP, TCP_INFO, &s, &len), 0);
  EXPECT_EQ(s.tcpi_bytes_received, data.size());
  tcp_info l{};
  ASSERT_EQ(w.srv.getsockopt(p.l, IPPROTO_TCP, TCP_INFO, &l, &len), 0);
  EXPECT_EQ(l.tcpi_state, 10);  // TCP_LISTEN

  // A short buffer gets the head of the struct, as old binaries expect.
  uint8_t head[8] = {};
  socklen_t hl = sizeof head;
  ASSERT_EQ(w.cli.getsockopt(p.c, IPPROTO_TCP, TCP_INFO, head, &hl), 0);
  EXPECT_EQ(hl, 8u);
  EXPECT_EQ(head[0], 1);
}

TEST(SocketsSockopt, TcpInfoDuringRetransmissionsAfterAnRto) {
  SocketWorld w;
  const auto p = w.pair();
  class BlackHole final : public link::PacketSink {
   public:
    void push(link::PacketPtr, Instant) override {}
  } hole;
  w.client.attach(hole);
  ASSERT_EQ(w.cli.write(p.c, "x", 1), 1);
  w.sim.run_for(1_s);  // the first RTO (about 220 ms) and its doubling have fired
  tcp_info i{};
  socklen_t len = sizeof i;
  ASSERT_EQ(w.cli.getsockopt(p.c, IPPROTO_TCP, TCP_INFO, &i, &len), 0);
  EXPECT_EQ(i.tcpi_ca_state, 4);  // TCP_CA_Loss
  EXPECT_GE(i.tcpi_retransmits, 1);
  EXPECT_EQ(i.tcpi_backoff, i.tcpi_retransmits);
  EXPECT_EQ(i.tcpi_unacked, 1u);
  EXPECT_EQ(i.tcpi_lost, 1u);
  EXPECT_EQ(i.tcpi_retrans, 1u);
  EXPECT_EQ(i.tcpi_snd_cwnd, 1u);
  // One segment, retransmitted once per timeout so far.
  EXPECT_EQ(i.tcpi_total_retrans, i.tcpi_retransmits);
}

// tcpi_total_retrans counts every retransmitted segment over the connection's life (Linux
// tp->total_retrans), while tcpi_retransmits is back to 0 once the losses are repaired. The
// client host has this one connection, so its count equals the host's TcpRetransSegs.
TEST(SocketsSockopt, TcpInfoTotalRetransCountsTheConnectionsLife) {
  const uint64_t seed = 7;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  SocketWorld w(link::LinkParams{.latency = 10_ms, .loss = 0.05}, seed);
  const auto p = w.pair();
  ASSERT_GE(p.s, 0);
  std::string data(200'000, 'r');
  ASSERT_EQ(send_and_drain(w, p, data, 60_s), data.size());
  tcp_info i{};
  socklen_t len = sizeof i;
  ASSERT_EQ(w.cli.getsockopt(p.c, IPPROTO_TCP, TCP_INFO, &i, &len), 0);
  const uint64_t host = w.client.stack().counters().value(stack::Counter::kTcpRetransSegs);
  EXPECT_GT(host, 0u);  // 5 % loss over ~140 segments
  EXPECT_EQ(i.tcpi_total_retrans, host);
  EXPECT_EQ(i.tcpi_retransmits, 0);
  EXPECT_EQ(i.tcpi_unacked, 0u);
}

}  // namespace
}  // namespace synack::api::testing
