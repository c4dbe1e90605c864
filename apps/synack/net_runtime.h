// What `synack serve` and `synack connect` share: the options that put synack on a real
// network (a TUN) and the runtime they build — TUN, real-time loop, one Stack, the
// simulator's SimLink in both directions for injected faults, an optional capture, signals
// and live statistics.
//
// The chain (link/realtime_loop.h):
//   stack -> [PcapTap] -> SimLink "synack->tun" -> TUN          (what synack sends)
//   TUN -> SimLink "tun->synack" -> [PcapTap] -> stack          (what synack receives)
// The taps sit next to the stack, so the capture shows what synack sent and what it was
// actually given (a packet the injector dropped on the way in is not in it). --loss,
// --reorder, --duplicate and --delay apply to each direction independently (tc netem is not
// available on these machines; these are the simulator's own impairments).
//
// Addresses: --addr A/P is synack's address A on a P-bit subnet. With --kernel-addr B the
// command also gives the kernel's side of the TUN address B/P and brings it up
// (tun_setup.h); without it the command prints the two `ip` commands to run and waits.
//
// Signals: SIGINT and SIGTERM stop the run cleanly (connections are closed, counters
// printed); SIGUSR1 prints the statistics block to stderr at once, --stats-every every N s.
// The statistics block is `ss -tan` of the stack (stack/views), the nonzero counters in
// `nstat` format, and the loop's and injector's counters.
#pragma once

#include <CLI/CLI.hpp>

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/pcap_tap.h"
#include "link/realtime_loop.h"
#include "link/sim_link.h"
#include "link/tun_device.h"
#include "stack/stack.h"

namespace synack::cli {

struct NetOptions {
  std::string tun = "synack0";
  std::string addr;         // A/P
  std::string kernel_addr;  // B: configure the kernel side (optional)
  uint64_t seed = 1;
  std::vector<std::string> sysctls;
  std::vector<std::string> sysctl_files;
  std::string pcap;
  double loss = 0, reorder = 0, duplicate = 0;
  double delay_ms = 0;
  double reorder_delay_ms = 5;
  double stats_every = 0;  // seconds; 0 = only on SIGUSR1
  double duration = 0;     // seconds; 0 = until signalled (serve) / until done (connect)
  bool quiet = false;
};

void add_net_options(CLI::App& cmd, NetOptions& opts);

class NetRuntime {
 public:
  // Opens and configures everything; nullptr after printing "synack COMMAND: ..." to stderr.
  // `exit_status` is set to 1 (device/system error) or 2 (bad option) on failure.
  static std::unique_ptr<NetRuntime> create(const NetOptions& opts, std::string_view command,
                                            int& exit_status);
  ~NetRuntime();

  [[nodiscard]] Stack& stack() { return *stack_; }
  [[nodiscard]] link::RealtimeLoop& loop() { return *loop_; }
  [[nodiscard]] wire::Ipv4Address address() const { return address_; }
  [[nodiscard]] const std::string& device_name() const { return device_->name(); }

  // Runs `step` after every loop step until `done` holds, the duration passes or a signal
  // stops it; prints statistics as asked. The RunEnd, or a device error message.
  struct Outcome {
    link::RunEnd end = link::RunEnd::kDone;
    std::string error;
  };
  Outcome run(const std::function<void(Instant)>& step, const std::function<bool()>& done,
              std::optional<Instant> until = std::nullopt);
  // Keeps the loop going (packets, timers) for up to `for_how_long` or until `done`, without
  // honouring --duration: the tail of a run, so FINs and final ACKs leave before exit.
  void drain(const std::function<bool()>& done, Duration for_how_long);

  // The statistics block (see above), with `extra` lines from the command appended.
  void print_stats(Instant now, const std::string& extra);
  void set_stats_extra(std::function<std::string()> f) { stats_extra_ = std::move(f); }
  [[nodiscard]] Instant deadline() const { return deadline_; }

 private:
  NetRuntime() = default;

  NetOptions opts_;
  std::string command_;
  wire::Ipv4Address address_;
  std::unique_ptr<link::TunDevice> device_;
  std::unique_ptr<link::RealtimeLoop> loop_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<link::SimLink> out_link_, in_link_;
  std::unique_ptr<link::PcapWriter> pcap_;
  std::unique_ptr<link::PcapTap> out_tap_, in_tap_;
  std::function<std::string()> stats_extra_;
  Instant next_stats_ = Instant::infinite();
  Instant deadline_ = Instant::infinite();
  sigset_t poll_mask_{};  // the process mask with SIGINT, SIGTERM, SIGUSR1 unblocked
};

// Set by SIGINT/SIGTERM.
const std::atomic<bool>& stop_requested();

}  // namespace synack::cli
