// The listener's side of a handshake kept as a request record (SPEC §3.2, §4.7, §5.5; Linux
// TCP_NEW_SYN_RECV): the SYN+ACK and its retransmissions from the record, the checks on a
// segment for the record (Linux tcp_check_req()), the record's timer (reqsk_timer_handler())
// and the full connection the third ACK creates (tcp_v4_syn_recv_sock() +
// tcp_create_openreq_child()). SYN cookies (SPEC §6) use the same SYN+ACK and child code with
// a record that lives only for the call.
//
// Why the child is built from the record and then runs the ACK through the synchronized
// pipeline: Linux does the same (the child starts in SYN-RECV and tcp_child_process() feeds it
// the ACK), and it keeps one place for what the third ACK does — window, RTT sample, data or
// FIN riding on it. The record's checks come first, so the pipeline always accepts that ACK.
//
// The SYN+ACK's shape (MSS, window, window scale) is derived from the listener's options by
// synack_shape(), the same arithmetic init_connection() and open_child() use, so the record's
// SYN+ACK and the child agree byte for byte with what a full SYN-RECEIVED Tcb used to send.
#include <algorithm>

#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;
using stack::TimerKind;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {
constexpr uint32_t kTsOptionBytes = 12;

stack::TraceTuple request_tuple(const RequestRecord& r) {
  return stack::TraceTuple{.local_addr = r.tuple.local_addr,
                           .local_port = r.tuple.local_port,
                           .remote_addr = r.tuple.remote_addr,
                           .remote_port = r.tuple.remote_port};
}
}  // namespace

Engine::SynackShape Engine::synack_shape(const TcbOptions& opt, bool ts_ok) const {
  // init_connection() for the buffer, MSS and scale; Linux tcp_openreq_init_rwin() for the
  // window: the space less the TS option per segment, in whole segments, at most 65535.
  SynackShape sh;
  const auto rmem = sysctls_.values(SysctlId::kTcpRmem);
  const uint64_t rcvbuf = opt.rcvbuf != 0 ? uint64_t{opt.rcvbuf} * 2 : uint64_t(rmem[1]);
  const auto clamp = static_cast<uint32_t>(std::min<uint64_t>(rcvbuf / 2, ByteRing::kMaxCapacity));
  const uint32_t mtu_mss = config_.mtu - 40;  // SPEC §4.5
  sh.adv_mss =
      static_cast<uint16_t>(opt.max_seg != 0 ? std::min<uint32_t>(opt.max_seg, mtu_mss) : mtu_mss);
  sh.rcv_wscale = initial_rcv_wscale();
  sh.rcv_wnd = std::min<uint32_t>(clamp, 65535);
  const uint32_t wmss = sh.adv_mss - (ts_ok ? kTsOptionBytes : 0);
  if (clamp > wmss) sh.rcv_wnd = std::min<uint32_t>(clamp / wmss * wmss, 65535);
  return sh;
}

uint32_t Engine::ts_offset(const FourTuple& u) const {
  return sysctl(SysctlId::kTcpTimestamps) == 1 ? isn_.ts_offset(u.local_addr, u.remote_addr) : 0;
}

void Engine::fill_request(RequestRecord& r, Listener& l, const wire::Packet& syn, SeqNum iss,
                          Instant now) const {
  const wire::TcpSegment& s = syn.tcp;
  const wire::TcpOptions& o = s.options;
  r.listener = &l;
  r.tuple = FourTuple{.local_addr = syn.ip.dst,
                      .remote_addr = syn.ip.src,
                      .local_port = s.dst_port,
                      .remote_port = s.src_port};
  r.iss = iss;
  r.irs = s.seq;
  r.peer_window = s.window;
  r.peer_mss = o.mss.value_or(0);
  r.ts_ok = sysctl(SysctlId::kTcpTimestamps) != 0 && o.timestamps.has_value();
  r.ts_recent = r.ts_ok ? o.timestamps->val : 0;
  r.sack_ok = sysctls_.get_bool(SysctlId::kTcpSack) && o.sack_permitted;
  r.ws_ok = sysctls_.get_bool(SysctlId::kTcpWindowScaling) && o.window_scale.has_value();
  // RFC 7323 §2.3: a shift above 14 is treated as 14.
  r.snd_wscale = r.ws_ok ? std::min<uint8_t>(*o.window_scale, 14) : 0;
  r.ip_id = static_cast<uint16_t>(isn_.isn_hash(r.tuple.remote_addr, r.tuple.remote_port,
                                                r.tuple.local_addr, r.tuple.local_port));
  r.retransmits = 0;
  r.synack_sent = now;
}

