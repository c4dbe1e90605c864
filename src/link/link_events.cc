#include "link/link_events.h"

namespace synack::link {

std::string_view to_string(DropReason r) {
  switch (r) {
    case DropReason::kRandomLoss:
      return "random loss";
    case DropReason::kQueueFull:
      return "queue full";
    case DropReason::kFaultRule:
      return "fault rule";
    case DropReason::kNotConnected:
      return "not connected";
  }
  return "?";
}

std::string_view to_string(LinkEventKind k) {
  switch (k) {
    case LinkEventKind::kTraced:
      return "traced";
    case LinkEventKind::kDropped:
      return "dropped";
    case LinkEventKind::kDuplicated:
      return "duplicated";
    case LinkEventKind::kReordered:
      return "reordered";
    case LinkEventKind::kCorrupted:
      return "corrupted";
    case LinkEventKind::kDelayed:
      return "delayed";
  }
  return "?";
}

uint64_t LinkCounters::drops_total() const {
  uint64_t n = 0;
  for (uint64_t d : dropped)
    n += d;
  return n;
}

}  // namespace synack::link
