// Segment arrival in SYN-RECEIVED and every synchronized state but TIME-WAIT: one pipeline in
// RFC 9293 §3.10.7.4 order (STYLE lesson 4), each step returning a Verdict:
//   0. PAWS              RFC 7323 §5 (Linux tcp_paws_discard(); RST exempt)
//   1. sequence          Linux tcp_sequence(): the segment must overlap [rcv_wup, rcv_nxt +
//   RCV.WND]
//   2. RST               RFC 5961 §3: exact rcv_nxt resets, elsewhere in window a challenge ACK
//   3. SYN               RFC 5961 §4: challenge ACK (but the peer's SYN+ACK in simultaneous
//                        open passes, Linux 6.11+)
//   4. ACK               SYN-RECEIVED -> ESTABLISHED (a socket with an owner stops there,
//                        Linux 6.11+); RFC 5961 §5 range check; SACK blocks (scoreboard,
//                        sack_recovery.cc); snd_una, RTT, congestion control (NewReno, RFC
//                        6582, or RFC 6675 + PRR with a scoreboard), window update (Linux
//                        tcp_may_update_window()), FIN acknowledged -> state changes
//   5. URG               ignored (SPEC §1.2)
//   6. text              RecvQueue::insert(); ACK policy (delayed ACK, quick-ACK, every second
//                        full segment, at once for out-of-order data)
//   7. FIN               CLOSE-WAIT / CLOSING / TIME-WAIT
// Steps only change the Tcb and set want_* flags; the drop-and-reply verdicts are applied at the
// end (an ACK via output(), an RST straight to the segment's sender).
// A listener's pending handshake is a request record (input_request.cc); the child its third
// ACK creates runs this pipeline for that ACK (Engine::child_input).
#include <algorithm>
#include <cerrno>

#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {
constexpr uint8_t kMaxQuickAcks = 16;                                // Linux TCP_MAX_QUICKACKS
constexpr int32_t kPawsWindow = 1;                                   // Linux TCP_PAWS_WINDOW
constexpr Duration kPaws24Days = Duration::seconds(24 * 24 * 3600);  // TCP_PAWS_24DAYS

void ack_probe(Tcb& t, uint32_t mss, Instant now) {
  // Linux tcp_ack() -> tcp_ack_probe(), on every acceptable ACK while nothing is in flight.
  // The head of the send queue is taken as one segment of at most `mss` (current_mss()),
  // with the FIN when it fits behind the data in it (tcp_send_fin() puts it on the tail skb).
  const uint32_t unsent = t.sq.unsent(t.snd_nxt);
  const auto fin = t.sq.fin_seq();
  const bool fin_waiting = fin.has_value() && t.snd_nxt + unsent == *fin;
  if (unsent == 0 && !fin_waiting) return;  // no send head: the probe timer finds nothing
  uint32_t head = std::min(unsent, mss);
  if (fin_waiting && unsent <= mss) head += 1;
  if (t.snd_nxt + head <= t.snd_una + t.snd_wnd) {
    // The head fits: probing is over (output() sends it).
    t.rtt.reset_backoff();
    t.probes_started = Instant::infinite();
    t.persist = false;
    t.rexmit_at = Instant::infinite();
    return;
  }
  // Still no usable window: the probe timer restarts from this answer with the backed-off
  // interval, so each gap between probes is one RTT longer than the interval itself.
  t.rexmit_at = now + t.rtt.probe0_interval(t.rtt.config().rto_max);
}

}  // namespace

InputResult Engine::input(Tcb& t, const wire::Packet& p, Instant now) {
  tracer_.segment_in(now, trace_tuple(t), t.state, p);
  InputResult result;
  switch (t.state) {
    case State::kSynSent:
      input_syn_sent(t, p, now);
      break;
    case State::kTimeWait:
      // Unreachable: the stack hands a TIME-WAIT Tcb to its table after the call that put it
      // there (input_time_wait.cc); the record answers from then on.
      return result;
    case State::kClosed:
    case State::kListen:
      emit_reset(p, now);
      return result;
    default:
      input_synchronized(t, p, now);
      break;
  }
  if (t.state != State::kClosed) {
    flush(t, now);
  } else {
    arm(t);
  }
  return result;
}

