// PcapReader: link-layer stripping for every supported link type, timestamps in both
// precisions, non-IPv4 records, and the error values. Synthetic files are written with
// libpcap's own dump API (independent of the reader), so the expected bytes are known.
#include "link/pcap_reader.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace synack::link {
namespace {

using Bytes = std::vector<uint8_t>;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("synack-reader-" + name + "-" + std::to_string(::getpid()) + ".pcap"))
      .string();
}

// A 40-byte IPv4 "packet": only the version nibble and total length matter to the reader.
Bytes ipv4_packet(uint8_t marker) {
  Bytes b(40, marker);
  b[0] = 0x45;
  b[2] = 0;
  b[3] = 40;
  return b;
}

Bytes concat(Bytes head, const Bytes& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

struct Frame {
  Bytes bytes;
  int64_t sec = 1;
  int64_t frac = 0;       // micro- or nanoseconds, as the file's precision says
  uint32_t wire_len = 0;  // 0: same as bytes.size()
};

// Writes frames with libpcap's own writer and returns the path.
std::string write_pcap(const std::string& name, int dlt, const std::vector<Frame>& frames,
                       u_int precision = PCAP_TSTAMP_PRECISION_MICRO) {
  const std::string path = temp_path(name);
  pcap_t* p = pcap_open_dead_with_tstamp_precision(dlt, 65535, precision);
  EXPECT_NE(p, nullptr);
  pcap_dumper_t* d = pcap_dump_open(p, path.c_str());
  EXPECT_NE(d, nullptr) << pcap_geterr(p);
  for (const Frame& f : frames) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(f.sec);
    h.ts.tv_usec = static_cast<suseconds_t>(f.frac);
    h.caplen = static_cast<bpf_u_int32>(f.bytes.size());
    h.len = f.wire_len != 0 ? f.wire_len : h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, f.bytes.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
  return path;
}

std::vector<PcapRecord> read_all(const std::string& path, std::vector<Bytes>* ips) {
  auto reader = PcapReader::open(path);
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error());
  std::vector<PcapRecord> out;
  if (!reader) return out;
  for (;;) {
    auto r = (*reader)->next();
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
    if (!r || !r.value()) break;
    out.push_back(*r.value());
    ips->push_back({r.value()->ipv4.begin(), r.value()->ipv4.end()});
  }
  return out;
}

struct LinkCase {
  const char* name;
  int dlt;
  Bytes ipv4_header;  // link header in front of an IPv4 packet
  Bytes other_frame;  // a complete frame that carries something else
};
// Names the case in test output (and in ctest's test names) instead of a byte dump.
void PrintTo(const LinkCase& c, std::ostream* os) {
  *os << c.name;
}

class PcapReaderLinkType : public ::testing::TestWithParam<LinkCase> {};

TEST_P(PcapReaderLinkType, StripsTheLinkHeaderAndMarksOtherProtocols) {
  const LinkCase& c = GetParam();
  const Bytes ip = ipv4_packet(0xab);
  const std::string path =
      write_pcap(c.name, c.dlt, {{concat(c.ipv4_header, ip)}, {c.other_frame}});
  auto reader = PcapReader::open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error();
  EXPECT_EQ((*reader)->link_type(), c.dlt);
  std::vector<Bytes> ips;
  const auto recs = read_all(path, &ips);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].kind, RecordKind::kIpv4);
  EXPECT_EQ(ips[0], ip);
  EXPECT_EQ(recs[0].index, 0u);
  EXPECT_EQ(recs[1].kind, RecordKind::kNotIpv4);
  EXPECT_TRUE(ips[1].empty());
  EXPECT_EQ(recs[1].index, 1u);
  std::remove(path.c_str());
}

const Bytes kMacs(12, 0x02);

