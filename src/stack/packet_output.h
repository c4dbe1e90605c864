// PacketOutput: where a Stack's outgoing IPv4 packets go.
//
// The core never does I/O (ARCHITECTURE "core contract"): it builds each packet in its own
// scratch buffer and hands the bytes to the driver, in order, with the Instant they leave.
// The span is valid only during the call; a driver that queues packets copies them (the
// simulator into a pooled buffer, a TUN driver straight into write()).
//
// Single-threaded: called from inside Stack::input / advance / socket calls only.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <span>

namespace synack {

class PacketOutput {
 public:
  virtual ~PacketOutput() = default;
  virtual void transmit(std::span<const uint8_t> ipv4_packet, Instant now) = 0;
};

}  // namespace synack
