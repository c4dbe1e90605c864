#include "stack/sysctl_conf.h"

#include <gtest/gtest.h>

#include <string>

namespace synack::stack {
namespace {

TEST(SysctlConf, AppliesAssignmentsCommentsAndBlankLines) {
  Sysctls s;
  const char* text =
      "# tuning for a busy proxy\n"
      "; procps also takes ';' comments\n"
      "\n"
      "net.ipv4.tcp_fin_timeout = 30\n"
      "net.core.somaxconn=1024\n"
      "   net/ipv4/tcp_tw_reuse   =   1   \n"
      "net.ipv4.tcp_rmem = 4096 87380 16777216\r\n"
      "\tnet.ipv4.ip_local_port_range = 15000\t64999\n"
      "net.ipv4.tcp_fin_timeout = 20\n";  // later wins
  auto r = apply_conf(s, text, "/etc/sysctl.d/99-proxy.conf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments, 6);
  EXPECT_TRUE(r->ignored.empty());
  EXPECT_EQ(s.get(SysctlId::kTcpFinTimeout), 20);
  EXPECT_EQ(s.get(SysctlId::kSomaxconn), 1024);
  EXPECT_EQ(s.get(SysctlId::kTcpTwReuse), 1);
  EXPECT_EQ(s.format(SysctlId::kTcpRmem), "4096\t87380\t16777216");
  EXPECT_EQ(s.format(SysctlId::kIpLocalPortRange), "15000\t64999");
}

TEST(SysctlConf, EmptyTextChangesNothing) {
  Sysctls s;
  auto r = apply_conf(s, "", "empty.conf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments, 0);
  EXPECT_EQ(s, Sysctls{});
}

TEST(SysctlConf, ErrorsCarryFileAndLineAndNothingIsApplied) {
  Sysctls s;
  const char* text =
      "net.ipv4.tcp_fin_timeout = 30\n"  // line 1: fine, but must not stick
      "# comment\n"
      "net.ipv4.tcp_foo = 1\n"          // line 3
      "net.ipv4.tcp_syn_retries = 0\n"  // line 4
      "this line has no equals sign\n"  // line 5
      " = 5\n"                          // line 6
      "net.ipv4.tcp_syncookies = 2\n";  // line 7: fine
  auto r = apply_conf(s, text, "bad.conf");
  ASSERT_FALSE(r);
  const auto& errs = r.error();
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0].to_string(), "bad.conf:3: unknown sysctl 'net.ipv4.tcp_foo'");
  EXPECT_EQ(errs[1].to_string(),
            "bad.conf:4: net.ipv4.tcp_syn_retries: value 0 out of range 1..127");
  EXPECT_EQ(errs[2].to_string(),
            "bad.conf:5: expected 'name = value', got 'this line has no equals sign'");
  EXPECT_EQ(errs[3].to_string(), "bad.conf:6: missing sysctl name before '='");
  EXPECT_EQ(s, Sysctls{}) << "all-or-nothing: the good lines must not have been applied";
}

TEST(SysctlConf, DashPrefixIgnoresFailuresOnThatLine) {
  Sysctls s;
  const char* text =
      "-net.ipv4.tcp_not_in_synack = 1\n"
      "- net.ipv4.tcp_syn_retries = 500\n"
      "-net.ipv4.tcp_syn_retries = 4\n"
      "net.ipv4.tcp_synack_retries = 3\n";
  auto r = apply_conf(s, text, "d.conf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments, 2);
  ASSERT_EQ(r->ignored.size(), 2u);
  EXPECT_EQ(
      r->ignored[0].to_string(),
      "d.conf:1: unknown sysctl 'net.ipv4.tcp_not_in_synack' (ignored: line starts with '-')");
  EXPECT_EQ(r->ignored[1].line, 2);
  EXPECT_EQ(s.get(SysctlId::kTcpSynRetries), 4);
  EXPECT_EQ(s.get(SysctlId::kTcpSynackRetries), 3);
}

TEST(SysctlConf, LaterLinesSeeEarlierOnes) {
  // The port range may start below 1024 only after ip_unprivileged_port_start is lowered.
  Sysctls s;
  ASSERT_TRUE(apply_conf(s,
                         "net.ipv4.ip_unprivileged_port_start = 0\n"
                         "net.ipv4.ip_local_port_range = 500 60999\n",
                         "a.conf"));
  EXPECT_EQ(s.get(SysctlId::kIpLocalPortRange), 500);
  Sysctls t;
  auto r = apply_conf(t,
                      "net.ipv4.ip_local_port_range = 500 60999\n"
                      "net.ipv4.ip_unprivileged_port_start = 0\n",
                      "b.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().at(0).line, 1);
}

TEST(SysctlConf, LinuxWarningsAreReportedNotFatal) {
  Sysctls s;
  auto r = apply_conf(s, "net.ipv4.ip_local_port_range = 32768 61000\n", "w.conf");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->ignored.size(), 1u);
  EXPECT_EQ(r->ignored[0].to_string(),
            "w.conf:1: ip_local_port_range: prefer different parity for start/end values.");
  EXPECT_EQ(s.values(SysctlId::kIpLocalPortRange)[1], 61000);
}

TEST(SysctlConf, LastLineWithoutNewlineAndValueWithEqualsSign) {
  Sysctls s;
  auto r = apply_conf(s, "net.ipv4.tcp_keepalive_time=600", "x.conf");
  ASSERT_TRUE(r);
  EXPECT_EQ(s.get(SysctlId::kTcpKeepaliveTime), 600);
  // Everything after the first '=' is the value, so a second '=' is a bad value.
  auto bad = apply_conf(s, "net.ipv4.tcp_keepalive_time = 1=2\n", "y.conf");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().at(0).to_string(),
            "y.conf:1: net.ipv4.tcp_keepalive_time: '1=2' is not an integer");
}

}  // namespace
}  // namespace synack::stack