bool Engine::oow_rate_limited(Tcb& t, const wire::TcpSegment& s, Counter skipped, Instant now,
                              bool data_exempt) {
  return oow_rate_limited(t.last_oow_ack, s, skipped, now, data_exempt);
}

bool Engine::oow_rate_limited(Instant& last_oow_ack, const wire::TcpSegment& s, Counter skipped,
                              Instant now, bool data_exempt) {
  // Linux tcp_oow_rate_limited(): data segments are not part of an ACK loop.
  if (data_exempt && s.seq_len() != 0 && !s.has(kSyn)) return false;
  const Duration limit = sysctls_.duration(SysctlId::kTcpInvalidRatelimit);
  if (!last_oow_ack.is_infinite()) {
    const Duration elapsed = now - last_oow_ack;
    if (elapsed >= Duration::zero() && elapsed < limit) {
      counters_.inc(skipped);
      return true;
    }
  }
  last_oow_ack = now;
  return false;
}

void Engine::send_challenge_ack(Tcb& t, Instant now) {
  // Linux tcp_send_challenge_ack(): per socket tcp_invalid_ratelimit, then the host-wide
  // tcp_challenge_ack_limit per second (SPEC §10.3).
  wire::TcpSegment none;
  if (oow_rate_limited(t, none, Counter::kTcpExtTCPACKSkippedChallenge, now, false)) return;
  if (challenge_window_start_.is_infinite() ||
      now - challenge_window_start_ >= Duration::seconds(1)) {
    challenge_window_start_ = now;
    challenge_count_ = 0;
  }
  if (++challenge_count_ > sysctl(SysctlId::kTcpChallengeAckLimit)) return;
  counters_.inc(Counter::kTcpExtTCPChallengeACK);
  t.want_ack = true;
}

void Engine::store_ts_recent(Tcb& t, const wire::TcpSegment& s, Instant now) {
  // Linux tcp_replace_ts_recent(): only from a segment that starts at or before rcv_wup
  // (RFC 7323 §4.3: the last ACK sent), and never backwards.
  if (!t.ts_ok || !s.options.timestamps) return;
  if (s.seq > t.rcv_wup) return;
  const uint32_t v = s.options.timestamps->val;
  if (static_cast<int32_t>(v - t.ts_recent) >= 0 || t.ts_recent_stamp.is_infinite()) {
    t.ts_recent = v;
    t.ts_recent_stamp = now;
  }
}

void Engine::input_synchronized(Tcb& t, const wire::Packet& p, Instant now) {
  Verdict v = check_paws(t, p, now);
  if (v == Verdict::kContinue) v = check_sequence(t, p, now);
  if (v == Verdict::kContinue) {
    t.last_rcv = now;
    v = check_rst(t, p, now);
  }
  if (v == Verdict::kContinue) v = check_syn(t, p, now);
  if (v == Verdict::kContinue) v = process_ack(t, p, now);
  // URG (RFC 9293 §3.10.7.4 sixth): ignored, urgent data is not a goal (SPEC §1.2).
  if (v == Verdict::kContinue) v = process_text(t, p, now);
  switch (v) {
    case Verdict::kDropAck:
      t.want_ack = true;
      break;
    case Verdict::kDropRst:
      emit_reset(p, now);
      break;
    default:
      break;
  }
}

Engine::Verdict Engine::check_paws(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  if (!t.ts_ok || !s.options.timestamps || t.ts_recent_stamp.is_infinite()) {
    return Verdict::kContinue;
  }
  if (static_cast<int32_t>(t.ts_recent - s.options.timestamps->val) <= kPawsWindow) {
    return Verdict::kContinue;
  }
  if (now - t.ts_recent_stamp >= kPaws24Days) return Verdict::kContinue;  // ts_recent too old
  if (s.has(kRst)) return Verdict::kContinue;  // Linux: RST is accepted even if it fails PAWS
  counters_.inc(Counter::kTcpExtPAWSEstab);
  tracer_.drop(now, trace_tuple(t), kDropPaws, &p);
  if (!oow_rate_limited(t, s, Counter::kTcpExtTCPACKSkippedPAWS, now)) return Verdict::kDropAck;
  return Verdict::kDrop;
}

