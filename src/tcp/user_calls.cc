// The user calls of RFC 9293 §3.10.1–3.10.6 (open, send, receive, close, abort) on a Tcb,
// state changes, and the shared initialization of a new connection.
//
// Linux is the reference for what close() and shutdown() do in each state (tcp_close(),
// tcp_shutdown(), tcp_close_state(), tcp_disconnect()); each rule names its source.
#include <algorithm>
#include <cerrno>

#include "tcp/congestion/window.h"
#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;

Engine::Engine(const EngineConfig& config, const stack::Sysctls& sysctls, stack::Counters& counters,
               const stack::Tracer& tracer, stack::TimerWheel& wheel, const IsnGenerator& isn,
               PacketOutput& out)
    : config_(config),
      sysctls_(sysctls),
      counters_(counters),
      tracer_(tracer),
      wheel_(wheel),
      isn_(isn),
      out_(out) {
  scratch_payload_.resize(65536);
  scratch_bytes_.resize(65536 + wire::kMaxHeaders);
}

stack::TraceTuple Engine::trace_tuple(const Tcb& t) {
  return stack::TraceTuple{.local_addr = t.tuple.local_addr,
                           .local_port = t.tuple.local_port,
                           .remote_addr = t.tuple.remote_addr,
                           .remote_port = t.tuple.remote_port};
}

SeqNum Engine::choose_isn(const FourTuple& u, Instant now) const {
  return isn_.isn(u.local_addr, u.local_port, u.remote_addr, u.remote_port, now);
}

uint32_t Engine::tsval(const Tcb& t, Instant now) const {
  // SPEC §7.7: a millisecond clock plus a per-connection offset (Linux tcp_time_stamp_ts()).
  return static_cast<uint32_t>(now.since_epoch().ms()) + t.ts_offset;
}

void Engine::set_state(Tcb& t, State to, Instant now) {
  const State from = t.state;
  if (from == to) return;
  counters_.count_state_change(from, to);
  t.state = to;
  tracer_.state_change(now, trace_tuple(t), from, to);
  // Rings the connection will not use again go back at once (timers.cc, "Buffer memory").
  if (to == State::kFinWait2 || to == State::kTimeWait || to == State::kClosed ||
      (to == State::kCloseWait && t.rq.eof())) {
    release_idle_buffers(t);
  }
}

namespace {

// ilog2 of a positive value.
int ilog2(uint64_t v) {
  int r = -1;
  while (v != 0) {
    v >>= 1;
    ++r;
  }
  return r;
}

}  // namespace

uint8_t Engine::initial_rcv_wscale() const {
  // SPEC §1.3.1 (Linux tcp_select_initial_window()): wscale = ilog2(max(tcp_rmem[2],
  // rmem_max)) - 15, clamped to 0..14.
  if (!sysctls_.get_bool(SysctlId::kTcpWindowScaling)) return 0;
  const auto rmem = sysctls_.values(SysctlId::kTcpRmem);
  const auto big = static_cast<uint64_t>(std::max(rmem[2], sysctl(SysctlId::kRmemMax)));
  return static_cast<uint8_t>(std::clamp(ilog2(big) - 15, 0, 14));
}

// Everything a new connection needs before its SYN or SYN+ACK: buffers, window scale, the MSS
// it offers, the RTO bounds and the timestamp offset.
void Engine::init_connection(Tcb& t, Instant now) {
  const auto rmem = sysctls_.values(SysctlId::kTcpRmem);
  const auto wmem = sysctls_.values(SysctlId::kTcpWmem);
  // SO_RCVBUF / SO_SNDBUF are doubled by Linux (sock_setsockopt) to cover overhead.
  const uint64_t rcvbuf = t.opt.rcvbuf != 0 ? uint64_t{t.opt.rcvbuf} * 2 : uint64_t(rmem[1]);
  const uint64_t sndbuf = t.opt.sndbuf != 0 ? uint64_t{t.opt.sndbuf} * 2 : uint64_t(wmem[1]);
  // Linux tcp_win_from_space() with the default scaling ratio: half the buffer is window, the
  // rest is reserved for per-packet overhead (why a 131072-byte tcp_rmem[1] offers ~64 KB).
  const auto space = static_cast<uint32_t>(std::min<uint64_t>(rcvbuf / 2, ByteRing::kMaxCapacity));
  t.rq.set_limit(space);
  t.sq.set_limit(static_cast<uint32_t>(std::min<uint64_t>(sndbuf, ByteRing::kMaxCapacity)));
  t.window_clamp = space;

  const uint32_t mtu_mss = config_.mtu - 40;  // SPEC §4.5
  t.adv_mss = static_cast<uint16_t>(t.opt.max_seg != 0 ? std::min<uint32_t>(t.opt.max_seg, mtu_mss)
                                                       : mtu_mss);
  t.rcv_wscale = initial_rcv_wscale();
  RttEstimator::Config rc;
  rc.rto_min = sysctls_.duration(SysctlId::kTcpRtoMinUs);
  rc.rto_max = sysctls_.duration(SysctlId::kTcpRtoMaxMs);
  rc.initial_rto = sysctls_.duration(SysctlId::kTcpRtoInitialMs);
  t.rtt = RttEstimator(rc);
  t.ts_offset = sysctl(SysctlId::kTcpTimestamps) == 1
                    ? isn_.ts_offset(t.tuple.local_addr, t.tuple.remote_addr)
                    : 0;
  t.ip_id = static_cast<uint16_t>(isn_.isn_hash(t.tuple.remote_addr, t.tuple.remote_port,
                                                t.tuple.local_addr, t.tuple.local_port));
  t.last_rcv = now;
  t.last_data_rcv = now;
}

