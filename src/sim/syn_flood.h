// SYN flood pieces for simulations (SPEC §6.5, §17 "SYN flood with cookies off and on"):
// SynFlooder, an attacker injecting spoofed SYNs, and RouteFilter, the router that throws
// away what the victim sends to addresses that do not exist.
//
// Why the attacker pushes straight into the victim's inbox (the far end of its link) in
// batches from one re-arming Timer: a million SYNs per simulated second as link events would
// cost a heap operation each and measure the simulator, not the stack. The batch interval
// (1 ms by default) spreads them evenly enough for a listener whose timers tick in
// milliseconds. Sources are random addresses outside the protected prefix (the legitimate
// clients), random ports and ISNs, drawn from the flooder's own Rng (seeded: runs replay).
// Each SYN carries Linux's default options (MSS 1460, SACK, timestamps, wscale 7).
//
// Why a filter in front of the victim's link: SYN+ACKs to spoofed sources go nowhere in a
// real network; dropping them at the first hop keeps them off the simulated links (a
// counted discard, no event) so the flood's replies cost the stack's emit and one copy.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <vector>

#include "base/rng.h"
#include "link/packet_sink.h"
#include "sim/simulator.h"
#include "wire/ipv4_address.h"
#include "wire/packet.h"

namespace synack::sim {

struct SynFloodParams {
  wire::Ipv4Address target;
  uint16_t target_port = 80;
  uint64_t syns_per_second = 1'000'000;
  Duration batch_interval = Duration::millis(1);
  Instant start;
  Instant stop;  // no batch at or after this
  // Sources are never drawn from this prefix (the legitimate clients' network).
  wire::Ipv4Address protected_prefix;
  uint8_t protected_prefix_len = 24;
};

class SynFlooder final : public Timer {
 public:
  SynFlooder(Simulator& sim, link::PacketSink& into, Rng rng, const SynFloodParams& params);
  // Schedules the first batch at params.start.
  void start();
  void fire(Instant now) override;
  [[nodiscard]] uint64_t sent() const { return sent_; }

 private:
  Simulator& sim_;
  link::PacketSink& into_;
  Rng rng_;
  SynFloodParams params_;
  wire::Packet syn_;
  std::vector<uint8_t> scratch_;
  uint64_t sent_ = 0;
  uint64_t carry_ = 0;  // fractional SYNs (in units of 1e-9) carried to the next batch
};

// Forwards packets whose IPv4 destination lies in prefix/len; discards (and counts) the rest.
class RouteFilter final : public link::PacketSink {
 public:
  RouteFilter(link::PacketSink& next, wire::Ipv4Address prefix, uint8_t len);
  void push(link::PacketPtr packet, Instant now) override;
  [[nodiscard]] uint64_t discarded() const { return discarded_; }

 private:
  link::PacketSink& next_;
  uint32_t prefix_;
  uint32_t mask_;
  uint64_t discarded_ = 0;
};

}  // namespace synack::sim
