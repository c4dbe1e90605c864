// Counters: Linux's SNMP/netstat MIB counters for one host (SPEC §16.3, STYLE lesson 11:
// every drop has a named counter so a test can assert *why*).
//
// Hot path: counters.inc(Counter::kTcpInSegs) is one increment of an enum-indexed array; no
// atomics (the core is single-threaded), no name lookup. Names live in counters_list.h and
// are only touched when printing (counters_format.h).
//
// Gauges: Tcp CurrEstab is not a counter but the number of connections now in ESTABLISHED or
// CLOSE-WAIT (RFC 4022 tcpCurrEstab; Linux tcp_set_state increments it on entering either and
// decrements it on leaving both). count_state_change() applies exactly Linux's rules, so the
// engine calls it on every transition and never touches CurrEstab by hand; dec() refuses to go
// below zero in debug builds because that would mean a transition was reported twice.
//
// Which counters a state change moves (Linux tcp_set_state, tcp_done), for reference:
//   -> ESTABLISHED from anything else, or SYN-RECEIVED -> CLOSE-WAIT : CurrEstab + 1
//   ESTABLISHED / CLOSE-WAIT -> any other state                     : CurrEstab - 1
//   ESTABLISHED / CLOSE-WAIT -> CLOSED                              : EstabResets + 1
//   SYN-SENT / SYN-RECEIVED -> CLOSED                               : AttemptFails + 1
// ActiveOpens (a SYN is sent by connect()) and PassiveOpens (a listener's handshake completes)
// are events, not transitions (simultaneous open also passes SYN-RECEIVED -> ESTABLISHED),
// so the engine counts them itself. Request records (kNewSynRecv) never move these counters,
// as in Linux where request socks do not go through tcp_set_state.
//
// Single-threaded, copyable (a copy is a snapshot).
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <string_view>

#include "stack/counters_list.h"
#include "tcp/state.h"

namespace synack::stack {

enum class Counter : uint16_t {
#define SYNACK_COUNTER_ENUM(group, name, kind, help) k##group##name,
  SYNACK_COUNTER_LIST(SYNACK_COUNTER_ENUM)
#undef SYNACK_COUNTER_ENUM
};

inline constexpr int kCounterCount = 0
#define SYNACK_COUNTER_ONE(group, name, kind, help) +1
    SYNACK_COUNTER_LIST(SYNACK_COUNTER_ONE)
#undef SYNACK_COUNTER_ONE
    ;

enum class CounterGroup : uint8_t { kIp, kTcp, kTcpExt, kIpExt, kSynack };
enum class CounterKind : uint8_t { kCounter, kGauge };

struct CounterInfo {
  Counter id;
  CounterGroup group;
  CounterKind kind;
  std::string_view group_name;  // "TcpExt"
  std::string_view name;        // "ListenDrops"
  std::string_view nstat_name;  // "TcpExtListenDrops"
  std::string_view help;
};

const CounterInfo& counter_info(Counter c);
std::string_view to_string(CounterGroup g);
// By nstat name ("TcpExtListenDrops") or "Group:Name" / "Group.Name" ("TcpExt:ListenDrops").
bool find_counter(std::string_view name, Counter& out);

class Counters {
 public:
  void inc(Counter c) { ++v_[static_cast<size_t>(c)]; }
  void add(Counter c, uint64_t n) { v_[static_cast<size_t>(c)] += n; }
  // Gauges only.
  void dec(Counter c) {
    assert(counter_info(c).kind == CounterKind::kGauge);
    assert(v_[static_cast<size_t>(c)] > 0 && "gauge would go negative");
    --v_[static_cast<size_t>(c)];
  }
  // For snapshots and tests; the engine uses inc/add/dec.
  void set(Counter c, uint64_t v) { v_[static_cast<size_t>(c)] = v; }
  [[nodiscard]] uint64_t value(Counter c) const { return v_[static_cast<size_t>(c)]; }
  [[nodiscard]] uint64_t operator[](Counter c) const { return value(c); }

  // Applies Linux's state-change accounting (see the comment at the top).
  void count_state_change(tcp::State from, tcp::State to);

  void reset() { v_ = {}; }
  bool operator==(const Counters&) const = default;

 private:
  std::array<uint64_t, kCounterCount> v_{};
};

// What changed between two snapshots (nstat without -a): counters as after - before, gauges as
// their current value. A counter that went backwards (reset in between) shows its new value.
Counters counters_delta(const Counters& after, const Counters& before);

}  // namespace synack::stack