namespace {

// A fresh segment from the request's side of its tuple, with the request's next IPv4 ID:
// what the SYN+ACK and the request's bare ACK share.
wire::Packet& begin_request_segment(wire::Packet& p, RequestRecord& r) {
  p = wire::Packet{};
  p.ip.src = r.tuple.local_addr;
  p.ip.dst = r.tuple.remote_addr;
  p.ip.id = r.ip_id++;
  p.tcp.src_port = r.tuple.local_port;
  p.tcp.dst_port = r.tuple.remote_port;
  return p;
}

}  // namespace

void Engine::send_synack(RequestRecord& r, Instant now, bool retransmission,
                         std::optional<uint32_t> tsval_override,
                         const std::optional<wire::FastOpenCookie>& fastopen_cookie) {
  const SynackShape sh = synack_shape(r.listener->opt, r.ts_ok);
  wire::Packet& p = begin_request_segment(scratch_packet_, r);
  wire::TcpSegment& s = p.tcp;
  s.seq = r.iss;
  s.ack = r.rcv_nxt();
  s.flags = kSyn | kAck;
  s.window = static_cast<uint16_t>(sh.rcv_wnd);  // SPEC §1.3.1: never scaled
  s.options.mss = sh.adv_mss;
  s.options.sack_permitted = r.sack_ok;
  if (r.ts_ok) {
    const uint32_t val =
        tsval_override.value_or(static_cast<uint32_t>(now.since_epoch().ms()) + ts_offset(r.tuple));
    s.options.timestamps = wire::Timestamps{val, r.ts_recent};
  }
  if (r.ws_ok) s.options.window_scale = sh.rcv_wscale;
  s.options.fast_open = fastopen_cookie;
  transmit(p, State::kNewSynRecv, now);
  if (retransmission) {
    counters_.inc(Counter::kTcpRetransSegs);
    counters_.inc(Counter::kTcpExtTCPSynRetrans);
  } else {
    counters_.inc(Counter::kTcpOutSegs);
  }
}

void Engine::send_request_ack(RequestRecord& r, Instant now) {
  // Linux tcp_v4_reqsk_send_ack(): seq = snt_isn + 1, ack = rcv_nxt, the request's window
  // shifted by our scale, timestamps echoing ts_recent.
  const SynackShape sh = synack_shape(r.listener->opt, r.ts_ok);
  wire::Packet& p = begin_request_segment(scratch_packet_, r);
  wire::TcpSegment& s = p.tcp;
  s.seq = r.iss + 1;
  s.ack = r.rcv_nxt();
  s.flags = kAck;
  s.window = static_cast<uint16_t>(sh.rcv_wnd >> (r.ws_ok ? sh.rcv_wscale : 0));
  if (r.ts_ok) {
    s.options.timestamps = wire::Timestamps{
        static_cast<uint32_t>(now.since_epoch().ms()) + ts_offset(r.tuple), r.ts_recent};
  }
  transmit(p, State::kNewSynRecv, now);
  counters_.inc(Counter::kTcpOutSegs);
}

