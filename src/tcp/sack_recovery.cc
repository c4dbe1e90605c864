// SACK-based loss recovery as a sender (RFC 6675; SPEC §7.4), the engine side of
// tcp/sack_scoreboard.h:
//   sack_tag()         incoming SACK blocks: D-SACK detection (RFC 2883 §4, Linux
//                      tcp_check_dsack()), validation (Linux tcp_is_sackblock_valid(): a block
//                      must lie within snd_una..snd_nxt — Linux's snd_nxt is our snd_max; one
//                      reaching down to snd_una is discarded too, so no SACKed range ever
//                      starts at snd_una and the head can always be retransmitted),
//                      reneging (Linux tcp_check_sack_reneging(): the cumulative ACK stops
//                      inside data the peer had SACKed — every mark is dropped, so everything
//                      not cumulatively acknowledged is sent again).
//   sack_after_ack()   entry into recovery when IsLost(snd_una) holds (Linux
//                      tcp_time_to_recover(): sacked_out + 1 > reordering; duplicate ACKs
//                      without SACK information do not count once SACK blocks arrive), and
//                      Proportional Rate Reduction on every ACK of the recovery (RFC 6937 with
//                      Linux tcp_cwnd_reduction()'s arithmetic, in segments).
//   sack_retransmit()  RFC 6675 NextSeg(): rule 1 (the first lost unSACKed hole above HighRxt)
//                      before new data, rule 3 (an unSACKed hole not yet deemed lost, below the
//                      highest SACKed byte — not the unSACKed tail) after new data could not
//                      go; each segment while pipe < cwnd. Lost retransmissions of the head
//                      are sent again (SackScoreboard::retransmit_lost()).
// After an RTO (Loss) the go-back-N pass in output.cc skips SACKed ranges (Linux
// tcp_enter_loss() keeps SACKed skbs marked). Without a scoreboard — the peer did not offer
// SACK, or has sent no block yet — every function here is a no-op and NewReno runs unchanged.
//
// Single-threaded like the rest of the core.
#include <algorithm>

#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using wire::seq_max;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;

uint32_t Engine::pipe_bytes(const Tcb& t) const {
  // A NewReno recovery begun before the first SACK block keeps its own (inflated) window.
  if (!t.sack || (t.cc.state() == CaState::kRecovery && !t.cc.sack_recovery())) {
    return t.in_flight();
  }
  return t.sack->flight(t.snd_una, t.snd_max, t.snd_nxt, t.snd_mss, sack_mode(t)).pipe();
}

Engine::SackTagResult Engine::sack_tag(Tcb& t, const wire::TcpSegment& s) {
  SackTagResult r;
  const SeqNum ack = s.ack;  // process_ack() checked snd_una <= ack <= snd_max
  if (t.sack && ack > t.snd_una) {
    if (t.sack->reneged_at(ack)) {
      counters_.inc(Counter::kTcpExtTCPSACKReneging);
      t.sack->clear_ranges();
    }
    r.acked_sacked = t.sack->sacked_between(t.snd_una, ack);
    t.sack->advance(ack);
  }
  const uint32_t n = s.options.sack_block_count;
  if (!t.sack_ok || n == 0) return r;
  const auto& b = s.options.sack_blocks;
  uint32_t first = 0;
  if (b[0].left < ack) {
    counters_.inc(Counter::kTcpExtTCPDSACKRecv);
    first = 1;
  } else if (n > 1 && b[0].left >= b[1].left && b[0].right <= b[1].right) {
    counters_.inc(Counter::kTcpExtTCPDSACKOfoRecv);
    first = 1;
  }
  const SeqNum prior_highest = t.sack ? t.sack->highest_sacked(t.snd_una) : ack;
  bool reordered = false;
  for (uint32_t i = first; i < n; ++i) {
    const SeqNum left = b[i].left;
    const SeqNum right = b[i].right;
    // Above the cumulative ACK (a block touching it claims data the ACK denies: Linux would
    // see reneging; here it is simply not believed), within what was sent.
    if (!(ack < left) || !(left < right) || right > t.snd_max) {
      counters_.inc(Counter::kTcpExtTCPSACKDiscard);
      continue;
    }
    if (!t.sack) {
      t.sack = std::make_unique<SackScoreboard>();
      t.sack->high_rxt = ack;
      t.sack->advance(ack);
    }
    const uint32_t added = t.sack->mark(left, right);
    r.newly_sacked += added;
    // Linux tcp_check_sack_reordering(): newly SACKed data below data SACKed earlier that was
    // never retransmitted arrived out of order, not lost.
    if (added > 0 && left < prior_highest && !(left < t.sack->high_rxt) &&
        t.cc.state() != CaState::kLoss) {
      reordered = true;
    }
  }
  if (reordered) counters_.inc(Counter::kTcpExtTCPSACKReorder);
  return r;
}

