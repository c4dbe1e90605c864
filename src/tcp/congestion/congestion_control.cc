#include "tcp/congestion/congestion_control.h"

#include <algorithm>

namespace synack::tcp {

std::string_view to_string(CaState s) {
  switch (s) {
    case CaState::kOpen:
      return "open";
    case CaState::kDisorder:
      return "disorder";
    case CaState::kRecovery:
      return "recovery";
    case CaState::kLoss:
      return "loss";
  }
  return "?";
}

std::string_view to_string(CongestionAlgorithm a) {
  switch (a) {
    case CongestionAlgorithm::kNewReno:
      return NewReno::kName;
  }
  return "?";
}

CongestionControl::Algorithm CongestionControl::make_algorithm(CongestionAlgorithm a) {
  switch (a) {
    case CongestionAlgorithm::kNewReno:
      break;
  }
  return NewReno{};
}

CongestionControl::CongestionControl(CongestionAlgorithm algorithm, wire::SeqNum iss,
                                     uint32_t initial_cwnd)
    : algo_(make_algorithm(algorithm)), recover_(iss) {
  window_.cwnd = std::max<uint32_t>(initial_cwnd, 1);
}

CongestionAlgorithm CongestionControl::algorithm() const {
  return std::visit([](const NewReno&) { return CongestionAlgorithm::kNewReno; }, algo_);
}

void CongestionControl::grow(const AckSample& ack) {
  std::visit([&](const auto& a) { a.on_ack(window_, ack); }, algo_);
}

uint32_t CongestionControl::ssthresh_after_loss(uint32_t flight_size) const {
  return std::visit([&](const auto& a) { return a.ssthresh_after_loss(window_, flight_size); },
                    algo_);
}

AckAction CongestionControl::on_ack(const AckSample& ack) {
  switch (state_) {
    case CaState::kRecovery:
      if (ack.ack > recover_) {
        // Full acknowledgment. SACK: Linux tcp_end_cwnd_reduction(), cwnd = ssthresh. NewReno:
        // RFC 6582 §3.2 step 6, first option.
        window_.cwnd = sack_recovery_
                           ? window_.ssthresh
                           : std::min(window_.ssthresh, std::max<uint32_t>(ack.flight_size, 1) + 1);
        window_.cwnd_cnt = 0;
        state_ = CaState::kOpen;
        dupacks_ = 0;
        sack_recovery_ = false;
        return AckAction::kNone;
      }
      // SACK (RFC 6675): holes are chosen by the scoreboard and the window by PRR.
      if (sack_recovery_) return AckAction::kNone;
      // Partial acknowledgment (step 5): deflate by what left the network, add back one
      // segment if at least one was acked, so about ssthresh stays in flight.
      window_.cwnd -= std::min(window_.cwnd, ack.acked_segments);
      if (ack.acked_segments >= 1) window_.cwnd += 1;
      window_.cwnd = std::max<uint32_t>(window_.cwnd, 1);
      return AckAction::kRetransmitFirstUnacked;
    case CaState::kLoss:
      if (ack.ack > recover_) state_ = CaState::kOpen;
      dupacks_ = 0;
      grow(ack);
      return AckAction::kNone;
    case CaState::kOpen:
    case CaState::kDisorder:
      state_ = CaState::kOpen;
      dupacks_ = 0;
      grow(ack);
      return AckAction::kNone;
  }
  return AckAction::kNone;
}

DupAckAction CongestionControl::on_dupack(wire::SeqNum ack, wire::SeqNum snd_max,
                                          uint32_t flight_size, bool sack) {
  switch (state_) {
    case CaState::kRecovery:
      ++dupacks_;
      if (!sack_recovery_) ++window_.cwnd;  // step 4: one more segment has left the network
      return DupAckAction::kNone;
    case CaState::kLoss:
      // Still repairing after a timeout; ack <= recover here, so no fast retransmit.
      ++dupacks_;
      return DupAckAction::kNone;
    case CaState::kOpen:
    case CaState::kDisorder:
      break;
  }
  ++dupacks_;
  state_ = CaState::kDisorder;
  // With SACK, Linux counts SACKed segments, not duplicate ACKs (tcp_time_to_recover():
  // sacked_out + 1 > reordering): the engine enters through on_sack_loss().
  if (sack) return DupAckAction::kNone;
  if (dupacks_ != kDupAckThreshold) return DupAckAction::kNone;
  // Step 1: only if the ACK covers more than recover, so one loss event (or the losses an RTO
  // already handled) does not cut the window twice.
  if (!enter_recovery(ack, snd_max, flight_size, sack)) return DupAckAction::kNone;
  return DupAckAction::kFastRetransmit;
}

bool CongestionControl::on_sack_loss(wire::SeqNum ack, wire::SeqNum snd_max, uint32_t flight_size) {
  if (state_ != CaState::kOpen && state_ != CaState::kDisorder) return false;
  return enter_recovery(ack, snd_max, flight_size, true);
}

bool CongestionControl::enter_recovery(wire::SeqNum ack, wire::SeqNum snd_max, uint32_t flight_size,
                                       bool sack) {
  // RFC 6582 §3.2 step 1 / RFC 6675 §5 step 4.1: only if the ACK covers more than recover.
  if (!(ack > recover_)) return false;
  window_.ssthresh = ssthresh_after_loss(flight_size);
  recover_ = snd_max - 1;
  // NewReno inflates by the three segments that left (step 2); with SACK the pipe estimate
  // already knows, and PRR sets the window ACK by ACK from here (set_recovery_cwnd()).
  if (!sack) window_.cwnd = window_.ssthresh + kDupAckThreshold;
  window_.cwnd_cnt = 0;
  state_ = CaState::kRecovery;
  sack_recovery_ = sack;
  return true;
}

void CongestionControl::set_recovery_cwnd(uint32_t cwnd) {
  window_.cwnd = std::max<uint32_t>(cwnd, 1);
}

void CongestionControl::on_rto(wire::SeqNum snd_una, wire::SeqNum snd_max, uint32_t flight_size,
                               bool repeated_timeout) {
  // tcp_enter_loss(): reduce ssthresh only once per episode.
  const bool new_episode = state_ == CaState::kOpen || state_ == CaState::kDisorder ||
                           snd_una > recover_ || (state_ == CaState::kLoss && !repeated_timeout);
  if (new_episode) window_.ssthresh = ssthresh_after_loss(flight_size);
  window_.cwnd = 1;
  window_.cwnd_cnt = 0;
  dupacks_ = 0;
  recover_ = snd_max - 1;
  state_ = CaState::kLoss;
  sack_recovery_ = false;
}

}  // namespace synack::tcp