void Engine::open_request(RequestRecord& r, Listener& l, const wire::Packet& syn, SeqNum iss,
                          Instant now, const std::optional<wire::FastOpenCookie>& fastopen_cookie) {
  fill_request(r, l, syn, iss, now);
  const auto tt = request_tuple(r);
  tracer_.state_change(now, tt, State::kListen, State::kNewSynRecv);
  send_synack(r, now, /*retransmission=*/false, std::nullopt, fastopen_cookie);
  wheel_.schedule(r, now + synack_timeout(sysctls_.duration(SysctlId::kTcpRtoInitialMs), 0));
}

void Engine::send_cookie_synack(Listener& l, const wire::Packet& syn, SeqNum cookie, Instant now) {
  RequestRecord r;
  fill_request(r, l, syn, cookie, now);
  if (!r.ts_ok) {
    // syncookie.h: without timestamps nothing but the MSS survives, so offer nothing else
    // (Linux tcp_conn_request() clears the options of a cookie SYN without timestamps).
    r.ws_ok = false;
    r.sack_ok = false;
    send_synack(r, now, false);
    return;
  }
  const SyncookieTsOptions opts{
      .wscale_ok = r.ws_ok, .snd_wscale = r.snd_wscale, .sack_ok = r.sack_ok, .ecn_ok = false};
  const uint32_t val =
      SynCookies::encode_ts_options(static_cast<uint32_t>(now.since_epoch().ms()), opts);
  send_synack(r, now, false, val + ts_offset(r.tuple));
}

void Engine::cookie_request(RequestRecord& r, Listener& l, const wire::Packet& ack, uint16_t mss,
                            const SyncookieAckOptions& o) const {
  const wire::TcpSegment& s = ack.tcp;
  r.listener = &l;
  r.tuple = FourTuple{.local_addr = ack.ip.dst,
                      .remote_addr = ack.ip.src,
                      .local_port = s.dst_port,
                      .remote_port = s.src_port};
  r.iss = s.ack - 1;
  r.irs = s.seq - 1;
  r.peer_window = s.window;  // replaced by the ACK's own (scaled) window in the pipeline
  r.peer_mss = mss;
  r.ts_ok = o.tstamp_ok;
  r.ts_recent = o.ts_recent;
  r.sack_ok = o.opts.sack_ok;
  r.ws_ok = o.opts.wscale_ok;
  r.snd_wscale = o.opts.wscale_ok ? std::min<uint8_t>(o.opts.snd_wscale, 14) : 0;
  r.ip_id = static_cast<uint16_t>(isn_.isn_hash(r.tuple.remote_addr, r.tuple.remote_port,
                                                r.tuple.local_addr, r.tuple.local_port));
  r.retransmits = 0;
  r.synack_sent = Instant::infinite();  // no RTT sample: the SYN+ACK's time is not known
}

