// RequestRecord: one pending passive handshake — a SYN received, our SYN+ACK sent, the third
// ACK not yet seen (SPEC §3.2, §5; Linux struct tcp_request_sock in TCP_NEW_SYN_RECV).
//
// Why a small record and not a Tcb: a listener under load (or a SYN flood with cookies off)
// holds up to max_ack_backlog + 1 of these per listener, and a handshake that never completes
// must cost as little as possible. The record keeps only what the SYN+ACK, its
// retransmissions and the check of the third ACK need (Linux tcp_check_req()); everything a
// connection needs besides is derived again from the listener's options when the third ACK
// creates the full Tcb (Engine::open_child, Linux tcp_v4_syn_recv_sock()).
//
// Layout (88 bytes on x86-64, request_table_test checks it; bench/listener_bench.cc reports
// the bytes per record including the table): the wheel entry (24), the hash link and the
// listener (16), the tuple (12), iss/irs/ts_recent (12), the peer's SYN window and MSS, the
// IPv4 ID, the retry count, wscale and flags packed in one byte (8), and two instants (16). The
// retransmission deadline is the wheel entry's own expiry (TimerWheel::expiry), not a copy. Our
// window, window scale and advertised MSS are not stored: they follow from the listener's options
// and the sysctls exactly as for the full connection (Engine::synack_shape()), and the TS offset
// and the IPv4 ID base are keyed hashes of the tuple, so they are recomputed for each SYN+ACK.
//
// Single-threaded like the rest of the core.
#pragma once

#include <synack/time.h>

#include <cstdint>

#include "stack/timer_wheel.h"
#include "tcp/tcb.h"
#include "wire/seq_num.h"

namespace synack::tcp {

class Listener;

// TimerEntry kind of a request record (a Tcb's entry is kind 0).
inline constexpr uint8_t kRequestTimerKind = 2;

struct RequestRecord : stack::TimerEntry {
  RequestRecord() : stack::TimerEntry(kRequestTimerKind) {}

  RequestRecord* hash_next = nullptr;  // request table chain
  Listener* listener = nullptr;        // the listener this handshake belongs to
  FourTuple tuple;                     // local = the listener's side
  SeqNum iss;                          // our SYN+ACK's sequence number (Linux snt_isn)
  SeqNum irs;                          // the peer's SYN (Linux rcv_isn)
  uint32_t ts_recent = 0;              // RFC 7323 TS.Recent (Linux req->ts_recent)
  uint16_t peer_window = 0;            // the SYN's window field (never scaled)
  uint16_t peer_mss = 0;               // the SYN's MSS option, 0 when it had none
  uint16_t ip_id = 0;                  // IPv4 ID of our next segment (Linux inet_id)
  uint8_t retransmits = 0;             // SYN+ACK timeouts so far (Linux num_timeout)
  uint8_t snd_wscale : 4 = 0;          // the peer's shift, 0..14 (valid with ws_ok)
  bool ts_ok : 1 = false;              // both ends use timestamps
  bool sack_ok : 1 = false;            // SACK-permitted offered by the peer and enabled here
  bool ws_ok : 1 = false;              // both ends do window scaling
  bool acked : 1 = false;              // a third ACK was dropped on a full accept queue
  Instant synack_sent;                 // the first SYN+ACK (RTT sample if never retransmitted)
  Instant last_oow_ack = Instant::infinite();  // tcp_invalid_ratelimit (Linux)

  [[nodiscard]] SeqNum rcv_nxt() const { return irs + 1; }
};

}  // namespace synack::tcp
