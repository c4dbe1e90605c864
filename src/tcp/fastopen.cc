#include "tcp/fastopen.h"

#include <algorithm>

#include "base/rng.h"

namespace synack::tcp {

namespace {

constexpr uint32_t kMaxTcpOptionSpace = 40;  // Linux MAX_TCP_OPTION_SPACE
constexpr uint32_t kMinSndMss = 48;          // Linux TCP_MIN_SND_MSS
constexpr uint32_t kIpTcpHeaders = 40;       // IPv4 + TCP headers without options

KeyedHash::Key key_from(std::span<const int64_t> w) {
  KeyedHash::Key k{};
  for (size_t i = 0; i < 4; ++i) {
    const auto v = static_cast<uint32_t>(w[i]);
    for (size_t b = 0; b < 4; ++b)
      k[4 * i + b] = static_cast<uint8_t>(v >> (8 * b));  // cpu_to_le32
  }
  return k;
}

}  // namespace

KeyedHash::Key fastopen_key_from_words(std::span<const int64_t> four_words) {
  return key_from(four_words.first(4));
}

std::array<int64_t, 4> fastopen_key_to_words(const KeyedHash::Key& key) {
  std::array<int64_t, 4> w{};
  for (size_t i = 0; i < 4; ++i) {
    uint32_t v = 0;
    for (size_t b = 0; b < 4; ++b)
      v |= uint32_t{key[4 * i + b]} << (8 * b);
    w[i] = v;
  }
  return w;
}

FastOpenServer::FastOpenServer(const KeyedHash::Key& primary,
                               const std::optional<KeyedHash::Key>& backup)
    : primary_(primary), backup_(backup.value_or(KeyedHash::Key{})), has_backup_(backup) {}

FastOpenServer FastOpenServer::from_sysctl(std::span<const int64_t> words, Rng& rng) {
  const bool configured = words.size() >= 4 && std::any_of(words.begin(), words.begin() + 4,
                                                           [](int64_t w) { return w != 0; });
  if (!configured) return FastOpenServer{KeyedHash::from_rng(rng).key()};
  std::optional<KeyedHash::Key> backup;
  if (words.size() >= 8) backup = key_from(words.subspan(4, 4));
  return FastOpenServer{key_from(words.first(4)), backup};
}

std::optional<KeyedHash::Key> FastOpenServer::backup_key() const {
  if (!has_backup_) return std::nullopt;
  return backup_.key();
}

std::array<int64_t, 8> FastOpenServer::to_words() const {
  std::array<int64_t, 8> out{};
  const auto p = fastopen_key_to_words(primary_.key());
  std::copy(p.begin(), p.end(), out.begin());
  if (has_backup_) {
    const auto b = fastopen_key_to_words(backup_.key());
    std::copy(b.begin(), b.end(), out.begin() + 4);
  }
  return out;
}

wire::FastOpenCookie FastOpenServer::make(const KeyedHash& key, wire::Ipv4Address client,
                                          wire::Ipv4Address server) {
  // siphash(&iph->saddr, 8 bytes): source then destination address, network order.
  std::array<uint8_t, 8> in{};
  for (int i = 0; i < 4; ++i) {
    in[static_cast<size_t>(i)] = static_cast<uint8_t>(client.value() >> (24 - 8 * i));
    in[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(server.value() >> (24 - 8 * i));
  }
  const uint64_t h = key(in);
  wire::FastOpenCookie c;
  for (size_t b = 0; b < kFastOpenCookieSize; ++b)
    c.bytes[b] = static_cast<uint8_t>(h >> (8 * b));  // cpu_to_le64
  c.len = kFastOpenCookieSize;
  return c;
}

wire::FastOpenCookie FastOpenServer::cookie_for(wire::Ipv4Address client,
                                                wire::Ipv4Address server) const {
  return make(primary_, client, server);
}

FastOpenServer::Match FastOpenServer::validate(wire::Ipv4Address client, wire::Ipv4Address server,
                                               const wire::FastOpenCookie& cookie) const {
  auto same = [&cookie](const wire::FastOpenCookie& valid) {
    return cookie.len == valid.len &&
           std::equal(valid.bytes.begin(), valid.bytes.begin() + valid.len, cookie.bytes.begin());
  };
  if (cookie.len == 0) return Match::kNone;
  if (same(make(primary_, client, server))) return Match::kPrimary;
  if (has_backup_ && same(make(backup_, client, server))) return Match::kBackup;
  return Match::kNone;
}

uint32_t fastopen_max_qlen(uint32_t sysctl, std::optional<uint32_t> sockopt_qlen, uint32_t backlog,
                           uint32_t somaxconn) {
  uint32_t q = sockopt_qlen ? std::min(*sockopt_qlen, somaxconn) : 0;
  const uint32_t both = tfo::kServerWoSockopt1 | tfo::kServerEnable;
  if ((sysctl & both) == both && q == 0) q = std::min(backlog, somaxconn);
  return q;
}

FastOpenSynDecision fastopen_on_syn(uint32_t sysctl, const FastOpenListener& l,
                                    const FastOpenSyn& syn, const FastOpenServer& keys,
                                    wire::Ipv4Address client, wire::Ipv4Address server) {
  FastOpenSynDecision d;
  const std::optional<wire::FastOpenCookie>& foc = syn.cookie;
  if (foc && foc->len == 0) d.count_cookie_reqd = true;  // counted before any other check

  // (tcp_fastopen & TFO_SERVER_ENABLE) && (syn_data || foc->len >= 0) && queue check
  if ((sysctl & tfo::kServerEnable) == 0 || !(syn.has_data || foc)) return d;
  if (l.max_qlen == 0) return d;  // tcp_fastopen_queue_check: not a Fast Open listener
  if (l.qlen >= l.max_qlen) {
    if (!l.oldest_reset_expired) {
      d.count_listen_overflow = true;
      return d;
    }
    d.reclaim_oldest_reset = true;
  }

  if ((sysctl & tfo::kServerCookieNotReqd) != 0 || l.no_cookie) {
    d.create_child = true;  // no cookie is checked and none is sent back
    d.count_passive = true;
    return d;
  }
  if (!foc) return d;  // data without a cookie: ignored, the SYN is acknowledged alone

  wire::FastOpenCookie valid = keys.cookie_for(client, server);
  valid.experimental = foc->experimental;
  if (foc->len == 0) {
    d.synack_cookie = valid;
    return d;
  }
  switch (keys.validate(client, server, *foc)) {
    case FastOpenServer::Match::kNone:
      d.count_passive_fail = true;
      d.synack_cookie = valid;  // the client learns the current cookie
      break;
    case FastOpenServer::Match::kPrimary:
      d.create_child = true;
      d.count_passive = true;
      break;
    case FastOpenServer::Match::kBackup:
      d.create_child = true;
      d.count_passive = true;
      d.count_passive_alt_key = true;
      d.synack_cookie = valid;  // replace the backup-key cookie with a primary-key one
      break;
  }
  return d;
}

FastOpenClientPlan plan_fastopen_syn(const FastOpenClientContext& c,
                                     const std::optional<FastOpenCacheEntry>& cached, Instant now) {
  FastOpenClientPlan p;
  p.mss_clamp = cached && cached->mss != 0 ? cached->mss : c.advmss;
  if (c.active_disabled) return p;
  if (c.syn_loss_backoff && cached && cached->syn_loss > 1) {
    const int shift = std::min<int>(cached->syn_loss, 26);  // keeps the Duration in range
    if (now < cached->last_syn_loss + Duration::seconds(int64_t{60} << shift)) return p;
  }
  if ((c.sysctl & tfo::kClientNoCookie) != 0 || c.socket_no_cookie) {
    p.kind = FastOpenSynKind::kDataNoCookie;
    return p;
  }
  if (cached && cached->cookie.len > 0) {
    p.kind = FastOpenSynKind::kDataWithCookie;
    p.option = cached->cookie;
    return p;
  }
  p.kind = FastOpenSynKind::kCookieRequest;
  p.option = wire::FastOpenCookie{};
  if (cached) p.option->experimental = cached->cookie.experimental;
  return p;
}

uint32_t fastopen_syn_data_space(uint32_t pmtu, uint16_t mss_clamp, uint32_t available) {
  uint32_t mss = pmtu > kIpTcpHeaders ? pmtu - kIpTcpHeaders : 0;
  mss = std::max(std::min<uint32_t>(mss, mss_clamp), kMinSndMss);
  return std::min(mss - kMaxTcpOptionSpace, available);
}

FastOpenSynAckOutcome fastopen_on_synack(const FastOpenSynAck& s) {
  FastOpenSynAckOutcome o;
  o.cache_mss = s.mss;
  const bool data_unacked = s.syn_data && !s.data_acked;
  std::optional<wire::FastOpenCookie> cookie = s.cookie;
  if (!s.syn_fastopen) {
    cookie.reset();  // an unsolicited cookie is ignored
  } else if (s.syn_retransmitted) {
    // The server presumably saw only the retransmitted, plain SYN.
    o.cache_syn_lost = !cookie && data_unacked;
  } else if (!cookie && !s.syn_data) {
    // A cookie request went unanswered: next time try the other option kind.
    o.cache_try_exp = s.syn_exp ? 2 : 1;
  }
  o.cache_cookie = cookie;
  if (data_unacked) {
    o.retransmit_data = true;
    o.count_active_fail = true;
  } else if (s.syn_data) {
    o.count_active = true;
  }
  return o;
}

}  // namespace synack::tcp
