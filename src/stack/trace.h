// The event trace: every state change, timer firing, segment, drop, abort and operator log line
// of a host, as a value handed to an optional sink (ARCHITECTURE: "every state change and timer
// firing can be observed through an event-trace callback (off costs nothing measurable)";
// SPEC §16.4, §16.5).
//
// Cost when off: Tracer holds a sink pointer; every helper starts with `if (sink_ == nullptr)
// return;`, inline, so a host with no sink pays one predictable, well-predicted branch per call
// site and never builds an Event. Arguments are cheap values (ints, enums, a 4-tuple of
// integers, a pointer to an already-parsed packet), so nothing is formatted or allocated unless
// a sink is set.
//
// Event is a plain value: time, kind, the connection's 4-tuple as plain fields, old/new state,
// timer kind, and a reason — a string_view that must point to static storage (a string literal
// or a to_string() table), so sinks may keep events without copying. `packet` (segments only)
// points to the parsed packet and is valid only during the callback.
//
// Log lines (kind kLog) carry a LogMessage id; linux_log_text() renders Linux's own wording for
// the events operators grep their kernel log for (SPEC §6.4, §8.7, §9.7).
//
// Formatting (JSON lines for --trace FILE) lives in trace_json.h. Single-threaded: a sink is
// called synchronously, in event order, from inside the stack call that caused the event.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tcp/state.h"
#include "wire/ipv4_address.h"

namespace synack::wire {
struct Packet;
}

namespace synack::stack {

enum class EventKind : uint8_t {
  kStateChange,  // old_state -> new_state
  kTimerFired,   // timer
  kSegmentIn,    // a segment arrived for this connection (packet)
  kSegmentOut,   // a segment was sent (packet)
  kDrop,         // a segment was dropped; reason says why (the counter's name or a phrase)
  kAbort,        // a connection was aborted (reason), e.g. "tcp_max_orphans", "SO_LINGER {on,0}"
  kLog,          // an operator-visible log line (log)
};
inline constexpr int kEventKindCount = 7;
std::string_view to_string(EventKind k);

enum class TimerKind : uint8_t {
  kNone,
  kRetransmit,  // RTO, SYN and FIN retransmissions included
  kSynAck,      // a request record's SYN+ACK retransmission
  kPersist,     // zero-window probe
  kKeepalive,
  kDelayedAck,
  kFinWait2,  // orphan's tcp_fin_timeout
  kTimeWait,
  kLinger,       // SO_LINGER {on, t} wait in close()
  kUserTimeout,  // TCP_USER_TIMEOUT
};
inline constexpr int kTimerKindCount = 10;
std::string_view to_string(TimerKind k);

enum class LogMessage : uint8_t {
  kNone,
  kSynFloodCookies,   // SPEC §6.4
  kSynFloodDrop,      // the same warning when cookies are off
  kTooManyOrphans,    // SPEC §8.7
  kTimeWaitOverflow,  // SPEC §9.7
};
std::string_view to_string(LogMessage m);

// The connection a event is about, as plain values (local = this host's side).
struct TraceTuple {
  wire::Ipv4Address local_addr;
  uint16_t local_port = 0;
  wire::Ipv4Address remote_addr;
  uint16_t remote_port = 0;
  bool operator==(const TraceTuple&) const = default;
};

struct Event {
  Instant at;
  EventKind kind = EventKind::kLog;
  TraceTuple tuple;
  tcp::State old_state = tcp::State::kClosed;
  tcp::State new_state = tcp::State::kClosed;
  TimerKind timer = TimerKind::kNone;
  LogMessage log = LogMessage::kNone;
  std::string_view reason{};             // static storage only
  uint64_t value = 0;                    // kind-specific: retransmission count, queue length, ...
  const wire::Packet* packet = nullptr;  // segments: valid during the callback only
};

// Linux's kernel-log wording for a kLog event, e.g.
// "TCP: request_sock_TCP: Possible SYN flooding on port 10.0.0.2:80. Sending cookies."
// (net/ipv4/tcp_input.c tcp_syn_flood_action, Linux >= 5.10; the "TCP: " prefix is pr_fmt),
// "TCP: too many orphaned sockets" (tcp_check_oom), "TCP: time wait bucket table overflow".
std::string linux_log_text(const Event& e);

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void on_event(const Event& e) = 0;
};

class Tracer {
 public:
  Tracer() = default;
  explicit Tracer(TraceSink* sink) : sink_(sink) {}
  void set_sink(TraceSink* sink) { sink_ = sink; }
  [[nodiscard]] TraceSink* sink() const { return sink_; }
  [[nodiscard]] bool enabled() const { return sink_ != nullptr; }

  // Any event; prefer the helpers, which build the Event only when a sink is set.
  void emit(const Event& e) const {
    if (sink_ != nullptr) sink_->on_event(e);
  }
  void state_change(Instant at, const TraceTuple& t, tcp::State from, tcp::State to) const {
    if (sink_ == nullptr) return;
    Event e{.at = at, .kind = EventKind::kStateChange, .tuple = t};
    e.old_state = from;
    e.new_state = to;
    sink_->on_event(e);
  }
  // `state` is the connection's state when the timer fired; `count` e.g. the retransmission
  // number or probes sent so far.
  void timer_fired(Instant at, const TraceTuple& t, tcp::State state, TimerKind timer,
                   uint64_t count = 0) const {
    if (sink_ == nullptr) return;
    Event e{.at = at, .kind = EventKind::kTimerFired, .tuple = t, .old_state = state};
    e.new_state = state;
    e.timer = timer;
    e.value = count;
    sink_->on_event(e);
  }
  void segment_in(Instant at, const TraceTuple& t, tcp::State state, const wire::Packet& p) const {
    segment(at, EventKind::kSegmentIn, t, state, p);
  }
  void segment_out(Instant at, const TraceTuple& t, tcp::State state, const wire::Packet& p) const {
    segment(at, EventKind::kSegmentOut, t, state, p);
  }
  // `reason` must be static (e.g. counter_info(c).nstat_name or a literal).
  void drop(Instant at, const TraceTuple& t, std::string_view reason,
            const wire::Packet* p = nullptr) const {
    if (sink_ == nullptr) return;
    Event e{.at = at, .kind = EventKind::kDrop, .tuple = t, .reason = reason};
    e.packet = p;
    sink_->on_event(e);
  }
  void abort(Instant at, const TraceTuple& t, tcp::State state, std::string_view reason) const {
    if (sink_ == nullptr) return;
    Event e{.at = at, .kind = EventKind::kAbort, .tuple = t, .old_state = state};
    e.new_state = state;
    e.reason = reason;
    sink_->on_event(e);
  }
  void log(Instant at, const TraceTuple& t, LogMessage m) const {
    if (sink_ == nullptr) return;
    Event e{.at = at, .kind = EventKind::kLog, .tuple = t};
    e.log = m;
    e.reason = to_string(m);
    sink_->on_event(e);
  }

 private:
  void segment(Instant at, EventKind kind, const TraceTuple& t, tcp::State state,
               const wire::Packet& p) const {
    if (sink_ == nullptr) return;
    Event e{.at = at, .kind = kind, .tuple = t, .old_state = state};
    e.new_state = state;
    e.packet = &p;
    sink_->on_event(e);
  }

  TraceSink* sink_ = nullptr;
};

}  // namespace synack::stack
