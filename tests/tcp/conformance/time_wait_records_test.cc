// TIME-WAIT as compact records in the TIME-WAIT table (SPEC §3.2, §9.6, §9.7, §9.8), the
// orphan's FIN-WAIT-2 record (SPEC §8.8) and the orphan limit (SPEC §8.7), at the wire.
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

class TimeWaitRecords : public TcpScript {
 protected:
  // Active open, our FIN at 1 s, the peer's FIN+ACK at 1.1 s, our last ACK: TIME-WAIT.
  void close_into_time_wait(SocketId s) {
    close(at(1_s), s);
    expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
    inject(at(1100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
    expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 2});
  }
  void with_timestamps() {
    peer_syn_options = Opts{.mss = 1460, .sack_ok = true, .ts = Ts{}, .wscale = 7};
  }
  int connect_rc(Instant t, SocketId s) {
    return stack().connect(s, Endpoint{kPeerAddr, kServerPort}, t);
  }
};

// SPEC §3.2, §9.6: the connection leaves the connection table for a record; the record is
// what state_of() reports, with the final ACK's numbers.
TEST_F(TimeWaitRecords, TimeWaitIsARecordNotATcb) {
  const SocketId s = establish_active();
  close_into_time_wait(s);
  expect_state(at(1100_ms), State::kTimeWait);
  EXPECT_EQ(stack().find_connection(local(), remote()), nullptr);
  const auto r = stack().find_time_wait(local(), remote());
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->fin_wait2);
  EXPECT_EQ(r->snd_nxt.raw(), stack_isn() + 2);
  EXPECT_EQ(r->rcv_nxt.raw(), kPeerIsn + 2);
  EXPECT_EQ(stack().time_wait_count(), 1u);
  EXPECT_EQ(r->deadline(), at(61100_ms));
  expect_gone(at(61100_ms));
  EXPECT_EQ(stack().time_wait_count(), 0u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTW], 1u);
}

// Linux tcp_time_wait() + tcp_done(): an application that still holds the socket (it only
// shut down writing) sees CLOSED once the connection is in TIME-WAIT, and its unread data is
// still readable, then EOF.
TEST_F(TimeWaitRecords, SocketStillHeldSeesClosedAndReadsItsData) {
  const SocketId s = establish_active();
  shutdown(at(1_s), s, ShutdownHow::kWrite);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1100_ms), {.flags = fin_ack | psh, .seq = 1, .ack = 2, .data = "bye"});
  expect(at(1100_ms), {.flags = ack, .seq = 2, .ack = 5});
  expect_state(at(1100_ms), State::kTimeWait);
  EXPECT_EQ(info(s).state, State::kClosed);
  EXPECT_EQ(recv(at(1200_ms), s, 3), "bye");
  EXPECT_EQ(recv(at(1200_ms), s, 0), "");
  close(at(2_s), s);
  expect_state(at(2_s), State::kTimeWait);  // closing the socket does not touch the record
}

// SPEC §8.8: an orphan's FIN-WAIT-2 is a record in its FIN-WAIT-2 sub-state; a FIN turns it
// into TIME-WAIT.
TEST_F(TimeWaitRecords, OrphanFinWait2IsARecord) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(1_s), State::kFinWait2);
  EXPECT_EQ(stack().find_connection(local(), remote()), nullptr);
  const auto r = stack().find_time_wait(local(), remote());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->fin_wait2);
  EXPECT_EQ(r->deadline(), at(61_s));
  inject(at(2_s), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(2_s), {.flags = ack, .seq = 2, .ack = 2});
  EXPECT_FALSE(stack().find_time_wait(local(), remote())->fin_wait2);
  expect_state(at(61999_ms), State::kTimeWait);
  expect_gone(at(62_s));
}

// Linux tcp_timewait_state_process(), FIN-WAIT-2 sub-state: new data after our half-duplex
// close is answered with RST and the record goes.
TEST_F(TimeWaitRecords, DataInFinWait2RecordIsReset) {
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  inject(at(2_s), {.flags = psh_ack, .seq = 1, .ack = 2, .data = "late"});
  expect(at(2_s), {.flags = rst, .seq = 2});
  expect_gone(at(2_s));
}

