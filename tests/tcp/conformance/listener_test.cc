// The listener's two queues on the wire (SPEC §3.2, §5): every branch of the SYN-arrival order
// of SPEC §5.4 with its counters, tcp_abort_on_overflow 0 and 1 on the third ACK (SPEC §5.5,
// including the client that gets in later with 0), the request record's own rules (duplicate
// SYN, RST, a new SYN, SYN+ACK retries: Linux tcp_check_req(), reqsk_timer_handler()) and
// close() of a listener (SPEC §5.6). Several peers share the listener: each is a source port,
// and the script saves the stack's ISN for each one to come back to it.
#include <gtest/gtest.h>

#include <vector>

#include "stack/counters.h"
#include "stack/trace.h"
#include "tcp/harness/tcp_script.h"
#include "tcp/request_record.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using stack::SysctlId;

constexpr uint16_t kPeerA = 40001;
constexpr uint16_t kPeerB = 40002;
constexpr uint16_t kPeerC = 40003;
constexpr uint16_t kPeerD = 40004;

// Records the log lines the stack writes (SPEC §6.4).
class LogSink : public stack::TraceSink {
 public:
  void on_event(const stack::Event& e) override {
    if (e.kind == stack::EventKind::kLog) logs.push_back(e.log);
  }
  std::vector<stack::LogMessage> logs;
};

class ConformanceListener : public TcpScript {
 protected:
  void set_sysctl(SysctlId id, int64_t v) {
    auto r = stack().sysctls().set_value(id, v);
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  uint64_t counter(Counter c) { return stack().counters().value(c); }
  // listen() and then shrink the backlog (listen() again changes it, SPEC §5.1).
  SocketId listen_with_backlog(Instant t, int backlog) {
    const SocketId l = listen(t);
    EXPECT_EQ(stack().listen(l, backlog, t), 0);
    return l;
  }
  // A SYN from `port` answered by a SYN+ACK from a new request record; returns our ISN.
  uint32_t syn_gets_synack(Instant t, uint16_t port) {
    use_peer_port(port);
    inject(t, {.flags = syn, .seq = 0});
    expect(t, {.flags = syn_ack, .seq = 0, .ack = 1});
    return stack_isn();
  }
};

// SPEC §5.2, §5.4 second branch with tcp_syncookies = 0: the SYN queue is full when its length
// EXCEEDS max_ack_backlog (Linux 6.x): backlog 1 holds two requests, the third SYN is dropped
// with TCPReqQFullDrop and ListenDrops, and the warning is logged once per listener.
TEST_F(ConformanceListener, SynQueueFullWithoutCookiesDrops) {
  LogSink sink;
  stack().set_trace(&sink);
  set_sysctl(SysctlId::kTcpSyncookies, 0);
  listen_with_backlog(at(0_s), 1);
  syn_gets_synack(at(0_s), kPeerA);
  syn_gets_synack(at(0_s), kPeerB);
  EXPECT_EQ(stack().request_count(), 2u);
  use_peer_port(kPeerC);
  inject(at(10_ms), {.flags = syn, .seq = 0});
  expect_gone(at(10_ms));
  use_peer_port(kPeerD);
  inject(at(20_ms), {.flags = syn, .seq = 0});
  expect_gone(at(20_ms));
  expect_nothing_until(at(900_ms));
  EXPECT_EQ(counter(Counter::kTcpExtTCPReqQFullDrop), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtListenDrops), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPReqQFullDoCookies), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesSent), 0u);
  ASSERT_EQ(sink.logs.size(), 1u);
  EXPECT_EQ(sink.logs[0], stack::LogMessage::kSynFloodDrop);
  stack().set_trace(nullptr);
}

