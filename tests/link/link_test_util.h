// Shared helpers for link/ and sim/ tests: a sink that records what reaches it, a scheduler
// that runs deliveries in time order, and a builder for real, checksummed TCP packets.
#pragma once

#include <synack/time.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "link/link_events.h"
#include "link/packet_sink.h"
#include "wire/packet.h"

namespace synack::link::testing {

struct Arrival {
  Instant at;
  std::vector<uint8_t> bytes;
};

class Collector final : public PacketSink {
 public:
  void push(PacketPtr packet, Instant now) override {
    arrivals.push_back({now, {packet->bytes().begin(), packet->bytes().end()}});
  }
  std::vector<Arrival> arrivals;
};

class EventLog final : public LinkObserver {
 public:
  void on_link_event(const LinkEvent& e) override {
    events.push_back({e.at, e.kind, e.reason, std::string(e.rule), e.extra});
  }
  struct Entry {
    Instant at;
    LinkEventKind kind;
    DropReason reason;
    std::string rule;
    Duration extra;
  };
  std::vector<Entry> events;
};

// A TCP/IPv4 packet 10.0.0.1:1000 -> 10.0.0.2:80 with the given fields, emitted by wire/.
inline std::vector<uint8_t> tcp_packet(uint8_t flags, uint32_t seq, size_t payload_len = 0,
                                       uint32_t ack = 0) {
  static const std::vector<uint8_t> kFill(65536, 'x');
  wire::Packet p;
  p.ip.src = wire::Ipv4Address::from_octets(10, 0, 0, 1);
  p.ip.dst = wire::Ipv4Address::from_octets(10, 0, 0, 2);
  p.tcp.src_port = 1000;
  p.tcp.dst_port = 80;
  p.tcp.seq = wire::SeqNum{seq};
  p.tcp.ack = wire::SeqNum{ack};
  p.tcp.flags = flags;
  p.tcp.window = 1000;
  p.tcp.payload = {kFill.data(), payload_len};
  std::vector<uint8_t> out(wire::emitted_size(p));
  out.resize(wire::emit_packet(p, out));
  return out;
}

}  // namespace synack::link::testing
