// What links and decorators report: named drop reasons, counters, and an event callback.
//
// STYLE lesson 11: every drop has a named reason and a counter, so a test can assert *why* a
// packet vanished, and every deliberate fault is observable with its time. Counters are plain
// integers read after a run; the observer is an optional pointer, so a run with nobody
// watching pays one branch per packet.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace synack::link {

enum class DropReason : uint8_t {
  kRandomLoss,    // the link's loss probability drew this packet
  kQueueFull,     // tail drop: the link's transmit queue was at its limit
  kFaultRule,     // a scripted fault rule dropped it
  kNotConnected,  // the link has no destination yet
};
inline constexpr int kDropReasonCount = 4;
std::string_view to_string(DropReason r);

enum class LinkEventKind : uint8_t {
  kTraced,      // passed a trace point (Tracer)
  kDropped,     // dropped; see reason
  kDuplicated,  // an extra copy was made (the event carries the copy)
  kReordered,   // held back by the link's reorder delay (extra = the added delay)
  kCorrupted,   // a byte was altered by a fault rule (the event shows the altered bytes)
  kDelayed,     // held back by a fault rule (extra = the added delay)
};
std::string_view to_string(LinkEventKind k);

struct LinkEvent {
  Instant at;
  LinkEventKind kind = LinkEventKind::kTraced;
  DropReason reason = DropReason::kRandomLoss;  // meaningful for kDropped only
  std::string_view stage;                       // name of the link or decorator reporting
  std::string_view rule;                        // fault rule name, for scripted faults
  std::span<const uint8_t> packet;              // valid only during the callback
  Duration extra;                               // added delay, for kReordered / kDelayed
};

class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  virtual void on_link_event(const LinkEvent& e) = 0;
};

struct LinkCounters {
  uint64_t packets_in = 0;  // handed to this stage
  uint64_t bytes_in = 0;
  uint64_t packets_out = 0;  // passed on (for a link: scheduled for delivery), copies included
  uint64_t bytes_out = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;
  uint64_t delayed = 0;
  std::array<uint64_t, kDropReasonCount> dropped{};

  [[nodiscard]] uint64_t drops(DropReason r) const { return dropped[static_cast<size_t>(r)]; }
  [[nodiscard]] uint64_t drops_total() const;
};

}  // namespace synack::link
