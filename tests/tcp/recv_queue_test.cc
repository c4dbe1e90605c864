#include "tcp/recv_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "base/rng.h"

namespace synack::tcp {
namespace {

using wire::SackBlock;
using wire::SeqNum;

// Byte at stream offset `off` in "version" v: retransmissions with another version carry
// different content, so first-received-wins is observable.
uint8_t content(uint64_t off, uint32_t v) {
  return static_cast<uint8_t>(off * 131 + (off >> 7) + v * 71 + 1);
}

std::vector<uint8_t> bytes(uint64_t off, size_t n, uint32_t v = 0) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = content(off + i, v);
  return out;
}

std::vector<uint8_t> read_all(RecvQueue& q) {
  std::vector<uint8_t> out(q.readable());
  EXPECT_EQ(q.read(out), out.size());
  return out;
}

std::vector<SackBlock> sacks(const RecvQueue& q, size_t max = 4) {
  std::vector<SackBlock> v(max);
  v.resize(q.sack_blocks(v));
  return v;
}

// A queue whose stream starts at `isn + 1`, with helpers speaking in stream offsets.
struct Rx {
  explicit Rx(uint32_t isn = 1000, uint32_t limit = RecvQueue::kDefaultLimit)
      : base(SeqNum{isn} + 1), q(base, limit) {}
  InsertResult put(uint32_t off, size_t n, uint32_t v = 0, bool fin = false) {
    return q.insert(base + off, bytes(off, n, v), fin);
  }
  SackBlock block(uint32_t from, uint32_t to) const { return {base + from, base + to}; }
  SeqNum base;
  RecvQueue q;
};

TEST(RecvQueue, EmptyQueueIsSmallAndHoldsNoBuffer) {
  RecvQueue q{SeqNum{5}};
  EXPECT_LE(sizeof(RecvQueue), 64u);
  EXPECT_EQ(q.buffer_bytes(), 0u);
  EXPECT_EQ(q.readable(), 0u);
  EXPECT_EQ(q.window(), RecvQueue::kDefaultLimit);
  EXPECT_EQ(q.rcv_nxt(), SeqNum{5});
  EXPECT_FALSE(q.eof());
  EXPECT_TRUE(sacks(q).empty());
}

TEST(RecvQueue, InOrderReadPeekAndWindow) {
  Rx rx{0, 10000};
  InsertResult r = rx.put(0, 1000);
  EXPECT_EQ(r.in_order, 1000u);
  EXPECT_EQ(r.out_of_order + r.duplicate + r.beyond_window, 0u);
  EXPECT_FALSE(r.wants_immediate_ack());  // plain in-order data may be delay-ACKed
  EXPECT_EQ(rx.q.readable(), 1000u);
  EXPECT_EQ(rx.q.window(), 9000u);
  EXPECT_EQ(rx.q.rcv_nxt(), rx.base + 1000);
  std::vector<uint8_t> buf(300);
  EXPECT_EQ(rx.q.peek(buf), 300u);  // MSG_PEEK leaves the data
  EXPECT_EQ(buf, bytes(0, 300));
  EXPECT_EQ(rx.q.readable(), 1000u);
  EXPECT_EQ(rx.q.read(buf), 300u);
  EXPECT_EQ(buf, bytes(0, 300));
  EXPECT_EQ(rx.q.readable(), 700u);
  EXPECT_EQ(rx.q.window(), 9300u);  // reading opens the window
  EXPECT_EQ(rx.q.right_edge(), rx.base + 300 + 10000);
  const ByteSpans s = rx.q.readable_spans();
  EXPECT_EQ(s.size(), 700u);
  rx.q.consume(200);
  EXPECT_EQ(read_all(rx.q), bytes(500, 500));
}

TEST(RecvQueue, GapFillMergesAndAdvances) {
  Rx rx{0xfffffff0};  // stream crosses the 2^32 wrap at offset 15
  InsertResult r = rx.put(100, 50);
  EXPECT_EQ(r.out_of_order, 50u);
  EXPECT_TRUE(r.wants_immediate_ack());  // RFC 5681 §4.2
  EXPECT_EQ(rx.q.readable(), 0u);
  EXPECT_EQ(rx.q.ofo_bytes(), 50u);
  r = rx.put(200, 10);
  EXPECT_EQ(rx.q.ofo_ranges(), 2u);
  r = rx.put(150, 50);  // bridges the two ranges into one
  EXPECT_EQ(rx.q.ofo_ranges(), 1u);
  EXPECT_EQ(sacks(rx.q), (std::vector{rx.block(100, 210)}));
  r = rx.put(0, 100);  // fills the hole: everything becomes readable
  EXPECT_EQ(r.in_order, 210u);
  EXPECT_EQ(r.out_of_order, 0u);
  EXPECT_TRUE(r.filled_gap);
  EXPECT_TRUE(r.wants_immediate_ack());
  EXPECT_EQ(rx.q.ofo_ranges(), 0u);
  EXPECT_EQ(rx.q.rcv_nxt(), rx.base + 210);
  EXPECT_EQ(read_all(rx.q), bytes(0, 210));
}

TEST(RecvQueue, TrimsOldAndOutOfWindowBytes) {
  Rx rx{7, 1000};
  (void)rx.put(0, 100);
  InsertResult r = rx.put(50, 100);  // 50 old, 50 new
  EXPECT_EQ(r.duplicate, 50u);
  EXPECT_EQ(r.in_order, 50u);
  EXPECT_EQ(r.dsack, rx.block(50, 100));  // RFC 2883: report the duplicate part
  r = rx.put(900, 300);                   // window ends at offset 1000: 200 refused
  EXPECT_EQ(r.out_of_order, 100u);
  EXPECT_EQ(r.beyond_window, 200u);
  r = rx.put(0, 20);  // wholly old
  EXPECT_EQ(r.duplicate, 20u);
  EXPECT_EQ(r.in_order, 0u);
  r = rx.put(5000, 20);  // wholly beyond
  EXPECT_EQ(r.beyond_window, 20u);
  EXPECT_EQ(rx.q.ofo_bytes(), 100u);
  // Far away in modular terms (more than 2^31 behind): treated as old, never stored.
  r = rx.q.insert(rx.base + 0x90000000u, bytes(0, 10));
  EXPECT_EQ(r.duplicate + r.beyond_window, 10u);
  EXPECT_EQ(r.in_order + r.out_of_order, 0u);
}

TEST(RecvQueue, FirstReceivedBytesWinOnOverlap) {
  Rx rx;
  (void)rx.put(100, 100, /*v=*/1);            // out of order, version 1
  InsertResult r = rx.put(50, 200, /*v=*/2);  // overlaps it with different content
  EXPECT_EQ(r.out_of_order, 100u);            // 50..100 and 200..250 are new
  EXPECT_EQ(r.duplicate, 100u);
  EXPECT_EQ(r.dsack, rx.block(100, 200));
  (void)rx.put(0, 60, /*v=*/3);  // in order; 50..60 was already held (version 2)
  std::vector<uint8_t> want = bytes(0, 50, 3);
  for (auto part : {bytes(50, 50, 2), bytes(100, 100, 1), bytes(200, 50, 2)}) {
    want.insert(want.end(), part.begin(), part.end());
  }
  EXPECT_EQ(read_all(rx.q), want);
}

TEST(RecvQueue, ExactDuplicateIsCountedAndChangesNothing) {
  Rx rx;
  (void)rx.put(100, 100);
  (void)rx.put(300, 100);
  const InsertResult r = rx.put(100, 100, 9);
  EXPECT_EQ(r.duplicate, 100u);
  EXPECT_EQ(r.out_of_order, 0u);
  EXPECT_TRUE(r.wants_immediate_ack());
  EXPECT_EQ(rx.q.ofo_bytes(), 200u);
  // RFC 2018 §4: the first block still names the block the triggering segment belongs to.
  EXPECT_EQ(sacks(rx.q).front(), rx.block(100, 200));
  (void)rx.put(0, 100);
  EXPECT_EQ(read_all(rx.q), bytes(0, 200));
}

TEST(RecvQueue, SackBlocksMostRecentlyChangedFirst) {
  Rx rx;
  for (uint32_t k = 1; k <= 5; ++k)
    (void)rx.put(k * 100, 10);  // A..E at 100..500
  EXPECT_EQ(sacks(rx.q, 4), (std::vector{rx.block(500, 510), rx.block(400, 410), rx.block(300, 310),
                                         rx.block(200, 210)}));
  (void)rx.put(110, 5);  // extends A: A first, the rest keep their order
  EXPECT_EQ(sacks(rx.q, 3),
            (std::vector{rx.block(100, 115), rx.block(500, 510), rx.block(400, 410)}));
  (void)rx.put(0, 100);  // absorbs A into the in-order data: A disappears
  EXPECT_EQ(sacks(rx.q, 3),
            (std::vector{rx.block(500, 510), rx.block(400, 410), rx.block(300, 310)}));
  EXPECT_EQ(sacks(rx.q, 10).size(), 4u);
}

TEST(RecvQueue, FinInOrderAndEofAfterReading) {
  Rx rx;
  InsertResult r = rx.put(0, 10, 0, /*fin=*/true);
  EXPECT_TRUE(r.fin);
  EXPECT_TRUE(rx.q.fin_received());
  EXPECT_EQ(rx.q.rcv_nxt(), rx.base + 11);  // the FIN takes one sequence number
  EXPECT_EQ(rx.q.fin_seq(), rx.base + 10);
  EXPECT_FALSE(rx.q.eof());  // 10 bytes still unread
  EXPECT_EQ(read_all(rx.q), bytes(0, 10));
  EXPECT_TRUE(rx.q.eof());
  r = rx.put(10, 5);  // data after the FIN
  EXPECT_EQ(r.beyond_window, 5u);
  r = rx.put(0, 10, 0, true);  // retransmitted FIN segment
  EXPECT_FALSE(r.fin);         // reported once
  EXPECT_EQ(r.duplicate, 10u);
}

TEST(RecvQueue, OutOfOrderFinWaitsForTheGap) {
  Rx rx;
  InsertResult r = rx.put(100, 50, 0, true);
  EXPECT_FALSE(r.fin);
  EXPECT_EQ(rx.q.fin_seq(), rx.base + 150);
  EXPECT_EQ(sacks(rx.q), (std::vector{rx.block(100, 151)}));  // the block covers the FIN
  r = rx.put(150, 20);                                        // beyond the FIN: refused
  EXPECT_EQ(r.beyond_window, 20u);
  r = rx.put(0, 100);
  EXPECT_EQ(r.in_order, 150u);
  EXPECT_TRUE(r.fin);
  EXPECT_EQ(rx.q.rcv_nxt(), rx.base + 151);
  EXPECT_EQ(read_all(rx.q), bytes(0, 150));
  EXPECT_TRUE(rx.q.eof());
}

TEST(RecvQueue, BareOutOfOrderFinAndConflictingFins) {
  Rx rx;
  (void)rx.q.insert(rx.base + 30, {}, true);  // bare FIN at offset 30
  EXPECT_EQ(rx.q.fin_seq(), rx.base + 30);
  (void)rx.put(0, 10, 0, true);  // a FIN at 10 contradicts the first: ignored
  EXPECT_EQ(rx.q.fin_seq(), rx.base + 30);
  EXPECT_FALSE(rx.q.fin_received());
  const InsertResult r = rx.put(10, 20);
  EXPECT_TRUE(r.fin);
  EXPECT_EQ(rx.q.rcv_nxt(), rx.base + 31);

  Rx other;
  (void)other.put(50, 10);          // data up to 60 is held
  (void)other.put(0, 20, 0, true);  // FIN at 20 would be before held data: ignored
  EXPECT_FALSE(other.q.fin_seq().has_value());
  (void)other.put(60, 40, 0, true);  // a FIN after all held data is taken
  EXPECT_EQ(other.q.fin_seq(), other.base + 100);
}

TEST(RecvQueue, FinTrimmedWithDataIsDropped) {
  Rx rx{0, 100};
  const InsertResult r = rx.put(50, 100, 0, true);  // right part beyond the window
  EXPECT_EQ(r.beyond_window, 50u);
  EXPECT_FALSE(rx.q.fin_seq().has_value());
}

TEST(RecvQueue, BareFinAcceptedIntoZeroWindow) {
  Rx rx{0, 100};
  (void)rx.put(0, 100);
  EXPECT_EQ(rx.q.window(), 0u);
  const InsertResult r = rx.q.insert(rx.base + 100, {}, true);  // as Linux tcp_data_queue
  EXPECT_TRUE(r.fin);
  EXPECT_EQ(rx.q.rcv_nxt(), rx.base + 101);
}

TEST(RecvQueue, RangeTableFullDropsHighestPolicy) {
  Rx rx;
  const uint32_t n = RecvQueue::kMaxOfoRanges;
  for (uint32_t k = 0; k < n; ++k)
    (void)rx.put(10 + 10 * k, 1);  // holes between all
  ASSERT_EQ(rx.q.ofo_ranges(), n);
  const size_t table_and_ring = rx.q.buffer_bytes();
  // Above every range: refused.
  InsertResult r = rx.put(10 + 10 * n + 5, 3);
  EXPECT_EQ(r.ofo_dropped, 3u);
  EXPECT_EQ(r.out_of_order, 0u);
  EXPECT_EQ(rx.q.ofo_ranges(), n);
  // Touching an existing range needs no slot: accepted.
  r = rx.put(11, 2);
  EXPECT_EQ(r.out_of_order, 2u);
  EXPECT_EQ(rx.q.ofo_ranges(), n);
  // A new range below the highest: the highest (offset 10 + 10(n-1), 1 byte) is pruned.
  r = rx.put(5, 2);
  EXPECT_EQ(r.out_of_order, 2u);
  EXPECT_EQ(r.ofo_pruned, 1u);
  EXPECT_EQ(rx.q.ofo_ranges(), n);
  EXPECT_EQ(rx.q.ofo_bytes(), n - 1 + 2 + 2);
  EXPECT_EQ(rx.q.buffer_bytes(), table_and_ring);  // nothing more was allocated
  // The pruned byte is simply missing: retransmitting it later works.
  r = rx.put(10 + 10 * (n - 1), 1);
  EXPECT_EQ(r.ofo_dropped, 1u);  // still above everything while the table is full
  r = rx.put(0, 10 + 10 * n);    // fill everything in order
  EXPECT_EQ(rx.q.ofo_ranges(), 0u);
  EXPECT_EQ(read_all(rx.q), bytes(0, 10 + 10 * n));
}

TEST(RecvQueue, MemoryIsTakenLazilyStableInSteadyStateAndReleasedWhenEmpty) {
  Rx rx{0, 1 << 20};
  EXPECT_EQ(rx.q.buffer_bytes(), 0u);
  (void)rx.put(0, 1460);
  EXPECT_EQ(rx.q.buffer_bytes(), ByteRing::kMinCapacity);  // ring only, no range table
  std::vector<uint8_t> out(1460);
  EXPECT_EQ(rx.q.read(out), 1460u);
  // Steady state of 1460-byte segments read promptly: the capacity never changes.
  for (uint32_t k = 1; k < 2000; ++k) {
    ASSERT_EQ(rx.put(k * 1460, 1460).in_order, 1460u);
    ASSERT_EQ(rx.q.read(out), 1460u);
    ASSERT_EQ(out, bytes(k * 1460, 1460));
    ASSERT_EQ(rx.q.buffer_bytes(), ByteRing::kMinCapacity);
  }
  (void)rx.put(2001 * 1460, 10);  // out of order: the range table appears
  EXPECT_GT(rx.q.buffer_bytes(), ByteRing::kMinCapacity);
  EXPECT_FALSE(rx.q.release_if_empty());
  (void)rx.put(2000 * 1460, 1460);
  EXPECT_FALSE(rx.q.release_if_empty());  // readable data
  (void)read_all(rx.q);
  EXPECT_TRUE(rx.q.release_if_empty());
  EXPECT_EQ(rx.q.buffer_bytes(), 0u);
  EXPECT_FALSE(rx.q.release_if_empty());
  (void)rx.put(2001 * 1460 + 10, 5);
  EXPECT_EQ(read_all(rx.q), bytes(2001 * 1460 + 10, 5));
}

TEST(RecvQueue, LimitChangesMoveTheRightEdge) {
  Rx rx{0, 1000};
  (void)rx.put(0, 600);
  rx.q.set_limit(500);  // below what is buffered: nothing is lost, window is 0
  EXPECT_EQ(rx.q.window(), 0u);
  EXPECT_EQ(rx.put(600, 10).beyond_window, 10u);
  EXPECT_EQ(rx.q.readable(), 600u);
  rx.q.set_limit(5000);
  EXPECT_EQ(rx.q.window(), 4400u);
  EXPECT_EQ(rx.put(600, 4400).in_order, 4400u);
  EXPECT_EQ(read_all(rx.q), bytes(0, 5000));
}

TEST(RecvQueue, ResetOnlyWhenEmpty) {
  RecvQueue q{SeqNum{0}};
  EXPECT_TRUE(q.reset(SeqNum{77}));
  EXPECT_EQ(q.rcv_nxt(), SeqNum{77});
  (void)q.insert(SeqNum{80}, bytes(0, 3));
  EXPECT_FALSE(q.reset(SeqNum{1}));
}

// ---------------------------------------------------------------------------------------
// Model-based randomized test. The model is a byte array over stream offsets (first write
// wins), written from the rules in recv_queue.h independently of the implementation; it
// includes the range-table policy. Segments: random offsets around the window, sizes from
// 1 byte to 1500, four content versions, occasional FIN at the stream end, random reads
// and limit changes (some seeds: mostly 1-3 byte segments). Every field of every InsertResult,
// readable bytes, rcv_nxt, the window and the SACK block set are compared at every step.
struct Model {
  explicit Model(size_t n) : held(n + 1, -1) {}
  std::vector<int> held;  // byte value, or -1
  uint64_t read = 0, nxt = 0;
  uint32_t limit = 0;
  bool fin_rec = false, fin_in = false;