// SPEC §5.4 second branch with tcp_syncookies = 1: the third SYN gets a cookie SYN+ACK and no
// record (TCPReqQFullDoCookies, SyncookiesSent, one "Sending cookies" line); its ACK creates
// the connection directly (SyncookiesRecv, PassiveOpens) and accept() returns it.
TEST_F(ConformanceListener, SynQueueFullWithCookiesAnswersWithCookie) {
  LogSink sink;
  stack().set_trace(&sink);
  const SocketId l = listen_with_backlog(at(0_s), 1);
  syn_gets_synack(at(0_s), kPeerA);
  syn_gets_synack(at(0_s), kPeerB);
  use_peer_port(kPeerC);
  inject(at(10_ms), {.flags = syn, .seq = 0});
  // No timestamps in the SYN: the cookie SYN+ACK offers only the MSS (SPEC §6.3).
  expect(at(10_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .options = Opts{.mss = 1460}});
  expect_gone(at(10_ms));
  EXPECT_EQ(stack().request_count(), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPReqQFullDoCookies), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesSent), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtListenDrops), 0u);
  inject(at(20_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(20_ms), State::kEstablished);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesRecv), 1u);
  EXPECT_EQ(counter(Counter::kTcpPassiveOpens), 1u);
  const SocketId a = accept(at(20_ms), l);
  EXPECT_EQ(info(a).remote.port, kPeerC);
  ASSERT_EQ(sink.logs.size(), 1u);
  EXPECT_EQ(sink.logs[0], stack::LogMessage::kSynFloodCookies);
  stack().set_trace(nullptr);
}

// SPEC §5.3, §5.4 third branch: with the accept queue full (backlog 0 holds one connection) a
// SYN is dropped silently, counted as ListenOverflows and ListenDrops.
TEST_F(ConformanceListener, AcceptQueueFullDropsSyn) {
  listen_with_backlog(at(0_s), 0);
  syn_gets_synack(at(0_s), kPeerA);
  inject(at(10_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(10_ms), State::kEstablished);
  use_peer_port(kPeerB);
  inject(at(20_ms), {.flags = syn, .seq = 0});
  expect_gone(at(20_ms));
  expect_nothing_until(at(2_s));
  EXPECT_EQ(counter(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtListenDrops), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPReqQFullDrop), 0u);
}

// SPEC §5.4 fourth branch: with tcp_syncookies = 0 the last quarter of tcp_max_syn_backlog is
// kept for proven peers, and synack proves none (no tcp_metrics): with 8, the 8th request is
// dropped (8 − 7 < 8 / 4) although backlog 128 has room. Only ListenDrops counts it.
TEST_F(ConformanceListener, MaxSynBacklogKeepsTheLastQuarterWithoutCookies) {
  set_sysctl(SysctlId::kTcpSyncookies, 0);
  set_sysctl(SysctlId::kTcpMaxSynBacklog, 8);
  listen(at(0_s));
  for (uint16_t i = 0; i < 7; ++i)
    syn_gets_synack(at(0_s), static_cast<uint16_t>(41000 + i));
  use_peer_port(41007);
  inject(at(10_ms), {.flags = syn, .seq = 0});
  expect_gone(at(10_ms));
  expect_nothing_until(at(900_ms));
  EXPECT_EQ(stack().request_count(), 7u);
  EXPECT_EQ(counter(Counter::kTcpExtListenDrops), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPReqQFullDrop), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtListenOverflows), 0u);
}

// The same with cookies on (the default): the rule does not apply, the 8th SYN gets a record.
TEST_F(ConformanceListener, MaxSynBacklogRuleOnlyWithoutCookies) {
  set_sysctl(SysctlId::kTcpMaxSynBacklog, 8);
  listen(at(0_s));
  for (uint16_t i = 0; i < 8; ++i)
    syn_gets_synack(at(0_s), static_cast<uint16_t>(41000 + i));
  EXPECT_EQ(stack().request_count(), 8u);
  EXPECT_EQ(counter(Counter::kTcpExtListenDrops), 0u);
}