Engine::Verdict Engine::check_sequence(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const SeqNum end = s.seq + s.seq_len();
  const bool acceptable = !(end < t.rcv_wup) && !(s.seq > t.rcv_nxt() + t.receive_window());
  if (acceptable) return Verdict::kContinue;
  tracer_.drop(now, trace_tuple(t), kDropSeq, &p);
  if (s.has(kRst)) {
    // Linux tcp_reset_check(): the peer's RST right after its FIN (seq = rcv_nxt - 1).
    const bool after_fin =
        s.seq == t.rcv_nxt() - 1 &&
        (t.state == State::kCloseWait || t.state == State::kLastAck || t.state == State::kClosing);
    if (after_fin) {
      peer_reset(t, now);
      return Verdict::kDone;
    }
    return Verdict::kDrop;
  }
  if (s.has(kSyn)) {
    counters_.inc(Counter::kTcpExtTCPSYNChallenge);
    send_challenge_ack(t, now);
    return Verdict::kDrop;
  }
  if (oow_rate_limited(t, s, Counter::kTcpExtTCPACKSkippedSeq, now)) return Verdict::kDrop;
  if (!s.payload.empty() && s.seq < t.rcv_nxt()) {
    counters_.inc(Counter::kTcpExtDelayedACKLost);  // Linux tcp_send_dupack()
    t.quick = kMaxQuickAcks;
  }
  return Verdict::kDropAck;
}

Engine::Verdict Engine::check_rst(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  if (!s.has(kRst)) return Verdict::kContinue;
  const bool after_fin =
      s.seq == t.rcv_nxt() - 1 &&
      (t.state == State::kCloseWait || t.state == State::kLastAck || t.state == State::kClosing);
  if (s.seq == t.rcv_nxt() || after_fin) {
    peer_reset(t, now);
    return Verdict::kDone;
  }
  // RFC 5961 §3.2: in the window but not exact: challenge ACK.
  tracer_.drop(now, trace_tuple(t), "RST not at rcv_nxt: challenge ACK", &p);
  send_challenge_ack(t, now);
  return Verdict::kDrop;
}

Engine::Verdict Engine::check_syn(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  if (!s.has(kSyn)) return Verdict::kContinue;
  // Linux 6.11+ tcp_validate_incoming() (commit 23e89e8ee7be): in simultaneous open, the
  // peer's SYN+ACK (no data, repeating the SYN we have, acknowledging ours) passes on a socket
  // with an owner; process_ack() then completes the open without a reply.
  if (t.state == State::kSynReceived && t.socket != 0 && s.has(kAck) && s.seq + 1 == t.rcv_nxt() &&
      s.seq_len() == 1 && s.ack == t.snd_nxt) {
    return Verdict::kContinue;
  }
  counters_.inc(Counter::kTcpExtTCPSYNChallenge);
  tracer_.drop(now, trace_tuple(t), "SYN in synchronized state: challenge ACK", &p);
  send_challenge_ack(t, now);
  return Verdict::kDrop;
}

void Engine::update_window(Tcb& t, const wire::TcpSegment& s) {
  const uint32_t nwin = uint32_t{s.window} << t.snd_wscale;
  // Linux tcp_may_update_window().
  if (s.ack > t.snd_una || s.seq > t.snd_wl1 ||
      (s.seq == t.snd_wl1 && (nwin > t.snd_wnd || nwin == 0))) {
    t.snd_wnd = nwin;
    t.snd_wl1 = s.seq;
    t.max_window = std::max(t.max_window, nwin);
  }
}

void Engine::take_rtt_sample(Tcb& t, const wire::TcpSegment& s, Instant now) {
  // Karn's rule (rtt.h): the timed segment if it was never retransmitted, else the echoed
  // timestamp (unambiguous).
  Duration sample = Duration::nanos(-1);
  if (t.rtt_timing && t.snd_una >= t.rtt_seq) {
    sample = now - t.rtt_time;
    t.rtt_timing = false;
  } else if (t.ts_ok && s.options.timestamps && s.options.timestamps->ecr != 0) {
    const auto ms = static_cast<int32_t>(tsval(t, now) - s.options.timestamps->ecr);
    if (ms >= 0) sample = Duration::millis(ms);
  }
  if (sample >= Duration::zero()) t.rtt.sample(sample, t.snd_una, t.snd_nxt);
}

