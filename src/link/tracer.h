// Tracer: a pass-through decorator that reports every packet crossing it to an observer.
//
// Put one where a host hands packets to its link to see what the host sent (tcpdump on the
// sender), or in front of a host's input to see what it received. The ladder diagram and
// scenario assertions are built from these records plus the drop reports of the stages
// behind. Costs one virtual call per packet; with no observer, one branch.
//
// Single-threaded.
#pragma once

#include <string>

#include "link/link_events.h"
#include "link/packet_sink.h"

namespace synack::link {

class Tracer final : public PacketSink {
 public:
  Tracer(std::string name, PacketSink& next, LinkObserver* observer = nullptr)
      : name_(std::move(name)), next_(next), observer_(observer) {}

  void set_observer(LinkObserver* observer) { observer_ = observer; }
  void push(PacketPtr packet, Instant now) override;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] uint64_t packets() const { return packets_; }

 private:
  std::string name_;
  PacketSink& next_;
  LinkObserver* observer_;
  uint64_t packets_ = 0;
};

}  // namespace synack::link
