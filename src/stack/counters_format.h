// Printing counters the way operators' tools do (SPEC §16.3); kept apart from the counting.
//
// nstat (iproute2 misc/nstat.c) prints one counter per line as
//     fprintf("%-32s%-16llu%6.1f\n", name, value, rate)
// after a header line "#kernel": the nstat name left-aligned in 32 columns (no separator when a
// name fills them), the value left-aligned in 16, the rate as %6.1f. `nstat -a` prints absolute
// values, otherwise increments since the last call; `-z` includes zeros; rates are 0.0 unless
// nstat's daemon sampled them. nstat never prints the gauges and constants it calls "useless
// numbers" (TcpCurrEstab among them), so format_nstat() skips gauges unless asked.
// `nstat -j` prints {"kernel":{"IpInReceives":539,...}} on one line.
//
// Single-threaded; pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stack/counters.h"

namespace synack::stack {

// One nstat line, newline included: nstat_line("TcpActiveOpens", 3, 0.0) ==
// "TcpActiveOpens                  3                  0.0\n".
std::string nstat_line(std::string_view name, uint64_t value, double rate);

struct NstatOptions {
  bool zeros = false;                  // nstat -z: print counters that are zero
  bool include_gauges = false;         // print TcpCurrEstab too (nstat itself never does)
  std::string_view source = "kernel";  // the "#..." header line; nstat's own says "kernel"
  // Optional glob-free filter: only counters whose nstat name starts with this prefix
  // (e.g. "TcpExt"). Empty prints all.
  std::string_view prefix;
  // Optional per-counter rates, indexed by Counter; empty means all 0.0.
  std::span<const double> rates;
};

// The whole `nstat [-z]` output for `counters` (pass counters_delta() for increments).
std::string format_nstat(const Counters& counters, const NstatOptions& opts = {});
// `nstat -j`: one JSON object, keys in the same order and with the same filtering.
std::string format_nstat_json(const Counters& counters, const NstatOptions& opts = {});

}  // namespace synack::stack