// SPEC §6.1 tcp_syncookies = 2, SPEC §5.4 first branch: every SYN gets a cookie, no record is
// kept, no log line (Linux logs only when cookies start because of a full queue).
TEST_F(ConformanceListener, SyncookiesTwoAlwaysAnswersWithCookie) {
  LogSink sink;
  stack().set_trace(&sink);
  set_sysctl(SysctlId::kTcpSyncookies, 2);
  const SocketId l = listen(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = Opts{.mss = 1460}});
  expect_gone(at(0_s));
  EXPECT_EQ(stack().request_count(), 0u);
  expect_nothing_until(at(5_s));  // no record, so no SYN+ACK retransmission
  inject(at(5_s), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(5_s), State::kEstablished);
  accept(at(5_s), l);
  EXPECT_EQ(counter(Counter::kTcpExtTCPReqQFullDoCookies), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesSent), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtSyncookiesRecv), 1u);
  EXPECT_TRUE(sink.logs.empty());
  stack().set_trace(nullptr);
}

// Three peers on backlog 1: A completes (accept queue 1), B and C get records, B completes
// (accept queue 2 > 1: full), so C's third ACK meets a full accept queue.
class AbortOnOverflow : public ConformanceListener {
 protected:
  uint32_t fill_then_third_ack_overflows(SocketId& l) {
    l = listen_with_backlog(at(0_s), 1);
    syn_gets_synack(at(0_s), kPeerA);
    inject(at(10_ms), {.flags = ack, .seq = 1, .ack = 1});
    const uint32_t isn_b = syn_gets_synack(at(20_ms), kPeerB);
    const uint32_t isn_c = syn_gets_synack(at(20_ms), kPeerC);
    use_peer_port(kPeerB, isn_b);
    inject(at(30_ms), {.flags = ack, .seq = 1, .ack = 1});
    expect_state(at(30_ms), State::kEstablished);
    use_peer_port(kPeerC, isn_c);
    inject(at(40_ms), {.flags = ack, .seq = 1, .ack = 1});
    EXPECT_EQ(counter(Counter::kTcpExtListenOverflows), 1u);
    EXPECT_EQ(counter(Counter::kTcpExtListenDrops), 1u);
    return isn_c;
  }
};

