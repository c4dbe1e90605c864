#include "sim/ladder.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "link/tracer.h"
#include "sim/conversation.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using namespace wire::tcp_flags;
using testing::Conversation;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

TEST(Ladder, DrawsEachSegmentOnceWithRelativeNumbersAndMarksLossAndRetransmission) {
  Conversation conv{1, {.latency = 10_ms}};
  Ladder ladder{wire::Ipv4Address::from_octets(10, 0, 0, 1), "client", "server"};
  conv.client_faults->set_observer(&ladder);
  link::Tracer trace_c{"client", *conv.client_faults, &ladder};
  link::Tracer trace_s{"server", *conv.server_faults, &ladder};
  conv.client.attach(trace_c);
  conv.server.attach(trace_s);
  conv.client_faults->add(link::drop_next({.flags_all = kSyn}, "lost SYN"));
  conv.sim.run();
  const std::string text = ladder.take();
  const auto rows = lines_of(text);
  // 8 segments of a clean run + the lost SYN.
  ASSERT_EQ(rows.size(), 9u) << text;
  EXPECT_NE(rows[0].find("[S] seq 0 win 64240 len 0 <mss 1460,sackOK,TS,wscale 7>"),
            std::string::npos)
      << rows[0];
  EXPECT_NE(rows[0].find("X"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find("LOST (fault rule 'lost SYN')"), std::string::npos) << rows[0];
  EXPECT_EQ(rows[1].rfind("    1.000000  |-- [S] seq 0", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find("retransmission"), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find(">|"), std::string::npos) << rows[1];
  // The SYN+ACK goes right to left and acknowledges relative 1.
  EXPECT_NE(rows[2].find("|<"), std::string::npos) << rows[2];
  EXPECT_NE(rows[2].find("[S.] seq 0 ack 1 "), std::string::npos) << rows[2];
  // The last row is the client's final ACK: seq 1 + 18 request bytes + FIN = 20.
  EXPECT_NE(rows[8].find("[.] seq 20 ack "), std::string::npos) << rows[8];
  for (const auto& r : rows)
    EXPECT_EQ(r.find('|'), 14u) << r;  // the time column is 14 wide
}

}  // namespace
}  // namespace synack::sim
