// The two interfaces every packet mover shares.
//
// What a TUN device and a simulated cable have in common is small: something accepts an IPv4
// packet at an Instant, and something later hands packets to whoever is on the other side.
// Both halves are the same interface, PacketSink: a host's output is a sink (the link), and
// the link's output is a sink (the next host's input, or another decorator). So decorators —
// fault injector, tracer, pcap tap — wrap any sink, on either side of a link, in any order
// (STYLE lesson 11), and a host never knows what it is plugged into.
//
// Moving a packet later in time (latency, a scripted delay) needs a clock owner. That is the
// driver's job, behind PacketScheduler: the simulator implements it with its event queue, a
// real-time driver would with its own timer heap. Neither interface allocates per packet.
//
// Single-threaded: a sink is called from its driver's loop only.
#pragma once

#include <synack/time.h>

#include "link/packet_buffer.h"

namespace synack::link {

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // Takes ownership of one IPv4 packet, handed over at `now`.
  virtual void push(PacketPtr packet, Instant now) = 0;
};

class PacketScheduler {
 public:
  virtual ~PacketScheduler() = default;
  // Calls `to.push(packet, at)` when the driver's time reaches `at` (an `at` in the past
  // means "as soon as possible"). Packets due at the same Instant arrive in the order they
  // were scheduled.
  virtual void deliver_at(Instant at, PacketSink& to, PacketPtr packet) = 0;
};

}  // namespace synack::link
