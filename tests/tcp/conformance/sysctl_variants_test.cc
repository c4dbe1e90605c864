// The same wire behaviour under non-default sysctls (SPEC §18: every default is a named,
// settable parameter), and the named counters that say why something happened (SPEC §16.3).
#include <gtest/gtest.h>

#include "stack/counters.h"
#include "stack/sysctl.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using stack::SysctlId;

class ConformanceSysctl : public TcpScript {
 protected:
  void set_sysctl(SysctlId id, int64_t v) {
    auto r = stack().sysctls().set_value(id, v);
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  uint64_t counter(Counter c) { return stack().counters().value(c); }
};

// SPEC §4.6, "older Linux" tcp_syn_retries 5: last SYN at 31 s, failure at 63 s.
TEST_F(ConformanceSysctl, SynRetriesFive) {
  set_sysctl(SysctlId::kTcpSynRetries, 5);
  const SocketId s = open();
  connect(at(0_s), s);
  for (int t : {0, 1, 3, 7, 15, 31})
    expect(at(Duration::seconds(t)), {.flags = syn, .seq = 0});
  expect_state(at(63_s) - 1_ms, State::kSynSent);
  expect_nothing_until(at(63_s));
  expect_gone(at(63_s));
  expect_error(at(63_s), s, ETIMEDOUT);
  EXPECT_EQ(counter(Counter::kTcpAttemptFails), 1u);
}

// SPEC §9.5: with tcp_rfc1337 = 1 an RST does not kill TIME-WAIT (Linux drops it silently and
// keeps the original expiry: tcp_timewait_state_process reschedules only for bare ACKs).
TEST_F(ConformanceSysctl, Rfc1337KeepsTimeWaitAgainstRst) {
  set_sysctl(SysctlId::kTcpRfc1337, 1);
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  inject(at(2_s), {.flags = rst, .seq = 2});
  expect_state(at(61099_ms), State::kTimeWait);
  expect_nothing_until(at(61100_ms));
  expect_gone(at(61100_ms));
}

// SPEC §8.7: tcp_orphan_retries 3 → budget tcp_model_timeout(3, 200 ms) = 15 × 0.2 = 3.0 s
// from the first retransmission (close + 0.2 s). FINs at +0.2, 0.6, 1.4 and 3.0 s (2.8 s into
// the budget, so still sent); the firing at +6.2 s ends the orphan silently.
TEST_F(ConformanceSysctl, OrphanRetriesThree) {
  set_sysctl(SysctlId::kTcpOrphanRetries, 3);
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  for (int ms : {1200, 1600, 2400, 4000}) {
    expect(at(Duration::millis(ms)), {.flags = fin_ack, .seq = 1, .ack = 1});
  }
  expect_state(at(7199_ms), State::kFinWait1);
  expect_nothing_until(at(7200_ms));
  expect_gone(at(7200_ms));
  expect_nothing_until(at(100_s));
}

// SPEC §8.8: tcp_fin_timeout 30 bounds the orphan's FIN-WAIT-2 to 30 s; TIME-WAIT stays 60 s
// (SPEC §9.2: tcp_fin_timeout does not change it).
TEST_F(ConformanceSysctl, FinTimeoutThirty) {
  set_sysctl(SysctlId::kTcpFinTimeout, 30);
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(31_s) - 1_ms, State::kFinWait2);
  expect_nothing_until(at(31_s));
  expect_gone(at(31_s));
}

TEST_F(ConformanceSysctl, FinTimeoutDoesNotShortenTimeWait) {
  set_sysctl(SysctlId::kTcpFinTimeout, 30);
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1_s), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(61_s) - 1_ms, State::kTimeWait);
  expect_nothing_until(at(61_s));
  expect_gone(at(61_s));
}

// SPEC §11.1: the keepalive sysctls (100 s / 5 s / 2 probes): probes at 100, 105 s, RST and
// ETIMEDOUT at 110 s; TCPKeepAlive counts the probes.
TEST_F(ConformanceSysctl, KeepaliveSysctls) {
  set_sysctl(SysctlId::kTcpKeepaliveTime, 100);
  set_sysctl(SysctlId::kTcpKeepaliveIntvl, 5);
  set_sysctl(SysctlId::kTcpKeepaliveProbes, 2);
  const SocketId s = open();
  set_option(s, SockOpt::kKeepAlive, 1);
  establish_active(0_s, at(0_s), s);
  expect(at(100_s), {.flags = ack, .seq = 0, .ack = 1, .len = 0});
  expect(at(105_s), {.flags = ack, .seq = 0, .ack = 1, .len = 0});
  expect_nothing_until(at(110_s));
  expect(at(110_s), {.flags = rst_ack, .seq = 1, .ack = 1});
  expect_error(at(110_s), s, ETIMEDOUT);
  EXPECT_EQ(counter(Counter::kTcpExtTCPKeepAlive), 2u);
}

// SPEC §16.3: the counters name the cause. RFC 5961 challenge → TCPChallengeACK; RST in
// ESTABLISHED → EstabResets; close() with unread data → TCPAbortOnClose.
TEST_F(ConformanceSysctl, CountersNameTheCause) {
  auto [l, a] = establish_passive();
  const uint64_t challenges = counter(Counter::kTcpExtTCPChallengeACK);
  inject(at(1_s), {.flags = rst, .seq = 11});
  expect(at(1_s), {.flags = ack, .seq = 1, .ack = 1});
  EXPECT_EQ(counter(Counter::kTcpExtTCPChallengeACK), challenges + 1);

  inject(at(2_s), {.flags = psh_ack, .seq = 1, .ack = 1, .len = 10});
  expect_acks_until(at(2200_ms), {.flags = ack, .seq = 1, .ack = 11});
  const uint64_t abort_on_close = counter(Counter::kTcpExtTCPAbortOnClose);
  close(at(3_s), a);
  expect(at(3_s), {.flags = rst_ack, .seq = 1, .ack = 11});
  EXPECT_EQ(counter(Counter::kTcpExtTCPAbortOnClose), abort_on_close + 1);
  (void)l;
}

TEST_F(ConformanceSysctl, EstabResetsCountsAcceptedRst) {
  establish_active();
  const uint64_t before = counter(Counter::kTcpEstabResets);
  inject(at(1_s), {.flags = rst, .seq = 1});
  expect_gone(at(1_s));
  EXPECT_EQ(counter(Counter::kTcpEstabResets), before + 1);
}

}  // namespace
}  // namespace synack::tcptest
