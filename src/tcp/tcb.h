// Tcb: the transmission control block of one connection (RFC 9293 §3.3.1), everything the
// engine knows about it, as plain data.
//
// Why plain data with RFC names (STYLE lessons 5, 6, 12): input only changes these fields and
// sets the `want_*` flags, output() derives what to send from them alone, and the timer code
// reads the three deadlines below. A test can build a Tcb in any state, feed it segments and
// compare fields. Field names are RFC 9293's (snd_una, snd_nxt, rcv_nxt, iss, irs ...) or,
// where RFC has none, Linux's (rcv_wup, ts_recent, retrans_stamp, probes_out, snd_sml).
//
// Timers are data (STYLE lesson 6). A Tcb holds three deadlines and one TimerEntry (it IS the
// entry, by derivation) armed in the stack's wheel at the earliest of them:
//   rexmit_at   retransmission (RTO, SYN, SYN+ACK, FIN) or, when `persist` is set, the
//               zero-window probe (persist) timer — never both: Linux shares one timer too
//   delack_at   delayed ACK
//   state_at    by state: keepalive (synchronized states with SO_KEEPALIVE), the orphan's
//               tcp_fin_timeout (FIN-WAIT-2), the end of TIME-WAIT
// Infinite means unarmed. timers.cc re-arms the entry after every engine call.
//
// Memory (issue 3 target: an idle ESTABLISHED connection with empty buffers under 512 bytes
// including its table entry): the queues hold no heap while empty (ByteRing is lazy) and give
// it back when the connection goes idle (timers.cc), the table entry is the intrusive
// `hash_next` pointer plus one bucket slot, the per-socket options are packed, flags are
// one-bit fields and members ordered so the layout has no inner holes: 448 bytes, 4 of them tail
// padding (440 before the SACK scoreboard pointer; the scoreboard itself, 148 bytes, exists only
// while SACKed data is outstanding). engine_memory_test prints sizeof(Tcb);
// bench/tcp_memory_bench measures the heap per connection.
//
// Single-threaded like the rest of the core.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <memory>

#include "stack/timer_wheel.h"
#include "tcp/congestion/congestion_control.h"
#include "tcp/recv_queue.h"
#include "tcp/rtt.h"
#include "tcp/sack_scoreboard.h"
#include "tcp/send_queue.h"
#include "tcp/state.h"
#include "wire/ipv4_address.h"
#include "wire/seq_num.h"

namespace synack::tcp {

using wire::SeqNum;

struct FourTuple {
  wire::Ipv4Address local_addr;
  wire::Ipv4Address remote_addr;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  bool operator==(const FourTuple&) const = default;
};

// Per-socket options that change protocol behaviour (0 = "use the sysctl").
struct TcbOptions {
  uint32_t user_timeout_ms = 0;  // TCP_USER_TIMEOUT
  int32_t linger_s = -1;         // SO_LINGER: -1 off, else on with this many seconds
  uint32_t rcvbuf = 0;           // SO_RCVBUF as set (0 = tcp_rmem[1])
  uint32_t sndbuf = 0;           // SO_SNDBUF as set (0 = tcp_wmem[1])
  uint16_t keep_idle_s = 0;      // TCP_KEEPIDLE (Linux range 1..32767)
  uint16_t keep_intvl_s = 0;     // TCP_KEEPINTVL (1..32767)
  uint16_t max_seg = 0;          // TCP_MAXSEG (0 = from the MTU)
  uint8_t keep_cnt = 0;          // TCP_KEEPCNT (1..127)
  uint8_t syn_cnt = 0;           // TCP_SYNCNT (1..127)
  bool keepalive : 1 = false;    // SO_KEEPALIVE
  bool nodelay : 1 = false;      // TCP_NODELAY
  bool reuse_addr : 1 = false;   // SO_REUSEADDR
  // TCP_FASTOPEN_CONNECT (SPEC §13.3): connect() may defer the SYN to the first send().
  bool fastopen_connect : 1 = false;
  bool bind_address_no_port : 1 = false;  // IP_BIND_ADDRESS_NO_PORT (stack.h SockOpt)
};

class Tcb : public stack::TimerEntry {
 public:
  Tcb() = default;
  Tcb(const Tcb&) = delete;
  Tcb& operator=(const Tcb&) = delete;

  // Field order is layout (see "Memory" at the top): 8-byte members after the 4-, 2- and 1-byte
  // ones that fill the gaps, flags as one-bit fields, no padding holes.

