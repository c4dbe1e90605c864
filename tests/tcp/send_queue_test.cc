#include "tcp/send_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "base/rng.h"

namespace synack::tcp {
namespace {

using wire::SeqNum;

std::vector<uint8_t> pattern(size_t n, uint32_t salt = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>((i + salt) * 37 + (i >> 8));
  return v;
}

std::vector<uint8_t> peek_all(const SendQueue& q, SeqNum seq, uint32_t len) {
  const ByteSpans s = q.peek(seq, len);
  std::vector<uint8_t> v(s.first.begin(), s.first.end());
  v.insert(v.end(), s.second.begin(), s.second.end());
  return v;
}

TEST(SendQueue, EmptyQueueIsSmallAndHoldsNoBuffer) {
  SendQueue q{SeqNum{1000}};
  // Target for an idle connection is < 512 bytes in all; the queue's share stays tiny.
  EXPECT_LE(sizeof(SendQueue), 32u);
  EXPECT_EQ(q.buffer_bytes(), 0u);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.free_space(), SendQueue::kDefaultLimit);
  EXPECT_EQ(q.end_seq(), SeqNum{1000});
  EXPECT_TRUE(q.peek(SeqNum{1000}, 100).empty());
}

TEST(SendQueue, PartialWriteAtTheLimit) {
  SendQueue q{SeqNum{1}, 1000};
  const auto data = pattern(1500);
  EXPECT_EQ(q.write(data), 1000u);  // like a non-blocking send(): what fits
  EXPECT_EQ(q.free_space(), 0u);
  EXPECT_EQ(q.write(data), 0u);
  EXPECT_EQ(q.buffer_bytes(), 1000u);  // never more than the limit
  EXPECT_EQ(peek_all(q, SeqNum{1}, 2000), std::vector<uint8_t>(data.begin(), data.begin() + 1000));
  // Acknowledging 300 makes room for exactly 300 more.
  EXPECT_EQ(q.ack(SeqNum{301}).bytes_acked, 300u);
  EXPECT_EQ(q.write(std::span(data).subspan(1000)), 300u);
  EXPECT_EQ(q.size(), 1000u);
  EXPECT_EQ(peek_all(q, SeqNum{301}, 1000),
            std::vector<uint8_t>(data.begin() + 300, data.begin() + 1300));
}

TEST(SendQueue, AckOutcomes) {
  SendQueue q{SeqNum{100}};
  (void)q.write(pattern(50));
  EXPECT_EQ(q.ack(SeqNum{100}).status, AckStatus::kDuplicate);
  EXPECT_EQ(q.ack(SeqNum{99}).status, AckStatus::kOld);
  EXPECT_EQ(q.ack(SeqNum{151}).status, AckStatus::kBeyond);  // no FIN queued: 150 is the end
  EXPECT_EQ(q.size(), 50u);
  AckResult r = q.ack(SeqNum{120});
  EXPECT_EQ(r.status, AckStatus::kAdvanced);
  EXPECT_EQ(r.bytes_acked, 20u);
  EXPECT_FALSE(r.fin_acked);
  EXPECT_EQ(q.snd_una(), SeqNum{120});
  EXPECT_EQ(q.ack(SeqNum{110}).status, AckStatus::kOld);  // behind: nothing changes
  EXPECT_EQ(q.size(), 30u);
  r = q.ack(SeqNum{150});
  EXPECT_EQ(r.bytes_acked, 30u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(std::string(to_string(AckStatus::kBeyond)), "beyond");
}

TEST(SendQueue, FinFollowsTheLastByteAndBlocksFurtherWrites) {
  SendQueue q{SeqNum{0xfffffff0}};  // data crosses the 2^32 wrap
  EXPECT_EQ(q.write(pattern(40)), 40u);
  EXPECT_FALSE(q.fin_seq().has_value());
  const SeqNum fin = q.shutdown();
  EXPECT_EQ(fin, SeqNum{0x18});  // 0xfffffff0 + 40 mod 2^32
  EXPECT_EQ(q.fin_seq(), fin);
  EXPECT_EQ(q.shutdown(), fin);         // idempotent
  EXPECT_EQ(q.write(pattern(10)), 0u);  // no data after the FIN
  EXPECT_EQ(q.end_seq(), fin);
  EXPECT_EQ(q.ack(fin + 2).status, AckStatus::kBeyond);
  // Acking only the data leaves the FIN outstanding.
  AckResult r = q.ack(fin);
  EXPECT_EQ(r.bytes_acked, 40u);
  EXPECT_FALSE(r.fin_acked);
  EXPECT_EQ(q.fin_seq(), fin);
  r = q.ack(fin + 1);
  EXPECT_EQ(r.status, AckStatus::kAdvanced);
  EXPECT_EQ(r.bytes_acked, 0u);
  EXPECT_TRUE(r.fin_acked);
  EXPECT_TRUE(q.fin_acked());
  EXPECT_FALSE(q.fin_seq().has_value());
  EXPECT_EQ(q.snd_una(), fin + 1);
  EXPECT_EQ(q.shutdown(), fin);  // still reports where the FIN was
  EXPECT_EQ(q.ack(fin + 1).status, AckStatus::kDuplicate);
}

TEST(SendQueue, DataAndFinAckedTogether) {
  SendQueue q{SeqNum{7}};
  (void)q.write(pattern(5));
  (void)q.shutdown();
  const AckResult r = q.ack(SeqNum{13});
  EXPECT_EQ(r.bytes_acked, 5u);
  EXPECT_TRUE(r.fin_acked);
}

TEST(SendQueue, UnsentAndPeekBounds) {
  SendQueue q{SeqNum{500}};
  (void)q.write(pattern(100));
  EXPECT_EQ(q.unsent(SeqNum{500}), 100u);
  EXPECT_EQ(q.unsent(SeqNum{560}), 40u);
  EXPECT_EQ(q.unsent(SeqNum{600}), 0u);
  EXPECT_EQ(q.unsent(SeqNum{700}), 0u);
  EXPECT_EQ(q.unsent(SeqNum{400}), 100u);
  EXPECT_TRUE(q.peek(SeqNum{499}, 10).empty());  // before snd_una
  EXPECT_TRUE(q.peek(SeqNum{600}, 10).empty());  // at the end
  EXPECT_EQ(q.peek(SeqNum{590}, 100).size(), 10u);
  std::vector<uint8_t> out(30);
  EXPECT_EQ(q.copy_out(SeqNum{520}, out), 30u);
  const auto p = pattern(100);
  EXPECT_EQ(out, std::vector<uint8_t>(p.begin() + 20, p.begin() + 50));
}

TEST(SendQueue, ResetOnlyWhenEmpty) {
  SendQueue q{SeqNum{0}};
  EXPECT_TRUE(q.reset(SeqNum{42}));
  EXPECT_EQ(q.snd_una(), SeqNum{42});
  (void)q.write(pattern(1));
  EXPECT_FALSE(q.reset(SeqNum{1}));
  EXPECT_EQ(q.snd_una(), SeqNum{42});
}

TEST(SendQueue, LoweringTheLimitKeepsDataAndRefusesMore) {
  SendQueue q{SeqNum{0}, 4000};
  EXPECT_EQ(q.write(pattern(3000)), 3000u);
  q.set_limit(1000);
  EXPECT_EQ(q.size(), 3000u);
  EXPECT_EQ(q.free_space(), 0u);
  EXPECT_EQ(q.write(pattern(10)), 0u);
  (void)q.ack(SeqNum{2500});
  EXPECT_EQ(q.write(pattern(1000)), 500u);
}

TEST(SendQueue, MemoryIsTakenLazilyStableInSteadyStateAndReleasedWhenEmpty) {
  SendQueue q{SeqNum{0}, 65536};
  EXPECT_EQ(q.buffer_bytes(), 0u);
  const auto seg = pattern(1460);
  (void)q.write(seg);
  EXPECT_EQ(q.buffer_bytes(), ByteRing::kMinCapacity);  // small first block, not the limit
  // Fill to the limit, then cycle: the capacity must never change again (no reallocation).
  while (q.write(seg) > 0) {
  }
  const size_t steady = q.buffer_bytes();
  EXPECT_EQ(steady, 65536u);
  SeqNum una = q.snd_una();
  for (int i = 0; i < 1000; ++i) {
    una += 1460;
    ASSERT_EQ(q.ack(una).bytes_acked, 1460u);
    ASSERT_EQ(q.write(seg), 1460u);
    ASSERT_EQ(q.buffer_bytes(), steady);
  }
  EXPECT_FALSE(q.release_if_empty());  // still holds data
  (void)q.ack(q.end_seq());
  EXPECT_TRUE(q.release_if_empty());
  EXPECT_EQ(q.buffer_bytes(), 0u);
  EXPECT_FALSE(q.release_if_empty());
  // Usable again after release.
  EXPECT_EQ(q.write(seg), 1460u);
  EXPECT_EQ(peek_all(q, q.snd_una(), 1460), seg);
}

// Random writes (some partial), acks (some old, some beyond), peeks at random positions and
// limit changes, checked against a std::deque model of [snd_una, end).
TEST(SendQueue, RandomizedAgainstModel) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Rng rng{seed};
    const SeqNum isn{seed % 4 == 0 ? 0xffffffffu - static_cast<uint32_t>(rng.below(5000))
                                   : rng.next_u32()};
    uint32_t limit = static_cast<uint32_t>(rng.between(100, 70000));
    SendQueue q{isn, limit};
    std::deque<uint8_t> model;
    SeqNum una = isn;
    uint32_t salt = 0;
    for (int step = 0; step < 3000; ++step) {
      const uint64_t op = rng.below(10);
      if (op < 4) {
        const auto data = pattern(rng.below(5000), ++salt);
        const size_t room = limit > model.size() ? limit - model.size() : 0;
        const size_t want = std::min(data.size(), room);
        ASSERT_EQ(q.write(data), want);
        model.insert(model.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(want));
      } else if (op < 7) {
        const int64_t delta = static_cast<int64_t>(rng.below(model.size() + 200)) - 100;
        const SeqNum to = una + static_cast<uint32_t>(delta);
        const AckResult r = q.ack(to);
        if (delta < 0) {
          ASSERT_EQ(r.status, AckStatus::kOld);
        } else if (delta == 0) {
          ASSERT_EQ(r.status, AckStatus::kDuplicate);
        } else if (static_cast<size_t>(delta) > model.size()) {
          ASSERT_EQ(r.status, AckStatus::kBeyond);
        } else {
          ASSERT_EQ(r.status, AckStatus::kAdvanced);
          ASSERT_EQ(r.bytes_acked, static_cast<uint32_t>(delta));
          model.erase(model.begin(), model.begin() + delta);
          una = to;
        }
      } else if (op < 9) {
        const uint32_t off = static_cast<uint32_t>(rng.below(model.size() + 1));
        const uint32_t len = static_cast<uint32_t>(rng.below(3000));
        const auto got = peek_all(q, una + off, len);
        const size_t n = std::min<size_t>(len, model.size() - off);
        ASSERT_EQ(got.size(), n);
        ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin() + off));
      } else {
        limit = static_cast<uint32_t>(rng.between(100, 70000));
        q.set_limit(limit);
      }
      ASSERT_EQ(q.size(), model.size());
      ASSERT_EQ(q.snd_una(), una);
      ASSERT_LE(q.buffer_bytes(), std::max<size_t>(70000, ByteRing::kMinCapacity));
    }
  }
}

}  // namespace
}  // namespace synack::tcp