// SPEC §5.5, tcp_abort_on_overflow = 0: the ACK is dropped and the request kept; its SYN+ACK
// retransmission (1 s after the SYN) draws the client's ACK again, and once accept() made
// room that ACK gets the client in.
TEST_F(AbortOnOverflow, ZeroKeepsTheRequestAndTheClientGetsInLater) {
  SocketId l = 0;
  fill_then_third_ack_overflows(l);
  expect_state(at(40_ms), State::kSynReceived);
  accept(at(500_ms), l);
  expect(at(1020_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
  inject(at(1030_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(1030_ms), State::kEstablished);
  accept(at(1030_ms), l);
  const SocketId c = accept(at(1030_ms), l);
  EXPECT_EQ(info(c).remote.port, kPeerC);
  EXPECT_EQ(counter(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtEmbryonicRsts), 0u);
  EXPECT_EQ(counter(Counter::kTcpPassiveOpens), 3u);
}

// SPEC §5.5, tcp_abort_on_overflow = 1: the ACK is answered with RST (seq = SEG.ACK) and the
// request is forgotten (Linux embryonic_reset: EmbryonicRsts).
TEST_F(AbortOnOverflow, OneResetsAndForgets) {
  set_sysctl(SysctlId::kTcpAbortOnOverflow, 1);
  SocketId l = 0;
  fill_then_third_ack_overflows(l);
  expect(at(40_ms), {.flags = rst, .seq = 1});
  expect_gone(at(40_ms));
  expect_nothing_until(at(5_s));
  EXPECT_EQ(counter(Counter::kTcpExtEmbryonicRsts), 1u);
  EXPECT_EQ(stack().request_count(), 0u);
}

// Linux tcp_check_req(): RST in SYN-RECEIVED drops the record silently (EmbryonicRsts,
// AttemptFails); no more SYN+ACKs.
TEST_F(ConformanceListener, RstDropsTheRequest) {
  listen(at(0_s));
  syn_gets_synack(at(0_s), kPeerA);
  inject(at(100_ms), {.flags = rst, .seq = 1});
  expect_gone(at(100_ms));
  expect_nothing_until(at(10_s));
  EXPECT_EQ(counter(Counter::kTcpExtEmbryonicRsts), 1u);
  EXPECT_EQ(counter(Counter::kTcpAttemptFails), 1u);
}

// Linux tcp_check_req(): a SYN with another sequence number in SYN-RECEIVED is answered with
// RST and the record is dropped.
TEST_F(ConformanceListener, NewSynInSynReceivedResetsAndDrops) {
  listen(at(0_s));
  syn_gets_synack(at(0_s), kPeerA);
  inject(at(100_ms), {.flags = syn, .seq = 1000});
  // RFC 9293 §3.10.7.1 form: seq 0 (absolute), ack = SEG.SEQ + 1.
  expect(at(100_ms), {.flags = rst_ack, .seq = 0u - stack_isn(), .ack = 1001});
  expect_gone(at(100_ms));
  expect_nothing_until(at(10_s));
}

// SPEC §4.7 from the record: a duplicate SYN re-sends the SYN+ACK and restarts the timer from
// then (1 s later); the record shows its SYN+ACK timeouts and next deadline to views.
TEST_F(ConformanceListener, DuplicateSynResendsSynAckAndRestartsTheTimer) {
  listen(at(0_s));
  syn_gets_synack(at(0_s), kPeerA);
  expect(at(1_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  auto reqs = stack().requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].retransmits, 1u);
  EXPECT_EQ(reqs[0].deadline, at(3_s));
  EXPECT_EQ(reqs[0].remote, remote());
  inject(at(2_s), {.flags = syn, .seq = 0});
  expect(at(2_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(4_s), {.flags = syn_ack, .seq = 0, .ack = 1});  // 2 s + (1 s << 1)
  EXPECT_EQ(counter(Counter::kTcpExtTCPSynRetrans), 3u);
}

// SPEC §4.7: tcp_synack_retries SYN+ACK retransmissions (here 2: at 1 s and 3 s), then the
// request is dropped silently at 7 s.
TEST_F(ConformanceListener, SynAckRetriesExhaustedDropsSilently) {
  set_sysctl(SysctlId::kTcpSynackRetries, 2);
  listen(at(0_s));
  syn_gets_synack(at(0_s), kPeerA);
  expect(at(1_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect(at(3_s), {.flags = syn_ack, .seq = 0, .ack = 1});
  expect_state(at(7_s) - 1_ms, State::kSynReceived);
  expect_nothing_until(at(7_s));
  expect_gone(at(7_s));
  expect_nothing_until(at(30_s));
  EXPECT_EQ(stack().request_count(), 0u);
}

// SPEC §5.6: close() of a listener resets its unaccepted connections and drops its requests
// (no RST for a request; its client's next ACK finds no socket and is reset then).
TEST_F(ConformanceListener, CloseResetsUnacceptedAndDropsRequests) {
  const SocketId l = listen(at(0_s));
  syn_gets_synack(at(0_s), kPeerA);
  inject(at(10_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(10_ms), State::kEstablished);
  const uint32_t isn_b = syn_gets_synack(at(20_ms), kPeerB);
  close(at(30_ms), l);
  use_peer_port(kPeerA);
  expect(at(30_ms), {.flags = rst_ack, .seq = any, .ack = any});
  expect_gone(at(30_ms));
  use_peer_port(kPeerB, isn_b);
  expect_gone(at(30_ms));
  EXPECT_EQ(stack().request_count(), 0u);
  expect_nothing_until(at(5_s));  // no SYN+ACK retransmission for B
  inject(at(5_s), {.flags = ack, .seq = 1, .ack = 1});
  expect(at(5_s), {.flags = rst, .seq = 1});
}

// Request records cost memory only while they exist, and the table reports it.
TEST_F(ConformanceListener, RequestBytesFollowTheRecords) {
  listen(at(0_s));
  EXPECT_EQ(stack().request_count(), 0u);
  syn_gets_synack(at(0_s), kPeerA);
  syn_gets_synack(at(0_s), kPeerB);
  EXPECT_EQ(stack().request_count(), 2u);
  EXPECT_GE(stack().request_bytes(), 2 * sizeof(tcp::RequestRecord));
  EXPECT_EQ(stack().connection_count(), 0u);  // records are not connections
}

}  // namespace
}  // namespace synack::tcptest