RequestVerdict Engine::request_input(RequestRecord& r, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const auto tt = request_tuple(r);
  tracer_.segment_in(now, tt, State::kNewSynRecv, p);
  bool paws_reject = false;
  if (r.ts_ok && s.options.timestamps) {
    paws_reject = static_cast<int32_t>(r.ts_recent - s.options.timestamps->val) > 0 && !s.has(kRst);
  }
  // A retransmitted SYN: the SYN+ACK was lost, send it again (SPEC §4.7) and restart the
  // record's timer from now (Linux tcp_check_req()).
  if (s.seq == r.irs && s.flags == kSyn && !paws_reject) {
    if (!oow_rate_limited(r.last_oow_ack, s, Counter::kTcpExtTCPACKSkippedSynRecv, now)) {
      send_synack(r, now, /*retransmission=*/true);
      wheel_.schedule(
          r, now + synack_timeout(sysctls_.duration(SysctlId::kTcpRtoInitialMs), r.retransmits));
    }
    return RequestVerdict::kKeep;
  }
  if (s.has(kAck) && s.ack != r.iss + 1) {
    // Linux hands the segment back to the listener, which resets it.
    tracer_.drop(now, tt, "SYN-RECV: bad ACK, RST sent", &p);
    emit_reset(p, now);
    return RequestVerdict::kKeep;
  }
  // Linux tcp_in_window() against the request's window.
  const SeqNum lo = r.rcv_nxt();
  const SeqNum hi = lo + synack_shape(r.listener->opt, r.ts_ok).rcv_wnd;
  const SeqNum end = s.seq + s.seq_len();
  const bool in_window = s.seq == lo || (end > lo && s.seq < hi) || (s.seq == hi && s.seq == end);
  if (paws_reject || !in_window) {
    if (paws_reject) counters_.inc(Counter::kTcpExtPAWSEstab);
    tracer_.drop(now, tt, paws_reject ? kDropPaws : kDropSeq, &p);
    if (!s.has(kRst) &&
        !oow_rate_limited(r.last_oow_ack, s, Counter::kTcpExtTCPACKSkippedSynRecv, now)) {
      send_request_ack(r, now);
    }
    return RequestVerdict::kKeep;
  }
  if (r.ts_ok && s.options.timestamps && s.seq <= lo) r.ts_recent = s.options.timestamps->val;
  const bool syn = s.has(kSyn) && s.seq != r.irs;
  if (s.has(kRst) || syn) {
    // tcp_check_req(): ATTEMPTFAILS, then embryonic_reset (EmbryonicRsts).
    counters_.inc(Counter::kTcpAttemptFails);
    counters_.inc(Counter::kTcpExtEmbryonicRsts);
    if (!s.has(kRst)) emit_reset(p, now);
    tracer_.abort(now, tt, State::kNewSynRecv, s.has(kRst) ? "RST in SYN-RECV" : "SYN in SYN-RECV");
    tracer_.state_change(now, tt, State::kNewSynRecv, State::kClosed);
    return RequestVerdict::kDrop;
  }
  if (!s.has(kAck)) return RequestVerdict::kKeep;
  if (r.listener->accept_queue_full()) {
    // SPEC §5.5 (tcp_v4_syn_recv_sock() counts, tcp_check_req() listen_overflow decides).
    counters_.inc(Counter::kTcpExtListenOverflows);
    counters_.inc(Counter::kTcpExtListenDrops);
    tracer_.drop(now, tt, "ListenOverflows", &p);
    if (!sysctls_.get_bool(SysctlId::kTcpAbortOnOverflow)) {
      r.acked = true;  // keep it: a later SYN+ACK retransmission draws the ACK again
      return RequestVerdict::kKeep;
    }
    emit_reset(p, now);
    counters_.inc(Counter::kTcpExtEmbryonicRsts);
    tracer_.abort(now, tt, State::kNewSynRecv, "accept queue full (tcp_abort_on_overflow)");
    tracer_.state_change(now, tt, State::kNewSynRecv, State::kClosed);
    return RequestVerdict::kDrop;
  }
  return RequestVerdict::kEstablish;
}

bool Engine::request_timer(RequestRecord& r, Instant now) {
  // Linux reqsk_timer_handler() (SPEC §4.7): SYN+ACK retries, then drop silently.
  const auto tt = request_tuple(r);
  tracer_.timer_fired(now, tt, State::kNewSynRecv, TimerKind::kSynAck, r.retransmits + 1u);
  const Listener& l = *r.listener;
  const uint32_t limit =
      synack_retry_limit(l.opt.syn_cnt, static_cast<uint32_t>(sysctl(SysctlId::kTcpSynackRetries)),
                         l.syn_queue_len, l.young_len, l.max_ack_backlog);
  if (synack_expired(r.retransmits, limit)) {
    tracer_.abort(now, tt, State::kNewSynRecv, "SYN+ACK retries exhausted");
    tracer_.state_change(now, tt, State::kNewSynRecv, State::kClosed);
    return false;
  }
  counters_.inc(Counter::kTcpExtTCPTimeouts);
  ++r.retransmits;
  send_synack(r, now, /*retransmission=*/true);
  wheel_.schedule(
      r, now + synack_timeout(sysctls_.duration(SysctlId::kTcpRtoInitialMs), r.retransmits));
  return true;
}

