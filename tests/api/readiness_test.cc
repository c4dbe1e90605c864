// poll() and epoll of the BSD-socket facade: level vs edge vs one-shot, the error paths of
// epoll_ctl/epoll_wait, and timeouts in virtual time.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "api/socket_world.h"

namespace synack::api::testing {
namespace {

int add(Sockets& s, int ep, int fd, uint32_t events) {
  epoll_event e{.events = events, .data = {.fd = fd}};
  return s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

TEST(SocketsPoll, ReportsReadWriteAndHangupLikeTcpPoll) {
  SocketWorld w;
  const auto p = w.pair();
  const int fresh = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  pollfd fds[4] = {
      {p.c, POLLIN | POLLOUT, 0}, {p.s, POLLIN, 0}, {fresh, POLLIN, 0}, {-1, POLLIN, 7}};
  EXPECT_EQ(w.cli.poll(fds, 1, 0), 1);
  EXPECT_EQ(fds[0].revents, POLLOUT);  // only what was asked for (plus ERR/HUP)
  pollfd norm{p.c, POLLOUT | POLLWRNORM, 0};
  EXPECT_EQ(w.cli.poll(&norm, 1, 0), 1);
  EXPECT_EQ(norm.revents, POLLOUT | POLLWRNORM);  // tcp_poll() sets the twin
  EXPECT_EQ(w.srv.poll(&fds[1], 1, 0), 0);
  EXPECT_EQ(fds[1].revents, 0);
  // A socket that never connected: EPOLLHUP (and EPOLLOUT, not asked for), tcp_poll()'s CLOSE.
  EXPECT_EQ(w.cli.poll(&fds[2], 2, 0), 1);
  EXPECT_EQ(fds[2].revents, POLLHUP);
  EXPECT_EQ(fds[3].revents, 0);  // negative fd: skipped, revents cleared
  pollfd bad{99, POLLIN, 0};
  EXPECT_EQ(w.cli.poll(&bad, 1, 0), 1);
  EXPECT_EQ(bad.revents, POLLNVAL);
  EXPECT_ERRNO(w.cli.poll(nullptr, 1, 0), EFAULT);
  EXPECT_ERRNO(w.cli.poll(fds, 100'000, 0), EINVAL);
}

TEST(SocketsPoll, BlocksUntilDataOrTimeoutInVirtualTime) {
  SocketWorld w;
  const auto p = w.pair();
  const Instant t0 = w.sim.now();
  pollfd f{p.s, POLLIN, 0};
  EXPECT_EQ(w.srv.poll(&f, 1, 300), 0);
  EXPECT_EQ(w.sim.now(), t0 + 300_ms);
  w.sim.at(w.sim.now() + 40_ms, [&](Instant) { ASSERT_EQ(w.cli.write(p.c, "x", 1), 1); });
  EXPECT_EQ(w.srv.poll(&f, 1, -1), 1);
  EXPECT_EQ(f.revents, POLLIN);
  EXPECT_EQ(w.sim.now(), t0 + 350_ms);
  // The peer's FIN: readable with EOF and RDHUP.
  ASSERT_EQ(w.cli.shutdown(p.c, SHUT_WR), 0);
  char c;
  ASSERT_EQ(w.srv.read(p.s, &c, 1), 1);
  f = {p.s, POLLIN | POLLRDNORM | POLLRDHUP, 0};
  EXPECT_EQ(w.srv.poll(&f, 1, -1), 1);
  EXPECT_EQ(f.revents, POLLIN | POLLRDNORM | POLLRDHUP);
}

TEST(SocketsEpoll, CtlErrorPaths) {
  SocketWorld w;
  const int ep = w.cli.epoll_create1(EPOLL_CLOEXEC);
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  epoll_event e{.events = EPOLLIN, .data = {.fd = fd}};
  EXPECT_ERRNO(w.cli.epoll_create(0), EINVAL);
  EXPECT_ERRNO(w.cli.epoll_create1(1), EINVAL);
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_ADD, fd, nullptr), EFAULT);
  EXPECT_ERRNO(w.cli.epoll_ctl(99, EPOLL_CTL_ADD, fd, &e), EBADF);
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_ADD, 99, &e), EBADF);
  EXPECT_ERRNO(w.cli.epoll_ctl(fd, EPOLL_CTL_ADD, ep, &e), EINVAL);  // not an epoll fd
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), EINVAL);  // itself
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e), ENOENT);
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr), ENOENT);
  EXPECT_EQ(w.cli.epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0);
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), EEXIST);
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, 42, fd, &e), EINVAL);
  epoll_event x{.events = EPOLLIN | EPOLLEXCLUSIVE, .data = {}};
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_MOD, fd, &x), EINVAL);
  EXPECT_EQ(w.cli.epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr), 0);
  x.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;  // ONESHOT is not allowed with it
  EXPECT_ERRNO(w.cli.epoll_ctl(ep, EPOLL_CTL_ADD, fd, &x), EINVAL);
  epoll_event out[2];
  EXPECT_ERRNO(w.cli.epoll_wait(ep, out, 0, 0), EINVAL);
  EXPECT_ERRNO(w.cli.epoll_wait(ep, nullptr, 2, 0), EFAULT);
  EXPECT_ERRNO(w.cli.epoll_wait(99, out, 2, 0), EBADF);
  EXPECT_ERRNO(w.cli.epoll_wait(fd, out, 2, 0), EINVAL);
}

