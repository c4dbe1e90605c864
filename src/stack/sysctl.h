// Sysctls: the current value of every registry entry (sysctl_registry.h) for one host.
//
// One object per stack (per simulated host), copyable, no global state, so two hosts in a
// simulation can run with different settings. The hot path reads get(id) — one array load —
// and values(id) for vectors; nothing is parsed or looked up by name per packet.
//
// Writes come from the CLI and from sysctl.conf text (sysctl_conf.h). set() parses a value
// the way Linux's /proc/sys handlers do when `sysctl -w` writes it (kernel/sysctl.c
// proc_get_long): optional '-', then digits in C base-0 notation (so "0x10" is 16 and "010" is
// 8, exactly as the kernel reads them), integers separated by whitespace. Like Linux, a vector
// write may give fewer values than the vector holds and then changes only that prefix
// (writing "4096" to tcp_rmem changes only the minimum). Unlike Linux, extra values are an
// error rather than silently ignored. Range checks are the registry's per-element bounds plus
// Linux's cross-checks (ip_local_port_range: low <= high and low >= ip_unprivileged_port_start).
// A failed set() changes nothing. Errors are values with a message meant for a human.
//
// Printing follows /proc/sys: integers in decimal, vector elements tab-separated, the Fast
// Open key as "%08x-%08x-%08x-%08x" (plus ",<backup key>" when one is set).
//
// Single-threaded, like the stack that owns it.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "stack/sysctl_registry.h"

namespace synack::stack {

enum class SysctlErrc : uint8_t {
  kUnknownName,  // no such setting
  kBadValue,     // not an integer / not a key, or the wrong number of values
  kOutOfRange,   // an element outside the registry's min..max
  kInvalid,      // a cross-check failed (e.g. port range low > high)
};
std::string_view to_string(SysctlErrc e);

struct SysctlError {
  SysctlErrc code = SysctlErrc::kBadValue;
  std::string message;  // e.g. "net.ipv4.tcp_syn_retries: value 0 out of range 1..127"
};

struct SysctlSetOk {
  SysctlId id;
  // Non-empty when Linux would accept the value but log a warning (Linux's wording).
  std::string_view warning;
};

// One row of `sysctl -a`, plus what `synack sysctl --describe` shows.
struct SysctlListing {
  SysctlId id;
  std::string_view name;
  std::string value;          // as /proc/sys prints it
  std::string default_value;  // same format
  std::string range;          // "1..127", or "1..65535 each" for vectors, "128-bit key"
  std::string_view unit;
  std::string_view help;
};

class Sysctls {
 public:
  // Every entry at its registry default.
  Sysctls();

  // Scalar read for the hot path. For a vector entry, its first element.
  [[nodiscard]] int64_t get(SysctlId id) const { return values_[kSysctlOffset[index_of(id)]]; }
  // All elements currently set: the full width for integer vectors, 4 or 8 words for the Fast
  // Open key (8 when a backup key is set).
  [[nodiscard]] std::span<const int64_t> values(SysctlId id) const {
    return {values_.data() + kSysctlOffset[index_of(id)], lengths_[index_of(id)]};
  }
  [[nodiscard]] bool get_bool(SysctlId id) const { return get(id) != 0; }
  // For entries whose unit is seconds, milliseconds or microseconds: the value as a Duration.
  // Asserts (debug) on other units.
  [[nodiscard]] Duration duration(SysctlId id) const;

  // Parse and store `text` for the named setting (dotted or slash form).
  Result<SysctlSetOk, SysctlError> set(std::string_view name, std::string_view text);
  Result<SysctlSetOk, SysctlError> set(SysctlId id, std::string_view text);
  // Typed write for tests and embedders; same range checks as set().
  Result<SysctlSetOk, SysctlError> set_values(SysctlId id, std::span<const int64_t> values);
  Result<SysctlSetOk, SysctlError> set_value(SysctlId id, int64_t value) {
    return set_values(id, std::span<const int64_t>(&value, 1));
  }

  // Current value as /proc/sys prints it (no trailing newline).
  [[nodiscard]] std::string format(SysctlId id) const;
  // "net.ipv4.tcp_rmem = 4096\t131072\t6291456", as `sysctl -a` prints a line.
  [[nodiscard]] std::string format_line(SysctlId id) const;
  [[nodiscard]] bool is_default(SysctlId id) const;

  // Every entry in registry order (grouped net.core, net.ipv4, synack when the caller sorts by
  // name, as `sysctl -a` does; list_sorted() does that).
  [[nodiscard]] std::vector<SysctlListing> list() const;
  [[nodiscard]] std::vector<SysctlListing> list_sorted() const;

  bool operator==(const Sysctls&) const = default;

 private:
  std::array<int64_t, kSysctlSlots> values_{};
  std::array<uint8_t, kSysctlCount> lengths_{};
};

// Formats a value the way /proc/sys shows it, for any registry entry (used for defaults).
std::string format_sysctl_value(SysctlId id, std::span<const int64_t> values);

}  // namespace synack::stack
