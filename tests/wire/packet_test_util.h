// Helpers shared by the wire/ tests: a default segment template (STYLE lesson 10) and a
// field-by-field comparison of packets (Packet has no operator== because parse fills fields
// that emit ignores, and the payload is a view).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "wire/packet.h"

namespace synack::wire::testing {

inline constexpr Ipv4Address kAddrA = Ipv4Address::from_octets(10, 0, 0, 1);
inline constexpr Ipv4Address kAddrB = Ipv4Address::from_octets(10, 0, 0, 2);

// 10.0.0.1:40000 -> 10.0.0.2:80, DF, TTL 64, no options, no payload.
inline Packet template_packet() {
  Packet p;
  p.ip.src = kAddrA;
  p.ip.dst = kAddrB;
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 80;
  return p;
}

inline std::vector<uint8_t> emit(const Packet& p) {
  std::vector<uint8_t> out(emitted_size(p));
  const size_t n = emit_packet(p, out);
  out.resize(n);
  return out;
}

// The fields a sender chooses, compared one by one so a failure names the field.
inline ::testing::AssertionResult same_packet(const Packet& a, const Packet& b) {
  auto fail = [](const char* what) { return ::testing::AssertionFailure() << what << " differ"; };
  if (a.ip.tos != b.ip.tos) return fail("ip.tos");
  if (a.ip.id != b.ip.id) return fail("ip.id");
  if (a.ip.df != b.ip.df) return fail("ip.df");
  if (a.ip.ttl != b.ip.ttl) return fail("ip.ttl");
  if (a.ip.src != b.ip.src) return fail("ip.src");
  if (a.ip.dst != b.ip.dst) return fail("ip.dst");
  const TcpSegment& s = a.tcp;
  const TcpSegment& t = b.tcp;
  if (s.src_port != t.src_port) return fail("tcp.src_port");
  if (s.dst_port != t.dst_port) return fail("tcp.dst_port");
  if (s.seq != t.seq) return fail("tcp.seq");
  if (s.ack != t.ack) return fail("tcp.ack");
  if (s.flags != t.flags) return fail("tcp.flags");
  if (s.window != t.window) return fail("tcp.window");
  if (s.urgent != t.urgent) return fail("tcp.urgent");
  if (!(s.options == t.options)) {
    return ::testing::AssertionFailure() << "options differ: [" << to_string(s.options) << "] vs ["
                                         << to_string(t.options) << "]";
  }
  if (!std::equal(s.payload.begin(), s.payload.end(), t.payload.begin(), t.payload.end())) {
    return fail("payloads");
  }
  return ::testing::AssertionSuccess();
}

}  // namespace synack::wire::testing
