// parse_packet: every ParseError reached by a crafted packet, the order of the checks, IP
// options and Ethernet padding, and every TCP option (including the malformed ones).
// Packets are assembled by hand (testing::raw_packet) with checksums from the reference
// implementation in packet_test_util.h, never from emit_packet.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "packet_test_util.h"
#include "wire/packet.h"

namespace synack::wire {
namespace {

using testing::fix_checksums;
using testing::raw_packet;

ParseError error_of(const std::vector<uint8_t>& b, ParseOptions opts = {}) {
  auto r = parse_packet(b, opts);
  EXPECT_FALSE(r.has_value()) << "parsed: " << to_string(*r);
  return r.has_value() ? ParseError{} : r.error();
}

Packet parse_ok(const std::vector<uint8_t>& b) {
  auto r = parse_packet(b);
  EXPECT_TRUE(r.has_value()) << to_string(r.error());
  return r.has_value() ? *r : Packet{};
}

const std::vector<uint8_t> kData = {'a', 'b', 'c', 'd', 'e'};

TEST(ParseValid, HandBuiltPacket) {
  const auto b = raw_packet({1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8}, kData, 0x18);
  const Packet p = parse_ok(b);
  EXPECT_EQ(p.ip.src, testing::kAddrA);
  EXPECT_EQ(p.ip.dst, testing::kAddrB);
  EXPECT_EQ(p.ip.id, 1);
  EXPECT_TRUE(p.ip.df);
  EXPECT_EQ(p.ip.ttl, 64);
  EXPECT_EQ(p.tcp.src_port, 40000);
  EXPECT_EQ(p.tcp.dst_port, 80);
  EXPECT_EQ(p.tcp.seq, SeqNum{1000});
  EXPECT_EQ(p.tcp.ack, SeqNum{2000});
  EXPECT_EQ(p.tcp.flags, tcp_flags::kPsh | tcp_flags::kAck);
  EXPECT_EQ(p.tcp.window, 512);
  EXPECT_EQ(p.tcp.options.timestamps, (Timestamps{9, 8}));
  ASSERT_EQ(p.tcp.payload.size(), kData.size());
  EXPECT_TRUE(std::equal(kData.begin(), kData.end(), p.tcp.payload.begin()));
  EXPECT_EQ(p.tcp.seq_len(), 5u);
}

// ---- every ParseError ----

TEST(ParseErrors, Truncated) {
  const auto good = raw_packet({});
  for (size_t n = 0; n < 20; ++n) {
    EXPECT_EQ(error_of(std::vector<uint8_t>(good.begin(), good.begin() + n)),
              ParseError::kTruncated)
        << n;
  }
}

TEST(ParseErrors, BadIpVersion) {
  auto b = raw_packet({});
  b[0] = 0x65;  // version 6
  fix_checksums(b);
  EXPECT_EQ(error_of(b), ParseError::kBadIpVersion);
  b[0] = 0x05;  // version 0
  EXPECT_EQ(error_of(b), ParseError::kBadIpVersion);
}

TEST(ParseErrors, BadIpHeaderLength) {
  auto b = raw_packet({});
  b[0] = 0x44;  // IHL 4 = 16 bytes
  EXPECT_EQ(error_of(b), ParseError::kBadIpHeaderLength);
  b[0] = 0x40;
  EXPECT_EQ(error_of(b), ParseError::kBadIpHeaderLength);
  // IHL 15 (60 bytes) in a 40-byte packet: the header runs past the buffer.
  b[0] = 0x4f;
  EXPECT_EQ(error_of(b), ParseError::kBadIpHeaderLength);
}

TEST(ParseErrors, BadIpChecksum) {
  auto b = raw_packet({});
  b[8] = 63;  // TTL changed, checksum not fixed
  EXPECT_EQ(error_of(b), ParseError::kBadIpChecksum);
  auto c = raw_packet({});
  c[11] ^= 0x01;
  EXPECT_EQ(error_of(c), ParseError::kBadIpChecksum);
}

TEST(ParseErrors, BadIpTotalLength) {
  auto b = raw_packet({}, kData);
  b[2] = 0;
  b[3] = 19;  // less than the header
  fix_checksums(b);
  EXPECT_EQ(error_of(b), ParseError::kBadIpTotalLength);
  auto c = raw_packet({}, kData);
  c.pop_back();  // total length now one more than the buffer (truncated capture)
  EXPECT_EQ(error_of(c), ParseError::kBadIpTotalLength);
}

TEST(ParseErrors, Fragment) {
  for (uint16_t frag : {0x2000, 0x6000, 0x0001, 0x4001, 0x1fff, 0x3fff}) {
    auto b = raw_packet({}, kData);
    b[6] = static_cast<uint8_t>(frag >> 8);
    b[7] = static_cast<uint8_t>(frag);
    fix_checksums(b);
    EXPECT_EQ(error_of(b), ParseError::kFragment) << std::hex << frag;
  }
}

TEST(ParseErrors, NotTcp) {
  auto b = raw_packet({});
  b[9] = 17;  // UDP
  fix_checksums(b);
  EXPECT_EQ(error_of(b), ParseError::kNotTcp);
}

TEST(ParseErrors, TcpTruncated) {
  for (size_t tcp_bytes = 0; tcp_bytes < 20; ++tcp_bytes) {
    auto b = raw_packet({});
    b.resize(20 + tcp_bytes);
    b[3] = static_cast<uint8_t>(20 + tcp_bytes);
    fix_checksums(b);
    EXPECT_EQ(error_of(b), ParseError::kTcpTruncated) << tcp_bytes;
  }
}

TEST(ParseErrors, BadDataOffset) {
  for (uint8_t doff : {0, 1, 4}) {
    auto b = raw_packet({});
    b[32] = static_cast<uint8_t>(doff << 4);
    fix_checksums(b);
    EXPECT_EQ(error_of(b), ParseError::kBadDataOffset) << int{doff};
  }
  // Data offset 6 (24 bytes) in a 20-byte segment: beyond the segment.
  auto b = raw_packet({});
  b[32] = 0x60;
  fix_checksums(b);
  EXPECT_EQ(error_of(b), ParseError::kBadDataOffset);
  // Data offset 15 with only 5 bytes of payload behind a 20-byte header.
  auto c = raw_packet({}, kData);
  c[32] = 0xf0;
  fix_checksums(c);
  EXPECT_EQ(error_of(c), ParseError::kBadDataOffset);
}

TEST(ParseErrors, BadTcpChecksum) {
  auto b = raw_packet({}, kData);
  b.back() ^= 0x40;  // payload changed after the checksum was computed
  EXPECT_EQ(error_of(b), ParseError::kBadTcpChecksum);
  auto c = raw_packet({}, kData);
  c[14] ^= 0x01;  // source address: covered by the pseudo-header
  c[10] = c[11] = 0;
  {
    // Fix only the IP checksum, so only the pseudo-header sum is wrong.
    auto ipc = testing::reference_checksum(std::span<const uint8_t>(c).first(20));
    c[10] = static_cast<uint8_t>(ipc >> 8);
    c[11] = static_cast<uint8_t>(ipc);
  }
  EXPECT_EQ(error_of(c), ParseError::kBadTcpChecksum);
}

TEST(ParseErrors, BadOption) {
  const std::vector<std::vector<uint8_t>> bad = {
      {2, 0, 0, 0},                                       // length 0
      {3, 1, 1, 1},                                       // length 1
      {1, 1, 1, 2},                                       // kind with no length byte
      {1, 1, 3, 3},                                       // WS runs past the header end
      {30, 9, 1, 1},                                      // unknown kind running past
      {2, 3, 5, 1},                                       // MSS of length 3
      {2, 5, 5, 0xb4, 0, 0, 0, 0},                        // MSS of length 5
      {3, 2, 1, 1},                                       // WS of length 2
      {3, 4, 7, 0},                                       // WS of length 4
      {4, 3, 0, 1},                                       // SACK-permitted of length 3
      {8, 8, 0, 0, 0, 1, 0, 0},                           // TS of length 8
      {8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0},              // TS of length 12
      {5, 2, 1, 1},                                       // SACK with no block
      {5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1},               // SACK of 2 + 7
      {5, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1},  // SACK of 2 + 12
  };
  for (const auto& opts : bad) {
    SCOPED_TRACE(::testing::PrintToString(opts));
    EXPECT_EQ(error_of(raw_packet(opts)), ParseError::kBadOption);
  }
}

// ---- check order ----

TEST(ParseOrder, FirstFailingCheckWins) {
  // A fragment with a bad header checksum: the checksum is checked first (Linux ip_rcv_core
  // verifies it before believing any other field).
  auto b = raw_packet({});
  b[6] = 0x20;
  EXPECT_EQ(error_of(b), ParseError::kBadIpChecksum);
  // Bad header checksum and a bad total length: the checksum first, too.
  auto c = raw_packet({});
  c[3] = 200;
  EXPECT_EQ(error_of(c), ParseError::kBadIpChecksum);
  // A fragment of another protocol: kFragment (reassembly precedes protocol dispatch).
  auto d = raw_packet({});
  d[6] = 0x20;
  d[9] = 17;
  fix_checksums(d);
  EXPECT_EQ(error_of(d), ParseError::kFragment);
  // Bad options and a bad TCP checksum: the checksum first (options are not trusted before).
  auto e = raw_packet({2, 3, 5, 1});
  e.back() ^= 1;
  EXPECT_EQ(error_of(e), ParseError::kBadTcpChecksum);
  // A bad data offset is found before the checksum is computed.
  auto f = raw_packet({});
  f[32] = 0x40;
  EXPECT_EQ(error_of(f), ParseError::kBadDataOffset);
}

TEST(ParseOrder, ChecksumsCanBeSkipped) {
  auto b = raw_packet({}, kData);
  b[11] ^= 1;
  b.back() ^= 1;
  EXPECT_EQ(error_of(b), ParseError::kBadIpChecksum);
  auto r = parse_packet(b, ParseOptions{.verify_checksums = false});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->tcp.payload.size(), kData.size());
  // Structural checks still apply.
  b[32] = 0x40;
  EXPECT_EQ(error_of(b, ParseOptions{.verify_checksums = false}), ParseError::kBadDataOffset);
}

// ---- IPv4 details ----

TEST(ParseIp, OptionsAreSkipped) {
  auto b = raw_packet({}, kData);
  // Insert 4 bytes of IP options (NOP NOP NOP EOL) and make IHL 6.
  b.insert(b.begin() + 20, {1, 1, 1, 0});
  b[0] = 0x46;
  const size_t total = b.size();
  b[2] = static_cast<uint8_t>(total >> 8);
  b[3] = static_cast<uint8_t>(total);
  fix_checksums(b);
  const Packet p = parse_ok(b);
  EXPECT_EQ(p.ip.header_length, 24);
  EXPECT_EQ(p.tcp.src_port, 40000);
  EXPECT_EQ(p.tcp.seq, SeqNum{1000});
  EXPECT_EQ(p.tcp.payload.size(), kData.size());
}

TEST(ParseIp, EthernetPaddingIsIgnored) {
  // A 40-byte ACK padded to Ethernet's 46-byte minimum payload: the padding is neither
  // payload nor part of the TCP checksum.
  auto b = raw_packet({});
  b.insert(b.end(), 6, 0xee);
  const Packet p = parse_ok(b);
  EXPECT_EQ(p.ip.total_length, 40);
  EXPECT_TRUE(p.tcp.payload.empty());
}

TEST(ParseIp, FieldsAsOnTheWire) {
  auto b = raw_packet({});
  b[1] = 0xb8;  // DSCP EF
  b[6] = 0;     // DF clear
  b[8] = 1;
  fix_checksums(b);
  const Packet p = parse_ok(b);
  EXPECT_EQ(p.ip.tos, 0xb8);
  EXPECT_FALSE(p.ip.df);
  EXPECT_EQ(p.ip.ttl, 1);
  EXPECT_FALSE(p.ip.more_fragments);
  EXPECT_EQ(p.ip.fragment_offset, 0);
  EXPECT_EQ(p.ip.protocol, kIpProtoTcp);
}

TEST(ParseTcp, ReservedBitsAndFlags) {
  auto b = raw_packet({}, {}, 0xff);
  b[32] |= 0x0f;  // the four reserved bits
  fix_checksums(b);
  const Packet p = parse_ok(b);
  EXPECT_EQ(p.tcp.flags, 0xff);
}

TEST(ParseTcp, MaximumDataOffsetWithPayload) {
  std::vector<uint8_t> opts(40, 1);  // 40 NOPs
  const Packet p = parse_ok(raw_packet(opts, kData));
  EXPECT_EQ(p.tcp.options, TcpOptions{});
  EXPECT_EQ(p.tcp.payload.size(), kData.size());
}

// ---- options ----

TcpOptions options_of(std::vector<uint8_t> opts) {
  return parse_ok(raw_packet(std::move(opts))).tcp.options;
}

TEST(ParseOptions, EachKind) {
  EXPECT_EQ(options_of({2, 4, 0x05, 0xb4}).mss, 1460);
  EXPECT_EQ(options_of({3, 3, 14, 1}).window_scale, 14);
  EXPECT_EQ(options_of({3, 3, 200, 1}).window_scale, 200);  // raw: tcp/ clamps to 14
  EXPECT_TRUE(options_of({4, 2, 1, 1}).sack_permitted);
  EXPECT_EQ(options_of({1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}).timestamps,
            (Timestamps{0xffffffff, 1}));
  const TcpOptions s = options_of({1, 1, 5, 10, 0, 0, 1, 0, 0, 0, 2, 0});
  EXPECT_EQ(s.sack_block_count, 1);
  EXPECT_EQ(s.sack_blocks[0], (SackBlock{SeqNum{256}, SeqNum{512}}));
  EXPECT_EQ(s.unknown_count, 0);
}

TEST(ParseOptions, EolEndsTheList) {
  // Everything after EOL is padding, even bytes that would be malformed as options.
  const TcpOptions o = options_of({2, 4, 0x05, 0xb4, 0, 2, 0, 9});
  EXPECT_EQ(o.mss, 1460);
  EXPECT_EQ(o.unknown_count, 0);
  EXPECT_EQ(options_of({0, 3, 3, 7}), TcpOptions{});
}

TEST(ParseOptions, UnknownKindsAreSkippedByLength) {
  // MPTCP-like kind 30 (len 4), MD5 kind 19 (len 18), then a real MSS.
  std::vector<uint8_t> opts = {30, 4, 0, 0, 19, 18};
  opts.insert(opts.end(), 16, 0xaa);
  opts.insert(opts.end(), {2, 4, 0x02, 0x18, 1, 1});  // 28 bytes with the NOPs
  const TcpOptions o = options_of(opts);
  EXPECT_EQ(o.unknown_count, 2);
  EXPECT_EQ(o.mss, 536);
  // Kind 254 with another magic, and kind 254 too short to hold a magic.
  const TcpOptions e = options_of({254, 6, 0x12, 0x34, 0, 0, 254, 2, 254, 3, 0, 1});
  EXPECT_EQ(e.unknown_count, 3);
  EXPECT_FALSE(e.fast_open.has_value());
}

TEST(ParseOptions, DuplicatesLastOneWins) {
  // Linux tcp_parse_options overwrites on each occurrence.
  EXPECT_EQ(options_of({2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18}).mss, 536);
  EXPECT_EQ(options_of({3, 3, 1, 3, 3, 9, 1, 1}).window_scale, 9);
  const TcpOptions t =
      options_of({8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4, 1, 1, 1, 1});
  EXPECT_EQ(t.timestamps, (Timestamps{3, 4}));
  // A second, shorter SACK option replaces all blocks of the first.
  const TcpOptions s = options_of(
      {5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 5, 10, 0, 0, 0, 7, 0, 0, 0, 8});
  EXPECT_EQ(s.sack_block_count, 1);
  EXPECT_EQ(s.sack_blocks[0], (SackBlock{SeqNum{7}, SeqNum{8}}));
  EXPECT_EQ(s.sack_blocks[1], SackBlock{});
}

TEST(ParseOptions, FastOpenCookieLengths) {
  // Empty: a cookie request.
  auto req = options_of({34, 2, 1, 1}).fast_open;
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->len, 0);
  EXPECT_FALSE(req->experimental);
  // 4 and 16 bytes: the RFC 7413 §4.1.1 bounds.
  auto c4 = options_of({34, 6, 1, 2, 3, 4, 1, 1}).fast_open;
  ASSERT_TRUE(c4.has_value());
  EXPECT_EQ(c4->len, 4);
  EXPECT_EQ(c4->bytes[0], 1);
  EXPECT_EQ(c4->bytes[3], 4);
  EXPECT_EQ(c4->bytes[4], 0);
  std::vector<uint8_t> o16 = {34, 18};
  for (uint8_t i = 0; i < 16; ++i)
    o16.push_back(static_cast<uint8_t>(0xa0 + i));
  o16.insert(o16.end(), {1, 1});
  auto c16 = options_of(o16).fast_open;
  ASSERT_TRUE(c16.has_value());
  EXPECT_EQ(c16->len, 16);
  EXPECT_EQ(c16->bytes[15], 0xaf);
  // Invalid cookie lengths (2, odd, 18) are skipped like an unknown option (Linux: invalid
  // cookie, segment still processed) rather than failing the segment.
  for (const std::vector<uint8_t>& opts : std::vector<std::vector<uint8_t>>{
           {34, 4, 1, 2}, {34, 7, 1, 2, 3, 4, 5, 1}, {34, 20, 0, 0, 0, 0, 0, 0, 0, 0,
                                                      0,  0,  0, 0, 0, 0, 0, 0, 0, 0}}) {
    SCOPED_TRACE(::testing::PrintToString(opts));
    const TcpOptions o = options_of(opts);
    EXPECT_FALSE(o.fast_open.has_value());
    EXPECT_EQ(o.unknown_count, 1);
  }
}

