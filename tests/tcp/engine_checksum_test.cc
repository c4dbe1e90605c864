// StackConfig::verify_checksums: on (the default) a segment with a wrong TCP checksum is
// dropped and counted (TcpInCsumErrors, SPEC §16.3) before demultiplexing; off, the same bytes
// reach the listener, which answers the SYN.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "stack/counters.h"
#include "stack/stack.h"
#include "wire/packet.h"

namespace synack {
namespace {

using stack::Counter;

struct Recorder : PacketOutput {
  void transmit(std::span<const uint8_t> p, Instant /*now*/) override {
    sent.emplace_back(p.begin(), p.end());
  }
  std::vector<std::vector<uint8_t>> sent;
};

constexpr auto kLocal = wire::Ipv4Address::from_octets(10, 0, 0, 1);
constexpr auto kPeer = wire::Ipv4Address::from_octets(10, 0, 0, 2);

// A SYN to port 80 whose TCP checksum is off by one (IPv4 header checksum still right).
std::vector<uint8_t> syn_with_bad_tcp_checksum() {
  wire::Packet p;
  p.ip.src = kPeer;
  p.ip.dst = kLocal;
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 80;
  p.tcp.seq = wire::SeqNum{1000};
  p.tcp.flags = wire::tcp_flags::kSyn;
  p.tcp.window = 65535;
  std::vector<uint8_t> bytes(wire::emitted_size(p));
  EXPECT_EQ(wire::emit_packet(p, bytes), bytes.size());
  bytes[20 + 17] ^= 0x01;  // TCP checksum, low byte (IPv4 header of 20 bytes, offset 16)
  EXPECT_FALSE(wire::parse_packet(bytes).has_value());
  EXPECT_TRUE(wire::parse_packet(bytes, wire::ParseOptions{.verify_checksums = false}).has_value());
  return bytes;
}

size_t syn_acks_after_bad_syn(bool verify, uint64_t* csum_errors) {
  Recorder out;
  Stack s(StackConfig{.address = kLocal, .verify_checksums = verify}, 1, out);
  const SocketId l = s.socket().value();
  EXPECT_EQ(s.bind(l, Endpoint{kLocal, 80}), 0);
  EXPECT_EQ(s.listen(l, 16, Instant::zero()), 0);
  s.input(syn_with_bad_tcp_checksum(), Instant::zero());
  *csum_errors = s.counters()[Counter::kTcpInCsumErrors];
  size_t syn_acks = 0;
  for (const auto& bytes : out.sent) {
    auto p = wire::parse_packet(bytes);
    if (p && p->tcp.flags == (wire::tcp_flags::kSyn | wire::tcp_flags::kAck)) ++syn_acks;
  }
  return syn_acks;
}

TEST(EngineChecksum, VerifiedByDefaultBadSegmentDroppedAndCounted) {
  EXPECT_TRUE(StackConfig{}.verify_checksums);
  uint64_t errors = 0;
  EXPECT_EQ(syn_acks_after_bad_syn(true, &errors), 0u);
  EXPECT_EQ(errors, 1u);
}

TEST(EngineChecksum, VerificationOffTakesTheSegment) {
  uint64_t errors = 0;
  EXPECT_EQ(syn_acks_after_bad_syn(false, &errors), 1u);
  EXPECT_EQ(errors, 0u);
}

}  // namespace
}  // namespace synack
