#include "sim/scripted_peer.h"

#include <gtest/gtest.h>

#include <vector>

#include "link/link_test_util.h"
#include "sim/conversation.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using namespace wire::tcp_flags;
using testing::Conversation;

// Records every segment a host sends: (time, flags, payload length).
class Wiretap final : public link::PacketSink {
 public:
  explicit Wiretap(link::PacketSink& next) : next_(next) {}
  void push(PacketPtr packet, Instant now) override {
    auto p = wire::parse_packet(packet->bytes());
    EXPECT_TRUE(p.has_value());
    if (p) sent.push_back({now, p->tcp.flags, p->tcp.payload.size()});
    next_.push(std::move(packet), now);
  }
  struct Seg {
    Instant at;
    uint8_t flags;
    size_t len;
  };
  std::vector<Seg> sent;

 private:
  link::PacketSink& next_;
};

TEST(ScriptedPeer, CleanConversationTakesThreeAndAHalfRoundTrips) {
  Conversation conv{1, {.latency = 10_ms}};
  Wiretap tap_c{*conv.client_faults};
  conv.client.attach(tap_c);
  conv.sim.run();
  EXPECT_TRUE(conv.client.done());
  EXPECT_TRUE(conv.server.done());
  // SYN 0, SYN+ACK 10, ACK+request 20, response 30, FIN 40, FIN 50, ACK 60, arrives 70 ms.
  EXPECT_EQ(conv.sim.now(), Instant::zero() + 70_ms);
  ASSERT_EQ(tap_c.sent.size(), 5u);
  EXPECT_EQ(tap_c.sent[0].flags, kSyn);
  EXPECT_EQ(tap_c.sent[1].flags, kAck);
  EXPECT_EQ(tap_c.sent[2].flags, kPsh | kAck);
  EXPECT_EQ(tap_c.sent[2].len, 18u);
  EXPECT_EQ(tap_c.sent[3].flags, kFin | kAck);
  EXPECT_EQ(tap_c.sent[3].at, Instant::zero() + 40_ms);
  EXPECT_EQ(tap_c.sent[4].flags, kAck);
  EXPECT_EQ(conv.client.counters().retransmitted, 0u);
  EXPECT_EQ(conv.server.counters().retransmitted, 0u);
  EXPECT_EQ(conv.sim.pool().live(), 0u);
}

TEST(ScriptedPeer, LostSynIsResentAfterOneSecond) {
  Conversation conv{1, {.latency = 10_ms}};
  const uint32_t rule = conv.client_faults->add(link::drop_next({.flags_all = kSyn}, "lost SYN"));
  Wiretap tap_c{*conv.client_faults};
  conv.client.attach(tap_c);
  conv.sim.run();
  EXPECT_TRUE(conv.client.done());
  EXPECT_TRUE(conv.server.done());
  EXPECT_EQ(conv.client_faults->fired(rule), 1u);
  ASSERT_EQ(conv.client_faults->log().size(), 1u);
  EXPECT_EQ(conv.client_faults->log()[0].at, Instant::zero());
  ASSERT_GE(tap_c.sent.size(), 2u);
  EXPECT_EQ(tap_c.sent[1].flags, kSyn);
  EXPECT_EQ(tap_c.sent[1].at, Instant::zero() + 1_s);  // initial RTO, SPEC §4.6
  EXPECT_EQ(conv.client.counters().retransmitted, 1u);
  EXPECT_EQ(conv.sim.now(), Instant::zero() + 1_s + 70_ms);
}

TEST(ScriptedPeer, LostFinalAckMakesTheServerResendItsFinAndTheClientReAck) {
  Conversation conv{1, {.latency = 10_ms}};
  // The client sends two pure ACKs: the handshake's third segment and the final ACK of the
  // server's FIN. Drop the second.
  const uint32_t rule = conv.client_faults->add(
      link::drop_nth({.flags_exact = kAck, .max_payload = 0}, 2, "lost final ACK"));
  Wiretap tap_s{*conv.server_faults};
  conv.server.attach(tap_s);
  conv.sim.run();
  EXPECT_EQ(conv.client_faults->fired(rule), 1u);
  EXPECT_TRUE(conv.client.done());
  EXPECT_TRUE(conv.server.done());
  // The server's FIN at 50 ms is resent when its timer fires; the client answers the
  // duplicate FIN with a pure ACK (counted as a duplicate it received).
  int fins = 0;
  for (const auto& s : tap_s.sent)
    fins += (s.flags & kFin) != 0 ? 1 : 0;
  EXPECT_EQ(fins, 2);
  EXPECT_EQ(conv.server.counters().retransmitted, 1u);
  EXPECT_EQ(conv.client.counters().duplicates, 1u);
}

TEST(ScriptedPeer, GivesUpWhenThePeerIsUnreachable) {
  Conversation conv{1, {.latency = 10_ms}};
  conv.client_faults->add(link::drop_during(Instant::zero(), Instant::infinite()));
  conv.sim.run();
  EXPECT_TRUE(conv.client.failed());
  EXPECT_FALSE(conv.server.done());
  // SYNs at 0, 1, 3, 7, 15, 31, 63 s; gives up at 127 s (the SPEC §4.6 schedule).
  EXPECT_EQ(conv.client.counters().sent, 7u);
  EXPECT_EQ(conv.sim.now(), Instant::zero() + 127_s);
}

TEST(ScriptedPeer, CorruptedSegmentIsDiscardedAndRecoveredByRetransmission) {
  Conversation conv{1, {.latency = 10_ms}};
  conv.server_faults->add(
      link::corrupt_next({.min_payload = 1}, link::CorruptAt::kPayload, 0, "bit rot"));
  conv.sim.run();
  EXPECT_EQ(conv.client.counters().bad_checksum, 1u);
  EXPECT_TRUE(conv.client.done());
  EXPECT_TRUE(conv.server.done());
}

}  // namespace
}  // namespace synack::sim
