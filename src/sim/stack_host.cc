#include "sim/stack_host.h"

namespace synack::sim {

StackHost::StackHost(const StackConfig& config, uint64_t seed, link::PacketPool& pool)
    : pool_(pool), stack_(config, seed, *this) {}

void StackHost::receive(PacketPtr packet, Instant now) {
  stack_.input(packet->bytes(), now);
}

void StackHost::advance(Instant now) {
  stack_.advance(now);
}

Instant StackHost::next_deadline() const {
  return stack_.next_deadline();
}

void StackHost::transmit(std::span<const uint8_t> ipv4_packet, Instant now) {
  if (out_ == nullptr) {
    ++unattached_drops_;
    return;
  }
  out_->push(pool_.copy(ipv4_packet), now);
}

}  // namespace synack::sim
