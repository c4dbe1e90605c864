#include "wire/ipv4_address.h"

#include <gtest/gtest.h>

namespace synack::wire {
namespace {

TEST(Ipv4Address, ParsesDottedQuad) {
  auto a = Ipv4Address::parse("1.2.3.4");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value(), 0x01020304u);
  EXPECT_EQ(Ipv4Address::parse("0.0.0.0"), Ipv4Address::any());
  EXPECT_EQ(Ipv4Address::parse("255.255.255.255"), Ipv4Address{0xffffffff});
  EXPECT_EQ(Ipv4Address::parse("10.0.0.1"), Ipv4Address::from_octets(10, 0, 0, 1));
  EXPECT_EQ(Ipv4Address::parse("192.168.100.200"), Ipv4Address::from_octets(192, 168, 100, 200));
}

TEST(Ipv4Address, RejectsEverythingElse) {
  for (const char* bad :
       {"",           "256.1.1.1",  "1.2.3.256", "1.2.3",    "1.2.3.4.5", " 1.2.3.4",
        "1.2.3.4 ",   "1.2.3.4\n",  "01.2.3.4",  "1.2.3.04", "00.0.0.0",  "1..3.4",
        ".1.2.3",     "1.2.3.",     "1.2.3.-4",  "+1.2.3.4", "0x1.2.3.4", "1.2.3.4a",
        "1234.1.1.1", "1.2.3.1000", "a.b.c.d",   "1,2,3,4",  "16909060"}) {
    EXPECT_FALSE(Ipv4Address::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Ipv4Address, PrintsDottedQuad) {
  EXPECT_EQ(to_string(Ipv4Address::from_octets(1, 2, 3, 4)), "1.2.3.4");
  EXPECT_EQ(to_string(Ipv4Address::any()), "0.0.0.0");
  EXPECT_EQ(to_string(Ipv4Address{0xffffffff}), "255.255.255.255");
  EXPECT_EQ(to_string(Ipv4Address::from_octets(10, 0, 200, 9)), "10.0.200.9");
}

TEST(Ipv4Address, PrintThenParseRoundTrips) {
  for (uint32_t v : {0u, 1u, 0x7f000001u, 0x0a000001u, 0xc0a80101u, 0xfffffffeu, 0x01000000u}) {
    EXPECT_EQ(Ipv4Address::parse(to_string(Ipv4Address{v})), Ipv4Address{v}) << v;
  }
}

TEST(Ipv4Address, Predicates) {
  EXPECT_TRUE(Ipv4Address::any().is_any());
  EXPECT_TRUE(Ipv4Address::from_octets(127, 0, 0, 1).is_loopback());
  EXPECT_TRUE(Ipv4Address::from_octets(127, 255, 0, 9).is_loopback());
  EXPECT_FALSE(Ipv4Address::from_octets(128, 0, 0, 1).is_loopback());
  EXPECT_TRUE(Ipv4Address::from_octets(1, 2, 3, 4) < Ipv4Address::from_octets(1, 2, 3, 5));
}

}  // namespace
}  // namespace synack::wire
