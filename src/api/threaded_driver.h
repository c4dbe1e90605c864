// ThreadedDriver: blocking socket calls from several threads, with time and packets fed by
// another thread (the packetdrill shim, a real-time loop).
//
// One mutex guards the Stack and the facade. Facade calls hold it; a call that must wait
// sleeps on a condition variable (releasing the mutex) and is woken whenever the feeder
// changes the stack — input() a packet, advance() time — or another facade call changes it.
// Time is whatever the feeder last said (set by input()/advance(), never moving backwards):
// virtual time for a packetdrill-style caller, a clock reading for a real-time loop.
//
// The feeder needs two facts to drive time: next_deadline() is the stack's next timer or the
// earliest deadline of a blocked call (SO_RCVTIMEO, poll timeouts, a linger wait),
// whichever comes first — advancing to it wakes the call that times out; blocked() counts the
// calls asleep right now, so a driver can wait until a blocking call is really in place
// (wait_blocked()) before it feeds the packet that should wake it.
//
// Thread-safe; the Stack itself must only be touched through this driver (with_stack()).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <vector>

#include <synack/socket.h>
#include <synack/time.h>

#include "stack/stack.h"

namespace synack::api {

class ThreadedDriver final : public SocketDriver {
 public:
  explicit ThreadedDriver(Stack& stack, Instant start = Instant::zero())
      : stack_(stack), now_(start) {}

  // --- SocketDriver (the facade's side) ---------------------------------------------------
  void lock() override { mu_.lock(); }
  void unlock() override { mu_.unlock(); }
  [[nodiscard]] Instant now() override { return now_; }
  [[nodiscard]] bool wait(const std::function<bool()>& ready, Instant deadline) override;
  void changed() override { cv_.notify_all(); }

  // --- the feeder's side (each takes the lock) --------------------------------------------
  // A packet arrived at `at` (time moves to `at` if that is later than now).
  void input(std::span<const uint8_t> ipv4_packet, Instant at);
  // Time moves to `to` (if later) and the stack's timers due by then fire.
  void advance(Instant to);
  // min(stack's next timer, earliest deadline of a blocked call).
  [[nodiscard]] Instant next_deadline();
  // Calls asleep in wait() right now.
  [[nodiscard]] size_t blocked();
  // Sleeps (really, on the condition variable) until at least `n` calls are asleep or
  // `timeout` of real time passed; true if they are.
  bool wait_blocked(size_t n, std::chrono::milliseconds timeout);
  // Sleeps (really) until no call asleep in wait() has its condition true or its deadline
  // reached — every call that the last input or advance woke has left wait() — or `timeout`
  // of real time passed; true if so. A virtual-time feeder calls it before moving time again,
  // so a woken call completes at the instant that woke it, however slowly its thread runs.
  bool settle(std::chrono::milliseconds timeout);
  // Runs `f` on the stack under the lock, then wakes the waiters (it may have changed it).
  void with_stack(const std::function<void(Stack&)>& f);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Stack& stack_;
  Instant now_;
  std::multiset<Instant> deadlines_;  // of the calls asleep in wait()
  struct Waiter {
    const std::function<bool()>* ready;
    Instant deadline;
  };
  std::vector<const Waiter*> waiters_;  // the calls asleep in wait()
  size_t blocked_ = 0;
};

}  // namespace synack::api