void Engine::sack_after_ack(Tcb& t, CaState before, uint32_t acked_bytes, const SackTagResult& tag,
                            bool una_advanced) {
  if (!t.sack) return;
  const uint32_t mss = t.snd_mss;
  if (!t.cc.sack_recovery() && t.sack->lost_end(t.snd_una, mss) > t.snd_una) {
    // RFC 6675 §5: IsLost(HighACK + 1) — DupThresh segments SACKed above the first hole.
    // ssthresh from cwnd, as Linux's tcp_reno_ssthresh() (see process_ack()).
    (void)t.cc.on_sack_loss(t.snd_una, t.snd_max, t.cc.cwnd());
  }
  if (!t.cc.sack_recovery()) return;
  SackScoreboard& sb = *t.sack;
  if (before != CaState::kRecovery) {
    // Entered on this ACK (here or at the 3rd duplicate ACK): RFC 6675 §5 steps 4.1-4.3,
    // HighRxt = HighACK, retransmit the first unacknowledged segment now.
    counters_.inc(Counter::kTcpExtTCPSackRecovery);
    counters_.inc(Counter::kTcpExtTCPFastRetrans);
    t.want_rexmit_head = true;
    t.rexmit_at = Instant::infinite();  // re-armed from now after the retransmission
    sb.high_rxt = t.snd_una;
    sb.prr = PrrState{.prior_cwnd = t.cc.cwnd(), .prr_delivered = 0, .prr_out = 0};
    sb.forget_retransmits();
  } else if (sb.retransmit_lost(t.snd_una, t.snd_max, mss)) {
    // The head's retransmission was lost as well (sack_scoreboard.h): send it again now
    // rather than wait for the RTO.
    counters_.inc(Counter::kTcpExtTCPLostRetransmit);
    t.want_rexmit_head = true;
  }
  // PRR (RFC 6937 §3, Linux tcp_cwnd_reduction()), in segments.
  const uint32_t newly_acked = acked_bytes > tag.acked_sacked ? acked_bytes - tag.acked_sacked : 0;
  const uint32_t delivered = segments(newly_acked, mss) + segments(tag.newly_sacked, mss);
  if (delivered == 0) return;
  PrrState& p = sb.prr;
  p.prr_delivered += delivered;
  const auto pipe = static_cast<int64_t>(segments(
      sb.flight(t.snd_una, t.snd_max, t.snd_nxt, mss, SackScoreboard::Mode::kRecovery).pipe(),
      mss));
  const auto ssthresh = static_cast<int64_t>(t.cc.ssthresh());
  const int64_t delta = ssthresh - pipe;
  int64_t sndcnt = 0;
  if (delta < 0) {
    // Proportional part: deliveries scaled by ssthresh / prior_cwnd.
    const int64_t prior = std::max<int64_t>(p.prior_cwnd, 1);
    sndcnt = (ssthresh * p.prr_delivered + prior - 1) / prior - p.prr_out;
  } else {
    // Slow-start reduction bound (PRR-SSRB): at most one more than delivered, up to ssthresh.
    sndcnt = std::max<int64_t>(int64_t{p.prr_delivered} - p.prr_out, delivered);
    if (una_advanced) ++sndcnt;
    sndcnt = std::min(delta, sndcnt);
  }
  // The fast retransmission itself always goes (Linux: "force a fast retransmit upon
  // entering fast recovery").
  sndcnt = std::max<int64_t>(sndcnt, p.prr_out != 0 ? 0 : 1);
  t.cc.set_recovery_cwnd(static_cast<uint32_t>(std::max<int64_t>(pipe + sndcnt, 1)));
}

void Engine::sack_retransmit(Tcb& t, Instant now, bool rule3) {
  if (!t.sack || !t.cc.sack_recovery()) return;
  const uint64_t cwnd_bytes = uint64_t{t.cc.cwnd()} * t.snd_mss;
  const uint32_t mss = current_mss(t);
  // Each pass retransmits at HighRxt and moves it up, so the loop ends by snd_max.
  while (pipe_bytes(t) < cwnd_bytes) {
    SackScoreboard& sb = *t.sack;
    const SeqNum from = sb.skip_sacked(seq_max(sb.high_rxt, t.snd_una));
    if (!(from < t.snd_max)) return;
    const bool lost = from < sb.lost_end(t.snd_una, t.snd_mss);
    // Rule 3 only for holes below SACKed data: unSACKed data above the highest SACKed byte
    // is most likely still on its way (Linux never resends it without a loss mark).
    if (!lost && (!rule3 || !(from < sb.highest_sacked(t.snd_una)))) return;
    const SeqNum hole = sb.hole_end(from, t.snd_max);
    const SeqNum data_end = t.sq.end_seq();
    uint32_t len = 0;
    if (from < data_end) {
      len = std::min(
          {mss, static_cast<uint32_t>(hole - from), static_cast<uint32_t>(data_end - from)});
    }
    const auto fin = t.sq.fin_seq();
    const bool fin_here = fin.has_value() && from + len == *fin && hole > *fin;
    if (len == 0 && !fin_here) return;
    if (t.rtt_timing && t.rtt_seq > from) t.rtt_timing = false;  // Karn
    send_segment(t, fin_here ? (kAck | kFin) : kAck, from, len, now, /*retransmission=*/true);
    counters_.inc(Counter::kTcpExtTCPFastRetrans);
    sb.note_retransmit(from, t.snd_max);
    sb.high_rxt = from + len + (fin_here ? 1 : 0);
    if (!lost) return;  // rule 3: one segment per opportunity
  }
}

}  // namespace synack::tcp
