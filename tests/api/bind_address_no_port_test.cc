// IP_BIND_ADDRESS_NO_PORT through the BSD facade: the IPPROTO_IP option's length rules (Linux
// do_ip_setsockopt() / do_ip_getsockopt()) and its effect — bind(addr, 0) leaves the port to
// connect(), which can then share it between destinations.
#include <netinet/in.h>

#include <cstring>

#include "api/socket_world.h"

namespace synack::api::testing {
namespace {

int get_no_port(Sockets& s, int fd) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(s.getsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &v, &len), 0);
  EXPECT_EQ(len, sizeof v);
  return v;
}

TEST(BindAddressNoPort, SetAndGetFollowLinuxLengthRules) {
  SocketWorld w;
  const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(get_no_port(w.cli, fd), 0);
  const int on = 5;
  ASSERT_EQ(w.cli.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on), 0);
  EXPECT_EQ(get_no_port(w.cli, fd), 1);
  // optlen 0 means 0; a short optlen reads one unsigned byte.
  ASSERT_EQ(w.cli.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, nullptr, 0), 0);
  EXPECT_EQ(get_no_port(w.cli, fd), 0);
  const unsigned char byte = 1;
  ASSERT_EQ(w.cli.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &byte, 1), 0);
  EXPECT_EQ(get_no_port(w.cli, fd), 1);
  EXPECT_ERRNO(w.cli.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, nullptr, sizeof on),
               EFAULT);
  // A short buffer gets one byte and len 1; len 0 gets nothing.
  unsigned char out[4] = {9, 9, 9, 9};
  socklen_t len = 2;
  ASSERT_EQ(w.cli.getsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, out, &len), 0);
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 9);
  len = 0;
  ASSERT_EQ(w.cli.getsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, out, &len), 0);
  EXPECT_EQ(len, 0u);
  EXPECT_ERRNO(w.cli.setsockopt(fd, IPPROTO_IP, IP_TTL, &on, sizeof on), ENOPROTOOPT);
  EXPECT_ERRNO(w.cli.setsockopt(99, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on), EBADF);
}

// One port in the range: bind(addr, 0) with the option reserves nothing, so two sockets bound
// to the same address connect to two server ports from the same local port. Without it the
// second bind(addr, 0) fails: the first took the only port for every destination.
TEST(BindAddressNoPort, ConnectionsToTwoDestinationsShareTheOnePort) {
  SocketWorld w;
  ASSERT_TRUE(
      w.client.stack().sysctls().set("net.ipv4.ip_local_port_range", "40000 40000").has_value());
  const int l80 = w.listener(80);
  const int l81 = w.listener(81);
  const int on = 1;
  const sockaddr_in local = inet(kClientAddr, 0);
  for (const uint16_t port : {80, 81}) {
    const int fd = w.cli.socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(w.cli.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on), 0);
    ASSERT_EQ(w.cli.bind(fd, sa(local), sizeof local), 0);
    const sockaddr_in to = inet(kServerAddr, port);
    ASSERT_EQ(w.cli.connect(fd, sa(to), sizeof to), 0) << port;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const int s = w.srv.accept(port == 80 ? l80 : l81, sa(peer), &len);
    ASSERT_GE(s, 0);
    EXPECT_EQ(ntohl(peer.sin_addr.s_addr), kClientAddr.value());
    EXPECT_EQ(ntohs(peer.sin_port), 40000);
  }
  const int plain = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  const int plain2 = w.cli.socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(
      w.client.stack().sysctls().set("net.ipv4.ip_local_port_range", "40001 40001").has_value());
  ASSERT_EQ(w.cli.bind(plain, sa(local), sizeof local), 0);
  EXPECT_ERRNO(w.cli.bind(plain2, sa(local), sizeof local), EADDRINUSE);
}

}  // namespace
}  // namespace synack::api::testing