// tcp_fin_timeout above 60 s (SPEC §8.8): the part beyond 60 s as a full socket, then a
// 60 s FIN-WAIT-2 record.
TEST_F(TimeWaitRecords, LongFinTimeoutSpendsTheExcessAsAFullSocket) {
  set_sysctl(SysctlId::kTcpFinTimeout, 100);
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(1_s), {.flags = ack, .seq = 1, .ack = 2});
  expect_state(at(40_s), State::kFinWait2);
  EXPECT_NE(stack().find_connection(local(), remote()), nullptr);
  expect_state(at(41_s), State::kFinWait2);
  EXPECT_EQ(stack().find_connection(local(), remote()), nullptr);
  EXPECT_TRUE(stack().find_time_wait(local(), remote()).has_value());
  expect_state(at(101_s) - 1_ms, State::kFinWait2);
  expect_gone(at(101_s));
}

// SPEC §9.7: with tcp_max_tw_buckets records the closing socket is destroyed at once,
// TCPTimeWaitOverflow counts it and the log says so; a runtime change takes effect.
TEST_F(TimeWaitRecords, MaxTwBucketsOverflowDestroysTheSocket) {
  LogLines logs;
  stack().set_trace(&logs);
  set_sysctl(SysctlId::kTcpMaxTwBuckets, 0);
  const SocketId s = establish_active();
  close_into_time_wait(s);
  expect_gone(at(1100_ms));
  EXPECT_EQ(stack().time_wait_count(), 0u);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPTimeWaitOverflow], 1u);
  ASSERT_EQ(logs.lines.size(), 1u);
  EXPECT_EQ(logs.lines[0], "TCP: time wait bucket table overflow");
  // The peer's retransmitted FIN now meets no socket: RST (SPEC §9.3 (a), why it is blunt).
  inject(at(1300_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(1300_ms), {.flags = rst, .seq = 2});

  set_sysctl(SysctlId::kTcpMaxTwBuckets, 1);
  const SocketId s2 = establish_active(0_s, at(2_s));
  close(at(3_s), s2);
  expect(at(3_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  inject(at(3100_ms), {.flags = fin_ack, .seq = 1, .ack = 2});
  expect(at(3100_ms), {.flags = ack, .seq = 2, .ack = 2});
  expect_state(at(3100_ms), State::kTimeWait);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPTimeWaitOverflow], 1u);
  stack().set_trace(nullptr);
}

// SPEC §8.7 (Linux tcp_close() → tcp_check_oom()): beyond tcp_max_orphans a newly orphaned
// socket sends its FIN and is then reset, TCPAbortOnMemory counts it, the log says "too many
// orphaned sockets". Up to the limit orphans live on.
TEST_F(TimeWaitRecords, OrphansBeyondTheLimitAreReset) {
  LogLines logs;
  stack().set_trace(&logs);
  set_sysctl(SysctlId::kTcpMaxOrphans, 1);
  const SocketId s1 = establish_active();
  close(at(1_s), s1);  // orphan 1 of 1: FIN-WAIT-1, fine
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect_state(at(1_s), State::kFinWait1);
  const Endpoint first_local = local();

  const SocketId s2 = establish_active(0_s, at(1_s));
  close(at(1_s), s2);  // orphan 2 of 1: reset
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1_s), {.flags = rst_ack, .seq = 2, .ack = 1});
  expect_gone(at(1_s));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnMemory], 1u);
  ASSERT_EQ(logs.lines.size(), 1u);
  EXPECT_EQ(logs.lines[0], "TCP: too many orphaned sockets");
  EXPECT_EQ(stack().state_of(first_local, remote()), State::kFinWait1);
  stack().set_trace(nullptr);
}

// SPEC §8.7, the timer path (Linux tcp_write_timeout() → tcp_out_of_resources()): an orphan
// whose retransmission timer fires while there are more orphans than tcp_max_orphans is
// reset instead of retransmitting (the limit was lowered at run time here).
TEST_F(TimeWaitRecords, OrphanTimerOverTheLimitResets) {
  LogLines logs;
  stack().set_trace(&logs);
  set_sysctl(SysctlId::kTcpMaxOrphans, 1);
  const SocketId s = establish_active();
  close(at(1_s), s);
  expect(at(1_s), {.flags = fin_ack, .seq = 1, .ack = 1});
  expect(at(1200_ms), {.flags = fin_ack, .seq = 1, .ack = 1});  // RTO 200 ms: retransmitted
  set_sysctl(SysctlId::kTcpMaxOrphans, 0);
  expect(at(1600_ms), {.flags = rst_ack, .seq = 2, .ack = 1});
  expect_gone(at(1600_ms));
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTCPAbortOnMemory], 1u);
  ASSERT_EQ(logs.lines.size(), 1u);
  EXPECT_EQ(logs.lines[0], "TCP: too many orphaned sockets");
  stack().set_trace(nullptr);
}

