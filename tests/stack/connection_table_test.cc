// ConnectionTable: lookups stay correct through incremental rehashes, and no single insert
// moves more than kRehashEntries entries (issue 4 item 7: growth without latency spikes).
#include "stack/connection_table.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/rng.h"

namespace synack::stack {
namespace {

tcp::FourTuple tuple_of(uint32_t i) {
  return tcp::FourTuple{.local_addr = wire::Ipv4Address::from_octets(10, 0, 0, 1),
                        .remote_addr = wire::Ipv4Address(0x0a000000u + (i >> 16)),
                        .local_port = 80,
                        .remote_port = static_cast<uint16_t>(i)};
}

TEST(ConnectionTable, GrowsIncrementallyWithBoundedWorkPerInsert) {
  Rng rng(7);
  ConnectionTable table(KeyedHash::from_rng(rng), 4);
  constexpr uint32_t kN = 20000;
  std::vector<std::unique_ptr<tcp::Tcb>> tcbs;
  size_t max_moved = 0;
  size_t inserts_while_rehashing = 0;
  size_t doublings = 0;
  size_t last_buckets = table.bucket_count();
  for (uint32_t i = 0; i < kN; ++i) {
    tcbs.push_back(std::make_unique<tcp::Tcb>());
    tcbs.back()->tuple = tuple_of(i);
    table.insert(*tcbs.back());
    max_moved = std::max(max_moved, table.last_moved());
    if (table.rehashing()) ++inserts_while_rehashing;
    if (table.bucket_count() != last_buckets) {
      ++doublings;
      last_buckets = table.bucket_count();
    }
    // Every entry stays findable in the middle of a rehash (checked on a sample).
    if (i % 97 == 0) {
      for (uint32_t j = 0; j <= i; j += 13)
        ASSERT_EQ(table.find(tuple_of(j)), tcbs[j].get()) << "entry " << j << " after " << i;
    }
  }
  EXPECT_LE(max_moved, ConnectionTable::kRehashEntries);
  EXPECT_GT(max_moved, 0u);
  EXPECT_GE(doublings, 12u);               // 4 → 32768 buckets
  EXPECT_GT(inserts_while_rehashing, 0u);  // the incremental path was exercised
  EXPECT_EQ(table.size(), kN);
  size_t seen = 0;
  table.for_each([&](tcp::Tcb&) { ++seen; });
  EXPECT_EQ(seen, kN);
  // Erase every other entry (some during a rehash), the rest stay.
  for (uint32_t i = 0; i < kN; i += 2)
    ASSERT_TRUE(table.erase(*tcbs[i]));
  EXPECT_FALSE(table.erase(*tcbs[0]));
  for (uint32_t i = 0; i < kN; ++i)
    ASSERT_EQ(table.find(tuple_of(i)), i % 2 == 0 ? nullptr : tcbs[i].get()) << i;
  EXPECT_EQ(table.size(), kN / 2);
}

}  // namespace
}  // namespace synack::stack
