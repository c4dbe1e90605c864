# `synack sim list` / `synack sim run NAME`: every scenario of src/sim/scenarios/ as a CTest.
# Each scenario checks its own expected facts against the run (times, states, errno) and exits
# 0 only when all of them held; the outcome line must say "ok:". Included from CMakeLists.txt,
# which defines synack_expect / synack_expect_exit2.

set(synack_scenarios
  syn-lost
  synack-lost
  fin-lost
  final-ack-lost
  simultaneous-close
  close-wait-leak
  keepalive-dead-peer
  linger-zero
  stale-synack
  half-close-download
  normal-lifecycle
  third-ack-lost
  keepalive-restarted-peer
  peer-crash-mid-transfer

  simultaneous-open
  zero-window-fin-wait1
  max-orphans
  accept-queue-overflow
  fastopen
)
foreach(name IN LISTS synack_scenarios)
  synack_expect(cli.sim.${name} 0 "^outcome  : ok: " sim run ${name} --quiet)
endforeach()

synack_expect(cli.sim.list 0 "^syn-lost +every SYN is lost" sim list)
# An unknown scenario is bad input (2), and the message lists the known names.
synack_expect(cli.sim.unknown 2 "unknown scenario 'no-such-story'" sim run no-such-story)
synack_expect(cli.sim.unknown_lists 2 "^  syn-lost$" sim run no-such-story)
synack_expect_exit2(cli.sim.no_name sim run)

# The older default of 5 SYN retransmissions: the last SYN leaves at 31 s and connect() fails
# at 63 s (1+2+4+8+16+32, SPEC §4.6); the outcome line prints it.
synack_expect(cli.sim.syn_lost_retries5 0
              "^outcome  : ok: connect\\(\\) failed with ETIMEDOUT at 63 s after 6 SYNs"
              sim run syn-lost --quiet --sysctl net.ipv4.tcp_syn_retries=5)
