// Test fixture: the demo's two scripted peers on a simulated cable, with a fault injector
// and an optional pcap tap on each direction (host -> faults -> pcap -> link), so the
// capture holds what actually went onto the wire.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "link/fault_injector.h"
#include "link/pcap_tap.h"
#include "link/sim_link.h"
#include "sim/scripted_peer.h"
#include "sim/simulator.h"

namespace synack::sim::testing {

class Conversation {
 public:
  static constexpr uint16_t kServerPort = 80;
  static constexpr uint16_t kClientPort = 40000;

  Conversation(uint64_t seed, const link::LinkParams& params, const std::string& pcap = {})
      : sim(seed),
        client(config(Role::kClient, sim.rng()), script(), sim.pool()),
        server(config(Role::kServer, sim.rng()), script(), sim.pool()) {
    const HostId c = sim.add_host(client, "client");
    const HostId s = sim.add_host(server, "server");
    const Simulator::Cable cable = sim.add_cable(c, s, params);
    c2s = &cable.a_to_b;
    s2c = &cable.b_to_a;
    link::PacketSink* into_c2s = c2s;
    link::PacketSink* into_s2c = s2c;
    if (!pcap.empty()) {
      auto w = link::PcapWriter::open(pcap);
      if (w) {
        writer = std::move(w).value();
        into_c2s = &tap_c2s.emplace(*writer, *c2s);
        into_s2c = &tap_s2c.emplace(*writer, *s2c);
      }
    }
    client_faults.emplace("client faults", *into_c2s, sim, sim.pool());
    server_faults.emplace("server faults", *into_s2c, sim, sim.pool());
    client.attach(*client_faults);
    server.attach(*server_faults);
  }

  static Script script() {
    return request_response_script("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\nhello");
  }
  static PeerConfig config(Role role, Rng& rng) {
    const auto a = wire::Ipv4Address::from_octets(10, 0, 0, 1);
    const auto b = wire::Ipv4Address::from_octets(10, 0, 0, 2);
    const bool is_client = role == Role::kClient;
    return PeerConfig{.role = role,
                      .addr = is_client ? a : b,
                      .port = is_client ? kClientPort : kServerPort,
                      .peer_addr = is_client ? b : a,
                      .peer_port = is_client ? kServerPort : kClientPort,
                      .iss = rng.next_u32(),
                      .ts_offset = rng.next_u32()};
  }

  Simulator sim;
  ScriptedPeer client;
  ScriptedPeer server;
  link::SimLink* c2s = nullptr;
  link::SimLink* s2c = nullptr;
  std::unique_ptr<link::PcapWriter> writer;
  std::optional<link::PcapTap> tap_c2s;
  std::optional<link::PcapTap> tap_s2c;
  std::optional<link::FaultInjector> client_faults;  // on client -> server
  std::optional<link::FaultInjector> server_faults;  // on server -> client
};

}  // namespace synack::sim::testing
