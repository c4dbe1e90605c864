// parse_packet / emit_packet. The order of the checks in parse_packet is the order a receiver
// must apply them, following Linux (ip_rcv_core, then tcp_v4_rcv):
//
//   1. kTruncated          < 20 bytes: no field can be read.
//   2. kBadIpVersion       version != 4.
//   3. kBadIpHeaderLength  IHL < 5, or IHL * 4 beyond the buffer.
//   4. kBadIpChecksum      the header checksum; before any other field is believed, as Linux
//                          does (ip_fast_csum right after the IHL check).
//   5. kBadIpTotalLength   total length < IHL * 4 or > buffer. Bytes after total length
//                          (Ethernet minimum-frame padding) are ignored, never part of TCP.
//   6. kFragment           MF or a non-zero offset (SPEC §1.1: no reassembly yet).
//   7. kNotTcp             protocol != 6.
//   8. kTcpTruncated       fewer than 20 TCP bytes.
//   9. kBadDataOffset      data offset < 5 or beyond the segment.
//  10. kBadTcpChecksum     pseudo-header + segment (before options are trusted).
//  11. kBadOption          the option list (wire/tcp_options_codec.h).
//
// Neither function allocates: the result holds the payload as a span into the input.
#include "wire/packet.h"

#include <cstring>

#include "wire/checksum.h"
#include "wire/tcp_options_codec.h"

