// TCP connection states and the names each tool prints for them.
//
// SPEC §3.1: the eleven RFC 9293 states. SPEC §3.2: like Linux, a passive open that has seen
// a SYN but not the final ACK is a small request record (Linux TCP_NEW_SYN_RECV), not a full
// connection; kNewSynRecv names that record's state so traces and views can show it.
//
// Operators read states through several tools, each with its own spelling (SPEC §16.1):
//   rfc_name()      RFC 9293 §3.3.2:      SYN-RECEIVED, FIN-WAIT-1, TIME-WAIT, ...
//   ss_name()       iproute2 ss:          SYN-RECV, ESTAB, UNCONN (for CLOSED), ...
//   netstat_name()  net-tools netstat:    SYN_RECV, FIN_WAIT1, CLOSE (for CLOSED), ...
//   proc_net_tcp_state()  the hex "st" column of /proc/net/tcp: 01 ESTABLISHED ... 0B CLOSING.
//   linux_state_number()  Linux's enum value (include/net/tcp_states.h), 12 for NEW_SYN_RECV.
// A request record shows up in ss, netstat and /proc/net/tcp as SYN-RECV / SYN_RECV / 03, because
// Linux reports request sockets with state TCP_SYN_RECV (inet_diag and /proc/net/tcp both do).
//
// Header-only on purpose: everything here is a constexpr table lookup, usable from any layer.
// Value types only; single-threaded like the rest of the core.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace synack::tcp {

enum class State : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
  kNewSynRecv,  // a listener's request record (SPEC §3.2), not an RFC state
};
inline constexpr int kStateCount = 12;

namespace detail {
struct StateNames {
  std::string_view rfc;
  std::string_view ss;
  std::string_view netstat;
  uint8_t linux_number;  // include/net/tcp_states.h
  uint8_t proc_state;    // /proc/net/tcp "st" column
};
// Indexed by State. Linux numbers: ESTABLISHED 1, SYN_SENT 2, SYN_RECV 3, FIN_WAIT1 4,
// FIN_WAIT2 5, TIME_WAIT 6, CLOSE 7, CLOSE_WAIT 8, LAST_ACK 9, LISTEN 10, CLOSING 11,
// NEW_SYN_RECV 12.
inline constexpr std::array<StateNames, kStateCount> kStateNames = {{
    {"CLOSED", "UNCONN", "CLOSE", 7, 0x07},
    {"LISTEN", "LISTEN", "LISTEN", 10, 0x0A},
    {"SYN-SENT", "SYN-SENT", "SYN_SENT", 2, 0x02},
    {"SYN-RECEIVED", "SYN-RECV", "SYN_RECV", 3, 0x03},
    {"ESTABLISHED", "ESTAB", "ESTABLISHED", 1, 0x01},
    {"FIN-WAIT-1", "FIN-WAIT-1", "FIN_WAIT1", 4, 0x04},
    {"FIN-WAIT-2", "FIN-WAIT-2", "FIN_WAIT2", 5, 0x05},
    {"CLOSE-WAIT", "CLOSE-WAIT", "CLOSE_WAIT", 8, 0x08},
    {"CLOSING", "CLOSING", "CLOSING", 11, 0x0B},
    {"LAST-ACK", "LAST-ACK", "LAST_ACK", 9, 0x09},
    {"TIME-WAIT", "TIME-WAIT", "TIME_WAIT", 6, 0x06},
    {"NEW-SYN-RECV", "SYN-RECV", "SYN_RECV", 12, 0x03},
}};
constexpr const StateNames& names(State s) {
  return kStateNames[static_cast<uint8_t>(s)];
}
}  // namespace detail

// RFC 9293 spelling; kNewSynRecv prints as "NEW-SYN-RECV".
constexpr std::string_view rfc_name(State s) {
  return detail::names(s).rfc;
}
constexpr std::string_view to_string(State s) {
  return rfc_name(s);
}
constexpr std::string_view ss_name(State s) {
  return detail::names(s).ss;
}
constexpr std::string_view netstat_name(State s) {
  return detail::names(s).netstat;
}
constexpr int linux_state_number(State s) {
  return detail::names(s).linux_number;
}
constexpr int proc_net_tcp_state(State s) {
  return detail::names(s).proc_state;
}

// Accepts any spelling above (RFC, ss, netstat), ASCII case-insensitive. The ss/netstat
// names that two states share ("SYN-RECV", "SYN_RECV") parse as kSynReceived, and "CLOSE" /
// "UNCONN" as kClosed. For CLI filters such as `ss state time-wait`.
constexpr std::optional<State> parse_state(std::string_view text) {
  auto iequal = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      char x = a[i];
      char y = b[i];
      if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
      if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
      if (x != y) return false;
    }
    return true;
  };
  for (int i = 0; i < kStateCount; ++i) {
    const auto& n = detail::kStateNames[static_cast<size_t>(i)];
    if (iequal(text, n.rfc) || iequal(text, n.ss) || iequal(text, n.netstat)) {
      return static_cast<State>(i);
    }
  }
  return std::nullopt;
}

// The synchronized states of RFC 9293 §3.5 (a connection that has exchanged SYNs).
constexpr bool is_synchronized(State s) {
  switch (s) {
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      return true;
    default:
      return false;
  }
}

}  // namespace synack::tcp
