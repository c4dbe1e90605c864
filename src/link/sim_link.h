// SimLink: a one-directional simulated wire with latency, bandwidth, a bounded queue and
// random impairments (a "cable" is two of them, one per direction).
//
// Arithmetic, exact to the nanosecond so tests can assert arrival times:
//   tx    = ceil(bytes * 8 * 1e9 / bandwidth_bps) ns     (0 when bandwidth is unlimited)
//   start = max(now, end of the previous packet's transmission)   — FIFO serialization
//   arrival = start + tx + latency (+ reorder_delay if this packet is reordered)
// The queue holds packets accepted but not yet fully serialized (the one on the wire
// included), like netem's `limit`; a packet arriving to a full queue is tail-dropped.
// A randomly lost packet still used its transmission slot (it is lost on the wire, not in
// the queue). A duplicate arrives together with its original, right after it.
//
// Randomness: one Rng per link, forked from the simulation's seeded Rng when the link is
// created, drawn in a fixed order per packet (loss, duplicate, reorder — each only if its
// probability is non-zero). Traffic on one link never changes another link's draws, and the
// same seed gives the same run bit for bit.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <deque>
#include <string>

#include "base/rng.h"
#include "link/link_events.h"
#include "link/packet_sink.h"

namespace synack::link {

struct LinkParams {
  Duration latency{};          // propagation delay
  uint64_t bandwidth_bps = 0;  // 0: unlimited (no serialization delay, no queue)
  uint32_t queue_packets = 0;  // queue limit in packets; 0: unbounded
  double loss = 0.0;           // probability each packet is lost
  double duplicate = 0.0;      // probability each packet is delivered twice
  double reorder = 0.0;        // probability a packet is held back by reorder_delay
  Duration reorder_delay{};    // extra delay of a reordered packet
};

// Serialization time of `bytes` at `bandwidth_bps`, rounded up to a whole nanosecond.
[[nodiscard]] Duration transmission_time(size_t bytes, uint64_t bandwidth_bps);

class SimLink final : public PacketSink {
 public:
  SimLink(std::string name, PacketScheduler& scheduler, PacketPool& pool, Rng rng,
          LinkParams params);

  void connect(PacketSink& destination) { dst_ = &destination; }
  void set_observer(LinkObserver* observer) { observer_ = observer; }
  // Takes effect for packets pushed from now on (e.g. a cable cut: loss = 1).
  void set_params(const LinkParams& params) { params_ = params; }

  void push(PacketPtr packet, Instant now) override;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const LinkParams& params() const { return params_; }
  [[nodiscard]] const LinkCounters& counters() const { return counters_; }
  // Packets accepted and not yet fully serialized, as of the last push.
  [[nodiscard]] size_t queued() const { return in_queue_.size(); }

 private:
  void drop(const PacketPtr& packet, Instant now, DropReason reason);
  void report(LinkEventKind kind, const PacketBuffer& packet, Instant now, Duration extra);

  std::string name_;
  PacketScheduler& scheduler_;
  PacketPool& pool_;
  Rng rng_;
  LinkParams params_;
  PacketSink* dst_ = nullptr;
  LinkObserver* observer_ = nullptr;
  LinkCounters counters_;
  Instant busy_until_;            // end of the last accepted packet's transmission
  std::deque<Instant> in_queue_;  // transmission end of each packet still in the queue
};

}  // namespace synack::link
