// `synack sysctl [-a] [--describe] [-n] [NAME[=VALUE] ...]`: the kernel settings synack honours,
// in `sysctl -a` format (SPEC §16.6), read from the registry (stack/sysctl_registry.h).
//
// synack has no persistent host to configure — every simulation builds its hosts afresh — so
// NAME=VALUE only validates: it parses the value exactly as a simulation's --sysctl would and
// prints the result ("net.ipv4.tcp_syn_retries = 3"), or the reason it is refused. Arguments
// apply in order to one scratch copy, so a later argument sees an earlier one (a port range
// after ip_unprivileged_port_start), as `sysctl -w a=1 b=2` would. --help says so.
//
// Output: `name = value` lines, vectors tab-separated, sorted by name with -a, like procps
// sysctl; -n prints values only. --describe adds the help text, default, range and unit of
// each entry under its line. Exit status: 0, or 2 with a message on stderr for an unknown name,
// a bad value, or nothing to show (commands.h).
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "stack/sysctl.h"
#include "stack/sysctl_registry.h"

namespace synack::cli {
namespace {

struct SysctlOptions {
  bool all = false;
  bool describe = false;
  bool values_only = false;
  std::vector<std::string> args;
};

std::string describe_entry(const stack::SysctlListing& l) {
  std::string unit(stack::to_string(sysctl_info(l.id).unit));
  return fmt::format("    {}\n    default {}, range {}, unit {}\n", l.help, l.default_value,
                     l.range, unit);
}

void print_entry(const stack::Sysctls& sys, stack::SysctlId id, const SysctlOptions& o) {
  if (o.values_only) {
    fmt::print("{}\n", sys.format(id));
  } else {
    fmt::print("{}\n", sys.format_line(id));
  }
  if (!o.describe) return;
  for (const auto& l : sys.list())
    if (l.id == id) fmt::print("{}", describe_entry(l));
}

int run_sysctl(const SysctlOptions& o) {
  stack::Sysctls sys;
  if (!o.all && o.args.empty()) {
    fmt::print(stderr,
               "synack sysctl: nothing to show; give -a for every setting, or NAME / "
               "NAME=VALUE (see --help)\n");
    return 2;
  }
  if (o.all) {
    for (const auto& l : sys.list_sorted())
      print_entry(sys, l.id, o);
  }
  for (const std::string& arg : o.args) {
    const size_t eq = arg.find('=');
    const std::string_view name = std::string_view(arg).substr(0, eq);
    const auto id = stack::find_sysctl(name);
    if (!id) {
      fmt::print(stderr,
                 "synack sysctl: unknown setting '{}' (synack honours only the settings "
                 "'synack sysctl -a' lists)\n",
                 name);
      return 2;
    }
    if (eq != std::string::npos) {
      auto set = sys.set(*id, std::string_view(arg).substr(eq + 1));
      if (!set) {
        fmt::print(stderr, "synack sysctl: {}\n", set.error().message);
        return 2;
      }
      if (!set.value().warning.empty())
        fmt::print(stderr, "synack sysctl: warning: {}\n", set.value().warning);
    }
    print_entry(sys, *id, o);
  }
  return 0;
}

}  // namespace

void register_sysctl(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<SysctlOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sysctl",
      "List and check the kernel settings synack honours, by their Linux names, in `sysctl -a` "
      "format. NAME=VALUE only CHECKS a value and prints it as it would be set: synack keeps no "
      "configuration between runs, so to change a setting pass --sysctl NAME=VALUE or "
      "--sysctl-file FILE to the command that runs a simulation (e.g. 'synack demo --sysctl "
      "net.ipv4.tcp_timestamps=0'). Exit status 2 for an unknown name or a bad value.");
  cmd->add_flag("-a,--all", opts->all, "List every setting with its current (default) value");
  cmd->add_flag("--describe,-d", opts->describe,
                "Under each setting, print what it does, its default, range and unit");
  cmd->add_flag("-n,--values", opts->values_only, "Print values only, without names");
  cmd->add_option("NAME[=VALUE]", opts->args,
                  "Settings to print, by dotted or slash name (net.ipv4.tcp_syn_retries, "
                  "net/ipv4/tcp_syn_retries); with =VALUE, check the value and print it as set. "
                  "Applied in order, so a later one sees an earlier one");
  cmd->callback([&run, opts] { run = [opts] { return run_sysctl(*opts); }; });
}

}  // namespace synack::cli
