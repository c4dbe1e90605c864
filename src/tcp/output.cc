// output(): what a connection sends now, decided from the Tcb alone (STYLE lesson 5; FreeBSD
// tcp_output(), Linux tcp_write_xmit() + tcp_send_ack()).
//
// Order of decisions, each from Tcb fields input and the timers set:
//   1. want_syn          our SYN (SYN-SENT) or SYN+ACK (SYN-RECEIVED), seq = ISS
//   2. want_probe        keepalive / zero-window probe: seq = snd_una - 1, no data (SPEC §11.2)
//   3. want_rexmit_head  one segment at snd_una (fast retransmit, NewReno partial ACK, RTO)
//   4. new data          from snd_nxt while the data fits min(cwnd, snd_wnd) — Nagle
//                        (Minshall's variant, Linux tcp_nagle_check) holds back a small segment
//                        while a small one is unacknowledged; the FIN rides on the last data
//                        segment or goes alone after it (never ahead of data, SPEC §8.2);
//                        a FIN that fits one segment is exempt from cwnd (tcp_cwnd_test);
//                        PSH at the end of the data and of a burst cut by cwnd
//   5. want_ack          a pure ACK if nothing above carried one (every segment after the SYN
//                        exchange carries ACK, so any segment clears the debt)
// Sequence space: snd_nxt is where new transmission continues; after an RTO it goes back to
// snd_una (go-back-N) and everything below snd_max is a retransmission (Tcp RetransSegs;
// OutSegs counts the rest). With a SACK scoreboard (sack_recovery.cc) the go-back-N pass skips
// SACKed ranges, the cwnd test uses RFC 6675's pipe instead of snd_nxt - snd_una, and in fast
// recovery NextSeg() retransmits lost holes before new data (step 3 is then only the first
// hole, RFC 6675 §5 step 4.3).
//
// Segments are built in the engine's scratch Packet and payload buffer and emitted into one
// scratch byte buffer handed to PacketOutput: no allocation per segment.
#include <algorithm>
#include <optional>

#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kPsh;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {

bool can_send_data(State s) {
  switch (s) {
    case State::kEstablished:
    case State::kCloseWait:
    case State::kFinWait1:
    case State::kClosing:
    case State::kLastAck:
      return true;
    default:
      return false;
  }
}

// A Fast Open child may send in SYN-RECEIVED once its SYN+ACK is out (SPEC §13.2: the
// response can leave before the third ACK; Linux tcp_sendmsg() with tcp_passive_fastopen()).
bool can_send_data(const Tcb& t) {
  if (t.state == State::kSynReceived) return t.passive && t.snd_max != t.iss;
  return can_send_data(t.state);
}

struct DataSegment {
  uint32_t len;  // payload bytes; 0 for a FIN alone
  bool fin;
};

}  // namespace

