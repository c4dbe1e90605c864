// Timers as data (STYLE lesson 6): the three deadlines of a Tcb, the one wheel entry armed at
// the earliest, and what each does when due.
//
//   rexmit_at   RTO (Linux tcp_retransmit_timer()), SYN retransmission (a request record's
//               SYN+ACK timer is input_request.cc's), or — with `persist` — the
//               zero-window probe (tcp_probe_timer()). Give-up rules are retry_limits.h.
//   delack_at   delayed ACK (tcp_delack_timer_handler()); while no ACK is owed, the check
//               that gives an idle connection's buffer memory back (below)
//   state_at    keepalive (tcp_keepalive_timer()), the orphan's FIN-WAIT-2 limit
//               (tcp_fin_timeout, SPEC §8.8), the end of TIME-WAIT (SPEC §9.2)
// earliest_deadline() and on_timer() read the same fields, so the wheel entry and the handler
// cannot disagree (a test checks that on_timer() at earliest_deadline() always changes
// something or finds nothing due).
#include <algorithm>
#include <cerrno>

#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;
using stack::TimerKind;

Instant Engine::earliest_deadline(const Tcb& t) const {
  return std::min(t.rexmit_at, std::min(t.delack_at, t.state_at));
}

void Engine::arm(Tcb& t) {
  const Instant at = earliest_deadline(t);
  if (at.is_infinite()) {
    wheel_.cancel(t);
  } else {
    wheel_.schedule(t, at);
  }
}

RetrySysctls Engine::retry_sysctls() const {
  return RetrySysctls{
      .syn_retries = static_cast<uint32_t>(sysctl(SysctlId::kTcpSynRetries)),
      .syn_linear_timeouts = static_cast<uint32_t>(sysctl(SysctlId::kTcpSynLinearTimeouts)),
      .retries1 = static_cast<uint32_t>(sysctl(SysctlId::kTcpRetries1)),
      .retries2 = static_cast<uint32_t>(sysctl(SysctlId::kTcpRetries2)),
      .orphan_retries = static_cast<uint32_t>(sysctl(SysctlId::kTcpOrphanRetries)),
  };
}

Duration Engine::delack_timeout(const Tcb& t) const {
  // Linux tcp_send_delayed_ack() with ato at TCP_ATO_MIN: 40 ms; interactive connections may
  // wait up to min(srtt, TCP_DELACK_MAX) for data to piggyback on (SPEC §7.5: 40-200 ms).
  const Duration lo = sysctls_.duration(SysctlId::kTcpDelackMinMs);
  const Duration hi = sysctls_.duration(SysctlId::kTcpDelackMaxMs);
  if (t.pingpong && t.rtt.has_sample()) return std::clamp(t.rtt.srtt(), lo, hi);
  return lo;
}

Duration Engine::keep_idle(const Tcb& t) const {
  return t.opt.keep_idle_s != 0 ? Duration::seconds(t.opt.keep_idle_s)
                                : sysctls_.duration(SysctlId::kTcpKeepaliveTime);
}

// After output(): the retransmission timer runs while anything is unacknowledged; the persist
// timer while data (or the FIN) waits for a window and nothing is in flight.
void Engine::rearm_rexmit(Tcb& t, Instant now) {
  if (t.state == State::kClosed || t.state == State::kTimeWait) return;
  const Duration user_timeout = Duration::millis(t.opt.user_timeout_ms);
  if (t.has_unacked() && t.snd_nxt != t.snd_una) {
    if (t.persist) {
      t.persist = false;
      t.rexmit_at = Instant::infinite();
    }
    if (t.rexmit_at.is_infinite()) {
      Duration rto = t.rtt.rto();
      if (!t.retrans_stamp.is_infinite()) {
        rto = clamp_rto_to_user_timeout(rto, user_timeout, t.retrans_stamp, now);
      }
      t.rexmit_at = now + rto;
    }
    return;
  }
  const bool data_waiting =
      t.sq.unsent(t.snd_nxt) > 0 || (t.sq.fin_seq() && t.snd_nxt == *t.sq.fin_seq());
  if (data_waiting && t.snd_nxt == t.snd_una && is_synchronized(t.state)) {
    if (!t.persist || t.rexmit_at.is_infinite()) {
      // Linux tcp_check_probe_timer(): first probe after max(RTO, TCP_RTO_MIN).
      t.persist = true;
      t.rexmit_at = now + t.rtt.probe0_interval(t.rtt.config().rto_max);
    }
    return;
  }
  t.persist = false;
  t.rexmit_at = Instant::infinite();
}

