#include "stack/counters.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "stack/counters_rx.h"

namespace synack::stack {
namespace {

using tcp::State;

// Header lines of /proc/net/snmp and /proc/net/netstat, copied from the project's Linux 6.18
// machine (`head -1 /proc/net/snmp` etc.). Our names must appear in them, in the same order.
constexpr const char* kLinuxIp =
    "Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos "
    "InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs "
    "ReasmFails FragOKs FragFails FragCreates OutTransmits";
constexpr const char* kLinuxTcp =
    "RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets "
    "CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors";
constexpr const char* kLinuxIpExt =
    "InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets "
    "OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts "
    "InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps";
constexpr const char* kLinuxTcpExt =
    "SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned "
    "OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive "
    "PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked "
    "DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery "
    "TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo "
    "TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures "
    "TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes "
    "TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed "
    "TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv "
    "TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger "
    "TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard "
    "TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected "
    "TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop "
    "PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow "
    "TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop "
    "TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail "
    "TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd "
    "TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking "
    "TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent "
    "TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd "
    "TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 "
    "TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail "
    "TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop "
    "TCPWqueueTooBig TCPFastOpenPassiveAltKey";

std::vector<std::string> words(const char* s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

TEST(Counters, NamesAreLinuxNamesInLinuxOrder) {
  struct G {
    CounterGroup group;
    const char* linux_names;
  };
  for (const G& g :
       {G{CounterGroup::kIp, kLinuxIp}, G{CounterGroup::kTcp, kLinuxTcp},
        G{CounterGroup::kTcpExt, kLinuxTcpExt}, G{CounterGroup::kIpExt, kLinuxIpExt}}) {
    SCOPED_TRACE(std::string(to_string(g.group)));
    const auto linux = words(g.linux_names);
    size_t pos = 0;  // ours must be a subsequence of Linux's list
    int found = 0;
    for (int i = 0; i < kCounterCount; ++i) {
      const CounterInfo& info = counter_info(static_cast<Counter>(i));
      if (info.group != g.group) continue;
      while (pos < linux.size() && linux[pos] != info.name)
        ++pos;
      EXPECT_LT(pos, linux.size()) << info.name << " missing from Linux's list or out of order";
      ++found;
    }
    EXPECT_GT(found, 0);
  }
}

TEST(Counters, SpecNamedCountersExist) {
  // SPEC §16.3 and §13.4, by nstat name.
  const char* spec[] = {"TcpActiveOpens",
                        "TcpPassiveOpens",
                        "TcpAttemptFails",
                        "TcpEstabResets",
                        "TcpCurrEstab",
                        "TcpInSegs",
                        "TcpOutSegs",
                        "TcpRetransSegs",
                        "TcpInErrs",
                        "TcpOutRsts",
                        "TcpInCsumErrors",
                        "TcpExtListenOverflows",
                        "TcpExtListenDrops",
                        "TcpExtSyncookiesSent",
                        "TcpExtSyncookiesRecv",
                        "TcpExtSyncookiesFailed",
                        "TcpExtTW",
                        "TcpExtTWRecycled",
                        "TcpExtTWKilled",
                        "TcpExtTCPTimeWaitOverflow",
                        "TcpExtTCPAbortOnData",
                        "TcpExtTCPAbortOnClose",
                        "TcpExtTCPAbortOnMemory",
                        "TcpExtTCPAbortOnTimeout",
                        "TcpExtTCPAbortOnLinger",
                        "TcpExtTCPReqQFullDoCookies",
                        "TcpExtTCPReqQFullDrop",
                        "TcpExtTCPChallengeACK",
                        "TcpExtTCPSYNChallenge",
                        "TcpExtTCPKeepAlive",
                        "TcpExtTCPFastOpenActive",
                        "TcpExtTCPFastOpenActiveFail",
                        "TcpExtTCPFastOpenPassive",
                        "TcpExtTCPFastOpenPassiveFail",
                        "TcpExtTCPFastOpenListenOverflow",
                        "TcpExtTCPFastOpenCookieReqd"};
  for (const char* name : spec) {
    Counter c{};
    EXPECT_TRUE(find_counter(name, c)) << name;
    if (find_counter(name, c)) {
      EXPECT_EQ(counter_info(c).nstat_name, name);
    }
  }
}

TEST(Counters, LookupFormsAndUniqueness) {
  Counter c{};
  ASSERT_TRUE(find_counter("TcpExt:ListenDrops", c));
  EXPECT_EQ(c, Counter::kTcpExtListenDrops);
  ASSERT_TRUE(find_counter("Tcp.InSegs", c));
  EXPECT_EQ(c, Counter::kTcpInSegs);
  EXPECT_FALSE(find_counter("TcpExtNoSuchThing", c));
  EXPECT_FALSE(find_counter("Tcp:ListenDrops", c));  // wrong group
  std::set<std::string_view> names;
  for (int i = 0; i < kCounterCount; ++i) {
    const CounterInfo& info = counter_info(static_cast<Counter>(i));
    EXPECT_EQ(info.id, static_cast<Counter>(i));
    EXPECT_TRUE(names.insert(info.nstat_name).second) << info.nstat_name;
    EXPECT_FALSE(info.help.empty()) << info.nstat_name;
  }
  // Tcp InCsumErrors and IpExt InCsumErrors share a short name but not an nstat name.
  EXPECT_NE(Counter::kTcpInCsumErrors, Counter::kIpExtInCsumErrors);
}

TEST(Counters, IncAddAndSnapshots) {
  Counters c;
  c.inc(Counter::kTcpInSegs);
  c.inc(Counter::kTcpInSegs);
  c.add(Counter::kIpExtInOctets, 1500);
  EXPECT_EQ(c.value(Counter::kTcpInSegs), 2u);
  EXPECT_EQ(c[Counter::kIpExtInOctets], 1500u);
  EXPECT_EQ(c[Counter::kTcpOutSegs], 0u);
  const Counters snap = c;
  c.inc(Counter::kTcpInSegs);
  EXPECT_EQ(snap[Counter::kTcpInSegs], 2u);
  const Counters d = counters_delta(c, snap);
  EXPECT_EQ(d[Counter::kTcpInSegs], 1u);
  EXPECT_EQ(d[Counter::kIpExtInOctets], 0u);
  c.reset();
  EXPECT_EQ(c, Counters{});
}

TEST(Counters, CurrEstabIsAGaugeOverAClientLifecycle) {
  // SPEC §3.3 client path: CLOSED -> SYN-SENT -> ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 ->
  // TIME-WAIT -> CLOSED. RFC 4022 tcpCurrEstab counts ESTABLISHED + CLOSE-WAIT.
  Counters c;
  const State path[] = {State::kClosed,   State::kSynSent,  State::kEstablished, State::kFinWait1,
                        State::kFinWait2, State::kTimeWait, State::kClosed};
  const uint64_t expect_after[] = {0, 1, 0, 0, 0, 0};
  for (size_t i = 1; i < std::size(path); ++i) {
    c.count_state_change(path[i - 1], path[i]);
    EXPECT_EQ(c[Counter::kTcpCurrEstab], expect_after[i - 1]) << "after step " << i;
  }
  EXPECT_EQ(c[Counter::kTcpEstabResets], 0u);
  EXPECT_EQ(c[Counter::kTcpAttemptFails], 0u);
}

TEST(Counters, ServerPathKeepsCloseWaitInCurrEstab) {
  Counters c;
  c.count_state_change(State::kSynReceived, State::kEstablished);
  c.count_state_change(State::kEstablished, State::kCloseWait);
  EXPECT_EQ(c[Counter::kTcpCurrEstab], 1u) << "CLOSE-WAIT still counts";
  c.count_state_change(State::kCloseWait, State::kLastAck);
  EXPECT_EQ(c[Counter::kTcpCurrEstab], 0u);
  c.count_state_change(State::kLastAck, State::kClosed);
  EXPECT_EQ(c[Counter::kTcpEstabResets], 0u);
  // A FIN arriving with the handshake-completing ACK: SYN-RECEIVED -> CLOSE-WAIT counts too.
  c.count_state_change(State::kSynReceived, State::kCloseWait);
  EXPECT_EQ(c[Counter::kTcpCurrEstab], 1u);
}

TEST(Counters, ResetsAndFailedAttempts) {
  Counters c;
  c.count_state_change(State::kClosed, State::kSynSent);
  c.count_state_change(State::kSynSent, State::kClosed);  // refused or timed out
  EXPECT_EQ(c[Counter::kTcpAttemptFails], 1u);
  c.count_state_change(State::kSynReceived, State::kClosed);
  EXPECT_EQ(c[Counter::kTcpAttemptFails], 2u);
  c.count_state_change(State::kNewSynRecv, State::kClosed);  // a request record: not counted
  EXPECT_EQ(c[Counter::kTcpAttemptFails], 2u);

  c.count_state_change(State::kSynSent, State::kEstablished);
  c.count_state_change(State::kEstablished, State::kClosed);  // RST received
  EXPECT_EQ(c[Counter::kTcpEstabResets], 1u);
  EXPECT_EQ(c[Counter::kTcpCurrEstab], 0u);
  c.count_state_change(State::kEstablished, State::kEstablished);  // no-op
  EXPECT_EQ(c[Counter::kTcpCurrEstab], 0u);
}

TEST(Counters, DeltaShowsGaugesAsTheirValue) {
  Counters before;
  before.count_state_change(State::kSynSent, State::kEstablished);
  Counters after = before;
  after.count_state_change(State::kSynSent, State::kEstablished);
  const Counters d = counters_delta(after, before);
  EXPECT_EQ(d[Counter::kTcpCurrEstab], 2u);
}

TEST(CountersRx, EveryParseErrorMapsToLinuxCounters) {
  using E = wire::ParseError;
  struct Case {
    std::optional<E> error;
    std::vector<Counter> expect;  // beyond InReceives and InOctets
  };
  const std::vector<Case> cases = {
      {std::nullopt, {Counter::kIpInDelivers, Counter::kTcpInSegs}},
      {E::kTruncated, {Counter::kIpInHdrErrors}},
      {E::kBadIpVersion, {Counter::kIpInHdrErrors}},
      {E::kBadIpHeaderLength, {Counter::kIpInHdrErrors}},
      {E::kBadIpTotalLength, {Counter::kIpExtInTruncatedPkts}},
      {E::kBadIpChecksum, {Counter::kIpInHdrErrors, Counter::kIpExtInCsumErrors}},
      {E::kFragment,
       {Counter::kIpReasmReqds, Counter::kIpReasmFails, Counter::kSynackFragmentsDropped}},
      {E::kNotTcp, {Counter::kIpInUnknownProtos}},
      {E::kTcpTruncated,
       {Counter::kIpInDelivers, Counter::kTcpInSegs, Counter::kSynackTcpTruncated}},
      {E::kBadDataOffset, {Counter::kIpInDelivers, Counter::kTcpInSegs, Counter::kTcpInErrs}},
      // SPEC §1.4: bad checksum counts InCsumErrors and InErrs.
      {E::kBadTcpChecksum,
       {Counter::kIpInDelivers, Counter::kTcpInSegs, Counter::kTcpInCsumErrors,
        Counter::kTcpInErrs}},
      {E::kBadOption,
       {Counter::kIpInDelivers, Counter::kTcpInSegs, Counter::kTcpInErrs,
        Counter::kSynackBadTcpOptions}},
  };
  ASSERT_EQ(cases.size(), static_cast<size_t>(wire::kParseErrorCount) + 1);
  for (const Case& k : cases) {
    SCOPED_TRACE(k.error ? std::string(wire::to_string(*k.error)) : std::string("good"));
    Counters c;
    count_received(c, 60, k.error);
    Counters want;
    want.set(Counter::kIpInReceives, 1);
    want.set(Counter::kIpExtInOctets, 60);
    for (Counter x : k.expect)
      want.inc(x);
    EXPECT_EQ(c, want);
    const auto listed = counters_for(k.error);
    EXPECT_EQ(std::vector<Counter>(listed.begin(), listed.end()), k.expect);
  }
}

}  // namespace
}  // namespace synack::stack
