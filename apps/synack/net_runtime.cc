#include "net_runtime.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>

#include "sim_options.h"
#include "stack/counters_format.h"
#include "stack/views/socket_views.h"
#include "tun_setup.h"

namespace synack::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_stats{false};

void on_stop(int) {
  g_stop.store(true);
}
void on_stats(int) {
  g_stats.store(true);
}

void install(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the loop's ppoll returns EINTR and looks at the flags
  sigaction(sig, &sa, nullptr);
}

Duration from_seconds(double s) {
  return Duration::nanos(static_cast<int64_t>(s * 1e9));
}

}  // namespace

const std::atomic<bool>& stop_requested() {
  return g_stop;
}

void add_net_options(CLI::App& cmd, NetOptions& o) {
  cmd.add_option("--tun", o.tun,
                 "TUN interface to create or attach to (it disappears when synack exits unless "
                 "it was made persistent with 'ip tuntap add')")
      ->capture_default_str()
      ->option_text("NAME");
  cmd.add_option("--addr", o.addr,
                 "synack's own IPv4 address and prefix length on the TUN, e.g. 10.99.0.2/24")
      ->required()
      ->option_text("A/P");
  cmd.add_option("--kernel-addr", o.kernel_addr,
                 "Also give the kernel's side of the TUN this address (same prefix length) and "
                 "bring the interface up. Without it synack prints the 'ip' commands to run")
      ->option_text("B");
  cmd.add_option("--seed", o.seed, "Seed for ISNs, ports and the fault injector")
      ->capture_default_str()
      ->option_text("N");
  cmd.add_option("--sysctl", o.sysctls,
                 "Set a kernel setting of synack's stack by its Linux name, e.g. "
                 "net.ipv4.tcp_sack=0. Repeatable; applied after --sysctl-file")
      ->option_text("NAME=VALUE")
      ->allow_extra_args(false);
  cmd.add_option("--sysctl-file", o.sysctl_files, "Apply a sysctl.conf-syntax file. Repeatable")
      ->option_text("FILE")
      ->allow_extra_args(false);
  cmd.add_option("--pcap", o.pcap,
                 "Capture what synack sends and receives (next to the stack) to FILE")
      ->option_text("FILE");
  cmd.add_option("--loss", o.loss, "Drop each packet with this probability, each direction")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("P");
  cmd.add_option("--reorder", o.reorder,
                 "Hold each packet back by --reorder-delay with this probability, each "
                 "direction")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("P");
  cmd.add_option("--reorder-delay", o.reorder_delay_ms, "How long a reordered packet is held")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0))
      ->option_text("MS");
  cmd.add_option("--duplicate", o.duplicate,
                 "Deliver each packet twice with this probability, each direction")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("P");
  cmd.add_option("--delay", o.delay_ms, "Extra one-way delay in each direction")
      ->check(CLI::Range(0.0, 60000.0))
      ->option_text("MS");
  cmd.add_option("--stats-every", o.stats_every,
                 "Print ss -tan lines and counters to stderr every SECS (also on SIGUSR1)")
      ->check(CLI::Range(0.0, 86400.0))
      ->option_text("SECS");
  cmd.add_option("--duration", o.duration, "Stop after SECS (0: no limit)")
      ->check(CLI::Range(0.0, 1e7))
      ->option_text("SECS");
  cmd.add_flag("--quiet,-q", o.quiet, "Print only the outcome (and errors)");
}