void Engine::output(Tcb& t, Instant now) {
  if (t.state == State::kClosed || t.state == State::kListen) return;

  if (t.want_syn) {
    t.want_syn = false;
    const bool synack = t.state == State::kSynReceived || t.state == State::kNewSynRecv;
    const bool retransmission = t.snd_max != t.iss;
    if (!retransmission && !t.rtt_timing) {
      t.rtt_timing = true;
      t.rtt_seq = t.iss + 1;
      t.rtt_time = now;
    }
    // A Fast Open SYN carries what fastopen_send() queued (SPEC §13.3); a retransmitted SYN
    // never does (Linux resends the SYN alone; the data follows the handshake).
    uint32_t syn_len = 0;
    if (!synack && !retransmission && t.fastopen_syn_data) {
      syn_len = static_cast<uint32_t>(t.sq.end_seq() - (t.iss + 1));
    }
    send_segment(t, synack ? (kSyn | kAck) : kSyn, t.iss, syn_len, now, retransmission);
    if (t.snd_nxt == t.iss) t.snd_nxt = t.iss + 1 + syn_len;
    if (t.snd_max < t.snd_nxt) t.snd_max = t.snd_nxt;
  }
  if (t.state == State::kSynSent) {
    rearm_rexmit(t, now);
    return;
  }

  if (t.want_probe) {
    t.want_probe = false;
    send_probe(t, now);
  }

  if (t.want_rexmit_head && can_send_data(t)) {
    t.want_rexmit_head = false;
    // One segment at snd_una, whatever the windows say (RFC 5681 §3.2 step 2, RFC 6298 §5.4).
    const uint32_t data_left = static_cast<uint32_t>(t.sq.end_seq() - t.snd_una);
    uint32_t len = std::min<uint32_t>(data_left, current_mss(t));
    // With SACK only the hole below the first SACKed range (RFC 6675 §5 step 4.3).
    if (t.sack) len = std::min<uint32_t>(len, t.sack->hole_end(t.snd_una, t.snd_max) - t.snd_una);
    const auto fin = t.sq.fin_seq();
    uint8_t flags = kAck;
    if (fin && t.snd_una + len == *fin && t.snd_max > *fin) flags |= kFin;
    if (len > 0 || (flags & kFin) != 0) {
      if (t.rtt_timing && t.rtt_seq > t.snd_una) t.rtt_timing = false;  // Karn
      send_segment(t, flags, t.snd_una, len, now, /*retransmission=*/true);
      const SeqNum end = t.snd_una + len + ((flags & kFin) != 0 ? 1 : 0);
      if (t.snd_nxt < end) t.snd_nxt = end;
      if (t.sack && t.cc.sack_recovery()) {
        if (t.sack->high_rxt < end) t.sack->high_rxt = end;
        t.sack->note_retransmit(t.snd_una, t.snd_max);
      }
      if (t.snd_max < t.snd_nxt) t.snd_max = t.snd_nxt;
    }
  }

  if (can_send_data(t)) {
    // RFC 6675 NextSeg(): lost holes first, then new data, then other unSACKed data.
    sack_retransmit(t, now, /*rule3=*/false);
    send_data(t, now);
    sack_retransmit(t, now, /*rule3=*/true);
  }

  // A pure ACK carries the highest sequence number sent (Linux's snd_nxt, which an RTO never
  // moves back): the peer has seen it, so the ACK is acceptable there.
  if (t.want_ack) send_segment(t, kAck, t.snd_max, 0, now, false);
  rearm_rexmit(t, now);
}

namespace {

// The next segment send_data() may send from `nxt` (sml: end of the last small segment sent,
// for Nagle; pipe: the data in flight — RFC 6675's pipe with SACK, which leaves out SACKed
// and lost data), or nothing; *cwnd_limited says whether cwnd is what refused it. Pure in the Tcb
// so that send_data() can look one segment ahead: PSH goes on the last segment of a burst cut
// by cwnd, which is only known once the next one is refused.
std::optional<DataSegment> next_data_segment(const Tcb& t, SeqNum nxt, SeqNum sml, uint32_t pipe,
                                             uint64_t cwnd_bytes, uint32_t mss,
                                             bool* cwnd_limited) {
  *cwnd_limited = false;
  const SeqNum data_end = t.sq.end_seq();
  const auto fin = t.sq.fin_seq();
  const uint32_t unsent = nxt < data_end ? static_cast<uint32_t>(data_end - nxt) : 0;
  const bool fin_due = fin.has_value() && nxt == *fin;
  if (unsent == 0 && !fin_due) return std::nullopt;
  const SeqNum wnd_end = t.snd_una + t.snd_wnd;
  const int32_t room_signed = wnd_end - nxt;
  const uint32_t room = room_signed > 0 ? static_cast<uint32_t>(room_signed) : 0;
  // Congestion window, in bytes of sequence space in flight (Linux tcp_cwnd_test counts
  // packets; one partly filled segment may still go). tcp_cwnd_test() exempts the final FIN
  // when it rides on a one-segment skb (tcp_skb_pcount 1): a bare FIN, or the FIN on the last
  // piece of data when what is left fits one segment and the window (SPEC §8.2 still keeps it
  // behind the data). Only for new transmission: a go-back-N resend after an RTO is paced by
  // cwnd like Linux's tcp_xmit_retransmit_queue().
  const bool one_segment_fin =
      fin.has_value() && unsent <= mss && room > unsent && nxt >= t.snd_max;
  if (!one_segment_fin && pipe >= cwnd_bytes) {
    *cwnd_limited = true;
    return std::nullopt;
  }
  if (unsent == 0) {
    // A FIN alone needs one sequence number of window (Linux tcp_snd_wnd_test()).
    if (room == 0) return std::nullopt;
    return DataSegment{.len = 0, .fin = true};
  }
  uint32_t len = std::min(unsent, mss);
  if (t.sack && nxt < t.snd_max) {
    // Go-back-N with SACK resends one hole at a time, never the SACKed data after it.
    len = std::min<uint32_t>(len, t.sack->hole_end(nxt, t.snd_max) - nxt);
  }
  if (room == 0) return std::nullopt;  // zero window: the persist timer takes over
  if (room < len) {
    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a window-limited piece only when it is
    // at least half the largest window the peer offered.
    if (room < t.max_window / 2) return std::nullopt;
    len = room;
  }
  const bool last = len == unsent;
  const bool fin_here = last && fin.has_value() && room > len;
  if (len < mss && !fin_here && !t.opt.nodelay) {
    // Nagle, Minshall's variant (Linux tcp_nagle_check(), tcp_minshall_check()): hold a
    // small segment while an earlier small one is unacknowledged. A segment carrying FIN
    // is never held (tcp_nagle_test()).
    const bool small_unacked = sml > t.snd_una && sml <= nxt;
    if (last && small_unacked) return std::nullopt;
  }
  return DataSegment{.len = len, .fin = fin_here};
}

}  // namespace

