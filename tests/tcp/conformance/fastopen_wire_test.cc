// TCP Fast Open on the wire, server side (SPEC §13.2, §13.4; Linux tcp_try_fastopen() and
// tcp_fastopen_create_child()): a cookie request answered with the cookie, a SYN with a valid
// cookie and data delivered at accept() before the third ACK and acknowledged by the SYN+ACK,
// the bad-cookie fallback, tcp_fastopen 0x200 (no cookie needed), the TCP_FASTOPEN queue limit
// and the SYN-RECEIVED child's own SYN+ACK retransmission; and the round trips a request/response
// costs with and without Fast Open (SPEC §13.3).
//
// The test plays the client. The key is set through net.ipv4.tcp_fastopen_key so the test can
// compute the cookie the server must hand out (tcp::FastOpenServer, unit-tested against Linux's
// SipHash layout in tests/tcp/fastopen_test.cc).
#include <gtest/gtest.h>

#include <array>

#include "stack/counters.h"
#include "tcp/fastopen.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using stack::SysctlId;

constexpr std::array<int64_t, 4> kKeyWords = {0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10};

class ConformanceFastOpen : public TcpScript {
 protected:
  ConformanceFastOpen() {
    set_sysctl(SysctlId::kTcpFastopen, 0x3);  // client and server
    auto r = stack().sysctls().set_values(SysctlId::kTcpFastopenKey, kKeyWords);
    EXPECT_TRUE(r.has_value()) << r.error().message;
  }
  void set_sysctl(SysctlId id, int64_t v) {
    auto r = stack().sysctls().set_value(id, v);
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  uint64_t counter(Counter c) { return stack().counters().value(c); }

  // A listener with TCP_FASTOPEN = qlen (set after listen(), as Linux allows).
  SocketId fastopen_listener(Instant t, int64_t qlen = 16) {
    const SocketId l = listen(t);
    set_option(l, SockOpt::kFastOpen, qlen);
    return l;
  }
  static wire::FastOpenCookie valid_cookie() {
    const tcp::FastOpenServer keys{tcp::fastopen_key_from_words(kKeyWords)};
    return keys.cookie_for(kPeerAddr, kLocalAddr);
  }
  static wire::FastOpenCookie bad_cookie() {
    wire::FastOpenCookie c = valid_cookie();
    c.bytes[0] ^= 0xff;
    return c;
  }
  static Opts syn_opts(std::optional<wire::FastOpenCookie> tfo) {
    return Opts{.mss = 1460, .sack_ok = true, .wscale = 7, .tfo = tfo};
  }
  static Opts synack_opts(std::optional<wire::FastOpenCookie> tfo = std::nullopt) {
    return Opts{.mss = 1460, .sack_ok = true, .wscale = 7, .tfo = tfo};
  }
};

// SPEC §13.2: an empty Fast Open option is a cookie request; the SYN+ACK carries the cookie
// (8 bytes, kind 34), the handshake is otherwise ordinary.
TEST_F(ConformanceFastOpen, CookieRequestIsAnsweredWithTheCookie) {
  const SocketId l = fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(wire::FastOpenCookie{})});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts(valid_cookie())});
  EXPECT_EQ(valid_cookie().len, 8);
  inject(at(100_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);
  (void)accept(at(100_ms), l);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenCookieReqd), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 0u);
}

// SPEC §13.2: a valid cookie with data. The child exists at once in SYN-RECEIVED and is in the
// accept queue; the data is readable right after accept(), before the third ACK; the SYN+ACK
// acknowledges it (ack 1 + 5) and carries no cookie; the server may answer before the third
// ACK; the third ACK then completes the handshake.
TEST_F(ConformanceFastOpen, DataInSynIsReadableAtAcceptBeforeTheThirdAck) {
  const SocketId l = fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "GET /"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 6, .options = synack_opts()});
  expect_state(at(0_s), State::kSynReceived);
  const SocketId a = accept(at(10_ms), l);
  EXPECT_EQ(recv(at(10_ms), a, 5), "GET /");
  EXPECT_NE(stack().readiness(a) & ready::kOut, 0u);  // Linux tcp_poll(): writable in SYN-RECV
  send(at(10_ms), a, "200 OK");
  expect(at(10_ms), {.flags = psh_ack, .seq = 1, .ack = 6, .data = "200 OK"});
  expect_state(at(10_ms), State::kSynReceived);
  inject(at(100_ms), {.flags = ack, .seq = 6, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);
  inject(at(100_ms), {.flags = ack, .seq = 6, .ack = 7});
  expect_nothing_until(at(1_s));
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassiveFail), 0u);
  EXPECT_EQ(counter(Counter::kTcpPassiveOpens), 1u);
  EXPECT_EQ(stack().request_count(), 0u);  // no request record: the child was made at once
}

