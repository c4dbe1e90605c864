// TcpServer and TcpClient (the code behind `synack serve` / `synack connect`) between two synack
// Stacks in the simulator: the same code the TUN runs, here in virtual time over a lossy,
// reordering link, with every byte checked by SHA-256 against the generated pattern.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/body_pattern.h"
#include "app/tcp_client.h"
#include "app/tcp_server.h"
#include "sim/simulator.h"
#include "sim/stack_host.h"

namespace synack::app {
namespace {

using namespace synack::literals;

const auto kClient = wire::Ipv4Address::from_octets(10, 0, 0, 1);
const auto kServer = wire::Ipv4Address::from_octets(10, 0, 0, 2);

std::string pattern_sha256(uint64_t n) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<uint8_t> buf(4096);
  for (uint64_t off = 0; off < n; off += buf.size()) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), n - off));
    fill_pattern(off, std::span<uint8_t>(buf.data(), len));
    crypto_hash_sha256_update(&st, buf.data(), len);
  }
  uint8_t d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, d);
  std::string hex;
  for (uint8_t b : d) {
    static constexpr char k[] = "0123456789abcdef";
    hex += k[b >> 4];
    hex += k[b & 0xf];
  }
  return hex;
}

ClientJob get_job(std::string path) {
  ClientJob j;
  j.mode = ClientMode::kHttpGet;
  j.remote = Endpoint{kServer, 80};
  j.path = std::move(path);
  j.host = "10.0.0.2";
  return j;
}

ClientJob send_job(uint64_t n) {
  ClientJob j;
  j.mode = ClientMode::kSend;
  j.remote = Endpoint{kServer, 80};
  j.send_bytes = n;
  return j;
}

struct World {
  World(ServiceKind kind, uint64_t seed, link::LinkParams params)
      : sim(seed),
        c({.address = kClient}, seed + 1, sim.pool()),
        s({.address = kServer}, seed + 2, sim.pool()),
        server(s.stack(), kind) {
    ic = sim.add_host(c, "client");
    is = sim.add_host(s, "server");
    auto cable = sim.add_cable(ic, is, params);
    c.attach(cable.a_to_b);
    s.attach(cable.b_to_a);
    EXPECT_EQ(server.listen(Endpoint{kServer, 80}, 16, sim.now()), 0);
  }
  // Runs until the client is done (and a second more, for the close) or `limit` passes.
  void run(TcpClient& client, Duration limit) {
    EXPECT_EQ(client.start(sim.now()), 0);
    const Instant end = sim.now() + limit;
    while (sim.now() < end) {
      server.step(sim.now());
      client.step(sim.now());
      if (client.done()) break;
      sim.poke(ic);
      sim.poke(is);
      if (!sim.step()) break;
    }
    const Instant close_end = sim.now() + 1_s;
    while (sim.now() < close_end) {
      server.step(sim.now());
      sim.poke(is);
      if (!sim.step()) break;
    }
  }

  sim::Simulator sim;
  sim::StackHost c;
  sim::StackHost s;
  sim::HostId ic = 0;
  sim::HostId is = 0;
  TcpServer server;
};

TEST(ServerClientSim, HttpDownloadOverLossyReorderingLink) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    World w(
        ServiceKind::kHttp, seed,
        link::LinkParams{.latency = 5_ms, .loss = 0.03, .reorder = 0.05, .reorder_delay = 3_ms});
    TcpClient client(w.c.stack(), get_job("/300K"));
    w.run(client, 120_s);
    ASSERT_TRUE(client.done()) << "seed " << seed;
    EXPECT_EQ(client.error(), "") << "seed " << seed;
    EXPECT_EQ(client.http_status(), 200);
    EXPECT_EQ(client.body_bytes(), 300u * 1024);
    EXPECT_EQ(client.sha256_hex(), pattern_sha256(300 * 1024)) << "seed " << seed;
    EXPECT_EQ(w.server.counters().requests, 1u);
    EXPECT_EQ(w.server.connections(), 0u);  // Connection: close honoured
  }
}

TEST(ServerClientSim, HttpNotFoundIsAFailedDownload) {
  World w(ServiceKind::kHttp, 9, link::LinkParams{.latency = 1_ms});
  TcpClient client(w.c.stack(), get_job("/nothing-here"));
  w.run(client, 10_s);
  ASSERT_TRUE(client.done());
  EXPECT_EQ(client.http_status(), 404);
  EXPECT_EQ(client.error(), "HTTP status 404");
  EXPECT_EQ(w.server.counters().bad_requests, 1u);
}

TEST(ServerClientSim, UploadToDiscardEndsWithTheServersFin) {
  World w(ServiceKind::kDiscard, 4, link::LinkParams{.latency = 2_ms, .loss = 0.02});
  TcpClient client(w.c.stack(), send_job(200'000));
  w.run(client, 120_s);
  ASSERT_TRUE(client.done());
  EXPECT_EQ(client.error(), "");
  EXPECT_EQ(client.body_bytes(), 200'000u);
  EXPECT_EQ(client.sha256_hex(), pattern_sha256(200'000));
  EXPECT_EQ(w.server.counters().bytes_in, 200'000u);
  EXPECT_EQ(w.server.counters().closed, 1u);
}

TEST(ServerClientSim, EchoReturnsEverythingThenCloses) {
  World w(ServiceKind::kEcho, 5, link::LinkParams{.latency = 2_ms});
  // An upload to echo: the client discards what comes back and finishes at the server's FIN,
  // which echo sends only after echoing every byte.
  TcpClient client(w.c.stack(), send_job(500'000));
  w.run(client, 60_s);
  ASSERT_TRUE(client.done());
  EXPECT_EQ(client.error(), "");
  EXPECT_EQ(w.server.counters().bytes_in, 500'000u);
  EXPECT_EQ(w.server.counters().bytes_out, 500'000u);
}

TEST(ServerClientSim, MalformedRequestGets400AndClose) {
  World w(ServiceKind::kHttp, 6, link::LinkParams{.latency = 1_ms});
  Stack& cs = w.c.stack();
  const SocketId sock = cs.socket().value();
  EXPECT_EQ(cs.connect(sock, Endpoint{kServer, 80}, w.sim.now()), EINPROGRESS);
  std::string got;
  bool sent = false, eof = false;
  for (int i = 0; i < 10'000 && !eof; ++i) {
    const Instant now = w.sim.now();
    w.server.step(now);
    if (!sent && (cs.readiness(sock) & ready::kOut) != 0) {
      const std::string junk = "GARBAGE\r\n\r\n";
      ASSERT_TRUE(
          cs.send(sock, std::span(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()), now)
              .has_value());
      sent = true;
    }
    std::array<uint8_t, 4096> buf{};
    if (auto r = cs.recv(sock, buf, now)) {
      if (*r == 0) eof = true;
      got.append(reinterpret_cast<const char*>(buf.data()), *r);
    }
    w.sim.poke(w.ic);
    w.sim.poke(w.is);
    if (!w.sim.step()) break;
  }
  EXPECT_TRUE(eof);
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
}

}  // namespace
}  // namespace synack::app