// Sends new (or, after an RTO, re-sent) data and the FIN from snd_nxt. Returns true if
// anything went out.
//
// PSH, as the Linux 6.18 host puts it on the wire (measured with packetdrill; docs/packetdrill.md):
// the end of each write carries it (tcp_push() -> tcp_mark_push(); synack has no MSG_MORE or
// cork, so: the segment that ends the queued data), and so does the last segment of a burst
// cut short by cwnd (a 12000-byte write leaves IW10 ending "P.",
// mss/mss-setsockopt-tcp_maxseg-client.pkt) — but not one held back by Nagle (Linux sends
// ". 501:1501" and holds the 500-byte tail) or cut by the receive window. Not modelled:
// Linux's forced push (tcp_sendmsg marks a full skb once more than max_window/2 was written
// since the last push), which only shows when skbs are smaller than a burst.
bool Engine::send_data(Tcb& t, Instant now) {
  bool sent = false;
  const uint32_t mss = current_mss(t);
  const uint64_t cwnd_bytes = uint64_t{t.cc.cwnd()} * t.snd_mss;
  // Go-back-N after an RTO skips what the peer SACKed (Linux tcp_enter_loss() keeps those
  // skbs marked).
  const auto skip_sacked = [&t](SeqNum nxt) {
    if (!t.sack || nxt >= t.snd_max) return nxt;
    return wire::seq_min(t.sack->skip_sacked(nxt), t.snd_max);
  };
  bool cwnd_limited = false;
  t.snd_nxt = skip_sacked(t.snd_nxt);
  auto seg =
      next_data_segment(t, t.snd_nxt, t.snd_sml, pipe_bytes(t), cwnd_bytes, mss, &cwnd_limited);
  while (seg) {
    const uint32_t len = seg->len;
    const SeqNum end = t.snd_nxt + len + (seg->fin ? 1 : 0);
    const SeqNum sml = len > 0 && len < mss ? t.snd_nxt + len : t.snd_sml;
    if (len > 0) {
      // Look one segment ahead, only to place PSH: would cwnd refuse the next one? (The pipe
      // grows by what this segment adds; the real decision is taken afresh below.)
      const uint32_t pipe_after = pipe_bytes(t) + static_cast<uint32_t>(end - t.snd_nxt);
      const auto next =
          next_data_segment(t, skip_sacked(end), sml, pipe_after, cwnd_bytes, mss, &cwnd_limited);
      uint8_t flags = kAck;
      if ((!next.has_value() && cwnd_limited) || t.snd_nxt + len == t.sq.end_seq()) {
        flags |= kPsh;
      }
      if (seg->fin) flags |= kFin;
      const bool retransmission = t.snd_nxt < t.snd_max;
      if (!retransmission && !t.rtt_timing) {
        t.rtt_timing = true;
        t.rtt_seq = t.snd_nxt + len;
        t.rtt_time = now;
      } else if (retransmission && t.rtt_timing && t.rtt_seq > t.snd_nxt) {
        t.rtt_timing = false;  // Karn: never time a retransmitted segment
      }
      send_segment(t, flags, t.snd_nxt, len, now, retransmission);
      t.snd_sml = sml;
    } else {
      send_segment(t, kAck | kFin, t.snd_nxt, 0, now, t.snd_nxt < t.snd_max);
    }
    t.snd_nxt = end;
    if (t.snd_max < t.snd_nxt) t.snd_max = t.snd_nxt;
    sent = true;
    t.snd_nxt = skip_sacked(t.snd_nxt);
    seg = next_data_segment(t, t.snd_nxt, t.snd_sml, pipe_bytes(t), cwnd_bytes, mss, &cwnd_limited);
  }
  return sent;
}

