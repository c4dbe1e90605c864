// Options every simulation command shares (`synack demo` now, `synack sim run` next): the seed,
// sysctl settings from the command line and from sysctl.conf files, and where to write a
// capture and the event trace.
//
// Why one struct and one registration function: the options must mean the same thing, with
// the same --help text, on every command that runs a simulation, and the bad-input rule
// (SPEC §16.6; exit status 2 with FILE:LINE for a bad sysctl.conf line) must hold everywhere.
//
// Sysctl precedence: every --sysctl-file in order, then every --sysctl in order, so a command
// line setting overrides a file. A file is applied all-or-nothing (stack/sysctl_conf.h), and
// every error of every file is reported before giving up. The resulting Sysctls is copied into
// each simulated host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "stack/sysctl.h"

namespace synack::cli {

struct SimOptions {
  uint64_t seed = 1;
  std::vector<std::string> sysctls;       // NAME=VALUE, in command-line order
  std::vector<std::string> sysctl_files;  // sysctl.conf files, in command-line order
  std::string pcap;                       // empty: no capture
  std::string trace;                      // empty: no JSON-lines trace
  std::string svg;                        // empty: no SVG ladder diagram
  bool quiet = false;
};

// Registers --seed, --sysctl, --sysctl-file, --pcap, --svg, --trace and --quiet on `cmd`.
void add_sim_options(CLI::App& cmd, SimOptions& opts);

// The settings the options ask for, starting from Linux defaults. On any error prints
// "synack <command>: ..." lines (files as FILE:LINE: message) to stderr and returns nullopt;
// the caller exits with status 2. Warnings Linux would log are printed and do not fail.
std::optional<stack::Sysctls> build_sysctls(const SimOptions& opts, std::string_view command);

// Writes `text` to `path`; false (with a message on stderr) if that fails.
bool write_text_file(const std::string& path, std::string_view text, std::string_view command);

}  // namespace synack::cli
