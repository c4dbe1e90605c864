// Every call of the BSD-socket facade and its Linux errno paths (SPEC §15.2), one behaviour
// per test, over two simulated hosts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "api/socket_world.h"

namespace synack::api::testing {
namespace {

TEST(SocketsCalls, SocketHandsOutTheLowestFreeDescriptor) {
  SocketWorld w;
  EXPECT_EQ(w.cli.socket(AF_INET, SOCK_STREAM, 0), 3);
  EXPECT_EQ(w.cli.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), 4);
  EXPECT_EQ(w.cli.socket(AF_INET, SOCK_STREAM, 0), 5);
  EXPECT_EQ(w.cli.close(4), 0);
  EXPECT_EQ(w.cli.socket(AF_INET, SOCK_STREAM, 0), 4);
  EXPECT_EQ(w.cli.open_descriptors(), 3);
}

TEST(SocketsCalls, SocketRejectsWhatIsNotTcpOverIpv4) {
  SocketWorld w;
  EXPECT_ERRNO(w.cli.socket(AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(w.cli.socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(w.cli.socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
  EXPECT_ERRNO(w.cli.socket(AF_INET, SOCK_DGRAM, 0), ESOCKTNOSUPPORT);
  EXPECT_ERRNO(w.cli.socket(AF_INET, SOCK_STREAM | 0x100, 0), EINVAL);  // unknown flag
  EXPECT_ERRNO(w.cli.socket(AF_INET, 11, 0), EINVAL);                   // type >= SOCK_MAX
  EXPECT_EQ(w.cli.open_descriptors(), 0);
}

TEST(SocketsCalls, SocketFlagsSetNonblockAndCloexec) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  EXPECT_EQ(w.cli.fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(w.cli.fcntl(fd, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(w.cli.fcntl(fd, F_SETFL, 0), 0);
  EXPECT_EQ(w.cli.fcntl(fd, F_GETFL), O_RDWR);
  EXPECT_EQ(w.cli.fcntl(fd, F_SETFD, 0), 0);
  EXPECT_EQ(w.cli.fcntl(fd, F_GETFD), 0);
  EXPECT_ERRNO(w.cli.fcntl(fd, F_GETLK), EINVAL);
  EXPECT_ERRNO(w.cli.fcntl(99, F_GETFL), EBADF);
}

TEST(SocketsCalls, EmfileAtTheDescriptorLimit) {
  SocketWorld w;
  SocketsOptions o;
  o.max_descriptors = 2;
  Sockets small(w.client.stack(), w.dc, o);
  EXPECT_EQ(small.socket(AF_INET, SOCK_STREAM, 0), 3);
  EXPECT_EQ(small.epoll_create1(0), 4);
  EXPECT_ERRNO(small.socket(AF_INET, SOCK_STREAM, 0), EMFILE);
  EXPECT_ERRNO(small.epoll_create(1), EMFILE);
}

TEST(SocketsCalls, DescriptorNumbersCanComeFromTheCaller) {
  SocketWorld w;
  std::vector<int> released;
  int next = 100;
  SocketsOptions o;
  o.allocate_descriptor = [&] { return next < 102 ? next++ : -1; };
  o.release_descriptor = [&](int fd) { released.push_back(fd); };
  Sockets own(w.client.stack(), w.dc, o);
  EXPECT_EQ(own.socket(AF_INET, SOCK_STREAM, 0), 100);
  EXPECT_EQ(own.epoll_create1(0), 101);
  EXPECT_ERRNO(own.socket(AF_INET, SOCK_STREAM, 0), EMFILE);
  EXPECT_EQ(own.close(100), 0);
  EXPECT_EQ(released, std::vector<int>{100});
  EXPECT_EQ(own.fcntl(101, F_GETFL), O_RDWR);
}

TEST(SocketsCalls, BindChecksTheAddress) {
  SocketWorld w;
  const int fd = w.srv.socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = inet(kServerAddr, 80);
  EXPECT_ERRNO(w.srv.bind(fd, sa(a), sizeof a - 1), EINVAL);
  EXPECT_ERRNO(w.srv.bind(fd, nullptr, sizeof a), EFAULT);
  EXPECT_ERRNO(w.srv.bind(fd, sa(a), 4096), EINVAL);  // longer than sockaddr_storage
  sockaddr_in six = a;
  six.sin_family = AF_INET6;
  EXPECT_ERRNO(w.srv.bind(fd, sa(six), sizeof six), EAFNOSUPPORT);
  const sockaddr_in other = inet(kClientAddr, 80);
  EXPECT_ERRNO(w.srv.bind(fd, sa(other), sizeof other), EADDRNOTAVAIL);
  EXPECT_ERRNO(w.srv.bind(99, sa(a), sizeof a), EBADF);
  EXPECT_EQ(w.srv.bind(fd, sa(a), sizeof a), 0);
  EXPECT_ERRNO(w.srv.bind(fd, sa(a), sizeof a), EINVAL);  // already bound
  const int fd2 = w.srv.socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_ERRNO(w.srv.bind(fd2, sa(a), sizeof a), EADDRINUSE);
}

TEST(SocketsCalls, CallsOnAnEpollDescriptorAreNotSocketCalls) {
  SocketWorld w;
  const int ep = w.cli.epoll_create1(0);
  const sockaddr_in a = inet(kServerAddr, 80);
  char buf[4];
  EXPECT_ERRNO(w.cli.bind(ep, sa(a), sizeof a), ENOTSOCK);
  EXPECT_ERRNO(w.cli.listen(ep, 1), ENOTSOCK);
  EXPECT_ERRNO(w.cli.connect(ep, sa(a), sizeof a), ENOTSOCK);
  EXPECT_ERRNO(w.cli.accept(ep, nullptr, nullptr), ENOTSOCK);
  EXPECT_ERRNO(w.cli.recv(ep, buf, sizeof buf, 0), ENOTSOCK);
  EXPECT_ERRNO(w.cli.send(ep, buf, sizeof buf, 0), ENOTSOCK);
  EXPECT_ERRNO(w.cli.shutdown(ep, SHUT_RDWR), ENOTSOCK);
  EXPECT_ERRNO(w.cli.read(ep, buf, sizeof buf), EINVAL);
  EXPECT_ERRNO(w.cli.write(ep, buf, sizeof buf), EINVAL);
  int v = 0;
  socklen_t len = sizeof v;
  EXPECT_ERRNO(w.cli.getsockopt(ep, SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
  EXPECT_ERRNO(w.cli.ioctl(ep, FIONREAD, &v), ENOTTY);
  EXPECT_EQ(w.cli.close(ep), 0);
  EXPECT_ERRNO(w.cli.close(ep), EBADF);
}

TEST(SocketsCalls, ListenAndAcceptErrors) {
  SocketWorld w;
  const int fd = w.srv.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  EXPECT_ERRNO(w.srv.accept(fd, nullptr, nullptr), EINVAL);        // not listening
  EXPECT_EQ(w.srv.listen(fd, 4), 0);                               // binds an ephemeral port
  EXPECT_EQ(w.srv.listen(fd, 8), 0);                               // again: new backlog
  EXPECT_ERRNO(w.srv.accept(fd, nullptr, nullptr), EAGAIN);        // O_NONBLOCK, queue empty
  EXPECT_ERRNO(w.srv.accept4(fd, nullptr, nullptr, 0x1), EINVAL);  // unknown flag
  sockaddr_in from{};
  EXPECT_ERRNO(w.srv.accept(fd, sa(from), nullptr), EFAULT);
  EXPECT_ERRNO(w.srv.listen(99, 1), EBADF);
  const sockaddr_in a = inet(kServerAddr, 80);
  EXPECT_ERRNO(w.srv.connect(fd, sa(a), sizeof a), EISCONN);  // a listener
}

TEST(SocketsCalls, Accept4FlagsApplyToTheNewDescriptor) {
  SocketWorld w;
  const int l = w.listener();
  ASSERT_GE(w.connect(), 0);
  const int s = w.srv.accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ASSERT_GE(s, 0);
  EXPECT_EQ(w.srv.fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(w.srv.fcntl(s, F_GETFD), FD_CLOEXEC);
  char buf[4];
  EXPECT_ERRNO(w.srv.read(s, buf, sizeof buf), EAGAIN);
}

TEST(SocketsCalls, AcceptCopiesAtMostAddrlenAndReportsTheFullLength) {
  SocketWorld w;
  const int l = w.listener();
  ASSERT_GE(w.connect(), 0);
  char small[4] = {1, 1, 1, 1};
  socklen_t len = sizeof small;
  ASSERT_GE(w.srv.accept(l, reinterpret_cast<sockaddr*>(small), &len), 0);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  sa_family_t family;
  std::memcpy(&family, small, sizeof family);
  EXPECT_EQ(family, AF_INET);
}

TEST(SocketsCalls, NonblockingConnectReportsEinprogressEalreadyEisconn) {
  SocketWorld w;
  ASSERT_GE(w.listener(), 0);
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in a = inet(kServerAddr, 80);
  EXPECT_ERRNO(w.cli.connect(c, sa(a), sizeof a), EINPROGRESS);
  EXPECT_ERRNO(w.cli.connect(c, sa(a), sizeof a), EALREADY);
  w.sim.run_for(50_ms);
  EXPECT_ERRNO(w.cli.connect(c, sa(a), sizeof a), EISCONN);
  int so_error = -1;
  socklen_t len = sizeof so_error;
  EXPECT_EQ(w.cli.getsockopt(c, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, 0);
}

TEST(SocketsCalls, NonblockingConnectToAClosedPortReportsSoError) {
  SocketWorld w;
  const int c = w.cli.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in a = inet(kServerAddr, 81);
  EXPECT_ERRNO(w.cli.connect(c, sa(a), sizeof a), EINPROGRESS);
  w.sim.run_for(50_ms);
  int so_error = 0;
  socklen_t len = sizeof so_error;
  EXPECT_EQ(w.cli.getsockopt(c, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, ECONNREFUSED);
  EXPECT_EQ(w.cli.getsockopt(c, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, 0);  // reading SO_ERROR clears it
}

TEST(SocketsCalls, ConnectChecksTheAddress) {
  SocketWorld w;
  const int c = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = inet(kServerAddr, 80);
  EXPECT_ERRNO(w.cli.connect(c, sa(a), 8), EINVAL);
  EXPECT_ERRNO(w.cli.connect(c, nullptr, sizeof a), EFAULT);
  a.sin_family = AF_UNIX;
  EXPECT_ERRNO(w.cli.connect(c, sa(a), sizeof a), EAFNOSUPPORT);
  const sockaddr_in any = inet(wire::Ipv4Address::any(), 0);
  EXPECT_ERRNO(w.cli.connect(c, sa(any), sizeof any), EINVAL);
  EXPECT_ERRNO(w.cli.connect(42, sa(any), sizeof any), EBADF);
}

TEST(SocketsCalls, DataPathErrorsOnUnconnectedSockets) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  char buf[4] = {};
  EXPECT_ERRNO(w.cli.read(fd, buf, sizeof buf), ENOTCONN);
  EXPECT_ERRNO(w.cli.recv(fd, buf, sizeof buf, 0), ENOTCONN);
  // tcp_sendmsg(): sk_stream_wait_connect() answers EPIPE for a socket that is not
  // connecting (and synack raises no SIGPIPE).
  EXPECT_ERRNO(w.cli.write(fd, buf, sizeof buf), EPIPE);
  EXPECT_ERRNO(w.cli.send(fd, buf, sizeof buf, MSG_NOSIGNAL), EPIPE);
  EXPECT_ERRNO(w.cli.shutdown(fd, SHUT_WR), ENOTCONN);
  EXPECT_ERRNO(w.cli.read(77, buf, sizeof buf), EBADF);
  EXPECT_ERRNO(w.cli.write(77, buf, sizeof buf), EBADF);
}

TEST(SocketsCalls, NullBuffersAreEfault) {
  SocketWorld w;
  const auto p = w.pair();
  EXPECT_ERRNO(w.cli.write(p.c, nullptr, 5), EFAULT);
  EXPECT_ERRNO(w.cli.send(p.c, nullptr, 5, 0), EFAULT);
  EXPECT_ERRNO(w.srv.read(p.s, nullptr, 5), EFAULT);
  EXPECT_ERRNO(w.srv.recv(p.s, nullptr, 5, 0), EFAULT);
  EXPECT_ERRNO(w.srv.recvmsg(p.s, nullptr, 0), EFAULT);
  EXPECT_ERRNO(w.cli.sendmsg(p.c, nullptr, 0), EFAULT);
  const iovec bad{nullptr, 3};
  EXPECT_ERRNO(w.cli.writev(p.c, &bad, 1), EFAULT);
  EXPECT_ERRNO(w.srv.readv(p.s, &bad, 1), EFAULT);
  EXPECT_ERRNO(w.srv.readv(p.s, &bad, -1), EINVAL);
  EXPECT_ERRNO(w.srv.readv(p.s, &bad, 1025), EINVAL);
  EXPECT_EQ(w.cli.write(p.c, nullptr, 0), 0);  // nothing to copy, nothing to fault
}

TEST(SocketsCalls, ReadvWritevAndMsgCallsMoveBytesInOrder) {
  SocketWorld w;
  const auto p = w.pair();
  char a[] = "abc", b[] = "defgh";
  const iovec out[2] = {{a, 3}, {b, 5}};
  EXPECT_EQ(w.cli.writev(p.c, out, 2), 8);
  msghdr m{};
  char c[] = "XY";
  iovec one{c, 2};
  m.msg_iov = &one;
  m.msg_iovlen = 1;
  EXPECT_EQ(w.cli.sendmsg(p.c, &m, 0), 2);
  const sockaddr_in ignored = inet(kClientAddr, 9);
  EXPECT_EQ(w.cli.sendto(p.c, "Z", 1, 0, sa(ignored), sizeof ignored), 1);
  w.sim.run_for(50_ms);
  char x[4], y[4];
  iovec in[2] = {{x, 4}, {y, 4}};
  EXPECT_EQ(w.srv.readv(p.s, in, 2), 8);
  EXPECT_EQ(std::string(x, 4) + std::string(y, 4), "abcdefgh");
  char z[8];
  sockaddr_in from{};
  from.sin_family = AF_INET;
  socklen_t fromlen = sizeof from;
  // TCP fills no source address: recvfrom() reports length 0.
  EXPECT_EQ(w.srv.recvfrom(p.s, z, 1, 0, sa(from), &fromlen), 1);
  EXPECT_EQ(fromlen, 0u);
  msghdr r{};
  iovec rv{z + 1, 7};
  r.msg_iov = &rv;
  r.msg_iovlen = 1;
  r.msg_namelen = 16;
  EXPECT_EQ(w.srv.recvmsg(p.s, &r, 0), 2);
  EXPECT_EQ(r.msg_namelen, 0u);
  EXPECT_EQ(std::string(z, 3), "XYZ");
  r.msg_iovlen = 1025;
  EXPECT_ERRNO(w.srv.recvmsg(p.s, &r, 0), EMSGSIZE);
}

TEST(SocketsCalls, PeekAndDontwait) {
  SocketWorld w;
  const auto p = w.pair();
  char buf[16];
  EXPECT_ERRNO(w.srv.recv(p.s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  ASSERT_EQ(w.cli.send(p.c, "peekaboo", 8, 0), 8);
  w.sim.run_for(50_ms);
  EXPECT_EQ(w.srv.recv(p.s, buf, 4, MSG_PEEK), 4);
  EXPECT_EQ(std::string(buf, 4), "peek");
  EXPECT_EQ(w.srv.recv(p.s, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), 8);
  EXPECT_EQ(w.srv.recv(p.s, buf, sizeof buf, 0), 8);
  EXPECT_EQ(std::string(buf, 8), "peekaboo");
  EXPECT_ERRNO(w.srv.recv(p.s, buf, sizeof buf, MSG_OOB), EINVAL);
  EXPECT_EQ(w.srv.recv(p.s, buf, 0, 0), 0);
}

TEST(SocketsCalls, ShutdownWriteThenWriteIsEpipeAndThePeerSeesEof) {
  SocketWorld w;
  const auto p = w.pair();
  EXPECT_ERRNO(w.cli.shutdown(p.c, 7), EINVAL);
  EXPECT_ERRNO(w.cli.shutdown(p.c, -1), EINVAL);
  EXPECT_EQ(w.cli.shutdown(p.c, SHUT_WR), 0);
  EXPECT_ERRNO(w.cli.write(p.c, "x", 1), EPIPE);
  EXPECT_ERRNO(w.cli.send(p.c, "x", 1, MSG_NOSIGNAL), EPIPE);
  char buf[4];
  EXPECT_EQ(w.srv.read(p.s, buf, sizeof buf), 0);
  // The other direction still works.
  EXPECT_EQ(w.srv.write(p.s, "ok", 2), 2);
  EXPECT_EQ(w.cli.read(p.c, buf, sizeof buf), 2);
}

TEST(SocketsCalls, ResetGivesEconnresetThenEpipe) {
  SocketWorld w;
  const auto p = w.pair();
  const linger abortive{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(w.srv.setsockopt(p.s, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive), 0);
  ASSERT_EQ(w.srv.close(p.s), 0);  // RST
  w.sim.run_for(50_ms);
  char buf[4];
  EXPECT_ERRNO(w.cli.write(p.c, "x", 1), ECONNRESET);
  EXPECT_ERRNO(w.cli.write(p.c, "x", 1), EPIPE);
  EXPECT_EQ(w.cli.read(p.c, buf, sizeof buf), 0);
}

TEST(SocketsCalls, ShutdownOfAListenerWakesAndFailsAccept) {
  SocketWorld w;
  const int l = w.listener();
  EXPECT_EQ(w.srv.shutdown(l, SHUT_WR), 0);  // nothing happens to a listener
  int acc = -1;
  socklen_t len = sizeof acc;
  ASSERT_EQ(w.srv.getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len), 0);
  EXPECT_EQ(acc, 1);
  w.sim.at(w.sim.now() + 1_s, [&](Instant) { ASSERT_EQ(w.srv.shutdown(l, SHUT_RD), 0); });
  w.sim.at(w.sim.now() + 5_s, [](Instant) {});  // something left to run after it
  EXPECT_ERRNO(w.srv.accept(l, nullptr, nullptr), EINVAL);
  EXPECT_EQ(w.sim.now(), Instant::zero() + 1_s);
  ASSERT_EQ(w.srv.getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len), 0);
  EXPECT_EQ(acc, 0);
}

TEST(SocketsCalls, IoctlQueueSizes) {
  SocketWorld w;
  const auto p = w.pair();
  int v = -1;
  EXPECT_ERRNO(w.srv.ioctl(p.l, FIONREAD, &v), EINVAL);  // a listener
  EXPECT_ERRNO(w.srv.ioctl(p.l, SIOCOUTQ, &v), EINVAL);
  EXPECT_ERRNO(w.srv.ioctl(p.s, FIONREAD, nullptr), EFAULT);
  EXPECT_ERRNO(w.srv.ioctl(p.s, 0x5401 /* TCGETS */, &v), ENOTTY);
  EXPECT_ERRNO(w.srv.ioctl(99, FIONREAD, &v), EBADF);
  ASSERT_EQ(w.cli.write(p.c, "0123456789", 10), 10);
  EXPECT_EQ(w.cli.ioctl(p.c, SIOCOUTQ, &v), 0);
  EXPECT_EQ(v, 10);  // sent, not acknowledged yet
  EXPECT_EQ(w.cli.ioctl(p.c, SIOCOUTQNSD, &v), 0);
  EXPECT_EQ(v, 0);  // all of it is on the wire
  w.sim.run_for(50_ms);
  EXPECT_EQ(w.srv.ioctl(p.s, FIONREAD, &v), 0);
  EXPECT_EQ(v, 10);
  EXPECT_EQ(w.srv.ioctl(p.s, SIOCINQ, &v), 0);
  EXPECT_EQ(v, 10);
  EXPECT_EQ(w.cli.ioctl(p.c, SIOCOUTQ, &v), 0);
  EXPECT_EQ(v, 0);
  int on = 1;
  EXPECT_EQ(w.srv.ioctl(p.s, FIONBIO, &on), 0);
  EXPECT_EQ(w.srv.fcntl(p.s, F_GETFL), O_RDWR | O_NONBLOCK);
}

TEST(SocketsCalls, CloseFreesTheDescriptorAndItsNumber) {
  SocketWorld w;
  const auto p = w.pair();
  EXPECT_EQ(w.cli.close(p.c), 0);
  EXPECT_ERRNO(w.cli.close(p.c), EBADF);
  EXPECT_ERRNO(w.cli.write(p.c, "x", 1), EBADF);
  EXPECT_EQ(w.cli.stack_socket(p.c), kNoSocket);
  EXPECT_EQ(w.cli.socket(AF_INET, SOCK_STREAM, 0), p.c);
}

}  // namespace
}  // namespace synack::api::testing
