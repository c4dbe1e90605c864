// TIME-WAIT and the orphan's FIN-WAIT-2 as compact records (SPEC §3.2, §8.8, §9; STYLE lesson
// 8): the handover from a Tcb, the answer to a segment, and the end of a record. The table
// (time_wait_table.h) only keeps the state; what to answer is here, as Linux splits
// tcp_time_wait() / tcp_timewait_state_process() from inet_timewait_sock.c.
//
// Handover (Linux tcp_time_wait() followed by tcp_done()): the stack calls
// time_wait_state() after the engine call that put the Tcb into TIME-WAIT (or made it an
// orphan in FIN-WAIT-2) has sent its last segment — so the final ACK leaves from the Tcb and
// the record repeats exactly that ACK — then retire_to_time_wait() closes the Tcb quietly: an
// application still holding the socket sees CLOSED, its unread data still readable.
//
// Segment arrival (Linux tcp_timewait_state_process()):
//   FIN-WAIT-2 sub-state ("repeat the checks of tcp_rcv_state_process"): failing PAWS or
//     outside [rcv_nxt, rcv_nxt + window] → a rate-limited ACK; RST → the record goes; a SYN
//     at or beyond rcv_nxt → RST; a duplicate ACK or no ACK → dropped; new data, or a FIN not
//     exactly at rcv_nxt → RST and the record goes; the FIN at rcv_nxt → ACK it and become an
//     ordinary 60 s TIME-WAIT.
//   TIME-WAIT (SPEC §9.4, §9.5):
//   - a bare ACK or RST exactly at rcv_nxt (and passing PAWS): an RST kills the record unless
//     tcp_rfc1337 = 1 (RFC 1337's "TIME-WAIT assassination"); an ACK restarts the 60 s;
//   - a SYN (no ACK, no RST) with a sequence number beyond rcv_nxt, or a newer timestamp, may
//     open a new connection on the tuple (RFC 6191, Linux TCP_TW_SYN): the ISN Linux picks
//     is snd_nxt + 65535 + 2, so the new incarnation starts beyond the old one;
//   - anything else that is not an RST (typically the peer's retransmitted FIN after our
//     final ACK was lost) is ACKed again (rate limited) and, if it carries ACK or failed
//     PAWS, restarts the timer.
// The ACK a record sends is Linux tcp_v4_timewait_ack(): seq = snd_nxt, ack = rcv_nxt, the
// window field saved at handover, TSval/TSecr when timestamps were on, IP id 0.
#include <algorithm>

#include "tcp/engine.h"
#include "tcp/time_wait_table.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;
using stack::TimerKind;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {
stack::TraceTuple tuple_of(const TimeWaitRecord& r) {
  return stack::TraceTuple{.local_addr = r.tuple.local_addr,
                           .local_port = r.tuple.local_port,
                           .remote_addr = r.tuple.remote_addr,
                           .remote_port = r.tuple.remote_port};
}
State state_of(const TimeWaitRecord& r) {
  return r.fin_wait2 ? State::kFinWait2 : State::kTimeWait;
}
}  // namespace

TimeWaitState Engine::time_wait_state(Tcb& t, Instant now) {
  TimeWaitState s;
  s.tuple = t.tuple;
  s.snd_nxt = t.snd_nxt;
  s.rcv_nxt = t.rcv_nxt();
  // The window field the Tcb would send now (Linux keeps tcp_receive_window() and shifts it).
  s.window = select_window(t);
  s.ts_ok = t.ts_ok;
  s.ts_recent = t.ts_recent;
  s.ts_offset = t.ts_offset;
  s.ts_recent_stamp = t.ts_recent_stamp;
  s.last_oow_ack = t.last_oow_ack;
  s.rcv_wscale = t.rcv_wscale;
  s.fin_wait2 = t.state == State::kFinWait2;
  (void)now;
  return s;
}

Duration Engine::time_wait_lifetime(const Tcb& t, Instant now) const {
  if (t.state == State::kTimeWait) return sysctls_.duration(SysctlId::kTimeWaitLen);
  return t.state_at - now;  // FIN-WAIT-2: what is left of tcp_fin_timeout
}

