// TCP Fast Open on the wire, client side (SPEC §13.3, §13.4; Linux tcp_fastopen_defer_connect(),
// tcp_send_syn_data(), tcp_rcv_fastopen_synack()): TCP_FASTOPEN_CONNECT without a cookie sends a
// cookie request at connect() and the data after the handshake, and caches the SYN+ACK's
// cookie; with the cookie cached connect() returns 0, sends nothing, and the first send() puts
// the data in the SYN; a SYN+ACK that acknowledges the SYN only makes the client resend the
// data at once (TCPFastOpenActiveFail); tcp_fastopen 0x4 sends data without a cookie; close()
// and recv() before the first send(); the option's gate (bit 0x1).
//
// The test plays the server; the cookie is an arbitrary 8-byte value, since the client only
// stores and echoes it.
#include <gtest/gtest.h>

#include <cerrno>
#include <span>
#include <string>
#include <string_view>

#include "stack/counters.h"
#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

using stack::Counter;
using stack::SysctlId;

class ConformanceFastOpenClient : public TcpScript {
 protected:
  ConformanceFastOpenClient() {
    auto r = stack().sysctls().set_value(SysctlId::kTcpFastopen, 0x1);  // Linux's default
    EXPECT_TRUE(r.has_value()) << r.error().message;
  }
  uint64_t counter(Counter c) { return stack().counters().value(c); }

  static wire::FastOpenCookie cookie() {
    wire::FastOpenCookie c;
    c.len = 8;
    for (uint8_t i = 0; i < 8; ++i)
      c.bytes[i] = static_cast<uint8_t>(0xc0 + i);
    return c;
  }
  static Opts syn_opts(std::optional<wire::FastOpenCookie> tfo) {
    Opts o = linux_syn_options(any, 0);
    o.tfo = tfo;
    return o;
  }
  static Opts synack_opts(std::optional<wire::FastOpenCookie> tfo = std::nullopt) {
    return Opts{.mss = 1460, .sack_ok = true, .wscale = 7, .tfo = tfo};
  }
  SocketId fastopen_socket() {
    const SocketId s = open();
    set_option(s, SockOpt::kFastOpenConnect, 1);
    return s;
  }

  // The first connection to the server: a cookie request at connect(), the cookie in the
  // SYN+ACK, then aborted so the next connection starts from a clean wire.
  void learn_cookie(Instant t0) {
    const SocketId s = fastopen_socket();
    connect(t0, s);
    expect(t0, {.flags = syn, .seq = 0, .options = syn_opts(wire::FastOpenCookie{})});
    inject(t0 + 100_ms, {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts(cookie())});
    expect(t0 + 100_ms, {.flags = ack, .seq = 1, .ack = 1});
    abort(t0 + 100_ms, s);
    expect(t0 + 100_ms, {.flags = rst_ack, .seq = 1, .ack = 1});
  }
};

// No cookie cached: connect() sends the SYN with an empty Fast Open option (a cookie request)
// and returns EINPROGRESS as usual (Linux does not defer then); the data waits for the
// handshake and goes on the first segment after it; the cookie is cached, so the next connect()
// to the same server is deferred (returns 0, sends nothing).
TEST_F(ConformanceFastOpenClient, NoCookieRequestsOneAndSendsDataAfterHandshake) {
  const SocketId s = fastopen_socket();
  EXPECT_EQ(stack().get_option(s, SockOpt::kFastOpenConnect).value(), 1);
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(wire::FastOpenCookie{})});
  expect_state(at(0_s), State::kSynSent);
  expect_ready(at(0_s), s, 0, ready::kOut);
  send_fails(at(0_s), s, EAGAIN);
  inject(at(100_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts(cookie())});
  expect(at(100_ms), {.flags = ack, .seq = 1, .ack = 1});
  expect_state(at(100_ms), State::kEstablished);
  send(at(100_ms), s, "GET /");
  expect(at(100_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET /"});
  inject(at(200_ms), {.flags = ack, .seq = 1, .ack = 6});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActive), 0u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActiveFail), 0u);

  const SocketId s2 = fastopen_socket();
  connect(at(300_ms), s2, 0);
  expect_nothing_until(at(5_s));
  EXPECT_EQ(counter(Counter::kTcpActiveOpens), 1u);  // the deferred SYN is not sent yet
}