INSTANTIATE_TEST_SUITE_P(
    AllLinkTypes, PcapReaderLinkType,
    ::testing::Values(
        // Ethernet: 6+6 MACs, ethertype; the other frame is ARP (0x0806).
        LinkCase{"en10mb", DLT_EN10MB, concat(kMacs, {0x08, 0x00}),
                 concat(concat(kMacs, {0x08, 0x06}), Bytes(28, 0))},
        // Linux cooked v1: type(2) arphrd(2) addrlen(2) addr(8) protocol(2).
        LinkCase{"sll",
                 DLT_LINUX_SLL,
                 {0, 0, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0, 0x08, 0x00},
                 concat({0, 0, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0, 0x86, 0xdd}, Bytes(40, 0x60))},
        // Linux cooked v2: protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) addrlen(1)
        // addr(8).
        LinkCase{"sll2",
                 DLT_LINUX_SLL2,
                 {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0},
                 concat({0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0},
                        Bytes(40, 0x60))},
        // Bare IP: the other frame is IPv6 (version nibble 6).
        LinkCase{"raw", DLT_RAW, {}, Bytes(40, 0x60)},
        LinkCase{"ipv4", DLT_IPV4, {}, Bytes(40, 0x60)},
        // BSD loopback: AF_INET = 2 in the writer's order (little-endian here); the other
        // frame is AF_INET6 (Linux's 10, any non-2 value will do).
        LinkCase{"null", DLT_NULL, {2, 0, 0, 0}, concat({10, 0, 0, 0}, Bytes(40, 0x60))},
        LinkCase{"loop", DLT_LOOP, {0, 0, 0, 2}, concat({0, 0, 0, 10}, Bytes(40, 0x60))}),
    [](const auto& info) { return std::string{info.param.name}; });

TEST(PcapReader, NullLinkAcceptsTheAddressFamilyInEitherByteOrder) {
  const Bytes ip = ipv4_packet(0x11);
  const std::string path =
      write_pcap("null-be", DLT_NULL, {{concat({0, 0, 0, 2}, ip)}, {concat({2, 0, 0, 0}, ip)}});
  std::vector<Bytes> ips;
  const auto recs = read_all(path, &ips);
  ASSERT_EQ(recs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(recs[i].kind, RecordKind::kIpv4) << i;
    EXPECT_EQ(ips[i], ip) << i;
  }
  std::remove(path.c_str());
}

TEST(PcapReader, EthernetSkipsVlanTagsAndCutsPadding) {
  const Bytes ip = ipv4_packet(0x22);
  // 802.1Q tag (0x8100, TCI) then IPv4, then 10 bytes of padding after the 40-byte packet.
  Bytes frame = concat(concat(kMacs, {0x81, 0x00, 0x00, 0x05, 0x08, 0x00}), ip);
  frame.insert(frame.end(), 10, 0);
  const std::string path = write_pcap("vlan", DLT_EN10MB, {{frame}});
  std::vector<Bytes> ips;
  const auto recs = read_all(path, &ips);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, RecordKind::kIpv4);
  EXPECT_EQ(ips[0], ip);
  EXPECT_EQ(recs[0].wire_length, frame.size());
  std::remove(path.c_str());
}

TEST(PcapReader, ShortLinkHeaderIsNotIpv4RatherThanAnError) {
  const std::string path = write_pcap("short", DLT_EN10MB, {{Bytes{1, 2, 3}}});
  std::vector<Bytes> ips;
  const auto recs = read_all(path, &ips);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, RecordKind::kNotIpv4);
  std::remove(path.c_str());
}

TEST(PcapReader, TimestampsBecomeNanosecondsInBothPrecisions) {
  const Bytes ip = ipv4_packet(0x33);
  const std::string micro =
      write_pcap("micro", DLT_RAW, {{ip, 1700000000, 123456}}, PCAP_TSTAMP_PRECISION_MICRO);
  const std::string nano =
      write_pcap("nano", DLT_RAW, {{ip, 1700000000, 123456789}}, PCAP_TSTAMP_PRECISION_NANO);
  std::vector<Bytes> ips;
  const auto m = read_all(micro, &ips);
  const auto n = read_all(nano, &ips);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(m[0].time.ns(), 1'700'000'000'123'456'000);
  EXPECT_EQ(n[0].time.ns(), 1'700'000'000'123'456'789);
  std::remove(micro.c_str());
  std::remove(nano.c_str());
}