  // --- identity ------------------------------------------------------------------------------
  FourTuple tuple;
  uint32_t socket = 0;         // SocketId of the owning socket, 0 once orphaned
  Tcb* hash_next = nullptr;    // connection table chain
  Tcb* accept_next = nullptr;  // listener accept queue link

  // --- send sequence space (RFC 9293 §3.3.1) ---------------------------------------------------
  // No SND.WL2: the window-update test is Linux's tcp_may_update_window(), which compares the
  // ACK with snd_una instead.
  SeqNum iss;
  SeqNum snd_una;
  SeqNum snd_nxt;           // next sequence number to send (moves back to snd_una after an RTO)
  SeqNum snd_max;           // highest sequence number sent + 1 (Linux: snd_nxt never moves back)
  SeqNum snd_wl1;           // SEG.SEQ of the last window update
  SeqNum snd_sml;           // end of the last small segment sent (Nagle/Minshall, Linux snd_sml)
  uint32_t snd_wnd = 0;     // peer's window, scaled, in bytes
  uint32_t max_window = 0;  // largest window the peer offered (RFC 5961 §5, sender SWS)

  // --- receive sequence space ------------------------------------------------------------------
  SeqNum irs;
  SeqNum rcv_wup;  // rcv_nxt when the window was last advertised (Linux rcv_wup)
  // Window at rcv_wup, in bytes (Linux rcv_wnd): what the last window field said, or up to one
  // scale unit more when the field had to round down short of an edge already offered
  // (Engine::select_window()); segments are accepted up to rcv_wup + rcv_wnd.
  uint32_t rcv_wnd = 0;
  uint32_t rcv_ssthresh = 0;  // how far the advertised window may grow now (Linux)
  uint32_t window_clamp = 0;  // largest window we ever advertise

  // --- negotiated options ------------------------------------------------------------------
  uint16_t snd_mss = 536;   // payload per full segment, TS option already subtracted
  uint16_t adv_mss = 1460;  // what our SYN offered
  uint16_t rcv_mss = 536;   // estimate of the peer's segment size (delayed-ACK rule)
  uint8_t snd_wscale = 0;   // shift applied to the peer's window field
  uint8_t rcv_wscale = 0;   // shift we apply to ours
  uint32_t ts_recent = 0;   // RFC 7323 TS.Recent
  uint32_t ts_offset = 0;   // added to our ms clock (isn.h ts_offset)
  SeqNum rtt_seq;           // end sequence number of the segment being timed (rtt_time)
  uint16_t ip_id = 0;       // IPv4 identification of the next packet (Linux inet_id)
  int16_t error = 0;        // pending SO_ERROR (errno value)
  // Segments retransmitted over the connection's life (Linux tp->total_retrans, TCP_INFO).
  uint32_t total_retrans = 0;

