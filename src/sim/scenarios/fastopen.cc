// fastopen: TCP Fast Open, a request/response in 1 RTT instead of 2 (SPEC §13, §17; RFC 7413).
//
// Expected (Linux 6.x, net/ipv4/tcp_fastopen.c, tcp_output.c tcp_send_syn_data): with
// net.ipv4.tcp_fastopen having the client bit (0x1) and the server bit (0x2), and a listener
// with TCP_FASTOPEN set:
// - the first connection has no cookie: its SYN carries a cookie request and no data, the
//   SYN+ACK brings a cookie, the request goes with the third segment; the first response byte
//   arrives 2 RTT after connect();
// - the second connection (TCP_FASTOPEN_CONNECT, cookie cached): connect() returns at once,
//   the request rides in the SYN, the server hands it to the application at accept() and the
//   SYN+ACK acknowledges it; the response leaves one one-way delay after the SYN and the first
//   byte arrives 1 RTT after connect();
// - without either bit (e.g. net.ipv4.tcp_fastopen = 0) both connections take 2 RTT and no
//   Fast Open counter moves.
// RTT here is the link's: twice its one-way delay. What the run is compared with is derived
// from the setting in force and that delay.
#include <fmt/format.h>

#include <deque>
#include <optional>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kSyn;

constexpr Instant kSecond = Instant::zero() + Duration::seconds(1);
const std::string kRequest = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