// The cookie cached: connect() returns 0 and sends nothing, the socket is writable; the first
// send() sends the SYN with the cookie and the data; the SYN+ACK acknowledges the data
// (ack 1 + 5), the third ACK follows at once, nothing is resent; TCPFastOpenActive.
TEST_F(ConformanceFastOpenClient, CachedCookieSendsDataInTheSyn) {
  learn_cookie(at(0_s));
  const SocketId s = fastopen_socket();
  connect(at(1_s), s, 0);
  expect_state(at(1_s), State::kSynSent);
  expect_ready(at(1_s), s, ready::kOut);
  connect(at(1_s), s, EISCONN);  // Linux inet_stream_connect() with defer_connect
  expect_nothing_until(at(2_s));
  send(at(2_s), s, "GET /");
  expect(at(2_s), {.flags = syn, .seq = 0, .options = syn_opts(cookie()), .data = "GET /"});
  expect_ready(at(2_s), s, 0, ready::kOut);
  inject(at(2100_ms), {.flags = syn_ack, .seq = 0, .ack = 6, .options = synack_opts()});
  expect(at(2100_ms), {.flags = ack, .seq = 6, .ack = 1});
  expect_state(at(2100_ms), State::kEstablished);
  inject(at(2200_ms), {.flags = psh_ack, .seq = 1, .ack = 6, .data = "200 OK"});
  expect_between(at(2200_ms), at(2240_ms), {.flags = ack, .seq = 6, .ack = 7});
  EXPECT_EQ(recv(now(), s, 6), "200 OK");
  expect_nothing_until(at(10_s));
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActive), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActiveFail), 0u);
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 0u);
  EXPECT_EQ(counter(Counter::kTcpActiveOpens), 2u);
}

// The server acknowledges the SYN only (it rejected the cookie, or does not do Fast Open): the
// data goes again right after the SYN+ACK, carrying the third ACK, as a retransmission; the
// new cookie in the SYN+ACK replaces the old one; TCPFastOpenActiveFail. Once acknowledged it
// is not sent again.
TEST_F(ConformanceFastOpenClient, SynOnlyAckedResendsTheDataAtOnce) {
  learn_cookie(at(0_s));
  const SocketId s = fastopen_socket();
  connect(at(1_s), s, 0);
  send(at(1_s), s, "GET /");
  expect(at(1_s), {.flags = syn, .seq = 0, .options = syn_opts(cookie()), .data = "GET /"});
  wire::FastOpenCookie fresh = cookie();
  fresh.bytes[0] = 0x11;
  inject(at(1100_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts(fresh)});
  expect(at(1100_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET /"});
  expect_state(at(1100_ms), State::kEstablished);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActiveFail), 1u);
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActive), 0u);
  EXPECT_EQ(counter(Counter::kTcpRetransSegs), 1u);
  inject(at(1200_ms), {.flags = ack, .seq = 1, .ack = 6});
  expect_nothing_until(at(10_s));
  abort(at(10_s), s);
  expect(at(10_s), {.flags = rst_ack, .seq = 6, .ack = 1});

  // The next connection uses the SYN+ACK's new cookie.
  const SocketId s2 = fastopen_socket();
  connect(at(11_s), s2, 0);
  send(at(11_s), s2, "x");
  expect(at(11_s), {.flags = syn, .seq = 0, .options = syn_opts(fresh), .data = "x"});
}

