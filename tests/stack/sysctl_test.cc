#include "stack/sysctl.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace synack::stack {
namespace {

using namespace synack::literals;

// The expected defaults are typed in from SPEC §18 and cross-checked against `cat
// /proc/sys/net/...` on the project's Linux 6.18 machine (which agrees on every SPEC row except
// tcp_rmem, whose max 6.18 raised to 33554432; SPEC keeps 6291456). They are not read back from
// the registry table.
struct Expected {
  const char* name;
  const char* value;  // as /proc/sys prints it
};
constexpr Expected kSpecDefaults[] = {
    {"net.ipv4.tcp_syn_retries", "6"},
    {"net.ipv4.tcp_synack_retries", "5"},
    {"net.ipv4.tcp_retries1", "3"},
    {"net.ipv4.tcp_retries2", "15"},
    {"net.ipv4.tcp_orphan_retries", "0"},
    {"net.ipv4.tcp_fin_timeout", "60"},
    {"net.ipv4.tcp_max_tw_buckets", "131072"},
    {"net.ipv4.tcp_max_orphans", "131072"},
    {"net.ipv4.tcp_max_syn_backlog", "2048"},
    {"net.core.somaxconn", "4096"},
    {"net.ipv4.tcp_abort_on_overflow", "0"},
    {"net.ipv4.tcp_syncookies", "1"},
    {"net.ipv4.tcp_tw_reuse", "2"},
    {"net.ipv4.tcp_tw_reuse_delay", "1000"},
    {"net.ipv4.tcp_timestamps", "1"},
    {"net.ipv4.tcp_window_scaling", "1"},
    {"net.ipv4.tcp_sack", "1"},
    {"net.ipv4.tcp_fastopen", "1"},
    {"net.ipv4.tcp_fastopen_key", "00000000-00000000-00000000-00000000"},
    {"net.ipv4.tcp_keepalive_time", "7200"},
    {"net.ipv4.tcp_keepalive_intvl", "75"},
    {"net.ipv4.tcp_keepalive_probes", "9"},
    {"net.ipv4.tcp_rfc1337", "0"},
    {"net.ipv4.tcp_challenge_ack_limit", "2147483647"},
    {"net.ipv4.tcp_invalid_ratelimit", "500"},
    {"net.ipv4.ip_local_port_range", "32768\t60999"},
    {"net.ipv4.ip_unprivileged_port_start", "1024"},
    {"net.ipv4.tcp_rmem", "4096\t131072\t6291456"},
    {"net.ipv4.tcp_wmem", "4096\t16384\t4194304"},
    {"net.ipv4.tcp_rto_min_us", "200000"},  // 6.18 /proc
    {"net.ipv4.tcp_rto_max_ms", "120000"},  // 6.18 /proc
    // SPEC §18 rows Linux hard-codes: TIME-WAIT 60 s, initial RTO 1 s, delayed ACK 40/200 ms.
    {"synack.tcp_timewait_len", "60"},
    {"synack.tcp_rto_initial_ms", "1000"},
    {"synack.tcp_delack_min_ms", "40"},
    {"synack.tcp_delack_max_ms", "200"},
};

TEST(SysctlRegistry, TableIsInEnumOrderWithUniqueNames) {
  std::set<std::string_view> names;
  for (int i = 0; i < kSysctlCount; ++i) {
    const auto id = static_cast<SysctlId>(i);
    const SysctlInfo& info = sysctl_info(id);
    EXPECT_EQ(info.id, id) << "row " << i << " (" << info.name << ") is out of order";
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_FALSE(info.help.empty()) << info.name;
    EXPECT_LE(info.min, info.max) << info.name;
    ASSERT_EQ(find_sysctl(info.name), id) << info.name;
  }
}

TEST(SysctlRegistry, EverySpecDefaultMatchesLinux) {
  const Sysctls s;
  for (const Expected& e : kSpecDefaults) {
    const auto id = find_sysctl(e.name);
    ASSERT_TRUE(id.has_value()) << e.name;
    EXPECT_EQ(s.format(*id), e.value) << e.name;
    EXPECT_TRUE(s.is_default(*id)) << e.name;
  }
}

TEST(SysctlRegistry, DefaultsAreWithinTheirOwnRanges) {
  for (int i = 0; i < kSysctlCount; ++i) {
    const SysctlInfo& info = sysctl_info(static_cast<SysctlId>(i));
    for (int k = 0; k < sysctl_width(info.id) && k < 3; ++k) {
      EXPECT_GE(info.defaults[static_cast<size_t>(k)], info.min) << info.name;
      EXPECT_LE(info.defaults[static_cast<size_t>(k)], info.max) << info.name;
    }
  }
}

TEST(SysctlRegistry, LinuxBoundsWhereLinuxHasThem) {
  // net/ipv4/sysctl_net_ipv4.c: tcp_syn_retries 1..MAX_TCP_SYNCNT(127); tcp_retries1 at most
  // 255; tcp_tw_reuse 0..2; tcp_tw_reuse_delay 1..TCP_PAWS_MSL*1000; port range 1..65535;
  // tcp_rto_max_ms 1000..120000; tcp_rmem/wmem elements >= 1.
  struct B {
    SysctlId id;
    int64_t min, max;
  };
  const B bounds[] = {
      {SysctlId::kTcpSynRetries, 1, 127},      {SysctlId::kTcpRetries1, 0, 255},
      {SysctlId::kTcpTwReuse, 0, 2},           {SysctlId::kTcpTwReuseDelay, 1, 60000},
      {SysctlId::kIpLocalPortRange, 1, 65535}, {SysctlId::kTcpRtoMaxMs, 1000, 120000},
      {SysctlId::kTcpRmem, 1, 2147483647},     {SysctlId::kTcpSynackRetries, 0, 255}};
  for (const B& b : bounds) {
    EXPECT_EQ(sysctl_info(b.id).min, b.min) << sysctl_info(b.id).name;
    EXPECT_EQ(sysctl_info(b.id).max, b.max) << sysctl_info(b.id).name;
  }
}

TEST(SysctlRegistry, FindsDotAndSlashForms) {
  EXPECT_EQ(find_sysctl("net.ipv4.tcp_syn_retries"), SysctlId::kTcpSynRetries);
  EXPECT_EQ(find_sysctl("net/ipv4/tcp_syn_retries"), SysctlId::kTcpSynRetries);
  EXPECT_EQ(find_sysctl("/net/ipv4/tcp_syn_retries"), SysctlId::kTcpSynRetries);
  EXPECT_EQ(find_sysctl("  net.core.somaxconn\t"), SysctlId::kSomaxconn);
  EXPECT_EQ(find_sysctl("net/core/somaxconn"), SysctlId::kSomaxconn);
  EXPECT_EQ(find_sysctl("synack/tcp_timewait_len"), SysctlId::kTimeWaitLen);
  EXPECT_FALSE(find_sysctl("net.ipv4.tcp_foo").has_value());
  EXPECT_FALSE(find_sysctl("").has_value());
  EXPECT_FALSE(find_sysctl("net/ipv4.tcp_syn_retries").has_value());  // mixed: '.' inside a path
  EXPECT_FALSE(find_sysctl("NET.IPV4.TCP_SYN_RETRIES").has_value());  // names are case-sensitive
  EXPECT_FALSE(find_sysctl("net.ipv4.tcp_syn_retries.").has_value());
}

TEST(Sysctls, HotPathReads) {
  Sysctls s;
  EXPECT_EQ(s.get(SysctlId::kTcpSynRetries), 6);
  EXPECT_TRUE(s.get_bool(SysctlId::kTcpTimestamps));
  const auto range = s.values(SysctlId::kIpLocalPortRange);
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0], 32768);
  EXPECT_EQ(range[1], 60999);
  EXPECT_EQ(s.values(SysctlId::kTcpWmem).size(), 3u);
  EXPECT_EQ(s.values(SysctlId::kTcpFastopenKey).size(), 4u);
  EXPECT_EQ(s.duration(SysctlId::kTcpFinTimeout), 60_s);
  EXPECT_EQ(s.duration(SysctlId::kTcpInvalidRatelimit), 500_ms);
  EXPECT_EQ(s.duration(SysctlId::kTcpRtoMinUs), 200_ms);
  EXPECT_EQ(s.duration(SysctlId::kTcpKeepaliveTime), 7200_s);
  EXPECT_EQ(s.duration(SysctlId::kTimeWaitLen), 60_s);
}