// The SYN-RECEIVED child retransmits its SYN+ACK from its own timer (RTO 1 s, then 2 s), still
// acknowledging the data; a late third ACK completes it.
TEST_F(ConformanceFastOpen, ChildRetransmitsItsSynAck) {
  const SocketId l = fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "hi"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 3, .options = synack_opts()});
  expect(at(1_s), {.flags = syn_ack, .seq = 0, .ack = 3, .options = synack_opts()});
  expect(at(3_s), {.flags = syn_ack, .seq = 0, .ack = 3, .options = synack_opts()});
  inject(at(3100_ms), {.flags = ack, .seq = 3, .ack = 1});
  expect_state(at(3100_ms), State::kEstablished);
  const SocketId a = accept(at(3100_ms), l);
  EXPECT_EQ(recv(at(3100_ms), a, 2), "hi");
}

// SPEC §13.2 invalid cookie: only the SYN is acknowledged (the data is dropped), the SYN+ACK
// carries the valid cookie for next time (Linux tcp_fastopen_cookie_check path), and the client
// sends the data again after the handshake.
TEST_F(ConformanceFastOpen, BadCookieAcksTheSynOnly) {
  const SocketId l = fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(bad_cookie()), .data = "GET /"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts(valid_cookie())});
  EXPECT_EQ(stack().request_count(), 1u);  // an ordinary request record
  inject(at(100_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);
  inject(at(100_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET /"});
  expect_acks_until(at(1_s), {.flags = ack, .seq = 1, .ack = 6});
  const SocketId a = accept(now(), l);
  EXPECT_EQ(recv(now(), a, 5), "GET /");
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassiveFail), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 0u);
}

// tcp_fastopen 0x200 (TFO_SERVER_COOKIE_NOT_REQD): data in a SYN without any Fast Open option
// is accepted; no cookie is sent back.
TEST_F(ConformanceFastOpen, CookieNotRequiredAcceptsPlainSynData) {
  set_sysctl(SysctlId::kTcpFastopen, 0x202);
  const SocketId l = fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0, .data = "ping"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 5, .options = synack_opts()});
  const SocketId a = accept(at(0_s), l);
  EXPECT_EQ(recv(at(0_s), a, 4), "ping");
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 1u);
}

// Without 0x200 the same SYN's data is ignored: no Fast Open option, no cookie check.
TEST_F(ConformanceFastOpen, SynDataWithoutCookieIsIgnoredByDefault) {
  (void)fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn, .seq = 0, .data = "ping"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassiveFail), 0u);
}

// No TCP_FASTOPEN on the listener (and no 0x400): not a Fast Open listener, the cookie request
// is counted but not answered. With 0x400 every listener is one, its queue = the backlog.
TEST_F(ConformanceFastOpen, ListenerNeedsTheOptionUnless0x400) {
  const SocketId l = listen(at(0_s));
  EXPECT_EQ(stack().get_option(l, SockOpt::kFastOpen).value(), 0);
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(wire::FastOpenCookie{})});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenCookieReqd), 1u);

  reset_stack(2);
  set_sysctl(SysctlId::kTcpFastopen, 0x403);
  auto r = stack().sysctls().set_values(SysctlId::kTcpFastopenKey, kKeyWords);
  ASSERT_TRUE(r.has_value());
  const SocketId l2 = listen(at(0_s));
  EXPECT_EQ(stack().get_option(l2, SockOpt::kFastOpen).value(), 128);  // min(backlog, somaxconn)
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "x"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 2, .options = synack_opts()});
}

// TCP_FASTOPEN = 1: one pending Fast Open child at a time. A second valid Fast Open SYN
// overflows (TCPFastOpenListenOverflow) and becomes an ordinary request (SYN acknowledged
// alone); once the first child is established the queue has room again.
TEST_F(ConformanceFastOpen, QueueLimitFallsBackToARequestRecord) {
  const SocketId l = fastopen_listener(at(0_s), 1);
  EXPECT_EQ(stack().get_option(l, SockOpt::kFastOpen).value(), 1);
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "one"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 4, .options = synack_opts()});
  const uint32_t first_isn = stack_isn();

  use_peer_port(kPeerPort + 1);
  inject(at(10_ms), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "two"});
  expect(at(10_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenListenOverflow), 1u);
  EXPECT_EQ(stack().request_count(), 1u);

  use_peer_port(kPeerPort, first_isn);
  inject(at(100_ms), {.flags = ack, .seq = 4, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);

  use_peer_port(kPeerPort + 2);
  inject(at(200_ms), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "3"});
  expect(at(200_ms), {.flags = syn_ack, .seq = 0, .ack = 2, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 2u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenListenOverflow), 1u);
}