  // Runs of held bytes at or after nxt, as [from, to) offsets.
  std::vector<std::pair<uint64_t, uint64_t>> runs(uint64_t until) const {
    until = std::min<uint64_t>(until, held.size());
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (uint64_t o = nxt; o < until; ++o) {
      if (held[o] < 0) continue;
      uint64_t e = o;
      while (e < until && held[e] >= 0)
        ++e;
      out.emplace_back(o, e);
      o = e;
    }
    return out;
  }
};

TEST(RecvQueue, RandomizedAgainstByteModel) {
  constexpr size_t kStream = 40000;
  // How often each interesting path was taken over all seeds (asserted at the end, so the
  // test cannot silently stop exercising them).
  uint64_t n_in_order = 0, n_ofo = 0, n_dup = 0, n_beyond = 0, n_dropped = 0, n_pruned = 0,
           n_filled = 0, n_fin = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Rng rng{seed};
    const uint32_t isn =
        seed % 3 == 0 ? 0xffffffffu - static_cast<uint32_t>(rng.below(3000)) : rng.next_u32();
    Model m{kStream};
    m.limit = static_cast<uint32_t>(rng.between(500, 6000));
    uint32_t max_limit = m.limit;
    const SeqNum base = SeqNum{isn} + 1;
    RecvQueue q{base, m.limit};
    // A quarter of the seeds play a hostile peer: tiny segments scattered over the window,
    // which fill the range table and exercise its drop/prune policy.
    const bool hostile = seed % 4 == 1;
    std::vector<std::pair<uint64_t, uint64_t>> runs;  // the model's ranges before each step
    for (int step = 0; step < 1500 && !m.fin_in; ++step) {
      const uint64_t op = rng.below(20);
      if (op < 15) {
        // A segment somewhere around the window.
        const int64_t lo = static_cast<int64_t>(m.nxt) - 300;
        const int64_t off64 =
            std::max<int64_t>(0, lo + static_cast<int64_t>(rng.below(m.limit + 800)));
        const uint64_t off = std::min<uint64_t>(static_cast<uint64_t>(off64), kStream);
        const size_t len =
            std::min<size_t>(kStream - off, hostile && rng.chance(0.95) ? rng.between(1, 3)
                                            : rng.chance(0.6)           ? rng.between(1, 40)
                                                                        : rng.between(1, 1500));
        const bool fin = off + len == kStream && rng.chance(0.5);
        const uint32_t v = static_cast<uint32_t>(rng.below(4));
        const InsertResult r = q.insert(base + static_cast<uint32_t>(off), bytes(off, len, v), fin);

        // Model.
        InsertResult w;
        const auto& before = runs;
        const uint64_t right = std::min<uint64_t>(m.read + m.limit, m.fin_rec ? kStream : ~0ull);
        const uint64_t s = std::max<uint64_t>(off, m.nxt);
        const uint64_t e = std::max<uint64_t>(s, std::min<uint64_t>(off + len, right));
        w.duplicate = static_cast<uint32_t>(std::min<uint64_t>(len, m.nxt > off ? m.nxt - off : 0));
        w.beyond_window = static_cast<uint32_t>(len - w.duplicate - (e - s));
        bool store = e > s;
        if (store && s > m.nxt) {
          bool touches = m.held[s - 1] >= 0;
          for (uint64_t o = s; o <= e && o <= kStream && !touches; ++o)
            touches = m.held[o] >= 0;
          if (!touches && before.size() == RecvQueue::kMaxOfoRanges) {
            if (before.back().first < s) {
              w.ofo_dropped = static_cast<uint32_t>(e - s);
              store = false;
            } else {
              w.ofo_pruned = static_cast<uint32_t>(before.back().second - before.back().first);
              for (uint64_t o = before.back().first; o < before.back().second; ++o)
                m.held[o] = -1;
            }
          }
        }
        if (store) {
          uint32_t fresh = 0;
          for (uint64_t o = s; o < e; ++o) {
            if (m.held[o] >= 0) continue;
            m.held[o] = content(o, v);
            ++fresh;
          }
          w.duplicate += static_cast<uint32_t>(e - s) - fresh;
          if (s == m.nxt) {
            const uint64_t old = m.nxt;
            while (m.nxt < kStream && m.held[m.nxt] >= 0)
              ++m.nxt;
            w.in_order = static_cast<uint32_t>(m.nxt - old);
            w.filled_gap = !before.empty();
          } else {
            w.out_of_order = fresh;
          }
        }
        if (fin && w.beyond_window == 0) m.fin_rec = true;
        if (m.fin_rec && m.nxt == kStream && !m.fin_in) m.fin_in = w.fin = true;

        ASSERT_EQ(r.in_order, w.in_order) << "step " << step;
        ASSERT_EQ(r.out_of_order, w.out_of_order) << "step " << step;
        ASSERT_EQ(r.duplicate, w.duplicate) << "step " << step;
        ASSERT_EQ(r.beyond_window, w.beyond_window) << "step " << step;
        ASSERT_EQ(r.ofo_dropped, w.ofo_dropped) << "step " << step;
        ASSERT_EQ(r.ofo_pruned, w.ofo_pruned) << "step " << step;
        ASSERT_EQ(r.filled_gap, w.filled_gap) << "step " << step;
        ASSERT_EQ(r.fin, w.fin) << "step " << step;
        n_in_order += r.in_order > 0;
        n_ofo += r.out_of_order > 0;
        n_dup += r.duplicate > 0;
        n_beyond += r.beyond_window > 0;
        n_dropped += r.ofo_dropped > 0;
        n_pruned += r.ofo_pruned > 0;
        n_filled += r.filled_gap;
        n_fin += r.fin;
        // RFC 2018 §4: the first SACK block holds the segment that was just stored.
        if (r.out_of_order > 0) {
          const auto first = sacks(q, 1);
          ASSERT_EQ(first.size(), 1u);
          ASSERT_TRUE(first[0].left <= base + static_cast<uint32_t>(s) &&
                      base + static_cast<uint32_t>(e) <= first[0].right);
        }
      } else if (op < 19) {
        std::vector<uint8_t> out(rng.below(3000));
        const size_t n = q.read(out);
        ASSERT_EQ(n, std::min<uint64_t>(out.size(), m.nxt - m.read));
        for (size_t i = 0; i < n; ++i)
          ASSERT_EQ(out[i], m.held[m.read + i]) << "read " << i;
        m.read += n;
      } else {
        m.limit = static_cast<uint32_t>(rng.between(500, 6000));
        max_limit = std::max(max_limit, m.limit);
        q.set_limit(m.limit);
      }

      ASSERT_EQ(q.readable(), m.nxt - m.read);
      ASSERT_EQ(q.rcv_nxt(), base + static_cast<uint32_t>(m.nxt) + (m.fin_in ? 1 : 0));
      ASSERT_EQ(q.window(), m.read + m.limit > m.nxt ? m.read + m.limit - m.nxt : 0);
      runs = m.runs(m.read + max_limit + 1);
      ASSERT_EQ(q.ofo_ranges(), runs.size());
      std::set<std::pair<uint32_t, uint32_t>> want, got;
      uint32_t ofo = 0;
      for (auto [a, b] : runs) {
        const bool fin_after = m.fin_rec && !m.fin_in && b == kStream;
        want.emplace((base + static_cast<uint32_t>(a)).raw(),
                     (base + static_cast<uint32_t>(b + (fin_after ? 1 : 0))).raw());
        ofo += static_cast<uint32_t>(b - a);
      }
      for (const SackBlock& b : sacks(q, RecvQueue::kMaxOfoRanges)) {
        got.emplace(b.left.raw(), b.right.raw());
      }
      ASSERT_EQ(got, want);
      ASSERT_EQ(q.ofo_bytes(), ofo);
    }
  }
  for (uint64_t n : {n_in_order, n_ofo, n_dup, n_beyond, n_dropped, n_pruned, n_filled, n_fin}) {
    EXPECT_GT(n, 0u);
  }
  // Visible in the test log; the counts depend only on the seeds.
  ::testing::Test::RecordProperty(
      "paths", ::testing::PrintToString(std::vector<uint64_t>{
                   n_in_order, n_ofo, n_dup, n_beyond, n_dropped, n_pruned, n_filled, n_fin}));
}