void Engine::open_child(Tcb& t, const RequestRecord& r, Instant now) {
  // Linux tcp_create_openreq_child(): the listener's options, the record's sequence numbers
  // and negotiated options, as if this Tcb had sent the SYN+ACK itself.
  t.tuple = r.tuple;
  t.passive = true;
  t.opt = r.listener->opt;
  init_connection(t, now);
  t.irs = r.irs;
  (void)t.rq.reset(r.rcv_nxt());
  t.rcv_wup = r.rcv_nxt();
  t.iss = r.iss;
  t.snd_una = t.snd_sml = r.iss;
  t.snd_nxt = t.snd_max = r.iss + 1;
  (void)t.sq.reset(r.iss + 1);
  t.cc = CongestionControl(CongestionAlgorithm::kNewReno, r.iss);
  t.snd_wnd = r.peer_window;
  t.max_window = t.snd_wnd;
  t.snd_wl1 = r.irs;
  wire::TcpOptions o;
  if (r.peer_mss != 0) o.mss = r.peer_mss;
  if (r.ts_ok) o.timestamps = wire::Timestamps{r.ts_recent, 0};
  o.sack_permitted = r.sack_ok;
  if (r.ws_ok) o.window_scale = static_cast<uint8_t>(r.snd_wscale);
  negotiate_options(t, o);
  if (t.ts_ok) t.ts_recent_stamp = now;
  const SynackShape sh = synack_shape(t.opt, t.ts_ok);
  t.rcv_wnd = sh.rcv_wnd;
  t.rcv_ssthresh = t.rcv_wnd;
  t.ip_id = r.ip_id;
  t.syn_retrans = r.retransmits;
  t.total_retrans = r.retransmits;  // Linux tcp_create_openreq_child(): req->num_retrans
  t.last_oow_ack = r.last_oow_ack;
  if (r.retransmits == 0 && !r.synack_sent.is_infinite()) {
    t.rtt_timing = true;  // Linux tcp_synack_rtt_meas(): only a SYN+ACK sent once
    t.rtt_seq = r.iss + 1;
    t.rtt_time = r.synack_sent;
  }
  t.state = State::kNewSynRecv;  // the record's state: the trace shows NEW-SYN-RECV -> ...
}

void Engine::open_fastopen_child(Tcb& t, Listener& l, const wire::Packet& syn, SeqNum iss,
                                 Instant now, const std::optional<wire::FastOpenCookie>& cookie) {
  // The record exists only for the call: the child is built exactly as a third ACK would
  // build it (open_child), then made a SYN-RECEIVED Tcb that has not sent its SYN+ACK yet.
  RequestRecord r;
  fill_request(r, l, syn, iss, now);
  open_child(t, r, now);
  t.state = State::kListen;
  set_state(t, State::kSynReceived, now);
  t.snd_nxt = t.snd_max = t.iss;  // output() sends the SYN+ACK as a first transmission
  const std::span<const uint8_t> data = syn.tcp.payload;
  if (!data.empty()) {
    (void)t.rq.insert(r.irs + 1, data, false);
    t.data_seen = true;
    t.last_data_rcv = now;
  }
  t.rcv_wup = t.rcv_nxt();  // the SYN+ACK acknowledges the data (Linux tcp_fastopen_add_skb)
  t.last_rcv = now;
  t.want_syn = true;
  if (cookie) {
    // Sent by output() with the first SYN+ACK (fo_syn_option_, as for a client's SYN).
    t.fastopen_syn = true;
    fo_syn_option_ = *cookie;
  }
}

void Engine::child_input(Tcb& t, const wire::Packet& p, Instant now) {
  input_synchronized(t, p, now);
  if (t.state != State::kClosed) {
    flush(t, now);
  } else {
    arm(t);
  }
}

}  // namespace synack::tcp