// Buffer memory. Linux frees each skb when it is acknowledged or read (and since 6.0 keeps
// sk_forward_alloc below a page), so an idle socket holds no buffer memory. Our queues are one
// ring each (send_queue.h, recv_queue.h), allocated on first use; freeing a ring whenever it
// drains would cost an allocation per request in request/response traffic, so rings are
// given back (a) when the connection enters a state where its queue will not be used again in
// that direction (FIN-WAIT-2, TIME-WAIT, CLOSED; CLOSE-WAIT once the application read the
// EOF) and (b) once the connection has received nothing for tcp_delack_max (200 ms, the
// longest a delayed ACK waits) with both queues empty. (b) uses delack_at while no ACK is
// owed: a connection has one deadline fewer to carry, and a real delayed ACK replaces the
// check (the next flush re-arms it). Never per segment: a busy connection keeps its rings.
bool Engine::holds_idle_buffers(const Tcb& t) {
  return t.sq.empty() && t.rq.readable() == 0 && t.rq.ofo_ranges() == 0 &&
         t.sq.buffer_bytes() + t.rq.buffer_bytes() > 0;
}

void Engine::release_idle_buffers(Tcb& t) {
  if (!holds_idle_buffers(t)) return;
  (void)t.sq.release_if_empty();
  (void)t.rq.release_if_empty();
}

void Engine::schedule_reclaim(Tcb& t, Instant now) {
  if (t.want_delack || !t.delack_at.is_infinite() || !is_synchronized(t.state)) return;
  if (!holds_idle_buffers(t)) return;
  const Instant from = t.last_rcv > now ? t.last_rcv : now;
  t.delack_at = from + sysctls_.duration(SysctlId::kTcpDelackMaxMs);
}

void Engine::on_reclaim_timer(Tcb& t, Instant now) {
  if (!holds_idle_buffers(t)) return;
  const Instant quiet_since = t.last_rcv + sysctls_.duration(SysctlId::kTcpDelackMaxMs);
  if (now >= quiet_since) {
    release_idle_buffers(t);
  } else {
    t.delack_at = quiet_since;  // something arrived since the check was armed
  }
}

void Engine::on_timer(Tcb& t, Instant now) {
  if (t.delack_at <= now) {
    t.delack_at = Instant::infinite();
    if (t.want_delack) {
      tracer_.timer_fired(now, trace_tuple(t), t.state, TimerKind::kDelayedAck);
      counters_.inc(Counter::kTcpExtDelayedACKs);
      // Linux: a delayed ACK that had to fire means the reply did not come: leave pingpong.
      t.pingpong = false;
      t.want_ack = true;
    } else {
      on_reclaim_timer(t, now);
    }
  }
  if (t.rexmit_at <= now) {
    t.rexmit_at = Instant::infinite();
    if (t.persist) {
      on_persist_timer(t, now);
    } else {
      on_rexmit_timer(t, now);
    }
  }
  if (t.state_at <= now && t.state != State::kClosed) {
    t.state_at = Instant::infinite();
    on_state_timer(t, now);
  }
  if (t.state != State::kClosed) {
    output(t, now);
    schedule_reclaim(t, now);
  }
  arm(t);
}

bool Engine::too_many_orphans(unsigned shift) const {
  return orphans_ != nullptr &&
         (*orphans_ << shift) > static_cast<uint64_t>(sysctl(SysctlId::kTcpMaxOrphans));
}

void Engine::give_up(Tcb& t, Instant now, int err, std::string_view reason) {
  // Linux tcp_write_err(): ETIMEDOUT (no RST, SPEC §7.8), TCPAbortOnTimeout.
  t.error = static_cast<int16_t>(err);
  counters_.inc(Counter::kTcpExtTCPAbortOnTimeout);
  tracer_.abort(now, trace_tuple(t), t.state, reason);
  done(t, now);
}