// Linux tcp_xmit_probe_skb(): a segment the peer must answer with an ACK because its sequence
// number is old — seq = snd_una - 1, no data. Used for keepalives and zero-window probes.
void Engine::send_probe(Tcb& t, Instant now) {
  send_segment(t, kAck, t.snd_una - 1, 0, now, false);
}

uint32_t Engine::current_mss(const Tcb& t) const {
  // Linux tcp_current_mss(): SACK blocks on this segment take room from the payload
  // (nop, nop, kind, length and 8 bytes per block), the MSS itself does not change.
  if (!t.sack_ok || t.rq.ofo_ranges() == 0) return t.snd_mss;
  const size_t blocks = std::min<size_t>(t.rq.ofo_ranges(), t.ts_ok ? 3 : 4);
  const auto extra = static_cast<uint32_t>(4 + 8 * blocks);
  return t.snd_mss > extra ? t.snd_mss - extra : 1;
}

namespace {

uint32_t round_down(uint32_t v, uint32_t unit) {
  return v / unit * unit;
}

uint32_t align_up(uint32_t v, uint32_t unit) {
  return static_cast<uint32_t>((uint64_t{v} + unit - 1) / unit * unit);
}

}  // namespace

// Invariant (what makes "in-window data is never dropped" true): no right edge we offer,
// rcv_wup + rcv_wnd, lies beyond what the receive queue can hold, rq.right_edge(), and that
// queue edge never moves left (the reader only advances it). Linux gets the same guarantee
// differently: its window is about half of sk_rcvbuf, and the other half (reserved for per-skb
// overhead) absorbs the few bytes its ALIGN() roundings add; our RecvQueue holds exactly the
// window, so every rounding of the window field stays inside rq.window().
uint32_t Engine::free_space_window(const Tcb& t) const {
  // Linux __tcp_select_window(): the free receive space, capped by rcv_ssthresh (which grows
  // as data arrives, tcp_grow_window()); when the buffer is more than half full the space is
  // rounded DOWN to the window-scale unit ("make sure we don't increase it due to wscale") and
  // below one MSS it is zero (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
  const uint32_t room = t.rq.window();
  const uint32_t unit = uint32_t{1} << t.rcv_wscale;
  uint32_t free_space = room;
  if (free_space < t.window_clamp / 2) {
    free_space = round_down(free_space, unit);
    if (free_space < t.rcv_mss) return 0;
  }
  free_space = std::min(free_space, t.rcv_ssthresh);
  if (t.rcv_wscale != 0) {
    // Linux aligns up so the window is not scaled away; up only while the queue has the room.
    const uint32_t up = align_up(free_space, unit);
    return up <= room ? up : round_down(free_space, unit);
  }
  // No scaling: a multiple of the MSS (Linux's "quantize" branch).
  if (free_space > t.rcv_mss) free_space = round_down(free_space, t.rcv_mss);
  return free_space;
}

