// RealtimeLoop: drives one Stack from the real clock and one packet device (a TUN).
//
// The core is sans-IO (ARCHITECTURE "core contract"); this is the thin driver around it for
// real networks, the counterpart of the simulator's event loop. Time is CLOCK_MONOTONIC
// mapped to Instant: zero is the moment the loop was constructed, so pcap timestamps and
// traces read as "seconds since start" exactly like a simulated run. One step of the loop:
//
//   now = clock;  deliver delayed packets due by now;  advance the stack if its deadline
//   passed;  run the application callback;  check the run limits;
//   ppoll(device fd, until min(stack deadline, next delayed packet, run deadline));
//   read every waiting packet (at most kReadBatch) into the inbound chain.
//
// Links compose as decorators (STYLE lesson 11). The loop is a PacketScheduler, so the
// simulator's own FaultInjector (scripted faults) and SimLink (random loss, duplication,
// reordering, latency, bandwidth — tc netem is not available) work unchanged on a real link,
// on either side: set_outbound() names the first sink of the chain the stack's packets enter
// (it must end in device_sink()), set_inbound() the first sink of the chain device packets
// enter (it must end in stack_sink()). A PcapTap fits in either chain. A delayed packet is
// handed on with the loop's current time, never with an Instant earlier than one the stack
// has already seen, so the stack's time never goes backwards.
//
// Application code (servers, clients, tests) runs inside the loop through on_step(): it is
// called once per step, after the stack has seen every packet and timer due, and may make
// any socket call with the `now` it is given. A run ends when its predicate holds, at its
// deadline, or when its stop flag is set (from a signal handler or another thread; the loop
// then notices within kStopPollInterval), or on a device error. A program whose stop flag is
// set only by signal handlers passes RunLimits::sigmask instead: it keeps those signals
// blocked except inside ppoll (which installs the mask atomically), so a signal always
// interrupts the sleep and the loop never wakes just to look at the flag — an idle loop then
// sleeps until the stack's next deadline, however far away.
//
// Single-threaded: the stack, the chains and the callback all run on the thread calling
// run(). Only RunLimits::stop may be written from elsewhere.
#pragma once

#include <synack/time.h>

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/result.h"
#include "link/packet_buffer.h"
#include "link/packet_sink.h"
#include "link/tun_device.h"
#include "stack/packet_output.h"
#include "stack/stack.h"

namespace synack::link {

struct RunLimits {
  Instant until = Instant::infinite();      // loop time at which the run gives up
  std::function<bool()> done{};             // checked after every step
  const std::atomic<bool>* stop = nullptr;  // may be set by a signal handler or a thread
  // The signal mask during ppoll (see above); nullptr: poll `stop` every kStopPollInterval.
  const sigset_t* sigmask = nullptr;
};

enum class RunEnd : uint8_t { kDone, kDeadline, kStopped };

struct LoopCounters {
  uint64_t packets_read = 0;
  uint64_t bytes_read = 0;
  uint64_t packets_written = 0;
  uint64_t bytes_written = 0;
  uint64_t write_drops = 0;  // the device's queue was full
  uint64_t steps = 0;
};

class RealtimeLoop final : public PacketScheduler {
 public:
  static constexpr int kReadBatch = 64;
  static constexpr Duration kStopPollInterval = Duration::millis(20);

  explicit RealtimeLoop(TunDevice& device);
  RealtimeLoop(const RealtimeLoop&) = delete;
  RealtimeLoop& operator=(const RealtimeLoop&) = delete;

  // Pass to the Stack's constructor, then attach() that stack.
  [[nodiscard]] PacketOutput& output() { return output_; }
  void attach(Stack& stack) { stack_ = &stack; }

  [[nodiscard]] PacketSink& device_sink() { return device_sink_; }
  [[nodiscard]] PacketSink& stack_sink() { return stack_sink_; }
  void set_outbound(PacketSink& first) { outbound_ = &first; }
  void set_inbound(PacketSink& first) { inbound_ = &first; }
  [[nodiscard]] PacketPool& pool() { return pool_; }

  void on_step(std::function<void(Instant)> callback) { on_step_ = std::move(callback); }

  // Loop time: CLOCK_MONOTONIC since construction.
  [[nodiscard]] Instant now() const;

  [[nodiscard]] Result<RunEnd, DeviceError> run(const RunLimits& limits);

  void deliver_at(Instant at, PacketSink& to, PacketPtr packet) override;

  [[nodiscard]] const LoopCounters& counters() const { return counters_; }
  // Packets waiting in the delay queue.
  [[nodiscard]] size_t delayed() const { return timers_.size(); }

 private:
  struct Output final : PacketOutput {
    explicit Output(RealtimeLoop& l) : loop(l) {}
    void transmit(std::span<const uint8_t> ipv4_packet, Instant now) override;
    RealtimeLoop& loop;
  };
  struct DeviceSink final : PacketSink {
    explicit DeviceSink(RealtimeLoop& l) : loop(l) {}
    void push(PacketPtr packet, Instant now) override;
    RealtimeLoop& loop;
  };
  struct StackSink final : PacketSink {
    explicit StackSink(RealtimeLoop& l) : loop(l) {}
    void push(PacketPtr packet, Instant now) override;
    RealtimeLoop& loop;
  };
  struct Timer {
    Instant at;
    uint64_t order;  // FIFO among equal times (PacketScheduler's promise)
    PacketSink* to;
    PacketPtr packet;
  };

  void deliver_due(Instant now);
  void read_batch();

  TunDevice& device_;
  int64_t epoch_ns_;
  PacketPool pool_;
  Output output_{*this};
  DeviceSink device_sink_{*this};
  StackSink stack_sink_{*this};
  PacketSink* outbound_ = &device_sink_;
  PacketSink* inbound_ = &stack_sink_;
  Stack* stack_ = nullptr;
  std::function<void(Instant)> on_step_;
  std::vector<Timer> timers_;  // a min-heap on (at, order)
  uint64_t next_order_ = 0;
  std::optional<DeviceError> error_;
  std::vector<uint8_t> read_buf_;
  LoopCounters counters_;
};

}  // namespace synack::link