TEST(SocketsEpoll, LevelTriggeredReportsWhileReadable) {
  SocketWorld w;
  const auto p = w.pair();
  const int ep = w.srv.epoll_create(1);
  ASSERT_EQ(add(w.srv, ep, p.s, EPOLLIN), 0);
  epoll_event out[4];
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 0), 0);
  ASSERT_EQ(w.cli.write(p.c, "abcd", 4), 4);
  const Instant t0 = w.sim.now();
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 4, -1), 1);
  EXPECT_EQ(w.sim.now(), t0 + 10_ms);
  EXPECT_EQ(out[0].events, uint32_t{EPOLLIN});
  EXPECT_EQ(out[0].data.fd, p.s);
  char buf[2];
  ASSERT_EQ(w.srv.read(p.s, buf, 2), 2);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 0), 1);  // still readable: reported again
  ASSERT_EQ(w.srv.read(p.s, buf, 2), 2);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 0), 0);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 200), 0);  // times out in virtual time
  EXPECT_EQ(w.sim.now(), t0 + 210_ms);
}

TEST(SocketsEpoll, EdgeTriggeredReportsOncePerArrival) {
  SocketWorld w;
  const auto p = w.pair();
  const int ep = w.srv.epoll_create1(0);
  ASSERT_EQ(add(w.srv, ep, p.s, EPOLLIN | EPOLLET), 0);
  epoll_event out[4];
  ASSERT_EQ(w.cli.write(p.c, "abcd", 4), 4);
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 4, -1), 1);
  char buf[2];
  ASSERT_EQ(w.srv.read(p.s, buf, 2), 2);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 0), 0);  // data left, but no new arrival
  ASSERT_EQ(w.cli.write(p.c, "ef", 2), 2);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, -1), 1);  // new data: a new edge
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 0), 0);
  // Drained completely, then the same amount arrives again: still an edge.
  char all[8];
  ASSERT_EQ(w.srv.read(p.s, all, sizeof all), 4);
  ASSERT_EQ(w.cli.write(p.c, "gh", 2), 2);
  w.sim.run_for(50_ms);
  ASSERT_EQ(w.srv.read(p.s, all, sizeof all), 2);
  ASSERT_EQ(w.cli.write(p.c, "ij", 2), 2);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, -1), 1);
  EXPECT_EQ(out[0].events, uint32_t{EPOLLIN});
}

TEST(SocketsEpoll, EdgeTriggeredListenerReportsEachConnection) {
  SocketWorld w;
  const int l = w.listener();
  const int ep = w.srv.epoll_create1(0);
  ASSERT_EQ(add(w.srv, ep, l, EPOLLIN | EPOLLET), 0);
  epoll_event out[4];
  ASSERT_GE(w.connect(), 0);
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 4, -1), 1);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, 0), 0);
  ASSERT_GE(w.srv.accept(l, nullptr, nullptr), 0);
  ASSERT_GE(w.connect(), 0);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 4, -1), 1);
}

