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

// RFC 1071 written the obvious way (16-bit big-endian words), independent of wire/checksum.
inline uint16_t reference_checksum(std::span<const uint8_t> b, uint64_t initial = 0) {
  uint64_t s = initial;
  for (size_t i = 0; i < b.size(); i += 2) {
    s += (uint32_t{b[i]} << 8) | (i + 1 < b.size() ? b[i + 1] : 0u);
  }
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

// Recomputes both checksums of a hand-built IPv4+TCP packet in place, using the IHL and total
// length written in it (which the caller may have made inconsistent on purpose).
inline void fix_checksums(std::vector<uint8_t>& b) {
  const size_t ihl = static_cast<size_t>(b[0] & 0x0f) * 4;
  b[10] = b[11] = 0;
  const uint16_t ipc = reference_checksum(std::span<const uint8_t>(b).first(ihl));
  b[10] = static_cast<uint8_t>(ipc >> 8);
  b[11] = static_cast<uint8_t>(ipc);
  const size_t total = std::min<size_t>((size_t{b[2]} << 8) | b[3], b.size());
  if (total < ihl + 18) return;
  const size_t tcp_len = total - ihl;
  uint64_t pseudo = 0;
  for (size_t i = 12; i < 20; i += 2)
    pseudo += (uint32_t{b[i]} << 8) | b[i + 1];
  pseudo += 6 + tcp_len;
  b[ihl + 16] = b[ihl + 17] = 0;
  const uint16_t tc = reference_checksum(std::span<const uint8_t>(b).subspan(ihl, tcp_len), pseudo);
  b[ihl + 16] = static_cast<uint8_t>(tc >> 8);
  b[ihl + 17] = static_cast<uint8_t>(tc);
}

// A packet assembled by hand (not by emit_packet): 10.0.0.1:40000 -> 10.0.0.2:80, seq 1000,
// ack 2000, flags `flags`, window 512, with the given raw option bytes (padded by the caller
// to a multiple of 4) and payload; checksums fixed.
inline std::vector<uint8_t> raw_packet(std::vector<uint8_t> options,
                                       std::vector<uint8_t> payload = {}, uint8_t flags = 0x10) {
  EXPECT_EQ(options.size() % 4, 0u) << "test bug: pad the options to a multiple of 4";
  const size_t tcp_header = 20 + options.size();
  const size_t total = 20 + tcp_header + payload.size();
  std::vector<uint8_t> b = {0x45,
                            0x00,
                            static_cast<uint8_t>(total >> 8),
                            static_cast<uint8_t>(total),  // ver/ihl..
                            0x00,
                            0x01,
                            0x40,
                            0x00,  // id, DF
                            0x40,
                            0x06,
                            0x00,
                            0x00,  // ttl, proto
                            10,
                            0,
                            0,
                            1,
                            10,
                            0,
                            0,
                            2,  // addresses
                            0x9c,
                            0x40,
                            0x00,
                            0x50,  // ports
                            0x00,
                            0x00,
                            0x03,
                            0xe8,
                            0x00,
                            0x00,
                            0x07,
                            0xd0,  // seq, ack
                            static_cast<uint8_t>((tcp_header / 4) << 4),
                            flags,
                            0x02,
                            0x00,  // doff..win
                            0x00,
                            0x00,
                            0x00,
                            0x00};  // csum, urg
  b.insert(b.end(), options.begin(), options.end());
  b.insert(b.end(), payload.begin(), payload.end());
  fix_checksums(b);
  return b;
}

}  // namespace synack::wire::testing