Engine::Verdict Engine::process_ack(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  if (!s.has(kAck)) {
    tracer_.drop(now, trace_tuple(t), "no ACK flag", &p);
    return Verdict::kDrop;
  }
  if (t.state == State::kSynReceived || t.state == State::kNewSynRecv) {
    if (!(t.snd_una < s.ack && s.ack <= t.snd_max)) return Verdict::kDropRst;
    t.snd_una = s.ack;
    if (t.snd_nxt < t.snd_una) t.snd_nxt = t.snd_una;
    t.snd_wnd = uint32_t{s.window} << t.snd_wscale;
    t.max_window = std::max(t.max_window, t.snd_wnd);
    t.snd_wl1 = s.seq;
    if (t.rtt_timing && t.syn_retrans == 0) t.rtt.sample(now - t.rtt_time, t.snd_una, t.snd_nxt);
    t.rtt_timing = false;
    store_ts_recent(t, s, now);
    established(t, now);
    // Linux 6.11+ tcp_rcv_state_process() (commit 23e89e8ee7be), TCP_SYN_RECV: once a socket
    // that has an owner (sk->sk_socket: a connect() socket in simultaneous open, or a Fast
    // Open child already accepted) is ESTABLISHED, the segment is consumed: no text, no FIN,
    // no ACK in reply. So the peer's SYN+ACK crossing ours completes the open silently and
    // RFC 9293 §3.5 figure 7 takes four segments (SPEC §4.3).
    if (t.socket != 0) return Verdict::kDone;
    return Verdict::kContinue;
  }
  // RFC 5961 §5.2 (SPEC §10.3): an ACK for data never sent, or older than the largest window
  // the peer ever offered, is dropped with a (rate-limited) challenge ACK.
  if (s.ack > t.snd_max || s.ack < t.snd_una - t.max_window) {
    tracer_.drop(now, trace_tuple(t), "ACK out of range: challenge ACK", &p);
    send_challenge_ack(t, now);
    return Verdict::kDrop;
  }
  store_ts_recent(t, s, now);
  if (s.ack < t.snd_una) return Verdict::kContinue;  // old ACK: ignore it, keep the text

  t.probes_out = 0;  // Linux tcp_ack(): the peer is alive
  const bool prior_packets = t.has_unacked();
  const uint32_t mss = t.snd_mss;
  const uint32_t prior_in_flight = t.in_flight();
  const uint32_t prior_wnd = t.snd_wnd;
  const CaState prior_ca = t.cc.state();
  const uint32_t prior_acked = static_cast<uint32_t>(s.ack - t.snd_una);
  update_window(t, s);
  // SACK blocks (sack_recovery.cc) before snd_una moves: they are validated against SEG.ACK.
  const SackTagResult tag = sack_tag(t, s);
  if (s.ack > t.snd_una) {
    const uint32_t acked = static_cast<uint32_t>(s.ack - t.snd_una);
    const AckResult r = t.sq.ack(s.ack);
    t.snd_una = s.ack;
    if (t.snd_nxt < t.snd_una) t.snd_nxt = t.snd_una;
    take_rtt_sample(t, s, now);
    t.retransmits = 0;
    t.retrans_stamp = Instant::infinite();
    counters_.add(Counter::kTcpExtTCPDelivered, (acked + mss - 1) / mss);
    const uint64_t cwnd_bytes = uint64_t{t.cc.cwnd()} * mss;
    const bool cwnd_limited = t.cc.in_slow_start() ? 2ull * prior_in_flight > cwnd_bytes
                                                   : prior_in_flight + mss >= cwnd_bytes;
    const AckSample sample{.ack = s.ack,
                           .acked_segments = (acked + mss - 1) / mss,
                           .flight_size = (t.in_flight() + mss - 1) / mss,
                           .cwnd_limited = cwnd_limited,
                           .rtt = Duration::nanos(-1),
                           .now = now};
    if (t.cc.on_ack(sample) == AckAction::kRetransmitFirstUnacked) t.want_rexmit_head = true;
    // Linux tcp_rearm_rto(): restart while data is outstanding, stop when all is acked.
    t.rexmit_at = Instant::infinite();
    t.persist = false;
    if (r.fin_acked) {
      switch (t.state) {
        case State::kFinWait1:
          set_state(t, State::kFinWait2, now);
          if (t.orphan) set_fin_wait2_timer(t, now);
          break;
        case State::kClosing:
          start_time_wait(t, now);
          return Verdict::kDone;
        case State::kLastAck:
          done(t, now);
          return Verdict::kDone;
        default:
          break;
      }
    }
  } else if (s.payload.empty() && !s.has(kSyn) && !s.has(kFin) && t.snd_wnd == prior_wnd &&
             t.has_unacked()) {
    // RFC 5681 §2 duplicate ACK.
    // NewReno: RFC 5681 FlightSize. With SACK, Linux's tcp_reno_ssthresh() halves cwnd:
    // SACKed segments let the flight grow past cwnd, and FlightSize would count them.
    const uint32_t flight = t.sack ? t.cc.cwnd() : (prior_in_flight + mss - 1) / mss;
    const CaState before = t.cc.state();
    // With a SACK scoreboard sack_after_ack() below does the entry's work (RFC 6675).
    if (t.cc.on_dupack(s.ack, t.snd_max, flight, t.sack != nullptr) ==
            DupAckAction::kFastRetransmit &&
        !t.cc.sack_recovery()) {
      counters_.inc(Counter::kTcpExtTCPFastRetrans);
      if (before != CaState::kRecovery) counters_.inc(Counter::kTcpExtTCPRenoRecovery);
      t.want_rexmit_head = true;
      t.rexmit_at = Instant::infinite();  // re-armed from now after the retransmission
    }
  }
  sack_after_ack(t, prior_ca, prior_acked, tag, prior_acked > 0);
  // Everything sent is acknowledged: the scoreboard has nothing left to describe.
  if (t.sack && t.snd_una == t.snd_max && !t.cc.sack_recovery()) t.sack.reset();
  if (!prior_packets && t.persist) ack_probe(t, current_mss(t), now);
  if (t.opt.keepalive) arm_keepalive(t, now);
  return Verdict::kContinue;
}