TEST(SocketsEpoll, EdgeTriggeredWriterIsWokenWhenSpaceReturns) {
  SocketWorld w;
  const auto p = w.pair();
  const int small = 4096;
  ASSERT_EQ(w.cli.setsockopt(p.c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  const int ep = w.cli.epoll_create1(0);
  ASSERT_EQ(add(w.cli, ep, p.c, EPOLLOUT | EPOLLET), 0);
  epoll_event out[2];
  ASSERT_EQ(w.cli.epoll_wait(ep, out, 2, 0), 1);  // writable from the start
  EXPECT_EQ(w.cli.epoll_wait(ep, out, 2, 0), 0);
  std::string big(100'000, 'x');
  ssize_t n = 0;
  size_t queued = 0;
  while ((n = w.cli.send(p.c, big.data(), big.size(), MSG_DONTWAIT)) > 0)
    queued += size_t(n);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_GT(queued, 0u);
  ASSERT_EQ(w.cli.epoll_wait(ep, out, 2, -1), 1);  // the peer's ACKs freed space
  EXPECT_NE(out[0].events & EPOLLOUT, 0u);
}

TEST(SocketsEpoll, OneshotReportsOnceUntilModRearmsIt) {
  SocketWorld w;
  const auto p = w.pair();
  const int ep = w.srv.epoll_create1(0);
  ASSERT_EQ(add(w.srv, ep, p.s, EPOLLIN | EPOLLONESHOT), 0);
  ASSERT_EQ(w.cli.write(p.c, "ab", 2), 2);
  epoll_event out[2];
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 2, -1), 1);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 2, 0), 0);  // still readable, but disarmed
  ASSERT_EQ(w.cli.write(p.c, "cd", 2), 2);
  EXPECT_EQ(w.srv.epoll_wait(ep, out, 2, 100), 0);
  epoll_event e{.events = EPOLLIN | EPOLLONESHOT, .data = {.u64 = 77}};
  ASSERT_EQ(w.srv.epoll_ctl(ep, EPOLL_CTL_MOD, p.s, &e), 0);
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 2, 0), 1);
  // epoll_event is packed on x86-64: copy the 64-bit field out instead of binding a
  // reference to it (a misaligned reference is undefined behaviour).
  const uint64_t tag = out[0].data.u64;
  EXPECT_EQ(tag, 77u);
}

TEST(SocketsEpoll, ErrAndHupAreAlwaysReportedAndClosedFdsLeaveTheSet) {
  SocketWorld w;
  const auto p = w.pair();
  const int ep = w.cli.epoll_create1(0);
  ASSERT_EQ(add(w.cli, ep, p.c, EPOLLRDHUP), 0);  // neither IN nor OUT asked for
  const linger abortive{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(w.srv.setsockopt(p.s, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive), 0);
  ASSERT_EQ(w.srv.close(p.s), 0);
  epoll_event out[2];
  ASSERT_EQ(w.cli.epoll_wait(ep, out, 2, -1), 1);
  EXPECT_EQ(out[0].events, uint32_t{EPOLLERR | EPOLLHUP | EPOLLRDHUP});
  ASSERT_EQ(w.cli.close(p.c), 0);
  EXPECT_EQ(w.cli.epoll_wait(ep, out, 2, 0), 0);
  EXPECT_EQ(w.cli.socket(AF_INET, SOCK_STREAM, 0), p.c);  // same number, not in the set
  EXPECT_EQ(w.cli.epoll_wait(ep, out, 2, 0), 0);
}

TEST(SocketsEpoll, MaxeventsSmallerThanTheReadySetServesEveryoneInTurn) {
  SocketWorld w;
  const int l = w.listener();
  int s[3];
  for (int& x : s) {
    ASSERT_GE(w.connect(), 0);
    x = w.srv.accept(l, nullptr, nullptr);
  }
  const int ep = w.srv.epoll_create1(0);
  for (int x : s)
    ASSERT_EQ(add(w.srv, ep, x, EPOLLOUT), 0);
  epoll_event out[2];
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 2, 0), 2);
  EXPECT_EQ(out[0].data.fd, s[0]);
  EXPECT_EQ(out[1].data.fd, s[1]);
  ASSERT_EQ(w.srv.epoll_wait(ep, out, 2, 0), 2);
  EXPECT_EQ(out[0].data.fd, s[2]);
  EXPECT_EQ(out[1].data.fd, s[0]);
}

}  // namespace
}  // namespace synack::api::testing
