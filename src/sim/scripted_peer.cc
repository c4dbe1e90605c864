#include "sim/scripted_peer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "wire/packet.h"

namespace synack::sim {
namespace {

using namespace wire::tcp_flags;

uint32_t seq_len(const ScriptSegment& s) {
  return static_cast<uint32_t>(s.payload.size()) + ((s.flags & kSyn) != 0 ? 1 : 0) +
         ((s.flags & kFin) != 0 ? 1 : 0);
}

const ScriptSegment kPureAck{.flags = kAck};
constexpr Duration kMaxRto = Duration::seconds(120);  // SPEC §7.3

}  // namespace

Script request_response_script(std::string request, std::string response) {
  return Script{
      {Role::kClient, {{kSyn}}},
      {Role::kServer, {{kSyn | kAck}}},
      {Role::kClient, {{kAck}, {kPsh | kAck, std::move(request)}}},
      {Role::kServer, {{kPsh | kAck, std::move(response)}}},
      {Role::kClient, {{kFin | kAck}}},
      {Role::kServer, {{kFin | kAck}}},
      {Role::kClient, {{kAck}}},
  };
}

ScriptedPeer::ScriptedPeer(PeerConfig config, Script script, link::PacketPool& pool)
    : config_(config),
      script_(std::move(script)),
      pool_(pool),
      snd_una_(config.iss),
      snd_nxt_(config.iss),
      rto_(config.initial_rto) {
  uint32_t consumed = 0;
  for (const ScriptStep& step : script_) {
    if (step.from != config_.role)
      for (const ScriptSegment& s : step.segments)
        consumed += seq_len(s);
    peer_end_.push_back(consumed);
  }
  ip_id_ = static_cast<uint16_t>(config.iss >> 16);
}

void ScriptedPeer::note(Instant now, std::string_view text) {
  if (note_) note_(now, text);
}

Instant ScriptedPeer::next_deadline() const {
  if (failed_) return Instant::infinite();
  if (!started_ && step_ < script_.size() && ours(step_)) return config_.start;
  return rexmit_at_;
}

void ScriptedPeer::advance(Instant now) {
  if (failed_) return;
  if (!started_ && step_ < script_.size() && ours(step_) && now >= config_.start)
    play_own_steps(now);
  if (now < rexmit_at_) return;
  if (retries_ >= config_.max_retries) {
    failed_ = true;
    rexmit_at_ = Instant::infinite();
    note(now, fmt::format("gave up after {} retransmissions", retries_));
    return;
  }
  ++retries_;
  note(now, fmt::format("resend timer fired (RTO {}), retransmitting", to_string(rto_)));
  retransmit_unacked(now);
  rto_ = std::min(rto_ * 2, kMaxRto);
  rexmit_at_ = now + rto_;
}

void ScriptedPeer::play_own_steps(Instant now) {
  started_ = true;
  while (step_ < script_.size() && ours(step_)) {
    for (const ScriptSegment& s : script_[step_].segments) {
      const uint32_t len = seq_len(s);
      if (len > 0) unacked_.push_back(Outstanding{&s, snd_nxt_, now});
      emit(s, snd_nxt_, now);
      snd_nxt_ += len;
    }
    ++step_;
  }
  if (!unacked_.empty() && rexmit_at_.is_infinite()) rexmit_at_ = now + rto_;
}

void ScriptedPeer::retransmit_unacked(Instant now) {
  for (Outstanding& o : unacked_) {
    o.retransmitted = true;
    ++counters_.retransmitted;
    emit(*o.segment, o.seq, now);
  }
}

void ScriptedPeer::emit(const ScriptSegment& s, wire::SeqNum seq, Instant now) {
  if (uplink_ == nullptr) return;
  wire::Packet p;
  p.ip.src = config_.addr;
  p.ip.dst = config_.peer_addr;
  p.ip.id = ip_id_++;
  wire::TcpSegment& t = p.tcp;
  t.src_port = config_.port;
  t.dst_port = config_.peer_port;
  t.seq = seq;
  t.flags = s.flags;
  if ((s.flags & kAck) != 0) t.ack = rcv_nxt_;
  const auto tsval =
      static_cast<uint32_t>(config_.ts_offset + static_cast<uint64_t>(now.ns() / 1'000'000));
  t.options.timestamps = wire::Timestamps{tsval, (s.flags & kAck) != 0 ? ts_recent_ : 0};
  if ((s.flags & kSyn) != 0) {
    // Linux's first windows: 64240 = 44 × 1460 (SYN), 65160 = 45 × 1448 (SYN+ACK); never
    // scaled on a SYN (SPEC §1.3.1).
    t.window = (s.flags & kAck) != 0 ? 65160 : 64240;
    t.options.mss = 1460;
    t.options.sack_permitted = true;
    t.options.window_scale = config_.window_scale;
  } else {
    t.window = config_.role == Role::kClient ? 502 : 509;  // about 64 KB at wscale 7
  }
  t.payload = {reinterpret_cast<const uint8_t*>(s.payload.data()), s.payload.size()};
  const size_t size = wire::emitted_size(p);
  link::PacketPtr buf = pool_.make(size);
  const size_t written = wire::emit_packet(p, buf->bytes());
  assert(written == size);
  (void)written;
  ++counters_.sent;
  uplink_->push(std::move(buf), now);
}

void ScriptedPeer::process_ack(wire::SeqNum ack, Instant now) {
  if (!(snd_una_ < ack && ack <= snd_nxt_)) return;
  snd_una_ = ack;
  bool sampled = false;
  while (!unacked_.empty()) {
    const Outstanding& o = unacked_.front();
    if (o.seq + seq_len(*o.segment) > ack) break;
    if (!sampled && !o.retransmitted) {  // Karn's rule: no sample from a retransmission
      rto_ = std::max(config_.min_rto, (now - o.first_sent) * 3);
      sampled = true;
    }
    unacked_.erase(unacked_.begin());
  }
  retries_ = 0;
  rexmit_at_ = unacked_.empty() ? Instant::infinite() : now + rto_;
}

bool ScriptedPeer::peer_step_complete(bool got_pure_ack) const {
  const uint32_t needed = peer_end_[step_];
  const uint32_t before = step_ == 0 ? 0 : peer_end_[step_ - 1];
  if (needed == before) return got_pure_ack;  // a step of pure ACKs
  return have_irs_ && static_cast<uint32_t>(rcv_nxt_ - irs_) >= needed;
}

void ScriptedPeer::receive(link::PacketPtr packet, Instant now) {
  ++counters_.received;
  if (failed_) return;
  auto parsed = wire::parse_packet(packet->bytes());
  if (!parsed) {
    ++counters_.bad_checksum;
    note(now, fmt::format("dropped an invalid segment ({})", wire::to_string(parsed.error())));
    return;
  }
  const wire::TcpSegment& t = parsed->tcp;
  if (t.dst_port != config_.port || t.src_port != config_.peer_port) return;
  if ((t.flags & kRst) != 0) {
    failed_ = true;
    rexmit_at_ = Instant::infinite();
    note(now, "connection reset by peer");
    return;
  }
  if (t.options.timestamps) ts_recent_ = t.options.timestamps->val;
  if ((t.flags & kSyn) != 0 && !have_irs_) {
    irs_ = t.seq;
    rcv_nxt_ = t.seq;
    have_irs_ = true;
  }
  if ((t.flags & kAck) != 0) process_ack(t.ack, now);

  const uint32_t len = t.seq_len();
  bool pure_ack = false;
  if (len > 0) {
    if (!have_irs_) return;
    if (t.seq == rcv_nxt_) {
      rcv_nxt_ += len;
    } else if (t.seq + len <= rcv_nxt_) {
      ++counters_.duplicates;
      if (!unacked_.empty()) {
        note(now, "duplicate received, resending what is unacknowledged");
        retransmit_unacked(now);
      } else {
        emit(kPureAck, snd_nxt_, now);
      }
      return;
    } else {
      emit(kPureAck, snd_nxt_, now);  // out of order: tell the peer what we expect
      return;
    }
  } else {
    pure_ack = (t.flags & kAck) != 0 && t.ack == snd_nxt_;
  }
  while (step_ < script_.size() && !ours(step_) && peer_step_complete(pure_ack)) {
    ++step_;
    pure_ack = false;
    play_own_steps(now);
  }
}

}  // namespace synack::sim
