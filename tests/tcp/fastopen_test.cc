// TCP Fast Open (SPEC §13): keys and cookies as Linux makes them, the listener's SYN decision
// (tcp_try_fastopen), the client's SYN plan and SYN+ACK handling, the client cookie cache.
#include "tcp/fastopen.h"

#include <gtest/gtest.h>

#include <array>
#include <list>
#include <map>
#include <numeric>
#include <utility>

#include "base/rng.h"
#include "stack/sysctl.h"
#include "tcp/fastopen_cache.h"

namespace synack::tcp {
namespace {

using namespace synack::literals;
using wire::FastOpenCookie;
using wire::Ipv4Address;

const Ipv4Address kClient = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address kServer = Ipv4Address::from_octets(10, 0, 0, 2);

KeyedHash::Key key(uint8_t first) {
  KeyedHash::Key k{};
  std::iota(k.begin(), k.end(), first);
  return k;
}

FastOpenCookie cookie_of(std::initializer_list<uint8_t> bytes, bool exp = false) {
  FastOpenCookie c;
  std::copy(bytes.begin(), bytes.end(), c.bytes.begin());
  c.len = static_cast<uint8_t>(bytes.size());
  c.experimental = exp;
  return c;
}

FastOpenCookie request(bool exp = false) {
  FastOpenCookie c;
  c.experimental = exp;
  return c;
}

constexpr Instant at(Duration d) {
  return Instant::zero() + d;
}

// --- keys and cookies ----------------------------------------------------------------------------

TEST(FastOpenKey, SysctlWordsAreLittleEndianKeyBytes) {
  // Linux proc_tcp_fastopen_key: word i = le32 of key bytes 4i..4i+3.
  const std::array<int64_t, 4> words{0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c};
  EXPECT_EQ(fastopen_key_from_words(words), key(0));
  EXPECT_EQ(fastopen_key_to_words(key(0)), words);
}

TEST(FastOpenKey, CookieMatchesLinuxForAKnownKey) {
  // Key 00..0f written as Linux prints it; client 0.1.2.3, server 4.5.6.7, so SipHash-2-4 runs
  // over the 8 bytes 00..07 — the SipHash paper's test vector for that message is
  // 0x93f5f5799a932462 (also recomputed with an independent Python SipHash while writing
  // this test), and Linux stores it little-endian as the 8-byte cookie.
  stack::Sysctls sys;
  ASSERT_TRUE(sys.set("net.ipv4.tcp_fastopen_key", "03020100-07060504-0b0a0908-0f0e0d0c"));
  Rng rng{1};
  const FastOpenServer server =
      FastOpenServer::from_sysctl(sys.values(stack::SysctlId::kTcpFastopenKey), rng);
  EXPECT_EQ(server.primary_key(), key(0));
  EXPECT_FALSE(server.has_backup());
  EXPECT_EQ(
      server.cookie_for(Ipv4Address::from_octets(0, 1, 2, 3), Ipv4Address::from_octets(4, 5, 6, 7)),
      cookie_of({0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93}));
}

TEST(FastOpenKey, BackupKeyFromTheSysctl) {
  stack::Sysctls sys;
  ASSERT_TRUE(sys.set("net.ipv4.tcp_fastopen_key",
                      "03020100-07060504-0b0a0908-0f0e0d0c,13121110-17161514-1b1a1918-1f1e1d1c"));
  Rng rng{1};
  const FastOpenServer server =
      FastOpenServer::from_sysctl(sys.values(stack::SysctlId::kTcpFastopenKey), rng);
  ASSERT_TRUE(server.has_backup());
  EXPECT_EQ(*server.backup_key(), key(0x10));
  const std::array<int64_t, 8> words{0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c,
                                     0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c};
  EXPECT_EQ(server.to_words(), words);
}

TEST(FastOpenKey, UnsetKeyIsDrawnFromTheRng) {
  const stack::Sysctls sys;  // default: all-zero key, what Linux prints before first use
  Rng a{7};
  Rng b{7};
  Rng c{8};
  const auto words = sys.values(stack::SysctlId::kTcpFastopenKey);
  const FastOpenServer sa = FastOpenServer::from_sysctl(words, a);
  const FastOpenServer sb = FastOpenServer::from_sysctl(words, b);
  const FastOpenServer sc = FastOpenServer::from_sysctl(words, c);
  EXPECT_NE(sa.primary_key(), KeyedHash::Key{});
  EXPECT_EQ(sa.primary_key(), sb.primary_key());  // reproducible from the seed
  EXPECT_NE(sa.primary_key(), sc.primary_key());
}

TEST(FastOpenKey, ValidateUnderPrimaryAndBackup) {
  const FastOpenServer old_keys{key(0x10)};
  const FastOpenServer rotated{key(0), key(0x10)};
  const FastOpenCookie fresh = rotated.cookie_for(kClient, kServer);
  const FastOpenCookie stale = old_keys.cookie_for(kClient, kServer);
  EXPECT_EQ(fresh.len, 8);
  EXPECT_NE(fresh, stale);
  EXPECT_EQ(rotated.validate(kClient, kServer, fresh), FastOpenServer::Match::kPrimary);
  EXPECT_EQ(rotated.validate(kClient, kServer, stale), FastOpenServer::Match::kBackup);
  EXPECT_EQ(FastOpenServer{key(0)}.validate(kClient, kServer, stale), FastOpenServer::Match::kNone);
  // Bound to both addresses.
  const Ipv4Address other = Ipv4Address::from_octets(10, 0, 0, 9);
  EXPECT_EQ(rotated.validate(other, kServer, fresh), FastOpenServer::Match::kNone);
  EXPECT_EQ(rotated.validate(kClient, other, fresh), FastOpenServer::Match::kNone);
  // A truncated cookie, an empty one, one flipped bit.
  FastOpenCookie shorter = fresh;
  shorter.len = 4;
  EXPECT_EQ(rotated.validate(kClient, kServer, shorter), FastOpenServer::Match::kNone);
  EXPECT_EQ(rotated.validate(kClient, kServer, request()), FastOpenServer::Match::kNone);
  FastOpenCookie flipped = fresh;
  flipped.bytes[7] ^= 0x80;
  EXPECT_EQ(rotated.validate(kClient, kServer, flipped), FastOpenServer::Match::kNone);
  // The option kind does not matter.
  FastOpenCookie exp = fresh;
  exp.experimental = true;
  EXPECT_EQ(rotated.validate(kClient, kServer, exp), FastOpenServer::Match::kPrimary);
}

// --- the listener's queue limit
// --------------------------------------------------------------------

TEST(FastOpenServer, MaxQlenFromSockoptOrListen) {
  // setsockopt(TCP_FASTOPEN, n): min(n, somaxconn).
  EXPECT_EQ(fastopen_max_qlen(0x3, 16, 128, 4096), 16u);
  EXPECT_EQ(fastopen_max_qlen(0x3, 10000, 128, 4096), 4096u);
  // No socket option: no Fast Open on this listener ...
  EXPECT_EQ(fastopen_max_qlen(0x3, std::nullopt, 128, 4096), 0u);
  // ... unless 0x400 and 0x2: then listen()'s backlog, capped by somaxconn.
  EXPECT_EQ(fastopen_max_qlen(0x403, std::nullopt, 511, 4096), 511u);
  EXPECT_EQ(fastopen_max_qlen(0x402, std::nullopt, 10000, 4096), 4096u);
  EXPECT_EQ(fastopen_max_qlen(0x400, std::nullopt, 511, 4096), 0u);
  // 0x400 replaces a zero limit but keeps a set one.
  EXPECT_EQ(fastopen_max_qlen(0x402, 0, 511, 4096), 511u);
  EXPECT_EQ(fastopen_max_qlen(0x402, 5, 511, 4096), 5u);
}

// --- the listener's SYN decision ---------------------------------------------------------------

struct SynCase {
  FastOpenServer keys{key(0), key(0x10)};
  uint32_t sysctl = tfo::kClientEnable | tfo::kServerEnable;
  FastOpenListener listener{.max_qlen = 16};
  FastOpenSynDecision run(bool data, std::optional<FastOpenCookie> c) const {
    return fastopen_on_syn(sysctl, listener, FastOpenSyn{.has_data = data, .cookie = c}, keys,
                           kClient, kServer);
  }
  FastOpenCookie valid() const { return keys.cookie_for(kClient, kServer); }
  FastOpenCookie backup() const { return FastOpenServer{key(0x10)}.cookie_for(kClient, kServer); }
};

TEST(FastOpenServer, CookieRequestGetsACookie) {
  SynCase s;
  EXPECT_EQ(s.run(false, request()),
            (FastOpenSynDecision{.synack_cookie = s.valid(), .count_cookie_reqd = true}));
  FastOpenCookie exp = s.valid();
  exp.experimental = true;
  EXPECT_EQ(s.run(false, request(true)),
            (FastOpenSynDecision{.synack_cookie = exp, .count_cookie_reqd = true}));
  // A request with data: the data is not accepted (no cookie yet), the cookie is sent.
  EXPECT_EQ(s.run(true, request()),
            (FastOpenSynDecision{.synack_cookie = s.valid(), .count_cookie_reqd = true}));
}

TEST(FastOpenServer, ValidCookieAcceptsTheData) {
  SynCase s;
  const FastOpenSynDecision ok{.create_child = true, .count_passive = true};
  EXPECT_EQ(s.run(true, s.valid()), ok);
  // Linux creates the child for a data-less SYN with a valid cookie too.
  EXPECT_EQ(s.run(false, s.valid()), ok);
}

TEST(FastOpenServer, BackupKeyCookieIsAcceptedAndReplaced) {
  SynCase s;
  EXPECT_EQ(s.run(true, s.backup()), (FastOpenSynDecision{.create_child = true,
                                                          .synack_cookie = s.valid(),
                                                          .count_passive = true,
                                                          .count_passive_alt_key = true}));
}

TEST(FastOpenServer, BadCookieFallsBackAndTeachesTheRightOne) {
  SynCase s;
  FastOpenCookie bad = s.valid();
  bad.bytes[0] ^= 1;
  EXPECT_EQ(s.run(true, bad),
            (FastOpenSynDecision{.synack_cookie = s.valid(), .count_passive_fail = true}));
}

TEST(FastOpenServer, NoFastOpenCases) {
  SynCase s;
  const FastOpenSynDecision nothing{};
  EXPECT_EQ(s.run(true, std::nullopt), nothing);   // data without a cookie: ignored
  EXPECT_EQ(s.run(false, std::nullopt), nothing);  // plain SYN
  // Server bit off: a request is still counted (Linux counts before any check), nothing else.
  s.sysctl = tfo::kClientEnable;
  EXPECT_EQ(s.run(false, request()), (FastOpenSynDecision{.count_cookie_reqd = true}));
  EXPECT_EQ(s.run(true, s.valid()), nothing);
  // Listener without TCP_FASTOPEN (max_qlen 0).
  s.sysctl = 0x3;
  s.listener.max_qlen = 0;
  EXPECT_EQ(s.run(false, request()), (FastOpenSynDecision{.count_cookie_reqd = true}));
  EXPECT_EQ(s.run(true, s.valid()), nothing);
}

TEST(FastOpenServer, FullQueueOverflowsUnlessAResetRequestExpired) {
  SynCase s;
  s.listener.qlen = 16;
  EXPECT_EQ(s.run(true, s.valid()), (FastOpenSynDecision{.count_listen_overflow = true}));
  EXPECT_EQ(s.run(false, request()),
            (FastOpenSynDecision{.count_cookie_reqd = true, .count_listen_overflow = true}));
  // A plain SYN does not reach the queue check.
  EXPECT_EQ(s.run(false, std::nullopt), FastOpenSynDecision{});
  s.listener.qlen = 15;
  EXPECT_EQ(s.run(true, s.valid()),
            (FastOpenSynDecision{.create_child = true, .count_passive = true}));
  s.listener.qlen = 16;
  s.listener.oldest_reset_expired = true;
  EXPECT_EQ(s.run(true, s.valid()),
            (FastOpenSynDecision{
                .create_child = true, .reclaim_oldest_reset = true, .count_passive = true}));
}

TEST(FastOpenServer, CookieNotRequired) {
  for (bool via_socket : {false, true}) {
    SCOPED_TRACE(via_socket);
    SynCase s;
    if (via_socket) {
      s.listener.no_cookie = true;
    } else {
      s.sysctl |= tfo::kServerCookieNotReqd;
    }
    const FastOpenSynDecision child{.create_child = true, .count_passive = true};
    EXPECT_EQ(s.run(true, std::nullopt), child);
    FastOpenCookie bad = s.valid();
    bad.bytes[3] ^= 4;
    EXPECT_EQ(s.run(true, bad), child);  // not even checked
    FastOpenSynDecision req = child;     // a request: child, counted, but no cookie sent
    req.count_cookie_reqd = true;
    EXPECT_EQ(s.run(false, request()), req);
    EXPECT_EQ(s.run(false, std::nullopt), FastOpenSynDecision{});  // plain SYN stays plain
    s.listener.qlen = 16;
    EXPECT_EQ(s.run(true, std::nullopt), (FastOpenSynDecision{.count_listen_overflow = true}));
  }
}

// --- the client -------------------------------------------------------------------------------

TEST(FastOpenClient, EnabledBit) {
  EXPECT_TRUE(fastopen_client_enabled(0x1));
  EXPECT_TRUE(fastopen_client_enabled(0x7));
  EXPECT_FALSE(fastopen_client_enabled(0x2));
  EXPECT_FALSE(fastopen_client_enabled(0x0));
}

TEST(FastOpenClient, PlanWithoutACookieRequestsOne) {
  const FastOpenClientPlan p = plan_fastopen_syn({}, std::nullopt, at(0_s));
  EXPECT_EQ(p,
            (FastOpenClientPlan{
                .kind = FastOpenSynKind::kCookieRequest, .option = request(), .mss_clamp = 1460}));
  EXPECT_FALSE(p.defer_connect());
}

TEST(FastOpenClient, PlanWithACookieSendsData) {
  const FastOpenCookie c = cookie_of({1, 2, 3, 4, 5, 6, 7, 8});
  const FastOpenCacheEntry e{.cookie = c, .mss = 1400};
  const FastOpenClientPlan p = plan_fastopen_syn({}, e, at(0_s));
  EXPECT_EQ(p, (FastOpenClientPlan{
                   .kind = FastOpenSynKind::kDataWithCookie, .option = c, .mss_clamp = 1400}));
  EXPECT_TRUE(p.defer_connect());
}

TEST(FastOpenClient, PlanWithoutCookieMode) {
  const FastOpenCacheEntry e{.cookie = cookie_of({1, 2, 3, 4})};
  const FastOpenClientPlan want{.kind = FastOpenSynKind::kDataNoCookie, .mss_clamp = 1460};
  EXPECT_EQ(plan_fastopen_syn({.sysctl = 0x5}, e, at(0_s)), want);
  EXPECT_EQ(plan_fastopen_syn({.sysctl = 0x5}, std::nullopt, at(0_s)), want);
  EXPECT_EQ(plan_fastopen_syn({.socket_no_cookie = true}, std::nullopt, at(0_s)), want);
}

TEST(FastOpenClient, PlanWhileDisabledIsPlain) {
  const FastOpenCacheEntry e{.cookie = cookie_of({1, 2, 3, 4}), .mss = 1300};
  EXPECT_EQ(plan_fastopen_syn({.active_disabled = true}, e, at(0_s)),
            (FastOpenClientPlan{.kind = FastOpenSynKind::kPlain, .mss_clamp = 1300}));
}

TEST(FastOpenClient, OlderLinuxSynLossBackoff) {
  // syn_loss 2 at 100 s: plain SYNs until 100 s + (60 s << 2) = 340 s.
  const FastOpenCacheEntry e{
      .cookie = cookie_of({1, 2, 3, 4}), .syn_loss = 2, .last_syn_loss = at(100_s)};
  const FastOpenClientContext older{.syn_loss_backoff = true};
  EXPECT_EQ(plan_fastopen_syn(older, e, at(339_s)).kind, FastOpenSynKind::kPlain);
  EXPECT_EQ(plan_fastopen_syn(older, e, at(340_s)).kind, FastOpenSynKind::kDataWithCookie);
  // Linux 6.x ignores the count.
  EXPECT_EQ(plan_fastopen_syn({}, e, at(101_s)).kind, FastOpenSynKind::kDataWithCookie);
  // One loss is not "recurring".
  FastOpenCacheEntry once = e;
  once.syn_loss = 1;
  EXPECT_EQ(plan_fastopen_syn(older, once, at(101_s)).kind, FastOpenSynKind::kDataWithCookie);
}

TEST(FastOpenClient, SynDataSpace) {
  EXPECT_EQ(fastopen_syn_data_space(1500, 1460, 100000), 1420u);  // 1460 - 40 option bytes
  EXPECT_EQ(fastopen_syn_data_space(1500, 1400, 100000), 1360u);  // cached server MSS
  EXPECT_EQ(fastopen_syn_data_space(576, 1460, 100000), 496u);    // path MTU 576
  EXPECT_EQ(fastopen_syn_data_space(1500, 1460, 100), 100u);
  EXPECT_EQ(fastopen_syn_data_space(1500, 20, 100000), 8u);  // TCP_MIN_SND_MSS 48 - 40
}

TEST(FastOpenClient, SynAckAnsweringARequest) {
  const FastOpenCookie c = cookie_of({9, 8, 7, 6, 5, 4, 3, 2});
  EXPECT_EQ(fastopen_on_synack({.syn_fastopen = true, .cookie = c, .mss = 1460}),
            (FastOpenSynAckOutcome{.cache_cookie = c, .cache_mss = 1460}));
  // Unanswered: try the experimental kind next, then back to kind 34.
  EXPECT_EQ(fastopen_on_synack({.syn_fastopen = true, .mss = 1460}),
            (FastOpenSynAckOutcome{.cache_mss = 1460, .cache_try_exp = 1}));
  EXPECT_EQ(fastopen_on_synack({.syn_fastopen = true, .syn_exp = true, .mss = 1460}),
            (FastOpenSynAckOutcome{.cache_mss = 1460, .cache_try_exp = 2}));
  // An unsolicited cookie is ignored.
  EXPECT_EQ(fastopen_on_synack({.cookie = c, .mss = 536}),
            (FastOpenSynAckOutcome{.cache_mss = 536}));
}

TEST(FastOpenClient, SynAckForSynData) {
  const FastOpenCookie c = cookie_of({9, 8, 7, 6, 5, 4, 3, 2});
  EXPECT_EQ(
      fastopen_on_synack({.syn_fastopen = true, .syn_data = true, .data_acked = true, .mss = 1460}),
      (FastOpenSynAckOutcome{.cache_mss = 1460, .count_active = true}));
  // Bad cookie at the server: data not acked, a new cookie offered.
  EXPECT_EQ(fastopen_on_synack({.syn_fastopen = true, .syn_data = true, .cookie = c, .mss = 1460}),
            (FastOpenSynAckOutcome{.cache_cookie = c,
                                   .cache_mss = 1460,
                                   .retransmit_data = true,
                                   .count_active_fail = true}));
  // The SYN was retransmitted and the answer neither acks the data nor has a cookie: the
  // SYN with data was probably lost (or dropped by a middlebox).
  EXPECT_EQ(fastopen_on_synack({.syn_fastopen = true, .syn_data = true, .syn_retransmitted = true}),
            (FastOpenSynAckOutcome{
                .cache_syn_lost = true, .retransmit_data = true, .count_active_fail = true}));
  // Retransmitted but acked: not a loss.
  EXPECT_EQ(
      fastopen_on_synack(
          {.syn_fastopen = true, .syn_data = true, .data_acked = true, .syn_retransmitted = true}),
      (FastOpenSynAckOutcome{.count_active = true}));
}

// --- the client cache ----------------------------------------------------------------------------

Ipv4Address server_n(uint32_t n) {
  return Ipv4Address{0xC0A80000u + n};
}

TEST(FastOpenCache, StoresAndUpdatesLikeLinux) {
  FastOpenClientCache cache{4, KeyedHash{key(0)}};
  EXPECT_FALSE(cache.get(kClient, kServer).has_value());
  const FastOpenCookie c = cookie_of({1, 2, 3, 4, 5, 6, 7, 8});
  cache.set(kClient, kServer, 1400, c, false, 0, at(1_s));
  EXPECT_EQ(cache.get(kClient, kServer), (FastOpenCacheEntry{.cookie = c, .mss = 1400}));
  // No cookie and no MSS in a later SYN+ACK keep what is known.
  cache.set(kClient, kServer, 0, std::nullopt, false, 0, at(2_s));
  cache.set(kClient, kServer, 0, request(), false, 0, at(2_s));
  EXPECT_EQ(cache.get(kClient, kServer), (FastOpenCacheEntry{.cookie = c, .mss = 1400}));
  // try_exp is not raised while a cookie is known.
  cache.set(kClient, kServer, 0, std::nullopt, false, 1, at(3_s));
  EXPECT_EQ(cache.get(kClient, kServer)->try_exp, 0);
  // Another local address is another entry.
  EXPECT_FALSE(cache.get(Ipv4Address::from_octets(10, 0, 0, 7), kServer).has_value());
}

TEST(FastOpenCache, TryExpSequence) {
  FastOpenClientCache cache{4, KeyedHash{key(0)}};
  cache.set(kClient, kServer, 1460, std::nullopt, false, 1, at(1_s));
  auto e = cache.get(kClient, kServer);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->try_exp, 1);
  EXPECT_EQ(e->cookie, request(true));  // the next request uses kind 254
  EXPECT_EQ(plan_fastopen_syn({}, e, at(1_s)).option, request(true));
  cache.set(kClient, kServer, 1460, std::nullopt, false, 2, at(2_s));
  e = cache.get(kClient, kServer);
  EXPECT_EQ(e->try_exp, 2);
  EXPECT_EQ(e->cookie, request(false));  // back to kind 34 for good
  cache.set(kClient, kServer, 1460, std::nullopt, false, 1, at(3_s));
  EXPECT_EQ(cache.get(kClient, kServer)->try_exp, 2);
}

TEST(FastOpenCache, SynLossCountsAndResets) {
  FastOpenClientCache cache{4, KeyedHash{key(0)}};
  cache.set(kClient, kServer, 0, std::nullopt, true, 0, at(5_s));
  cache.set(kClient, kServer, 0, std::nullopt, true, 0, at(9_s));
  auto e = cache.get(kClient, kServer);
  EXPECT_EQ(e->syn_loss, 2);
  EXPECT_EQ(e->last_syn_loss, at(9_s));
  cache.set(kClient, kServer, 0, std::nullopt, false, 0, at(10_s));
  EXPECT_EQ(cache.get(kClient, kServer)->syn_loss, 0);
}

TEST(FastOpenCache, EvictsTheLeastRecentlyUsed) {
  FastOpenClientCache cache{3, KeyedHash{key(0)}};
  for (uint32_t n = 1; n <= 3; ++n)
    cache.set(kClient, server_n(n), static_cast<uint16_t>(1000 + n), std::nullopt, false, 0,
              at(1_s));
  ASSERT_TRUE(cache.get(kClient, server_n(1)));  // 1 is now the most recent; 2 the least
  cache.set(kClient, server_n(4), 1004, std::nullopt, false, 0, at(2_s));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.get(kClient, server_n(2)).has_value());
  EXPECT_EQ(cache.get(kClient, server_n(1))->mss, 1001);
  EXPECT_EQ(cache.get(kClient, server_n(3))->mss, 1003);
  EXPECT_EQ(cache.get(kClient, server_n(4))->mss, 1004);
  // Recency is now 4, 3, 1 (most recent first). An update refreshes too: set(1) makes it
  // 1, 4, 3, so the next new entry evicts 3.
  cache.set(kClient, server_n(1), 0, std::nullopt, false, 0, at(3_s));
  cache.set(kClient, server_n(5), 1005, std::nullopt, false, 0, at(3_s));
  EXPECT_FALSE(cache.get(kClient, server_n(3)).has_value());
  EXPECT_TRUE(cache.get(kClient, server_n(1)).has_value());
  EXPECT_TRUE(cache.erase(kClient, server_n(4)));
  EXPECT_FALSE(cache.erase(kClient, server_n(4)));
  EXPECT_EQ(cache.size(), 2u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.get(kClient, server_n(5)).has_value());
}

