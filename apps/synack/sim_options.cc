#include "sim_options.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "stack/sysctl_conf.h"

namespace synack::cli {

void add_sim_options(CLI::App& cmd, SimOptions& opts) {
  cmd.add_option("--seed", opts.seed,
                 "Seed for everything random (ISNs, ports, which packets the link loses). The "
                 "same seed and options give the same run, bit for bit")
      ->capture_default_str()
      ->option_text("N");
  cmd.add_option("--sysctl", opts.sysctls,
                 "Set a kernel setting on every simulated host, by its Linux name, e.g. "
                 "--sysctl net.ipv4.tcp_timestamps=0. Repeatable; applied after --sysctl-file. "
                 "'synack sysctl -a --describe' lists them all")
      ->option_text("NAME=VALUE")
      ->allow_extra_args(false);
  cmd.add_option("--sysctl-file", opts.sysctl_files,
                 "Apply a file in sysctl.conf syntax ('name = value' lines, '#' comments, a "
                 "leading '-' makes a line optional) to every simulated host. Repeatable. A bad "
                 "line is reported as FILE:LINE: message and nothing runs")
      ->option_text("FILE")
      ->allow_extra_args(false);
  cmd.add_option("--pcap", opts.pcap,
                 "Also write every segment the hosts send to FILE in pcap format (raw IPv4, "
                 "nanosecond timestamps = simulated time, lost segments included); open it with "
                 "tcpdump, tshark, Wireshark or 'synack pcap'")
      ->option_text("FILE");
  cmd.add_option("--svg", opts.svg,
                 "Also draw the ladder diagram to FILE as an SVG picture: two timelines, one "
                 "arrow per segment from send to arrival, lost segments ending in an X, the "
                 "states each side enters; long idle gaps are shortened and marked")
      ->option_text("FILE");
  cmd.add_option("--trace", opts.trace,
                 "Write every event of both hosts (state changes, timers, segments in and out, "
                 "drops) to FILE as JSON lines, one object per event with a \"host\" field")
      ->option_text("FILE");
  cmd.add_flag("--quiet,-q", opts.quiet, "Print only the outcome line (and errors)");
}

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return false;
  out = ss.str();
  return true;
}

}  // namespace

std::optional<stack::Sysctls> build_sysctls(const SimOptions& opts, std::string_view command) {
  stack::Sysctls sys;
  bool ok = true;
  for (const std::string& path : opts.sysctl_files) {
    std::string text;
    if (!read_file(path, text)) {
      fmt::print(stderr, "synack {}: cannot read sysctl file {}\n", command, path);
      ok = false;
      continue;
    }
    auto applied = stack::apply_conf(sys, text, path);
    if (!applied) {
      for (const auto& d : applied.error())
        fmt::print(stderr, "{}\n", d.to_string());
      ok = false;
      continue;
    }
    for (const auto& d : applied.value().ignored)
      fmt::print(stderr, "{}\n", d.to_string());
  }
  for (const std::string& arg : opts.sysctls) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      fmt::print(stderr, "synack {}: --sysctl {}: expected NAME=VALUE\n", command, arg);
      ok = false;
      continue;
    }
    auto set = sys.set(std::string_view(arg).substr(0, eq), std::string_view(arg).substr(eq + 1));
    if (!set) {
      fmt::print(stderr, "synack {}: --sysctl {}: {}\n", command, arg, set.error().message);
      ok = false;
      continue;
    }
    if (!set.value().warning.empty())
      fmt::print(stderr, "synack {}: --sysctl {}: warning: {}\n", command, arg,
                 set.value().warning);
  }
  if (!ok) return std::nullopt;
  return sys;
}

bool write_text_file(const std::string& path, std::string_view text, std::string_view command) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) {
    fmt::print(stderr, "synack {}: cannot write {}\n", command, path);
    return false;
  }
  return true;
}

}  // namespace synack::cli
