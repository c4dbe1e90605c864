// State name tables of src/tcp/state.h against the tools' own tables (SPEC §16.1):
// ss (iproute2 misc/ss.c sstate_name), netstat (net-tools tcp_state[]), /proc/net/tcp numbers
// (include/net/tcp_states.h). The expected strings are typed from SPEC §16.1, not from state.h.
#include "tcp/state.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace synack::tcp {
namespace {

struct Row {
  State s;
  const char* rfc;
  const char* ss;
  const char* netstat;
  int proc;
};

constexpr Row kRows[] = {
    {State::kEstablished, "ESTABLISHED", "ESTAB", "ESTABLISHED", 0x01},
    {State::kSynSent, "SYN-SENT", "SYN-SENT", "SYN_SENT", 0x02},
    {State::kSynReceived, "SYN-RECEIVED", "SYN-RECV", "SYN_RECV", 0x03},
    {State::kFinWait1, "FIN-WAIT-1", "FIN-WAIT-1", "FIN_WAIT1", 0x04},
    {State::kFinWait2, "FIN-WAIT-2", "FIN-WAIT-2", "FIN_WAIT2", 0x05},
    {State::kTimeWait, "TIME-WAIT", "TIME-WAIT", "TIME_WAIT", 0x06},
    {State::kClosed, "CLOSED", "UNCONN", "CLOSE", 0x07},
    {State::kCloseWait, "CLOSE-WAIT", "CLOSE-WAIT", "CLOSE_WAIT", 0x08},
    {State::kLastAck, "LAST-ACK", "LAST-ACK", "LAST_ACK", 0x09},
    {State::kListen, "LISTEN", "LISTEN", "LISTEN", 0x0A},
    {State::kClosing, "CLOSING", "CLOSING", "CLOSING", 0x0B},
    // A request record shows as SYN-RECV everywhere, like Linux's request socks.
    {State::kNewSynRecv, "NEW-SYN-RECV", "SYN-RECV", "SYN_RECV", 0x03},
};

TEST(StateNames, EveryStateInEveryTable) {
  static_assert(std::size(kRows) == kStateCount);
  std::set<int> seen;
  for (const Row& r : kRows) {
    SCOPED_TRACE(r.rfc);
    seen.insert(static_cast<int>(r.s));
    EXPECT_EQ(rfc_name(r.s), r.rfc);
    EXPECT_EQ(to_string(r.s), r.rfc);
    EXPECT_EQ(ss_name(r.s), r.ss);
    EXPECT_EQ(netstat_name(r.s), r.netstat);
    EXPECT_EQ(proc_net_tcp_state(r.s), r.proc);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kStateCount));
}

TEST(StateNames, LinuxEnumNumbers) {
  EXPECT_EQ(linux_state_number(State::kEstablished), 1);
  EXPECT_EQ(linux_state_number(State::kClosing), 11);
  EXPECT_EQ(linux_state_number(State::kNewSynRecv), 12);
  EXPECT_EQ(linux_state_number(State::kListen), 10);
  // Every RFC state's Linux number is its /proc/net/tcp number.
  for (int i = 0; i < kStateCount; ++i) {
    const auto s = static_cast<State>(i);
    if (s != State::kNewSynRecv) {
      EXPECT_EQ(linux_state_number(s), proc_net_tcp_state(s));
    }
  }
}

TEST(StateNames, ParseAcceptsEverySpellingCaseInsensitively) {
  EXPECT_EQ(parse_state("ESTAB"), State::kEstablished);
  EXPECT_EQ(parse_state("established"), State::kEstablished);
  EXPECT_EQ(parse_state("time-wait"), State::kTimeWait);
  EXPECT_EQ(parse_state("TIME_WAIT"), State::kTimeWait);
  EXPECT_EQ(parse_state("fin_wait1"), State::kFinWait1);
  EXPECT_EQ(parse_state("SYN-RECV"), State::kSynReceived);
  EXPECT_EQ(parse_state("UNCONN"), State::kClosed);
  EXPECT_EQ(parse_state("close"), State::kClosed);
  EXPECT_EQ(parse_state("new-syn-recv"), State::kNewSynRecv);
  EXPECT_FALSE(parse_state("ESTABLISHE").has_value());
  EXPECT_FALSE(parse_state("").has_value());
  for (const Row& r : kRows) {
    EXPECT_TRUE(parse_state(r.rfc).has_value()) << r.rfc;
    EXPECT_TRUE(parse_state(r.netstat).has_value()) << r.netstat;
  }
}

TEST(StateNames, SynchronizedStates) {
  // RFC 9293 §3.5: ESTABLISHED and everything after it.
  EXPECT_FALSE(is_synchronized(State::kClosed));
  EXPECT_FALSE(is_synchronized(State::kListen));
  EXPECT_FALSE(is_synchronized(State::kSynSent));
  EXPECT_FALSE(is_synchronized(State::kSynReceived));
  EXPECT_FALSE(is_synchronized(State::kNewSynRecv));
  EXPECT_TRUE(is_synchronized(State::kEstablished));
  EXPECT_TRUE(is_synchronized(State::kTimeWait));
  EXPECT_TRUE(is_synchronized(State::kLastAck));
}

}  // namespace
}  // namespace synack::tcp