void Engine::on_rexmit_timer(Tcb& t, Instant now) {
  if (!t.has_unacked()) return;
  const auto tt = trace_tuple(t);
  RtoSocketKind kind = RtoSocketKind::kSynchronized;
  if (t.state == State::kSynSent) kind = RtoSocketKind::kSynSent;
  if (t.state == State::kSynReceived) kind = RtoSocketKind::kSynReceived;
  const RtoFiring f{
      .kind = kind,
      .orphan = t.orphan,
      .retransmits = t.retransmits,
      .retrans_stamp = t.retrans_stamp,
      .now = now,
      .rto = t.rtt.rto(),
      .syn_rto_base = t.rtt.config().initial_rto,
      .syn_count = t.opt.syn_cnt,
      .user_timeout = Duration::millis(t.opt.user_timeout_ms),
      .soft_error = false,
      .peer_window_zero = t.snd_wnd == 0,
      .last_ack_received = t.last_rcv,
  };
  const RtoVerdict v = on_rto_timer(f, retry_sysctls());
  tracer_.timer_fired(now, tt, t.state, TimerKind::kRetransmit, t.retransmits + 1u);
  if (t.orphan && kind == RtoSocketKind::kSynchronized && orphans_ != nullptr &&
      *orphans_ > static_cast<uint64_t>(sysctl(SysctlId::kTcpMaxOrphans))) {
    // SPEC §8.7, Linux tcp_write_timeout() → tcp_out_of_resources() → tcp_check_oom(): too
    // many orphans when an orphan's timer fires: it is dropped, with RST if the peer may
    // still be there — Linux's "last send within TCP_TIMEWAIT_LEN" is approximated by the
    // RTO (the last transmission was one RTO ago) — or if the window is zero and nothing is
    // in flight.
    tracer_.log(now, tt, stack::LogMessage::kTooManyOrphans);
    const bool reset = v.orphan_reset_if_out_of_resources ||
                       t.rtt.rto() <= sysctls_.duration(SysctlId::kTimeWaitLen) ||
                       (t.snd_wnd == 0 && t.in_flight() == 0);
    counters_.inc(Counter::kTcpExtTCPAbortOnMemory);
    tracer_.abort(now, tt, t.state, "tcp_max_orphans");
    if (reset) send_rst(t, now);
    done(t, now);
    return;
  }
  if (v.action == RtoAction::kGiveUp) {
    give_up(t, now, ETIMEDOUT, "retransmission timeout");
    return;
  }
  counters_.inc(Counter::kTcpExtTCPTimeouts);
  if (t.retransmits == 0 && kind == RtoSocketKind::kSynchronized) t.retrans_stamp = now;
  if (kind == RtoSocketKind::kSynchronized) {
    if (t.cc.sack_recovery()) {
      counters_.inc(Counter::kTcpExtTCPSackRecoveryFail);  // Linux tcp_retransmit_timer()
    } else if (t.cc.state() == CaState::kRecovery) {
      counters_.inc(Counter::kTcpExtTCPRenoFailures);
    } else if (t.cc.state() == CaState::kLoss) {
      counters_.inc(Counter::kTcpExtTCPLossFailures);
    } else if (t.sack && (t.cc.state() == CaState::kDisorder || !t.sack->empty())) {
      counters_.inc(Counter::kTcpExtTCPSackFailures);
    }
    const uint32_t flight = (t.in_flight() + t.snd_mss - 1) / t.snd_mss;
    t.cc.on_rto(t.snd_una, t.snd_max, flight, t.retransmits != 0);
    t.snd_nxt = t.snd_una;  // go back N (output() skips SACKed ranges)
    t.want_rexmit_head = true;
  } else {
    t.want_syn = true;
    ++t.syn_retrans;
  }
  t.rtt_timing = false;
  ++t.retransmits;
  t.rtt.on_retransmit_timeout(
      rto_doubles(kind, t.rtt.backoff() + 1, retry_sysctls().syn_linear_timeouts));
  t.rexmit_at = now + clamp_rto_to_user_timeout(t.rtt.rto(), f.user_timeout, t.retrans_stamp, now);
}

