#include "link/pcap_tap.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "link/link_test_util.h"

namespace synack::link {
namespace {

using namespace synack::literals;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".pcap"))
      .string();
}

struct Record {
  int64_t sec;
  int64_t frac;
  std::vector<uint8_t> bytes;
};

// Reads a capture back with libpcap itself, in the precision asked for.
std::vector<Record> read_back(const std::string& path, u_int precision, int* linktype) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), precision, err);
  EXPECT_NE(p, nullptr) << err;
  if (p == nullptr) return {};
  *linktype = pcap_datalink(p);
  std::vector<Record> out;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &hdr, &data) == 1)
    out.push_back({hdr->ts.tv_sec, hdr->ts.tv_usec, {data, data + hdr->caplen}});
  pcap_close(p);
  return out;
}

TEST(PcapTap, RecordsEveryPacketWithItsSimulatedTimeAndPassesItOn) {
  const std::string path = temp_path("synack-tap");
  PacketPool pool;
  testing::Collector next;
  const auto a = testing::tcp_packet(0x02, 1);
  const auto b = testing::tcp_packet(0x18, 2, 100);
  {
    auto writer = PcapWriter::open(path);
    ASSERT_TRUE(writer.has_value()) << writer.error();
    PcapTap tap{**writer, next};
    tap.push(pool.copy(a), Instant::zero() + 1_s + 123'456'789_ns);
    tap.push(pool.copy(b), Instant::zero() + 7_s + 1_ns);
    EXPECT_EQ((*writer)->packets_written(), 2u);
  }  // closed here
  ASSERT_EQ(next.arrivals.size(), 2u);
  EXPECT_EQ(next.arrivals[1].bytes, b);

  int linktype = 0;
  const auto recs = read_back(path, PCAP_TSTAMP_PRECISION_NANO, &linktype);
  EXPECT_EQ(linktype, DLT_RAW);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].sec, 1);
  EXPECT_EQ(recs[0].frac, 123'456'789);
  EXPECT_EQ(recs[0].bytes, a);
  EXPECT_EQ(recs[1].sec, 7);
  EXPECT_EQ(recs[1].frac, 1);
  EXPECT_EQ(recs[1].bytes, b);
  std::filesystem::remove(path);
}

TEST(PcapTap, MicrosecondPrecisionTruncatesNanoseconds) {
  const std::string path = temp_path("synack-tap-us");
  {
    auto writer = PcapWriter::open(path, PcapPrecision::kMicro);
    ASSERT_TRUE(writer.has_value()) << writer.error();
    (*writer)->write(testing::tcp_packet(0x10, 1), Instant::zero() + 2_s + 3'999_ns);
  }
  int linktype = 0;
  const auto recs = read_back(path, PCAP_TSTAMP_PRECISION_MICRO, &linktype);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].sec, 2);
  EXPECT_EQ(recs[0].frac, 3);
  std::filesystem::remove(path);
}

TEST(PcapTap, OpenFailureIsAnErrorValue) {
  auto writer = PcapWriter::open("/nonexistent-dir/x.pcap");
  ASSERT_FALSE(writer.has_value());
  EXPECT_FALSE(writer.error().empty());
}

}  // namespace
}  // namespace synack::link
