// Segment arrival in the states where RFC 9293 §3.10.7 branches: LISTEN (anything but a SYN; a
// SYN makes a request record, input_request.cc) and SYN-SENT.
//
// SYN-SENT follows RFC 9293 §3.10.7.3 with Linux's details (tcp_rcv_synsent_state_process()):
//   - an ACK that does not acknowledge our SYN is answered with RST seq = SEG.ACK and the
//     attempt goes on (SPEC §4.2: a stale SYN+ACK from an old incarnation);
//   - RST is accepted only with an acceptable ACK, and refuses the connection (ECONNREFUSED);
//   - SYN+ACK establishes; a bare SYN is a simultaneous open (SPEC §4.3): SYN-RECEIVED and a
//     SYN+ACK from our ISS.
#include <algorithm>
#include <cerrno>

#include "tcp/congestion/window.h"
#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {
constexpr uint16_t kDefaultPeerMss = 536;  // SPEC §4.5, RFC 9293 §3.7.1
constexpr uint16_t kMinMss = 88;           // Linux TCP_MIN_MSS
constexpr uint32_t kTsOptionBytes = 12;
}  // namespace

void Engine::negotiate_options(Tcb& t, const wire::TcpOptions& o) {
  t.ts_ok = sysctl(SysctlId::kTcpTimestamps) != 0 && o.timestamps.has_value();
  t.sack_ok = sysctls_.get_bool(SysctlId::kTcpSack) && o.sack_permitted;
  t.ws_ok = sysctls_.get_bool(SysctlId::kTcpWindowScaling) && o.window_scale.has_value();
  if (t.ws_ok) {
    // RFC 7323 §2.3: a shift above 14 is treated as 14.
    t.snd_wscale = std::min<uint8_t>(*o.window_scale, 14);
  } else {
    t.snd_wscale = 0;
    t.rcv_wscale = 0;
  }
  uint16_t peer_mss = o.mss.value_or(kDefaultPeerMss);
  peer_mss = std::max(peer_mss, kMinMss);
  const uint32_t mss = std::min<uint32_t>(peer_mss, t.adv_mss);
  t.snd_mss = static_cast<uint16_t>(mss - (t.ts_ok ? kTsOptionBytes : 0));
  // Linux tcp_initialize_rcv_mss().
  uint32_t hint = std::min<uint32_t>(t.adv_mss, t.snd_mss);
  hint = std::min<uint32_t>(hint, std::max<uint32_t>(t.rcv_wnd / 2, 1));
  hint = std::min<uint32_t>(hint, kDefaultPeerMss);
  t.rcv_mss = static_cast<uint16_t>(std::max<uint32_t>(hint, kMinMss));
  if (t.ts_ok) {
    t.ts_recent = o.timestamps->val;
  }
}

void Engine::listen_input_non_syn(const wire::Packet& p, Instant now) {
  // RFC 9293 §3.10.7.2: RST ignored; an ACK draws RST seq = SEG.ACK; anything else dropped.
  if (p.tcp.has(kRst)) return;
  if (p.tcp.has(kAck)) {
    emit_reset(p, now);
    return;
  }
  stack::TraceTuple tt{p.ip.dst, p.tcp.dst_port, p.ip.src, p.tcp.src_port};
  tracer_.drop(now, tt, "LISTEN: no SYN", &p);
}

void Engine::established(Tcb& t, Instant now) {
  set_state(t, State::kEstablished, now);
  // Linux tcp_init_transfer(): IW 10, or 1 after more than one handshake retransmission;
  // RFC 6298 §5.7 fallback RTO when the handshake gave no RTT sample.
  t.cc = CongestionControl(CongestionAlgorithm::kNewReno, t.snd_una, initial_cwnd(t.syn_retrans));
  t.rtt.fall_back_if_no_sample();
  t.retransmits = 0;
  t.retrans_stamp = Instant::infinite();
  t.rexmit_at = Instant::infinite();
  // Linux tcp_sndbuf_expand(), simplified: room for two initial windows' worth of segments
  // unless SO_SNDBUF fixed the size.
  if (t.opt.sndbuf == 0) {
    const auto wmem = sysctls_.values(SysctlId::kTcpWmem);
    const uint64_t want =
        std::max<uint64_t>(uint64_t(wmem[1]), 2ull * kInitialCwnd * 2 * t.snd_mss);
    t.sq.set_limit(static_cast<uint32_t>(std::min<uint64_t>(want, uint64_t(wmem[2]))));
  }
  // The stack queues a passive child for accept() (stack/passive_open.cc).
  if (t.passive) counters_.inc(Counter::kTcpPassiveOpens);
  arm_keepalive(t, now);
}

void Engine::input_syn_sent(Tcb& t, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const auto tt = trace_tuple(t);
  if (s.has(kAck)) {
    // RFC 9293 §3.10.7.3 first check: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable.
    if (s.ack <= t.iss || s.ack > t.snd_max) {
      if (!s.has(kRst)) {
        tracer_.drop(now, tt, "SYN-SENT: stale ACK, RST sent", &p);
        emit_reset(p, now);  // SPEC §4.2
      } else {
        tracer_.drop(now, tt, "SYN-SENT: RST with unacceptable ACK", &p);
      }
      return;
    }
  }
  if (s.has(kRst)) {
    if (s.has(kAck)) {
      peer_reset(t, now);  // ECONNREFUSED (SPEC §10.1)
    } else {
      tracer_.drop(now, tt, "SYN-SENT: RST without ACK", &p);
    }
    return;
  }
  if (!s.has(kSyn)) {
    tracer_.drop(now, tt, "SYN-SENT: no SYN", &p);
    return;
  }
  t.irs = s.seq;
  (void)t.rq.reset(s.seq + 1);
  t.rcv_wup = s.seq + 1;
  t.last_rcv = now;
  negotiate_options(t, s.options);
  if (t.ts_ok) t.ts_recent_stamp = now;
  t.snd_wnd = s.window;  // never scaled on a SYN
  t.max_window = std::max(t.max_window, t.snd_wnd);
  t.snd_wl1 = s.seq;
  if (s.has(kAck)) {
    t.snd_una = s.ack;
    if (t.rtt_timing && t.syn_retrans == 0) {
      t.rtt.sample(now - t.rtt_time, t.snd_una, t.snd_nxt);
    }
    t.rtt_timing = false;
    established(t, now);
    // SPEC §13.3, Linux tcp_rcv_fastopen_synack(): learn the cookie; SYN data the SYN+ACK does
    // not cover goes again now, carrying the third ACK.
    if (t.fastopen_syn || t.fastopen_syn_data) fastopen_synack(t, s, now);
    // Linux sends the third ACK at once (unless it has data to piggyback it on, which the
    // output below does anyway).
    // Data or FIN on a SYN+ACK (Fast Open servers) is not taken: the ACK covers only the
    // SYN and the peer retransmits them.
    t.want_ack = true;
    return;
  }
  // Simultaneous open (SPEC §4.3): SYN-RECEIVED, SYN+ACK from our ISS.
  set_state(t, State::kSynReceived, now);
  t.want_syn = true;
}

}  // namespace synack::tcp
