// Simulated SYN flood (SPEC §6.5, §17; issue 4 "Checked by"): an attacker sends spoofed SYNs
// from random sources at 1,000,000 per simulated second at a listener with backlog 128 while
// 1,000 legitimate clients connect, send a request and read the response.
//   tcp_syncookies = 1: every legitimate client succeeds, and the listener's memory stays
//                       bounded: its SYN queue never holds more than max_ack_backlog + 1
//                       request records (the peak and its bytes are printed and asserted).
//   tcp_syncookies = 0: the SYN queue fills with spoofed requests that live for their whole
//                       SYN+ACK retry schedule (63 s), so legitimate clients are dropped; the
//                       success rate is printed and must collapse below the cookie case.
// The flood lasts 1.2 simulated seconds (1.2 million SYNs per run) so both runs stay inside
// the ASan build's time budget; clients start two per millisecond during the first half
// second, so all of them meet the flood, and success is counted when the flood ends (a
// spoofed request lives 7 s under this pressure — reqsk_timer_handler() cuts old requests to
// 2 retries — so without cookies the queue never opens while the flood lasts). The client
// closes first, so no SYN meets a server TIME-WAIT (whose reuse, SPEC §9.5, would bypass the
// SYN-queue limit as in Linux). The seed is printed.
#include "sim/syn_flood.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "tcp/request_record.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using stack::SysctlId;

const auto kServerAddr = wire::Ipv4Address::from_octets(10, 0, 0, 2);
const auto kClientAddr = wire::Ipv4Address::from_octets(10, 0, 1, 1);
const auto kClientNet = wire::Ipv4Address::from_octets(10, 0, 1, 0);
constexpr uint16_t kPort = 80;
constexpr int kClients = 1000;
constexpr int kBacklog = 128;
constexpr std::string_view kRequest = "GET /\n";
constexpr std::string_view kResponse = "200 OK\n";
// Clients start two per millisecond from 0 to 0.5 s; the flood runs from 0 to 1.2 s and
// success is counted when it ends.
constexpr Instant kFloodEnd = Instant::zero() + Duration::millis(1200);

struct FloodResult {
  int succeeded = 0;
  size_t peak_records = 0;
  size_t peak_record_bytes = 0;
  uint64_t flood_syns = 0;
  uint64_t discarded_replies = 0;
};

// Both applications, polled every millisecond: the server accepts, answers each request and
// closes; clients connect on schedule, send the request once connected and read the answer.
class Apps final : public Timer {
 public:
  Apps(Simulator& sim, StackHost& server, HostId server_id, StackHost& client, HostId client_id)
      : sim_(sim), server_(server), sid_(server_id), client_(client), cid_(client_id) {
    Stack& ss = server_.stack();
    listener_ = ss.socket().value();
    EXPECT_EQ(ss.bind(listener_, Endpoint{kServerAddr, kPort}), 0);
    EXPECT_EQ(ss.listen(listener_, kBacklog, sim_.now()), 0);
    clients_.resize(kClients);
  }

  void fire(Instant now) override {
    serve(now);
    drive_clients(now);
    const Stack& ss = server_.stack();
    result.peak_records = std::max(result.peak_records, ss.request_count());
    result.peak_record_bytes = std::max(result.peak_record_bytes, ss.request_bytes());
    sim_.poke(sid_);
    sim_.poke(cid_);
    sim_.schedule(now + 1_ms, *this);
  }

  FloodResult result;

 private:
  enum class Stage : uint8_t { kIdle, kConnecting, kSent, kDone, kFailed };
  struct Client {
    SocketId s = kNoSocket;
    Stage stage = Stage::kIdle;
    std::string got;
  };

  void serve(Instant now) {
    Stack& ss = server_.stack();
    for (auto a = ss.accept(listener_, now); a; a = ss.accept(listener_, now))
      conns_.push_back(a.value());
    std::vector<SocketId> open;
    for (SocketId s : conns_) {
      std::array<uint8_t, 64> buf{};
      auto r = ss.recv(s, buf, now);
      if (r && r.value() > 0) {
        (void)ss.send(
            s, std::span(reinterpret_cast<const uint8_t*>(kResponse.data()), kResponse.size()),
            now);
        // The client closes first: TIME-WAIT stays on its side (see the top of the file).
        open.push_back(s);
      } else if (!r && r.error() == EAGAIN) {
        open.push_back(s);
      } else {
        (void)ss.close(s, now);
      }
    }
    conns_.swap(open);
  }

