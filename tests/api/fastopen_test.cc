// TCP Fast Open through the BSD-socket facade (SPEC §13.2, §13.3): TCP_FASTOPEN and
// TCP_FASTOPEN_CONNECT reach the Stack with Linux's values and errors, and sendto()/sendmsg()
// with MSG_FASTOPEN connect and send in one call as Linux's tcp_sendmsg_fastopen() does —
// the data in the SYN once a cookie is cached. The cable has 10 ms one-way latency, so the
// times below tell whether the request rode in the SYN (server has it 10 ms after the call)
// or followed the handshake (30 ms).
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "api/socket_world.h"
#include "stack/counters.h"
#include "stack/sysctl.h"

namespace synack::api::testing {
namespace {

using stack::Counter;
using stack::SysctlId;

int get_int(Sockets& s, int fd, int name) {
  int v = -12345;
  socklen_t len = sizeof v;
  EXPECT_EQ(s.getsockopt(fd, IPPROTO_TCP, name, &v, &len), 0) << name;
  return v;
}

int set_int(Sockets& s, int fd, int name, int v) {
  return s.setsockopt(fd, IPPROTO_TCP, name, &v, sizeof v);
}

void set_fastopen(sim::StackHost& h, int64_t v) {
  auto r = h.stack().sysctls().set_value(SysctlId::kTcpFastopen, v);
  ASSERT_TRUE(r.has_value()) << r.error().message;
}

// A world whose server enables Fast Open (0x3) on a listener with TCP_FASTOPEN 16 on port 80.
struct FastOpenWorld : SocketWorld {
  FastOpenWorld() {
    set_fastopen(server, 0x3);
    l = srv.socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = inet(kServerAddr, 80);
    EXPECT_EQ(srv.bind(l, sa(a), sizeof a), 0);
    EXPECT_EQ(set_int(srv, l, TCP_FASTOPEN, 16), 0);
    EXPECT_EQ(srv.listen(l, 16), 0);
  }
  uint64_t cli_counter(Counter c) { return client.stack().counters().value(c); }
  uint64_t srv_counter(Counter c) { return server.stack().counters().value(c); }
  // Accepts one connection and reads what is there; the string read.
  std::string accept_and_read(int* fd_out = nullptr) {
    const int s = srv.accept(l, nullptr, nullptr);
    EXPECT_GE(s, 0);
    char buf[256];
    const ssize_t n = srv.recv(s, buf, sizeof buf, 0);
    EXPECT_GT(n, 0);
    if (fd_out != nullptr) *fd_out = s;
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // One blocking MSG_FASTOPEN request + close on both sides, to get the cookie cached.
  void learn_cookie() {
    const int c = cli.socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = inet(kServerAddr, 80);
    EXPECT_EQ(cli.sendto(c, "warmup", 6, MSG_FASTOPEN, sa(a), sizeof a), 6);
    int s = -1;
    EXPECT_EQ(accept_and_read(&s), "warmup");
    EXPECT_EQ(cli.close(c), 0);
    EXPECT_EQ(srv.close(s), 0);
  }
  int l = -1;
};

TEST(SocketsFastOpen, ListenerQueueOptionAsLinux) {
  SocketWorld w;
  const int fd = w.srv.socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(get_int(w.srv, fd, TCP_FASTOPEN), 0);
  EXPECT_EQ(set_int(w.srv, fd, TCP_FASTOPEN, 5), 0);  // before listen(): kept
  EXPECT_EQ(get_int(w.srv, fd, TCP_FASTOPEN), 5);
  EXPECT_ERRNO(set_int(w.srv, fd, TCP_FASTOPEN, -1), EINVAL);
  const sockaddr_in a = inet(kServerAddr, 80);
  ASSERT_EQ(w.srv.bind(fd, sa(a), sizeof a), 0);
  ASSERT_EQ(w.srv.listen(fd, 8), 0);
  EXPECT_EQ(get_int(w.srv, fd, TCP_FASTOPEN), 5);  // fastopenq.max_qlen in force
  EXPECT_EQ(set_int(w.srv, fd, TCP_FASTOPEN, 7), 0);
  EXPECT_EQ(get_int(w.srv, fd, TCP_FASTOPEN), 7);
  // fastopen_queue_tune(): min(value, somaxconn).
  EXPECT_EQ(set_int(w.srv, fd, TCP_FASTOPEN, 1 << 30), 0);
  EXPECT_EQ(get_int(w.srv, fd, TCP_FASTOPEN), 4096);
  // Only a socket in CLOSE or LISTEN takes it.
  const int c = w.connect();
  ASSERT_GE(c, 0);
  EXPECT_ERRNO(set_int(w.cli, c, TCP_FASTOPEN, 5), EINVAL);
  int v = 1;
  EXPECT_ERRNO(w.srv.setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &v, 2), EINVAL);  // short int
}

TEST(SocketsFastOpen, ConnectOptionAsLinux) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(get_int(w.cli, fd, TCP_FASTOPEN_CONNECT), 0);
  EXPECT_EQ(set_int(w.cli, fd, TCP_FASTOPEN_CONNECT, 1), 0);
  EXPECT_EQ(get_int(w.cli, fd, TCP_FASTOPEN_CONNECT), 1);
  EXPECT_ERRNO(set_int(w.cli, fd, TCP_FASTOPEN_CONNECT, 2), EINVAL);
  EXPECT_ERRNO(set_int(w.cli, fd, TCP_FASTOPEN_CONNECT, -1), EINVAL);
  EXPECT_EQ(set_int(w.cli, fd, TCP_FASTOPEN_CONNECT, 0), 0);
  EXPECT_EQ(get_int(w.cli, fd, TCP_FASTOPEN_CONNECT), 0);
  set_fastopen(w.client, 0x2);  // client bit off
  EXPECT_ERRNO(set_int(w.cli, fd, TCP_FASTOPEN_CONNECT, 1), EOPNOTSUPP);
  EXPECT_ERRNO(set_int(w.cli, fd, TCP_FASTOPEN_CONNECT, 2), EINVAL);  // range checked first
  set_fastopen(w.client, 0x1);
  (void)w.listener();
  const int c = w.connect();
  ASSERT_GE(c, 0);
  EXPECT_ERRNO(set_int(w.cli, c, TCP_FASTOPEN_CONNECT, 1), EINVAL);  // not in CLOSE any more
}

// Through the facade, TCP_FASTOPEN_CONNECT with a cached cookie: connect() returns 0 at once
// and the first write() puts the data in the SYN.
TEST(SocketsFastOpen, FastOpenConnectOptionSendsDataInSynOnceCookieCached) {
  FastOpenWorld w;
  w.learn_cookie();
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(set_int(w.cli, c, TCP_FASTOPEN_CONNECT, 1), 0);
  const sockaddr_in a = inet(kServerAddr, 80);
  const Instant t0 = w.sim.now();
  EXPECT_EQ(w.cli.connect(c, sa(a), sizeof a), 0);
  EXPECT_EQ(w.sim.now(), t0);
  EXPECT_EQ(w.cli.write(c, "GET /", 5), 5);
  EXPECT_EQ(w.accept_and_read(), "GET /");
  EXPECT_EQ(w.sim.now(), t0 + 10_ms);  // the SYN carried it
  w.sim.run_for(20_ms);                // the SYN+ACK acknowledging it reaches the client
  EXPECT_EQ(w.cli_counter(Counter::kTcpExtTCPFastOpenActive), 1u);
  EXPECT_EQ(w.srv_counter(Counter::kTcpExtTCPFastOpenPassive), 1u);
}

TEST(SocketsFastOpen, SendtoWithoutCookieRequestsOneAndSendsAfterHandshake) {
  FastOpenWorld w;
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = inet(kServerAddr, 80);
  const Instant t0 = w.sim.now();
  // Blocking: waits for the handshake (20 ms), then sends the data as send() does.
  EXPECT_EQ(w.cli.sendto(c, "hello", 5, MSG_FASTOPEN, sa(a), sizeof a), 5);
  EXPECT_EQ(w.sim.now(), t0 + 20_ms);
  EXPECT_EQ(w.accept_and_read(), "hello");
  EXPECT_EQ(w.sim.now(), t0 + 30_ms);
  EXPECT_EQ(w.srv_counter(Counter::kTcpExtTCPFastOpenCookieReqd), 1u);
  EXPECT_EQ(w.cli_counter(Counter::kTcpExtTCPFastOpenActive), 0u);
  EXPECT_EQ(w.srv_counter(Counter::kTcpExtTCPFastOpenPassive), 0u);
  EXPECT_EQ(get_int(w.cli, c, TCP_FASTOPEN_CONNECT), 0);  // MSG_FASTOPEN leaves it alone
}

TEST(SocketsFastOpen, NonBlockingSendtoWithoutCookieIsInProgress) {
  FastOpenWorld w;
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in a = inet(kServerAddr, 80);
  EXPECT_ERRNO(w.cli.sendto(c, "hello", 5, MSG_FASTOPEN, sa(a), sizeof a), EINPROGRESS);
  // The connection is under way as after connect(): again is EALREADY, then it completes.
  EXPECT_ERRNO(w.cli.sendto(c, "hello", 5, MSG_FASTOPEN, sa(a), sizeof a), EALREADY);
  pollfd p{c, POLLOUT, 0};
  EXPECT_EQ(w.cli.poll(&p, 1, 1000), 1);
  EXPECT_EQ(w.cli.send(c, "hello", 5, 0), 5);
  EXPECT_EQ(w.accept_and_read(), "hello");
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(a), sizeof a), EISCONN);
}