# The default, printed in full: the ladder shows the last SYN at 63 s and CLOSED at 127 s.
synack_expect(cli.sim.syn_lost_ladder 0 "^ +127\\.000000 +CLOSED" sim run syn-lost)
# The scenario's capture is readable by `synack pcap` (7 SYNs, all parsed).
add_test(NAME cli.sim.syn_lost_pcap COMMAND sh ${expect} 0 "7 records: 7 parsed, 0 not parsed" -- sh -c
  "${synack} sim run syn-lost --quiet --pcap syn_lost.pcap >/dev/null && ${synack} pcap syn_lost.pcap"
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
# Keepalive with the defaults: 7200 + 9 x 75 = 7875 s from the last segment to ETIMEDOUT.
synack_expect(cli.sim.keepalive_7875 0 "^outcome  : ok: dead peer detected: ETIMEDOUT .*\\(7875 s after"
              sim run keepalive-dead-peer --quiet)
# Shorter keepalive settings change the expectation with them: 60 + 3 x 10 = 90 s.
synack_expect(cli.sim.keepalive_short 0 "\\(90 s after the last segment\\), 3 probes"
              sim run keepalive-dead-peer --quiet --sysctl net.ipv4.tcp_keepalive_time=60
              --sysctl net.ipv4.tcp_keepalive_intvl=10 --sysctl net.ipv4.tcp_keepalive_probes=3)
# close-wait-leak with tcp_fin_timeout = 30 (a common tuning): the orphan goes after 30 s, and
# the server is still in CLOSE-WAIT (the sysctl cannot fix the application).
synack_expect(cli.sim.close_wait_fin_timeout_30 0 "client orphan gone 30 s after"
              sim run close-wait-leak --quiet --sysctl net.ipv4.tcp_fin_timeout=30)

# --trace: JSON lines from both hosts; final-ack-lost's re-ACK is sent from TIME-WAIT.
add_test(NAME cli.sim.trace COMMAND sh -c
  "${synack} sim run final-ack-lost --quiet --trace fal.jsonl >/dev/null && ! grep -vE '^[{]\"host\":\"(client|server)\",\"t\":\"[0-9.]+\",.*[}]$' fal.jsonl && grep -q '\"kind\":\"out\".*\"state\":\"TIME-WAIT\"' fal.jsonl && grep -q '\"from\":\"LAST-ACK\",\"to\":\"CLOSED\"' fal.jsonl"
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
# A capture that cannot be written is bad input.
synack_expect(cli.sim.pcap_unwritable 2 "cannot write /nonexistent/x.pcap" sim run fin-lost --pcap /nonexistent/x.pcap)
# Every scenario's capture reads in tshark with no malformed packet (skipped without tshark).
foreach(name IN LISTS synack_scenarios)
  add_test(NAME cli.sim.${name}_tshark COMMAND sh -c
    "command -v tshark >/dev/null || exit 77; ${synack} sim run ${name} --quiet --pcap ${name}.pcap >/dev/null || exit 1; n=$(tshark -r ${name}.pcap 2>/dev/null | wc -l); m=$(tshark -r ${name}.pcap -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l); echo \"$n packets, $m malformed\"; test $n -gt 0 && test $m -eq 0"
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(cli.sim.${name}_tshark PROPERTIES SKIP_RETURN_CODE 77)
endforeach()

# The SYN schedule follows the other settings Linux uses too. Linux >= 6.5
# tcp_syn_linear_timeouts = 4: four 1 s timeouts, then doubling, and 4 extra retransmissions:
# SYNs at 0,1,2,3,4,5,7,11,19,35,67 s, failure at 131 s (67 + 64).
synack_expect(cli.sim.syn_lost_linear 0 "ETIMEDOUT at 131 s after 11 SYNs"
              sim run syn-lost --quiet --sysctl net.ipv4.tcp_syn_linear_timeouts=4)
# RTO capped at 5 s: 1,2,4 then 5 s steps; 9 retransmissions end at 37 s, failure at 42 s.
synack_expect(cli.sim.syn_lost_rto_max 0 "ETIMEDOUT at 42 s after 10 SYNs"
              sim run syn-lost --quiet --sysctl net.ipv4.tcp_syn_retries=9
              --sysctl net.ipv4.tcp_rto_max_ms=5000)
# synack-lost with a 3 s initial RTO (RFC 1122's old value): the SYN is resent at 3 s and the
# client connects one round trip later.
synack_expect(cli.sim.synack_lost_rto3 0 "client ESTABLISHED at 3\\.020000 s after 2 SYNs"
              sim run synack-lost --quiet --sysctl synack.tcp_rto_initial_ms=3000)
# tcp_fin_timeout above 60 s (SPEC §8.8: the part beyond 60 s is spent as a full socket first):
# the orphan still goes exactly tcp_fin_timeout after entering FIN-WAIT-2.
synack_expect(cli.sim.close_wait_fin_timeout_90 0 "client orphan gone 90 s after"
              sim run close-wait-leak --quiet --sysctl net.ipv4.tcp_fin_timeout=90)
# A shorter TIME-WAIT (synack-only setting, for experiments) moves the expectations with it.
synack_expect(cli.sim.final_ack_lost_tw5 0 "^outcome  : ok: final ACK lost"
              sim run final-ack-lost --quiet --sysctl synack.tcp_timewait_len=5)
# normal-lifecycle: the client's TIME-WAIT lasts exactly the length in force (60 s, or 5 s here).
synack_expect(cli.sim.normal_lifecycle_tw60 0 "TIME-WAIT from 0\\.060000 s to 60\\.060000 s \\(60 s\\)"
              sim run normal-lifecycle --quiet)
synack_expect(cli.sim.normal_lifecycle_tw5 0 "TIME-WAIT from 0\\.060000 s to 5\\.060000 s \\(5 s\\)"
              sim run normal-lifecycle --quiet --sysctl synack.tcp_timewait_len=5)
# third-ack-lost with a 3 s initial RTO: the SYN+ACK is resent at 3.010 s, the server connects
# one hop after the client's answer.
synack_expect(cli.sim.third_ack_lost_rto3 0 "SYN\\+ACK resent after 3 s, client re-ACKed, server ESTABLISHED at 3\\.030000 s"
              sim run third-ack-lost --quiet --sysctl synack.tcp_rto_initial_ms=3000)
# keepalive-restarted-peer: the probe leaves tcp_keepalive_time after the last segment (the
# SYN+ACK at 0.020 s) and ECONNRESET comes one round trip later.
synack_expect(cli.sim.keepalive_restarted_600 0 "probe at 600\\.020000 s: ECONNRESET .* at 600\\.040000 s"
              sim run keepalive-restarted-peer --quiet --sysctl net.ipv4.tcp_keepalive_time=600)
# peer-crash-mid-transfer: tcp_retries2 = 15 is a 924.6 s budget, ended by the 16th timeout at
# 945.25 s; with 5 (a 12.6 s budget) the 6th timeout ends it at 14.05 s.
synack_expect(cli.sim.peer_crash_retries15 0 "15 retransmissions, ETIMEDOUT .* at 945\\.250000 s"
              sim run peer-crash-mid-transfer --quiet)
synack_expect(cli.sim.peer_crash_retries5 0 "5 retransmissions, ETIMEDOUT .* at 14\\.050000 s"
              sim run peer-crash-mid-transfer --quiet --sysctl net.ipv4.tcp_retries2=5)

# SPEC §17 part A: the settings each story names change its expectation with them.
# zero-window-fin-wait1: tcp_orphan_retries = 12 adds two 120 s intervals (12 probes).
synack_expect(cli.sim.zero_window_orphan_retries_12 0
              "^outcome  : ok: orphan killed in FIN-WAIT-1 at 590\\.725000 s after 12 zero-window probes"
              sim run zero-window-fin-wait1 --quiet --sysctl net.ipv4.tcp_orphan_retries=12)
# tcp_orphan_retries = 16 > tcp_retries2: the backoff stops at tcp_retries2 (tcp_send_probe0),
# so "not alive" never comes and the answering peer keeps the orphan forever (6 h horizon).
synack_expect(cli.sim.zero_window_orphan_retries_16 0
              "^outcome  : ok: orphan still in FIN-WAIT-1 after 188 probes"
              sim run zero-window-fin-wait1 --quiet --sysctl net.ipv4.tcp_orphan_retries=16)
# tcp_rto_max_ms = 60000: "alive" is judged against the RTO maximum in force (Linux 6.15+).
synack_expect(cli.sim.zero_window_rto_max_60s 0
              "^outcome  : ok: orphan killed in FIN-WAIT-1 at 175\\.465000 s after 9 zero-window probes"
              sim run zero-window-fin-wait1 --quiet --sysctl net.ipv4.tcp_rto_max_ms=60000)
# max-orphans with a cap of 6: the last two of eight closes are reset.
synack_expect(cli.sim.max_orphans_6 0 "^outcome  : ok: .*2 reset with TCPAbortOnMemory, 6 kept as orphans \\(ooooooRR\\)"
              sim run max-orphans --quiet --sysctl net.ipv4.tcp_max_orphans=6)
# accept-queue-overflow, both settings of tcp_abort_on_overflow.
synack_expect(cli.sim.accept_queue_overflow_drop 0
              "^outcome  : ok: backlog 2, tcp_abort_on_overflow = 0: 2 of 5 clients overflowed, .*all served"
              sim run accept-queue-overflow --quiet)
synack_expect(cli.sim.accept_queue_overflow_abort 0
              "^outcome  : ok: backlog 2, tcp_abort_on_overflow = 1: 2 of 5 clients overflowed, ListenOverflows = 2, they got ECONNRESET"
              sim run accept-queue-overflow --quiet --sysctl net.ipv4.tcp_abort_on_overflow=1)
# fastopen: 2 RTT then 1 RTT by default; 2 RTT both times with Fast Open off.
synack_expect(cli.sim.fastopen_1rtt 0 "^outcome  : ok: .*0\\.040000 s after connect\\(\\) without a cookie, 0\\.020000 s with one"
              sim run fastopen --quiet)
synack_expect(cli.sim.fastopen_off 0 "^outcome  : ok: tcp_fastopen = 0x0: .*0\\.040000 s after connect\\(\\) without a cookie, 0\\.040000 s with one"
              sim run fastopen --quiet --sysctl net.ipv4.tcp_fastopen=0)
# Many-connection stories (wip/scenb): each as a CTest, its capture read by tshark, its chart
# parsed (chart_check.py is written by svg.cmake).
set(synack_many_scenarios
  time-wait-pileup
  port-exhaustion
  port-exhaustion-keepalive
  port-exhaustion-server-closes
  port-exhaustion-more-addresses
  tw-buckets-overflow
  syn-flood
)
foreach(name IN LISTS synack_many_scenarios)
  synack_expect(cli.sim.${name} 0 "^outcome  : ok: " sim run ${name} --quiet)
  add_test(NAME cli.sim.${name}_tshark COMMAND sh -c
    "command -v tshark >/dev/null || exit 77; ${synack} sim run ${name} --quiet --pcap ${name}.pcap >/dev/null || exit 1; n=$(tshark -r ${name}.pcap 2>/dev/null | wc -l); m=$(tshark -r ${name}.pcap -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l); echo \"$n packets, $m malformed\"; test $n -gt 0 && test $m -eq 0"
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(cli.sim.${name}_tshark PROPERTIES SKIP_RETURN_CODE 77)
endforeach()
# time-wait-pileup: 3,000 TIME-WAIT at 89.985 s with the defaults; a 30 s TIME-WAIT halves the
# plateau (the expectation follows synack.tcp_timewait_len).
synack_expect(cli.sim.time_wait_pileup_3000 0 "^outcome  : ok: 3000 TIME-WAIT on the client at 89\\.985000 s"
              sim run time-wait-pileup --quiet)
synack_expect(cli.sim.time_wait_pileup_tw30 0 "^outcome  : ok: 1500 TIME-WAIT on the client"
              sim run time-wait-pileup --quiet --sysctl synack.tcp_timewait_len=30)
# port-exhaustion: exactly the ports in the range, then EADDRNOTAVAIL at ports x 10 ms; a wider
# range moves both; tcp_tw_reuse = 1 turns the expectation into "no failure".
synack_expect(cli.sim.port_exhaustion_500 0 "^outcome  : ok: 500 connections, then EADDRNOTAVAIL at 5 s"
              sim run port-exhaustion --quiet)
synack_expect(cli.sim.port_exhaustion_200 0 "^outcome  : ok: 200 connections, then EADDRNOTAVAIL at 2 s"
              sim run port-exhaustion --quiet --sysctl "net.ipv4.ip_local_port_range=40000 40199")
synack_expect(cli.sim.port_exhaustion_tw_reuse 0 "^outcome  : ok: 1000 connections on 500 ports, no EADDRNOTAVAIL"
              sim run port-exhaustion --quiet --sysctl net.ipv4.tcp_tw_reuse=1)
# port-exhaustion-more-addresses: two source addresses, each with the whole range: 500 + 500;
# with 200 ports, 200 from each and EADDRNOTAVAIL at 400 x 10 ms.
synack_expect(cli.sim.port_exhaustion_more_addresses_500 0
              "^outcome  : ok: 1000 connections on 500 ports x 2 addresses \\(500 from 10\\.0\\.0\\.1, 500 from 10\\.0\\.0\\.3\\), no EADDRNOTAVAIL"
              sim run port-exhaustion-more-addresses --quiet)
synack_expect(cli.sim.port_exhaustion_more_addresses_200 0
              "^outcome  : ok: 400 connections \\(200 from 10\\.0\\.0\\.1, 200 from 10\\.0\\.0\\.3\\), then EADDRNOTAVAIL at 4 s"
              sim run port-exhaustion-more-addresses --quiet --sysctl "net.ipv4.ip_local_port_range=40000 40199")
# tw-buckets-overflow: 100 TIME-WAIT, 400 overflows, 20 rate-limited log lines (two 5 s
# windows); a limit of 300 gives 200 overflows, all within one window (10 lines).
synack_expect(cli.sim.tw_buckets_100 0 "^outcome  : ok: TIME-WAIT capped at 100, 400 closes skipped it \\(TCPTimeWaitOverflow\\), 20 log lines"
              sim run tw-buckets-overflow --quiet)
synack_expect(cli.sim.tw_buckets_300 0 "^outcome  : ok: TIME-WAIT capped at 300, 200 closes skipped it"
              sim run tw-buckets-overflow --quiet --sysctl net.ipv4.tcp_max_tw_buckets=300)
# syn-flood: cookies on (the default) keep all 100 clients in; off, fewer than half connect.
synack_expect(cli.sim.syn_flood_cookies 0 "^outcome  : ok: tcp_syncookies=1: 100/100 legitimate clients connected"
              sim run syn-flood --quiet)
synack_expect(cli.sim.syn_flood_no_cookies 0 "^outcome  : ok: tcp_syncookies=0: "
              sim run syn-flood --quiet --sysctl net.ipv4.tcp_syncookies=0)
find_program(PYTHON3 python3)
find_program(RSVG_CONVERT rsvg-convert)
if(PYTHON3 AND RSVG_CONVERT)
  add_test(NAME cli.chart.time_wait_pileup
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_BINARY_DIR}/chart_check.py time-wait-pileup TIME-WAIT LISTEN --
                   $<TARGET_FILE:synack_cli> sim run time-wait-pileup --quiet
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endif()
# tw-recycle-nat (issue 6): two clients behind one NAT against old Linux's tcp_tw_recycle check
# (a scenario-local filter). The expectation follows the TSvals each seed gives, so any seed
# passes; with tcp_syn_retries=5 the dropped client gives up (31 s < the 60 s stamp age).
synack_expect(cli.sim.tw-recycle-nat 0 "^outcome  : ok: tw_recycle: (A again|B)'s SYNs dropped 6x \\(connect\\(\\) after 63\\.020000 s\\), PAWSPassive 6, without it every connect\\(\\) in 0\\.020000 s"
              sim run tw-recycle-nat --quiet)
synack_expect(cli.sim.tw-recycle-nat_seed11 0 "^outcome  : ok: tw_recycle: (A again|B)'s SYNs dropped 6x"
              sim run tw-recycle-nat --quiet --seed 11)
synack_expect(cli.sim.tw-recycle-nat_syn_retries5 0 "^outcome  : ok: tw_recycle: (A again|B)'s SYNs dropped 6x \\(connect\\(\\) timed out\\), PAWSPassive 6"
              sim run tw-recycle-nat --quiet --sysctl net.ipv4.tcp_syn_retries=5)
# Without timestamps in the SYNs the old check had nothing to compare: no drop.
synack_expect(cli.sim.tw-recycle-nat_no_timestamps 0 "^outcome  : ok: tw_recycle: PAWSPassive 0, without it every connect\\(\\) in 0\\.020000 s"
              sim run tw-recycle-nat --quiet --sysctl net.ipv4.tcp_timestamps=0)
add_test(NAME cli.sim.tw-recycle-nat_tshark COMMAND sh -c
  "command -v tshark >/dev/null || exit 77; ${synack} sim run tw-recycle-nat --quiet --pcap tw-recycle-nat.pcap >/dev/null || exit 1; n=$(tshark -r tw-recycle-nat.pcap 2>/dev/null | wc -l); m=$(tshark -r tw-recycle-nat.pcap -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l); echo \"$n packets, $m malformed\"; test $n -gt 0 && test $m -eq 0"
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(cli.sim.tw-recycle-nat_tshark PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME cli.sim.tw-recycle-nat_svg COMMAND sh -c
  "${synack} sim run tw-recycle-nat --quiet --svg tw-recycle-nat.svg >/dev/null && grep -q '</svg>' tw-recycle-nat.svg"
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
# In a simultaneous open each SYN+ACK repeats its own SYN's sequence number; the ladder must
# not mark it as a retransmission (it is the first SYN+ACK).
add_test(NAME cli.sim.simultaneous_open_synack_not_retransmission
         COMMAND ${synack} sim run simultaneous-open)
set_tests_properties(cli.sim.simultaneous_open_synack_not_retransmission PROPERTIES
  PASS_REGULAR_EXPRESSION "SYN-RECEIVED \\|-- \\[S\\.\\] seq 0 ack 1"
  FAIL_REGULAR_EXPRESSION "retransmission")
# Scenarios off the Rig describe their own hosts in the header's link line.
synack_expect(cli.sim.tw_recycle_nat_link 0 "^link +: clients A 192\\.168\\.1\\.10 and B 192\\.168\\.1\\.11 -> NAT"
              sim run tw-recycle-nat)