  void drive_clients(Instant now) {
    Stack& cs = client_.stack();
    const auto due = std::min<int64_t>(kClients, 2 * (now.since_epoch().ms() + 1));
    for (int64_t i = 0; i < due; ++i) {
      Client& c = clients_[i];
      switch (c.stage) {
        case Stage::kIdle:
          c.s = cs.socket().value();
          if (cs.connect(c.s, Endpoint{kServerAddr, kPort}, now) == EINPROGRESS) {
            c.stage = Stage::kConnecting;
          } else {
            c.stage = Stage::kFailed;
          }
          break;
        case Stage::kConnecting: {
          const uint32_t r = cs.readiness(c.s);
          if ((r & ready::kErr) != 0) {
            c.stage = Stage::kFailed;
          } else if ((r & ready::kOut) != 0) {
            auto n = cs.send(
                c.s, std::span(reinterpret_cast<const uint8_t*>(kRequest.data()), kRequest.size()),
                now);
            if (n && n.value() == kRequest.size()) c.stage = Stage::kSent;
          }
          break;
        }
        case Stage::kSent: {
          std::array<uint8_t, 64> buf{};
          auto r = cs.recv(c.s, buf, now);
          if (r && r.value() > 0) {
            c.got.append(reinterpret_cast<const char*>(buf.data()), r.value());
            if (c.got == kResponse) {
              c.stage = Stage::kDone;
              ++result.succeeded;
              (void)cs.close(c.s, now);
            }
          } else if (!r && r.error() != EAGAIN) {
            c.stage = Stage::kFailed;
          }
          break;
        }
        default:
          break;
      }
    }
  }

  Simulator& sim_;
  StackHost& server_;
  HostId sid_;
  StackHost& client_;
  HostId cid_;
  SocketId listener_ = kNoSocket;
  std::vector<SocketId> conns_;
  std::vector<Client> clients_;
};

FloodResult run_flood(uint64_t seed, int syncookies) {
  Simulator sim(seed);
  StackHost server({.address = kServerAddr}, seed * 2 + 1, sim.pool());
  StackHost client({.address = kClientAddr}, seed * 2 + 2, sim.pool());
  EXPECT_TRUE(server.stack().sysctls().set_value(SysctlId::kTcpSyncookies, syncookies).has_value());
  const HostId sid = sim.add_host(server, "server");
  const HostId cid = sim.add_host(client, "client");
  auto cable = sim.add_cable(cid, sid, link::LinkParams{.latency = 5_ms});
  client.attach(cable.a_to_b);
  // SYN+ACKs to spoofed sources die at the first router.
  RouteFilter route(cable.b_to_a, kClientNet, 24);
  server.attach(route);

  SynFlooder flood(sim, sim.inbox(sid), sim.rng().fork(),
                   SynFloodParams{.target = kServerAddr,
                                  .target_port = kPort,
                                  .syns_per_second = 1'000'000,
                                  .start = Instant::zero(),
                                  .stop = kFloodEnd,
                                  .protected_prefix = kClientNet,
                                  .protected_prefix_len = 24});
  flood.start();
  Apps apps(sim, server, sid, client, cid);
  sim.schedule(Instant::zero(), apps);
  sim.run_until(kFloodEnd);
  FloodResult r = apps.result;
  r.flood_syns = flood.sent();
  r.discarded_replies = route.discarded();
  return r;
}

TEST(SynFlood, CookiesKeepEveryLegitimateClientInAndMemoryBounded) {
  const uint64_t seed = 20261121;
  std::printf("[ synflood ] seed %llu\n", static_cast<unsigned long long>(seed));
  const FloodResult on = run_flood(seed, 1);
  std::printf(
      "[ synflood ] tcp_syncookies=1: %d/%d clients succeeded, %llu spoofed SYNs, %llu "
      "SYN+ACKs to spoofed sources discarded, peak %zu request records, %zu bytes\n",
      on.succeeded, kClients, static_cast<unsigned long long>(on.flood_syns),
      static_cast<unsigned long long>(on.discarded_replies), on.peak_records, on.peak_record_bytes);
  const FloodResult off = run_flood(seed, 0);
  std::printf(
      "[ synflood ] tcp_syncookies=0: %d/%d clients succeeded (%.1f %%), peak %zu request "
      "records, %zu bytes\n",
      off.succeeded, kClients, 100.0 * off.succeeded / kClients, off.peak_records,
      off.peak_record_bytes);

  EXPECT_GE(on.flood_syns, 1'200'000u);
  EXPECT_EQ(on.succeeded, kClients);
  // SPEC §5.2: the SYN queue holds at most max_ack_backlog + 1 records; the bytes include the
  // table's buckets.
  EXPECT_LE(on.peak_records, size_t{kBacklog + 1});
  EXPECT_LE(on.peak_record_bytes, size_t{kBacklog + 1} * sizeof(tcp::RequestRecord) + 4096);
  // Without cookies the flood owns the SYN queue.
  EXPECT_LT(off.succeeded, on.succeeded / 2);
}

}  // namespace
}  // namespace synack::sim
