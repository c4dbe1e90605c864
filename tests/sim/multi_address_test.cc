// A host with two addresses in the simulator: connections from each address reach the server,
// its replies to either address reach the host over the one cable, and each connection's
// TIME-WAIT record is kept under the address it used (SPEC §2.1, §9, §14).
#include <gtest/gtest.h>

#include <cerrno>

#include "sim/simulator.h"
#include "sim/stack_host.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using wire::Ipv4Address;

const Ipv4Address kA = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address kB = Ipv4Address::from_octets(10, 0, 0, 3);
const Ipv4Address kServer = Ipv4Address::from_octets(10, 0, 0, 2);

TEST(MultiAddressHost, ConnectionsFromBothAddressesAndTheirTimeWait) {
  Simulator sim(3);
  StackHost client({.address = kA, .extra_addresses = {kB}}, 11, sim.pool());
  StackHost server({.address = kServer}, 12, sim.pool());
  const HostId ic = sim.add_host(client, "client");
  const HostId is = sim.add_host(server, "server");
  auto cable = sim.add_cable(ic, is, link::LinkParams{.latency = 5_ms});
  client.attach(cable.a_to_b);
  server.attach(cable.b_to_a);
  Stack& cs = client.stack();
  Stack& ss = server.stack();
  ASSERT_TRUE(cs.sysctls().set("net.ipv4.ip_local_port_range", "40000 40000").has_value());

  const SocketId l = ss.socket().value();
  ASSERT_EQ(ss.bind(l, Endpoint{kServer, 80}), 0);
  ASSERT_EQ(ss.listen(l, 16, sim.now()), 0);
  SocketId c[2];
  const Ipv4Address from[2] = {kA, kB};
  for (int i = 0; i < 2; ++i) {
    c[i] = cs.socket().value();
    ASSERT_EQ(cs.set_option(c[i], SockOpt::kBindAddressNoPort, 1), 0);
    ASSERT_EQ(cs.bind(c[i], Endpoint{from[i], 0}), 0);
    ASSERT_EQ(cs.connect(c[i], Endpoint{kServer, 80}, sim.now()), EINPROGRESS);
  }
  sim.poke(ic);
  sim.run_for(15_ms);  // SYN, SYN+ACK, and the third ACK reaches the server
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(cs.info(c[i])->state, tcp::State::kEstablished) << i;
    EXPECT_EQ(cs.info(c[i])->local, (Endpoint{from[i], 40000})) << i;
  }
  SocketId accepted[2];
  for (int i = 0; i < 2; ++i) {
    auto a = ss.accept(l, sim.now());
    ASSERT_TRUE(a.has_value());
    accepted[i] = a.value();
    EXPECT_EQ(ss.info(a.value())->remote, (Endpoint{from[i], 40000}));
    EXPECT_EQ(ss.info(a.value())->local, (Endpoint{kServer, 80}));
  }
  // Client closes both first: FIN, ACK, server's FIN, last ACK -> TIME-WAIT on the client.
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(cs.close(c[i], sim.now()), 0);
  sim.poke(ic);
  sim.run_for(5_ms);  // the FINs arrive: the server's connections are in CLOSE-WAIT
  EXPECT_EQ(ss.time_wait_count(), 0u);
  for (const SocketId s : accepted)
    ASSERT_EQ(ss.close(s, sim.now()), 0);
  sim.poke(is);
  sim.run_for(20_ms);
  EXPECT_EQ(cs.time_wait_count(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(cs.state_of(Endpoint{from[i], 40000}, Endpoint{kServer, 80}), tcp::State::kTimeWait)
        << i;
  }
  // While both TIME-WAITs hold port 40000, neither address can reach the server from it.
  for (int i = 0; i < 2; ++i) {
    const SocketId s = cs.socket().value();
    ASSERT_EQ(cs.set_option(s, SockOpt::kBindAddressNoPort, 1), 0);
    ASSERT_EQ(cs.bind(s, Endpoint{from[i], 0}), 0);
    EXPECT_EQ(cs.connect(s, Endpoint{kServer, 80}, sim.now()), EADDRNOTAVAIL) << i;
  }
  sim.run_for(61_s);
  EXPECT_EQ(cs.time_wait_count(), 0u);
  EXPECT_EQ(client.unattached_drops(), 0u);
  EXPECT_EQ(cs.counters().value(stack::Counter::kIpInAddrErrors), 0u);
}

}  // namespace
}  // namespace synack::sim
