#include "stack/trace_json.h"

#include <fmt/format.h>

#include "wire/packet.h"

namespace synack::stack {
namespace {

std::string endpoint(wire::Ipv4Address a, uint16_t port) {
  return fmt::format("{}:{}", wire::to_string(a), port);
}

void field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

void field_int(std::string& out, std::string_view key, uint64_t value) {
  out += fmt::format(",\"{}\":{}", key, value);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

std::string to_json_line(const Event& e) {
  std::string out = "{\"t\":";
  append_json_string(out, to_string(e.at));
  field_int(out, "t_ns", static_cast<uint64_t>(e.at.ns()));
  field(out, "kind", to_string(e.kind));
  field(out, "local", endpoint(e.tuple.local_addr, e.tuple.local_port));
  field(out, "remote", endpoint(e.tuple.remote_addr, e.tuple.remote_port));
  switch (e.kind) {
    case EventKind::kStateChange:
      field(out, "from", tcp::rfc_name(e.old_state));
      field(out, "to", tcp::rfc_name(e.new_state));
      break;
    case EventKind::kTimerFired:
      field(out, "state", tcp::rfc_name(e.old_state));
      field(out, "timer", to_string(e.timer));
      field_int(out, "count", e.value);
      break;
    case EventKind::kSegmentIn:
    case EventKind::kSegmentOut:
      field(out, "state", tcp::rfc_name(e.old_state));
      break;
    case EventKind::kDrop:
      field(out, "reason", e.reason);
      break;
    case EventKind::kAbort:
      field(out, "state", tcp::rfc_name(e.old_state));
      field(out, "reason", e.reason);
      break;
    case EventKind::kLog:
      field(out, "message", linux_log_text(e));
      break;
  }
  if (e.packet != nullptr) field(out, "segment", wire::to_string(*e.packet));
  out += "}\n";
  return out;
}

}  // namespace synack::stack
