// Builds SocketSnapshot rows from the engine's data (see socket_snapshot.h for why the views
// get flat rows). The rules are Linux's, cited where they are subtle.
#include "stack/socket_snapshot.h"

#include <algorithm>

#include "tcp/listener.h"
#include "tcp/request_record.h"
#include "tcp/tcb.h"
#include "tcp/time_wait_table.h"

namespace synack {

using tcp::State;

namespace {

Duration left(Instant at, Instant now) {
  return at > now ? at - now : Duration{};
}

// Linux get_tcp4_sock: 1 for the retransmission timer, 4 for the zero-window probe, else 2 when
// sk_timer (keepalive, also the FIN-WAIT-2 timeout) is pending, else 0. The delayed-ACK timer
// is not shown.
void set_timer(SocketSnapshot& s, const tcp::Tcb& t, Instant now) {
  if (!t.rexmit_at.is_infinite()) {
    s.timer = t.persist ? ProcTimer::kProbe : ProcTimer::kRetransmit;
    s.timer_left = left(t.rexmit_at, now);
  } else if (!t.state_at.is_infinite()) {
    s.timer = t.state == State::kTimeWait ? ProcTimer::kTimeWait : ProcTimer::kOther;
    s.timer_left = left(t.state_at, now);
  }
}

}  // namespace

SocketSnapshot snapshot_of(const tcp::RequestRecord& r, Instant deadline, Instant now) {
  // A pending passive open: Linux holds it as a request sock (SPEC §3.2) and prints it with
  // get_openreq4 (queues 0, timer 1 = the SYN+ACK retransmission, num_timeout, inode 0).
  SocketSnapshot s;
  s.kind = SocketSnapshot::Kind::kRequest;
  s.state = State::kSynReceived;
  s.local_addr = r.tuple.local_addr;
  s.local_port = r.tuple.local_port;
  s.remote_addr = r.tuple.remote_addr;
  s.remote_port = r.tuple.remote_port;
  s.timer = ProcTimer::kRetransmit;
  s.timer_left = deadline > now ? deadline - now : Duration::zero();
  s.retransmits = r.retransmits;
  return s;
}

SocketSnapshot snapshot_of(const tcp::TimeWaitRecord& r, Instant now) {
  // get_timewait4_sock: the sub-state as the state (TIME-WAIT, or FIN-WAIT-2 for an orphan
  // waiting for the peer's FIN, SPEC §8.8), queues 0, timer 3 with the time left, inode 0.
  SocketSnapshot s;
  s.kind = SocketSnapshot::Kind::kTimeWait;
  s.state = r.fin_wait2 ? State::kFinWait2 : State::kTimeWait;
  s.local_addr = r.tuple.local_addr;
  s.local_port = r.tuple.local_port;
  s.remote_addr = r.tuple.remote_addr;
  s.remote_port = r.tuple.remote_port;
  s.timer = ProcTimer::kTimeWait;
  s.timer_left = r.deadline() > now ? r.deadline() - now : Duration::zero();
  return s;
}

SocketSnapshot snapshot_of(const tcp::Tcb& t, Instant now) {
  SocketSnapshot s;
  s.state = t.state;
  s.local_addr = t.tuple.local_addr;
  s.local_port = t.tuple.local_port;
  s.remote_addr = t.tuple.remote_addr;
  s.remote_port = t.tuple.remote_port;
  set_timer(s, t, now);
  s.retransmits = t.retransmits;
  s.probes_out = t.probes_out;
  s.orphan = t.orphan;
  s.inode = t.socket;
  if (t.state == State::kTimeWait) {
    // get_timewait4_sock: queues 0, timer 3, nothing else (a TIME-WAIT sock keeps no queues).
    s.kind = SocketSnapshot::Kind::kTimeWait;
    s.timer = ProcTimer::kTimeWait;
    s.retransmits = s.probes_out = 0;
    s.inode = 0;
    return s;
  }
  s.kind = SocketSnapshot::Kind::kConnection;
  // rcv_nxt - copied_seq: the FIN advances rcv_nxt and is consumed by the read that returns
  // EOF (tcp_recvmsg found_fin_ok), so an unread FIN counts one.
  s.recv_queue = t.rq.readable() + (t.rq.fin_received() && !t.rd_shut ? 1 : 0);
  // write_seq - snd_una: the SYN counts while unacknowledged (tcp_connect sets write_seq past
  // it), and so does a queued FIN (tcp_send_fin advances write_seq).
  const bool syn_pending = t.state == State::kSynSent || t.state == State::kSynReceived;
  const bool fin_pending = t.sq.fin_queued() && !t.sq.fin_acked();
  s.send_queue = t.sq.size() + (syn_pending ? 1 : 0) + (fin_pending ? 1 : 0);
  s.rto = t.rtt.rto();
  s.ato = Duration::millis(40);
  s.quick_acks = t.quick;
  s.pingpong = t.pingpong;
  s.snd_cwnd = t.cc.cwnd();
  // tcp_in_initial_slowstart(): ssthresh still TCP_INFINITE_SSTHRESH prints as -1.
  s.snd_ssthresh = t.cc.ssthresh() >= tcp::kInfiniteSsthresh ? -1 : int64_t{t.cc.ssthresh()};
  s.memory_bytes = t.sq.buffer_bytes() + t.rq.buffer_bytes();
  return s;
}

SocketSnapshot snapshot_of(const tcp::Listener& l) {
  SocketSnapshot s;
  s.kind = SocketSnapshot::Kind::kListener;
  s.state = State::kListen;
  s.local_addr = l.local_addr;
  s.local_port = l.local_port;
  s.recv_queue = l.accept_len;
  s.send_queue = l.max_ack_backlog;
  s.backlog = l.max_ack_backlog;
  s.inode = l.socket;
  s.rto = Duration::seconds(1);  // TCP_TIMEOUT_INIT, what a listener's icsk_rto holds
  s.ato = Duration{};
  s.snd_cwnd = 10;     // TCP_INIT_CWND, never used by a listener but printed
  s.snd_ssthresh = 0;  // get_tcp4_sock prints fastopenq.max_qlen for a listener
  return s;
}

}  // namespace synack