std::unique_ptr<NetRuntime> NetRuntime::create(const NetOptions& opts, std::string_view command,
                                               int& exit_status) {
  auto rt = std::unique_ptr<NetRuntime>(new NetRuntime());
  rt->opts_ = opts;
  rt->command_ = std::string(command);
  exit_status = 2;
  const size_t slash = opts.addr.find('/');
  const auto addr = wire::Ipv4Address::parse(opts.addr.substr(0, slash));
  int prefix = 24;
  if (slash != std::string::npos) {
    const std::string p = opts.addr.substr(slash + 1);
    char* end = nullptr;
    const long v = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || v < 1 || v > 30) {
      fmt::print(stderr, "synack {}: bad prefix length in --addr {}\n", command, opts.addr);
      return nullptr;
    }
    prefix = static_cast<int>(v);
  }
  if (!addr) {
    fmt::print(stderr, "synack {}: bad --addr {} (want A.B.C.D/P)\n", command, opts.addr);
    return nullptr;
  }
  rt->address_ = *addr;
  std::optional<wire::Ipv4Address> kernel;
  if (!opts.kernel_addr.empty()) {
    kernel = wire::Ipv4Address::parse(opts.kernel_addr);
    if (!kernel || *kernel == *addr) {
      fmt::print(stderr, "synack {}: bad --kernel-addr {}\n", command, opts.kernel_addr);
      return nullptr;
    }
  }
  SimOptions sim;
  sim.sysctls = opts.sysctls;
  sim.sysctl_files = opts.sysctl_files;
  auto sys = build_sysctls(sim, command);
  if (!sys) return nullptr;

  exit_status = 1;
  auto dev = link::TunDevice::open(opts.tun);
  if (!dev) {
    fmt::print(stderr, "synack {}: {}\n", command, dev.error().message);
    return nullptr;
  }
  rt->device_ = std::make_unique<link::TunDevice>(std::move(*dev));
  rt->loop_ = std::make_unique<link::RealtimeLoop>(*rt->device_);
  link::RealtimeLoop& loop = *rt->loop_;
  rt->stack_ = std::make_unique<Stack>(StackConfig{.address = *addr}, opts.seed, loop.output());
  rt->stack_->sysctls() = *sys;
  loop.attach(*rt->stack_);

  const link::LinkParams params{.latency = from_seconds(opts.delay_ms / 1000),
                                .loss = opts.loss,
                                .duplicate = opts.duplicate,
                                .reorder = opts.reorder,
                                .reorder_delay = from_seconds(opts.reorder_delay_ms / 1000)};
  Rng rng(opts.seed ^ 0x5eed);
  rt->out_link_ =
      std::make_unique<link::SimLink>("synack->tun", loop, loop.pool(), rng.fork(), params);
  rt->in_link_ =
      std::make_unique<link::SimLink>("tun->synack", loop, loop.pool(), rng.fork(), params);
  link::PacketSink* in_end = &loop.stack_sink();
  if (!opts.pcap.empty()) {
    auto w = link::PcapWriter::open(opts.pcap);
    if (!w) {
      fmt::print(stderr, "synack {}: {}\n", command, w.error());
      return nullptr;
    }
    rt->pcap_ = std::move(*w);
    rt->out_tap_ = std::make_unique<link::PcapTap>(*rt->pcap_, *rt->out_link_);
    rt->in_tap_ = std::make_unique<link::PcapTap>(*rt->pcap_, *in_end);
    in_end = rt->in_tap_.get();
  }
  rt->out_link_->connect(loop.device_sink());
  rt->in_link_->connect(*in_end);
  loop.set_outbound(rt->out_tap_ ? static_cast<link::PacketSink&>(*rt->out_tap_) : *rt->out_link_);
  loop.set_inbound(*rt->in_link_);

  if (kernel) {
    const std::string err = configure_kernel_side(rt->device_->name(), *kernel, prefix);
    if (!err.empty()) {
      fmt::print(stderr, "synack {}: {}\n", command, err);
      return nullptr;
    }
  } else if (!opts.quiet) {
    fmt::print(stderr,
               "synack {}: configure the kernel side of {} yourself, e.g.\n"
               "  ip addr add <kernel address>/{} dev {}\n  ip link set {} up\n",
               command, rt->device_->name(), prefix, rt->device_->name(), rt->device_->name());
  }
  install(SIGINT, on_stop);
  install(SIGTERM, on_stop);
  install(SIGUSR1, on_stats);
  // Blocked except inside the loop's ppoll (RunLimits::sigmask): a signal always ends the
  // sleep, so an idle run sleeps until the stack's next deadline instead of polling a flag.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &rt->poll_mask_);
  sigdelset(&rt->poll_mask_, SIGINT);
  sigdelset(&rt->poll_mask_, SIGTERM);
  sigdelset(&rt->poll_mask_, SIGUSR1);
  const Instant t0 = loop.now();
  if (opts.duration > 0) rt->deadline_ = t0 + from_seconds(opts.duration);
  if (opts.stats_every > 0) rt->next_stats_ = t0 + from_seconds(opts.stats_every);
  exit_status = 0;
  return rt;
}

NetRuntime::~NetRuntime() {
  if (pcap_) pcap_->flush();
}

void NetRuntime::print_stats(Instant now, const std::string& extra) {
  std::string out = fmt::format("# synack {} at {} s\n", command_, to_string(now));
  const auto rows = stack_->snapshot(now);
  out += views::format_ss(rows);
  out += stack::format_nstat(stack_->counters());
  const auto& lc = loop_->counters();
  out += fmt::format(
      "# loop: {} packets read, {} written, {} device drops, {} steps; injector drops: out {} "
      "in {}\n",
      lc.packets_read, lc.packets_written, lc.write_drops, lc.steps,
      out_link_->counters().drops_total(), in_link_->counters().drops_total());
  out += extra;
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

NetRuntime::Outcome NetRuntime::run(const std::function<void(Instant)>& step,
                                    const std::function<bool()>& done,
                                    std::optional<Instant> until) {
  loop_->on_step([&](Instant now) {
    step(now);
    if (g_stats.exchange(false)) print_stats(now, stats_extra_ ? stats_extra_() : std::string());
  });
  Instant limit = deadline_;
  if (until && *until < limit) limit = *until;
  // Until the next statistics time, print, go on: the loop sleeps to a deadline, never polls.
  for (;;) {
    auto r = loop_->run(link::RunLimits{.until = std::min(limit, next_stats_),
                                        .done = done,
                                        .stop = &g_stop,
                                        .sigmask = &poll_mask_});
    if (!r) {
      loop_->on_step({});
      return Outcome{link::RunEnd::kStopped, r.error().message};
    }
    const Instant now = loop_->now();
    if (*r == link::RunEnd::kDeadline && now < limit) {
      while (next_stats_ <= now)
        next_stats_ = next_stats_ + from_seconds(opts_.stats_every);
      print_stats(now, stats_extra_ ? stats_extra_() : std::string());
      continue;
    }
    loop_->on_step({});
    return Outcome{*r, {}};
  }
}

void NetRuntime::drain(const std::function<bool()>& done, Duration for_how_long) {
  loop_->on_step({});
  std::atomic<bool> never{false};
  (void)loop_->run(link::RunLimits{.until = loop_->now() + for_how_long,
                                   .done = [&] { return done() && loop_->delayed() == 0; },
                                   .stop = &never,
                                   .sigmask = &poll_mask_});
}

}  // namespace synack::cli