uint16_t Engine::select_window(Tcb& t) {
  // Linux tcp_select_window(): never shrink the right edge already offered (RFC 9293
  // §3.8.6.2.2) — the old window, aligned up to the scale unit so the field can express it.
  // Unlike Linux, the alignment may not carry the edge past the queue (invariant above): when
  // it would, the field is rounded down instead, less than one scale unit short of the edge
  // already offered. That edge still holds for what the peer sends (rcv_wnd keeps it, so
  // tcp_sequence() accepts up to it and the queue has room for it): a peer that used the
  // window it was given must not see its data, or the ACKs riding at its snd_nxt, refused as
  // out of window (RFC 7323 Appendix F; with the edge refused, a peer filling our window
  // stalled until its zero-window probe carried an acceptable sequence number).
  const uint32_t cur = t.receive_window();
  const uint32_t unit = uint32_t{1} << t.rcv_wscale;
  uint32_t nw = free_space_window(t);
  if (nw < cur) {
    if (nw == 0) counters_.inc(Counter::kTcpExtTCPWantZeroWindowAdv);
    nw = align_up(cur, unit);
    const uint32_t room = t.rq.window();
    if (nw > room) nw = round_down(std::min(cur, room), unit);
  }
  const uint32_t max_field = uint32_t{65535} << t.rcv_wscale;
  nw = std::min(nw, max_field);
  const auto field = static_cast<uint16_t>(nw >> t.rcv_wscale);
  t.rcv_wnd = std::max(nw, cur);
  t.rcv_wup = t.rcv_nxt();
  if (field == 0) {
    if (!t.zero_window_sent) counters_.inc(Counter::kTcpExtTCPToZeroWindowAdv);
  } else if (t.zero_window_sent) {
    counters_.inc(Counter::kTcpExtTCPFromZeroWindowAdv);
  }
  t.zero_window_sent = field == 0;
  return field;
}

void Engine::send_segment(Tcb& t, uint8_t flags, SeqNum seq, uint32_t len, Instant now,
                          bool retransmission) {
  wire::Packet& p = scratch_packet_;
  p = wire::Packet{};
  p.ip.src = t.tuple.local_addr;
  p.ip.dst = t.tuple.remote_addr;
  p.ip.id = t.ip_id++;
  wire::TcpSegment& s = p.tcp;
  s.src_port = t.tuple.local_port;
  s.dst_port = t.tuple.remote_port;
  s.seq = seq;
  s.flags = flags;
  const bool syn = (flags & kSyn) != 0;
  if ((flags & kAck) != 0) s.ack = t.rcv_nxt();
  wire::TcpOptions& o = s.options;
  if (syn) {
    // SPEC §1.3.1: the SYN's window is never scaled.
    s.window = static_cast<uint16_t>(std::min<uint32_t>(t.rcv_wnd, 65535));
    o.mss = t.adv_mss;
    const bool synack = (flags & kAck) != 0;
    const auto& sc = sysctls_;
    if (synack ? t.sack_ok : sc.get_bool(stack::SysctlId::kTcpSack)) o.sack_permitted = true;
    if (synack ? t.ts_ok : sc.get(stack::SysctlId::kTcpTimestamps) != 0) {
      o.timestamps = wire::Timestamps{tsval(t, now), synack ? t.ts_recent : 0};
    }
    if (synack ? t.ws_ok : sc.get_bool(stack::SysctlId::kTcpWindowScaling)) {
      o.window_scale = t.rcv_wscale;
    }
    // The client's first SYN, or a Fast Open child's first SYN+ACK (a backup-key cookie
    // replaced by the primary one).
    if (!retransmission && t.fastopen_syn && synack == t.passive) o.fast_open = fo_syn_option_;
  } else {
    s.window = (flags & kRst) != 0 && (flags & kAck) == 0 ? 0 : select_window(t);
    if (t.ts_ok) o.timestamps = wire::Timestamps{tsval(t, now), t.ts_recent};
    if (t.sack_ok && t.rq.ofo_ranges() > 0 && (flags & kRst) == 0) {
      // RFC 2018 §4: SACK blocks on ACKs while out-of-order data is held; 3 fit beside TS.
      const size_t max_blocks = t.ts_ok ? 3 : 4;
      // Callers size payloads with current_mss(), which accounts for these blocks.
      o.sack_block_count = static_cast<uint8_t>(
          t.rq.sack_blocks(std::span<wire::SackBlock>(o.sack_blocks.data(), max_blocks)));
    }
  }
  if (len > 0) {
    // A SYN's data starts after the SYN's own sequence number (Fast Open).
    const size_t n =
        t.sq.copy_out(syn ? seq + 1 : seq, std::span<uint8_t>(scratch_payload_.data(), len));
    s.payload = std::span<const uint8_t>(scratch_payload_.data(), n);
  }
  transmit(p, &t, now);

  // PRR's prr_out (Linux tcp_event_new_data_sent() / tcp_retransmit_skb()).
  if (len > 0 && t.sack && t.cc.sack_recovery()) ++t.sack->prr.prr_out;
  if (retransmission) {
    ++t.total_retrans;  // Linux __tcp_retransmit_skb(): tp->total_retrans += segs
    counters_.inc(Counter::kTcpRetransSegs);
    if (syn) counters_.inc(Counter::kTcpExtTCPSynRetrans);
  } else {
    counters_.inc(Counter::kTcpOutSegs);
    if (len > 0) counters_.inc(Counter::kTcpExtTCPOrigDataSent);
  }
  if ((flags & kRst) != 0) counters_.inc(Counter::kTcpOutRsts);
  if (len > 0) {
    // Linux tcp_event_data_sent(): a reply within ato of the last data received makes the
    // connection interactive (pingpong): ACKs are then delayed to ride on data.
    // (TCP_PINGPONG_THRESH is 1 in Linux 6.x.)
    if (t.data_seen && now - t.last_data_rcv < delack_timeout(t)) t.pingpong = true;
  }
  if ((flags & kAck) != 0) {
    // Linux tcp_event_ack_sent(): any ACK pays the debt.
    if (t.want_ack || t.want_delack) {
      if (t.quick > 0) --t.quick;
    }
    t.want_ack = false;
    t.want_delack = false;
    t.delack_at = Instant::infinite();
  }
}