TEST(FastOpenCache, MatchesAReferenceLruUnderRandomOperations) {
  const uint64_t seed = 0xC00C1E;
  Rng rng{seed};
  constexpr size_t kCap = 8;
  FastOpenClientCache cache{kCap, KeyedHash{key(3)}};
  std::list<uint32_t> order;  // front = most recent
  std::map<uint32_t, uint16_t> mss;
  for (int step = 0; step < 20000; ++step) {
    SCOPED_TRACE(testing::Message() << "seed " << seed << " step " << step);
    const auto n = static_cast<uint32_t>(rng.below(20));
    const uint64_t op = rng.below(10);
    if (op < 4) {
      auto got = cache.get(kClient, server_n(n));
      ASSERT_EQ(got.has_value(), mss.count(n) == 1);
      if (got) {
        ASSERT_EQ(got->mss, mss[n]);
        order.remove(n);
        order.push_front(n);
      }
    } else if (op < 9) {
      const auto m = static_cast<uint16_t>(536 + rng.below(1000));
      cache.set(kClient, server_n(n), m, std::nullopt, false, 0, at(1_s));
      if (mss.count(n) == 0 && mss.size() == kCap) {
        mss.erase(order.back());
        order.pop_back();
      }
      mss[n] = m;
      order.remove(n);
      order.push_front(n);
    } else {
      ASSERT_EQ(cache.erase(kClient, server_n(n)), mss.erase(n) == 1);
      order.remove(n);
    }
    ASSERT_EQ(cache.size(), mss.size());
  }
}

