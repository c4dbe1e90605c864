#include "host_trace.h"

#include <fmt/format.h>

#include "stack/trace_json.h"
#include "wire/packet.h"

namespace synack::cli {

void HostTrace::on_event(const stack::Event& e) {
  ++events_;
  if (json_ != nullptr) {
    // to_json_line() gives {"t":...}; put the host first so a reader can split the file.
    std::string line = stack::to_json_line(e);
    *json_ += "{\"host\":";
    stack::append_json_string(*json_, host_);
    *json_ += line.size() > 2 ? "," : "";
    json_->append(line, 1, std::string::npos);
  }
  if (e.kind == stack::EventKind::kSegmentOut && e.packet != nullptr && !isn_ &&
      e.packet->tcp.has(wire::tcp_flags::kSyn)) {
    isn_ = e.packet->tcp.seq.raw();
  }
  if (e.kind == stack::EventKind::kStateChange) {
    const StateChange c{.at = e.at, .tuple = e.tuple, .from = e.old_state, .to = e.new_state};
    changes_.push_back(c);
    if (on_state_) on_state_(c);
  }
}

std::string HostTrace::describe(const stack::TraceTuple& t) {
  if (t.remote_port == 0)
    return fmt::format("{}:{} (listening socket)", to_string(t.local_addr), t.local_port);
  return fmt::format("{}:{} <-> {}:{}", to_string(t.local_addr), t.local_port,
                     to_string(t.remote_addr), t.remote_port);
}

std::string HostTrace::format_changes() const {
  std::vector<stack::TraceTuple> order;
  for (const StateChange& c : changes_) {
    bool seen = false;
    for (const auto& t : order)
      seen = seen || t == c.tuple;
    if (!seen) order.push_back(c.tuple);
  }
  std::string out;
  for (const auto& t : order) {
    out += fmt::format("  {} {}\n", host_, describe(t));
    for (const StateChange& c : changes_) {
      if (!(c.tuple == t)) continue;
      out += fmt::format("    {:>12}  {:<12} -> {}\n", to_string(c.at), tcp::rfc_name(c.from),
                         tcp::rfc_name(c.to));
    }
  }
  return out;
}

}  // namespace synack::cli