// End to end: a random byte stream cut into random segments, sent in bursts that are
// reordered, duplicated and mixed with overlapping retransmissions, against a reader that
// reads random amounts. Runs until EOF; the bytes read must equal the stream exactly.
TEST(RecvQueue, RandomSegmentationsReassembleExactly) {
  for (uint64_t seed = 100; seed < 130; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Rng rng{seed};
    std::vector<uint8_t> stream(rng.between(1, 300000));
    rng.fill(stream.data(), stream.size());
    const uint32_t isn =
        seed % 2 == 0 ? 0xffffffffu - static_cast<uint32_t>(rng.below(100000)) : rng.next_u32();
    const SeqNum base = SeqNum{isn} + 1;
    const uint32_t limit = static_cast<uint32_t>(rng.between(1500, 131072));
    RecvQueue q{base, limit};
    std::vector<uint8_t> got;
    bool fin_seen = false;
    for (int round = 0; !q.eof(); ++round) {
      ASSERT_LT(round, 100000) << "no progress";
      // The sender sees our ACK (rcv_nxt) and window and sends a burst within it, plus some
      // overlapping junk around it.
      const uint64_t una = q.rcv_nxt() - base;
      const uint64_t wnd_end = std::min<uint64_t>(una + q.window(), stream.size());
      std::vector<std::pair<uint64_t, uint64_t>> segs;
      for (uint64_t o = una; o < wnd_end;) {
        const uint64_t n = std::min<uint64_t>(rng.between(1, 1460), wnd_end - o);
        if (!rng.chance(0.1)) segs.emplace_back(o, n);  // 10% lost
        if (rng.chance(0.1)) segs.emplace_back(o, n);   // 10% duplicated
        o += n;
      }
      for (int k = static_cast<int>(rng.below(4)); k > 0; --k) {  // overlapping retransmits
        const uint64_t o = una > 2000 ? una - rng.below(2000) : rng.below(una + 1);
        const uint64_t n = rng.between(1, 4000);
        if (o < stream.size()) segs.emplace_back(o, std::min<uint64_t>(n, stream.size() - o));
      }
      if (wnd_end == stream.size() || segs.empty()) segs.emplace_back(stream.size(), 0);
      for (size_t i = segs.size(); i > 1; --i)
        std::swap(segs[i - 1], segs[rng.below(i)]);
      for (auto [o, n] : segs) {
        const bool fin = o + n == stream.size();
        const InsertResult r =
            q.insert(base + static_cast<uint32_t>(o), std::span(stream).subspan(o, n), fin);
        // Every byte of the segment is accounted for once; in_order may also count stored
        // out-of-order bytes the segment released, so it only closes the sum when zero.
        const uint64_t rest = r.out_of_order + r.duplicate + r.beyond_window + r.ofo_dropped;
        ASSERT_LE(rest, n);
        if (r.in_order == 0) {
          ASSERT_EQ(rest, n);
        }
        if (r.fin) {
          ASSERT_FALSE(fin_seen) << "FIN reported twice";
          fin_seen = true;
        }
      }
      // The reader takes a random part of what is readable (sometimes all of it).
      std::vector<uint8_t> buf(rng.chance(0.5) ? q.readable() : rng.below(q.readable() + 1));
      buf.resize(q.read(buf));
      got.insert(got.end(), buf.begin(), buf.end());
    }
    ASSERT_TRUE(fin_seen);
    ASSERT_EQ(q.rcv_nxt(), base + static_cast<uint32_t>(stream.size()) + 1);
    ASSERT_EQ(got.size(), stream.size());
    ASSERT_TRUE(got == stream);
    ASSERT_TRUE(q.release_if_empty());
  }
}

}  // namespace
}  // namespace synack::tcp
