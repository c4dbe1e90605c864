// max-orphans: more orphaned connections than net.ipv4.tcp_max_orphans (SPEC §8.5, §8.7, §17).
//
// Expected (Linux 6.x, net/ipv4/tcp.c __tcp_close and tcp_check_oom): close() sends the FIN,
// the socket becomes an orphan (the orphan count goes up by one), and if the count is then
// above tcp_max_orphans the connection is reset at once — RST on the wire, TCPAbortOnMemory,
// the log line "TCP: too many orphaned sockets". Orphans that fit keep retransmitting their
// FIN as usual.
//
// Why the closes are 200 ms apart and the clients unreachable: Linux reads the orphan count
// from a cache refreshed every 100 ms (tcp_orphan_update), so closes closer together than that
// would all see an old count there; 200 ms apart, each close sees every earlier orphan, which
// is the count synack keeps exactly. The clients' path fails before the first close, so no FIN
// is acknowledged and every orphan stays in FIN-WAIT-1: with M = tcp_max_orphans, the first M
// closes leave orphans and every later one is reset. The scenario lowers tcp_max_orphans to 4
// (Linux's default scales with memory); `--sysctl net.ipv4.tcp_max_orphans=N` changes the
// expectation with it.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"

namespace synack::sim::scenarios {
namespace {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;

constexpr size_t kConnections = 8;
constexpr Instant kPathFails = Instant::zero() + Duration::seconds(1);
constexpr Duration kCloseGap = Duration::millis(200);

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  const SocketId listener = rig.listen(64);
  std::vector<SocketId> accepted;
  rig.set_server_app([&](Instant now) {
    while (auto a = rig.server().accept(listener, now))
      accepted.push_back(a.value());
  });
  for (size_t i = 0; i < kConnections; ++i)
    if (rig.connect() == kNoSocket) return setup_error("cannot open the client sockets");
  if (listener == kNoSocket) return setup_error("cannot listen");
  // The clients become unreachable; then the server closes one connection every 200 ms.
  (void)rig.to_client().add(
      link::drop_during(kPathFails, Instant::infinite(), {}, "path to the clients down"));
  struct Closed {
    Instant at;
    uint16_t port = 0;  // the client's port
  };
  std::vector<Closed> closes;
  for (size_t i = 0; i < kConnections; ++i) {
    const Instant at = kPathFails + kCloseGap * static_cast<int64_t>(i + 1);
    rig.sim().at(at, [&rig, &accepted, &closes, i](Instant now) {
      if (i >= accepted.size()) return;
      const auto info = rig.server().info(accepted[i]);
      if (!info) return;
      closes.push_back(Closed{now, info.value().remote.port});
      (void)rig.server().close(accepted[i], now);
      rig.poke();
    });
  }
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  const HostLog& s = rig.server_log();
  const auto max_orphans = static_cast<uint64_t>(ctx.sysctls.get(SysctlId::kTcpMaxOrphans));
  const size_t kept = std::min<size_t>(kConnections, max_orphans);
  const size_t excess = kConnections - kept;
  std::vector<Check> checks;
  checks.push_back(check(fmt::format("{} connections established and accepted, then {} closes "
                                     "200 ms apart while the clients are unreachable",
                                     kConnections, kConnections),
                         fmt::format("{} accepted, {} closed", accepted.size(), closes.size()),
                         accepted.size() == kConnections && closes.size() == kConnections));

  // Per close: was that connection reset at the instant of its close?
  std::string pattern;
  size_t reset_ok = 0;
  size_t kept_ok = 0;
  for (size_t i = 0; i < closes.size(); ++i) {
    size_t fins = 0;
    std::optional<SegmentSeen> fin;
    bool rst_at_close = false;  // right after the FIN, with the sequence number after it
    bool rst_later = false;
    for (const SegmentSeen& seg : s.sent) {
      if (seg.remote_port != closes[i].port) continue;
      if (seg.has(kFin) && fins++ == 0) fin = seg;
      if (seg.has(kRst))
        (seg.at == closes[i].at && fin && fin->at == seg.at && seg.seq == fin->seq + 1
             ? rst_at_close
             : rst_later) = true;
    }
    const bool reset = rst_at_close && !rst_later && fins == 1;
    pattern += reset ? 'R' : (fins >= 2 && !rst_at_close && !rst_later ? 'o' : '?');
    if (i >= kept && reset) ++reset_ok;
    if (i < kept && !rst_at_close && !rst_later && fins >= 2) ++kept_ok;
  }
  checks.push_back(check(
      fmt::format("with tcp_max_orphans = {}, the first {} closes leave orphans that keep "
                  "retransmitting their FIN (o) and the last {} are reset at the close, FIN then "
                  "RST (R)",
                  max_orphans, kept, excess),
      pattern, kept_ok == kept && reset_ok == excess && closes.size() == kConnections));
  const size_t logs = static_cast<size_t>(
      std::count(s.logs.begin(), s.logs.end(), "TCP: too many orphaned sockets"));
  const auto& n = rig.server().counters();
  checks.push_back(check(
      fmt::format("TCPAbortOnMemory = {} and {} log lines \"TCP: too many "
                  "orphaned sockets\"",
                  excess, excess),
      fmt::format("TCPAbortOnMemory = {}, {} log lines", n[Counter::kTcpExtTCPAbortOnMemory], logs),
      n[Counter::kTcpExtTCPAbortOnMemory] == excess && logs == excess));
  // The orphans that fitted end by their own retry limit (tcp_orphan_retries), not by memory.
  checks.push_back(check(
      fmt::format("the {} kept orphans end later by timeout (TCPAbortOnTimeout = {}), leaving "
                  "no connection on the server",
                  kept, kept),
      fmt::format("TCPAbortOnTimeout = {}, {} connections left",
                  n[Counter::kTcpExtTCPAbortOnTimeout], rig.server().connection_count()),
      n[Counter::kTcpExtTCPAbortOnTimeout] == kept && rig.server().connection_count() == 0 &&
          ended));
  std::string summary = fmt::format(
      "{} closes, tcp_max_orphans = {}: {} reset with "
      "TCPAbortOnMemory, {} kept as orphans ({})",
      closes.size(), max_orphans, n[Counter::kTcpExtTCPAbortOnMemory], kept, pattern);
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

const std::pair<std::string_view, std::string_view> kDefaults[] = {
    {"net.ipv4.tcp_max_orphans", "4"},
};

}  // namespace

const Scenario& max_orphans() {
  static const Scenario kScenario{
      .name = "max-orphans",
      .summary = "more orphans than tcp_max_orphans (4 here): each one beyond is reset at close",
      .explanation =
          "A server holds eight idle connections when the path to its clients fails; it then "
          "closes them one by one. Each close() hands the connection to the kernel as an "
          "orphan: no process owns it any more, yet it keeps memory while it retransmits its "
          "FIN to peers that cannot answer. tcp_max_orphans caps how many such sockets a host "
          "keeps (lowered to 4 here so the cap is reached quickly). Beyond it Linux does not "
          "wait: the new orphan is reset at once, counted as TCPAbortOnMemory and logged as "
          "\"too many orphaned sockets\". The orphans that fitted end later by their own retry "
          "limit. Seeing that log line means orphans, usually from a flood of closes towards "
          "slow or dead peers, are eating memory; raising the cap only moves the limit.",
      .default_sysctls = kDefaults,
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
