// TCP Fast Open (SPEC §13, RFC 7413) as pure decisions, mirroring Linux
// net/ipv4/tcp_fastopen.c: the server's cookies and keys, what a listener does with a SYN
// (tcp_try_fastopen), and what a client puts in its SYN (tcp_fastopen_cookie_check,
// tcp_send_syn_data) and learns from the SYN+ACK (tcp_rcv_fastopen_synack). The engine owns
// the sockets, queues and counters; these functions say what to do and which counter to bump.
//
// Server cookie (Linux __tcp_fastopen_cookie_gen_cipher): SipHash-2-4 over the SYN's source
// then destination IPv4 address (8 bytes, network order) under the 16-byte Fast Open key; the
// cookie is the 64-bit result in little-endian byte order, 8 bytes. SPEC §13.2 says "keyed hash
// of the client address"; Linux hashes the server address too (a cookie is only good for the
// address it was issued on), so cookie_for() takes both. Linux keeps a primary and an optional
// backup key for rotation: cookies are issued under the primary, accepted under either; a SYN
// accepted under the backup key gets a fresh primary-key cookie in its SYN+ACK.
//
// The key (net.ipv4.tcp_fastopen_key, stack/sysctl.h): four 32-bit words printed
// "%08x-%08x-%08x-%08x"; Linux stores word i as the little-endian bytes 4i..4i+3 of the key
// (proc_tcp_fastopen_key: cpu_to_le32), which is exactly libsodium's SipHash key layout. An
// all-zero primary key is what Linux prints before any key exists; Linux then draws a random
// key at first use (tcp_fastopen_init_key_once) — from_sysctl() draws it from the stack's Rng.
//
// Single-threaded like the rest of the core; no allocation, no clock.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "base/keyed_hash.h"
#include "tcp/fastopen_cache.h"
#include "wire/ipv4_address.h"
#include "wire/tcp_segment.h"

namespace synack {
class Rng;
}

namespace synack::tcp {

// net.ipv4.tcp_fastopen bits (SPEC §13.1; Linux TFO_* in include/net/tcp.h).
namespace tfo {
inline constexpr uint32_t kClientEnable = 0x1;
inline constexpr uint32_t kServerEnable = 0x2;
inline constexpr uint32_t kClientNoCookie = 0x4;         // client sends SYN data without cookie
inline constexpr uint32_t kServerCookieNotReqd = 0x200;  // server accepts SYN data w/o cookie
inline constexpr uint32_t kServerWoSockopt1 = 0x400;     // every listener, no TCP_FASTOPEN needed
}  // namespace tfo

inline constexpr uint8_t kFastOpenCookieSize = 8;  // Linux TCP_FASTOPEN_COOKIE_SIZE

// --- keys ---------------------------------------------------------------------------------------

// The key from four sysctl words (each 0..0xFFFFFFFF), and back.
[[nodiscard]] KeyedHash::Key fastopen_key_from_words(std::span<const int64_t> four_words);
[[nodiscard]] std::array<int64_t, 4> fastopen_key_to_words(const KeyedHash::Key& key);

class FastOpenServer {
 public:
  enum class Match : uint8_t { kNone, kPrimary, kBackup };

  explicit FastOpenServer(const KeyedHash::Key& primary,
                          const std::optional<KeyedHash::Key>& backup = std::nullopt);
  // From net.ipv4.tcp_fastopen_key's words (4, or 8 with a backup key). All-zero primary: a
  // random key from rng (the backup words are then ignored, as no key was configured).
  [[nodiscard]] static FastOpenServer from_sysctl(std::span<const int64_t> words, Rng& rng);

  // The cookie the server hands out to `client` connecting to `server` (primary key).
  [[nodiscard]] wire::FastOpenCookie cookie_for(wire::Ipv4Address client,
                                                wire::Ipv4Address server) const;
  // Which key, if any, issued `cookie` (Linux tcp_fastopen_cookie_gen_check). The experimental
  // flag is ignored: it only says which option kind carried the cookie.
  [[nodiscard]] Match validate(wire::Ipv4Address client, wire::Ipv4Address server,
                               const wire::FastOpenCookie& cookie) const;

