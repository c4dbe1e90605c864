// The sysctl registry: every tunable synack honours, by its Linux name, with its default,
// accepted range and a one-line help (ARCHITECTURE "decisions already made": code reads the
// registry, not its own constants; SPEC §16.6, §18).
//
// Why an enum plus a constexpr width table: the packet path reads settings by SysctlId, which
// indexes a flat array of int64_t (sysctl.h) — no string lookup, no hashing, no branch on the
// kind. Strings are only for the CLI (`synack sysctl`, sysctl.conf files), which goes through
// find_sysctl(). Vector settings (ip_local_port_range, tcp_rmem, tcp_wmem, tcp_fastopen_key)
// occupy consecutive slots; kSysctlWidth lists their widths and kSysctlOffset is derived from
// it at compile time, so adding an entry means: one enumerator, one table row in
// sysctl_registry.cc, in enum order (tests/stack/sysctl_test.cc checks it).
//
// Defaults are SPEC §18 (Linux 6.x). Ranges are Linux's own where Linux enforces one (the
// extra1/extra2 bounds in net/ipv4/sysctl_net_ipv4.c and the u8 storage of many entries, which
// caps them at 255). Where Linux stores a plain int with no bounds, synack rejects negative
// values (Linux would accept them and behave oddly) — each such row says "narrowed" in the
// table comment. Times keep Linux's units: seconds for *_time/*_timeout/*_intvl, milliseconds
// for tcp_invalid_ratelimit and tcp_tw_reuse_delay, microseconds for tcp_rto_min_us.
//
// A few SPEC §18 parameters are compile-time constants in Linux (TIME-WAIT length, initial
// RTO, delayed-ACK bounds). synack makes them settable under a separate "synack." prefix so
// nobody mistakes them for Linux names.
//
// Single-threaded; the table is immutable static data.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace synack::stack {

enum class SysctlId : uint8_t {
  kTcpSynRetries,
  kTcpSynackRetries,
  kTcpSynLinearTimeouts,
  kTcpRetries1,
  kTcpRetries2,
  kTcpOrphanRetries,
  kTcpFinTimeout,
  kTcpMaxTwBuckets,
  kTcpMaxOrphans,
  kTcpMaxSynBacklog,
  kSomaxconn,
  kTcpAbortOnOverflow,
  kTcpSyncookies,
  kTcpTwReuse,
  kTcpTwReuseDelay,
  kTcpTimestamps,
  kTcpWindowScaling,
  kTcpSack,
  kTcpFastopen,
  kTcpFastopenKey,
  kTcpKeepaliveTime,
  kTcpKeepaliveIntvl,
  kTcpKeepaliveProbes,
  kTcpRfc1337,
  kTcpChallengeAckLimit,
  kTcpInvalidRatelimit,
  kIpLocalPortRange,
  kIpUnprivilegedPortStart,
  kTcpRmem,
  kTcpWmem,
  kRmemMax,
  kWmemMax,
  kTcpRtoMinUs,
  kTcpRtoMaxMs,
  kTimeWaitLen,      // synack.tcp_timewait_len
  kTcpRtoInitialMs,  // synack.tcp_rto_initial_ms
  kTcpDelackMinMs,   // synack.tcp_delack_min_ms
  kTcpDelackMaxMs,   // synack.tcp_delack_max_ms
};
inline constexpr int kSysctlCount = 38;

constexpr size_t index_of(SysctlId id) {
  return static_cast<size_t>(id);
}

// How many integers each entry holds (1 for scalars).
inline constexpr std::array<uint8_t, kSysctlCount> kSysctlWidth = [] {
  std::array<uint8_t, kSysctlCount> w{};
  w.fill(1);
  w[index_of(SysctlId::kIpLocalPortRange)] = 2;
  w[index_of(SysctlId::kTcpRmem)] = 3;
  w[index_of(SysctlId::kTcpWmem)] = 3;
  // Primary key (4 words) and an optional backup key (4 more), as Linux's tcp_fastopen_key.
  w[index_of(SysctlId::kTcpFastopenKey)] = 8;
  return w;
}();

inline constexpr std::array<uint16_t, kSysctlCount + 1> kSysctlOffset = [] {
  std::array<uint16_t, kSysctlCount + 1> off{};
  for (int i = 0; i < kSysctlCount; ++i) {
    off[static_cast<size_t>(i) + 1] =
        static_cast<uint16_t>(off[static_cast<size_t>(i)] + kSysctlWidth[static_cast<size_t>(i)]);
  }
  return off;
}();
inline constexpr int kSysctlSlots = kSysctlOffset[kSysctlCount];

enum class SysctlKind : uint8_t {
  kInt,          // one integer
  kIntVector,    // `width` integers, written whitespace-separated, printed tab-separated
  kFastOpenKey,  // 128-bit key(s) printed as 4 dash-separated 8-hex-digit words
};

enum class SysctlUnit : uint8_t {
  kCount,    // a number of things (retries, sockets, probes)
  kBool,     // 0 or 1 (Linux accepts any u8; non-zero means on)
  kMode,     // a small enumeration, explained in the help
  kBitmask,  // bits, explained in the help
  kSeconds,
  kMillis,
  kMicros,
  kBytes,
  kPort,
  kKey,
};
std::string_view to_string(SysctlUnit u);

struct SysctlInfo {
  SysctlId id;
  std::string_view name;  // dotted Linux name, e.g. "net.ipv4.tcp_syn_retries"
  SysctlKind kind;
  SysctlUnit unit;
  std::array<int64_t, 3> defaults;  // scalar: [0]; vectors: per element (key: all zero)
  int64_t min;                      // per element
  int64_t max;                      // per element
  std::string_view help;            // one line, our words
};

// The registry row for `id`.
const SysctlInfo& sysctl_info(SysctlId id);

// Looks a name up as sysctl(8) would: dotted or slash-separated ("net/ipv4/tcp_syn_retries"),
// surrounding whitespace ignored. nullopt if synack has no such setting.
std::optional<SysctlId> find_sysctl(std::string_view name);

// How many integers `id` can hold (Sysctls::values() gives how many it holds now).
constexpr int sysctl_width(SysctlId id) {
  return kSysctlWidth[index_of(id)];
}

}  // namespace synack::stack
