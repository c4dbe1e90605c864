// SocketSnapshot: one row of every socket view (ss, /proc/net/tcp, sockstat, per-state counts),
// taken by Stack::snapshot(now).
//
// Why one flat value per socket rather than handing the views the control blocks: the views
// must not know how the stack stores a connection. Linux shows four kinds of TCP sockets, each
// stored differently (full sockets, listeners, request socks, TIME-WAIT socks) and printed by a
// different function (get_tcp4_sock, get_openreq4, get_timewait4_sock in net/ipv4/tcp_ipv4.c);
// `kind` says which one a row is, so a later compact TIME-WAIT table or request-record table
// only has to fill these fields and every view follows. Values are what the Linux tools print,
// already computed (queue lengths with SYN/FIN counted the way Linux's sequence arithmetic
// counts them), so formatters only format.
//
// Single-threaded; plain data.
#pragma once

#include <synack/time.h>

#include <cstdint>

#include "tcp/state.h"
#include "wire/ipv4_address.h"

namespace synack {

namespace tcp {
class Tcb;
class Listener;
struct RequestRecord;
class TimeWaitRecord;
}  // namespace tcp

// The /proc/net/tcp "tr" column (tcp_ipv4.c get_tcp4_sock / get_timewait4_sock / get_openreq4).
enum class ProcTimer : uint8_t {
  kNone = 0,
  kRetransmit = 1,  // RTO, SYN, SYN+ACK and FIN retransmission (ICSK_TIME_RETRANS)
  kOther = 2,       // sk_timer: keepalive, and the orphan's FIN-WAIT-2 timeout
  kTimeWait = 3,    // a TIME-WAIT record's expiry
  kProbe = 4,       // zero-window probe (ICSK_TIME_PROBE0)
};

struct SocketSnapshot {
  enum class Kind : uint8_t {
    kListener,    // a socket in LISTEN
    kConnection,  // a full connection (Linux tcp_sock), orphans included
    kRequest,     // a pending passive open (Linux request sock, shown as SYN-RECV)
    kTimeWait,    // a TIME-WAIT connection (Linux inet_timewait_sock)
  };
  Kind kind = Kind::kConnection;
  tcp::State state = tcp::State::kClosed;
  wire::Ipv4Address local_addr;
  uint16_t local_port = 0;
  wire::Ipv4Address remote_addr;  // any() and port 0 for a listener
  uint16_t remote_port = 0;
  // SPEC §16.2, as ss prints them. LISTEN: accept-queue length and backlog. Otherwise
  // rcv_nxt - copied_seq (unread bytes, plus 1 for a FIN not yet read as EOF) and
  // write_seq - snd_una (unacknowledged and unsent bytes, plus 1 for an unacknowledged SYN or
  // FIN), which is what Linux's inet_diag and /proc/net/tcp compute.
  uint32_t recv_queue = 0;
  uint32_t send_queue = 0;
  ProcTimer timer = ProcTimer::kNone;
  Duration timer_left;       // until the timer fires (zero when none or overdue)
  uint32_t retransmits = 0;  // icsk_retransmits (request: SYN+ACKs resent, num_timeout)
  uint32_t probes_out = 0;   // icsk_probes_out: unanswered keepalive / zero-window probes
  bool orphan = false;       // the application closed it (Linux SOCK_DEAD)
  // The inode column: the id of the socket that owns it, 0 when no socket does (orphans,
  // connections not accepted yet, requests, TIME-WAIT), as Linux prints 0 then.
  uint32_t inode = 0;
  // The trailing /proc/net/tcp fields of a full socket.
  Duration rto;
  Duration ato;  // delayed-ACK timeout; synack keeps none per connection: TCP_ATO_MIN (40 ms)
  uint32_t quick_acks = 0;  // quick-ACK segments left (icsk_ack.quick)
  bool pingpong = false;
  uint32_t snd_cwnd = 0;      // segments
  int64_t snd_ssthresh = -1;  // -1 while in initial slow start (as Linux prints it)
  uint32_t backlog = 0;       // LISTEN: max_ack_backlog
  uint64_t memory_bytes = 0;  // buffer memory held (sockstat "mem", in pages)
};

// The rows for one control block / listener at `now` (used by Stack::snapshot).
[[nodiscard]] SocketSnapshot snapshot_of(const tcp::Tcb& t, Instant now);
[[nodiscard]] SocketSnapshot snapshot_of(const tcp::Listener& l);
// A TIME-WAIT record (or an orphan's FIN-WAIT-2 record).
[[nodiscard]] SocketSnapshot snapshot_of(const tcp::TimeWaitRecord& r, Instant now);
// A request record whose SYN+ACK timer fires at `deadline`.
[[nodiscard]] SocketSnapshot snapshot_of(const tcp::RequestRecord& r, Instant deadline,
                                         Instant now);

}  // namespace synack