  [[nodiscard]] const KeyedHash::Key& primary_key() const { return primary_.key(); }
  [[nodiscard]] std::optional<KeyedHash::Key> backup_key() const;
  // The sysctl words for the keys in use (4 or 8), to write back so `sysctl` shows them.
  [[nodiscard]] std::array<int64_t, 8> to_words() const;
  [[nodiscard]] bool has_backup() const { return has_backup_; }

 private:
  [[nodiscard]] static wire::FastOpenCookie make(const KeyedHash& key, wire::Ipv4Address client,
                                                 wire::Ipv4Address server);
  KeyedHash primary_;
  KeyedHash backup_;
  bool has_backup_ = false;
};

// --- server: a SYN arrives at a listener ---------------------------------------------------------

// The listener's TCP_FASTOPEN queue limit (Linux fastopenq.max_qlen; 0 = no Fast Open on this
// listener): setsockopt(TCP_FASTOPEN, n) sets min(n, somaxconn); at listen(), with tcp_fastopen
// having 0x400 and 0x2 and no limit set yet, min(backlog, somaxconn) (inet_listen,
// fastopen_queue_tune).
[[nodiscard]] uint32_t fastopen_max_qlen(uint32_t sysctl, std::optional<uint32_t> sockopt_qlen,
                                         uint32_t backlog, uint32_t somaxconn);

struct FastOpenListener {
  uint32_t max_qlen = 0;  // fastopen_max_qlen()
  uint32_t qlen = 0;      // Fast Open children not yet past SYN-RECEIVED (Linux fastopenq.qlen)
  // The oldest Fast Open request that was reset while pending has outlived its timer, so it can
  // be reclaimed to make room (Linux fastopenq.rskq_rst_head).
  bool oldest_reset_expired = false;
  bool no_cookie = false;  // TCP_FASTOPEN_NO_COOKIE on the listener (or on the route)
};

struct FastOpenSyn {
  // The SYN occupies more than one sequence number: payload, or FIN (Linux syn_data:
  // end_seq != seq + 1).
  bool has_data = false;
  std::optional<wire::FastOpenCookie> cookie{};  // as parsed; len 0 = cookie request
};

struct FastOpenSynDecision {
  // Create the Fast Open child now (Linux tcp_fastopen_create_child): it takes the SYN's data
  // (if any; a data-less SYN with a valid cookie gets a child too) into its receive queue,
  // delivered at accept() (SPEC §13.2); it goes straight to the accept queue and counts in the
  // listener's qlen; the SYN+ACK acknowledges the data. If the child cannot be created the
  // listener counts TCPFastOpenPassiveFail and carries on as a normal request.
  bool create_child = false;
  // The cookie to put in the SYN+ACK (same option kind as the SYN's).
  std::optional<wire::FastOpenCookie> synack_cookie{};
  // Drop the expired oldest reset request first (qlen − 1).
  bool reclaim_oldest_reset = false;
  // Counters to increment.
  bool count_cookie_reqd = false;      // TCPFastOpenCookieReqd
  bool count_passive = false;          // TCPFastOpenPassive
  bool count_passive_fail = false;     // TCPFastOpenPassiveFail
  bool count_listen_overflow = false;  // TCPFastOpenListenOverflow
  bool count_passive_alt_key = false;  // TCPFastOpenPassiveAltKey
  bool operator==(const FastOpenSynDecision&) const = default;
};

// Linux tcp_try_fastopen(). Not called for a SYN answered with a SYN cookie: Linux does not even
// parse the Fast Open option then (tcp_conn_request), so such a SYN counts nothing here.
[[nodiscard]] FastOpenSynDecision fastopen_on_syn(uint32_t sysctl, const FastOpenListener& l,
                                                  const FastOpenSyn& syn,
                                                  const FastOpenServer& keys,
                                                  wire::Ipv4Address client,
                                                  wire::Ipv4Address server);

// --- client: connect() with Fast Open ------------------------------------------------------------

// sendto(MSG_FASTOPEN) and setsockopt(TCP_FASTOPEN_CONNECT) need bit 0x1, else EOPNOTSUPP.
[[nodiscard]] constexpr bool fastopen_client_enabled(uint32_t sysctl) {
  return (sysctl & tfo::kClientEnable) != 0;
}

enum class FastOpenSynKind : uint8_t {
  kPlain,           // no Fast Open option, no data (TFO disabled for now)
  kCookieRequest,   // empty Fast Open option, no data
  kDataWithCookie,  // the cached cookie and data
  kDataNoCookie,    // data without a cookie (0x4 or TCP_FASTOPEN_NO_COOKIE)
};

struct FastOpenClientContext {
  uint32_t sysctl = tfo::kClientEnable;
  bool socket_no_cookie = false;  // TCP_FASTOPEN_NO_COOKIE on the socket
  bool active_disabled = false;   // Linux's global blackhole back-off is in force
  uint16_t advmss = 1460;         // the MSS to assume when none is cached
  // Older Linux (before 6.x) also stopped Fast Open to one destination after repeated SYN
  // losses: syn_loss > 1 and now < last_syn_loss + (60 s << syn_loss). Off = Linux 6.x, which
  // records the losses but no longer acts on them.
  bool syn_loss_backoff = false;
};

struct FastOpenClientPlan {
  FastOpenSynKind kind = FastOpenSynKind::kPlain;
  std::optional<wire::FastOpenCookie> option{};  // the SYN's Fast Open option (len 0 = request)
  uint16_t mss_clamp = 0;  // cached server MSS, else advmss: sizes the SYN's data
  // TCP_FASTOPEN_CONNECT: connect() returns at once and the SYN waits for the first write
  // (Linux tcp_fastopen_defer_connect) — exactly when the SYN will carry data.
  [[nodiscard]] bool defer_connect() const {
    return kind == FastOpenSynKind::kDataWithCookie || kind == FastOpenSynKind::kDataNoCookie;
  }
  bool operator==(const FastOpenClientPlan&) const = default;
};

// What the first SYN of a Fast Open connect carries (tcp_send_syn_data with
// tcp_fastopen_cookie_check). Call only when the application asked for Fast Open; a
// retransmitted SYN never carries the option or data (Linux clears fo->cookie after the first).
[[nodiscard]] FastOpenClientPlan plan_fastopen_syn(const FastOpenClientContext& c,
                                                   const std::optional<FastOpenCacheEntry>& cached,
                                                   Instant now);

// Bytes of application data the SYN may carry: min(pmtu − 40, mss_clamp) − 40, the 40 being
// MAX_TCP_OPTION_SPACE reserved for options (Linux tcp_send_syn_data), at most `available`.
[[nodiscard]] uint32_t fastopen_syn_data_space(uint32_t pmtu, uint16_t mss_clamp,
                                               uint32_t available);

struct FastOpenSynAck {
  bool syn_fastopen = false;                     // the first SYN was planned by plan_fastopen_syn()
  bool syn_exp = false;                          // ... and its option used the experimental kind
  bool syn_data = false;                         // ... and carried data
  bool data_acked = false;                       // the SYN+ACK acknowledges all of that data
  bool syn_retransmitted = false;                // a SYN was retransmitted before this SYN+ACK
  std::optional<wire::FastOpenCookie> cookie{};  // in the SYN+ACK (valid lengths only)
  uint16_t mss = 0;                              // the SYN+ACK's MSS (0 if none)
};

struct FastOpenSynAckOutcome {
  // Arguments for FastOpenClientCache::set() (Linux tcp_fastopen_cache_set).
  std::optional<wire::FastOpenCookie> cache_cookie{};
  uint16_t cache_mss = 0;
  bool cache_syn_lost = false;
  uint8_t cache_try_exp = 0;
  bool retransmit_data = false;    // SYN data not acknowledged: send it again now
  bool count_active = false;       // TCPFastOpenActive
  bool count_active_fail = false;  // TCPFastOpenActiveFail
  bool operator==(const FastOpenSynAckOutcome&) const = default;
};

// Linux tcp_rcv_fastopen_synack(), for a client whose SYN was syn_fastopen or carried data.
[[nodiscard]] FastOpenSynAckOutcome fastopen_on_synack(const FastOpenSynAck& s);

}  // namespace synack::tcp