void Engine::on_persist_timer(Tcb& t, Instant now) {
  const bool waiting =
      t.sq.unsent(t.snd_nxt) > 0 || (t.sq.fin_seq() && t.snd_nxt == *t.sq.fin_seq());
  const ProbeFiring f{
      .nothing_to_probe = t.snd_nxt != t.snd_una || !waiting,
      .probes_out = t.probes_out,
      .probes_started =
          t.probes_started.is_infinite() ? std::nullopt : std::optional<Instant>(t.probes_started),
      .now = now,
      .orphan = t.orphan,
      .rto_backed_off = t.rtt.rto_backed_off(t.rtt.config().rto_max),
      .rto_max = t.rtt.config().rto_max,
      .backoff = t.rtt.backoff(),
      .user_timeout = Duration::millis(t.opt.user_timeout_ms),
      .soft_error = false,
      .retries2 = static_cast<uint32_t>(sysctl(SysctlId::kTcpRetries2)),
      .orphan_retries_sysctl = static_cast<uint32_t>(sysctl(SysctlId::kTcpOrphanRetries)),
      .out_of_resources = t.orphan && too_many_orphans(now - t.last_rcv > 2 * kRtoMax ? 1 : 0),
  };
  const ProbeAction a = on_probe_timer(f);
  tracer_.timer_fired(now, trace_tuple(t), t.state, TimerKind::kPersist, t.probes_out + 1u);
  switch (a) {
    case ProbeAction::kStop:
      t.probes_out = 0;
      t.probes_started = Instant::infinite();
      t.persist = false;
      return;
    case ProbeAction::kGiveUp:
      give_up(t, now, ETIMEDOUT, "zero-window probes unanswered");
      return;
    case ProbeAction::kAbortOnMemory:
      // SPEC §8.7, Linux tcp_probe_timer() → tcp_out_of_resources(sk, do_reset = true): the
      // log line, RST, TCPAbortOnMemory, and the orphan is gone.
      tracer_.log(now, trace_tuple(t), stack::LogMessage::kTooManyOrphans);
      counters_.inc(Counter::kTcpExtTCPAbortOnMemory);
      tracer_.abort(now, trace_tuple(t), t.state, "tcp_max_orphans");
      send_rst(t, now);
      done(t, now);
      return;
    case ProbeAction::kSendProbe:
      break;
  }
  if (t.probes_started.is_infinite()) t.probes_started = now;
  // Linux tcp_write_wakeup(): if the window has room, send what fits (this is how a window
  // too small for SWS avoidance still gets used); otherwise a zero-window probe.
  const int32_t room = (t.snd_una + t.snd_wnd) - t.snd_nxt;
  if (room > 0) {
    const uint32_t len =
        std::min<uint32_t>({static_cast<uint32_t>(room), current_mss(t), t.sq.unsent(t.snd_nxt)});
    if (len > 0) {
      send_segment(t, wire::tcp_flags::kAck | wire::tcp_flags::kPsh, t.snd_nxt, len, now,
                   t.snd_nxt < t.snd_max);
      t.snd_nxt += len;
      if (t.snd_max < t.snd_nxt) t.snd_max = t.snd_nxt;
      // Linux tcp_send_probe0(): data in flight now, so probing is over (probes_out, backoff
      // and the probe start cleared; output() arms the RTO). Not a TCPWinProbe: Linux counts
      // that MIB only in tcp_xmit_probe_skb(), the bare probe below.
      t.persist = false;
      t.probes_out = 0;
      t.probes_started = Instant::infinite();
      t.rtt.reset_backoff();
      return;
    }
  }
  counters_.inc(Counter::kTcpExtTCPWinProbe);  // Linux tcp_xmit_probe_skb()
  t.want_probe = true;
  ++t.probes_out;
  // Linux tcp_send_probe0(): icsk_backoff stops growing at tcp_retries2, so an orphan whose
  // tcp_orphan_retries exceeds tcp_retries2 is never killed while the peer keeps answering.
  if (t.rtt.backoff() < static_cast<uint32_t>(sysctl(SysctlId::kTcpRetries2))) {
    t.rtt.on_retransmit_timeout(/*exponential=*/false);  // icsk_backoff++ only
  }
  t.persist = true;
  t.rexmit_at = now + t.rtt.probe0_interval(t.rtt.config().rto_max);
}

void Engine::arm_keepalive(Tcb& t, Instant now) {
  if (!t.opt.keepalive) {
    if (t.state != State::kTimeWait && !(t.state == State::kFinWait2 && t.orphan)) {
      t.state_at = Instant::infinite();
    }
    return;
  }
  switch (t.state) {
    case State::kEstablished:
    case State::kCloseWait:
    case State::kFinWait1:
    case State::kClosing:
    case State::kLastAck:
      t.state_at = t.last_rcv + keep_idle(t);
      if (t.state_at <= now) t.state_at = now + Duration::millis(1);
      break;
    case State::kFinWait2:
      if (!t.orphan) t.state_at = t.last_rcv + keep_idle(t);
      break;
    default:
      break;
  }
}

