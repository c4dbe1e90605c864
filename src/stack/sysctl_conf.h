// Applying sysctl.conf text to a Sysctls (SPEC §16.6; the CLI's --sysctl-file).
//
// The core does no file I/O: the caller reads the file and passes its text and a name used
// in messages ("FILE:LINE: message", the form compilers use, so editors can jump to it).
//
// Syntax, as sysctl.d(5) / systemd-sysctl and procps `sysctl -p` accept it:
//   - one assignment per line: `name = value` or `name=value`, spaces around both optional;
//     the value runs to the end of the line (vectors: `net.ipv4.tcp_rmem = 4096 131072 6291456`);
//   - blank lines and lines whose first non-blank character is '#' or ';' are comments;
//   - names in dotted or slash form (net/ipv4/tcp_syn_retries);
//   - a '-' before the name (`-net.ipv4.tcp_foo = 1`) makes any failure on that line —
//     unknown name, bad or out-of-range value — a note instead of an error (systemd-sysctl);
//   - a later assignment to the same name wins.
//
// All-or-nothing (a decision; Linux's tools apply line by line and keep going): lines are
// applied in order to a scratch copy, so later lines see earlier ones (a port-range line can
// rely on an ip_unprivileged_port_start line above it); if any line fails without '-', the
// target is left untouched and every error is reported, not just the first. A simulation must
// never run with half a configuration.
//
// Single-threaded; pure function of its inputs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "stack/sysctl.h"

namespace synack::stack {

struct ConfDiagnostic {
  std::string source;  // the name the caller gave
  int line = 0;        // 1-based
  std::string message;
  // "FILE:LINE: message"
  [[nodiscard]] std::string to_string() const;
};

struct ConfApplied {
  int assignments = 0;                  // lines that changed (or re-set) a value
  std::vector<ConfDiagnostic> ignored;  // failures on '-' lines, and Linux-style warnings
};

// Applies `text` to `target` if every non-'-' line is valid; otherwise returns all errors and
// leaves `target` unchanged.
Result<ConfApplied, std::vector<ConfDiagnostic>> apply_conf(Sysctls& target, std::string_view text,
                                                            std::string_view source_name);

}  // namespace synack::stack