TEST(ParseOptions, ExperimentalFastOpen) {
  auto req = options_of({254, 4, 0xf9, 0x89}).fast_open;
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->len, 0);
  EXPECT_TRUE(req->experimental);
  auto c = options_of({254, 10, 0xf9, 0x89, 9, 8, 7, 6, 5, 4, 1, 1}).fast_open;
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->len, 6);
  EXPECT_TRUE(c->experimental);
  EXPECT_EQ(c->bytes[5], 4);
  // Kind 34 after kind 254: the last one wins here too.
  auto both = options_of({254, 4, 0xf9, 0x89, 34, 2, 1, 1}).fast_open;
  ASSERT_TRUE(both.has_value());
  EXPECT_FALSE(both->experimental);
}

TEST(ParseOptions, FourSackBlocksFillTheHeader) {
  std::vector<uint8_t> opts = {1, 1, 5, 34};
  for (uint8_t i = 0; i < 32; ++i)
    opts.push_back(i);
  const TcpOptions o = options_of(opts);
  EXPECT_EQ(o.sack_block_count, 4);
  EXPECT_EQ(o.sack_blocks[3].right, SeqNum{0x1c1d1e1f});
}

}  // namespace
}  // namespace synack::wire

namespace synack::wire {
namespace {

TEST(ParseInto, SameResultAsParsePacket) {
  const auto good = testing::raw_packet({2, 4, 5, 0xb4, 1, 3, 3, 7}, {'q'}, 0x02);
  Packet out;
  EXPECT_EQ(parse_packet_into(good, out), std::nullopt);
  auto r = parse_packet(good);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(testing::same_packet(out, *r));
  auto bad = good;
  bad[9] = 17;
  testing::fix_checksums(bad);
  EXPECT_EQ(parse_packet_into(bad, out), ParseError::kNotTcp);
}

}  // namespace
}  // namespace synack::wire