// A Fast Open child reset in SYN-RECEIVED leaves the TFO queue (Linux reqsk_fastopen_remove();
// Linux also keeps such a reset request counted for a while, which synack does not): with
// TCP_FASTOPEN = 1 the next Fast Open SYN is accepted again.
TEST_F(ConformanceFastOpen, ResetChildLeavesTheQueue) {
  const SocketId l = fastopen_listener(at(0_s), 1);
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "a"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 2, .options = synack_opts()});
  inject(at(50_ms), {.flags = rst, .seq = 2});
  expect_state(at(50_ms), std::nullopt);

  use_peer_port(kPeerPort + 1);
  inject(at(100_ms), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "b"});
  expect(at(100_ms), {.flags = syn_ack, .seq = 0, .ack = 2, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenListenOverflow), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 2u);
  (void)l;
}

// SPEC §13.3: a request/response over a path with a 50 ms one-way delay (RTT 100 ms). The
// script is the client: it sends at client time c, the server sees it at c + 50 ms, and a
// server segment sent at s reaches the client at s + 50 ms. The server application answers as
// soon as the request is readable.
//   Without Fast Open: SYN 0 → server 50, SYN+ACK → client 100, ACK + request 100 → server
//   150, response → client 200 ms: 2 RTT.
//   With a cookie: SYN + request 0 → server 50, response → client 100 ms: 1 RTT.
TEST_F(ConformanceFastOpen, RequestResponseTakesOneRttInsteadOfTwo) {
  constexpr Duration kOneWay = 50_ms;
  const Instant client_start = at(0_s);

  // Without Fast Open.
  {
    const SocketId l = listen(client_start);
    inject(client_start + kOneWay, {.flags = syn, .seq = 0});
    expect(client_start + kOneWay, {.flags = syn_ack, .seq = 0, .ack = 1});
    const Instant ack_at_client = client_start + 2 * kOneWay;
    inject(ack_at_client + kOneWay, {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET /"});
    expect(ack_at_client + kOneWay, {.flags = ack, .seq = 1, .ack = 6});  // quick ACK
    const SocketId a = accept(ack_at_client + kOneWay, l);
    EXPECT_EQ(recv(now(), a, 5), "GET /");
    send(now(), a, "200 OK");
    expect(now(), {.flags = psh_ack, .seq = 1, .ack = 6, .data = "200 OK"});
    const Duration elapsed = (now() + kOneWay) - client_start;
    EXPECT_EQ(elapsed, 200_ms);  // 2 RTT
  }

  // With a cookie (learned earlier): a new stack and a new client time origin.
  reset_stack(3);
  set_sysctl(SysctlId::kTcpFastopen, 0x3);
  auto r = stack().sysctls().set_values(SysctlId::kTcpFastopenKey, kKeyWords);
  ASSERT_TRUE(r.has_value());
  {
    const SocketId l = fastopen_listener(client_start);
    inject(client_start + kOneWay,
           {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "GET /"});
    expect(client_start + kOneWay,
           {.flags = syn_ack, .seq = 0, .ack = 6, .options = synack_opts()});
    const SocketId a = accept(now(), l);
    EXPECT_EQ(recv(now(), a, 5), "GET /");
    send(now(), a, "200 OK");
    expect(now(), {.flags = psh_ack, .seq = 1, .ack = 6, .data = "200 OK"});
    const Duration elapsed = (now() + kOneWay) - client_start;
    EXPECT_EQ(elapsed, 100_ms);  // 1 RTT
  }
}

// Key rotation with net.ipv4.tcp_fastopen_key "primary,backup" (Linux proc_tcp_fastopen_key):
// a cookie made with the backup key is still accepted — the child is created with the data —
// and counted TCPFastOpenPassiveAltKey; its SYN+ACK hands out the primary key's cookie
// (Linux tcp_try_fastopen(): ret == 2 → *foc = valid_foc), where a primary-key cookie gets
// none back. A cookie made with neither key falls back as usual.
TEST_F(ConformanceFastOpen, BackupKeyCookieIsAcceptedAndReplaced) {
  // The old key (kKeyWords) becomes the backup behind a new primary.
  auto r = stack().sysctls().set("net.ipv4.tcp_fastopen_key",
                                 "a0a1a2a3-b0b1b2b3-c0c1c2c3-d0d1d2d3,"
                                 "01020304-05060708-090a0b0c-0d0e0f10");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const std::array<int64_t, 4> new_words = {0xa0a1a2a3, 0xb0b1b2b3, 0xc0c1c2c3, 0xd0d1d2d3};
  const tcp::FastOpenServer new_keys{tcp::fastopen_key_from_words(new_words)};
  const wire::FastOpenCookie new_cookie = new_keys.cookie_for(kPeerAddr, kLocalAddr);
  ASSERT_NE(new_cookie.bytes, valid_cookie().bytes);
  const SocketId l = fastopen_listener(at(0_s));
  // valid_cookie() is the old (now backup) key's.
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "GET /"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 6, .options = synack_opts(new_cookie)});
  expect_state(at(0_s), State::kSynReceived);
  const SocketId a = accept(at(10_ms), l);
  EXPECT_EQ(recv(at(10_ms), a, 5), "GET /");
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassiveAltKey), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassiveFail), 0u);
  // Its retransmitted SYN+ACK carries no cookie (Linux tcp_rtx_synack(): foc NULL).
  expect(at(1_s), {.flags = syn_ack, .seq = 0, .ack = 6, .options = synack_opts()});
  inject(at(1100_ms), {.flags = ack, .seq = 6, .ack = 1});
  expect_state(at(1100_ms), State::kEstablished);
  EXPECT_EQ(stack().sysctls().format(SysctlId::kTcpFastopenKey),
            "a0a1a2a3-b0b1b2b3-c0c1c2c3-d0d1d2d3,01020304-05060708-090a0b0c-0d0e0f10");
}

