// tcpdump-style text. Expected strings follow tcpdump's print-tcp.c conventions (flag table
// order F S R P . U E W, "none" for no flags; "seq a:b" only with data, "seq a" for
// SYN/FIN/RST; "ack" only with ACK; "urg" only with URG; options comma-separated).
#include <gtest/gtest.h>

#include <set>
#include <string_view>

#include "packet_test_util.h"
#include "wire/packet.h"
#include "wire/tcp_segment.h"

namespace synack::wire {
namespace {

using namespace tcp_flags;

TEST(FlagsToString, TcpdumpOrder) {
  EXPECT_EQ(flags_to_string(kSyn), "S");
  EXPECT_EQ(flags_to_string(kSyn | kAck), "S.");
  EXPECT_EQ(flags_to_string(kAck), ".");
  EXPECT_EQ(flags_to_string(kPsh | kAck), "P.");
  EXPECT_EQ(flags_to_string(kFin | kAck), "F.");
  EXPECT_EQ(flags_to_string(kRst), "R");
  EXPECT_EQ(flags_to_string(kRst | kAck), "R.");
  EXPECT_EQ(flags_to_string(kFin | kPsh | kAck), "FP.");
  EXPECT_EQ(flags_to_string(kSyn | kEce | kCwr), "SEW");
  EXPECT_EQ(flags_to_string(kSyn | kAck | kEce), "S.E");
  EXPECT_EQ(flags_to_string(kAck | kUrg), ".U");
  EXPECT_EQ(flags_to_string(0xff), "FSRP.UEW");
  EXPECT_EQ(flags_to_string(0), "none");
}

TEST(OptionsToString, LinuxOrderWithPadding) {
  TcpOptions o;
  EXPECT_EQ(to_string(o), "");
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = Timestamps{1, 0};
  o.window_scale = 7;
  EXPECT_EQ(to_string(o), "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7");
  o.timestamps.reset();
  EXPECT_EQ(to_string(o), "mss 1460,nop,nop,sackOK,nop,wscale 7");
  TcpOptions d;
  d.timestamps = Timestamps{100, 200};
  d.sack_block_count = 2;
  d.sack_blocks[0] = {SeqNum{1}, SeqNum{2}};
  d.sack_blocks[1] = {SeqNum{3}, SeqNum{4}};
  EXPECT_EQ(to_string(d), "nop,nop,TS val 100 ecr 200,nop,nop,sack 2 {1:2}{3:4}");
  TcpOptions f;
  f.fast_open = FastOpenCookie{};
  EXPECT_EQ(to_string(f), "tfo cookiereq,nop,nop");
  f.fast_open->len = 4;
  f.fast_open->bytes = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(to_string(f), "tfo cookie deadbeef,nop,nop");
  f.fast_open->experimental = true;
  EXPECT_EQ(to_string(f), "exp-tfo cookie deadbeef");
  f.unknown_count = 2;
  EXPECT_EQ(to_string(f), "exp-tfo cookie deadbeef,unknown x2");
}

TEST(PacketToString, SynLikeTcpdump) {
  Packet p = testing::template_packet();
  p.tcp.flags = kSyn;
  p.tcp.seq = SeqNum{1};
  p.tcp.window = 65535;
  p.tcp.options.mss = 1460;
  p.tcp.options.sack_permitted = true;
  p.tcp.options.timestamps = Timestamps{1, 0};
  p.tcp.options.window_scale = 7;
  EXPECT_EQ(to_string(p),
            "10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 65535, options "
            "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
}

TEST(PacketToString, DataAckAndBareAck) {
  const uint8_t data[100] = {};
  Packet p = testing::template_packet();
  p.tcp.flags = kPsh | kAck;
  p.tcp.seq = SeqNum{1};
  p.tcp.ack = SeqNum{1};
  p.tcp.window = 502;
  p.tcp.payload = data;
  EXPECT_EQ(to_string(p),
            "10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:101, ack 1, win 502, length 100");
  p.tcp.flags = kAck;
  p.tcp.payload = {};
  EXPECT_EQ(to_string(p), "10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 502, length 0");
  p.tcp.flags = kAck | kUrg;
  p.tcp.urgent = 9;
  EXPECT_EQ(to_string(p),
            "10.0.0.1.40000 > 10.0.0.2.80: Flags [.U], ack 1, win 502, urg 9, length 0");
}

TEST(PacketToString, RstShowsSeq) {
  Packet p = testing::template_packet();
  p.tcp.flags = kRst;
  p.tcp.seq = SeqNum{4000000000u};
  EXPECT_EQ(to_string(p),
            "10.0.0.1.40000 > 10.0.0.2.80: Flags [R], seq 4000000000, win 0, length 0");
}

TEST(ParseErrorToString, EveryValueHasItsOwnName) {
  std::set<std::string_view> names;
  for (int i = 0; i < kParseErrorCount; ++i) {
    const auto name = to_string(static_cast<ParseError>(i));
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown parse error");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kParseErrorCount));
}

}  // namespace
}  // namespace synack::wire