// --- the whole exchange
// ----------------------------------------------------------------------------

TEST(FastOpenExchange, RequestThenDataInSyn) {
  const FastOpenServer keys{key(0x40)};
  const uint32_t server_sysctl = 0x3;
  const FastOpenListener listener{.max_qlen = 8};
  FastOpenClientCache cache{16, KeyedHash{key(1)}};

  // First connect: no cookie known, so a request.
  FastOpenClientPlan p = plan_fastopen_syn({}, cache.get(kClient, kServer), at(0_s));
  ASSERT_EQ(p.kind, FastOpenSynKind::kCookieRequest);
  FastOpenSynDecision d =
      fastopen_on_syn(server_sysctl, listener, {.cookie = p.option}, keys, kClient, kServer);
  ASSERT_TRUE(d.synack_cookie);
  EXPECT_FALSE(d.create_child);
  FastOpenSynAckOutcome o =
      fastopen_on_synack({.syn_fastopen = true, .cookie = d.synack_cookie, .mss = 1460});
  cache.set(kClient, kServer, o.cache_mss, o.cache_cookie, o.cache_syn_lost, o.cache_try_exp,
            at(0_s));

  // Second connect: data in the SYN with the cookie, accepted by the server.
  p = plan_fastopen_syn({}, cache.get(kClient, kServer), at(1_s));
  ASSERT_EQ(p.kind, FastOpenSynKind::kDataWithCookie);
  EXPECT_EQ(p.option, keys.cookie_for(kClient, kServer));
  d = fastopen_on_syn(server_sysctl, listener, {.has_data = true, .cookie = p.option}, keys,
                      kClient, kServer);
  EXPECT_TRUE(d.create_child);
  EXPECT_TRUE(d.count_passive);
  o = fastopen_on_synack({.syn_fastopen = true, .syn_data = true, .data_acked = true, .mss = 1460});
  EXPECT_TRUE(o.count_active);

  // The server rotates its key without keeping the old one: the stale cookie fails, the data
  // is retransmitted after the handshake, and the client learns the new cookie.
  const FastOpenServer rotated{key(0x50)};
  d = fastopen_on_syn(server_sysctl, listener, {.has_data = true, .cookie = p.option}, rotated,
                      kClient, kServer);
  EXPECT_FALSE(d.create_child);
  EXPECT_TRUE(d.count_passive_fail);
  o = fastopen_on_synack(
      {.syn_fastopen = true, .syn_data = true, .cookie = d.synack_cookie, .mss = 1460});
  EXPECT_TRUE(o.retransmit_data);
  EXPECT_TRUE(o.count_active_fail);
  cache.set(kClient, kServer, o.cache_mss, o.cache_cookie, o.cache_syn_lost, o.cache_try_exp,
            at(2_s));
  EXPECT_EQ(cache.get(kClient, kServer)->cookie, rotated.cookie_for(kClient, kServer));
}

}  // namespace
}  // namespace synack::tcp
