// ScriptedPeer: a hand-written TCP endpoint that plays one side of a fixed conversation.
//
// NOT the TCP engine. It exists so the simulator, links, faults, pcap tap and ladder can be
// shown and tested end to end with real, checksummed segments before src/tcp/ lands, and so
// later tests have a predictable peer. A Script is the whole exchange as steps, each step a
// group of segments one side sends (flags and payload only); both peers get the same script
// and play their own role. Sequence and acknowledgment numbers are computed as TCP would
// (random ISN, SYN and FIN count one), SYNs carry Linux's options (SPEC §1.3.1:
// mss, sackOK, TS, nop, wscale) and every other segment carries timestamps.
//
// Reacting to the network, in the simplest way that survives loss:
// - a peer sends its next group as soon as the other side's step has fully arrived
//   (all of its sequence space in order; a step of pure ACKs completes on an ACK of
//   everything we sent);
// - a resend timer retransmits whatever of ours is unacknowledged: RTO 1 s
//   (TCP_TIMEOUT_INIT) until an RTT sample, then max(200 ms, 3 × RTT) — what RFC 6298
//   gives for a first sample — doubling on each expiry, giving up after max_retries;
// - a duplicate of something already received is answered by retransmitting our
//   unacknowledged segments (as a SYN-RECEIVED socket answers a repeated SYN), or with a
//   pure ACK when nothing is outstanding (as TIME-WAIT re-ACKs a repeated FIN).
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "link/packet_sink.h"
#include "sim/simulator.h"
#include "wire/ipv4_address.h"
#include "wire/seq_num.h"

namespace synack::sim {

enum class Role : uint8_t { kClient, kServer };

struct ScriptSegment {
  uint8_t flags = 0;
  std::string payload{};
};
struct ScriptStep {
  Role from = Role::kClient;
  std::vector<ScriptSegment> segments{};
};
using Script = std::vector<ScriptStep>;

// SYN / SYN+ACK / ACK + request / response / FIN+ACK / FIN+ACK / ACK.
[[nodiscard]] Script request_response_script(std::string request, std::string response);

struct PeerConfig {
  Role role = Role::kClient;
  wire::Ipv4Address addr{};
  uint16_t port = 0;
  wire::Ipv4Address peer_addr{};
  uint16_t peer_port = 0;
  uint32_t iss = 0;
  uint32_t ts_offset = 0;           // TSval = ts_offset + milliseconds since the epoch
  Instant start = Instant::zero();  // when a peer whose step is first sends it
  Duration initial_rto = Duration::seconds(1);
  Duration min_rto = Duration::millis(200);
  int max_retries = 6;
  uint8_t window_scale = 7;
};

class ScriptedPeer final : public Host {
 public:
  using NoteHandler = std::function<void(Instant, std::string_view)>;

  ScriptedPeer(PeerConfig config, Script script, link::PacketPool& pool);

  void attach(link::PacketSink& uplink) { uplink_ = &uplink; }
  // Called for notable events (timer expiry, giving up, a checksum failure); may be empty.
  void set_note_handler(NoteHandler handler) { note_ = std::move(handler); }

  void receive(link::PacketPtr packet, Instant now) override;
  void advance(Instant now) override;
  [[nodiscard]] Instant next_deadline() const override;

  // Every step played and everything we sent acknowledged.
  [[nodiscard]] bool done() const { return step_ == script_.size() && unacked_.empty(); }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] const PeerConfig& config() const { return config_; }
  [[nodiscard]] uint32_t irs() const { return irs_.raw(); }

  struct Counters {
    uint64_t sent = 0;
    uint64_t retransmitted = 0;
    uint64_t received = 0;
    uint64_t bad_checksum = 0;  // received segments that failed parse_packet
    uint64_t duplicates = 0;    // received segments entirely below rcv_nxt
  };
  [[nodiscard]] const Counters& counters() const { return counters_; }

 private:
  struct Outstanding {
    const ScriptSegment* segment;
    wire::SeqNum seq;
    Instant first_sent;
    bool retransmitted = false;
  };

  [[nodiscard]] bool ours(size_t step) const { return script_[step].from == config_.role; }
  void play_own_steps(Instant now);
  void emit(const ScriptSegment& s, wire::SeqNum seq, Instant now);
  void retransmit_unacked(Instant now);
  void process_ack(wire::SeqNum ack, Instant now);
  [[nodiscard]] bool peer_step_complete(bool got_pure_ack) const;
  void note(Instant now, std::string_view text);

  PeerConfig config_;
  Script script_;
  link::PacketPool& pool_;
  link::PacketSink* uplink_ = nullptr;
  NoteHandler note_;

  size_t step_ = 0;
  bool started_ = false;
  bool failed_ = false;
  wire::SeqNum snd_una_;
  wire::SeqNum snd_nxt_;
  wire::SeqNum irs_;
  wire::SeqNum rcv_nxt_;
  bool have_irs_ = false;
  uint32_t ts_recent_ = 0;
  uint16_t ip_id_ = 0;
  std::vector<uint32_t> peer_end_;  // per step: peer sequence space consumed through it
  std::vector<Outstanding> unacked_;
  Duration rto_;
  int retries_ = 0;
  Instant rexmit_at_ = Instant::infinite();
  Counters counters_;
};

}  // namespace synack::sim
