#include "stack/counters_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace synack::stack {
namespace {

// Lines captured from `nstat -az` (iproute2 6.1.0) on the project's machine, byte for byte
// (`nstat -az TcpActiveOpens ... | cat -A`): a short name, and names of 30 and 31 characters.
TEST(NstatFormat, LineMatchesRealNstat) {
  EXPECT_EQ(nstat_line("TcpActiveOpens", 14, 0.0),
            "TcpActiveOpens                  14                 0.0\n");
  EXPECT_EQ(nstat_line("TcpExtTCPMemoryPressuresChrono", 0, 0.0),
            "TcpExtTCPMemoryPressuresChrono  0                  0.0\n");
  EXPECT_EQ(nstat_line("TcpExtTCPFastOpenListenOverflow", 0, 0.0),
            "TcpExtTCPFastOpenListenOverflow 0                  0.0\n");
  EXPECT_EQ(nstat_line("IpExtInOctets", 20687837, 0.0),
            "IpExtInOctets                   20687837           0.0\n");
}

TEST(NstatFormat, LongNamesAndValuesPushColumnsLikePrintf) {
  // printf("%-32s%-16llu%6.1f"): no separator once a field is full; the rate keeps width 6.
  EXPECT_EQ(nstat_line("AVeryLongCounterNameThatIsLongerThan32", 1, 12.34),
            "AVeryLongCounterNameThatIsLongerThan32" + std::string("1") + std::string(15, ' ') +
                "  12.3\n");
  EXPECT_EQ(nstat_line("X", 18446744073709551615u, 1234567.0),
            std::string("X") + std::string(31, ' ') + "18446744073709551615" + "1234567.0\n");
}

TEST(NstatFormat, SkipsZerosAndGaugesLikeNstat) {
  Counters c;
  c.inc(Counter::kTcpActiveOpens);
  c.add(Counter::kTcpInSegs, 509);
  c.count_state_change(tcp::State::kSynSent, tcp::State::kEstablished);  // CurrEstab = 1
  EXPECT_EQ(format_nstat(c),
            "#kernel\n"
            "TcpActiveOpens                  1                  0.0\n"
            "TcpInSegs                       509                0.0\n");
  NstatOptions with_gauges;
  with_gauges.include_gauges = true;
  with_gauges.source = "synack";
  EXPECT_EQ(format_nstat(c, with_gauges),
            "#synack\n"
            "TcpActiveOpens                  1                  0.0\n"
            "TcpCurrEstab                    1                  0.0\n"
            "TcpInSegs                       509                0.0\n");
}

TEST(NstatFormat, ZerosPrintsEveryCounterInGroupOrder) {
  NstatOptions z;
  z.zeros = true;
  const std::string out = format_nstat(Counters{}, z);
  size_t lines = 0;
  for (char ch : out)
    lines += ch == '\n';
  EXPECT_EQ(lines, static_cast<size_t>(kCounterCount) - 1 + 1);  // minus CurrEstab, plus header
  // nstat's group order: Ip, Tcp, TcpExt, IpExt; then synack's own.
  const size_t ip = out.find("\nIpInReceives ");
  const size_t tcp = out.find("\nTcpActiveOpens ");
  const size_t ext = out.find("\nTcpExtSyncookiesSent ");
  const size_t ipext = out.find("\nIpExtInTruncatedPkts ");
  const size_t own = out.find("\nSynackFragmentsDropped ");
  ASSERT_NE(own, std::string::npos);
  EXPECT_LT(ip, tcp);
  EXPECT_LT(tcp, ext);
  EXPECT_LT(ext, ipext);
  EXPECT_LT(ipext, own);
  EXPECT_EQ(out.find("TcpCurrEstab"), std::string::npos);
}

TEST(NstatFormat, PrefixFilterAndRates) {
  Counters c;
  c.inc(Counter::kTcpExtListenDrops);
  c.inc(Counter::kTcpInSegs);
  std::vector<double> rates(static_cast<size_t>(kCounterCount), 0.0);
  rates[static_cast<size_t>(Counter::kTcpExtListenDrops)] = 2.5;
  rates[static_cast<size_t>(Counter::kTcpExtListenOverflows)] = 0.3;  // zero value, non-zero rate
  NstatOptions o;
  o.prefix = "TcpExt";
  o.rates = rates;
  EXPECT_EQ(format_nstat(c, o),
            "#kernel\n"
            "TcpExtListenOverflows           0                  0.3\n"
            "TcpExtListenDrops               1                  2.5\n");
}

TEST(NstatFormat, JsonLikeNstatJ) {
  // `nstat -azj` prints {"kernel":{"IpInReceives":539,...}} and a newline.
  Counters c;
  c.add(Counter::kIpInReceives, 539);
  c.add(Counter::kTcpOutRsts, 2);
  EXPECT_EQ(format_nstat_json(c), "{\"kernel\":{\"IpInReceives\":539,\"TcpOutRsts\":2}}\n");
  NstatOptions none;
  none.prefix = "Nothing";
  EXPECT_EQ(format_nstat_json(c, none), "{\"kernel\":{}}\n");
}

}  // namespace
}  // namespace synack::stack
