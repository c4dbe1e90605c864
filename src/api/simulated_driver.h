// SimulatedDriver: blocking socket calls in the simulator's virtual time.
//
// A call that must wait runs the Simulator one event at a time until its condition holds or
// its deadline passes, so a blocked accept() returns at the exact virtual instant the
// client's handshake completes, and a 127-second connect() timeout takes microseconds. The
// deadline is made an event of its own (a no-op Simulator::at() action), so the run stops at
// the deadline exactly instead of at the next unrelated event after it. (When the condition
// holds first, that no-op stays queued and runs harmlessly later; Simulator::run() therefore
// returns no earlier than the latest such deadline.)
//
// Everything else in the simulation (other hosts, links, scripted actions) runs while a call
// waits — the waiting call is the simulation's main loop for that long. A wait whose
// condition nothing can ever make true (the event queue ran dry and there is no deadline)
// returns false, and the call fails with EAGAIN instead of hanging the test.
//
// Single-threaded: lock() and unlock() do nothing.
#pragma once

#include <synack/socket.h>
#include <synack/time.h>

#include "sim/simulator.h"

namespace synack::api {

class SimulatedDriver final : public SocketDriver {
 public:
  // `host` is the simulator's id of the StackHost whose Stack the facade wraps; it is poked
  // after every call so the simulator re-reads that stack's next deadline.
  SimulatedDriver(sim::Simulator& sim, sim::HostId host) : sim_(sim), host_(host) {}

  void lock() override {}
  void unlock() override {}
  [[nodiscard]] Instant now() override { return sim_.now(); }
  [[nodiscard]] bool wait(const std::function<bool()>& ready, Instant deadline) override;
  void changed() override { sim_.poke(host_); }

 private:
  sim::Simulator& sim_;
  sim::HostId host_;
};

}  // namespace synack::api
