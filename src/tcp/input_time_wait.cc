// Segment arrival in TIME-WAIT (SPEC §9.4, §9.5), as Linux tcp_timewait_state_process() does
// it for its TIME_WAIT sub-state:
//   - a bare ACK or RST exactly at rcv_nxt (and passing PAWS): an RST kills the TIME-WAIT
//     unless tcp_rfc1337 = 1 (RFC 1337's "TIME-WAIT assassination"); an ACK restarts the
//     60 s timer;
//   - a SYN (no ACK, no RST) with a sequence number beyond rcv_nxt, or a newer timestamp, may
//     open a new connection on the tuple (RFC 6191, Linux TCP_TW_SYN): the ISN Linux picks
//     is snd_nxt + 65535 + 2, so the new incarnation starts beyond the old one;
//   - anything else that is not an RST (typically the peer's retransmitted FIN after our
//     final ACK was lost) is ACKed again (rate limited) and, if it carries ACK or failed
//     PAWS, restarts the timer.
// The record stays in the Tcb until the Listener issue brings the compact TIME-WAIT table;
// this file is the behaviour that table will keep (STYLE lesson 8).
#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

InputResult Engine::input_time_wait(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const Duration tw_len = sysctls_.duration(SysctlId::kTimeWaitLen);
  const SeqNum rcv_nxt = t.rcv_nxt();
  bool paws_reject = false;
  if (t.ts_ok && s.options.timestamps && !t.ts_recent_stamp.is_infinite()) {
    // Linux tcp_paws_reject(): window 0; an RST is accepted once ts_recent is a MSL old.
    const bool older = static_cast<int32_t>(t.ts_recent - s.options.timestamps->val) > 0;
    const bool rst_ok = s.has(kRst) && now - t.ts_recent_stamp >= Duration::seconds(60);
    paws_reject = older && !rst_ok;
  }
  if (!paws_reject && s.seq == rcv_nxt && (s.seq_len() == 0 || s.has(kRst))) {
    if (s.has(kRst)) {
      if (sysctl(SysctlId::kTcpRfc1337) == 0) {
        counters_.inc(Counter::kTcpExtTWKilled);
        tracer_.abort(now, trace_tuple(t), t.state, "RST in TIME-WAIT");
        done(t, now);
        return {};
      }
    } else {
      t.state_at = now + tw_len;
    }
    if (t.ts_ok && s.options.timestamps) {
      t.ts_recent = s.options.timestamps->val;
      t.ts_recent_stamp = now;
    }
    return {};
  }
  if (s.has(kSyn) && !s.has(kRst) && !s.has(kAck) && !paws_reject &&
      (s.seq > rcv_nxt || (t.ts_ok && s.options.timestamps &&
                           static_cast<int32_t>(t.ts_recent - s.options.timestamps->val) < 0))) {
    SeqNum isn = t.snd_nxt + 65535 + 2;
    if (isn == SeqNum{0}) isn += 1;
    return InputResult{.outcome = InputOutcome::kTimeWaitSyn, .isn = isn};
  }
  if (paws_reject) counters_.inc(Counter::kTcpExtPAWSEstab);
  if (!s.has(kRst)) {
    if (paws_reject || s.has(kAck)) t.state_at = now + tw_len;  // SPEC §9.4
    if (!oow_rate_limited(t, s, Counter::kTcpExtTCPACKSkippedTimeWait, now)) t.want_ack = true;
  }
  return {};
}

}  // namespace synack::tcp
