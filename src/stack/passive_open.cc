#include "stack/passive_open.h"

#include <algorithm>
#include <span>
#include <vector>

namespace synack::stack {

using tcp::RequestRecord;
using tcp::RequestVerdict;
using tcp::State;
using tcp::Tcb;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {
constexpr uint16_t kDefaultPeerMss = 536;  // Linux TCP_MSS_DEFAULT

TraceTuple tuple_of(const wire::Packet& p) {
  return TraceTuple{p.ip.dst, p.tcp.dst_port, p.ip.src, p.tcp.src_port};
}
tcp::FourTuple four_tuple_of(const wire::Packet& p) {
  return tcp::FourTuple{.local_addr = p.ip.dst,
                        .remote_addr = p.ip.src,
                        .local_port = p.tcp.dst_port,
                        .remote_port = p.tcp.src_port};
}
}  // namespace

PassiveOpen::PassiveOpen(const KeyedHash& table_hash, const tcp::SynCookies& cookies,
                         tcp::Engine& engine, const Sysctls& sysctls, Counters& counters,
                         const Tracer& tracer, TimerWheel& wheel, ConnectionTable& conns, Rng& rng)
    : table_(table_hash),
      cookies_(cookies),
      engine_(engine),
      sysctls_(sysctls),
      counters_(counters),
      tracer_(tracer),
      wheel_(wheel),
      conns_(conns),
      rng_(rng) {}

PassiveOpen::~PassiveOpen() {
  std::vector<RequestRecord*> all;
  table_.for_each([&](RequestRecord& r) { all.push_back(&r); });
  for (RequestRecord* r : all)
    delete r;
}

void PassiveOpen::on_syn(tcp::Listener& l, const wire::Packet& p, Instant now,
                         std::optional<wire::SeqNum> isn) {
  const TraceTuple tt = tuple_of(p);
  const int64_t syncookies = sysctls_.get(SysctlId::kTcpSyncookies);
  bool want_cookie = false;
  // SPEC §5.4 step 1 (Linux tcp_conn_request() + tcp_syn_flood_action()).
  if (!isn.has_value() && (syncookies == 2 || l.syn_queue_full())) {
    want_cookie = syncookies != 0;
    counters_.inc(want_cookie ? Counter::kTcpExtTCPReqQFullDoCookies
                              : Counter::kTcpExtTCPReqQFullDrop);
    if (!l.synflood_warned && syncookies != 2) {
      l.synflood_warned = true;
      tracer_.log(now, TraceTuple{l.local_addr, l.local_port, {}, 0},
                  want_cookie ? LogMessage::kSynFloodCookies : LogMessage::kSynFloodDrop);
    }
    if (!want_cookie) {
      counters_.inc(Counter::kTcpExtListenDrops);
      tracer_.drop(now, tt, "TCPReqQFullDrop", &p);
      return;
    }
  }
  // Step 2: the accept queue.
  if (l.accept_queue_full()) {
    counters_.inc(Counter::kTcpExtListenOverflows);
    counters_.inc(Counter::kTcpExtListenDrops);
    tracer_.drop(now, tt, "ListenOverflows", &p);
    return;
  }
  // Step 3: without cookies the last quarter of tcp_max_syn_backlog is kept for proven peers
  // (Linux tcp_peer_is_proven(), which needs tcp_metrics; synack has none, so no peer is).
  if (!want_cookie && !isn.has_value() && syncookies == 0) {
    const int64_t max_syn_backlog = sysctls_.get(SysctlId::kTcpMaxSynBacklog);
    if (max_syn_backlog - int64_t{l.syn_queue_len} < (max_syn_backlog >> 2)) {
      counters_.inc(Counter::kTcpExtListenDrops);
      tracer_.drop(now, tt, "tcp_max_syn_backlog: drop_req", &p);
      return;
    }
  }
  const tcp::FourTuple tuple = four_tuple_of(p);
  if (want_cookie) {
    // The MSS the cookie carries: the SYN's, clamped by TCP_MAXSEG (Linux tcp_mss_clamp()).
    uint16_t mss = p.tcp.options.mss.value_or(kDefaultPeerMss);
    if (l.opt.max_seg != 0 && l.opt.max_seg < mss) mss = l.opt.max_seg;
    const tcp::SyncookieIsn c = cookies_.encode(tuple, p.tcp.seq, mss, now);
    l.overflow.note(now);
    counters_.inc(Counter::kTcpExtSyncookiesSent);
    engine_.send_cookie_synack(l, p, c.isn, now);
    return;
  }
  const wire::SeqNum iss = isn.has_value() ? *isn : engine_.choose_isn(tuple, now);
  std::optional<wire::FastOpenCookie> synack_cookie;
  if (fastopen_syn(l, p, now, iss, synack_cookie)) return;
  auto* r = new RequestRecord();
  engine_.open_request(*r, l, p, iss, now, synack_cookie);
  table_.insert(*r);
  ++l.syn_queue_len;
  ++l.young_len;
}

const tcp::FastOpenServer& PassiveOpen::fastopen_keys() {
  const std::span<const int64_t> w = sysctls_.values(SysctlId::kTcpFastopenKey);
  std::array<int64_t, 8> words{};
  std::copy_n(w.begin(), std::min(w.size(), words.size()), words.begin());
  if (!fastopen_keys_ || words != fastopen_words_) {
    // An unset key (all zero) keeps the random one drawn the first time (Linux
    // tcp_fastopen_init_key_once()).
    const bool unset =
        std::all_of(words.begin(), words.begin() + 4, [](int64_t v) { return v == 0; });
    if (!fastopen_keys_ || !unset) {
      fastopen_keys_ = tcp::FastOpenServer::from_sysctl(
          std::span<const int64_t>(words.data(), std::min<size_t>(w.size(), 8)), rng_);
    }
    fastopen_words_ = words;
  }
  return *fastopen_keys_;
}

bool PassiveOpen::fastopen_syn(tcp::Listener& l, const wire::Packet& p, Instant now,
                               wire::SeqNum iss,
                               std::optional<wire::FastOpenCookie>& synack_cookie) {
  const tcp::FastOpenSyn syn{.has_data = !p.tcp.payload.empty() || p.tcp.has(wire::tcp_flags::kFin),
                             .cookie = p.tcp.options.fast_open};
  if (!syn.has_data && !syn.cookie) return false;
  const auto mode = static_cast<uint32_t>(sysctls_.get(SysctlId::kTcpFastopen));
  const tcp::FastOpenSynDecision d =
      tcp::fastopen_on_syn(mode, l.fastopen, syn, fastopen_keys(), p.ip.src, p.ip.dst);
  if (d.count_cookie_reqd) counters_.inc(Counter::kTcpExtTCPFastOpenCookieReqd);
  if (d.count_listen_overflow) counters_.inc(Counter::kTcpExtTCPFastOpenListenOverflow);
  if (d.count_passive_fail) counters_.inc(Counter::kTcpExtTCPFastOpenPassiveFail);
  synack_cookie = d.synack_cookie;
  if (!d.create_child) return false;
  counters_.inc(Counter::kTcpExtTCPFastOpenPassive);
  if (d.count_passive_alt_key) counters_.inc(Counter::kTcpExtTCPFastOpenPassiveAltKey);
  auto* t = new Tcb();
  // A cookie made with the backup key is answered with the primary key's cookie in the
  // child's first SYN+ACK (Linux tcp_try_fastopen(): ret == 2 → *foc = valid_foc); a
  // primary-key one gets no cookie back (foc->len = -1).
  engine_.open_fastopen_child(*t, l, p, iss, now, d.synack_cookie);
  synack_cookie.reset();
  conns_.insert(*t);
  t->in_table = true;
  t->fastopen_pending = true;
  ++l.fastopen.qlen;
  l.push_accept(*t);
  engine_.flush(*t, now);
  t->fastopen_syn = false;  // the cookie goes in the first SYN+ACK only
  return true;
}

void PassiveOpen::fastopen_done(tcp::Listener& l, Tcb& t) {
  t.fastopen_pending = false;
  if (l.fastopen.qlen > 0) --l.fastopen.qlen;
}

Tcb* PassiveOpen::on_listener_segment(tcp::Listener& l, const wire::Packet& p, Instant now) {
  const wire::TcpSegment& s = p.tcp;
  const int64_t syncookies = sysctls_.get(SysctlId::kTcpSyncookies);
  // Linux cookie_v4_check(): only an ACK without RST or SYN, only with cookies on and only
  // while the listener has sent cookies recently.
  if (syncookies == 0 || !s.has(kAck) || s.has(kRst) || s.has(kSyn) ||
      l.overflow.no_recent_overflow(now)) {
    engine_.listen_input_non_syn(p, now);
    return nullptr;
  }
  const TraceTuple tt = tuple_of(p);
  const tcp::FourTuple tuple = four_tuple_of(p);
  const auto mss = cookies_.decode(tuple, s.ack, s.seq, now);
  if (!mss.has_value()) {
    counters_.inc(Counter::kTcpExtSyncookiesFailed);
    tracer_.drop(now, tt, tcp::to_string(mss.error()), &p);
    engine_.listen_input_non_syn(p, now);  // the listener resets it
    return nullptr;
  }
  counters_.inc(Counter::kTcpExtSyncookiesRecv);
  const auto opts = tcp::SynCookies::decode_ts_options(
      s.options.timestamps, engine_.ts_offset(tuple), sysctls_.get(SysctlId::kTcpTimestamps) != 0,
      sysctls_.get_bool(SysctlId::kTcpSack), sysctls_.get_bool(SysctlId::kTcpWindowScaling));
  if (!opts.has_value()) {
    tracer_.drop(now, tt, "cookie: options refused", &p);
    return nullptr;
  }
  if (l.accept_queue_full()) {
    // Linux tcp_v4_syn_recv_sock() from the cookie path: counted and dropped; the client's
    // retransmission tries again.
    counters_.inc(Counter::kTcpExtListenOverflows);
    counters_.inc(Counter::kTcpExtListenDrops);
    tracer_.drop(now, tt, "ListenOverflows", &p);
    return nullptr;
  }
  RequestRecord r;
  engine_.cookie_request(r, l, p, *mss, *opts);
  return establish(r, p, now);
}

Tcb* PassiveOpen::on_segment(RequestRecord& r, const wire::Packet& p, Instant now) {
  switch (engine_.request_input(r, p, now)) {
    case RequestVerdict::kKeep:
      return nullptr;
    case RequestVerdict::kDrop:
      forget(r);
      return nullptr;
    case RequestVerdict::kEstablish:
      break;
  }
  Tcb* t = establish(r, p, now);
  forget(r);
  return t;
}

Tcb* PassiveOpen::establish(RequestRecord& r, const wire::Packet& p, Instant now) {
  tcp::Listener& l = *r.listener;
  auto* t = new Tcb();
  engine_.open_child(*t, r, now);
  conns_.insert(*t);
  t->in_table = true;
  engine_.child_input(*t, p, now);
  if (t->state == State::kNewSynRecv) {
    // The pipeline refused the ACK the record accepted (it cannot, today): no connection.
    engine_.set_state(*t, State::kClosed, now);
    t->rexmit_at = t->delack_at = t->state_at = Instant::infinite();
    engine_.arm(*t);
    return t;
  }
  l.push_accept(*t);
  return t;
}

void PassiveOpen::forget(RequestRecord& r) {
  tcp::Listener& l = *r.listener;
  --l.syn_queue_len;
  if (r.retransmits == 0) --l.young_len;
  wheel_.cancel(r);
  (void)table_.erase(r);
  delete &r;
}

void PassiveOpen::on_timer(RequestRecord& r, Instant now) {
  const bool young = r.retransmits == 0;
  if (!engine_.request_timer(r, now)) {
    forget(r);
    return;
  }
  if (young && r.retransmits != 0) --r.listener->young_len;
}

void PassiveOpen::drop_listener(tcp::Listener& l, Instant now) {
  std::vector<RequestRecord*> mine;
  table_.for_each([&](RequestRecord& r) {
    if (r.listener == &l) mine.push_back(&r);
  });
  for (RequestRecord* r : mine) {
    tracer_.state_change(now,
                         TraceTuple{r->tuple.local_addr, r->tuple.local_port, r->tuple.remote_addr,
                                    r->tuple.remote_port},
                         State::kNewSynRecv, State::kClosed);
    forget(*r);
  }
}

}  // namespace synack::stack
