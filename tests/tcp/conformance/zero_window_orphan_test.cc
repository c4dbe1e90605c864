// The orphan limit on the zero-window probe path (SPEC §7.2, §8.7). Linux tcp_probe_timer()
// checks a SOCK_DEAD socket before sending each probe: its tcp_orphan_retries() bound once its
// backed-off RTO reached TCP_RTO_MAX, then tcp_out_of_resources(sk, do_reset = true) — with
// more orphans than tcp_max_orphans (the count shifted left by one when nothing has been heard
// from the peer for 2 × TCP_RTO_MAX) the orphan is reset (RST always: do_reset is true here),
// TCPAbortOnMemory counts it and "TCP: too many orphaned sockets" is logged.
// The orphan here: 1000 bytes queued behind a zero window, then close() — FIN-WAIT-1 with
// nothing in flight, kept alive only by probes. RTO 200 ms, so probes at 1.2 s, then the
// backed-off interval from each firing (or from each window-0 answer).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/counters.h"
#include "stack/trace.h"
#include "tcp/harness/log_lines.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using stack::SysctlId;

class ZeroWindowOrphan : public TcpScript {
 protected:
  static SegSpec bare_probe() { return {.flags = ack, .seq = 0, .ack = 1, .len = 0}; }
  static SegSpec window_zero() { return {.flags = ack, .seq = 1, .ack = 1, .win = 0}; }
  // The orphan pinned by a zero window, closed at 1 s.
  void pinned_orphan() {
    const SocketId s = establish_active();
    inject(at(500_ms), window_zero());
    send(at(1_s), s, 1000);
    close(at(1_s), s);
    expect_state(at(1_s), State::kFinWait1);
  }
};

// The limit lowered at run time: the next probe firing resets the orphan instead of probing.
TEST_F(ZeroWindowOrphan, ProbeFiringOverTheLimitResets) {
  LogLines logs;
  stack().set_trace(&logs);
  pinned_orphan();
  expect(at(1200_ms), bare_probe());
  inject(at(1220_ms), window_zero());
  expect_state(at(1220_ms), State::kFinWait1);  // one orphan, tcp_max_orphans large: fine
  set_sysctl(SysctlId::kTcpMaxOrphans, 0);
  expect_nothing_until(at(1620_ms));
  expect(at(1620_ms), {.flags = rst_ack, .seq = 1, .ack = 1});
  expect_gone(at(1620_ms));
  expect_nothing_until(at(10_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnMemory], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPWinProbe], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnTimeout], 0u);
  ASSERT_EQ(logs.lines.size(), 1u);
  EXPECT_EQ(logs.lines[0], "TCP: too many orphaned sockets");
  stack().set_trace(nullptr);
}

// At the limit (1 orphan, tcp_max_orphans 1) the orphan keeps probing while the peer was
// heard within 2 × TCP_RTO_MAX = 240 s; after that silence the count is doubled (shift 1)
// and the next firing resets it. tcp_orphan_retries 15 keeps the retry bound out of the way
// (not alive from backoff 10 on, but 10 < 15 and probes_out stays below 15).
TEST_F(ZeroWindowOrphan, LongSilenceDoublesTheOrphanCount) {
  set_sysctl(SysctlId::kTcpMaxOrphans, 1);
  set_sysctl(SysctlId::kTcpOrphanRetries, 15);
  pinned_orphan();
  // Unanswered probes: 1.2 s, then 0.4, 0.8, ... 102.4 s after each, then 120 s (TCP_RTO_MAX).
  const Instant probes[] = {at(1200_ms),  at(1600_ms),  at(2400_ms),  at(4000_ms),   at(7200_ms),
                            at(13600_ms), at(26400_ms), at(52000_ms), at(103200_ms), at(205600_ms)};
  for (const Instant p : probes) {
    expect_nothing_until(p);
    expect(p, bare_probe());  // at 205.6 s the peer was last heard 205.1 s ago: < 240 s
  }
  // 325.6 s: last heard 325.1 s ago, 1 << 1 > 1.
  expect_nothing_until(at(325600_ms));
  expect(at(325600_ms), {.flags = rst_ack, .seq = 1, .ack = 1});
  expect_gone(at(325600_ms));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnMemory], 1u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPWinProbe], 10u);
}

// Under the limit the orphan's own retry bound still ends it (tcp_write_err(): no RST).
TEST_F(ZeroWindowOrphan, UnderTheLimitTheRetryBoundEndsItWithoutReset) {
  set_sysctl(SysctlId::kTcpOrphanRetries, 2);
  pinned_orphan();
  expect(at(1200_ms), bare_probe());
  expect(at(1600_ms), bare_probe());
  expect_state(at(2399_ms), State::kFinWait1);
  expect_gone(at(2400_ms));  // probes_out 2 >= 2: given up, nothing sent
  expect_nothing_until(at(10_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnMemory], 0u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnTimeout], 1u);
}

}  // namespace
}  // namespace synack::tcptest
