// The socket views of SPEC §16.2 over Stack::snapshot() rows, in the exact text the Linux tools
// print, so that scripts and habits operators already have work on synack's output:
//
//   format_ss()            `ss -tan` (iproute2 misc/ss.c) as printed to a pipe or file
//   format_state_counts()  `netstat -n | awk '/^tcp/ {++s[$NF]} END {for (k in s) print k, s[k]}'`
//   format_proc_net_tcp()  /proc/net/tcp (net/ipv4/tcp_ipv4.c tcp4_seq_show)
//   format_sockstat()      the TCP line of /proc/net/sockstat (net/ipv4/proc.c sockstat_seq_show)
// (`nstat -az` is stack/counters_format.h.)
//
// Why these live in the core library (src/stack/views/) and not in the CLI: they are pure
// functions of snapshot rows — no clock, no I/O — and an embedding program wants the same text
// for its own debug endpoint. tests/stack/views/ hold them to files captured from a real
// kernel by scripts/capture-view-formats (tests/data/views/).
//
// Pure functions; single-threaded like the rest of the core.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "stack/socket_snapshot.h"

namespace synack::views {

// `ss -tan` with stdout not a terminal: ss measures every column (header included) and pads to
// the widest cell, no screen-width spreading ("compact output"). Columns: State left, Recv-Q
// and Send-Q left ("%-6d"), "Local Address:" right-aligned with the port left-aligned after it,
// the same for the peer, then an empty Process column. Every row ends with the Process padding.
std::string format_ss(std::span<const SocketSnapshot> rows);

// One "NAME COUNT" line per netstat state name present, as the awk one-liner prints. netstat
// -n (no -a) leaves out listening sockets, so LISTEN is never counted. awk's `for (k in s)`
// order is unspecified; synack prints Linux's state-number order (ESTABLISHED first).
std::string format_state_counts(std::span<const SocketSnapshot> rows);

// The whole file: the header padded to 149 columns, then one line per row, numbered from 0,
// each padded to 149 columns (seq_pad). Addresses and ports in hex as a little-endian kernel
// prints a __be32 address (10.78.0.1 -> 01004E0A) and a host-order port. Times in USER_HZ
// (1/100 s) ticks. Full sockets, requests and TIME-WAIT rows have Linux's three layouts. The
// kernel pointer column prints as zeros (what Linux shows with kptr_restrict).
std::string format_proc_net_tcp(std::span<const SocketSnapshot> rows);

// "TCP: inuse N orphan N tw N alloc N mem N\n". inuse: listeners and full connections (what is
// hashed; requests and TIME-WAIT are not full sockets); orphan: orphaned full connections; tw:
// TIME-WAIT rows; alloc: listeners and full connections (synack does not count sockets that
// were never bound or connected, which Linux's tcp_sockets_allocated does); mem: buffer memory
// in 4 KiB pages, rounded up.
std::string format_sockstat(std::span<const SocketSnapshot> rows);

// Per-state totals (index: tcp::State), what the chart and the counts are made of. Request
// rows count as kSynReceived, like every tool shows them.
struct StateCounts {
  uint32_t by_state[tcp::kStateCount] = {};
  [[nodiscard]] uint32_t of(tcp::State s) const { return by_state[static_cast<int>(s)]; }
};
StateCounts count_states(std::span<const SocketSnapshot> rows);

}  // namespace synack::views