// The same client with the new primary key's cookie: accepted, no AltKey, no cookie back.
TEST_F(ConformanceFastOpen, PrimaryKeyCookieUnderRotationGetsNoCookieBack) {
  auto r = stack().sysctls().set("net.ipv4.tcp_fastopen_key",
                                 "a0a1a2a3-b0b1b2b3-c0c1c2c3-d0d1d2d3,"
                                 "01020304-05060708-090a0b0c-0d0e0f10");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const std::array<int64_t, 4> new_words = {0xa0a1a2a3, 0xb0b1b2b3, 0xc0c1c2c3, 0xd0d1d2d3};
  const tcp::FastOpenServer new_keys{tcp::fastopen_key_from_words(new_words)};
  (void)fastopen_listener(at(0_s));
  inject(at(0_s), {.flags = syn,
                   .seq = 0,
                   .options = syn_opts(new_keys.cookie_for(kPeerAddr, kLocalAddr)),
                   .data = "hi"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 3, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassiveAltKey), 0u);
}

// listen() on a listener (Linux inet_listen() with old_state == TCP_LISTEN) only changes the
// backlog (min(backlog, somaxconn)); the Fast Open queue is tuned from the backlog only by the
// first listen() (0x400 | 0x2 with no TCP_FASTOPEN set), so a later listen() leaves it as it is
// — also when 0x400 was turned on in between.
TEST_F(ConformanceFastOpen, ListenAgainChangesTheBacklogNotTheFastOpenQueue) {
  set_sysctl(SysctlId::kTcpFastopen, 0x403);
  const SocketId l = listen(at(0_s));  // backlog 128
  EXPECT_EQ(stack().get_option(l, SockOpt::kFastOpen).value(), 128);
  ASSERT_EQ(stack().listen(l, 8, at(0_s)), 0);
  EXPECT_EQ(stack().info(l).value().send_queue, 8u);  // ss: a listener's backlog
  EXPECT_EQ(stack().get_option(l, SockOpt::kFastOpen).value(), 128);
  ASSERT_EQ(stack().listen(l, -1, at(0_s)), 0);  // negative: somaxconn
  EXPECT_EQ(stack().info(l).value().send_queue, 4096u);
  EXPECT_EQ(stack().get_option(l, SockOpt::kFastOpen).value(), 128);

  reset_stack(2);
  set_sysctl(SysctlId::kTcpFastopen, 0x3);
  auto r = stack().sysctls().set_values(SysctlId::kTcpFastopenKey, kKeyWords);
  ASSERT_TRUE(r.has_value());
  const SocketId l2 = listen(at(0_s));
  EXPECT_EQ(stack().get_option(l2, SockOpt::kFastOpen).value(), 0);
  set_sysctl(SysctlId::kTcpFastopen, 0x403);
  ASSERT_EQ(stack().listen(l2, 16, at(0_s)), 0);
  EXPECT_EQ(stack().info(l2).value().send_queue, 16u);
  EXPECT_EQ(stack().get_option(l2, SockOpt::kFastOpen).value(), 0);  // still not Fast Open
  inject(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(valid_cookie()), .data = "x"});
  expect(at(0_s), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts()});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenPassive), 0u);
}

}  // namespace
}  // namespace synack::tcptest