bool Engine::fin_wait2_to_table(const Tcb& t, Instant now) const {
  // Linux tcp_close() / tcp_rcv_state_process(): an orphan in FIN-WAIT-2 goes to the table
  // once at most TCP_TIMEWAIT_LEN of its FIN-WAIT-2 time is left (set_fin_wait2_timer()).
  return t.state == State::kFinWait2 && t.orphan && !t.fin_wait2_excess &&
         !t.state_at.is_infinite() && t.state_at > now;
}

void Engine::retire_to_time_wait(Tcb& t) {
  // Linux tcp_done() after tcp_time_wait(): the full socket is CLOSED. Not a protocol state
  // change (the connection goes on as the record), so neither traced nor counted.
  t.state = State::kClosed;
  t.done = true;
  t.rd_shut = true;
  t.wr_shut = true;
  t.rexmit_at = t.delack_at = t.state_at = Instant::infinite();
  t.persist = false;
  t.want_ack = t.want_delack = t.want_syn = t.want_rexmit_head = t.want_probe = false;
  arm(t);
}

void Engine::send_time_wait_ack(const TimeWaitRecord& r, Instant now) {
  wire::Packet& p = scratch_packet_;
  p = wire::Packet{};
  p.ip.src = r.tuple.local_addr;
  p.ip.dst = r.tuple.remote_addr;
  p.ip.id = 0;
  p.tcp.src_port = r.tuple.local_port;
  p.tcp.dst_port = r.tuple.remote_port;
  p.tcp.seq = r.snd_nxt;
  p.tcp.ack = r.rcv_nxt;
  p.tcp.flags = kAck;
  p.tcp.window = r.window;
  if (r.ts_ok) {
    p.tcp.options.timestamps =
        wire::Timestamps{static_cast<uint32_t>(now.since_epoch().ms()) + r.ts_offset, r.ts_recent};
  }
  if (tracer_.enabled()) {
    // transmit() traces with the Tcb's state; a record has none, so trace here.
    tracer_.segment_out(now, tuple_of(r), state_of(r), p);
  }
  const size_t need = wire::emitted_size(p);
  if (scratch_bytes_.size() < need) scratch_bytes_.resize(need);
  const size_t n = wire::emit_packet(p, std::span<uint8_t>(scratch_bytes_.data(), need));
  if (n == 0) {
    counters_.inc(Counter::kIpOutDiscards);
    return;
  }
  counters_.inc(Counter::kIpOutRequests);
  counters_.inc(Counter::kIpOutTransmits);
  counters_.add(Counter::kIpExtOutOctets, n);
  counters_.inc(Counter::kTcpOutSegs);
  out_.transmit(std::span<const uint8_t>(scratch_bytes_.data(), n), now);
}

void Engine::time_wait_ended(const TimeWaitRecord& r, Instant now) {
  const State st = state_of(r);
  // SPEC §8.8: the FIN-WAIT-2 record simply expires; SPEC §9.2: the end of TIME-WAIT.
  tracer_.timer_fired(now, tuple_of(r), st,
                      st == State::kTimeWait ? TimerKind::kTimeWait : TimerKind::kFinWait2);
  if (st == State::kTimeWait) counters_.inc(Counter::kTcpExtTW);
  counters_.count_state_change(st, State::kClosed);
  tracer_.state_change(now, tuple_of(r), st, State::kClosed);
}

void Engine::time_wait_killed(const TimeWaitRecord& r, Instant now, std::string_view reason) {
  const State st = state_of(r);
  if (!reason.empty()) tracer_.abort(now, tuple_of(r), st, reason);
  counters_.count_state_change(st, State::kClosed);
  tracer_.state_change(now, tuple_of(r), st, State::kClosed);
}

