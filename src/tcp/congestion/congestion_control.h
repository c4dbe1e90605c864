// CongestionControl: the congestion window and loss-recovery state one connection carries
// (SPEC §7.4): RFC 5681 slow start / congestion avoidance / fast retransmit, RFC 6582 NewReno
// fast recovery with its `recover` point, and the RTO collapse — with the window growth and
// ssthresh rule delegated to the selected algorithm.
//
// Layout decision: the TCB holds this object by value. The algorithm is a std::variant of
// small value types (today only NewReno; CUBIC will be the second alternative), dispatched with
// std::visit. Compared with a virtual interface this needs no heap allocation and no pointer
// per connection, copies like any value (tests snapshot and compare it), and its size is fixed
// by the largest algorithm — a few dozen bytes, which matters at ten million connections. The
// cost, editing this variant to add an algorithm, is paid once per algorithm. The shared
// recovery machine below mirrors Linux's split between tcp_input.c (tcp_fastretrans_alert(),
// tcp_enter_loss()) and tcp_congestion_ops.
//
// Recovery, per RFC 6582 §3.2, counted in segments:
//   - 3rd duplicate ACK whose ACK field covers more than `recover` (step 1): ssthresh =
//     max(FlightSize/2, 2); recover = highest sequence number sent; cwnd = ssthresh + 3; the
//     engine retransmits the first unacknowledged segment (step 2-3). A 3rd duplicate ACK not
//     beyond `recover` (e.g. after an RTO) does not trigger another fast retransmit.
//   - each further duplicate ACK in recovery: cwnd += 1 (step 4).
//   - partial ACK (new data, not beyond recover): cwnd -= segments acked, then += 1 if at least
//     one segment was acked; the engine retransmits the next unacknowledged segment and, on the
//     first partial ACK, re-arms the retransmission timer (step 5).
//   - full ACK (beyond recover): cwnd = min(ssthresh, max(FlightSize, 1) + 1) — RFC 6582's
//     first option, which avoids a burst; exit to Open (step 6).
// RTO (RFC 5681 §3.1, Linux tcp_enter_loss()): cwnd = 1 (loss window), recover = highest sent,
// state Loss until an ACK passes recover. ssthresh is recomputed only for the first timeout of
// an episode: not when the RTO hits during fast recovery (already reduced) and not when it
// repeats with no ACK progress in between (RFC 5681 §3.1 "ssthresh held constant"); in Loss
// the window grows again by slow start.
// With SACK (the engine holds a scoreboard, tcp/sack_scoreboard.h) recovery is RFC 6675's
// instead: entered when the scoreboard says the first unacknowledged segment is lost — three
// segments SACKed above it, Linux tcp_time_to_recover(); duplicate ACKs alone do not count
// (on_sack_loss()); ssthresh and `recover` as above but no
// window inflation or partial-ACK deflation — the engine sends by pipe < cwnd (NextSeg: lost
// holes, then new data, then other unSACKed data) and sets cwnd on every ACK with Proportional
// Rate Reduction (RFC 6937, Linux tcp_cwnd_reduction(), set_recovery_cwnd()); the full ACK
// leaves cwnd = ssthresh (Linux tcp_end_cwnd_reduction()).
// Not modelled here (engine or later work): limited transmit (RFC 3042), undo of spurious
// reductions (DSACK/Eifel, Linux undo_marker), RACK-TLP (RFC 8985, Linux's default loss
// detection with SACK; synack uses RFC 6675's DupThresh rule), lost-retransmission detection
// (a lost retransmission costs an RTO), cwnd restart after idle (RFC 7661).
//
// Single-threaded like the rest of the core.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "tcp/congestion/new_reno.h"
#include "tcp/congestion/window.h"
#include "wire/seq_num.h"