// SPEC §9.8: tcp_tw_reuse = 1 lets connect() take over a TIME-WAIT tuple once its last
// timestamp is more than tcp_tw_reuse_delay old, with ISN = old SND.NXT + 65535 + 2 (Linux
// tcp_twsk_unique()); TWRecycled counts it. One local port makes the tuple the same.
TEST_F(TimeWaitRecords, TwReuseTakesTheTupleOnlyAfterTheDelay) {
  with_timestamps();
  ASSERT_TRUE(stack().sysctls().set("net.ipv4.ip_local_port_range", "40000 40000").has_value());
  set_sysctl(SysctlId::kTcpTwReuse, 1);
  const SocketId s = establish_active();
  close_into_time_wait(s);  // ts_recent stamped at 1.1 s
  const uint32_t old_isn = stack_isn();
  const SocketId s2 = open();
  EXPECT_EQ(connect_rc(at(2100_ms), s2), EADDRNOTAVAIL);  // exactly 1000 ms: not yet
  expect_state(at(2100_ms), State::kTimeWait);
  const SocketId s3 = open();
  connect(at(2101_ms), s3);
  const wire::Packet syn_pkt =
      expect(at(2101_ms), {.flags = syn, .seq = 0, .options = linux_syn_options()});
  EXPECT_EQ(syn_pkt.tcp.seq.raw(), old_isn + 2 + 65535 + 2);
  EXPECT_EQ(syn_pkt.tcp.src_port, 40000);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTWRecycled], 1u);
  expect_state(at(2101_ms), State::kSynSent);
  EXPECT_EQ(stack().time_wait_count(), 0u);
}

// SPEC §9.8: never without timestamps on the old connection.
TEST_F(TimeWaitRecords, TwReuseNeedsTimestamps) {
  ASSERT_TRUE(stack().sysctls().set("net.ipv4.ip_local_port_range", "40000 40000").has_value());
  set_sysctl(SysctlId::kTcpTwReuse, 1);
  const SocketId s = establish_active();
  close_into_time_wait(s);
  const SocketId s2 = open();
  EXPECT_EQ(connect_rc(at(30_s), s2), EADDRNOTAVAIL);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTWRecycled], 0u);
  expect_state(at(30_s), State::kTimeWait);
}

// SPEC §9.8: not with tcp_tw_reuse = 0, nor with 2 (loopback only) for this non-loopback
// peer, nor with tcp_timestamps = 0 now.
TEST_F(TimeWaitRecords, TwReuseOffLoopbackOnlyOrTimestampsOff) {
  with_timestamps();
  ASSERT_TRUE(stack().sysctls().set("net.ipv4.ip_local_port_range", "40000 40000").has_value());
  const SocketId s = establish_active();
  close_into_time_wait(s);
  for (int64_t reuse : {0, 2}) {
    set_sysctl(SysctlId::kTcpTwReuse, reuse);
    const SocketId s2 = open();
    EXPECT_EQ(connect_rc(at(30_s), s2), EADDRNOTAVAIL) << "tcp_tw_reuse " << reuse;
  }
  set_sysctl(SysctlId::kTcpTwReuse, 1);
  set_sysctl(SysctlId::kTcpTimestamps, 0);
  const SocketId s3 = open();
  EXPECT_EQ(connect_rc(at(30_s), s3), EADDRNOTAVAIL);
  set_sysctl(SysctlId::kTcpTimestamps, 1);
  const SocketId s4 = open();
  EXPECT_EQ(connect_rc(at(30_s), s4), EINPROGRESS);
  EXPECT_EQ(stack().counters()[Counter::kTcpExtTWRecycled], 1u);
}

}  // namespace
}  // namespace synack::tcptest
