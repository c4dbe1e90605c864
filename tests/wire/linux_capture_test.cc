// The wire layer against segments the Linux kernel really sent (tests/data/*.pcap, made by
// scripts/capture-test-vectors; tests/data/README.md says what each file holds).
//
// For every packet of every capture: parse_packet accepts it with checksums verified; both
// checksums recomputed here from the raw bytes (independently of parse_packet) equal the
// captured ones; and emit_packet(parsed) gives back the captured IPv4 packet byte for byte.
// The last holds because Linux sends no IP options, no TCP reserved bits and lays out TCP
// options exactly as SPEC §1.3.1 describes, which is what emit_packet writes.
//
// Then the option layouts per capture, read from the raw option bytes (kinds in wire order,
// NOP = 1) and not through the parser, so a parser bug cannot hide a layout difference. The
// expected layouts are the ones tcpdump printed for these files (README) and SPEC §1.3.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "link/pcap_reader.h"
#include "wire/checksum.h"
#include "wire/packet.h"

namespace synack::wire {
namespace {

using Bytes = std::vector<uint8_t>;
using Kinds = std::vector<uint8_t>;

struct Captured {
  Bytes bytes;
  Packet packet;  // payload points into `bytes`
};

uint16_t get16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}

std::string data_path(const std::string& name) {
  return std::string{SYNACK_TEST_DATA_DIR} + "/" + name;
}

std::vector<std::string> all_captures() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(SYNACK_TEST_DATA_DIR)) {
    if (e.path().extension() == ".pcap") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Reads and parses a capture; packets are stable in memory (vector reserved up front).
std::vector<Captured> load(const std::string& name) {
  auto pkts = link::read_ipv4_packets(data_path(name));
  EXPECT_TRUE(pkts.has_value()) << (pkts ? "" : pkts.error());
  std::vector<Captured> out;
  if (!pkts) return out;
  out.reserve(pkts->size());
  for (auto& p : *pkts) {
    out.push_back({std::move(p.bytes), {}});
    auto parsed = parse_packet(out.back().bytes);
    EXPECT_TRUE(parsed.has_value())
        << name << " record " << p.index << ": " << (parsed ? "" : to_string(parsed.error()));
    if (parsed) out.back().packet = *parsed;
  }
  return out;
}

// The IPv4 header checksum computed from scratch: the header with its checksum field zeroed.
uint16_t ip_checksum(const Bytes& b) {
  const size_t ihl = size_t{b[0] & 0x0fu} * 4;
  Bytes h(b.begin(), b.begin() + static_cast<long>(ihl));
  h[10] = h[11] = 0;
  return internet_checksum(h);
}

// The TCP checksum computed from scratch: pseudo-header, then the segment with the checksum
// field zeroed.
uint16_t tcp_checksum(const Bytes& b) {
  const size_t ihl = size_t{b[0] & 0x0fu} * 4;
  const size_t total = get16(b, 2);
  Bytes seg(b.begin() + static_cast<long>(ihl), b.begin() + static_cast<long>(total));
  seg[16] = seg[17] = 0;
  const Ipv4Address src{(uint32_t{get16(b, 12)} << 16) | get16(b, 14)};
  const Ipv4Address dst{(uint32_t{get16(b, 16)} << 16) | get16(b, 18)};
  ChecksumAccumulator acc;
  add_tcp_pseudo_header(acc, src, dst, static_cast<uint16_t>(seg.size()));
  acc.add(seg);
  return acc.finish();
}

// Option kinds in wire order, straight from the bytes (EOL ends the list).
Kinds option_kinds(const Bytes& b) {
  const size_t ihl = size_t{b[0] & 0x0fu} * 4;
  const size_t doff = static_cast<size_t>(b[ihl + 12] >> 4) * 4;
  Kinds kinds;
  for (size_t i = ihl + 20; i < ihl + doff;) {
    const uint8_t kind = b[i];
    if (kind == tcp_option::kEol) break;
    kinds.push_back(kind);
    if (kind == tcp_option::kNop) {
      ++i;
      continue;
    }
    const uint8_t len = b[i + 1];
    if (len < 2) break;  // parse_packet would have refused it; the test above reports that
    i += len;
  }
  return kinds;
}

bool is(const Packet& p, uint8_t flags) {
  return p.tcp.flags == flags;
}

const Captured* find_first(const std::vector<Captured>& c, uint8_t flags, size_t skip = 0) {
  for (const Captured& x : c) {
    if (is(x.packet, flags) && skip-- == 0) return &x;
  }
  return nullptr;
}

constexpr uint8_t kSyn = tcp_flags::kSyn;
constexpr uint8_t kSynAck = tcp_flags::kSyn | tcp_flags::kAck;
constexpr uint8_t kRstAck = tcp_flags::kRst | tcp_flags::kAck;
constexpr uint8_t kNop = tcp_option::kNop;
constexpr uint8_t kMss = tcp_option::kMss;
constexpr uint8_t kWs = tcp_option::kWindowScale;
constexpr uint8_t kSackOk = tcp_option::kSackPermitted;
constexpr uint8_t kSack = tcp_option::kSack;
constexpr uint8_t kTs = tcp_option::kTimestamps;
constexpr uint8_t kTfo = tcp_option::kFastOpen;

TEST(LinuxCapture, TheCapturesAreThere) {
  // The ten files listed in tests/data/README.md; a missing one would silently shrink the
  // per-packet test below.
  EXPECT_EQ(all_captures().size(), 10u);
}

TEST(LinuxCapture, EveryPacketParsesVerifiesAndReEmitsByteForByte) {
  size_t checked = 0;
  for (const std::string& name : all_captures()) {
    const auto caps = load(name);
    EXPECT_FALSE(caps.empty()) << name;
    for (size_t i = 0; i < caps.size(); ++i) {
      SCOPED_TRACE(name + " packet " + std::to_string(i) + ": " + to_string(caps[i].packet));
      const Bytes& b = caps[i].bytes;
      const Packet& p = caps[i].packet;
      // Linux never sends IP options: IHL 5.
      ASSERT_EQ(b[0], 0x45);
      EXPECT_EQ(ip_checksum(b), get16(b, 10));
      EXPECT_EQ(tcp_checksum(b), get16(b, 20 + 16));
      EXPECT_EQ(p.ip.checksum, get16(b, 10));
      EXPECT_EQ(p.tcp_checksum, get16(b, 20 + 16));
      EXPECT_EQ(emitted_size(p), b.size());
      Bytes out(b.size() + 16, 0xee);
      ASSERT_EQ(emit_packet(p, out), b.size());
      out.resize(b.size());
      EXPECT_EQ(out, b);
      ++checked;
    }
  }
  // 10 + 2 + 6 + 25 + 5 * 10 + 16 packets, as tcpdump counts them.
  EXPECT_EQ(checked, 109u);
}

// SYN and SYN+ACK layouts of every capture (SPEC §1.3.1).
TEST(LinuxCapture, HandshakeOptionLayoutsAreLinuxs) {
  const Kinds all_on{kMss, kSackOk, kTs, kNop, kWs};
  const Kinds no_ts{kMss, kNop, kNop, kSackOk, kNop, kWs};
  const std::map<std::string, std::pair<Kinds, Kinds>> expected{
      {"handshake-data-fin.pcap", {all_on, all_on}},
      {"rst-linger.pcap", {all_on, all_on}},
      {"sack.pcap", {all_on, all_on}},
      {"options-no-ts.pcap", {no_ts, no_ts}},
      {"options-no-sack.pcap",
       {{kMss, kNop, kNop, kTs, kNop, kWs}, {kMss, kNop, kNop, kTs, kNop, kWs}}},
      {"options-no-wscale.pcap", {{kMss, kSackOk, kTs}, {kMss, kSackOk, kTs}}},
      {"options-mss-only.pcap", {{kMss}, {kMss}}},
      {"options-server-no-ts.pcap", {all_on, no_ts}},
      {"fastopen.pcap",
       {{kMss, kSackOk, kTs, kNop, kWs, kTfo, kNop, kNop},
        {kMss, kSackOk, kTs, kNop, kWs, kTfo, kNop, kNop}}},
  };
  for (const auto& [name, layouts] : expected) {
    SCOPED_TRACE(name);
    const auto caps = load(name);
    const Captured* syn = find_first(caps, kSyn);
    const Captured* synack = find_first(caps, kSynAck);
    ASSERT_NE(syn, nullptr);
    ASSERT_NE(synack, nullptr);
    EXPECT_EQ(option_kinds(syn->bytes), layouts.first);
    EXPECT_EQ(option_kinds(synack->bytes), layouts.second);
    // MTU 1500 on the veth: MSS 1460 (sack.pcap's client clamps its own to 212).
    EXPECT_EQ(syn->packet.tcp.options.mss, name == "sack.pcap" ? 212 : 1460);
    EXPECT_EQ(synack->packet.tcp.options.mss, 1460);
    // The SYN's window is never scaled (SPEC §1.3.1); the offered scale is 7 for the default
    // tcp_rmem the script sets, and the parsed fields agree with the raw layout.
    for (const Captured* c : {syn, synack}) {
      const TcpOptions& o = c->packet.tcp.options;
      const Kinds k = option_kinds(c->bytes);
      auto has = [&](uint8_t kind) { return std::find(k.begin(), k.end(), kind) != k.end(); };
      EXPECT_EQ(o.window_scale.has_value(), has(kWs));
      if (o.window_scale) {
        EXPECT_EQ(*o.window_scale, 7);
      }
      EXPECT_EQ(o.sack_permitted, has(kSackOk));
      EXPECT_EQ(o.timestamps.has_value(), has(kTs));
      EXPECT_EQ(o.fast_open.has_value(), has(kTfo));
      EXPECT_EQ(o.sack_block_count, 0);
    }
    if (syn->packet.tcp.options.timestamps) {
      EXPECT_EQ(syn->packet.tcp.options.timestamps->ecr, 0u);
    }
    // The SYN+ACK acknowledges the SYN.
    EXPECT_EQ(synack->packet.tcp.ack, syn->packet.tcp.seq + 1);
  }
}

TEST(LinuxCapture, DataSegmentsCarryNopNopTimestamps) {
  const auto caps = load("handshake-data-fin.pcap");
  size_t with_payload = 0;
  for (const Captured& c : caps) {
    if (c.packet.tcp.has(tcp_flags::kSyn)) continue;
    EXPECT_EQ(option_kinds(c.bytes), (Kinds{kNop, kNop, kTs})) << to_string(c.packet);
    if (!c.packet.tcp.payload.empty()) ++with_payload;
  }
  EXPECT_EQ(with_payload, 2u);  // 32 bytes one way, 100 the other
  EXPECT_NE(find_first(caps, tcp_flags::kFin | tcp_flags::kAck, 0), nullptr);
  EXPECT_NE(find_first(caps, tcp_flags::kFin | tcp_flags::kAck, 1), nullptr);
}

// RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>;
// Linux adds no options and a zero window.
TEST(LinuxCapture, ClosedPortAnswersRstAckWithoutOptions) {
  const auto caps = load("rst-closed-port.pcap");
  ASSERT_EQ(caps.size(), 2u);
  const Packet& syn = caps[0].packet;
  const Packet& rst = caps[1].packet;
  EXPECT_TRUE(is(syn, kSyn));
  EXPECT_TRUE(is(rst, kRstAck));
  EXPECT_EQ(rst.tcp.seq, SeqNum{0});
  EXPECT_EQ(rst.tcp.ack, syn.tcp.seq + 1);
  EXPECT_EQ(rst.tcp.window, 0);
  EXPECT_TRUE(option_kinds(caps[1].bytes).empty());
  EXPECT_EQ(caps[1].bytes.size(), 40u);
}

// SO_LINGER {1, 0}: the closing side sends RST+ACK at snd_nxt, with timestamps.
TEST(LinuxCapture, AbortiveCloseSendsRstAtSndNxt) {
  const auto caps = load("rst-linger.pcap");
  const Captured* synack = find_first(caps, kSynAck);
  const Captured* rst = find_first(caps, kRstAck);
  ASSERT_NE(synack, nullptr);
  ASSERT_NE(rst, nullptr);
  EXPECT_EQ(rst->packet.tcp.seq, synack->packet.tcp.seq + 1);  // the server sent no data
  EXPECT_EQ(option_kinds(rst->bytes), (Kinds{kNop, kNop, kTs}));
}

// The server's duplicate ACKs carry 1, 2 and 3 SACK blocks as `nop, nop, TS, nop, nop, sack`.
// Each block covers exactly one 200-byte segment the client sent, so every block is 200
// bytes long, starts at a multiple of 200 from the client's ISN + 1, and lies above the ACK.
TEST(LinuxCapture, DuplicateAcksCarrySackBlocks) {
  const auto caps = load("sack.pcap");
  const Captured* syn = find_first(caps, kSyn);
  ASSERT_NE(syn, nullptr);
  const SeqNum data_start = syn->packet.tcp.seq + 1;
  bool seen[TcpOptions::kMaxSackBlocks + 1] = {};
  for (const Captured& c : caps) {
    const TcpOptions& o = c.packet.tcp.options;
    if (o.sack_block_count == 0) continue;
    SCOPED_TRACE(to_string(c.packet));
    seen[o.sack_block_count] = true;
    Kinds want{kNop, kNop, kTs, kNop, kNop, kSack};
    EXPECT_EQ(option_kinds(c.bytes), want);
    for (int i = 0; i < o.sack_block_count; ++i) {
      const SackBlock& b = o.sack_blocks[static_cast<size_t>(i)];
      EXPECT_EQ(b.right - b.left, 200);
      EXPECT_EQ((b.left - data_start) % 200, 0);
      EXPECT_GT(b.left, c.packet.tcp.ack);
    }
  }
  EXPECT_TRUE(seen[1]);
  EXPECT_TRUE(seen[2]);
  EXPECT_TRUE(seen[3]);
}

// RFC 7413: the first SYN asks for a cookie (kind 34, no cookie), the SYN+ACK returns one,
// the second connection's SYN carries that cookie and its data.
TEST(LinuxCapture, FastOpenCookieRequestThenDataInSyn) {
  const auto caps = load("fastopen.pcap");
  const Captured* syn1 = find_first(caps, kSyn, 0);
  const Captured* synack1 = find_first(caps, kSynAck, 0);
  const Captured* syn2 = find_first(caps, kSyn, 1);
  const Captured* synack2 = find_first(caps, kSynAck, 1);
  ASSERT_TRUE(syn1 && synack1 && syn2 && synack2);
  const auto& req = syn1->packet.tcp.options.fast_open;
  const auto& cookie = synack1->packet.tcp.options.fast_open;
  const auto& sent = syn2->packet.tcp.options.fast_open;
  ASSERT_TRUE(req && cookie && sent);
  EXPECT_EQ(req->len, 0);
  EXPECT_FALSE(req->experimental);
  EXPECT_EQ(cookie->len, 8);
  EXPECT_TRUE(syn1->packet.tcp.payload.empty());
  EXPECT_EQ(*sent, *cookie);
  EXPECT_EQ(syn2->packet.tcp.payload.size(), 32u);
  EXPECT_EQ(syn2->packet.tcp.seq_len(), 33u);
  // The server accepted the data in the SYN: its SYN+ACK acknowledges SYN and data, and
  // carries no cookie option of its own.
  EXPECT_EQ(synack2->packet.tcp.ack, syn2->packet.tcp.seq + 33);
  EXPECT_FALSE(synack2->packet.tcp.options.fast_open.has_value());
  EXPECT_EQ(option_kinds(syn2->bytes), (Kinds{kMss, kSackOk, kTs, kNop, kWs, kTfo, kNop, kNop}));
}

}  // namespace
}  // namespace synack::wire