namespace synack::tcp {

// Linux's TCP_CA_* states, with the numbers TCP_INFO's tcpi_ca_state reports.
enum class CaState : uint8_t {
  kOpen = 0,      // normal
  kDisorder = 1,  // 1-2 duplicate ACKs seen
  kRecovery = 3,  // fast recovery after 3 duplicate ACKs
  kLoss = 4,      // after a retransmission timeout
};
[[nodiscard]] std::string_view to_string(CaState s);

enum class CongestionAlgorithm : uint8_t {
  kNewReno,
  // kCubic: RFC 9438, Linux's default — later, as a second variant alternative.
};
[[nodiscard]] std::string_view to_string(CongestionAlgorithm a);

enum class AckAction : uint8_t {
  kNone,
  kRetransmitFirstUnacked,  // a partial ACK in fast recovery (RFC 6582 §3.2 step 5)
};

enum class DupAckAction : uint8_t {
  kNone,
  kFastRetransmit,  // retransmit the first unacknowledged segment now (RFC 5681 §3.2)
};

class CongestionControl {
 public:
  static constexpr uint32_t kDupAckThreshold = 3;  // RFC 5681 §3.2, Linux tp->reordering init

  // `iss` initializes `recover` (RFC 6582 §3.2: recover starts at the initial send sequence).
  CongestionControl(CongestionAlgorithm algorithm, wire::SeqNum iss,
                    uint32_t initial_cwnd = kInitialCwnd);

  // An ACK that advanced snd_una.
  [[nodiscard]] AckAction on_ack(const AckSample& ack);
  // A duplicate ACK as RFC 5681 §2 defines it (the engine decides that). `ack` is its ACK
  // field (= snd_una), snd_max the highest sequence number sent + 1, flight_size the segments
  // outstanding.
  // `sack`: the engine keeps a SACK scoreboard. Duplicate ACKs are then only counted (Linux
  // enters recovery on SACKed segments, on_sack_loss()) and recovery does not inflate the
  // window: the engine sets it with set_recovery_cwnd() (PRR).
  [[nodiscard]] DupAckAction on_dupack(wire::SeqNum ack, wire::SeqNum snd_max, uint32_t flight_size,
                                       bool sack = false);
  // RFC 6675 §5 (Linux tcp_time_to_recover()): the scoreboard says the first unacknowledged
  // segment is lost (IsLost) before three duplicate ACKs arrived. Enters SACK recovery exactly
  // as the 3rd duplicate ACK would; true if it did (the engine then fast-retransmits).
  [[nodiscard]] bool on_sack_loss(wire::SeqNum ack, wire::SeqNum snd_max, uint32_t flight_size);
  // PRR (RFC 6937, Linux tcp_cwnd_reduction()) computed by the engine, during SACK recovery.
  void set_recovery_cwnd(uint32_t cwnd);
  // The retransmission timer fired and the engine is about to retransmit. `repeated_timeout`:
  // an earlier timeout of this episode had no ACK progress since (Linux icsk_retransmits != 0).
  void on_rto(wire::SeqNum snd_una, wire::SeqNum snd_max, uint32_t flight_size,
              bool repeated_timeout);

  [[nodiscard]] uint32_t cwnd() const { return window_.cwnd; }
  [[nodiscard]] uint32_t ssthresh() const { return window_.ssthresh; }
  [[nodiscard]] bool in_slow_start() const { return window_.in_slow_start(); }
  [[nodiscard]] CaState state() const { return state_; }
  [[nodiscard]] uint32_t dupacks() const { return dupacks_; }
  [[nodiscard]] wire::SeqNum recover() const { return recover_; }
  // In fast recovery driven by a SACK scoreboard (RFC 6675) rather than NewReno.
  [[nodiscard]] bool sack_recovery() const { return sack_recovery_; }
  [[nodiscard]] const CongestionWindow& window() const { return window_; }
  [[nodiscard]] CongestionAlgorithm algorithm() const;

 private:
  using Algorithm = std::variant<NewReno>;

  [[nodiscard]] static Algorithm make_algorithm(CongestionAlgorithm a);
  void grow(const AckSample& ack);
  [[nodiscard]] uint32_t ssthresh_after_loss(uint32_t flight_size) const;
  bool enter_recovery(wire::SeqNum ack, wire::SeqNum snd_max, uint32_t flight_size, bool sack);

  CongestionWindow window_;
  Algorithm algo_;
  CaState state_ = CaState::kOpen;
  bool sack_recovery_ = false;
  uint32_t dupacks_ = 0;
  wire::SeqNum recover_;
};

}  // namespace synack::tcp
