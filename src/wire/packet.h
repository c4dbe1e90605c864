// Parse and emit whole IPv4+TCP packets: the only place bytes become values and back
// (STYLE lesson 3: parse once, at the edge).
//
// parse_packet() validates in the order a receiver must (SPEC §1.1, §1.2, §1.4) and returns
// a typed error for each way a packet can be wrong; the caller turns the error into a named
// drop counter. The order follows Linux (ip_rcv_core, tcp_v4_rcv) and is listed in
// packet.cc: truncated, version, IHL, IP checksum, total length, fragment, protocol, TCP
// truncated, data offset, TCP checksum, options. The IP checksum is verified before the
// total length and fragment fields are believed; options only after the TCP checksum.
// Bytes beyond the IP total length (Ethernet padding) are ignored. Option rules (duplicates,
// Fast Open cookie lengths, unknown kinds) are in wire/tcp_options_codec.h. emit_packet() writes
// exactly the bytes Linux writes for the same fields: the IPv4 header without options, TCP options
// in Linux's order and layout (SPEC §1.3.1), both checksums computed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "wire/ipv4_address.h"
#include "wire/tcp_segment.h"

namespace synack::wire {

inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr size_t kIpv4MinHeader = 20;
inline constexpr size_t kTcpMinHeader = 20;
inline constexpr size_t kTcpMaxOptions = 40;
inline constexpr size_t kMaxHeaders = 60 + 60;  // IPv4 + TCP, both at their maximum

enum class ParseError : uint8_t {
  kTruncated,          // fewer than 20 bytes: not even an IPv4 header
  kBadIpVersion,       // version field is not 4
  kBadIpHeaderLength,  // IHL < 5, or the header runs past the buffer
  kBadIpTotalLength,   // total length < header length, or > bytes available
  kBadIpChecksum,      // IPv4 header checksum does not verify
  kFragment,           // MF set or fragment offset non-zero (SPEC §1.1: not reassembled)
  kNotTcp,             // protocol is not 6
  kTcpTruncated,       // fewer than 20 bytes of TCP header after the IP header
  kBadDataOffset,      // data offset < 5, or beyond the segment
  kBadTcpChecksum,     // TCP checksum over pseudo-header, header and payload fails
  kBadOption,          // option length 0 or 1, running past the header, or wrong size for
                       // a known kind (e.g. MSS not 4 bytes, SACK not 2+8n)
};
inline constexpr int kParseErrorCount = 11;
std::string_view to_string(ParseError e);

struct Ipv4Header {
  uint8_t tos = 0;
  uint16_t id = 0;
  bool df = true;  // SPEC §1.1: synack sets DF on everything it sends
  uint8_t ttl = 64;
  uint8_t protocol = kIpProtoTcp;
  Ipv4Address src;
  Ipv4Address dst;
  // Filled by parse_packet; emit_packet ignores them and computes its own.
  uint8_t header_length = 20;  // bytes, IHL * 4
  uint16_t total_length = 0;
  uint16_t checksum = 0;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // in 8-byte units
};

struct Packet {
  Ipv4Header ip;
  TcpSegment tcp;
  // Filled by parse_packet: the TCP checksum as found on the wire.
  uint16_t tcp_checksum = 0;
};

struct ParseOptions {
  // Off only for benchmarks and for links known to have verified already (e.g. a TUN with
  // offload); the default verifies both checksums.
  bool verify_checksums = true;
};

// The payload span in the result points into `bytes`; keep the buffer alive while using it.
[[nodiscard]] Result<Packet, ParseError> parse_packet(std::span<const uint8_t> bytes,
                                                      ParseOptions opts = {});
// The same parse into a Packet the caller owns; nullopt means success. For the per-packet
// path: it saves moving the ~150-byte Packet into a Result (without checksums, 10 ns instead
// of 21 ns per packet in bench/checksum_bench.cc). On error `out` is partly written.
[[nodiscard]] std::optional<ParseError> parse_packet_into(std::span<const uint8_t> bytes,
                                                          Packet& out, ParseOptions opts = {});

// Size emit_packet will write for this packet (headers + options + payload).
[[nodiscard]] size_t emitted_size(const Packet& p);
// Size of the TCP options emit_packet writes, a multiple of 4, at most 40.
[[nodiscard]] size_t emitted_options_size(const TcpOptions& o);

// Writes the packet into `out` and returns the number of bytes written, or 0 if `out` is too
// small or the options do not fit in 40 bytes (a caller bug, never a peer's doing).
[[nodiscard]] size_t emit_packet(const Packet& p, std::span<uint8_t> out);

// One line in tcpdump's style, for traces and the CLI:
// "10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 65535, options [...], length 0"
std::string to_string(const Packet& p);

}  // namespace synack::wire
