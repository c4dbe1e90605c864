// Give-up arithmetic against the numbers SPEC §4.6, §4.7, §7.8, §8.7 and §11 state, and against
// hand evaluations of Linux's formulas (net/ipv4/tcp_timer.c tcp_model_timeout(),
// tcp_write_timeout(), tcp_probe_timer(), tcp_keepalive_timer(); inet_connection_sock.c
// reqsk_timer_handler()). Each expected value is derived in a comment, not read off the code.
#include "tcp/retry_limits.h"

#include <gtest/gtest.h>

#include <vector>

#include "tcp/rtt.h"

namespace synack::tcp {
namespace {

using namespace synack::literals;

constexpr RetrySysctls kLinuxDefaults{
    .syn_retries = 6, .syn_linear_timeouts = 0, .retries1 = 3, .retries2 = 15, .orphan_retries = 0};

Duration ms(int64_t v) {
  return Duration::millis(v);
}

TEST(ModelTimeout, Retries2FifteenWith200msIs924point6Seconds) {
  // thresh = ilog2(120000 / 200) = ilog2(600) = 9; 15 > 9:
  // (2^10 - 1) × 0.2 s + (15 - 9) × 120 s = 204.6 + 720 = 924.6 s (SPEC §7.8).
  EXPECT_EQ(model_timeout(15, 200_ms), ms(924'600));
}

TEST(ModelTimeout, ExponentialPart) {
  EXPECT_EQ(model_timeout(0, 200_ms), 200_ms);        // (2 - 1) × 0.2
  EXPECT_EQ(model_timeout(3, 200_ms), 3_s);           // (16 - 1) × 0.2
  EXPECT_EQ(model_timeout(8, 200_ms), ms(102'200));   // 511 × 0.2 (orphan "8")
  EXPECT_EQ(model_timeout(9, 200_ms), ms(204'600));   // 1023 × 0.2, last exponential step
  EXPECT_EQ(model_timeout(10, 200_ms), ms(324'600));  // 204.6 + 120
  EXPECT_EQ(model_timeout(6, 1_s), 127_s);            // thresh ilog2(120) = 6: 127 × 1 s
  EXPECT_EQ(model_timeout(7, 1_s), 247_s);            // 127 + 120
}

TEST(RetransmitsTimedOut, NeverWithoutARetransmission) {
  EXPECT_FALSE(retransmits_timed_out(0, Instant::zero(), Instant::zero() + 10000_s, 15, 200_ms));
  const Instant stamp = Instant::zero() + 1_s;
  EXPECT_FALSE(retransmits_timed_out(1, stamp, stamp + 2999_ms, 3, 200_ms));
  EXPECT_TRUE(retransmits_timed_out(1, stamp, stamp + 3_s, 3, 200_ms));  // >= : exactly at 3 s
  // A user timeout replaces the model.
  EXPECT_TRUE(retransmits_timed_out(1, stamp, stamp + 5_s, 15, 200_ms, 5_s));
  EXPECT_FALSE(retransmits_timed_out(1, stamp, stamp + 4_s, 15, 200_ms, 5_s));
}

// Drives the retransmission timer the way the engine will: ask on_rto_timer() at each firing,
// retransmit, back off (tcp_retransmit_timer() order), re-arm with the user-timeout clamp.
struct Timeline {
  std::vector<Duration> sends;  // original transmission first
  Duration gave_up_at;
  Duration first_suspect;  // first firing with suspect_path, or -1
};

struct Scenario {
  RtoSocketKind kind = RtoSocketKind::kSynchronized;
  RetrySysctls sysctls = kLinuxDefaults;
  Duration initial_rto = 1_s;
  Duration user_timeout = Duration::zero();
  uint8_t syn_count = 0;
  bool orphan = false;
};

Timeline run(const Scenario& sc) {
  const Instant t0 = Instant::zero();
  RttEstimator est{{.initial_rto = sc.initial_rto}};
  Timeline out{{Duration::zero()}, Duration::zero(), -1_s};
  uint32_t retransmits = 0;
  Instant stamp = t0;  // SYN_SENT: tcp_connect() stamps the first SYN; else head's send time
  Instant fire = t0 + est.rto();
  for (int guard = 0; guard < 200; ++guard) {
    const RtoFiring f{.kind = sc.kind,
                      .orphan = sc.orphan,
                      .retransmits = retransmits,
                      .retrans_stamp = stamp,
                      .now = fire,
                      .rto = est.rto(),
                      .syn_rto_base = kTimeoutInit,
                      .syn_count = sc.syn_count,
                      .user_timeout = sc.user_timeout,
                      .soft_error = false,
                      .peer_window_zero = false,
                      .last_ack_received = t0};
    const RtoVerdict v = on_rto_timer(f, sc.sysctls);
    if (v.suspect_path && out.first_suspect < Duration::zero()) out.first_suspect = fire - t0;
    if (v.action == RtoAction::kGiveUp) {
      out.gave_up_at = fire - t0;
      return out;
    }
    out.sends.push_back(fire - t0);
    if (retransmits == 0 && sc.kind != RtoSocketKind::kSynSent) stamp = fire;
    ++retransmits;
    est.on_retransmit_timeout(
        rto_doubles(sc.kind, est.backoff() + 1, sc.sysctls.syn_linear_timeouts));
    fire = fire + clamp_rto_to_user_timeout(est.rto(), sc.user_timeout, stamp, fire);
  }
  ADD_FAILURE() << "never gave up";
  return out;
}

std::vector<Duration> secs(std::initializer_list<int64_t> v) {
  std::vector<Duration> out;
  for (int64_t s : v)
    out.push_back(Duration::seconds(s));
  return out;
}

TEST(SynSent, SixRetriesGiveUpAt127Seconds) {
  // SPEC §4.6: RTO 1, 2, 4, ... s; SYNs at 0, 1, 3, 7, 15, 31, 63; the 7th firing (127 s) sees
  // 6 retransmissions >= tcp_syn_retries and gives up.
  const Timeline t = run({.kind = RtoSocketKind::kSynSent});
  EXPECT_EQ(t.sends, secs({0, 1, 3, 7, 15, 31, 63}));
  EXPECT_EQ(t.gave_up_at, 127_s);
  EXPECT_LT(t.first_suspect, Duration::zero());  // no path suspicion in SYN states
}

TEST(SynSent, FiveRetriesGiveUpAt63Seconds) {
  RetrySysctls s = kLinuxDefaults;
  s.syn_retries = 5;
  const Timeline t = run({.kind = RtoSocketKind::kSynSent, .sysctls = s});
  EXPECT_EQ(t.sends, secs({0, 1, 3, 7, 15, 31}));
  EXPECT_EQ(t.gave_up_at, 63_s);
}

TEST(SynSent, TcpSyncntOverridesSysctl) {
  // TCP_SYNCNT 2: SYNs at 0, 1, 3; third firing (7 s) has 2 retransmissions >= 2.
  const Timeline t = run({.kind = RtoSocketKind::kSynSent, .syn_count = 2});
  EXPECT_EQ(t.sends, secs({0, 1, 3}));
  EXPECT_EQ(t.gave_up_at, 7_s);
}

TEST(SynSent, LinearTimeoutsOfLinux65) {
  // ip-sysctl.rst: tcp_syn_linear_timeouts = 4 gives RTOs 1,1,1,1,1,2,4,...; with 6 retries
  // the limit becomes 6 + 4 = 10 retransmissions: last SYN at 67 s, failure at 131 s.
  RetrySysctls s = kLinuxDefaults;
  s.syn_linear_timeouts = 4;
  const Timeline t = run({.kind = RtoSocketKind::kSynSent, .sysctls = s});
  EXPECT_EQ(t.sends, secs({0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}));
  EXPECT_EQ(t.gave_up_at, 131_s);
}

TEST(SynSent, UserTimeoutEndsTheAttemptEarly) {
  // TCP_USER_TIMEOUT 5 s, measured from the first SYN (retrans_stamp = 0):
  //   1 s: no retransmission yet -> retransmit; RTO 2 s, 4 s left -> fire at 3 s
  //   3 s: 3 < 5 -> retransmit; RTO 4 s clamped to the 2 s left -> fire at 5 s
  //   5 s: 5 >= 5 -> give up.
  const Timeline t = run({.kind = RtoSocketKind::kSynSent, .user_timeout = 5_s});
  EXPECT_EQ(t.sends, secs({0, 1, 3}));
  EXPECT_EQ(t.gave_up_at, 5_s);
}

TEST(SynReceived, SimultaneousOpenUsesSynRetriesWithoutLinearTimeouts) {
  RetrySysctls s = kLinuxDefaults;
  s.syn_linear_timeouts = 4;  // SYN_SENT only
  const Timeline t = run({.kind = RtoSocketKind::kSynReceived, .sysctls = s});
  EXPECT_EQ(t.sends, secs({0, 1, 3, 7, 15, 31, 63}));
  EXPECT_EQ(t.gave_up_at, 127_s);
}

TEST(Established, Retries2BudgetWith200msRto) {
  // RTO exactly 200 ms, doubling: firings at 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4, 51.0, 102.2,
  // 204.6 s, then every 120 s: 324.6 ... 924.6, 1044.6 s. The budget (924.6 s) runs from the
  // first retransmission at 0.2 s, i.e. until 924.8 s: the firing at 924.6 s still retransmits
  // (16th retransmission), the one at 1044.6 s gives up.
  const Timeline t = run({.initial_rto = 200_ms});
  ASSERT_EQ(t.sends.size(), 17u);
  EXPECT_EQ(t.sends[1], 200_ms);
  EXPECT_EQ(t.sends[10], ms(204'600));
  EXPECT_EQ(t.sends[16], ms(924'600));
  EXPECT_EQ(t.gave_up_at, ms(1'044'600));
  // tcp_retries1 = 3: budget 3 s from 0.2 s, so the first firing at or after 3.2 s (6.2 s).
  EXPECT_EQ(t.first_suspect, ms(6'200));
}

TEST(Established, LargerRtoMeansFewerRetransmissionsSameBudget) {
  // RTO 1 s: firings at 1, 3, 7, 15, 31, 63, 127, 247, 367, ..., 847, 967 s. Budget 924.6 s from
  // the first retransmission at 1 s ends at 925.6 s: 13 retransmissions, give up at 967 s.
  const Timeline t = run({.initial_rto = 1_s});
  EXPECT_EQ(t.sends.size(), 14u);
  EXPECT_EQ(t.sends.back(), 847_s);
  EXPECT_EQ(t.gave_up_at, 967_s);
}

TEST(Established, UserTimeoutClampsTheLastRto) {
  // TCP_USER_TIMEOUT 10 s from the first retransmission at 0.2 s: firings 0.2, 0.6, 1.4, 3.0,
  // 6.2; then RTO 6.4 s is clamped to the 4.0 s left -> 10.2 s, where 10.0 >= 10 gives up.
  const Timeline t = run({.initial_rto = 200_ms, .user_timeout = 10_s});
  EXPECT_EQ(t.sends, (std::vector<Duration>{0_ms, 200_ms, 600_ms, 1400_ms, 3000_ms, 6200_ms}));
  EXPECT_EQ(t.gave_up_at, ms(10'200));
}

TEST(Orphan, ZeroMeansEightWhileAlive) {
  // tcp_orphan_retries = 0 -> 8 while RTO < 120 s: budget model(8, 200 ms) = 102.2 s from the
  // first retransmission at 0.2 s. The firing at 102.2 s (elapsed 102.0) retransmits, the one
  // at 204.6 s gives up: 9 FIN retransmissions (SPEC §8.7).
  const Timeline t = run({.initial_rto = 200_ms, .orphan = true});
  EXPECT_EQ(t.sends.size(), 10u);
  EXPECT_EQ(t.sends.back(), ms(102'200));
  EXPECT_EQ(t.gave_up_at, ms(204'600));
}

RtoFiring orphan_firing(Duration rto, Duration since_stamp) {
  const Instant stamp = Instant::zero() + 1000_s;
  return RtoFiring{.kind = RtoSocketKind::kSynchronized,
                   .orphan = true,
                   .retransmits = 12,
                   .retrans_stamp = stamp,
                   .now = stamp + since_stamp,
                   .rto = rto,
                   .syn_rto_base = kTimeoutInit,
                   .syn_count = 0,
                   .user_timeout = Duration::zero(),
                   .soft_error = false,
                   .peer_window_zero = false,
                   .last_ack_received = Instant::zero()};
}

TEST(Orphan, ZeroStaysZeroOnceRtoReachedMax) {
  // Not alive (RTO == TCP_RTO_MAX): retry bound 0 -> budget model(0) = 200 ms.
  EXPECT_EQ(on_rto_timer(orphan_firing(120_s, 200_ms), kLinuxDefaults).action, RtoAction::kGiveUp);
  const RtoVerdict v = on_rto_timer(orphan_firing(120_s, 100_ms), kLinuxDefaults);
  EXPECT_EQ(v.action, RtoAction::kRetransmit);
  EXPECT_TRUE(v.orphan_reset_if_out_of_resources);  // !timed_out(0) at 100 ms
  // Alive: reset if out of resources regardless.
  EXPECT_TRUE(
      on_rto_timer(orphan_firing(60_s, 1_s), kLinuxDefaults).orphan_reset_if_out_of_resources);
}

TEST(Orphan, RetriesFunction) {
  EXPECT_EQ(orphan_retries(0, /*alive=*/true, false), 8u);
  EXPECT_EQ(orphan_retries(0, false, false), 0u);
  EXPECT_EQ(orphan_retries(3, true, false), 3u);
  EXPECT_EQ(orphan_retries(3, false, false), 3u);
  EXPECT_EQ(orphan_retries(3, false, /*soft_error=*/true), 0u);
  EXPECT_EQ(orphan_retries(3, true, true), 3u);
}

TEST(Orphan, ExplicitSysctlUsesItsOwnBudget) {
  // tcp_orphan_retries = 3: budget model(3, 200 ms) = 3 s.
  RetrySysctls s = kLinuxDefaults;
  s.orphan_retries = 3;
  EXPECT_EQ(on_rto_timer(orphan_firing(60_s, 2999_ms), s).action, RtoAction::kRetransmit);
  EXPECT_EQ(on_rto_timer(orphan_firing(60_s, 3_s), s).action, RtoAction::kGiveUp);
}

RtoFiring zero_window(Duration since_stamp, Duration silence, Duration user_timeout) {
  const Instant now = Instant::zero() + 10000_s;
  return RtoFiring{.kind = RtoSocketKind::kSynchronized,
                   .orphan = false,
                   .retransmits = 30,
                   .retrans_stamp = now - since_stamp,
                   .now = now,
                   .rto = 120_s,
                   .syn_rto_base = kTimeoutInit,
                   .syn_count = 0,
                   .user_timeout = user_timeout,
                   .soft_error = false,
                   .peer_window_zero = true,
                   .last_ack_received = now - silence};
}

TEST(ZeroWindow, ProbesInsteadOfTimingOut) {
  // Far past the retries2 budget, but the peer keeps ACKing (silence 10 s): keep probing.
  RtoVerdict v = on_rto_timer(zero_window(5000_s, 10_s, Duration::zero()), kLinuxDefaults);
  EXPECT_TRUE(v.zero_window_probe);
  EXPECT_EQ(v.action, RtoAction::kRetransmit);
  // Silent and stuck for more than 2 × 120 s: give up.
  v = on_rto_timer(zero_window(241_s, 241_s, Duration::zero()), kLinuxDefaults);
  EXPECT_EQ(v.action, RtoAction::kGiveUp);
  // Exactly 240 s is not "more than".
  v = on_rto_timer(zero_window(240_s, 240_s, Duration::zero()), kLinuxDefaults);
  EXPECT_EQ(v.action, RtoAction::kRetransmit);
  // Silent long enough but retransmissions started recently: keep going.
  v = on_rto_timer(zero_window(100_s, 300_s, Duration::zero()), kLinuxDefaults);
  EXPECT_EQ(v.action, RtoAction::kRetransmit);
}

TEST(ZeroWindow, UserTimeoutBoundsIt) {
  // rtx_delta 31 s > 30 s user timeout: give up even though the peer is talking.
  EXPECT_EQ(on_rto_timer(zero_window(31_s, 1_s, 30_s), kLinuxDefaults).action, RtoAction::kGiveUp);
  // limit = min(240, 30) = 30: silence 40 > 30 but rtx_delta 20 <= 30 -> keep going.
  EXPECT_EQ(on_rto_timer(zero_window(20_s, 40_s, 30_s), kLinuxDefaults).action,
            RtoAction::kRetransmit);
}

TEST(ZeroWindow, OrphanTakesTheNormalPath) {
  RtoFiring f = zero_window(5000_s, 10_s, Duration::zero());
  f.orphan = true;
  const RtoVerdict v = on_rto_timer(f, kLinuxDefaults);
  EXPECT_FALSE(v.zero_window_probe);
  EXPECT_EQ(v.action, RtoAction::kGiveUp);  // RTO at max, orphan bound 0 -> 200 ms budget
}

TEST(RtoDoubling, OnlySynSentHasLinearTimeouts) {
  EXPECT_FALSE(rto_doubles(RtoSocketKind::kSynSent, 4, 4));
  EXPECT_TRUE(rto_doubles(RtoSocketKind::kSynSent, 5, 4));
  EXPECT_TRUE(rto_doubles(RtoSocketKind::kSynSent, 1, 0));
  EXPECT_TRUE(rto_doubles(RtoSocketKind::kSynReceived, 1, 4));
  EXPECT_TRUE(rto_doubles(RtoSocketKind::kSynchronized, 1, 4));
}

TEST(RouteReset, AfterRetries1PlusOneBudget) {
  // retries1 + 1 = 4: model(4, 200 ms) = 31 × 0.2 = 6.2 s.
  const Instant stamp = Instant::zero() + 1_s;
  EXPECT_FALSE(
      route_reset_due(RtoSocketKind::kSynchronized, 5, stamp, stamp + 6199_ms, kTimeoutInit, 3));
  EXPECT_TRUE(
      route_reset_due(RtoSocketKind::kSynchronized, 5, stamp, stamp + 6200_ms, kTimeoutInit, 3));
  // SYN states model from 1 s: 31 s.
  EXPECT_FALSE(route_reset_due(RtoSocketKind::kSynSent, 5, stamp, stamp + 30_s, kTimeoutInit, 3));
  EXPECT_TRUE(route_reset_due(RtoSocketKind::kSynSent, 5, stamp, stamp + 31_s, kTimeoutInit, 3));
}

TEST(UserTimeoutClamp, Cases) {
  const Instant stamp = Instant::zero() + 100_s;
  EXPECT_EQ(clamp_rto_to_user_timeout(8_s, Duration::zero(), stamp, stamp + 50_s), 8_s);
  EXPECT_EQ(clamp_rto_to_user_timeout(8_s, 10_s, stamp, stamp + 1_s), 8_s);
  EXPECT_EQ(clamp_rto_to_user_timeout(8_s, 10_s, stamp, stamp + 7_s), 3_s);
  EXPECT_EQ(clamp_rto_to_user_timeout(8_s, 10_s, stamp, stamp + 10_s), 1_ms);
  EXPECT_EQ(clamp_rto_to_user_timeout(8_s, 10_s, stamp, stamp + 12_s), 1_ms);
}

TEST(SynAck, ResentAt1_3_7_15_31ThenDropped) {
  // reqsk_timer_handler(): SYN+ACK at 0; timer at 1 s; each firing with num_timeout <
  // tcp_synack_retries (5) resends and re-arms min(1 s << num_timeout, 120 s).
  const uint32_t limit = synack_retry_limit(0, 5, 1, 1, 128);
  ASSERT_EQ(limit, 5u);
  std::vector<Duration> resent;
  Duration t = 1_s;
  uint32_t num_timeout = 0;
  Duration dropped_at = -1_s;
  for (int guard = 0; guard < 20; ++guard) {
    if (synack_expired(num_timeout, limit)) {
      dropped_at = t;
      break;
    }
    resent.push_back(t);
    ++num_timeout;
    t += synack_timeout(kTimeoutInit, num_timeout);
  }
  EXPECT_EQ(resent, secs({1, 3, 7, 15, 31}));
  EXPECT_EQ(dropped_at, 63_s);
}

TEST(SynAck, RetryLimitPrunesOldRequestsWhenQueueFillsUp) {
  // Not more than half full: 60 * 2 = 120 <= max(8, 128).
  EXPECT_EQ(synack_retry_limit(0, 5, 60, 0, 128), 5u);
  // 100 queued, 10 young: young*2 = 20 <= 100 -> 4; 40 <= 100 -> 3; 80 <= 100 -> 2 (floor).
  EXPECT_EQ(synack_retry_limit(0, 5, 100, 10, 128), 2u);
  // 100 queued, 40 young: 80 <= 100 -> 4; 160 > 100 -> stop.
  EXPECT_EQ(synack_retry_limit(0, 5, 100, 40, 128), 4u);
  // 100 queued, 60 young: 120 > 100 -> no pruning.
  EXPECT_EQ(synack_retry_limit(0, 5, 100, 60, 128), 5u);
  // TCP_SYNCNT on the listener overrides the sysctl.
  EXPECT_EQ(synack_retry_limit(3, 5, 1, 1, 128), 3u);
  // The floor max(8, backlog): backlog 2, queue 5 -> 10 > 8, 0 young -> pruned to 2.
  EXPECT_EQ(synack_retry_limit(0, 5, 5, 0, 2), 2u);
  EXPECT_EQ(synack_retry_limit(0, 5, 4, 0, 2), 5u);
}

TEST(SynAck, FastOpenChildGetsOneMore) {
  EXPECT_FALSE(fastopen_synack_expired(5, 0, 5));
  EXPECT_TRUE(fastopen_synack_expired(6, 0, 5));
  EXPECT_TRUE(fastopen_synack_expired(2, 2, 5));
  EXPECT_FALSE(fastopen_synack_expired(1, 2, 5));
}

ProbeFiring probe(uint32_t probes_out) {
  return ProbeFiring{.nothing_to_probe = false,
                     .probes_out = probes_out,
                     .probes_started = Instant::zero() + 10_s,
                     .now = Instant::zero() + 20_s,
                     .orphan = false,
                     .rto_backed_off = 800_ms,
                     .backoff = 2,
                     .user_timeout = Duration::zero(),
                     .soft_error = false,
                     .retries2 = 15,
                     .orphan_retries_sysctl = 0};
}

TEST(PersistTimer, GivesUpAfterRetries2UnansweredProbes) {
  EXPECT_EQ(on_probe_timer(probe(14)), ProbeAction::kSendProbe);
  EXPECT_EQ(on_probe_timer(probe(15)), ProbeAction::kGiveUp);
  ProbeFiring f = probe(3);
  f.nothing_to_probe = true;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kStop);
}

TEST(PersistTimer, UserTimeoutFromFirstProbe) {
  ProbeFiring f = probe(1);
  f.user_timeout = 10_s;
  f.now = *f.probes_started + 9999_ms;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kSendProbe);
  f.now = *f.probes_started + 10_s;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kGiveUp);
  f.probes_started.reset();  // the first probe only starts the clock
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kSendProbe);
}

TEST(PersistTimer, OrphanBounds) {
  ProbeFiring f = probe(7);
  f.orphan = true;  // alive (800 ms < 120 s): tcp_orphan_retries 0 -> 8
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kSendProbe);
  f.probes_out = 8;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kGiveUp);
  // Not alive (backed off to 120 s): bound 0 and backoff 9 >= 0 -> give up at once.
  f.probes_out = 0;
  f.rto_backed_off = 120_s;
  f.backoff = 9;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kGiveUp);
}

TEST(PersistTimer, OrphanAliveIsJudgedAgainstTheRtoMaxInForce) {
  // Linux 6.15+ tcp_probe_timer(): alive = backed-off RTO < tcp_rto_max(sk). With
  // tcp_rto_max_ms = 60000 an interval of 60 s is no longer "alive".
  ProbeFiring f = probe(0);
  f.orphan = true;
  f.rto_backed_off = 60_s;
  f.backoff = 7;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kSendProbe);  // default rto_max 120 s: alive
  f.rto_max = 60_s;
  EXPECT_EQ(on_probe_timer(f), ProbeAction::kGiveUp);  // not alive: bound 0, backoff 7 >= 0
}

TEST(Keepalive, DeadPeerDetectedAfter7875Seconds) {
  // SPEC §11.1: idle 7200 s, then 9 probes 75 s apart, give up at 7200 + 9 × 75 = 7875 s.
  std::vector<Duration> probes;
  uint32_t probes_out = 0;
  Duration t = 7200_s;
  Duration gave_up = -1_s;
  for (int guard = 0; guard < 50; ++guard) {
    const KeepaliveVerdict v = on_keepalive_timer({.now = Instant::zero() + t,
                                                   .last_heard = Instant::zero(),
                                                   .busy = false,
                                                   .probes_out = probes_out,
                                                   .idle = 7200_s,
                                                   .interval = 75_s,
                                                   .probes = 9,
                                                   .user_timeout = Duration::zero()});
    if (v.action == KeepaliveAction::kGiveUp) {
      gave_up = t;
      break;
    }
    if (v.action == KeepaliveAction::kSendProbe) {
      probes.push_back(t);
      ++probes_out;
    }
    t += v.rearm_after;
  }
  EXPECT_EQ(probes, secs({7200, 7275, 7350, 7425, 7500, 7575, 7650, 7725, 7800}));
  EXPECT_EQ(gave_up, 7875_s);
}

TEST(Keepalive, UserTimeoutNeedsOneProbeOut) {
  KeepaliveFiring f{.now = Instant::zero() + 7350_s,
                    .last_heard = Instant::zero(),
                    .busy = false,
                    .probes_out = 0,
                    .idle = 7200_s,
                    .interval = 75_s,
                    .probes = 9,
                    .user_timeout = 7300_s};
  EXPECT_EQ(on_keepalive_timer(f).action, KeepaliveAction::kSendProbe);  // no probe out yet
  f.probes_out = 2;
  EXPECT_EQ(on_keepalive_timer(f).action, KeepaliveAction::kGiveUp);
  f.now = Instant::zero() + 7275_s;  // 7275 < 7300
  EXPECT_EQ(on_keepalive_timer(f).action, KeepaliveAction::kSendProbe);
  f.probes_out = 20;  // the count is ignored when a user timeout is set
  EXPECT_EQ(on_keepalive_timer(f).action, KeepaliveAction::kSendProbe);
}

TEST(Keepalive, RearmsWhenNotIdleOrBusy) {
  KeepaliveFiring f{.now = Instant::zero() + 7200_s,
                    .last_heard = Instant::zero() + 1000_s,
                    .busy = false,
                    .probes_out = 0,
                    .idle = 7200_s,
                    .interval = 75_s,
                    .probes = 9,
                    .user_timeout = Duration::zero()};
  KeepaliveVerdict v = on_keepalive_timer(f);  // heard 6200 s ago: 1000 s to go
  EXPECT_EQ(v.action, KeepaliveAction::kRearm);
  EXPECT_EQ(v.rearm_after, 1000_s);
  f.busy = true;
  v = on_keepalive_timer(f);
  EXPECT_EQ(v.action, KeepaliveAction::kRearm);
  EXPECT_EQ(v.rearm_after, 7200_s);
}

}  // namespace
}  // namespace synack::tcp
