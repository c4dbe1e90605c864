// getsockname() / getpeername() over two simulated hosts: the addresses each side reports
// and Linux's errno order (src/api/socket_names.cc explains it).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "api/socket_world.h"

namespace synack::api::testing {
namespace {

struct Name {
  int rc = -1;
  socklen_t len = 0;
  sockaddr_in addr{};
};

Name sockname(Sockets& s, int fd) {
  Name n;
  n.len = sizeof n.addr;
  n.rc = s.getsockname(fd, sa(n.addr), &n.len);
  return n;
}
Name peername(Sockets& s, int fd) {
  Name n;
  n.len = sizeof n.addr;
  n.rc = s.getpeername(fd, sa(n.addr), &n.len);
  return n;
}

void expect_endpoint(const Name& n, wire::Ipv4Address addr, uint16_t port) {
  EXPECT_EQ(n.rc, 0);
  EXPECT_EQ(n.len, sizeof(sockaddr_in));
  EXPECT_EQ(n.addr.sin_family, AF_INET);
  EXPECT_EQ(ntohl(n.addr.sin_addr.s_addr), addr.value());
  EXPECT_EQ(ntohs(n.addr.sin_port), port);
}

TEST(SocketsNames, FreshSocketIsUnboundAndHasNoPeer) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  expect_endpoint(sockname(w.cli, fd), wire::Ipv4Address{}, 0);
  EXPECT_ERRNO(peername(w.cli, fd).rc, ENOTCONN);
}

TEST(SocketsNames, ListenerReportsItsBindingAndNoPeer) {
  SocketWorld w;
  const int l = w.listener(8080);
  expect_endpoint(sockname(w.srv, l), kServerAddr, 8080);
  EXPECT_ERRNO(peername(w.srv, l).rc, ENOTCONN);
}

TEST(SocketsNames, BothEndsOfAConnectionAgree) {
  SocketWorld w;
  const auto p = w.pair(80);
  ASSERT_GE(p.s, 0);
  const Name c_local = sockname(w.cli, p.c);
  EXPECT_EQ(c_local.rc, 0);
  EXPECT_EQ(ntohl(c_local.addr.sin_addr.s_addr), kClientAddr.value());
  // connect() without bind() took a port from ip_local_port_range (default 32768-60999).
  const uint16_t port = ntohs(c_local.addr.sin_port);
  EXPECT_GE(port, 32768);
  EXPECT_LE(port, 60999);
  expect_endpoint(peername(w.cli, p.c), kServerAddr, 80);
  expect_endpoint(sockname(w.srv, p.s), kServerAddr, 80);
  expect_endpoint(peername(w.srv, p.s), kClientAddr, port);
}

TEST(SocketsNames, ConnectInProgressHasAPortButNoPeerYet) {
  SocketWorld w;
  ASSERT_GE(w.listener(), 0);
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in a = inet(kServerAddr, 80);
  EXPECT_ERRNO(w.cli.connect(c, sa(a), sizeof a), EINPROGRESS);
  const Name local = sockname(w.cli, c);
  EXPECT_EQ(local.rc, 0);
  EXPECT_NE(ntohs(local.addr.sin_port), 0);
  EXPECT_ERRNO(peername(w.cli, c).rc, ENOTCONN);  // SYN-SENT (inet_getname)
  w.sim.run_for(50_ms);
  expect_endpoint(peername(w.cli, c), kServerAddr, 80);
}

TEST(SocketsNames, ResetConnectionHasNoPeer) {
  SocketWorld w;
  const auto p = w.pair(80);
  ASSERT_GE(p.s, 0);
  // SO_LINGER {1, 0}: the server's close() resets the connection.
  const linger lz{1, 0};
  ASSERT_EQ(w.srv.setsockopt(p.s, SOL_SOCKET, SO_LINGER, &lz, sizeof lz), 0);
  ASSERT_EQ(w.srv.close(p.s), 0);
  w.sim.run_for(50_ms);
  EXPECT_ERRNO(peername(w.cli, p.c).rc, ENOTCONN);
}

TEST(SocketsNames, CopiesAtMostTheLengthGivenAndReportsTheFullOne) {
  SocketWorld w;
  const int l = w.listener(80);
  char small[4];
  std::memset(small, 0x7f, sizeof small);
  socklen_t len = sizeof small;
  EXPECT_EQ(w.srv.getsockname(l, reinterpret_cast<sockaddr*>(small), &len), 0);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  sa_family_t family;
  std::memcpy(&family, small, sizeof family);
  EXPECT_EQ(family, AF_INET);
  uint16_t port_be;
  std::memcpy(&port_be, small + 2, sizeof port_be);
  EXPECT_EQ(ntohs(port_be), 80);
  // Length 0 with no buffer: nothing copied, not an error (move_addr_to_user()).
  len = 0;
  EXPECT_EQ(w.srv.getsockname(l, nullptr, &len), 0);
  EXPECT_EQ(len, sizeof(sockaddr_in));
}

TEST(SocketsNames, ErrnoPaths) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const int ep = w.cli.epoll_create1(0);
  sockaddr_in a{};
  socklen_t len = sizeof a;
  EXPECT_ERRNO(w.cli.getsockname(99, sa(a), &len), EBADF);
  EXPECT_ERRNO(w.cli.getpeername(99, sa(a), &len), EBADF);
  EXPECT_ERRNO(w.cli.getsockname(ep, sa(a), &len), ENOTSOCK);
  EXPECT_ERRNO(w.cli.getsockname(fd, sa(a), nullptr), EFAULT);
  EXPECT_ERRNO(w.cli.getsockname(fd, nullptr, &len), EFAULT);
  len = static_cast<socklen_t>(-1);
  EXPECT_ERRNO(w.cli.getsockname(fd, sa(a), &len), EINVAL);
  // getpeername asks for the peer before it looks at the buffer: ENOTCONN wins over EFAULT.
  EXPECT_ERRNO(w.cli.getpeername(fd, sa(a), nullptr), ENOTCONN);
}

}  // namespace
}  // namespace synack::api::testing
