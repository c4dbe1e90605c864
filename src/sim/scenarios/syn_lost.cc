// syn-lost: every SYN the client sends is lost (SPEC §4.6, §17).
//
// Expected, from the settings in force: the first SYN at 0, then one retransmission per RTO
// expiry with the RTO starting at 1 s (TCP_TIMEOUT_INIT) and doubling, capped at 120 s
// (TCP_RTO_MAX), tcp_syn_retries times; connect() reports ETIMEDOUT one more RTO after the
// last SYN. With the default 6: SYNs at 0, 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"

namespace synack::sim::scenarios {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kSyn;

Outcome run(const RunContext& ctx) {
  Rig rig{ctx};
  if (!rig.open()) return setup_error(rig.error());
  rig.to_server().add(link::drop_during(Instant::zero(), Instant::infinite(),
                                        {.flags_all = kSyn, .flags_none = kAck}, "SYN lost"));
  if (rig.listen() == kNoSocket) return setup_error("listen failed");
  int error = 0;
  Instant error_at = Instant::infinite();
  const SocketId sock = rig.connect();
  if (sock == kNoSocket) return setup_error("connect failed");
  rig.set_client_app([&](Instant now) {
    if (error == 0 && (rig.client().readiness(sock) & ready::kErr) != 0) {
      error = rig.client().take_error(sock);
      error_at = now;
    }
  });
  const bool ended = rig.run(Duration::seconds(24 * 3600));

  // What Linux does with these settings (tcp_retransmit_timer, tcp_write_timeout): the first
  // timeout is the initial RTO; after retransmission r it doubles (capped at tcp_rto_max_ms)
  // unless r <= tcp_syn_linear_timeouts; the timer expiring after tcp_syn_retries +
  // tcp_syn_linear_timeouts retransmissions (Linux >= 6.5 adds the linear ones) fails it.
  const int64_t retries = ctx.sysctls.get(stack::SysctlId::kTcpSynRetries);
  const int64_t linear = ctx.sysctls.get(stack::SysctlId::kTcpSynLinearTimeouts);
  const Duration rto_max = Duration::millis(ctx.sysctls.get(stack::SysctlId::kTcpRtoMaxMs));
  std::vector<Duration> want;
  Duration t = Duration::zero();
  Duration rto = Duration::millis(ctx.sysctls.get(stack::SysctlId::kTcpRtoInitialMs));
  for (int64_t r = 0; r <= retries + linear; ++r) {
    want.push_back(t);
    t += rto;
    if (r + 1 > linear) rto = std::min(rto * 2, rto_max);
  }
  const Duration want_error = t;

  const std::vector<SegmentSeen> syns = rig.client_log().sent_with(kSyn, kAck);
  std::vector<Duration> got;
  for (const SegmentSeen& s : syns)
    got.push_back(s.at - syns.front().at);
  auto list = [](const std::vector<Duration>& v) {
    std::string out;
    for (Duration d : v)
      out += fmt::format("{}{}", out.empty() ? "" : ", ", secs(d));
    return out;
  };
  const Instant first = syns.empty() ? Instant::zero() : syns.front().at;
  const Duration error_after = error_at == Instant::infinite() ? Duration::max() : error_at - first;

  std::vector<Check> checks;
  checks.push_back(
      check(fmt::format("SYNs sent at {} s (1 + {} retransmissions)", list(want), want.size() - 1),
            list(got) + " s", got == want));
  checks.push_back(
      check(fmt::format("connect() fails with ETIMEDOUT at {}", seconds(want_error)),
            fmt::format("{} at {}", errno_name(error),
                        error_at == Instant::infinite() ? "never" : seconds(error_after)),
            error == ETIMEDOUT && error_after == want_error));
  const bool gone = !rig.client().state_of(rig.client_endpoint(), rig.server_endpoint());
  checks.push_back(check("the client's connection is gone afterwards (SYN-SENT -> CLOSED)",
                         gone ? "gone" : "still present",
                         gone && rig.client_log().entered(tcp::State::kClosed).has_value()));
  checks.push_back(check("the run ends (no timer left)", ended ? "ended" : "still running", ended));
  std::string summary =
      error == ETIMEDOUT
          ? fmt::format("connect() failed with ETIMEDOUT at {} after {} SYNs ({} retransmissions)",
                        seconds(error_after), syns.size(), syns.empty() ? 0 : syns.size() - 1)
          : fmt::format("connect() ended with {} after {} SYNs", errno_name(error), syns.size());
  return finish(rig, ctx, std::move(checks), std::move(summary));
}

constexpr std::string_view kExplanation =
    "The server is unreachable: every SYN the client sends is lost on the way. The client cannot "
    "tell a lost SYN from a slow network, so it sends the SYN again whenever its retransmission "
    "timer runs out, starting at 1 s and doubling the wait each time. After "
    "net.ipv4.tcp_syn_retries retransmissions (6 on Linux 6.x, 5 on older kernels) it gives up "
    "and connect() fails with ETIMEDOUT: 127 s with the default, 63 s with 5. This is why a "
    "connection to a host behind a firewall that silently drops SYNs hangs for about two "
    "minutes, and why lowering tcp_syn_retries (or setting TCP_SYNCNT per socket) shortens it.";

}  // namespace

const Scenario& syn_lost() {
  static const Scenario kScenario{
      .name = "syn-lost",
      .summary = "every SYN is lost: retransmissions at 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s",
      .explanation = kExplanation,
      .default_sysctls = {},
      .run = run,
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
