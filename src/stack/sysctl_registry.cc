// The registry table. One row per SysctlId, in enum order (a test checks it).
//
// Sources for defaults and bounds (Linux 6.x): SPEC §18 for defaults; net/ipv4/sysctl_net_ipv4.c
// and net/core/sysctl_net_core.c for bounds (extra1/extra2), where "u8" means Linux stores the
// value in a u8 via proc_dou8vec_minmax, which rejects anything above 255 or negative;
// Documentation/networking/ip-sysctl.rst for meanings. "narrowed" marks rows where Linux stores
// an unbounded int and synack refuses values Linux would take but that make no sense.
#include "stack/sysctl_registry.h"

#include <cassert>
#include <limits>

namespace synack::stack {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
// Linux stores "seconds" sysctls in jiffies (proc_dointvec_jiffies) and refuses values above
// INT_MAX / HZ; synack uses HZ = 1000, the strictest common configuration.
constexpr int64_t kMaxJiffySeconds = kIntMax / 1000;

using K = SysctlKind;
using U = SysctlUnit;
using I = SysctlId;

constexpr std::array<SysctlInfo, kSysctlCount> kTable = {{
    {I::kTcpSynRetries,
     "net.ipv4.tcp_syn_retries",
     K::kInt,
     U::kCount,
     {6},
     1,
     127,
     "SYN retransmissions before connect() fails with ETIMEDOUT (u8, 1..MAX_TCP_SYNCNT)"},
    {I::kTcpSynackRetries,
     "net.ipv4.tcp_synack_retries",
     K::kInt,
     U::kCount,
     {5},
     0,
     255,
     "SYN+ACK retransmissions before a half-open request is dropped (u8)"},
    // Linux >= 6.5 defaults to 4: SYN timeouts 1,1,1,1,1,2,4,... s within the same time budget
    // as tcp_syn_retries' exponential schedule (measured on 6.18 with syn_retries 6: SYNs at
    // 0,1,2,3,4,5,7,11,19,35,67 s, ETIMEDOUT at ~131 s, TcpExtTCPSynRetrans 10). synack keeps 0,
    // the pure exponential schedule SPEC §4.6 specifies (0,1,3,...,63 s, ETIMEDOUT at 127 s).
    {I::kTcpSynLinearTimeouts,
     "net.ipv4.tcp_syn_linear_timeouts",
     K::kInt,
     U::kCount,
     {0},
     0,
     127,
     "SYN retransmissions that use the initial RTO before exponential backoff starts"},
    {I::kTcpRetries1,
     "net.ipv4.tcp_retries1",
     K::kInt,
     U::kCount,
     {3},
     0,
     255,
     "retransmissions after which the path is suspected (u8, at most 255)"},
    {I::kTcpRetries2,
     "net.ipv4.tcp_retries2",
     K::kInt,
     U::kCount,
     {15},
     0,
     255,
     "retransmissions (as time, per Linux) before an established connection gives up (u8)"},
    {I::kTcpOrphanRetries,
     "net.ipv4.tcp_orphan_retries",
     K::kInt,
     U::kCount,
     {0},
     0,
     255,
     "retransmissions for a closed (orphaned) socket's FIN; 0 means 8 (u8)"},
    {I::kTcpFinTimeout,
     "net.ipv4.tcp_fin_timeout",
     K::kInt,
     U::kSeconds,
     {60},
     0,
     kMaxJiffySeconds,
     "how long an orphan waits in FIN-WAIT-2 for the peer's FIN (narrowed)"},
    {I::kTcpMaxTwBuckets,
     "net.ipv4.tcp_max_tw_buckets",
     K::kInt,
     U::kCount,
     {131072},
     0,
     kIntMax,
     "TIME-WAIT records kept at most; beyond it a closing socket skips TIME-WAIT (narrowed)"},
    {I::kTcpMaxOrphans,
     "net.ipv4.tcp_max_orphans",
     K::kInt,
     U::kCount,
     {131072},
     0,
     kIntMax,
     "closed-but-unfinished sockets kept at most; beyond it new orphans are reset (narrowed)"},
    {I::kTcpMaxSynBacklog,
     "net.ipv4.tcp_max_syn_backlog",
     K::kInt,
     U::kCount,
     {2048},
     0,
     kIntMax,
     "with syncookies off, requests beyond 3/4 of this are dropped (narrowed)"},
    {I::kSomaxconn,
     "net.core.somaxconn",
     K::kInt,
     U::kCount,
     {4096},
     0,
     kIntMax,
     "upper bound on a listen() backlog; queues hold backlog + 1"},
    {I::kTcpAbortOnOverflow,
     "net.ipv4.tcp_abort_on_overflow",
     K::kInt,
     U::kBool,
     {0},
     0,
     255,
     "1: answer a handshake-completing ACK with RST when the accept queue is full (u8)"},
    {I::kTcpSyncookies,
     "net.ipv4.tcp_syncookies",
     K::kInt,
     U::kMode,
     {1},
     0,
     255,
     "0 never send SYN cookies, 1 when the SYN queue is full, 2 always (u8)"},
    {I::kTcpTwReuse,
     "net.ipv4.tcp_tw_reuse",
     K::kInt,
     U::kMode,
     {2},
     0,
     2,
     "connect() may take over a TIME-WAIT tuple: 0 never, 1 always, 2 loopback only"},
    {I::kTcpTwReuseDelay,
     "net.ipv4.tcp_tw_reuse_delay",
     K::kInt,
     U::kMillis,
     {1000},
     1,
     60000,
     "minimum age of a TIME-WAIT's last timestamp before it may be reused (1..TCP_PAWS_MSL s)"},
    {I::kTcpTimestamps,
     "net.ipv4.tcp_timestamps",
     K::kInt,
     U::kMode,
     {1},
     0,
     255,
     "RFC 7323 timestamps: 0 off, 1 on with a random per-connection offset, 2 on without (u8)"},
    {I::kTcpWindowScaling,
     "net.ipv4.tcp_window_scaling",
     K::kInt,
     U::kBool,
     {1},
     0,
     255,
     "offer and accept RFC 7323 window scaling (u8)"},
    {I::kTcpSack,
     "net.ipv4.tcp_sack",
     K::kInt,
     U::kBool,
     {1},
     0,
     255,
     "offer and accept RFC 2018 selective acknowledgements (u8)"},
    {I::kTcpFastopen,
     "net.ipv4.tcp_fastopen",
     K::kInt,
     U::kBitmask,
     {1},
     0,
     kIntMax,
     "TFO bits: 0x1 client, 0x2 server, 0x4 client w/o cookie, 0x200 server w/o cookie, 0x400 "
     "all listeners (narrowed)"},
    {I::kTcpFastopenKey,
     "net.ipv4.tcp_fastopen_key",
     K::kFastOpenKey,
     U::kKey,
     {0},
     0,
     0xFFFFFFFF,
     "server key for TFO cookies, 4 dash-separated hex words; ',<backup>' optional"},
    {I::kTcpKeepaliveTime,
     "net.ipv4.tcp_keepalive_time",
     K::kInt,
     U::kSeconds,
     {7200},
     1,
     kMaxJiffySeconds,
     "idle time before the first keepalive probe (narrowed to >= 1)"},
    {I::kTcpKeepaliveIntvl,
     "net.ipv4.tcp_keepalive_intvl",
     K::kInt,
     U::kSeconds,
     {75},
     1,
     kMaxJiffySeconds,
     "time between unanswered keepalive probes (narrowed to >= 1)"},
    {I::kTcpKeepaliveProbes,
     "net.ipv4.tcp_keepalive_probes",
     K::kInt,
     U::kCount,
     {9},
     0,
     255,
     "unanswered keepalive probes before the connection is dropped (u8)"},
    {I::kTcpRfc1337,
     "net.ipv4.tcp_rfc1337",
     K::kInt,
     U::kBool,
     {0},
     0,
     255,
     "1: an RST does not end TIME-WAIT early (RFC 1337 hazard fix) (u8)"},
    {I::kTcpChallengeAckLimit,
     "net.ipv4.tcp_challenge_ack_limit",
     K::kInt,
     U::kCount,
     {2147483647},
     0,
     kIntMax,
     "challenge ACKs per second for the whole host (narrowed)"},
    {I::kTcpInvalidRatelimit,
     "net.ipv4.tcp_invalid_ratelimit",
     K::kInt,
     U::kMillis,
     {500},
     0,
     kIntMax,
     "minimum gap between duplicate ACKs sent for invalid segments (narrowed)"},
    {I::kIpLocalPortRange,
     "net.ipv4.ip_local_port_range",
     K::kIntVector,
     U::kPort,
     {32768, 60999},
     1,
     65535,
     "ephemeral ports for connect() and bind(port 0): low high"},
    {I::kIpUnprivilegedPortStart,
     "net.ipv4.ip_unprivileged_port_start",
     K::kInt,
     U::kPort,
     {1024},
     0,
     65535,
     "first unprivileged port; the ephemeral range may not start below it"},
    {I::kTcpRmem,
     "net.ipv4.tcp_rmem",
     K::kIntVector,
     U::kBytes,
     {4096, 131072, 6291456},
     1,
     kIntMax,
     "receive buffer: min default max"},
    {I::kTcpWmem,
     "net.ipv4.tcp_wmem",
     K::kIntVector,
     U::kBytes,
     {4096, 16384, 4194304},
     1,
     kIntMax,
     "send buffer: min default max"},
    // SK_RMEM_MAX / SK_WMEM_MAX (212992 on x86-64); min is SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF.
    {I::kRmemMax,
     "net.core.rmem_max",
     K::kInt,
     U::kBytes,
     {212992},
     2304,
     kIntMax,
     "largest SO_RCVBUF an application may ask for; also bounds the offered window scale"},
    {I::kWmemMax,
     "net.core.wmem_max",
     K::kInt,
     U::kBytes,
     {212992},
     4608,
     kIntMax,
     "largest SO_SNDBUF an application may ask for"},
    // Linux 6.11+ / 6.15+ names for what older kernels hard-coded (TCP_RTO_MIN / TCP_RTO_MAX).
    {I::kTcpRtoMinUs,
     "net.ipv4.tcp_rto_min_us",
     K::kInt,
     U::kMicros,
     {200000},
     1,
     kIntMax,
     "lower bound on the retransmission timeout"},
    {I::kTcpRtoMaxMs,
     "net.ipv4.tcp_rto_max_ms",
     K::kInt,
     U::kMillis,
     {120000},
     1000,
     120000,
     "upper bound on the retransmission timeout (1 s..TCP_RTO_MAX)"},
    // Compile-time constants in Linux (include/net/tcp.h), settable in synack.
    {I::kTimeWaitLen,
     "synack.tcp_timewait_len",
     K::kInt,
     U::kSeconds,
     {60},
     1,
     kMaxJiffySeconds,
     "TIME-WAIT length, 2*MSL (Linux TCP_TIMEWAIT_LEN, fixed at 60 s there)"},
    {I::kTcpRtoInitialMs,
     "synack.tcp_rto_initial_ms",
     K::kInt,
     U::kMillis,
     {1000},
     1,
     120000,
     "initial retransmission timeout, SYN included (Linux TCP_TIMEOUT_INIT)"},
    {I::kTcpDelackMinMs,
     "synack.tcp_delack_min_ms",
     K::kInt,
     U::kMillis,
     {40},
     1,
     60000,
     "shortest delayed-ACK timeout (Linux TCP_DELACK_MIN)"},
    {I::kTcpDelackMaxMs,
     "synack.tcp_delack_max_ms",
     K::kInt,
     U::kMillis,
     {200},
     1,
     60000,
     "longest delayed-ACK timeout (Linux TCP_DELACK_MAX)"},
}};

}  // namespace

