// TunDevice: name checks, the one-read-one-packet contract over an adopted datagram socket,
// and — when the test runs as root — a real TUN opened inside a private network namespace of
// a child process (never in the host's namespace), plus the EPERM message for an
// unprivileged user.
#include "link/tun_device.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>

namespace synack::link {
namespace {

constexpr int kChildSkip = 77;

// Runs `body` in a forked child inside a fresh network namespace; returns its exit code.
template <class F>
int in_private_netns(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(kChildSkip);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(TunDevice, RejectsBadNamesBeforeTouchingTheSystem) {
  auto empty = TunDevice::open("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, EINVAL);
  auto long_name = TunDevice::open("sixteen-chars-xx");  // IFNAMSIZ is 16 with the NUL
  ASSERT_FALSE(long_name);
  EXPECT_EQ(long_name.error().code, EINVAL);
  EXPECT_NE(long_name.error().message.find("sixteen-chars-xx"), std::string::npos);
}

TEST(TunDevice, AdoptedSocketReadsOnePacketPerCallAndIsNonBlocking) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  auto a = TunDevice::adopt(sv[0], "a");
  auto b = TunDevice::adopt(sv[1], "b");
  ASSERT_TRUE(a && b);
  EXPECT_NE(::fcntl(a->fd(), F_GETFL) & O_NONBLOCK, 0);

  std::array<uint8_t, 64> buf{};
  auto none = b->read(buf);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);  // nothing waiting: 0, not an error

  const std::vector<uint8_t> p1{0x45, 1, 2, 3}, p2{0x45, 9, 8, 7, 6, 5};
  ASSERT_TRUE(a->write(p1) && *a->write(p2));
  auto r1 = b->read(buf);
  ASSERT_TRUE(r1);
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(*r1)), p1);
  auto r2 = b->read(buf);
  ASSERT_TRUE(r2);
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(*r2)), p2);
}

TEST(TunDevice, FullQueueIsADropNotAnError) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  auto a = TunDevice::adopt(sv[0], "a");
  auto b = TunDevice::adopt(sv[1], "b");  // never read
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> p(1000, 0x45);
  bool dropped = false;
  for (int i = 0; i < 100000 && !dropped; ++i) {
    auto r = a->write(p);
    ASSERT_TRUE(r) << r.error().message;
    dropped = !*r;
  }
  EXPECT_TRUE(dropped);
}

TEST(TunDevice, MoveTransfersTheDescriptor) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  auto a = TunDevice::adopt(sv[0], "a");
  ASSERT_TRUE(a);
  const int fd = a->fd();
  TunDevice moved = std::move(*a);
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(a->fd(), -1);
  ::close(sv[1]);
}

TEST(TunDevice, OpensARealTunInAPrivateNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  const int rc = in_private_netns([] {
    auto d = TunDevice::open("synt%d");  // the kernel expands the pattern
    if (!d) return 1;
    if (d->name() != "synt0" || d->fd() < 0) return 2;
    // The interface is down (nobody ran `ip link set up`): writing is a drop, not an error.
    const std::vector<uint8_t> p{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    auto w = d->write(p);
    return w && !*w ? 0 : 3;
  });
  if (rc == kChildSkip) GTEST_SKIP() << "unshare(CLONE_NEWNET) not permitted here";
  EXPECT_EQ(rc, 0);
}

TEST(TunDevice, UnprivilegedOpenSaysWhatIsMissing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create the namespace, then drops it";
  const int rc = in_private_netns([] {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
      return kChildSkip;
    auto d = TunDevice::open("synt0");
    if (d) return 1;
    const bool perm = d.error().code == EPERM || d.error().code == EACCES;
    return perm && d.error().message.find("CAP_NET_ADMIN") != std::string::npos ? 0 : 2;
  });
  if (rc == kChildSkip) GTEST_SKIP() << "cannot create a namespace or drop privileges";
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace synack::link
