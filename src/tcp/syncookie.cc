#include "tcp/syncookie.h"

#include <algorithm>

#include "base/rng.h"
#include "tcp/tcb.h"

namespace synack::tcp {

namespace {

constexpr int kCookieBits = 24;  // Linux COOKIEBITS: the counter lives above these
constexpr uint32_t kCookieMask = (uint32_t{1} << kCookieBits) - 1;
constexpr int kTsBits = 6;  // Linux TSBITS
constexpr uint32_t kTsOptWscaleMask = 0xF;
constexpr uint32_t kTsOptSack = 1u << 4;
constexpr uint32_t kTsOptEcn = 1u << 5;
constexpr uint8_t kMaxWscale = 14;  // RFC 7323 §2.3

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

std::string_view to_string(SyncookieError e) {
  switch (e) {
    case SyncookieError::kTooOld:
      return "too old";
    case SyncookieError::kBadHash:
      return "bad hash";
  }
  return "?";
}

SynCookies SynCookies::from_rng(Rng& rng) {
  const KeyedHash h0 = KeyedHash::from_rng(rng);
  const KeyedHash h1 = KeyedHash::from_rng(rng);
  return SynCookies{h0, h1};
}

uint32_t SynCookies::hash(const KeyedHash& h, const FourTuple& t, uint32_t count) {
  // Seen from the client, as Linux hashes the incoming SYN's (saddr, daddr, sport, dport).
  std::array<uint8_t, 16> in{};
  put_be32(&in[0], t.remote_addr.value());
  put_be32(&in[4], t.local_addr.value());
  put_be32(&in[8], (uint32_t{t.remote_port} << 16) | t.local_port);
  put_be32(&in[12], count);
  return static_cast<uint32_t>(h(in));
}

uint32_t SynCookies::counter(Instant now) {
  return static_cast<uint32_t>(static_cast<uint64_t>(now.ns()) /
                               static_cast<uint64_t>(kSyncookiePeriod.ns()));
}

uint8_t SynCookies::mss_index(uint16_t client_mss) {
  uint8_t i = kSyncookieMssTable.size() - 1;
  for (; i > 0; --i) {
    if (client_mss >= kSyncookieMssTable[i]) break;
  }
  return i;
}

uint32_t SynCookies::encode_at(const FourTuple& t, uint32_t client_isn, uint8_t mss_index,
                               uint32_t count) const {
  return hash(h0_, t, 0) + client_isn + (count << kCookieBits) +
         ((hash(h1_, t, count) + mss_index) & kCookieMask);
}

Result<uint8_t, SyncookieError> SynCookies::decode_at(const FourTuple& t, uint32_t cookie,
                                                      uint32_t client_isn, uint32_t count) const {
  const uint32_t rest = cookie - (hash(h0_, t, 0) + client_isn);
  // Only the counter's low 8 bits travel; the difference is taken modulo 256.
  const uint32_t diff = (count - (rest >> kCookieBits)) & (~uint32_t{0} >> kCookieBits);
  if (diff >= kMaxSyncookieAge) return Failure{SyncookieError::kTooOld};
  const uint32_t index = (rest - hash(h1_, t, count - diff)) & kCookieMask;
  if (index >= kSyncookieMssTable.size()) return Failure{SyncookieError::kBadHash};
  return static_cast<uint8_t>(index);
}

SyncookieIsn SynCookies::encode(const FourTuple& t, wire::SeqNum client_isn, uint16_t client_mss,
                                Instant now) const {
  const uint8_t index = mss_index(client_mss);
  return {wire::SeqNum{encode_at(t, client_isn.raw(), index, counter(now))},
          kSyncookieMssTable[index]};
}

Result<uint16_t, SyncookieError> SynCookies::decode(const FourTuple& t, wire::SeqNum ack_seq,
                                                    wire::SeqNum seq, Instant now) const {
  auto index = decode_at(t, (ack_seq - 1).raw(), (seq - 1).raw(), counter(now));
  if (!index) return Failure{index.error()};
  return kSyncookieMssTable[*index];
}

uint32_t SynCookies::encode_ts_options(uint32_t ts_now, const SyncookieTsOptions& o) {
  uint32_t options = o.wscale_ok ? std::min(o.snd_wscale, kMaxWscale) : kTsOptWscaleMask;
  if (o.sack_ok) options |= kTsOptSack;
  if (o.ecn_ok) options |= kTsOptEcn;
  uint32_t ts = ((ts_now >> kTsBits) << kTsBits) | options;
  if (ts > ts_now) ts -= uint32_t{1} << kTsBits;
  return ts;
}

std::optional<SyncookieAckOptions> SynCookies::decode_ts_options(
    const std::optional<wire::Timestamps>& ack_ts, uint32_t ts_off, bool sysctl_timestamps,
    bool sysctl_sack, bool sysctl_window_scaling) {
  SyncookieAckOptions out;
  if (!ack_ts) return out;  // no timestamps: every option is lost (SPEC §6.3)
  if (!sysctl_timestamps) return std::nullopt;
  out.tstamp_ok = true;
  out.ts_recent = ack_ts->val;
  const uint32_t options = ack_ts->ecr != 0 ? ack_ts->ecr - ts_off : 0;
  out.opts.ecn_ok = (options & kTsOptEcn) != 0;
  out.opts.sack_ok = (options & kTsOptSack) != 0;
  if (out.opts.sack_ok && !sysctl_sack) return std::nullopt;
  if ((options & kTsOptWscaleMask) == kTsOptWscaleMask) return out;  // no window scaling
  out.opts.wscale_ok = true;
  out.opts.snd_wscale = static_cast<uint8_t>(options & kTsOptWscaleMask);
  if (!sysctl_window_scaling) return std::nullopt;
  return out;
}

void SynqOverflowStamp::note(Instant now) {
  // Linux: rewrite unless now lies within [last, last + 1 s].
  if (last_ && *last_ <= now && now <= *last_ + Duration::seconds(1)) return;
  last_ = now;
}

bool SynqOverflowStamp::no_recent_overflow(Instant now) const {
  if (!last_) return true;
  return !(*last_ - Duration::seconds(1) <= now && now <= *last_ + kSyncookieValid);
}

}  // namespace synack::tcp