void Engine::send_rst(Tcb& t, Instant now) {
  // Linux tcp_send_active_reset(): RST|ACK at an acceptable sequence number (snd_nxt, or the
  // right window edge if snd_nxt is beyond it), with the usual options.
  const SeqNum wnd_end = t.snd_una + t.snd_wnd;
  const SeqNum seq = t.snd_max <= wnd_end ? t.snd_max : wnd_end;
  send_segment(t, kRst | kAck, seq, 0, now, false);
}

void Engine::transmit(wire::Packet& p, const Tcb* t, Instant now) {
  transmit(p, t != nullptr ? t->state : State::kClosed, now);
}

void Engine::transmit(wire::Packet& p, State state, Instant now) {
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
  if (tracer_.enabled()) {
    stack::TraceTuple tt{.local_addr = p.ip.src,
                         .local_port = p.tcp.src_port,
                         .remote_addr = p.ip.dst,
                         .remote_port = p.tcp.dst_port};
    tracer_.segment_out(now, tt, state, p);
  }
  out_.transmit(std::span<const uint8_t>(scratch_bytes_.data(), n), now);
}

void Engine::emit_reset(const wire::Packet& to, Instant now) {
  // SPEC §10.1 (RFC 9293 §3.10.7.1, Linux tcp_v4_send_reset()): seq = SEG.ACK if ACK was set,
  // else seq 0 and ack = SEG.SEQ + SEG.LEN with ACK. No options, window 0, IP id 0.
  const wire::TcpSegment& in = to.tcp;
  if (in.has(kRst)) return;  // never answer RST with RST (SPEC §10.4)
  wire::Packet& p = scratch_packet_;
  p = wire::Packet{};
  p.ip.src = to.ip.dst;
  p.ip.dst = to.ip.src;
  p.ip.id = 0;
  p.tcp.src_port = in.dst_port;
  p.tcp.dst_port = in.src_port;
  if (in.has(kAck)) {
    p.tcp.seq = in.ack;
    p.tcp.flags = kRst;
  } else {
    p.tcp.seq = SeqNum{0};
    p.tcp.ack = in.seq + in.seq_len();
    p.tcp.flags = kRst | kAck;
  }
  transmit(p, nullptr, now);
  counters_.inc(Counter::kTcpOutSegs);
  counters_.inc(Counter::kTcpOutRsts);
}

void Engine::reply_reset(const wire::Packet& p, Instant now) {
  emit_reset(p, now);
}

}  // namespace synack::tcp
