// FaultInjector: scripted, exactly-reproducible faults on one direction of a link.
//
// Random loss is for statistics; the scenarios of SPEC §17 need faults that hit one precise
// segment ("the SYN+ACK is lost", "the final ACK is lost", "B is unreachable for 5 s"). A
// rule is data: a predicate over the parsed segment (flags, ports, seq, payload length —
// read with wire::parse_packet, never by peeking at offsets), which matching packet it
// fires on (nth), how many times (times), an active time window, and an action: drop,
// corrupt a byte, delay, duplicate. Rules are built with C++20 designated initializers or
// the helpers below and read like the story they tell:
//
//   faults.add(drop_next({.flags_all = tcp_flags::kSyn}, "lost SYN"));
//   faults.add(drop_during(t, t + 5_s));                       // everything, for 5 s
//   faults.add(corrupt_next({.min_payload = 1}, CorruptAt::kPayload, 0));
//
// Rules are evaluated in the order added; a drop ends the evaluation, corruption and
// duplication compose, delays add up. "Nth" counts only packets that match the predicate
// inside the rule's window. Every application bumps the rule's counter, is appended to
// log(), and is reported to the observer with its time and the rule's name.
//
// Where it sits decides what "from A to B" means: wrap the sink A sends into. Packets that
// do not parse as IPv4/TCP match only rules with an empty predicate. Delays go through the
// driver's PacketScheduler, so the same injector works on a simulated or a real link.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "link/link_events.h"
#include "link/packet_sink.h"
#include "wire/ipv4_address.h"
#include "wire/packet.h"

namespace synack::link {

struct SegmentMatch {
  uint8_t flags_all = 0;                 // every one of these flags set
  uint8_t flags_none = 0;                // none of these flags set
  std::optional<uint8_t> flags_exact{};  // exactly these flags
  std::optional<uint32_t> seq{};         // raw sequence number
  std::optional<uint32_t> ack{};         // raw acknowledgment number
  uint32_t min_payload = 0;              // TCP payload length bounds, inclusive
  uint32_t max_payload = std::numeric_limits<uint32_t>::max();
  std::optional<wire::Ipv4Address> src{};
  std::optional<wire::Ipv4Address> dst{};
  std::optional<uint16_t> src_port{};
  std::optional<uint16_t> dst_port{};

  // True when no field is set: matches every packet, parsed or not.
  [[nodiscard]] bool is_any() const;
  [[nodiscard]] bool matches(const wire::Packet& p) const;
};

enum class FaultKind : uint8_t { kDrop, kCorrupt, kDelay, kDuplicate };
std::string_view to_string(FaultKind k);

enum class CorruptAt : uint8_t {
  kPacket,   // offset from the first byte of the IPv4 header
  kPayload,  // offset into the TCP payload (packets with a shorter payload do not match)
};

struct FaultRule {
  static constexpr uint32_t kForever = std::numeric_limits<uint32_t>::max();

  std::string name{};  // shown in traces; "" gets "rule N"
  FaultKind kind = FaultKind::kDrop;
  SegmentMatch match{};
  uint32_t nth = 1;                // first fire on the nth matching packet (1: the next one)
  uint32_t times = 1;              // fire this many consecutive matches, then retire (kForever)
  Instant from = Instant::zero();  // active window [from, until)
  Instant until = Instant::infinite();
  // kCorrupt: XOR the byte at `offset` with `xor_mask` (non-zero, so it always changes).
  CorruptAt corrupt_at = CorruptAt::kPacket;
  uint32_t offset = 0;
  uint8_t xor_mask = 0xff;
  // kDelay: extra time before the packet moves on.
  Duration delay{};
  // kDuplicate: extra identical copies passed on together with the original.
  uint32_t copies = 1;
};

// Helpers that read like the scenario.
[[nodiscard]] FaultRule drop_next(SegmentMatch m, std::string name = {});
[[nodiscard]] FaultRule drop_nth(SegmentMatch m, uint32_t n, std::string name = {});
[[nodiscard]] FaultRule drop_during(Instant from, Instant until, SegmentMatch m = {},
                                    std::string name = {});
[[nodiscard]] FaultRule corrupt_next(SegmentMatch m, CorruptAt at, uint32_t offset,
                                     std::string name = {});
[[nodiscard]] FaultRule delay_next(SegmentMatch m, Duration d, std::string name = {});
[[nodiscard]] FaultRule duplicate_next(SegmentMatch m, uint32_t copies = 1, std::string name = {});

struct FaultRecord {
  Instant at;
  uint32_t rule;  // index returned by add()
  FaultKind kind;
};

class FaultInjector final : public PacketSink {
 public:
  FaultInjector(std::string name, PacketSink& next, PacketScheduler& scheduler, PacketPool& pool)
      : name_(std::move(name)), next_(next), scheduler_(scheduler), pool_(pool) {}

  // Returns the rule's index for fired() and log().
  uint32_t add(FaultRule rule);
  void set_observer(LinkObserver* observer) { observer_ = observer; }

  void push(PacketPtr packet, Instant now) override;

  [[nodiscard]] uint32_t fired(uint32_t rule) const { return rules_.at(rule).fired; }
  [[nodiscard]] const FaultRule& rule(uint32_t rule) const { return rules_.at(rule).rule; }
  [[nodiscard]] const std::vector<FaultRecord>& log() const { return log_; }
  [[nodiscard]] const LinkCounters& counters() const { return counters_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  struct Armed {
    FaultRule rule;
    uint32_t matched = 0;  // matching packets seen inside the window
    uint32_t fired = 0;
  };
  // True when `a` applies to this packet now (and counts the match).
  bool triggers(Armed& a, const PacketBuffer& packet, const wire::Packet* parsed, Instant now);
  void record(uint32_t index, const PacketBuffer& packet, Instant now, LinkEventKind kind,
              Duration extra);

  std::string name_;
  PacketSink& next_;
  PacketScheduler& scheduler_;
  PacketPool& pool_;
  LinkObserver* observer_ = nullptr;
  std::vector<Armed> rules_;
  std::vector<FaultRecord> log_;
  LinkCounters counters_;
};

}  // namespace synack::link