TimeWaitResult Engine::input_fin_wait2_record(TimeWaitRecord& r, const wire::Packet& p,
                                              bool paws_reject, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const SeqNum end = s.seq + s.seq_len();
  // Linux tcp_in_window(seq, end_seq, rcv_nxt, rcv_nxt + rcv_wnd).
  const uint32_t wnd = uint32_t{r.window} << r.rcv_wscale;
  const bool in_window = !(end < r.rcv_nxt) && !(r.rcv_nxt + wnd < s.seq);
  if (paws_reject || !in_window) {
    if (paws_reject) counters_.inc(Counter::kTcpExtPAWSEstab);
    if (s.has(kRst)) return {};
    if (s.seq_len() == 0 || s.has(kSyn)) {
      if (r.oow_rate_limited(now, sysctls_.duration(SysctlId::kTcpInvalidRatelimit))) {
        counters_.inc(Counter::kTcpExtTCPACKSkippedFinWait2);
        return {};
      }
    }
    send_time_wait_ack(r, now);
    return {};
  }
  if (s.has(kRst)) {
    time_wait_killed(r, now, "RST in FIN-WAIT-2");
    return {.action = TimeWaitAction::kKill};
  }
  if (s.has(kSyn) && !(s.seq < r.rcv_nxt)) {
    time_wait_killed(r, now, "SYN in FIN-WAIT-2");
    return {.action = TimeWaitAction::kReset};
  }
  if (!s.has(kAck) || !(r.rcv_nxt < end) || s.seq_len() == 0) return {};  // duplicate ACK
  if (!s.has(kFin) || end != r.rcv_nxt + 1) {
    // New data after our half-duplex close: Linux answers with RST.
    time_wait_killed(r, now, "data in FIN-WAIT-2");
    return {.action = TimeWaitAction::kReset};
  }
  // The FIN: ACK it, become an ordinary TIME-WAIT for 60 s.
  r.fin_wait2 = false;
  r.rcv_nxt = end;
  if (s.options.timestamps) r.set_ts_recent(s.options.timestamps->val, now);
  counters_.count_state_change(State::kFinWait2, State::kTimeWait);
  tracer_.state_change(now, tuple_of(r), State::kFinWait2, State::kTimeWait);
  send_time_wait_ack(r, now);
  return {.action = TimeWaitAction::kRestart};
}

TimeWaitResult Engine::input_time_wait(TimeWaitRecord& r, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  tracer_.segment_in(now, tuple_of(r), state_of(r), p);
  bool paws_reject = false;
  if (r.ts_ok && s.options.timestamps) {
    // Linux tcp_paws_reject(): window 0; an RST is accepted once ts_recent is a MSL old.
    paws_reject = r.paws_reject(s.options.timestamps->val, s.has(kRst), now);
  }
  if (r.fin_wait2) return input_fin_wait2_record(r, p, paws_reject, now);

  const SeqNum rcv_nxt = r.rcv_nxt;
  if (!paws_reject && s.seq == rcv_nxt && (s.seq_len() == 0 || s.has(kRst))) {
    TimeWaitResult res;
    if (s.has(kRst)) {
      if (sysctl(SysctlId::kTcpRfc1337) == 0) {
        counters_.inc(Counter::kTcpExtTWKilled);
        time_wait_killed(r, now, "RST in TIME-WAIT");
        return {.action = TimeWaitAction::kKill};
      }
    } else {
      res.action = TimeWaitAction::kRestart;
    }
    if (r.ts_ok && s.options.timestamps) r.set_ts_recent(s.options.timestamps->val, now);
    return res;
  }
  if (s.has(kSyn) && !s.has(kRst) && !s.has(kAck) && !paws_reject &&
      (s.seq > rcv_nxt || (r.ts_ok && s.options.timestamps &&
                           static_cast<int32_t>(r.ts_recent - s.options.timestamps->val) < 0))) {
    SeqNum isn = r.snd_nxt + 65535 + 2;
    if (isn == SeqNum{0}) isn += 1;
    return TimeWaitResult{.action = TimeWaitAction::kSyn, .isn = isn};
  }
  if (paws_reject) counters_.inc(Counter::kTcpExtPAWSEstab);
  TimeWaitResult res;
  if (!s.has(kRst)) {
    if (paws_reject || s.has(kAck)) res.action = TimeWaitAction::kRestart;  // SPEC §9.4
    // Linux tcp_oow_rate_limited(): data segments are not part of an ACK loop.
    const bool exempt = s.seq_len() != 0 && !s.has(kSyn);
    if (!exempt && r.oow_rate_limited(now, sysctls_.duration(SysctlId::kTcpInvalidRatelimit))) {
      counters_.inc(Counter::kTcpExtTCPACKSkippedTimeWait);
    } else {
      send_time_wait_ack(r, now);
    }
  }
  return res;
}

}  // namespace synack::tcp
