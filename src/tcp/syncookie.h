// SYN cookies (SPEC §6, RFC 4987): the listener's stateless answer to a SYN, encoded exactly
// as Linux encodes it (net/ipv4/syncookies.c), with time as a parameter.
//
// The cookie is the SYN+ACK's ISN:
//
//   cookie = H0(tuple) + client_isn + (count << 24) + ((H1(tuple, count) + mss_index) & 0xFFFFFF)
//
// where H0 and H1 are SipHash-2-4 under two independent secrets (Linux syncookie_secret[0] and
// [1]; here two KeyedHash keys drawn from the stack's Rng), truncated to 32 bits, over the
// connection seen from the client: client address, server address, client port, server port,
// count (5 big-endian fields, 16 bytes; Linux siphash_4u32(saddr, daddr, sport << 16 | dport,
// count), with count 0 for H0). count is a minute counter: Linux tcp_cookie_time() =
// jiffies / (60 HZ); here now / 60 s of the injected Instant. Only its low 8 bits travel in
// the cookie. mss_index points into Linux's table {536, 1300, 1440, 1460}: the largest entry
// not above the client's MSS, or 536 when the client's MSS is smaller still (Linux rounds up
// there too, __cookie_v4_init_sequence).
//
// Validation (Linux check_tcp_syn_cookie, __cookie_v4_check) takes the third ACK: cookie =
// ack − 1, client_isn = seq − 1; subtracting H0 + client_isn leaves count in the top byte;
// diff = (now_count − that byte) mod 256 must be below MAX_SYNCOOKIE_AGE = 2, i.e. the cookie
// was made in this minute tick or the previous one (at most 120 s, at least 60 s of life —
// Linux's TCP_SYNCOOKIE_VALID; SPEC §6.2's "no more than 2 ticks old" counts the ticks the
// cookie spans). Then (rest − H1(tuple, now_count − diff)) & 0xFFFFFF must be an index < 4.
// Failing the age test reports kTooOld, failing the index test kBadHash; both are
// SyncookiesFailed to the listener. Note what the layout does not protect: the low 2 bits of a
// cookie carry the index added to the hash, so flipping one of them can yield a neighbouring
// MSS class instead of a failure — as in Linux.
//
// Timestamps (SPEC §6.3, Linux cookie_init_timestamp / cookie_timestamp_decode): the 6 low
// bits of the SYN+ACK's TSval carry the client's SYN options — bits 0-3 its window scale
// (0xF = no window scale), bit 4 SACK-permitted, bit 5 ECN — and come back in the ACK's TSecr.
// The TSval is the TS clock rounded down to a multiple of 64 with those bits or'ed in, moved
// back 64 if that would exceed the clock (so later TSvals never go backwards). Without
// timestamps nothing survives: the connection gets no window scale and no SACK, and Linux's
// SYN+ACK in cookie mode does not offer them either (tcp_conn_request clears the options of a
// cookie SYN without timestamps) — the listener must do the same.
//
// SynqOverflowStamp mirrors Linux tcp_synq_overflow / tcp_synq_no_recent_overflow: a listener
// only tries to decode a cookie from an ACK if it sent cookies within the last 120 s; a fresh
// listener that never overflowed treats every unknown ACK as not-a-cookie (no counter).
//
// Pure and sans-IO: no clock reads, no allocation; immutable after construction except the
// overflow stamp. Single-threaded like the rest of the core.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/keyed_hash.h"
#include "base/result.h"
#include "wire/seq_num.h"
#include "wire/tcp_segment.h"

namespace synack {
class Rng;
}

