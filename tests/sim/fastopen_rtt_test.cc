// TCP Fast Open end to end (SPEC §13.3): two synack Stacks in the simulator, both real, over a
// 10 ms link (RTT 20 ms). The client uses TCP_FASTOPEN_CONNECT, the server a TCP_FASTOPEN
// listener; each application reacts the moment its socket is ready. The first request/response
// costs 2 RTT (cookie request in the SYN, request after the handshake); the second, with the
// cookie now cached, 1 RTT (request in the SYN, response sent from SYN-RECEIVED).
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "stack/counters.h"

namespace synack::sim {
namespace {

using namespace synack::literals;

const auto kClient = wire::Ipv4Address::from_octets(10, 0, 0, 1);
const auto kServer = wire::Ipv4Address::from_octets(10, 0, 0, 2);
constexpr std::string_view kRequest = "GET /";
constexpr std::string_view kResponse = "200 OK";

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct FastOpenPair {
  FastOpenPair()
      : sim(5), c({.address = kClient}, 11, sim.pool()), s({.address = kServer}, 12, sim.pool()) {
    ic = sim.add_host(c, "client");
    is = sim.add_host(s, "server");
    auto cable = sim.add_cable(ic, is, link::LinkParams{.latency = 10_ms});
    c.attach(cable.a_to_b);
    s.attach(cable.b_to_a);
    EXPECT_TRUE(c.stack().sysctls().set_value(stack::SysctlId::kTcpFastopen, 0x1).has_value());
    EXPECT_TRUE(s.stack().sysctls().set_value(stack::SysctlId::kTcpFastopen, 0x2).has_value());
    listener = s.stack().socket().value();
    EXPECT_EQ(s.stack().bind(listener, Endpoint{kServer, 80}), 0);
    EXPECT_EQ(s.stack().listen(listener, 16, sim.now()), 0);
    EXPECT_EQ(s.stack().set_option(listener, SockOpt::kFastOpen, 16), 0);
  }
  void poke() {
    sim.poke(ic);
    sim.poke(is);
  }

  // One request/response on a new connection; how long from connect() until the client has
  // read the whole response, and what connect() returned.
  std::pair<Duration, int> exchange() {
    Stack& cs = c.stack();
    Stack& ss = s.stack();
    const Instant start = sim.now();
    const SocketId cl = cs.socket().value();
    EXPECT_EQ(cs.set_option(cl, SockOpt::kFastOpenConnect, 1), 0);
    const int rc = cs.connect(cl, Endpoint{kServer, 80}, start);
    bool request_sent = false;
    std::optional<SocketId> child;
    bool response_sent = false;
    std::string got;
    for (int i = 0; i < 10'000; ++i) {
      const Instant now = sim.now();
      if (!request_sent && (cs.readiness(cl) & ready::kOut) != 0) {
        auto r = cs.send(cl, bytes(kRequest), now);
        EXPECT_TRUE(r.has_value());
        if (r) {
          EXPECT_EQ(*r, kRequest.size());
        }
        request_sent = true;
      }
      if (!child) {
        if (auto a = ss.accept(listener, now)) child = *a;
      }
      if (child && !response_sent) {
        std::array<uint8_t, 64> buf{};
        auto r = ss.recv(*child, buf, now);
        if (r && *r == kRequest.size()) {
          auto w = ss.send(*child, bytes(kResponse), now);
          EXPECT_TRUE(w.has_value() && *w == kResponse.size());
          response_sent = true;
        }
      }
      std::array<uint8_t, 64> buf{};
      if (auto r = cs.recv(cl, buf, now); r && *r > 0) {
        got.append(reinterpret_cast<const char*>(buf.data()), *r);
        if (got == kResponse) return {now - start, rc};
      }
      poke();
      if (!sim.step()) break;
    }
    ADD_FAILURE() << "no response";
    return {Duration{}, rc};
  }

  Simulator sim;
  StackHost c;
  StackHost s;
  HostId ic = 0;
  HostId is = 0;
  SocketId listener = 0;
};

TEST(FastOpenEndToEnd, CachedCookieSavesOneRoundTrip) {
  FastOpenPair p;
  // No cookie yet: SYN (cookie request) → SYN+ACK (cookie) at 20 ms → ACK + request → the
  // response arrives at 40 ms: 2 RTT.
  const auto [first, rc1] = p.exchange();
  EXPECT_EQ(rc1, EINPROGRESS);
  EXPECT_EQ(first, 40_ms);
  p.sim.run_for(1_s);
  // Cookie cached: connect() returns 0, the request rides on the SYN, the server answers from
  // SYN-RECEIVED at 10 ms → the response arrives at 20 ms: 1 RTT.
  const auto [second, rc2] = p.exchange();
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(second, 20_ms);
  const auto& cc = p.c.stack().counters();
  const auto& sc = p.s.stack().counters();
  EXPECT_EQ(cc.value(stack::Counter::kTcpExtTCPFastOpenActive), 1u);
  EXPECT_EQ(cc.value(stack::Counter::kTcpExtTCPFastOpenActiveFail), 0u);
  EXPECT_EQ(sc.value(stack::Counter::kTcpExtTCPFastOpenCookieReqd), 1u);
  EXPECT_EQ(sc.value(stack::Counter::kTcpExtTCPFastOpenPassive), 1u);
  std::printf("Fast Open request/response over a 20 ms RTT: %lld ms without cookie, %lld ms with\n",
              static_cast<long long>(first / 1_ms), static_cast<long long>(second / 1_ms));
}

}  // namespace
}  // namespace synack::sim