void Engine::on_data_received(Tcb& t, uint32_t bytes, bool immediate, Instant now) {
  // Linux tcp_event_data_recv() + __tcp_ack_snd_check().
  if (!t.data_seen) {
    t.data_seen = true;
    const uint32_t q = std::max<uint32_t>(t.rcv_wnd / (2u * t.rcv_mss), 2);
    t.quick = static_cast<uint8_t>(std::min<uint32_t>(q, kMaxQuickAcks));
  }
  if (bytes >= t.rcv_mss) t.rcv_mss = static_cast<uint16_t>(std::min<uint32_t>(bytes, t.adv_mss));
  // Linux tcp_grow_window(): let the offered window grow as data arrives.
  if (t.rcv_ssthresh < t.window_clamp) {
    t.rcv_ssthresh = std::min<uint32_t>(t.rcv_ssthresh + 2u * t.adv_mss, t.window_clamp);
  }
  t.last_data_rcv = now;
  const bool two_segments = static_cast<uint32_t>(t.rcv_nxt() - t.rcv_wup) > t.rcv_mss;
  if (immediate || two_segments || (t.quick > 0 && !t.pingpong) || t.rq.ofo_ranges() > 0) {
    t.want_ack = true;
  } else {
    // A pending reclaim check (timers.cc) gives way to the delayed ACK.
    if (!t.want_delack) t.delack_at = now + delack_timeout(t);
    t.want_delack = true;
  }
}

