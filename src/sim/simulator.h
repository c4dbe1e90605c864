// The discrete-event simulator: virtual time, an event queue, hosts joined by links.
//
// Time only moves when the next event is taken from the queue, so a 127-second SYN
// retransmission story runs in microseconds and replays bit for bit from its seed. Events
// due at the same Instant run in the order they were scheduled (ties broken by a sequence
// number), which is what makes runs deterministic.
//
// Hosts plug in through a three-call interface that mirrors the sans-IO core contract
// (ARCHITECTURE "core contract"): receive(packet, now), advance(now), next_deadline(). A TCP
// Stack wrapped in a ten-line adapter is a Host; so is a scripted peer or a SYN-flood
// source. The simulator asks each host for its next deadline after every event that touched
// it, and wakes it then; a host whose deadline moved later simply gets a harmless early
// advance() (stale wake-ups are otherwise skipped). After changing a host from outside the
// loop (a socket call in a test), call poke(host).
//
// Cost: events are 40-byte records in a binary heap; a packet event holds the packet's
// pooled buffer and the sink to push it into, so moving a packet allocates nothing. Timer
// objects (schedule) are allocation-free too; at() takes a std::function for scripted
// one-off actions, where convenience beats speed.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "link/packet_buffer.h"
#include "link/packet_sink.h"
#include "link/sim_link.h"

namespace synack::sim {

using link::PacketPtr;

class Host {
 public:
  virtual ~Host() = default;
  // A packet arrived at `now`.
  virtual void receive(PacketPtr packet, Instant now) = 0;
  // Fire whatever is due at or before `now`.
  virtual void advance(Instant now) { (void)now; }
  // When advance() must be called next; Instant::infinite() for never.
  [[nodiscard]] virtual Instant next_deadline() const { return Instant::infinite(); }
};

// An allocation-free callback for recurring drivers (a traffic generator re-arming itself).
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void fire(Instant now) = 0;
};

using HostId = uint32_t;

class Simulator final : public link::PacketScheduler {
 public:
  explicit Simulator(uint64_t seed);
  ~Simulator() override;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  [[nodiscard]] Instant now() const { return now_; }
  [[nodiscard]] uint64_t seed() const { return seed_; }
  // The simulation's seeded generator: fork() it for each thing that needs randomness.
  [[nodiscard]] Rng& rng() { return rng_; }
  [[nodiscard]] link::PacketPool& pool() { return pool_; }

  // --- topology -----------------------------------------------------------------------
  // The host must outlive the simulator. Its inbox is the sink links deliver into.
  HostId add_host(Host& host, std::string name);
  [[nodiscard]] link::PacketSink& inbox(HostId id);
  [[nodiscard]] const std::string& host_name(HostId id) const;
  // Re-reads the host's next_deadline() (call after changing it outside an event).
  void poke(HostId id);

  // A one-directional link owned by the simulator, with its own Rng forked from rng().
  link::SimLink& add_link(std::string name, const link::LinkParams& params,
                          link::PacketSink& destination);
  struct Cable {
    link::SimLink& a_to_b;
    link::SimLink& b_to_a;
  };
  // Two links "a->b" and "b->a" delivering into each host's inbox. The hosts send into
  // a_to_b / b_to_a (or into decorators wrapped around them).
  Cable add_cable(HostId a, HostId b, const link::LinkParams& params);

  // --- events ---------------------------------------------------------------------------
  void deliver_at(Instant at, link::PacketSink& to, PacketPtr packet) override;
  void schedule(Instant at, Timer& timer);
  // One-off scripted action; every host is poked afterwards.
  void at(Instant at, std::function<void(Instant)> action);

  // --- running --------------------------------------------------------------------------
  // Runs the next event; false when the queue is empty.
  bool step();
  // Runs every event due at or before `end`, then sets the clock to `end`.
  void run_until(Instant end);
  void run_for(Duration d) { run_until(now_ + d); }
  // Runs until no event is left (hosts with periodic timers never let this return).
  void run();

  // When the next event is due (infinite when none is left), for drivers that look at the
  // hosts between events; wake events made stale by a host's new deadline are dropped first.
  [[nodiscard]] Instant next_event_at();
  [[nodiscard]] uint64_t events_processed() const { return processed_; }
  [[nodiscard]] size_t events_pending() const { return heap_.size(); }

 private:
  enum class Kind : uint8_t { kPacket, kTimer, kWake, kAction };
  struct Event {
    Instant at;
    uint64_t seq;
    void* target;                // PacketSink* (kPacket) or Timer* (kTimer)
    link::PacketBuffer* packet;  // owned while queued (kPacket)
    uint32_t index;              // host id (kWake) or action slot (kAction)
    Kind kind;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  class Inbox final : public link::PacketSink {
   public:
    Inbox(Simulator& sim, HostId id) : sim_(sim), id_(id) {}
    void push(PacketPtr packet, Instant now) override;

   private:
    Simulator& sim_;
    HostId id_;
  };
  struct HostSlot {
    Host* host;
    std::string name;
    Inbox inbox;
    Instant wake = Instant::infinite();  // the wake event currently queued, if any
  };

  void push_event(Event e);
  void refresh(HostId id);
  void discard_stale();  // pops wake events that no longer match their host's deadline

  uint64_t seed_;
  Rng rng_;
  link::PacketPool pool_;  // declared before the queue: queued packets return to it
  Instant now_;
  uint64_t next_seq_ = 0;
  uint64_t processed_ = 0;
  std::vector<Event> heap_;
  std::deque<HostSlot> hosts_;
  std::deque<link::SimLink> links_;
  std::vector<std::function<void(Instant)>> actions_;
  std::vector<uint32_t> free_actions_;
};

}  // namespace synack::sim
