#include "link/tracer.h"

#include <utility>

namespace synack::link {

void Tracer::push(PacketPtr packet, Instant now) {
  ++packets_;
  if (observer_ != nullptr) {
    LinkEvent e;
    e.at = now;
    e.kind = LinkEventKind::kTraced;
    e.stage = name_;
    e.packet = packet->bytes();
    observer_->on_link_event(e);
  }
  next_.push(std::move(packet), now);
}

}  // namespace synack::link
