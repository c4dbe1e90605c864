// The list of named counters: X(group, name, kind, help). Included by counters.h (to build the
// enum) and counters.cc (to build the name tables), so the three can never disagree.
//
// Names and groups are Linux's (SPEC §16.3), as nstat prints them: the group ("Ip", "Tcp",
// "TcpExt", "IpExt") glued to the name gives the nstat name (TcpExtListenDrops), and the enumerator
// is that name with a 'k' in front (Counter::kTcpExtListenDrops). Within a group the order is
// Linux's own (/proc/net/snmp, /proc/net/netstat as printed by Linux 6.x), so our nstat output
// lines up with the real one; groups are printed in nstat's order: Ip, Tcp, TcpExt, IpExt.
// Only the counters a TCP/IPv4 stack like synack can move are listed; Linux has ~130 TcpExt.
//
// The "Synack" group holds drop reasons Linux has no counter for, because Linux either
// reassembles what synack drops or tolerates what synack refuses (each documented below).
//
// kind: counter (only ever grows) or gauge (goes up and down; Linux has exactly one in these
// groups, Tcp CurrEstab, and nstat never prints it — iproute2 lists it among "useless_numbers").
//
// Adding a counter: one line here, in Linux's order within its group. Nothing else.
// clang-format off
#define SYNACK_COUNTER_LIST(X)                                                                      \
  X(Ip, InReceives, kCounter, "IP packets received, including bad ones")                            \
  X(Ip, InHdrErrors, kCounter, "IP packets dropped for a bad header (version, IHL, checksum, length)") \
  X(Ip, InAddrErrors, kCounter, "IP packets dropped: destination is not one of our addresses")      \
  X(Ip, InUnknownProtos, kCounter, "IP packets dropped: protocol is not TCP")                       \
  X(Ip, InDiscards, kCounter, "good IP packets dropped for lack of resources")                      \
  X(Ip, InDelivers, kCounter, "IP packets handed to TCP")                                           \
  X(Ip, OutRequests, kCounter, "IP packets TCP asked to send")                                      \
  X(Ip, OutDiscards, kCounter, "outgoing IP packets dropped for lack of resources")                 \
  X(Ip, OutNoRoutes, kCounter, "outgoing IP packets dropped: no route")                             \
  X(Ip, ReasmReqds, kCounter, "IP fragments received (synack does not reassemble, SPEC §1.1)")      \
  X(Ip, ReasmFails, kCounter, "IP fragments that could not be reassembled (all of them in synack)") \
  X(Ip, OutTransmits, kCounter, "IP packets passed to the link")                                    \
  X(Tcp, ActiveOpens, kCounter, "connections opened by connect() (SYN sent)")                      \
  X(Tcp, PassiveOpens, kCounter, "connections accepted from a listener (handshake completed)")     \
  X(Tcp, AttemptFails, kCounter, "SYN-SENT or SYN-RECEIVED connections that went to CLOSED")       \
  X(Tcp, EstabResets, kCounter, "ESTABLISHED or CLOSE-WAIT connections that went straight to CLOSED") \
  X(Tcp, CurrEstab, kGauge, "connections now in ESTABLISHED or CLOSE-WAIT")                         \
  X(Tcp, InSegs, kCounter, "TCP segments received, including bad ones")                             \
  X(Tcp, OutSegs, kCounter, "TCP segments sent, excluding retransmissions")                         \
  X(Tcp, RetransSegs, kCounter, "TCP segments retransmitted")                                       \
  X(Tcp, InErrs, kCounter, "TCP segments received in error (checksum, header)")                     \
  X(Tcp, OutRsts, kCounter, "segments sent with RST")                                               \
  X(Tcp, InCsumErrors, kCounter, "TCP segments with a bad checksum")                                \
  X(TcpExt, SyncookiesSent, kCounter, "SYN+ACKs sent with a SYN cookie")                            \
  X(TcpExt, SyncookiesRecv, kCounter, "valid SYN cookies received")                                 \
  X(TcpExt, SyncookiesFailed, kCounter, "ACKs to a listener that carried no valid cookie")          \
  X(TcpExt, EmbryonicRsts, kCounter, "resets received for half-open requests")                      \
  X(TcpExt, TW, kCounter, "connections that finished their TIME-WAIT")                              \
  X(TcpExt, TWRecycled, kCounter, "TIME-WAIT tuples taken over by connect() (tcp_tw_reuse)")        \
  X(TcpExt, TWKilled, kCounter, "TIME-WAITs ended early (by RST, or reuse by a new SYN)")            \
  X(TcpExt, PAWSActive, kCounter, "SYN+ACKs dropped by PAWS in SYN-SENT")                           \
  X(TcpExt, PAWSEstab, kCounter, "segments dropped by PAWS (old timestamp)")                        \
  X(TcpExt, DelayedACKs, kCounter, "delayed ACKs sent when their timer fired")                      \
  X(TcpExt, DelayedACKLost, kCounter, "duplicate data received while an ACK was delayed")           \
  X(TcpExt, ListenOverflows, kCounter, "SYNs or ACKs refused because the accept queue was full")    \
  X(TcpExt, ListenDrops, kCounter, "segments a listener dropped, for any reason")                   \
  X(TcpExt, TCPPureAcks, kCounter, "ACKs received without data")                                   \
  X(TcpExt, TCPRenoRecovery, kCounter, "NewReno fast recoveries entered")                          \
  X(TcpExt, TCPSackRecovery, kCounter, "SACK-based recoveries entered")                            \
  X(TcpExt, TCPSACKReneging, kCounter, "peers that dropped data they had SACKed")                   \
  X(TcpExt, TCPSACKReorder, kCounter, "reordering detected through SACK")                           \
  X(TcpExt, TCPLostRetransmit, kCounter, "retransmissions that were lost again")                   \
  X(TcpExt, TCPRenoFailures, kCounter, "NewReno recoveries that ended in a timeout")               \
  X(TcpExt, TCPSackFailures, kCounter, "timeouts with SACK data or duplicate ACKs outstanding")   \
  X(TcpExt, TCPLossFailures, kCounter, "timeouts while already in loss state")                     \
  X(TcpExt, TCPFastRetrans, kCounter, "fast retransmissions (duplicate ACKs or SACK)")              \
  X(TcpExt, TCPSlowStartRetrans, kCounter, "retransmissions made in slow start after a timeout")   \
  X(TcpExt, TCPTimeouts, kCounter, "retransmission timer expiries (SYN and SYN+ACK included)")      \
  X(TcpExt, TCPLossProbes, kCounter, "tail loss probes sent")                                       \
  X(TcpExt, TCPSackRecoveryFail, kCounter, "SACK recoveries that ended in a timeout")              \
  X(TcpExt, TCPDSACKOldSent, kCounter, "D-SACKs sent for old duplicate data")                       \
  X(TcpExt, TCPDSACKRecv, kCounter, "D-SACKs received")                                             \
  X(TcpExt, TCPDSACKOfoRecv, kCounter, "D-SACKs received for data above the cumulative ACK")      \
  X(TcpExt, TCPAbortOnData, kCounter, "resets sent on close with unsent data or SO_LINGER {on,0}")  \
  X(TcpExt, TCPAbortOnClose, kCounter, "resets sent on close() with unread received data")          \
  X(TcpExt, TCPAbortOnMemory, kCounter, "orphans reset because tcp_max_orphans was exceeded")       \
  X(TcpExt, TCPAbortOnTimeout, kCounter, "connections ended by retransmission or keepalive timeout") \
  X(TcpExt, TCPAbortOnLinger, kCounter, "orphans reset in FIN-WAIT-2 (negative TCP_LINGER2)")       \
  X(TcpExt, TCPAbortFailed, kCounter, "resets that could not be sent")                              \
  X(TcpExt, TCPSACKDiscard, kCounter, "SACK blocks ignored as invalid (outside snd_una..snd_nxt)")  \
  X(TcpExt, TCPSpuriousRTOs, kCounter, "retransmission timeouts later found unnecessary")           \
  X(TcpExt, TCPTimeWaitOverflow, kCounter, "closing sockets that skipped TIME-WAIT: tcp_max_tw_buckets full") \
  X(TcpExt, TCPReqQFullDoCookies, kCounter, "SYNs answered with a cookie because the SYN queue was full") \
  X(TcpExt, TCPReqQFullDrop, kCounter, "SYNs dropped because the SYN queue was full and cookies off") \
  X(TcpExt, TCPRetransFail, kCounter, "retransmissions that could not be sent")                     \
  X(TcpExt, TCPOFOQueue, kCounter, "segments put in the out-of-order queue")                        \
  X(TcpExt, TCPOFODrop, kCounter, "out-of-order segments dropped (no buffer)")                      \
  X(TcpExt, TCPOFOMerge, kCounter, "out-of-order segments that overlapped queued data")             \
  X(TcpExt, TCPChallengeACK, kCounter, "challenge ACKs sent (RFC 5961)")                            \
  X(TcpExt, TCPSYNChallenge, kCounter, "challenge ACKs sent in answer to a SYN (RFC 5961 §4)")      \
  X(TcpExt, TCPFastOpenActive, kCounter, "SYNs sent with data and a Fast Open cookie")              \
  X(TcpExt, TCPFastOpenActiveFail, kCounter, "Fast Open attempts whose SYN data was not acknowledged") \
  X(TcpExt, TCPFastOpenPassive, kCounter, "Fast Open SYNs accepted with their data")                \
  X(TcpExt, TCPFastOpenPassiveFail, kCounter, "Fast Open SYNs with a bad cookie (data ignored)")    \
  X(TcpExt, TCPFastOpenListenOverflow, kCounter, "Fast Open SYNs refused: TFO queue full")          \
  X(TcpExt, TCPFastOpenCookieReqd, kCounter, "Fast Open cookie requests answered")                  \
  X(TcpExt, TCPFromZeroWindowAdv, kCounter, "times our advertised window opened from zero")         \
  X(TcpExt, TCPToZeroWindowAdv, kCounter, "times our advertised window closed to zero")             \
  X(TcpExt, TCPWantZeroWindowAdv, kCounter, "times we wanted to advertise a zero window")           \
  X(TcpExt, TCPSynRetrans, kCounter, "SYN and SYN+ACK retransmissions")                             \
  X(TcpExt, TCPOrigDataSent, kCounter, "segments sent with new data")                               \
  X(TcpExt, TCPACKSkippedSynRecv, kCounter, "rate-limited dup ACKs not sent in SYN-RECEIVED")       \
  X(TcpExt, TCPACKSkippedPAWS, kCounter, "rate-limited dup ACKs not sent after a PAWS drop")        \
  X(TcpExt, TCPACKSkippedSeq, kCounter, "rate-limited dup ACKs not sent for out-of-window data")   \
  X(TcpExt, TCPACKSkippedFinWait2, kCounter, "rate-limited dup ACKs not sent in FIN-WAIT-2")       \
  X(TcpExt, TCPACKSkippedTimeWait, kCounter, "rate-limited dup ACKs not sent in TIME-WAIT")        \
  X(TcpExt, TCPACKSkippedChallenge, kCounter, "challenge ACKs not sent: rate limit")                \
  X(TcpExt, TCPWinProbe, kCounter, "zero-window probes sent")                                       \
  X(TcpExt, TCPKeepAlive, kCounter, "keepalive probes sent")                                        \
  X(TcpExt, TCPDelivered, kCounter, "segments delivered to the peer (acknowledged)")                \
  X(TcpExt, TCPZeroWindowDrop, kCounter, "segments dropped because the receive window was zero")   \
  X(TcpExt, TCPRcvQDrop, kCounter, "segments dropped because the receive buffer was full")         \
  X(TcpExt, TCPFastOpenPassiveAltKey, kCounter, "Fast Open SYNs accepted with a backup-key cookie")  \
  X(IpExt, InTruncatedPkts, kCounter, "IP packets shorter than their total-length field")           \
  X(IpExt, InOctets, kCounter, "bytes of IP packets received")                                      \
  X(IpExt, OutOctets, kCounter, "bytes of IP packets sent")                                         \
  X(IpExt, InCsumErrors, kCounter, "IP packets with a bad header checksum")                         \
  X(Synack, FragmentsDropped, kCounter, "IP fragments dropped: synack does not reassemble (SPEC §1.1)") \
  X(Synack, TcpTruncated, kCounter, "TCP headers cut short by the IP length (Linux: InSegs only)")  \
  X(Synack, BadTcpOptions, kCounter, "segments with a malformed option list (Linux parses around them)")
// clang-format on