// Linux tcp_select_initial_window(): the window our SYN or SYN+ACK offers — the space rounded
// down to a multiple of the MSS it will carry, at most 65535 (a SYN's window is never scaled).
static uint32_t initial_window(uint32_t space, uint32_t mss) {
  if (space > mss) space = space / mss * mss;
  return std::min<uint32_t>(space, 65535);
}

void Engine::connect(Tcb& t, Instant now, const TimeWaitRecord* reuse, bool syn_waits_for_data) {
  init_connection(t, now);
  t.iss = choose_isn(t.tuple, now);
  if (reuse != nullptr) {
    // Linux tcp_twsk_unique(): write_seq = tw_snd_nxt + 65535 + 2 (0 avoided), and the old
    // ts_recent / stamp carry over so PAWS keeps rejecting the old incarnation's segments.
    t.iss = reuse->snd_nxt + 65535 + 2;
    if (t.iss == SeqNum{0}) t.iss = SeqNum{1};
    t.ts_recent = reuse->ts_recent;
    const Duration age = reuse->ts_recent_age(now);
    if (age != Duration::max()) t.ts_recent_stamp = now - age;
  }
  t.snd_una = t.snd_nxt = t.snd_max = t.snd_sml = t.iss;
  (void)t.sq.reset(t.iss + 1);
  t.cc = CongestionControl(CongestionAlgorithm::kNewReno, t.iss);
  // A fresh connection has no timestamp history, so the SYN's window uses the full MSS
  // (Linux tcp_connect_init(): 64240 for MSS 1460).
  t.rcv_wnd = initial_window(t.window_clamp, t.adv_mss);
  t.rcv_ssthresh = t.rcv_wnd;
  if (syn_waits_for_data) {
    t.fastopen_defer = true;  // the caller's send() sends the SYN (fastopen_send())
    set_state(t, State::kSynSent, now);
    return;
  }
  if (t.opt.fastopen_connect && fastopen_connect(t, now)) {
    // SPEC §13.3, Linux tcp_v4_connect() → tcp_fastopen_defer_connect(): SYN-SENT with the
    // port bound, and no SYN until the first send() (fastopen_client.cc).
    set_state(t, State::kSynSent, now);
    return;
  }
  t.retrans_stamp = now;  // SYN-SENT's give-up clock starts at the first SYN (tcp_connect())
  t.want_syn = true;
  counters_.inc(Counter::kTcpActiveOpens);
  set_state(t, State::kSynSent, now);
  flush(t, now);
}

size_t Engine::send(Tcb& t, std::span<const uint8_t> data, Instant now) {
  if (t.fastopen_defer) return fastopen_send(t, data, now);
  const size_t n = t.sq.write(data);
  if (n > 0) flush(t, now);
  return n;
}

void Engine::after_read(Tcb& t, size_t copied, Instant now) {
  if (copied == 0) return;
  if (t.rq.readable() == 0) {
    // Drained: CLOSE-WAIT with the EOF read gives the rings back now, anything else after a
    // quiet period (timers.cc) — not here on every drained read.
    if (t.state == State::kCloseWait && t.rq.eof()) release_idle_buffers(t);
    schedule_reclaim(t, now);
    arm(t);
  }
  if (t.rd_shut || t.rq.fin_received()) return;
  // Linux tcp_cleanup_rbuf(): after the reader freed space, send a window update if the
  // window we could offer now is at least twice what the peer currently sees, and the
  // current window is at most half the largest.
  const uint32_t cur = t.receive_window();
  if (2 * cur <= t.window_clamp) {
    const uint32_t nw = free_space_window(t);
    if (nw != 0 && nw >= 2 * cur) {
      t.want_ack = true;
      flush(t, now);
    }
  }
}

void Engine::shutdown_read(Tcb& t) {
  t.rd_shut = true;
}

