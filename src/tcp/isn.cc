#include "tcp/isn.h"

#include <array>

#include "base/rng.h"

namespace synack::tcp {

namespace {

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace

IsnGenerator IsnGenerator::from_rng(Rng& rng) {
  const KeyedHash seq = KeyedHash::from_rng(rng);
  const KeyedHash ts = KeyedHash::from_rng(rng);
  return IsnGenerator{seq, ts};
}

uint32_t IsnGenerator::isn_hash(wire::Ipv4Address local, uint16_t local_port,
                                wire::Ipv4Address remote, uint16_t remote_port) const {
  std::array<uint8_t, 12> in{};
  put_be32(&in[0], local.value());
  put_be32(&in[4], remote.value());
  put_be16(&in[8], local_port);
  put_be16(&in[10], remote_port);
  return static_cast<uint32_t>(seq_secret_(in));
}

uint32_t IsnGenerator::isn_clock(Instant now) {
  return static_cast<uint32_t>(static_cast<uint64_t>(now.ns()) >> 6);
}

wire::SeqNum IsnGenerator::isn(wire::Ipv4Address local, uint16_t local_port,
                               wire::Ipv4Address remote, uint16_t remote_port, Instant now) const {
  return wire::SeqNum{isn_hash(local, local_port, remote, remote_port)} + isn_clock(now);
}

uint32_t IsnGenerator::ts_offset(wire::Ipv4Address local, wire::Ipv4Address remote) const {
  std::array<uint8_t, 8> in{};
  put_be32(&in[0], local.value());
  put_be32(&in[4], remote.value());
  return static_cast<uint32_t>(ts_secret_(in));
}

}  // namespace synack::tcp