TEST(SocketsFastOpen, SendtoWithCookiePutsDataInSyn) {
  FastOpenWorld w;
  w.learn_cookie();
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in a = inet(kServerAddr, 80);
  const Instant t0 = w.sim.now();
  EXPECT_EQ(w.cli.sendto(c, "GET /1", 6, MSG_FASTOPEN, sa(a), sizeof a), 6);
  EXPECT_EQ(w.sim.now(), t0);
  // Delivered at accept(), one way after the call: no handshake in front of it.
  EXPECT_EQ(w.accept_and_read(), "GET /1");
  EXPECT_EQ(w.sim.now(), t0 + 10_ms);
  w.sim.run_for(20_ms);  // the SYN+ACK acknowledging the data reaches the client
  EXPECT_EQ(w.cli_counter(Counter::kTcpExtTCPFastOpenActive), 1u);
  EXPECT_EQ(w.srv_counter(Counter::kTcpExtTCPFastOpenPassive), 1u);
}

// sendmsg() with an iovec larger than the SYN can carry, blocking: the SYN takes one MSS
// (1460 - 40 for the SYN's options room, tcp_send_syn_data()), the rest follows the
// handshake, and the call returns everything.
TEST(SocketsFastOpen, BlockingSendmsgSendsTheRestAfterTheHandshake) {
  FastOpenWorld w;
  w.learn_cookie();
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  std::string a1(1000, 'a');
  std::string a2(3000, 'b');
  iovec v[2] = {{a1.data(), a1.size()}, {a2.data(), a2.size()}};
  sockaddr_in to = inet(kServerAddr, 80);
  msghdr m{};
  m.msg_name = &to;
  m.msg_namelen = sizeof to;
  m.msg_iov = v;
  m.msg_iovlen = 2;
  EXPECT_EQ(w.cli.sendmsg(c, &m, MSG_FASTOPEN), 4000);
  EXPECT_EQ(w.cli_counter(Counter::kTcpExtTCPFastOpenActive), 1u);
  const int s = w.srv.accept(w.l, nullptr, nullptr);
  ASSERT_GE(s, 0);
  std::string got;
  char buf[4096];
  while (got.size() < 4000) {
    const ssize_t n = w.srv.recv(s, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, a1 + a2);
}

TEST(SocketsFastOpen, SendtoErrorsAsLinux) {
  FastOpenWorld w;
  const sockaddr_in a = inet(kServerAddr, 80);
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  EXPECT_ERRNO(w.cli.sendto(99, "x", 1, MSG_FASTOPEN, sa(a), sizeof a), EBADF);
  // No address, a short one, another family: what connect() would say.
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, nullptr, 0), EINVAL);
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(a), 8), EINVAL);
  sockaddr_in six = a;
  six.sin_family = AF_INET6;
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(six), sizeof six), EAFNOSUPPORT);
  sockaddr_in unspec = a;
  unspec.sin_family = AF_UNSPEC;
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(unspec), sizeof unspec), EOPNOTSUPP);
  // A listener is not in CLOSE.
  EXPECT_ERRNO(w.srv.sendto(w.l, "x", 1, MSG_FASTOPEN, sa(a), sizeof a), EISCONN);
  // Client bit off: EOPNOTSUPP, and nothing was started.
  set_fastopen(w.client, 0x0);
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(a), sizeof a), EOPNOTSUPP);
  set_fastopen(w.client, 0x1);
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(a), sizeof a), EINPROGRESS);
}

TEST(SocketsFastOpen, BlockingSendtoToAClosedPortIsRefused) {
  FastOpenWorld w;
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = inet(kServerAddr, 81);
  EXPECT_ERRNO(w.cli.sendto(c, "x", 1, MSG_FASTOPEN, sa(a), sizeof a), ECONNREFUSED);
}

}  // namespace
}  // namespace synack::api::testing