namespace synack::wire {
namespace {

constexpr uint16_t kIpFlagDf = 0x4000;
constexpr uint16_t kIpFlagMf = 0x2000;
constexpr uint16_t kIpFragOffsetMask = 0x1fff;

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

std::string_view to_string(ParseError e) {
  switch (e) {
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kBadIpVersion:
      return "bad IP version";
    case ParseError::kBadIpHeaderLength:
      return "bad IP header length";
    case ParseError::kBadIpTotalLength:
      return "bad IP total length";
    case ParseError::kBadIpChecksum:
      return "bad IP checksum";
    case ParseError::kFragment:
      return "fragment";
    case ParseError::kNotTcp:
      return "not TCP";
    case ParseError::kTcpTruncated:
      return "TCP header truncated";
    case ParseError::kBadDataOffset:
      return "bad TCP data offset";
    case ParseError::kBadTcpChecksum:
      return "bad TCP checksum";
    case ParseError::kBadOption:
      return "bad TCP option";
  }
  return "unknown parse error";
}

std::optional<ParseError> parse_packet_into(std::span<const uint8_t> bytes, Packet& p,
                                            ParseOptions opts) {
  if (bytes.size() < kIpv4MinHeader) return ParseError::kTruncated;
  const uint8_t* ip = bytes.data();
  if ((ip[0] >> 4) != 4) return ParseError::kBadIpVersion;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if (ihl < kIpv4MinHeader || ihl > bytes.size()) return ParseError::kBadIpHeaderLength;
  if (opts.verify_checksums) {
    ChecksumAccumulator acc;
    acc.add(bytes.first(ihl));
    if (acc.folded() != 0xffff) return ParseError::kBadIpChecksum;
  }
  const size_t total = get16(ip + 2);
  if (total < ihl || total > bytes.size()) return ParseError::kBadIpTotalLength;
  const uint16_t frag = get16(ip + 6);
  if ((frag & kIpFlagMf) != 0 || (frag & kIpFragOffsetMask) != 0) {
    return ParseError::kFragment;
  }
  if (ip[9] != kIpProtoTcp) return ParseError::kNotTcp;

  p.ip.tos = ip[1];
  p.ip.total_length = static_cast<uint16_t>(total);
  p.ip.id = get16(ip + 4);
  p.ip.df = (frag & kIpFlagDf) != 0;
  p.ip.more_fragments = false;
  p.ip.fragment_offset = 0;
  p.ip.ttl = ip[8];
  p.ip.protocol = ip[9];
  p.ip.checksum = get16(ip + 10);
  p.ip.src = Ipv4Address{get32(ip + 12)};
  p.ip.dst = Ipv4Address{get32(ip + 16)};
  p.ip.header_length = static_cast<uint8_t>(ihl);

  const std::span<const uint8_t> seg = bytes.subspan(ihl, total - ihl);
  if (seg.size() < kTcpMinHeader) return ParseError::kTcpTruncated;
  const uint8_t* t = seg.data();
  const size_t doff = static_cast<size_t>(t[12] >> 4) * 4;
  if (doff < kTcpMinHeader || doff > seg.size()) return ParseError::kBadDataOffset;
  if (opts.verify_checksums) {
    ChecksumAccumulator acc;
    add_tcp_pseudo_header(acc, p.ip.src, p.ip.dst, static_cast<uint16_t>(seg.size()));
    acc.add(seg);
    if (acc.folded() != 0xffff) return ParseError::kBadTcpChecksum;
  }
  TcpSegment& s = p.tcp;
  if (!parse_tcp_options(seg.subspan(kTcpMinHeader, doff - kTcpMinHeader), s.options)) {
    return ParseError::kBadOption;
  }
  s.src_port = get16(t);
  s.dst_port = get16(t + 2);
  s.seq = SeqNum{get32(t + 4)};
  s.ack = SeqNum{get32(t + 8)};
  // The four reserved bits (RFC 9293 §3.1; one is AccECN's AE) are ignored, as Linux does.
  s.flags = t[13];
  s.window = get16(t + 14);
  p.tcp_checksum = get16(t + 16);
  s.urgent = get16(t + 18);
  s.payload = seg.subspan(doff);
  return std::nullopt;
}

Result<Packet, ParseError> parse_packet(std::span<const uint8_t> bytes, ParseOptions opts) {
  Packet p;
  if (auto e = parse_packet_into(bytes, p, opts)) return Failure<ParseError>{*e};
  return p;
}

size_t emitted_size(const Packet& p) {
  return kIpv4MinHeader + kTcpMinHeader + emitted_options_size(p.tcp.options) +
         p.tcp.payload.size();
}

size_t emit_packet(const Packet& p, std::span<uint8_t> out) {
  if (!tcp_options_emittable(p.tcp.options)) return 0;
  const size_t opt_len = emitted_options_size(p.tcp.options);
  const size_t tcp_len = kTcpMinHeader + opt_len + p.tcp.payload.size();
  const size_t total = kIpv4MinHeader + tcp_len;
  if (total > 0xffff || out.size() < total) return 0;

  uint8_t* ip = out.data();
  // The payload first: memmove, so a caller may build the payload in place in `out`.
  uint8_t* t = ip + kIpv4MinHeader;
  if (!p.tcp.payload.empty()) {
    std::memmove(t + kTcpMinHeader + opt_len, p.tcp.payload.data(), p.tcp.payload.size());
  }

  ip[0] = 0x45;  // version 4, IHL 5: synack never sends IP options (SPEC §1.1)
  ip[1] = p.ip.tos;
  put16(ip + 2, static_cast<uint16_t>(total));
  put16(ip + 4, p.ip.id);
  put16(ip + 6, p.ip.df ? kIpFlagDf : 0);
  ip[8] = p.ip.ttl;
  ip[9] = kIpProtoTcp;
  put16(ip + 10, 0);
  put32(ip + 12, p.ip.src.value());
  put32(ip + 16, p.ip.dst.value());
  put16(ip + 10, internet_checksum(std::span<const uint8_t>(ip, kIpv4MinHeader)));

  const TcpSegment& s = p.tcp;
  put16(t, s.src_port);
  put16(t + 2, s.dst_port);
  put32(t + 4, s.seq.raw());
  put32(t + 8, s.ack.raw());
  t[12] = static_cast<uint8_t>(((kTcpMinHeader + opt_len) / 4) << 4);
  t[13] = s.flags;
  put16(t + 14, s.window);
  put16(t + 16, 0);
  put16(t + 18, s.urgent);
  write_tcp_options(s.options, t + kTcpMinHeader);

  ChecksumAccumulator acc;
  add_tcp_pseudo_header(acc, p.ip.src, p.ip.dst, static_cast<uint16_t>(tcp_len));
  acc.add(std::span<const uint8_t>(t, tcp_len));
  put16(t + 16, acc.finish());
  return total;
}

}  // namespace synack::wire
