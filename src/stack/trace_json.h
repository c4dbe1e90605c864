// JSON lines for the event trace (the CLI's --trace FILE): one object per event, one event per
// line, so `jq`, `grep` and line-oriented tools can follow a run (SPEC §16.5).
//
// Fields, always in this order, absent when they do not apply to the kind:
//   "t"        time as seconds with microsecond precision, a string ("12.000345", exact)
//   "t_ns"     the same Instant in nanoseconds, an integer
//   "kind"     "state" | "timer" | "in" | "out" | "drop" | "abort" | "log"
//   "local", "remote"  "a.b.c.d:port"
//   "from", "to"       RFC state names (state changes)
//   "state"            the connection's state (timers, segments, aborts)
//   "timer", "count"   timer kind and its count (timers)
//   "reason"           drops and aborts
//   "message"          log lines: Linux's wording (linux_log_text)
//   "segment"          segments (and drops that carry one): the tcpdump-style summary
// Strings are escaped per RFC 8259: '"', '\\', and control characters (as \n, \t, \r, \b, \f or
// \u00XX); other bytes pass through unchanged (callers give UTF-8 or ASCII).
//
// JsonLinesSink appends lines to a std::string the driver owns and flushes to a file itself:
// the core never does I/O.
//
// Single-threaded.
#pragma once

#include <string>
#include <string_view>

#include "stack/trace.h"

namespace synack::stack {

// One line, '\n' included.
std::string to_json_line(const Event& e);
// Appends `s` as a JSON string literal (with quotes) to `out`.
void append_json_string(std::string& out, std::string_view s);

class JsonLinesSink final : public TraceSink {
 public:
  explicit JsonLinesSink(std::string& out) : out_(&out) {}
  void on_event(const Event& e) override { *out_ += to_json_line(e); }

 private:
  std::string* out_;
};

}  // namespace synack::stack
