// The Fast Open client wired into the engine (SPEC §13.3, RFC 7413 §4.1): what connect() and the
// first send() do with TCP_FASTOPEN_CONNECT, and what the SYN+ACK teaches. The decisions are the
// pure helpers of tcp/fastopen.h; this file only applies them to a Tcb, the stack's cookie cache
// and the counters.
//
// Linux's shape, followed here:
//   - connect() (tcp_v4_connect → tcp_fastopen_defer_connect): with a cookie cached, or with
//     tcp_fastopen 0x4, the connection sits in SYN-SENT with nothing sent, and connect()
//     returns 0; without a cookie the SYN leaves at once with an empty Fast Open option (a
//     cookie request) and no data — the application's data follows the handshake as usual.
//   - the first send() on a deferred connect (tcp_sendmsg_fastopen → tcp_send_syn_data): the
//     cache is consulted again; the SYN carries min(pmtu − 40, cached MSS) − 40 bytes at most,
//     and send() returns how many it took. If the cookie vanished meanwhile the SYN goes as a
//     cookie request and send() takes nothing.
//   - the SYN+ACK (tcp_rcv_fastopen_synack): fastopen_on_synack() says what to cache and count;
//     unacknowledged SYN data is sent again at once (snd_nxt back to snd_una), the segment
//     carrying the third ACK, and TCPFastOpenActiveFail counts it.
#include <algorithm>

#include "tcp/engine.h"

namespace synack::tcp {

using stack::Counter;
using stack::SysctlId;

namespace {

// Linux tcp_parse_fastopen_option(): a cookie of 4..16 bytes, even length; anything else is
// treated as no cookie.
std::optional<wire::FastOpenCookie> usable_cookie(const std::optional<wire::FastOpenCookie>& c) {
  if (!c || c->len < 4 || c->len > 16 || c->len % 2 != 0) return std::nullopt;
  return c;
}

}  // namespace

FastOpenClientPlan Engine::fastopen_plan(const Tcb& t, Instant now) {
  FastOpenClientContext c;
  c.sysctl = static_cast<uint32_t>(sysctl(SysctlId::kTcpFastopen));
  c.advmss = t.adv_mss;
  std::optional<FastOpenCacheEntry> cached;
  if (fo_cache_ != nullptr) cached = fo_cache_->get(t.tuple.local_addr, t.tuple.remote_addr);
  return plan_fastopen_syn(c, cached, now);
}

bool Engine::fastopen_connect(Tcb& t, Instant now) {
  const FastOpenClientPlan plan = fastopen_plan(t, now);
  if (plan.defer_connect()) {
    t.fastopen_defer = true;
    return true;
  }
  if (plan.option) {
    t.fastopen_syn = true;
    t.fastopen_exp = plan.option->experimental;
    fo_syn_option_ = *plan.option;
  }
  return false;
}

size_t Engine::fastopen_send(Tcb& t, std::span<const uint8_t> data, Instant now) {
  t.fastopen_defer = false;
  const FastOpenClientPlan plan = fastopen_plan(t, now);
  size_t n = 0;
  if (plan.kind == FastOpenSynKind::kDataWithCookie ||
      plan.kind == FastOpenSynKind::kDataNoCookie) {
    const auto available = static_cast<uint32_t>(std::min<size_t>(data.size(), t.sq.free_space()));
    const uint32_t room = fastopen_syn_data_space(config_.mtu, plan.mss_clamp, available);
    n = t.sq.write(data.first(room));
    t.fastopen_syn_data = n > 0;
  }
  if (plan.option) {
    t.fastopen_syn = true;
    t.fastopen_exp = plan.option->experimental;
    fo_syn_option_ = *plan.option;
  }
  send_first_syn(t, now);
  return n;
}

void Engine::send_first_syn(Tcb& t, Instant now) {
  t.retrans_stamp = now;  // the SYN-SENT give-up clock starts now (Linux tcp_connect())
  t.want_syn = true;
  counters_.inc(Counter::kTcpActiveOpens);
  flush(t, now);
}

void Engine::fastopen_synack(Tcb& t, const wire::TcpSegment& s, Instant now) {
  FastOpenSynAck a;
  a.syn_fastopen = t.fastopen_syn;
  a.syn_exp = t.fastopen_exp;
  a.syn_data = t.fastopen_syn_data;
  a.data_acked = t.snd_una == t.snd_max;
  a.syn_retransmitted = t.syn_retrans > 0;
  a.cookie = usable_cookie(s.options.fast_open);
  a.mss = s.options.mss.value_or(0);
  const FastOpenSynAckOutcome o = fastopen_on_synack(a);
  if (fo_cache_ != nullptr) {
    fo_cache_->set(t.tuple.local_addr, t.tuple.remote_addr, o.cache_mss, o.cache_cookie,
                   o.cache_syn_lost, o.cache_try_exp, now);
  }
  if (o.count_active) counters_.inc(Counter::kTcpExtTCPFastOpenActive);
  if (o.count_active_fail) counters_.inc(Counter::kTcpExtTCPFastOpenActiveFail);
  if (o.retransmit_data) t.snd_nxt = t.snd_una;  // output() resends it as a retransmission
  t.fastopen_syn = t.fastopen_syn_data = t.fastopen_exp = false;
}

}  // namespace synack::tcp
