// half-close-download: the client sends its request and shuts down its sending side; the
// server keeps sending the response, then closes (SPEC §8.1, §17).
//
// Expected (Linux): shutdown(SHUT_WR) sends FIN; the client is in FIN-WAIT-2 once that FIN is
// ACKed, and a socket that only shut down writing may stay there as long as data flows. The
// server reads EOF (CLOSE-WAIT) and still sends every byte of the response from CLOSE-WAIT;
// its FIN follows the last byte (FIN seq = end of data). The client receives everything, then
// the FIN takes it to TIME-WAIT; the server goes LAST-ACK -> CLOSED.
#include <fmt/format.h>

#include <string>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kFin;

constexpr size_t kResponseBytes = 200 * 1000;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  std::string response(kResponseBytes, 'x');
  for (size_t i = 0; i < response.size(); ++i)
    response[i] = static_cast<char>('a' + i % 26);
  ScriptApp server{rig.server(), {.send = response, .send_after_eof = true}};
  ScriptApp client{rig.client(), {.send = "GET /big.iso\r\n\r\n", .shutdown_after_send = true}};
  server.set_listener(rig.listen());
  rig.set_client_app([&](Instant now) { client.step(now); });
  rig.set_server_app([&](Instant now) { server.step(now); });
  client.set_socket(rig.connect());
  const bool ended = rig.run(Duration::seconds(3600));

  const HostLog& c = rig.client_log();
  const HostLog& s = rig.server_log();
  const auto fw2 = c.entered(tcp::State::kFinWait2);
  const auto cw = s.entered(tcp::State::kCloseWait);
  size_t in_close_wait = 0;
  size_t total = 0;
  for (const SegmentSeen& seg : s.sent) {
    total += seg.len;
    if (seg.state == tcp::State::kCloseWait || seg.state == tcp::State::kLastAck)
      in_close_wait += seg.len;
  }
  // A segment's trace event carries the state it arrived in: the first data segment also
  // acknowledges the client's FIN, so it arrives in FIN-WAIT-1; all others in FIN-WAIT-2.
  size_t rx_in_fw2 = 0;
  for (const SegmentSeen& seg : c.received)
    if (seg.state == tcp::State::kFinWait1 || seg.state == tcp::State::kFinWait2)
      rx_in_fw2 += seg.len;
  std::vector<Check> checks;
  checks.push_back(check("shutdown(SHUT_WR) sends the client's FIN before any response data",
                         fw2 ? "FIN-WAIT-2 at " + seconds(*fw2) : "no FIN-WAIT-2",
                         fw2 && cw && c.sent_with(kFin).size() == 1 && *cw < *fw2));
  checks.push_back(check(
      fmt::format("the server sends all {} response bytes after reading EOF (from CLOSE-WAIT)",
                  kResponseBytes),
      fmt::format("{} of {} bytes", in_close_wait, total),
      in_close_wait == kResponseBytes && total == kResponseBytes));
  checks.push_back(
      check("the half-closed client (FIN sent: FIN-WAIT-1/2) receives them all",
            fmt::format("{} bytes read, {} arrived after its FIN", client.received(), rx_in_fw2),
            client.received() == kResponseBytes && rx_in_fw2 == kResponseBytes));
  const auto fins = s.sent_with(kFin);
  uint32_t data_end = 0;
  for (const SegmentSeen& seg : s.sent)
    if (seg.len > 0) data_end = seg.seq + static_cast<uint32_t>(seg.len);
  checks.push_back(check("the server's FIN comes after the last byte (FIN seq = end of data)",
                         fins.empty() ? "no FIN" : fmt::format("FIN at {}", seconds(fins[0].at)),
                         !fins.empty() && fins.back().seq + fins.back().len == data_end));
  const bool done = c.went_through(tcp::State::kTimeWait) && s.went_through(tcp::State::kLastAck) &&
                    s.last_entered(tcp::State::kClosed) && c.last_entered(tcp::State::kClosed) &&
                    client.eof() && ended;
  checks.push_back(check("then the client reads EOF, goes TIME-WAIT; the server LAST-ACK -> CLOSED",
                         done ? "yes" : "no", done));
  std::string summary = fmt::format(
      "client half-closed at {}; server sent {} bytes from CLOSE-WAIT, then FIN; client read {}",
      fw2 ? seconds(*fw2) : "-", in_close_wait, client.received());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

}  // namespace

const Scenario& half_close_download() {
  static const Scenario kScenario{
      .name = "half-close-download",
      .summary = "client SHUT_WR after its request; the server keeps sending 200 kB, then FIN",
      .explanation =
          "The client sends its request and calls shutdown(SHUT_WR): 'I have nothing more to "
          "send', but it keeps reading. Its FIN goes out and it sits in FIN-WAIT-2 while the "
          "server, now in CLOSE-WAIT, sends the whole 200 kB response; CLOSE-WAIT does not stop "
          "a side from sending, only from receiving more. When the server has sent everything "
          "it closes, its FIN follows the last byte, and the close finishes as usual. A TCP "
          "connection is two independent byte streams; each FIN ends one of them. Tools such as "
          "netcat and ssh rely on this to signal end-of-input without cutting off the output.",
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