void Engine::set_fin_wait2_timer(Tcb& t, Instant now) {
  // Linux tcp_fin_time(): tcp_fin_timeout, but at least 3.5 RTO.
  Duration tmo = sysctls_.duration(SysctlId::kTcpFinTimeout);
  const Duration rto = t.rtt.rto();
  const Duration floor = rto * 4 - rto / 2;
  if (tmo < floor) tmo = floor;
  // SPEC §8.8 (Linux tcp_close()): up to TIME-WAIT's length the orphan waits as a record in
  // the table (the stack hands it over: fin_wait2_to_table()); beyond it, the excess is spent
  // first as a full socket (on_state_timer()).
  const Duration tw_len = sysctls_.duration(SysctlId::kTimeWaitLen);
  t.fin_wait2_excess = tmo > tw_len;
  t.state_at = now + (tmo > tw_len ? tmo - tw_len : tmo);
}

void Engine::start_time_wait(Tcb& t, Instant now) {
  // SPEC §9.2: 2 MSL = 60 s, fixed; tcp_fin_timeout does not change it.
  set_state(t, State::kTimeWait, now);
  t.rexmit_at = Instant::infinite();
  t.persist = false;
  t.want_rexmit_head = false;
  t.state_at = now + sysctls_.duration(SysctlId::kTimeWaitLen);
}

void Engine::on_state_timer(Tcb& t, Instant now) {
  const auto tt = trace_tuple(t);
  switch (t.state) {
    case State::kTimeWait:
      tracer_.timer_fired(now, tt, t.state, TimerKind::kTimeWait);
      counters_.inc(Counter::kTcpExtTW);
      done(t, now);
      return;
    case State::kFinWait2:
      if (t.orphan) {
        // SPEC §8.8: tcp_fin_timeout above TIME-WAIT's length: the part beyond it was spent
        // as a full socket; the rest goes to the table as a FIN-WAIT-2 record (Linux
        // tcp_keepalive_timer() → tcp_time_wait(sk, TCP_FIN_WAIT2, ...)). The stack hands the
        // Tcb over after this call (fin_wait2_to_table()).
        tracer_.timer_fired(now, tt, t.state, TimerKind::kFinWait2);
        t.fin_wait2_excess = false;
        t.state_at = now + sysctls_.duration(SysctlId::kTimeWaitLen);
        return;
      }
      on_keepalive_timer(t, now);
      return;
    default:
      on_keepalive_timer(t, now);
      return;
  }
}

void Engine::on_keepalive_timer(Tcb& t, Instant now) {
  if (!t.opt.keepalive || !is_synchronized(t.state)) return;
  const KeepaliveFiring f{
      .now = now,
      .last_heard = t.last_rcv,
      .busy = t.has_unacked() || t.sq.unsent(t.snd_nxt) > 0,
      .probes_out = t.probes_out,
      .idle = keep_idle(t),
      .interval = t.opt.keep_intvl_s != 0 ? Duration::seconds(t.opt.keep_intvl_s)
                                          : sysctls_.duration(SysctlId::kTcpKeepaliveIntvl),
      .probes = t.opt.keep_cnt != 0 ? t.opt.keep_cnt
                                    : static_cast<uint32_t>(sysctl(SysctlId::kTcpKeepaliveProbes)),
      .user_timeout = Duration::millis(t.opt.user_timeout_ms),
  };
  const KeepaliveVerdict v = tcp::on_keepalive_timer(f);
  switch (v.action) {
    case KeepaliveAction::kRearm:
      t.state_at = now + v.rearm_after;
      return;
    case KeepaliveAction::kSendProbe:
      tracer_.timer_fired(now, trace_tuple(t), t.state, TimerKind::kKeepalive, t.probes_out + 1u);
      counters_.inc(Counter::kTcpExtTCPKeepAlive);
      ++t.probes_out;
      t.want_probe = true;
      t.state_at = now + v.rearm_after;
      return;
    case KeepaliveAction::kGiveUp:
      // Linux tcp_keepalive_timer(): RST, then ETIMEDOUT (SPEC §11.2).
      tracer_.timer_fired(now, trace_tuple(t), t.state, TimerKind::kKeepalive, t.probes_out);
      send_rst(t, now);
      give_up(t, now, ETIMEDOUT, "keepalive: peer dead");
      return;
  }
}

}  // namespace synack::tcp