  // --- state, counts and flags ---------------------------------------------------------------
  State state = State::kClosed;
  uint8_t quick = 0;                  // quick-ACK segments left (Linux icsk_ack.quick)
  uint8_t retransmits = 0;            // icsk_retransmits
  uint8_t probes_out = 0;             // icsk_probes_out (keepalive or zero-window)
  uint8_t syn_retrans = 0;            // SYN / SYN+ACK retransmissions (initial cwnd rule)
  bool ts_ok : 1 = false;             // both ends use timestamps
  bool sack_ok : 1 = false;           // peer sent SACK-permitted and we offer it
  bool ws_ok : 1 = false;             // both ends offered window scaling
  bool orphan : 1 = false;            // the application closed the socket (Linux SOCK_DEAD)
  bool rd_shut : 1 = false;           // RCV_SHUTDOWN: shutdown(SHUT_RD) or close()
  bool wr_shut : 1 = false;           // SEND_SHUTDOWN: shutdown(SHUT_WR) or close()
  bool done : 1 = false;              // SOCK_DONE: reached CLOSED through the protocol
  bool passive : 1 = false;           // opened by a listener
  bool persist : 1 = false;           // rexmit_at is the persist (zero-window probe) timer
  bool pingpong : 1 = false;          // interactive mode: delay ACKs to piggyback them on data
  bool want_ack : 1 = false;          // send an ACK now (output clears it)
  bool want_delack : 1 = false;       // an ACK is owed, delayed until delack_at
  bool want_syn : 1 = false;          // (re)send our SYN or SYN+ACK now
  bool want_rexmit_head : 1 = false;  // fast retransmit / partial ACK: resend at snd_una
  bool want_probe : 1 = false;        // send a keepalive or zero-window probe (seq = snd_una - 1)
  bool rtt_timing : 1 = false;        // rtt_seq/rtt_time time an un-retransmitted segment
  bool in_table : 1 = false;          // in the stack's connection table
  bool counted_orphan : 1 = false;    // counted in the stack's orphan total (tcp_max_orphans)
  bool queued : 1 = false;            // in its listener's accept queue
  bool data_seen : 1 = false;         // first data received (starts quick-ACK, Linux ato == 0)
  bool fin_wait2_excess : 1 = false;  // orphan FIN-WAIT-2 spending tcp_fin_timeout beyond 60 s
  // Local port ownership (stack/port_allocator.h): this connection holds an owner entry for
  // {tuple.local_addr, local_port}, registered by connect() (port_autobind: connect() picked
  // the port) or at accept; port_reuse is SO_REUSEADDR as registered. The TIME-WAIT record
  // takes the entry over.
  bool port_owned : 1 = false;
  bool port_autobind : 1 = false;
  bool port_reuse : 1 = false;
  bool fastopen_pending : 1 = false;  // a Fast Open child counted in its listener's TFO queue
  // Fast Open client (SPEC §13.3, Linux defer_connect / syn_fastopen / syn_fastopen_exp /
  // syn_data): connect() deferred the SYN to the first send(); our first SYN carried the Fast
  // Open option (a cookie or a cookie request), in its experimental form; it carried data.
  bool fastopen_defer : 1 = false;
  bool fastopen_syn : 1 = false;
  bool fastopen_exp : 1 = false;
  bool fastopen_syn_data : 1 = false;
  bool zero_window_sent : 1 = false;  // our last window field was 0 (To/FromZeroWindowAdv)

  CongestionControl cc{CongestionAlgorithm::kNewReno, SeqNum{0}};
  TcbOptions opt;

  // --- timers and timing ---------------------------------------------------------------------
  Instant rexmit_at = Instant::infinite();
  Instant delack_at = Instant::infinite();
  Instant state_at = Instant::infinite();
  Instant retrans_stamp = Instant::infinite();   // see retry_limits.h
  Instant probes_started = Instant::infinite();  // first unanswered zero-window probe
  Instant last_rcv;       // last segment received (keepalive idle, Linux rcv_tstamp)
  Instant last_data_rcv;  // last data received (pingpong rule, Linux lrcvtime)
  Instant last_oow_ack = Instant::infinite();     // tcp_invalid_ratelimit (Linux last_oow_ack_time)
  Instant rtt_time;                               // when the timed segment was sent
  Instant ts_recent_stamp = Instant::infinite();  // when ts_recent was set (infinite: never)

  RttEstimator rtt;
  SendQueue sq;
  RecvQueue rq;
  // What the peer's SACK blocks said about our outstanding data (RFC 6675 recovery); null
  // until the first valid block, freed when everything sent is acknowledged.
  std::unique_ptr<SackScoreboard> sack;

  // --- derived helpers -----------------------------------------------------------------------
  [[nodiscard]] SeqNum rcv_nxt() const { return rq.rcv_nxt(); }
  // The window currently offered to the peer, from rcv_nxt (Linux tcp_receive_window()).
  [[nodiscard]] uint32_t receive_window() const {
    const int32_t w = (rcv_wup + rcv_wnd) - rcv_nxt();
    return w > 0 ? static_cast<uint32_t>(w) : 0;
  }
  // Bytes sent and not yet acknowledged (SYN and FIN count one each).
  [[nodiscard]] uint32_t in_flight() const { return static_cast<uint32_t>(snd_nxt - snd_una); }
  [[nodiscard]] bool has_unacked() const { return snd_max != snd_una; }
};

// How the SACK scoreboard counts lost and retransmitted data in the connection's congestion
// state (sack_scoreboard.h Flight): RFC 6675 recovery, after an RTO (Loss), or neither.
[[nodiscard]] inline SackScoreboard::Mode sack_mode(const Tcb& t) {
  if (t.cc.sack_recovery()) return SackScoreboard::Mode::kRecovery;
  if (t.cc.state() == CaState::kLoss) return SackScoreboard::Mode::kLoss;
  return SackScoreboard::Mode::kOpen;
}

}  // namespace synack::tcp
