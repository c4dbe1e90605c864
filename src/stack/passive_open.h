// PassiveOpen: what a listener does with the segments that reach it — the SYN queue as
// request records, SYN cookies, and the third ACK that turns either into a connection in the
// accept queue (SPEC §5, §6; Linux tcp_conn_request(), tcp_check_req(), cookie_v4_check()).
//
// Why a part of its own beside the stack: the stack demultiplexes (connections, then
// request records, then listeners, SPEC §2.2) and owns sockets and Tcb lifetimes; this part
// owns the request records (their table, their memory, their timers) and the cookie secrets,
// and makes the decisions of SPEC §5.4 / §5.5 / §6 in one place. The engine
// (tcp/input_request.cc) does the per-segment protocol work on a record.
//
// Order of checks on a SYN (SPEC §5.4, Linux 6.x tcp_conn_request()):
//   1. tcp_syncookies = 2, or the SYN queue is full: cookies if tcp_syncookies >= 1
//      (TCPReqQFullDoCookies), else drop (TCPReqQFullDrop, ListenDrops). The first time per
//      listener the log line of SPEC §6.4 (tcp_syn_flood_action(); not with tcp_syncookies = 2).
//      A SYN that reuses a TIME-WAIT tuple (an ISN is given) never gets a cookie, as in Linux.
//   2. the accept queue is full: drop (ListenOverflows, ListenDrops) — cookie or not, as
//      Linux does it.
//   3. tcp_syncookies = 0 and fewer than tcp_max_syn_backlog / 4 free places left in the SYN
//      queue: drop (ListenDrops), unless the peer is "proven" — synack has no tcp_metrics
//      cache, so no peer ever is.
//   4. a cookie SYN+ACK (SyncookiesSent, no record), or a request record and its SYN+ACK.
// An ACK that finds a listener and no record is checked as a cookie (Linux cookie_v4_check())
// only if the listener sent cookies in the last 120 s: valid → SyncookiesRecv and a
// connection straight into the accept queue (accept-queue limits still apply: full → the ACK
// is dropped); invalid → SyncookiesFailed and the listener's RST (Linux tcp_v4_do_rcv()
// handing the ACK back to the listener).
//
// Fast Open (SPEC §13.2, Linux tcp_try_fastopen() at the end of tcp_conn_request()): a SYN that
// is not answered with a cookie and carries data or a Fast Open option goes through
// tcp::fastopen_on_syn(). A cookie request gets the cookie in the record's first SYN+ACK; an
// accepted cookie (or tcp_fastopen 0x200) makes a full Tcb at once, in SYN-RECEIVED, holding the
// SYN's data, straight into the accept queue and counted in the listener's TFO queue (qlen)
// until it leaves SYN-RECEIVED (the stack calls fastopen_done()); anything else falls back to a
// plain request record whose SYN+ACK acknowledges the SYN only (the data is dropped and the
// client sends it again after the handshake). The keys come from net.ipv4.tcp_fastopen_key,
// re-read when the sysctl changes; all zero draws a random key from the stack's Rng once.
//
// Request records are allocated one by one (88 bytes, tcp/request_record.h) and the table
// grows incrementally (request_table.h). Their number is bounded by the listeners' backlogs:
// the SYN queue never exceeds max_ack_backlog + 1, beyond that cookies or drops take over.
//
// Single-threaded like the rest of the core.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstddef>
#include <optional>

#include "base/keyed_hash.h"
#include "base/rng.h"
#include "stack/connection_table.h"
#include "stack/counters.h"
#include "stack/request_table.h"
#include "stack/sysctl.h"
#include "stack/timer_wheel.h"
#include "stack/trace.h"
#include "tcp/engine.h"
#include "tcp/fastopen.h"
#include "tcp/listener.h"
#include "tcp/syncookie.h"
#include "wire/packet.h"

namespace synack::stack {

class PassiveOpen {
 public:
  PassiveOpen(const KeyedHash& table_hash, const tcp::SynCookies& cookies, tcp::Engine& engine,
              const Sysctls& sysctls, Counters& counters, const Tracer& tracer, TimerWheel& wheel,
              ConnectionTable& conns, Rng& rng);
  // The wheel must be destroyed (or the records cancelled) first.
  ~PassiveOpen();
  PassiveOpen(const PassiveOpen&) = delete;
  PassiveOpen& operator=(const PassiveOpen&) = delete;

  // A SYN (no ACK, no RST) for listener `l`; `isn`: TIME-WAIT reuse (SPEC §9.5).
  void on_syn(tcp::Listener& l, const wire::Packet& p, Instant now,
              std::optional<wire::SeqNum> isn);
  // A Fast Open child left SYN-RECEIVED (established, reset or closed): it no longer counts
  // in `l`'s TFO queue (Linux reqsk_fastopen_remove()).
  static void fastopen_done(tcp::Listener& l, tcp::Tcb& t);
  // The Fast Open keys now in force (tests compute the cookie a client would be given).
  [[nodiscard]] const tcp::FastOpenServer& fastopen_keys();
  // Any other segment for `l` with no record: a cookie ACK or the listener's RST. Returns a
  // new connection (in the table and the accept queue) for the stack to settle, or nullptr.
  tcp::Tcb* on_listener_segment(tcp::Listener& l, const wire::Packet& p, Instant now);
  [[nodiscard]] tcp::RequestRecord* find(const tcp::FourTuple& key) const {
    return table_.find(key);
  }
  // A segment for a record. Returns a new connection as on_listener_segment() does.
  tcp::Tcb* on_segment(tcp::RequestRecord& r, const wire::Packet& p, Instant now);
  void on_timer(tcp::RequestRecord& r, Instant now);
  // SPEC §5.6: the listener closes; its records go (no RST: the peer's retransmitted SYN
  // or ACK will find no socket and be reset then).
  void drop_listener(tcp::Listener& l, Instant now);

  [[nodiscard]] size_t size() const { return table_.size(); }
  [[nodiscard]] size_t memory_bytes() const { return table_.memory_bytes(); }
  [[nodiscard]] Instant deadline(const tcp::RequestRecord& r) const { return wheel_.expiry(r); }
  template <class F>
  void for_each(F&& f) const {
    table_.for_each(f);
  }

 private:
  // The record's child: created, fed the third ACK, queued for accept().
  tcp::Tcb* establish(tcp::RequestRecord& r, const wire::Packet& p, Instant now);
  void forget(tcp::RequestRecord& r);
  // SPEC §13.2: true when the SYN was taken by Fast Open as a child; else `synack_cookie` is
  // what the request record's SYN+ACK carries.
  bool fastopen_syn(tcp::Listener& l, const wire::Packet& p, Instant now, wire::SeqNum iss,
                    std::optional<wire::FastOpenCookie>& synack_cookie);

  RequestTable table_;
  tcp::SynCookies cookies_;
  tcp::Engine& engine_;
  const Sysctls& sysctls_;
  Counters& counters_;
  const Tracer& tracer_;
  TimerWheel& wheel_;
  ConnectionTable& conns_;
  Rng& rng_;
  std::optional<tcp::FastOpenServer> fastopen_keys_;
  std::array<int64_t, 8> fastopen_words_{};  // the sysctl words fastopen_keys_ was built from
};

}  // namespace synack::stack