void Engine::shutdown_write(Tcb& t, Instant now) {
  if (t.wr_shut) return;
  t.wr_shut = true;
  // Linux tcp_shutdown() + tcp_close_state().
  switch (t.state) {
    case State::kEstablished:
      (void)t.sq.shutdown();
      set_state(t, State::kFinWait1, now);
      break;
    case State::kSynReceived:
      (void)t.sq.shutdown();
      set_state(t, State::kFinWait1, now);
      break;
    case State::kCloseWait:
      (void)t.sq.shutdown();
      set_state(t, State::kLastAck, now);
      break;
    case State::kSynSent:
      // tcp_close_state(): SYN_SENT -> CLOSE, no FIN.
      done(t, now);
      return;
    default:
      return;
  }
  flush(t, now);
}

void Engine::close(Tcb& t, Instant now, bool linger_wait) {
  // Linux tcp_close().
  t.rd_shut = true;
  t.wr_shut = true;
  if (!linger_wait) t.orphan = true;
  if (t.state == State::kClosed) return;
  const bool unread = t.rq.readable() > 0;
  if (unread) {
    // RFC 2525 §2.17: data the application never read is lost: tell the peer with RST.
    abort(t, now, Counter::kTcpExtTCPAbortOnClose, "close() with unread data");
    return;
  }
  if (t.opt.linger_s == 0) {
    abort(t, now, Counter::kTcpExtTCPAbortOnData, "SO_LINGER {on, 0}");
    return;
  }
  switch (t.state) {
    case State::kSynSent:
      done(t, now);  // SPEC §8.5: close() in SYN-SENT just forgets the attempt
      return;
    case State::kEstablished:
    case State::kSynReceived:
      (void)t.sq.shutdown();
      set_state(t, State::kFinWait1, now);
      break;
    case State::kCloseWait:
      (void)t.sq.shutdown();
      set_state(t, State::kLastAck, now);
      break;
    case State::kFinWait2:
      if (t.orphan) set_fin_wait2_timer(t, now);
      break;
    default:
      break;  // FIN-WAIT-1, CLOSING, LAST-ACK, TIME-WAIT carry on as orphans
  }
  flush(t, now);
}

void Engine::orphan(Tcb& t, Instant now) {
  if (t.orphan) return;
  t.orphan = true;
  // Linux __tcp_close() after the wait: an orphan in FIN-WAIT-2 is bounded by tcp_fin_timeout.
  if (t.state == State::kFinWait2) {
    set_fin_wait2_timer(t, now);
    arm(t);
  }
}

void Engine::abort(Tcb& t, Instant now, Counter counter, std::string_view reason) {
  // Linux tcp_disconnect() / tcp_need_reset(): RST in the synchronized states that still
  // have a peer listening; none from SYN-SENT, TIME-WAIT or CLOSED.
  bool rst = false;
  switch (t.state) {
    case State::kEstablished:
    case State::kCloseWait:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kSynReceived:
      rst = true;
      break;
    case State::kClosing:
    case State::kLastAck:
      rst = t.snd_nxt != t.sq.end_seq();
      break;
    default:
      break;
  }
  counters_.inc(counter);
  tracer_.abort(now, trace_tuple(t), t.state, reason);
  if (rst) send_rst(t, now);
  done(t, now);
}

void Engine::done(Tcb& t, Instant now) {
  // Linux tcp_done(): CLOSED, both directions shut, every timer stopped.
  set_state(t, State::kClosed, now);
  t.done = true;
  t.rd_shut = true;
  t.wr_shut = true;
  t.rexmit_at = t.delack_at = t.state_at = Instant::infinite();
  t.persist = false;
  t.want_ack = t.want_delack = t.want_syn = t.want_rexmit_head = t.want_probe = false;
  arm(t);
}

void Engine::peer_reset(Tcb& t, Instant now) {
  // Linux tcp_reset().
  switch (t.state) {
    case State::kSynSent:
      t.error = ECONNREFUSED;
      break;
    case State::kCloseWait:
      t.error = EPIPE;
      break;
    case State::kClosed:
      return;
    default:
      t.error = ECONNRESET;
      break;
  }
  tracer_.abort(now, trace_tuple(t), t.state, "RST received");
  done(t, now);
}

void Engine::set_nodelay(Tcb& t, bool on, Instant now) {
  t.opt.nodelay = on;
  if (on && t.state != State::kClosed) flush(t, now);  // Linux tcp_push_pending_frames()
}

void Engine::set_keepalive(Tcb& t, Instant now) {
  arm_keepalive(t, now);
  arm(t);
}

void Engine::quickack(Tcb& t, Instant now) {
  // TCP_QUICKACK: leave interactive mode and ACK what is owed now (Linux tcp_enter_quickack...).
  t.pingpong = false;
  if (t.quick == 0) t.quick = 2;
  if (t.want_delack) {
    t.want_ack = true;
    flush(t, now);
  }
}

void Engine::flush(Tcb& t, Instant now) {
  output(t, now);
  schedule_reclaim(t, now);
  arm(t);
}

}  // namespace synack::tcp