// A lost Fast Open SYN is retransmitted bare (no option, no data); the data follows the
// handshake (the SYN+ACK acknowledges the SYN only).
TEST_F(ConformanceFastOpenClient, RetransmittedSynIsBare) {
  learn_cookie(at(0_s));
  const SocketId s = fastopen_socket();
  connect(at(1_s), s, 0);
  send(at(1_s), s, "GET /");
  expect(at(1_s), {.flags = syn, .seq = 0, .options = syn_opts(cookie()), .data = "GET /"});
  expect(at(2_s), {.flags = syn, .seq = 0, .options = syn_opts(std::nullopt)});
  inject(at(2100_ms), {.flags = syn_ack, .seq = 0, .ack = 1, .options = synack_opts()});
  expect(at(2100_ms), {.flags = psh_ack, .seq = 1, .ack = 1, .data = "GET /"});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActiveFail), 1u);
}

// tcp_fastopen 0x4 (TFO_CLIENT_NO_COOKIE): no cookie needed; connect() defers, the SYN carries
// the data and no Fast Open option.
TEST_F(ConformanceFastOpenClient, NoCookieModeSendsDataWithoutOption) {
  auto r = stack().sysctls().set_value(SysctlId::kTcpFastopen, 0x5);
  ASSERT_TRUE(r.has_value());
  const SocketId s = fastopen_socket();
  connect(at(0_s), s, 0);
  expect_nothing_until(at(1_s));
  send(at(1_s), s, "ping");
  expect(at(1_s), {.flags = syn, .seq = 0, .options = syn_opts(std::nullopt), .data = "ping"});
  inject(at(1100_ms), {.flags = syn_ack, .seq = 0, .ack = 5, .options = synack_opts()});
  expect(at(1100_ms), {.flags = ack, .seq = 5, .ack = 1});
  EXPECT_EQ(counter(Counter::kTcpExtTCPFastOpenActive), 1u);
}

// The SYN carries at most min(pmtu − 40, cached MSS) − 40 = 1420 bytes (Linux
// tcp_send_syn_data()); send() returns what it took; the rest follows the handshake.
TEST_F(ConformanceFastOpenClient, SynDataIsLimitedAndSendReturnsWhatItTook) {
  learn_cookie(at(0_s));
  const SocketId s = fastopen_socket();
  connect(at(1_s), s, 0);
  const std::string big(3000, 'z');
  auto n =
      stack().send(s, std::span(reinterpret_cast<const uint8_t*>(big.data()), big.size()), at(1_s));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 1420u);
  expect(at(1_s), {.flags = syn, .seq = 0, .options = syn_opts(cookie()), .len = 1420});
}

// close() before any send(): nothing was sent, so nothing is (Linux tcp_close() in SYN-SENT);
// recv() before it: EAGAIN, as for any connection not yet established.
TEST_F(ConformanceFastOpenClient, RecvAndCloseBeforeFirstSend) {
  learn_cookie(at(0_s));
  const SocketId s = fastopen_socket();
  connect(at(1_s), s, 0);
  recv_fails(at(1_s), s, EAGAIN);
  close(at(1_s), s);
  expect_gone(at(1_s));
  expect_nothing_until(at(10_s));
  EXPECT_EQ(counter(Counter::kTcpActiveOpens), 1u);
}

// Bit 0x1 gates TCP_FASTOPEN_CONNECT (EOPNOTSUPP without it); values other than 0/1 and a
// socket already connecting are EINVAL.
TEST_F(ConformanceFastOpenClient, OptionNeedsClientBit) {
  auto r = stack().sysctls().set_value(SysctlId::kTcpFastopen, 0x2);
  ASSERT_TRUE(r.has_value());
  const SocketId s = open();
  EXPECT_EQ(stack().set_option(s, SockOpt::kFastOpenConnect, 1), EOPNOTSUPP);
  EXPECT_EQ(stack().get_option(s, SockOpt::kFastOpenConnect).value(), 0);
  r = stack().sysctls().set_value(SysctlId::kTcpFastopen, 0x1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(stack().set_option(s, SockOpt::kFastOpenConnect, 2), EINVAL);
  connect(at(0_s), s);
  expect(at(0_s), {.flags = syn, .seq = 0, .options = syn_opts(std::nullopt)});
  EXPECT_EQ(stack().set_option(s, SockOpt::kFastOpenConnect, 1), EINVAL);
}

}  // namespace
}  // namespace synack::tcptest