TEST(PcapReader, MarksRecordsCapturedShorterThanTheWire) {
  const Bytes ip = ipv4_packet(0x44);
  const std::string path =
      write_pcap("snap", DLT_RAW,
                 {{Bytes(ip.begin(), ip.begin() + 24), 1, 0, static_cast<uint32_t>(ip.size())}});
  std::vector<Bytes> ips;
  const auto recs = read_all(path, &ips);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].truncated);
  EXPECT_EQ(recs[0].wire_length, 40u);
  EXPECT_EQ(ips[0].size(), 24u);
  std::remove(path.c_str());
}

TEST(PcapReader, MissingFileIsAnErrorNamingThePath) {
  const std::string path = temp_path("does-not-exist");
  auto r = PcapReader::open(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find(path), std::string::npos) << r.error();
}

TEST(PcapReader, NonPcapFileIsAnError) {
  const std::string path = temp_path("garbage");
  std::ofstream(path) << "this is not a capture file, just some text that is long enough";
  auto r = PcapReader::open(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find(path), std::string::npos) << r.error();
  std::remove(path.c_str());
}

TEST(PcapReader, UnsupportedLinkTypeIsAnErrorNamingIt) {
  const std::string path = write_pcap("wifi", DLT_IEEE802_11, {{Bytes(30, 0)}});
  auto r = PcapReader::open(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("unsupported link type 105"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("IEEE802_11"), std::string::npos) << r.error();
  std::remove(path.c_str());
}

TEST(PcapReader, DamagedFileYieldsTheGoodRecordsThenAnError) {
  const Bytes ip = ipv4_packet(0x55);
  const std::string path = write_pcap("cut", DLT_RAW, {{ip}, {ip}});
  // Cut the second record in half: 24 file header + (16 + 40) + 16 + 20.
  std::filesystem::resize_file(path, 24 + 56 + 16 + 20);
  auto reader = PcapReader::open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error();
  auto first = (*reader)->next();
  ASSERT_TRUE(first.has_value()) << first.error();
  ASSERT_TRUE(first.value().has_value());
  auto second = (*reader)->next();
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().find("record 1"), std::string::npos) << second.error();
  std::remove(path.c_str());
}

// The committed Linux capture: libpcap and tcpdump agree it holds 10 Ethernet frames
// (tests/data/README.md); every one is an IPv4 packet of exactly its total length, and the
// ones the reader returns are the frames minus 14 bytes of Ethernet header.
TEST(PcapReader, ReadsTheCommittedLinuxCapture) {
  const std::string path = std::string{SYNACK_TEST_DATA_DIR} + "/handshake-data-fin.pcap";
  auto reader = PcapReader::open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error();
  EXPECT_EQ((*reader)->link_type(), DLT_EN10MB);
  EXPECT_EQ((*reader)->link_type_name(), "EN10MB");
  std::vector<Bytes> ips;
  const auto recs = read_all(path, &ips);
  ASSERT_EQ(recs.size(), 10u);
  for (size_t i = 0; i < recs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(recs[i].kind, RecordKind::kIpv4);
    EXPECT_FALSE(recs[i].truncated);
    EXPECT_EQ(ips[i].size() + 14, recs[i].wire_length);
    ASSERT_GE(ips[i].size(), 20u);
    EXPECT_EQ((ips[i][2] << 8 | ips[i][3]), static_cast<int>(ips[i].size()));
    if (i > 0) {
      EXPECT_GE(recs[i].time, recs[i - 1].time);
    }
  }
  auto all = read_ipv4_packets(path);
  ASSERT_TRUE(all.has_value()) << all.error();
  ASSERT_EQ(all->size(), 10u);
  EXPECT_EQ((*all)[3].bytes, ips[3]);
}

}  // namespace
}  // namespace synack::link
