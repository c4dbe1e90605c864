// StackHost: a synack Stack plugged into the simulator as a Host (the "ten-line adapter" the
// simulator's header promises).
//
// receive() hands the packet's bytes to Stack::input, advance() and next_deadline() forward to
// the stack, and every packet the stack transmits is copied into a pooled buffer and pushed
// into the sink attached with attach() (a SimLink, or a fault injector / pcap tap in front of
// one). The copy is the price of the core's contract (PacketOutput's span lives only during
// the call); the pool makes it allocation-free in steady state.
//
// After a socket call made from outside the event loop (a test or scripted action calling
// stack().connect(...)), poke the simulator so it re-reads next_deadline(); Simulator::at()
// actions do that automatically.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>

#include "link/packet_buffer.h"
#include "link/packet_sink.h"
#include "sim/simulator.h"
#include "stack/packet_output.h"
#include "stack/stack.h"

namespace synack::sim {

class StackHost final : public Host, private PacketOutput {
 public:
  StackHost(const StackConfig& config, uint64_t seed, link::PacketPool& pool);

  // Where outgoing packets go. Packets sent while nothing is attached are dropped (counted).
  void attach(link::PacketSink& out) { out_ = &out; }
  [[nodiscard]] Stack& stack() { return stack_; }
  [[nodiscard]] const Stack& stack() const { return stack_; }
  [[nodiscard]] uint64_t unattached_drops() const { return unattached_drops_; }

  void receive(PacketPtr packet, Instant now) override;
  void advance(Instant now) override;
  [[nodiscard]] Instant next_deadline() const override;

 private:
  void transmit(std::span<const uint8_t> ipv4_packet, Instant now) override;

  link::PacketPool& pool_;
  link::PacketSink* out_ = nullptr;
  uint64_t unattached_drops_ = 0;
  Stack stack_;  // last: it is built with *this as its output
};

}  // namespace synack::sim
