// Local ports through the socket API (SPEC §14): bind() / listen() conflicts, SO_REUSEADDR,
// ports held by accepted connections and TIME-WAIT records, connect() exhaustion.
#include <gtest/gtest.h>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

class Ports : public TcpScript {
 protected:
  int bind_to(SocketId s, uint16_t port) { return stack().bind(s, Endpoint{kLocalAddr, port}); }
  void set_range(const char* r) {
    ASSERT_TRUE(stack().sysctls().set("net.ipv4.ip_local_port_range", r).has_value());
  }
};

// SPEC §14.2: a port in use → EADDRINUSE; SO_REUSEADDR on both lets two sockets bind, but
// only one may listen (Linux inet_csk_get_port() / inet_csk_listen_start()).
TEST_F(Ports, BindConflictsAndReuseAddr) {
  const SocketId a = open();
  const SocketId b = open();
  EXPECT_EQ(bind_to(a, 8080), 0);
  EXPECT_EQ(bind_to(b, 8080), EADDRINUSE);
  EXPECT_EQ(stack().bind(b, Endpoint{wire::Ipv4Address::any(), 8080}), EADDRINUSE);
  const SocketId c = open();
  const SocketId d = open();
  set_option(c, SockOpt::kReuseAddr, 1);
  set_option(d, SockOpt::kReuseAddr, 1);
  EXPECT_EQ(bind_to(c, 9090), 0);
  EXPECT_EQ(bind_to(d, 9090), 0);
  EXPECT_EQ(stack().listen(c, 16, at(0_s)), 0);
  EXPECT_EQ(stack().listen(d, 16, at(0_s)), EADDRINUSE);
  // A closed socket gives its port back.
  close(at(0_s), a);
  EXPECT_EQ(bind_to(b, 8080), 0);
  EXPECT_EQ(stack().bind(open(), Endpoint{wire::Ipv4Address::from_octets(10, 9, 9, 9), 1}),
            EADDRNOTAVAIL);
}

// SPEC §14.1: bind(0) picks a port from ip_local_port_range as it is at that call.
TEST_F(Ports, BindZeroUsesTheRangeReadAtEachCall) {
  set_range("50000 50001");
  const SocketId a = open();
  const SocketId b = open();
  const SocketId c = open();
  EXPECT_EQ(bind_to(a, 0), 0);
  EXPECT_EQ(bind_to(b, 0), 0);
  const uint16_t pa = info(a).local.port;
  const uint16_t pb = info(b).local.port;
  EXPECT_TRUE(pa == 50000 || pa == 50001) << pa;
  EXPECT_TRUE(pb == 50000 || pb == 50001) << pb;
  EXPECT_NE(pa, pb);
  EXPECT_EQ(bind_to(c, 0), EADDRINUSE);  // Linux inet_csk_get_port(): none free
  set_range("50002 50002");
  EXPECT_EQ(bind_to(c, 0), 0);
  EXPECT_EQ(info(c).local.port, 50002);
}

// Accepted connections share the listener's port; a TIME-WAIT record keeps it until it
// expires. With SO_REUSEADDR (inherited from the listener) a new listener may bind while the
// old connection is in TIME-WAIT (SPEC §14.2); without it the port stays in use.
TEST_F(Ports, TimeWaitHoldsThePortAndReuseAddrListenerMayRebind) {
  const SocketId l = open();
  set_option(l, SockOpt::kReuseAddr, 1);
  ASSERT_EQ(bind_to(l, kServerPort), 0);
  ASSERT_EQ(stack().listen(l, 16, at(0_s)), 0);
  use_tuple(kServerPort, kPeerPort);
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(0_s), {.flags = ack, .seq = 1, .ack = 1});
  const SocketId a = accept(at(0_s), l);
  close(at(0_s), l);
  // The accepted connection holds the port: a plain bind conflicts.
  EXPECT_EQ(bind_to(open(), kServerPort), EADDRINUSE);
  // The server closes first: TIME-WAIT lands here and keeps the port.
  close(at(1_s), a);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(1100_ms), State::kTimeWait);
  EXPECT_EQ(bind_to(open(), kServerPort), EADDRINUSE);
  const SocketId l2 = open();
  set_option(l2, SockOpt::kReuseAddr, 1);
  EXPECT_EQ(bind_to(l2, kServerPort), 0);
  EXPECT_EQ(stack().listen(l2, 16, at(2_s)), 0);
  close(at(2_s), l2);
  // After the record expires the port is free for anyone.
  expect_gone(at(61100_ms));
  EXPECT_EQ(bind_to(open(), kServerPort), 0);
}

// SPEC §14.2: connect() with no free tuple left fails with EADDRNOTAVAIL — here one port,
// held first by a connection, then by its TIME-WAIT record; free again after it expires.
TEST_F(Ports, ConnectExhaustionIsEaddrnotavail) {
  set_range("40000 40000");
  const SocketId s = establish_active();
  EXPECT_EQ(stack().connect(open(), remote(), at(0_s)), EADDRNOTAVAIL);
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  EXPECT_EQ(stack().connect(open(), remote(), at(30_s)), EADDRNOTAVAIL);
  expect_gone(at(61100_ms));
  const SocketId n = open();
  connect(at(61100_ms), n);
  expect(at(61100_ms), {.flags = syn, .seq = 0, .options = linux_syn_options()});
  EXPECT_EQ(local().port, 40000);
}

// A socket bound to a port connects from it; the tuple must be free (Linux
// __inet_hash_connect() → check_established): EADDRNOTAVAIL while TIME-WAIT holds it.
TEST_F(Ports, BoundConnectChecksTheTuple) {
  const SocketId s = open();
  ASSERT_EQ(bind_to(s, 45000), 0);
  establish_active(0_s, at(0_s), s);
  EXPECT_EQ(local().port, 45000);
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  const SocketId s2 = open();
  set_option(s2, SockOpt::kReuseAddr, 1);
  EXPECT_EQ(bind_to(s2, 45000), EADDRINUSE);  // the record's owner has no SO_REUSEADDR
}

}  // namespace
}  // namespace synack::tcptest