TEST(Sysctls, SetParsesLikeLinuxProcHandlers) {
  Sysctls s;
  ASSERT_TRUE(s.set("net.ipv4.tcp_syn_retries", "5"));
  EXPECT_EQ(s.get(SysctlId::kTcpSynRetries), 5);
  ASSERT_TRUE(s.set("net/ipv4/tcp_syn_retries", "  7\n"));
  EXPECT_EQ(s.get(SysctlId::kTcpSynRetries), 7);
  // kernel/sysctl.c proc_get_long reads with strtoul base 0: hex and octal are accepted.
  ASSERT_TRUE(s.set("net.ipv4.tcp_fastopen", "0x603"));
  EXPECT_EQ(s.get(SysctlId::kTcpFastopen), 0x603);
  ASSERT_TRUE(s.set("net.ipv4.tcp_syn_retries", "010"));
  EXPECT_EQ(s.get(SysctlId::kTcpSynRetries), 8);
  ASSERT_TRUE(s.set("net.ipv4.tcp_syn_retries", "0X1f"));
  EXPECT_EQ(s.get(SysctlId::kTcpSynRetries), 31);
}

struct BadCase {
  const char* name;
  const char* value;
  SysctlErrc code;
  const char* message;
};

TEST(Sysctls, BadInputGivesTheRightMessageAndChangesNothing) {
  const BadCase cases[] = {
      {"net.ipv4.tcp_foo", "1", SysctlErrc::kUnknownName, "unknown sysctl 'net.ipv4.tcp_foo'"},
      {"net.ipv4.tcp_syn_retries", "0", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_syn_retries: value 0 out of range 1..127"},
      {"net.ipv4.tcp_syn_retries", "128", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_syn_retries: value 128 out of range 1..127"},
      {"net.ipv4.tcp_synack_retries", "-1", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_synack_retries: value -1 out of range 0..255"},
      {"net.ipv4.tcp_retries2", "256", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_retries2: value 256 out of range 0..255"},
      {"net.ipv4.tcp_syn_retries", "abc", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: 'abc' is not an integer"},
      {"net.ipv4.tcp_syn_retries", "5abc", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: '5abc' is not an integer"},
      {"net.ipv4.tcp_syn_retries", "+5", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: '+5' is not an integer"},
      {"net.ipv4.tcp_syn_retries", "08", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: '08' is not an integer"},
      {"net.ipv4.tcp_syn_retries", "0x", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: '0x' is not an integer"},
      {"net.ipv4.tcp_syn_retries", "", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: empty value"},
      {"net.ipv4.tcp_syn_retries", "5 6", SysctlErrc::kBadValue,
       "net.ipv4.tcp_syn_retries: expected one integer, got '5 6'"},
      {"net.ipv4.tcp_max_tw_buckets", "99999999999999999999999", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_max_tw_buckets: value 99999999999999999999999 out of range 0..2147483647"},
      {"net.ipv4.tcp_max_tw_buckets", "2147483648", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_max_tw_buckets: value 2147483648 out of range 0..2147483647"},
      {"net.ipv4.tcp_rmem", "1 2 3 4", SysctlErrc::kBadValue,
       "net.ipv4.tcp_rmem: expected at most 3 integers, got 4 in '1 2 3 4'"},
      {"net.ipv4.tcp_rmem", "4096 0 6291456", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_rmem: value 0 out of range 1..2147483647 each"},
      {"net.ipv4.ip_local_port_range", "40000 30000", SysctlErrc::kInvalid,
       "net.ipv4.ip_local_port_range: low port 40000 is above high port 30000"},
      {"net.ipv4.ip_local_port_range", "1000 2001", SysctlErrc::kInvalid,
       "net.ipv4.ip_local_port_range: low port 1000 is below net.ipv4.ip_unprivileged_port_start "
       "(1024)"},
      {"net.ipv4.ip_local_port_range", "0 2001", SysctlErrc::kOutOfRange,
       "net.ipv4.ip_local_port_range: value 0 out of range 1..65535 each"},
      {"net.ipv4.ip_local_port_range", "32768 65536", SysctlErrc::kOutOfRange,
       "net.ipv4.ip_local_port_range: value 65536 out of range 1..65535 each"},
      {"net.ipv4.ip_unprivileged_port_start", "40000", SysctlErrc::kInvalid,
       "net.ipv4.ip_unprivileged_port_start: 40000 is above the start of "
       "net.ipv4.ip_local_port_range (32768)"},
      {"net.ipv4.tcp_tw_reuse", "3", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_tw_reuse: value 3 out of range 0..2"},
      {"net.ipv4.tcp_tw_reuse_delay", "0", SysctlErrc::kOutOfRange,
       "net.ipv4.tcp_tw_reuse_delay: value 0 out of range 1..60000"},
      {"net.ipv4.tcp_fastopen_key", "1234", SysctlErrc::kBadValue,
       "net.ipv4.tcp_fastopen_key: '1234' is not a key; expected 4 dash-separated hex words such "
       "as 00000000-00000000-00000000-00000000, optionally ',<backup key>'"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " = '" + c.value + "'");
    Sysctls s;
    const Sysctls before = s;
    auto r = s.set(c.name, c.value);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(r.error().message, c.message);
    EXPECT_EQ(s, before);
  }
}

TEST(Sysctls, VectorWritesKeepUnmentionedElementsLikeLinux) {
  Sysctls s;
  ASSERT_TRUE(s.set("net.ipv4.tcp_rmem", "8192"));
  EXPECT_EQ(s.format(SysctlId::kTcpRmem), "8192\t131072\t6291456");
  ASSERT_TRUE(s.set("net.ipv4.tcp_rmem", "4096\t87380 \n 16777216"));
  EXPECT_EQ(s.format(SysctlId::kTcpRmem), "4096\t87380\t16777216");
  ASSERT_TRUE(s.set("net.ipv4.ip_local_port_range", "1024 65535"));
  EXPECT_EQ(s.format_line(SysctlId::kIpLocalPortRange),
            "net.ipv4.ip_local_port_range = 1024\t65535");
  // Only the low end: Linux keeps the high end and still checks low <= high.
  ASSERT_TRUE(s.set("net.ipv4.ip_local_port_range", "50000"));
  EXPECT_EQ(s.format(SysctlId::kIpLocalPortRange), "50000\t65535");
}

TEST(Sysctls, PortRangeParityWarnsButApplies) {
  Sysctls s;
  auto r = s.set("net.ipv4.ip_local_port_range", "32768 61000");  // both even
  ASSERT_TRUE(r);
  EXPECT_EQ(r->warning, "ip_local_port_range: prefer different parity for start/end values.");
  EXPECT_EQ(s.values(SysctlId::kIpLocalPortRange)[1], 61000);
  auto ok = s.set("net.ipv4.ip_local_port_range", "32768 60999");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->warning.empty());
}

TEST(Sysctls, CrossChecksFollowTheOrderOfWrites) {
  Sysctls s;
  ASSERT_FALSE(s.set("net.ipv4.ip_local_port_range", "500 600"));
  ASSERT_TRUE(s.set("net.ipv4.ip_unprivileged_port_start", "0"));
  ASSERT_TRUE(s.set("net.ipv4.ip_local_port_range", "500 601"));
  EXPECT_EQ(s.format(SysctlId::kIpLocalPortRange), "500\t601");
  ASSERT_FALSE(s.set("net.ipv4.ip_unprivileged_port_start", "1024"));
}

TEST(Sysctls, FastOpenKeyPrintsAndParsesLikeLinux) {
  Sysctls s;
  ASSERT_TRUE(s.set("net.ipv4.tcp_fastopen_key", "a-Bc-00000def-12345678"));
  EXPECT_EQ(s.format(SysctlId::kTcpFastopenKey), "0000000a-000000bc-00000def-12345678");
  const auto words = s.values(SysctlId::kTcpFastopenKey);
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(words[3], 0x12345678);
  ASSERT_TRUE(
      s.set("net.ipv4.tcp_fastopen_key", "ffffffff-00000001-00000002-00000003,00000004-5-6-7"));
  EXPECT_EQ(s.format(SysctlId::kTcpFastopenKey),
            "ffffffff-00000001-00000002-00000003,00000004-00000005-00000006-00000007");
  EXPECT_EQ(s.values(SysctlId::kTcpFastopenKey).size(), 8u);
  // Back to a single key drops the backup.
  ASSERT_TRUE(s.set("net.ipv4.tcp_fastopen_key", "1-2-3-4"));
  EXPECT_EQ(s.values(SysctlId::kTcpFastopenKey).size(), 4u);
  for (const char* bad :
       {"1-2-3", "1-2-3-4-5", "123456789-0-0-0", "g-0-0-0", "1-2-3-4,", "--1-2"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(s.set("net.ipv4.tcp_fastopen_key", bad));
  }
  EXPECT_EQ(s.format(SysctlId::kTcpFastopenKey), "00000001-00000002-00000003-00000004");
}

TEST(Sysctls, TypedWritesUseTheSameChecks) {
  Sysctls s;
  ASSERT_TRUE(s.set_value(SysctlId::kTcpFinTimeout, 30));
  EXPECT_EQ(s.duration(SysctlId::kTcpFinTimeout), 30_s);
  EXPECT_FALSE(s.set_value(SysctlId::kTcpFinTimeout, -1));
  EXPECT_FALSE(s.set_value(SysctlId::kTcpSynRetries, 0));
  const int64_t range[] = {40000, 30000};
  EXPECT_FALSE(s.set_values(SysctlId::kIpLocalPortRange, range));
  EXPECT_EQ(s.get(SysctlId::kIpLocalPortRange), 32768);
}

TEST(Sysctls, CopiesAreIndependentPerHost) {
  Sysctls a;
  Sysctls b = a;
  ASSERT_TRUE(b.set("net.ipv4.tcp_syncookies", "2"));
  EXPECT_EQ(a.get(SysctlId::kTcpSyncookies), 1);
  EXPECT_EQ(b.get(SysctlId::kTcpSyncookies), 2);
  EXPECT_FALSE(b.is_default(SysctlId::kTcpSyncookies));
  EXPECT_NE(a, b);
}

TEST(Sysctls, ListShowsEveryEntryWithValueDefaultRangeAndHelp) {
  Sysctls s;
  ASSERT_TRUE(s.set("net.ipv4.tcp_fin_timeout", "30"));
  const auto rows = s.list();
  ASSERT_EQ(rows.size(), static_cast<size_t>(kSysctlCount));
  bool seen = false;
  for (const SysctlListing& row : rows) {
    EXPECT_FALSE(row.help.empty());
    EXPECT_FALSE(row.range.empty());
    if (row.name == "net.ipv4.tcp_fin_timeout") {
      seen = true;
      EXPECT_EQ(row.value, "30");
      EXPECT_EQ(row.default_value, "60");
      EXPECT_EQ(row.range, "0..2147483");
      EXPECT_EQ(row.unit, "seconds");
    }
    if (row.name == "net.ipv4.tcp_wmem") {
      EXPECT_EQ(row.range, "1..2147483647 each");
    }
  }
  EXPECT_TRUE(seen);
  const auto sorted = s.list_sorted();
  for (size_t i = 1; i < sorted.size(); ++i)
    EXPECT_LT(sorted[i - 1].name, sorted[i].name);
  EXPECT_EQ(sorted.front().name, "net.core.rmem_max");
}

}  // namespace
}  // namespace synack::stack
