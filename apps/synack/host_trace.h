// HostTrace: the event-trace sink a simulation command puts on each simulated host.
//
// It keeps what the command prints after the run (every state change with its time and
// connection, and the ISN of each SYN the host sent), appends every event as a JSON line with a
// "host" field to a shared buffer when --trace was given (one buffer for all hosts, so the file
// is in event order), and forwards state changes to a callback (the ladder's state columns).
// Kept apart from any one command so `synack sim run` reuses it.
//
// Single-threaded: the stack calls on_event synchronously.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "stack/trace.h"
#include "tcp/state.h"

namespace synack::cli {

struct StateChange {
  Instant at;
  stack::TraceTuple tuple;
  tcp::State from = tcp::State::kClosed;
  tcp::State to = tcp::State::kClosed;
};

class HostTrace final : public stack::TraceSink {
 public:
  // `json` may be null (no --trace). `on_state` may be empty.
  HostTrace(std::string host, std::string* json,
            std::function<void(const StateChange&)> on_state = {})
      : host_(std::move(host)), json_(json), on_state_(std::move(on_state)) {}

  void on_event(const stack::Event& e) override;

  [[nodiscard]] const std::string& host() const { return host_; }
  [[nodiscard]] const std::vector<StateChange>& changes() const { return changes_; }
  // The sequence number of the first SYN this host sent, if any.
  [[nodiscard]] std::optional<uint32_t> first_isn() const { return isn_; }
  [[nodiscard]] uint64_t events() const { return events_; }

  // "a.b.c.d:port -> e.f.g.h:port" (listeners: "a.b.c.d:port (listening)").
  [[nodiscard]] static std::string describe(const stack::TraceTuple& t);
  // The state changes grouped per connection, first-seen order, one indented line each.
  [[nodiscard]] std::string format_changes() const;

 private:
  std::string host_;
  std::string* json_;
  std::function<void(const StateChange&)> on_state_;
  std::vector<StateChange> changes_;
  std::optional<uint32_t> isn_;
  uint64_t events_ = 0;
};

}  // namespace synack::cli
