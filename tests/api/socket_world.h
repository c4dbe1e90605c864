// Two synack hosts in the simulator, each behind a BSD-socket facade with a SimulatedDriver:
// client 10.0.0.1 (`cli`), server 10.0.0.2 (`srv`), joined by a cable with 10 ms latency.
// A blocking call on either facade runs the whole simulation until it can return.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <vector>

#include <synack/socket.h>

#include "api/simulated_driver.h"
#include "sim/simulator.h"
#include "sim/stack_host.h"

// The call returns -1 with `errno` set to `e`.
#define EXPECT_ERRNO(call, e)       \
  do {                              \
    errno = 0;                      \
    EXPECT_EQ((call), -1);          \
    EXPECT_EQ(errno, (e)) << #call; \
  } while (0)

namespace synack::api::testing {

using namespace synack::literals;

inline const auto kClientAddr = wire::Ipv4Address::from_octets(10, 0, 0, 1);
inline const auto kServerAddr = wire::Ipv4Address::from_octets(10, 0, 0, 2);

inline sockaddr_in inet(wire::Ipv4Address a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}

inline const sockaddr* sa(const sockaddr_in& s) {
  return reinterpret_cast<const sockaddr*>(&s);
}
inline sockaddr* sa(sockaddr_in& s) {
  return reinterpret_cast<sockaddr*>(&s);
}

struct SocketWorld {
  explicit SocketWorld(const link::LinkParams& params = link::LinkParams{.latency = 10_ms},
                       uint64_t seed = 1)
      : sim(seed),
        client({.address = kClientAddr}, seed * 2 + 1, sim.pool()),
        server({.address = kServerAddr}, seed * 2 + 2, sim.pool()),
        ic(sim.add_host(client, "client")),
        is(sim.add_host(server, "server")),
        dc(sim, ic),
        ds(sim, is),
        cli(client.stack(), dc),
        srv(server.stack(), ds) {
    auto cable = sim.add_cable(ic, is, params);
    client.attach(cable.a_to_b);
    server.attach(cable.b_to_a);
  }

  // A listening descriptor on the server's `port`.
  int listener(uint16_t port = 80, int backlog = 16) {
    const int fd = srv.socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = inet(kServerAddr, port);
    if (srv.bind(fd, sa(a), sizeof a) != 0 || srv.listen(fd, backlog) != 0) return -1;
    return fd;
  }
  // A blocking connect from the client; returns the connected descriptor or -1.
  int connect(uint16_t port = 80) {
    const int fd = cli.socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = inet(kServerAddr, port);
    return cli.connect(fd, sa(a), sizeof a) == 0 ? fd : -1;
  }
  // A connected pair: {client fd, server fd} (listener left open as `lfd`).
  struct Pair {
    int c = -1;
    int s = -1;
    int l = -1;
  };
  Pair pair(uint16_t port = 80) {
    Pair p;
    p.l = listener(port);
    p.c = connect(port);
    p.s = srv.accept(p.l, nullptr, nullptr);
    return p;
  }

  // The server reads everything that has arrived on `fd` every `period`, the first time at
  // now + `first`, until `want` bytes came; the returned count grows as it reads. For tests
  // whose client write blocks meanwhile (a blocking call runs the simulation).
  const size_t& drain_server(int fd, size_t want, Duration first, Duration period) {
    Drain& d = *drains_.emplace_back(std::make_unique<Drain>());
    d.step = [this, fd, want, period, &d](Instant now) {
      char buf[65536];
      ssize_t n;
      while ((n = srv.recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        d.got += size_t(n);
      if (d.got < want) sim.at(now + period, d.step);
    };
    sim.at(sim.now() + first, d.step);
    return d.got;
  }

  sim::Simulator sim;
  sim::StackHost client;
  sim::StackHost server;
  sim::HostId ic;
  sim::HostId is;
  SimulatedDriver dc;
  SimulatedDriver ds;
  Sockets cli;
  Sockets srv;

 private:
  struct Drain {
    size_t got = 0;
    std::function<void(Instant)> step;
  };
  std::vector<std::unique_ptr<Drain>> drains_;
};

}  // namespace synack::api::testing
