// Captures written by the simulator: reproducible byte for byte, and valid for tshark.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "sim/conversation.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using testing::Conversation;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".pcap"))
      .string();
}

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const link::LinkParams kLossy{.latency = 10_ms,
                              .bandwidth_bps = 10'000'000,
                              .loss = 0.25,
                              .duplicate = 0.05,
                              .reorder = 0.05,
                              .reorder_delay = 3_ms};

// Runs the scripted conversation on a lossy cable and returns the capture's bytes.
std::vector<char> capture(uint64_t seed, const std::string& path) {
  {
    Conversation conv{seed, kLossy, path};
    EXPECT_NE(conv.writer, nullptr);
    conv.sim.run();
  }
  return slurp(path);
}

TEST(Capture, SameSeedGivesAByteIdenticalPcapAndAnotherSeedADifferentOne) {
  const std::string path = temp_path("synack-det");
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const auto a = capture(seed, path);
    const auto b = capture(seed, path);
    const auto c = capture(seed + 100, path);
    EXPECT_GT(a.size(), 24u + 8 * 16u);  // header + at least the 8 segments of a clean run
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
  }
  std::filesystem::remove(path);
}

bool have_tshark() {
  return std::system("command -v tshark >/dev/null 2>&1") == 0;
}

// Runs tshark with checksum validation on; one line per frame:
// "<ip.checksum.status>\t<tcp.checksum.status>\t<_ws.malformed>" (status 1 = good, 0 = bad).
std::vector<std::string> tshark_lines(const std::string& path) {
  const std::string cmd = "tshark -r '" + path +
                          "' -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
                          "-T fields -e ip.checksum.status -e tcp.checksum.status "
                          "-e _ws.malformed 2>/dev/null";
  std::vector<std::string> lines;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return lines;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) {
    std::string line = buf.data();
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    lines.push_back(line);
  }
  ::pclose(pipe);
  return lines;
}

TEST(Capture, TsharkReadsEverySegmentWithGoodChecksumsAndNothingMalformed) {
  if (!have_tshark()) GTEST_SKIP() << "tshark is not on PATH (scripts/install-deps installs it)";
  const std::string path = temp_path("synack-tshark");
  uint64_t written = 0;
  {
    Conversation conv{5, kLossy, path};
    conv.sim.run();
    ASSERT_TRUE(conv.client.done());
    written = conv.writer->packets_written();
  }
  const auto lines = tshark_lines(path);
  ASSERT_EQ(lines.size(), written);
  for (size_t i = 0; i < lines.size(); ++i)
    EXPECT_EQ(lines[i], "1\t1\t") << "frame " << i + 1;
  std::filesystem::remove(path);
}

TEST(Capture, TsharkCheckCatchesADeliberatelyCorruptedSegment) {
  if (!have_tshark()) GTEST_SKIP() << "tshark is not on PATH (scripts/install-deps installs it)";
  const std::string path = temp_path("synack-tshark-bad");
  {
    Conversation conv{5, {.latency = 10_ms}, path};
    // The faults sit in front of the tap, so the capture shows the altered bytes: the
    // server's response (the only segment with payload from the server) gets one payload
    // byte flipped, which breaks the TCP checksum but not the IPv4 header's.
    conv.server_faults->add(
        link::corrupt_next({.min_payload = 1}, link::CorruptAt::kPayload, 3, "bit rot"));
    conv.sim.run();
  }
  const auto lines = tshark_lines(path);
  ASSERT_GE(lines.size(), 8u);
  int bad = 0;
  for (const std::string& line : lines) {
    if (line == "1\t0\t")
      ++bad;
    else
      EXPECT_EQ(line, "1\t1\t");
  }
  EXPECT_EQ(bad, 1);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace synack::sim
