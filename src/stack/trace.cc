#include "stack/trace.h"

#include <fmt/format.h>

namespace synack::stack {

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::kStateChange:
      return "state";
    case EventKind::kTimerFired:
      return "timer";
    case EventKind::kSegmentIn:
      return "in";
    case EventKind::kSegmentOut:
      return "out";
    case EventKind::kDrop:
      return "drop";
    case EventKind::kAbort:
      return "abort";
    case EventKind::kLog:
      return "log";
  }
  return "?";
}

std::string_view to_string(TimerKind k) {
  switch (k) {
    case TimerKind::kNone:
      return "none";
    case TimerKind::kRetransmit:
      return "retransmit";
    case TimerKind::kSynAck:
      return "synack";
    case TimerKind::kPersist:
      return "persist";
    case TimerKind::kKeepalive:
      return "keepalive";
    case TimerKind::kDelayedAck:
      return "delack";
    case TimerKind::kFinWait2:
      return "fin_wait2";
    case TimerKind::kTimeWait:
      return "time_wait";
    case TimerKind::kLinger:
      return "linger";
    case TimerKind::kUserTimeout:
      return "user_timeout";
  }
  return "?";
}

std::string_view to_string(LogMessage m) {
  switch (m) {
    case LogMessage::kNone:
      return "none";
    case LogMessage::kSynFloodCookies:
      return "syn_flood_cookies";
    case LogMessage::kSynFloodDrop:
      return "syn_flood_drop";
    case LogMessage::kTooManyOrphans:
      return "too_many_orphans";
    case LogMessage::kTimeWaitOverflow:
      return "time_wait_overflow";
  }
  return "?";
}

std::string linux_log_text(const Event& e) {
  switch (e.log) {
    case LogMessage::kSynFloodCookies:
    case LogMessage::kSynFloodDrop:
      // The listener's address and port: the local side of the tuple.
      return fmt::format(
          "TCP: request_sock_TCP: Possible SYN flooding on port {}:{}. {}.",
          wire::to_string(e.tuple.local_addr), e.tuple.local_port,
          e.log == LogMessage::kSynFloodCookies ? "Sending cookies" : "Dropping request");
    case LogMessage::kTooManyOrphans:
      return "TCP: too many orphaned sockets";
    case LogMessage::kTimeWaitOverflow:
      return "TCP: time wait bucket table overflow";
    case LogMessage::kNone:
      break;
  }
  return {};
}

}  // namespace synack::stack