namespace synack::tcp {

struct FourTuple;  // tcp/tcb.h: the engine's tuple, local = the listener's side

inline constexpr std::array<uint16_t, 4> kSyncookieMssTable{536, 1300, 1440, 1460};
inline constexpr Duration kSyncookiePeriod = Duration::seconds(60);  // TCP_SYNCOOKIE_PERIOD
inline constexpr uint32_t kMaxSyncookieAge = 2;                      // MAX_SYNCOOKIE_AGE
inline constexpr Duration kSyncookieValid = kSyncookiePeriod * int64_t{kMaxSyncookieAge};

enum class SyncookieError : uint8_t {
  kTooOld,   // the encoded minute counter is 2 or more ticks behind
  kBadHash,  // the hash does not match this tuple / client ISN (forged or mangled)
};
std::string_view to_string(SyncookieError e);

struct SyncookieIsn {
  wire::SeqNum isn{};  // the SYN+ACK's sequence number
  uint16_t mss = 0;    // the MSS the connection will use (a table entry)
};

// The SYN options a cookie SYN+ACK's TSval carries (Linux inet_request_sock fields).
struct SyncookieTsOptions {
  bool wscale_ok = false;  // the SYN offered window scaling
  uint8_t snd_wscale = 0;  // its shift, 0..14 (larger values are clamped to 14)
  bool sack_ok = false;
  bool ecn_ok = false;
  bool operator==(const SyncookieTsOptions&) const = default;
};

// What a valid cookie ACK's timestamp option restores.
struct SyncookieAckOptions {
  bool tstamp_ok = false;     // the ACK carried timestamps
  uint32_t ts_recent = 0;     // its TSval (Linux req->ts_recent)
  SyncookieTsOptions opts{};  // all false without timestamps
  bool operator==(const SyncookieAckOptions&) const = default;
};

class SynCookies {
 public:
  SynCookies(const KeyedHash& untimed_secret, const KeyedHash& timed_secret)
      : h0_(untimed_secret), h1_(timed_secret) {}
  // Draws both secrets from the stack's Rng (untimed first).
  [[nodiscard]] static SynCookies from_rng(Rng& rng);

  // The cookie ISN for a SYN from tuple.remote with sequence number client_isn and MSS option
  // client_mss (536 if the SYN had none, Linux TCP_MSS_DEFAULT; after TCP_MAXSEG clamping).
  [[nodiscard]] SyncookieIsn encode(const FourTuple& t, wire::SeqNum client_isn,
                                    uint16_t client_mss, Instant now) const;
  // Validates the ACK that completes a cookie handshake: ack_seq and seq exactly as the ACK
  // carries them (cookie + 1 and client_isn + 1). The MSS on success.
  [[nodiscard]] Result<uint16_t, SyncookieError> decode(const FourTuple& t, wire::SeqNum ack_seq,
                                                        wire::SeqNum seq, Instant now) const;

  // The minute counter at `now` (Linux tcp_cookie_time()).
  [[nodiscard]] static uint32_t counter(Instant now);
  // Index into kSyncookieMssTable for a client MSS.
  [[nodiscard]] static uint8_t mss_index(uint16_t client_mss);

  // The same with the counter given directly (tests reach counter values, such as 2^32 − 1,
  // that no Instant can; the benchmark skips the division).
  [[nodiscard]] uint32_t encode_at(const FourTuple& t, uint32_t client_isn, uint8_t mss_index,
                                   uint32_t count) const;
  [[nodiscard]] Result<uint8_t, SyncookieError> decode_at(const FourTuple& t, uint32_t cookie,
                                                          uint32_t client_isn,
                                                          uint32_t count) const;

  // TSval for a cookie SYN+ACK, before the connection's TS offset is added: ts_now is the
  // millisecond TS clock (Linux cookie_init_timestamp).
  [[nodiscard]] static uint32_t encode_ts_options(uint32_t ts_now, const SyncookieTsOptions& o);
  // Decodes the options from a valid cookie ACK (Linux cookie_timestamp_decode, with the
  // offset removal of cookie_tcp_check: ts_off is subtracted from a non-zero TSecr). nullopt
  // means the ACK must be refused: it carries timestamps while tcp_timestamps is off, or
  // restores SACK / window scale while tcp_sack / tcp_window_scaling is off.
  [[nodiscard]] static std::optional<SyncookieAckOptions> decode_ts_options(
      const std::optional<wire::Timestamps>& ack_ts, uint32_t ts_off, bool sysctl_timestamps,
      bool sysctl_sack, bool sysctl_window_scaling);

 private:
  [[nodiscard]] static uint32_t hash(const KeyedHash& h, const FourTuple& t, uint32_t count);

  KeyedHash h0_;
  KeyedHash h1_;
};

// When a listener last answered with a cookie (Linux tcp_synq_overflow(), kept in
// rx_opt.ts_recent_stamp). note() records at most once per second, like Linux.
class SynqOverflowStamp {
 public:
  void note(Instant now);
  // Linux tcp_synq_no_recent_overflow(): true unless a cookie was sent within
  // [now − 120 s, now + 1 s]. A listener skips cookie validation while this is true.
  [[nodiscard]] bool no_recent_overflow(Instant now) const;
  [[nodiscard]] std::optional<Instant> last() const { return last_; }

 private:
  std::optional<Instant> last_;
};

}  // namespace synack::tcp