struct Exchange {
  ScriptApp app;
  Instant connect_at;
  uint16_t port = 0;
};

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const int64_t tfo = ctx.sysctls.get(SysctlId::kTcpFastopen);
  const bool client_on = (tfo & 0x1) != 0;
  const bool server_on = (tfo & 0x2) != 0;
  // Data without a cookie (0x4, 0x200) is another story, with failure paths of its own.
  if ((tfo & (0x4 | 0x200)) != 0)
    return setup_error(fmt::format(
        "net.ipv4.tcp_fastopen = {:#x}: this story covers the cookie bits 0x1 and 0x2 only, "
        "not 0x4 or 0x200 (data without a cookie)",
        tfo));
  // Round trips from connect() to the first response byte, connection by connection: only a
  // connection with a cookie can put its request in the SYN.
  const int want_first = 2;
  const int want_second = client_on && server_on ? 1 : 2;

  const SocketId listener = rig.listen();
  if (listener == kNoSocket) return setup_error("cannot listen");
  // A Fast Open server sets TCP_FASTOPEN on its listener (refused only when disabled).
  (void)rig.server().set_option(listener, SockOpt::kFastOpen, 16);
  std::deque<ScriptApp> served;
  rig.set_server_app([&](Instant now) {
    while (auto a = rig.server().accept(listener, now)) {
      served.emplace_back(rig.server(), AppScript{.send = kResponse, .wait_for = kRequest.size()});
      served.back().set_socket(a.value());
    }
    for (ScriptApp& a : served)
      a.step(now);
  });
  std::deque<Exchange> ex;
  rig.set_client_app([&](Instant now) {
    for (Exchange& e : ex)
      e.app.step(now);
  });
  auto open = [&](Instant now) {
    ex.push_back(Exchange{
        ScriptApp{
            rig.client(),
            {.send = kRequest, .close_after_send = true, .close_after_bytes = kResponse.size()}},
        now, 0});
    // TCP_FASTOPEN_CONNECT: EOPNOTSUPP when the client bit is off, then a plain connect().
    const SocketId s = rig.connect(0, [&rig](SocketId id) {
      (void)rig.client().set_option(id, SockOpt::kFastOpenConnect, 1);
    });
    ex.back().app.set_socket(s);
    if (auto info = rig.client().info(s)) ex.back().port = info.value().local.port;
    // With a cookie connect() sends nothing: the application writes at once (the SYN carries
    // it), as a program calling send() right after connect() does.
    ex.back().app.step(now);
    rig.poke();
  };
  open(rig.sim().now());
  rig.sim().at(kSecond, open);
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const Duration rtt = Rig::latency() + Rig::latency();
  std::vector<Check> checks;
  const int want[2] = {want_first, want_second};
  Duration took[2] = {};
  for (size_t i = 0; i < 2; ++i) {
    std::optional<Instant> first_byte;
    std::optional<SegmentSeen> syn;
    for (const SegmentSeen& seg : c.received)
      if (i < ex.size() && seg.local_port == ex[i].port && seg.len > 0 && !first_byte)
        first_byte = seg.at;
    for (const SegmentSeen& seg : c.sent)
      if (i < ex.size() && seg.local_port == ex[i].port && seg.is(kSyn) && !syn) syn = seg;
    if (i < ex.size() && first_byte) took[i] = *first_byte - ex[i].connect_at;
    const bool data_in_syn = syn && syn->len == kRequest.size();
    checks.push_back(check(
        fmt::format("connection {}: first response byte {} ({} RTT of {}) after connect(); the "
                    "request {} the SYN",
                    i + 1, seconds(rtt * want[i]), want[i], seconds(rtt),
                    want[i] == 1 ? "rides in" : "is not in"),
        i < ex.size() && first_byte
            ? fmt::format("{} after connect(), SYN with {} bytes, response {} bytes",
                          seconds(took[i]), syn ? syn->len : 0, ex[i].app.received())
            : "no response",
        i < ex.size() && first_byte && took[i] == rtt * want[i] && data_in_syn == (want[i] == 1) &&
            ex[i].app.received() == kResponse.size()));
  }
  const auto& cn = rig.client().counters();
  const auto& sn = rig.server().counters();
  const uint64_t fast = (want_first == 1 ? 1 : 0) + (want_second == 1 ? 1 : 0);
  // Every SYN of a client without a cookie asks for one, and the server counts each request
  // even when its own server bit is off (Linux tcp_try_fastopen() counts before checking it).
  const uint64_t cookie_asked = !client_on ? 0 : server_on ? 1 : 2;
  checks.push_back(check(
      fmt::format("counters: client TCPFastOpenActive = {}, server TCPFastOpenPassive = {}, "
                  "TCPFastOpenCookieReqd = {}, no failure",
                  fast, fast, cookie_asked),
      fmt::format("TCPFastOpenActive = {}, TCPFastOpenPassive = {}, TCPFastOpenCookieReqd = {}, "
                  "failures {} + {}",
                  cn[Counter::kTcpExtTCPFastOpenActive], sn[Counter::kTcpExtTCPFastOpenPassive],
                  sn[Counter::kTcpExtTCPFastOpenCookieReqd],
                  cn[Counter::kTcpExtTCPFastOpenActiveFail],
                  sn[Counter::kTcpExtTCPFastOpenPassiveFail]),
      cn[Counter::kTcpExtTCPFastOpenActive] == fast &&
          sn[Counter::kTcpExtTCPFastOpenPassive] == fast &&
          sn[Counter::kTcpExtTCPFastOpenCookieReqd] == cookie_asked &&
          cn[Counter::kTcpExtTCPFastOpenActiveFail] == 0 &&
          sn[Counter::kTcpExtTCPFastOpenPassiveFail] == 0 && ended));
  std::string summary = fmt::format(
      "tcp_fastopen = {:#x}: first response byte {} after connect() without a cookie, {} with "
      "one (RTT {})",
      tfo, seconds(took[0]), seconds(took[1]), seconds(rtt));
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

const std::pair<std::string_view, std::string_view> kDefaults[] = {
    {"net.ipv4.tcp_fastopen", "3"},
};

}  // namespace

const Scenario& fastopen() {
  static const Scenario kScenario{
      .name = "fastopen",
      .summary =
          "TCP Fast Open: the second request rides in the SYN, its response comes 1 RTT "
          "earlier",
      .explanation =
          "A client makes the same short request twice. Ordinarily a request waits for the "
          "handshake, so the first response byte arrives two round trips after connect(). With "
          "Fast Open enabled on both hosts (net.ipv4.tcp_fastopen = 3 here) the first connection "
          "also asks the server for a cookie, a keyed hash of the client's address that proves "
          "the client can receive at that address. The second connection presents the cookie "
          "and puts its request in the SYN itself; the server passes the request to its "
          "application before the handshake ends and answers at once, so the response arrives "
          "one round trip after connect(). With net.ipv4.tcp_fastopen = 0 both take two round "
          "trips. The saving matters on long paths and for many short connections; the price is "
          "that data in a SYN may be delivered twice, so only idempotent requests should use it.",
      .default_sysctls = kDefaults,
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