std::string_view to_string(SysctlUnit u) {
  switch (u) {
    case SysctlUnit::kCount:
      return "count";
    case SysctlUnit::kBool:
      return "boolean";
    case SysctlUnit::kMode:
      return "mode";
    case SysctlUnit::kBitmask:
      return "bitmask";
    case SysctlUnit::kSeconds:
      return "seconds";
    case SysctlUnit::kMillis:
      return "milliseconds";
    case SysctlUnit::kMicros:
      return "microseconds";
    case SysctlUnit::kBytes:
      return "bytes";
    case SysctlUnit::kPort:
      return "port";
    case SysctlUnit::kKey:
      return "key";
  }
  return "?";
}

const SysctlInfo& sysctl_info(SysctlId id) {
  assert(index_of(id) < kTable.size());
  return kTable[index_of(id)];
}

std::optional<SysctlId> find_sysctl(std::string_view name) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t'))
    name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
    name.remove_suffix(1);
  if (name.empty()) return std::nullopt;
  // sysctl(8): a name containing '/' is a path under /proc/sys, otherwise dots separate the
  // parts. A leading '/' is tolerated for the path form.
  const bool slash_form = name.find('/') != std::string_view::npos;
  if (slash_form && name.front() == '/') name.remove_prefix(1);
  for (const SysctlInfo& row : kTable) {
    if (row.name.size() != name.size()) continue;
    bool match = true;
    for (size_t i = 0; i < name.size() && match; ++i) {
      char c = name[i];
      if (slash_form) {
        if (c == '/') {
          c = '.';
        } else if (c == '.') {
          match = false;  // a dot inside a path component is not a separator
          break;
        }
      }
      match = c == row.name[i];
    }
    if (match) return row.id;
  }
  return std::nullopt;
}

}  // namespace synack::stack