Engine::Verdict Engine::process_text(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const bool fin = s.has(kFin);
  const auto len = static_cast<uint32_t>(s.payload.size());
  if (s.seq_len() > 0 && s.seq + s.seq_len() <= t.rcv_nxt()) {
    // Everything in it was received before (a retransmission; or the peer's SYN+ACK
    // retransmitted once ESTABLISHED): ACK at once (Linux tcp_data_queue(), "force an
    // immediate ack").
    if (t.want_delack) counters_.inc(Counter::kTcpExtDelayedACKLost);
    t.quick = kMaxQuickAcks;
    return Verdict::kDropAck;
  }
  if (len == 0 && !fin) return Verdict::kDone;
  switch (t.state) {
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
      break;
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
      // The peer's FIN is in; only a retransmission of old data or of the FIN can come, and
      // it is ACKed again (Linux tcp_rcv_state_process() -> tcp_data_queue()).
      if (s.seq < t.rcv_nxt()) {
        if (t.want_delack) counters_.inc(Counter::kTcpExtDelayedACKLost);
        t.quick = kMaxQuickAcks;
        return Verdict::kDropAck;
      }
      return Verdict::kDone;
    default:
      return Verdict::kDone;
  }
  if (t.rd_shut && (t.state == State::kFinWait1 || t.state == State::kFinWait2) && len > 0 &&
      s.seq + len > t.rcv_nxt()) {
    // RFC 1122 §4.2.2.13 / Linux: new data after close() resets the connection.
    counters_.inc(Counter::kTcpExtTCPAbortOnData);
    t.error = ECONNRESET;
    tracer_.abort(now, trace_tuple(t), t.state, "data after close()");
    done(t, now);
    return Verdict::kDropRst;
  }
  if (len > 0 && s.seq == t.rcv_nxt() && t.receive_window() == 0) {
    counters_.inc(Counter::kTcpExtTCPZeroWindowDrop);
    tracer_.drop(now, trace_tuple(t), "TCPZeroWindowDrop", &p);
    t.quick = kMaxQuickAcks;
    return Verdict::kDropAck;
  }
  const SeqNum queue_edge = t.rq.right_edge();
  const SeqNum prior_nxt = t.rcv_nxt();
  const InsertResult r = t.rq.insert(s.seq, s.payload, fin);
  if (r.out_of_order > 0) counters_.inc(Counter::kTcpExtTCPOFOQueue);
  if (r.ofo_dropped > 0) {
    counters_.inc(Counter::kTcpExtTCPOFODrop);
    tracer_.drop(now, trace_tuple(t), "TCPOFODrop: reassembly table full", &p);
  }
  if (r.beyond_window > 0 && s.seq + len > queue_edge) {
    // Bytes past what the receive queue can hold were cut off (bytes past a recorded FIN are
    // the peer's protocol error, not ours). select_window() never advertises past the queue,
    // so this is the peer overrunning our window, or a bug here: either way visible. Linux
    // counts a receive-buffer drop of in-order data as TCPRcvQDrop and of out-of-order data
    // as TCPOFODrop (tcp_data_queue(), tcp_data_queue_ofo()).
    const bool in_order = s.seq <= prior_nxt;
    counters_.inc(in_order ? Counter::kTcpExtTCPRcvQDrop : Counter::kTcpExtTCPOFODrop);
    tracer_.drop(now, trace_tuple(t), in_order ? "TCPRcvQDrop" : "TCPOFODrop: receive queue full",
                 &p);
  }
  if (r.in_order > 0) {
    on_data_received(t, len, r.filled_gap, now);
  } else if (r.wants_immediate_ack()) {
    if (r.duplicate > 0 && t.want_delack) counters_.inc(Counter::kTcpExtDelayedACKLost);
    t.want_ack = true;
  }
  if (r.fin) {
    switch (t.state) {
      case State::kEstablished:
        set_state(t, State::kCloseWait, now);
        // Linux tcp_fin(): the application will probably answer; ACK with a delay so the
        // ACK can ride on its data or FIN. Before any data arrived Linux's ato is still 0
        // and the delayed-ACK timer fires at once.
        t.pingpong = true;
        if (!t.data_seen) {
          t.want_ack = true;
        } else if (!t.want_ack) {
          if (!t.want_delack) t.delack_at = now + delack_timeout(t);
          t.want_delack = true;
        }
        break;
      case State::kFinWait1:
        t.want_ack = true;
        set_state(t, State::kClosing, now);
        break;
      case State::kFinWait2:
        t.want_ack = true;
        start_time_wait(t, now);
        break;
      default:
        break;
    }
  }
  return Verdict::kContinue;
}

}  // namespace synack::tcp
