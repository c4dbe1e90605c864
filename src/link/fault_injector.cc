#include "link/fault_injector.h"

#include <fmt/format.h>

#include <utility>

namespace synack::link {

bool SegmentMatch::is_any() const {
  return flags_all == 0 && flags_none == 0 && !flags_exact && !seq && !ack && min_payload == 0 &&
         max_payload == std::numeric_limits<uint32_t>::max() && !src && !dst && !src_port &&
         !dst_port;
}

bool SegmentMatch::matches(const wire::Packet& p) const {
  const wire::TcpSegment& s = p.tcp;
  if ((s.flags & flags_all) != flags_all) return false;
  if ((s.flags & flags_none) != 0) return false;
  if (flags_exact && s.flags != *flags_exact) return false;
  if (seq && s.seq.raw() != *seq) return false;
  if (ack && s.ack.raw() != *ack) return false;
  if (s.payload.size() < min_payload || s.payload.size() > max_payload) return false;
  if (src && p.ip.src != *src) return false;
  if (dst && p.ip.dst != *dst) return false;
  if (src_port && s.src_port != *src_port) return false;
  if (dst_port && s.dst_port != *dst_port) return false;
  return true;
}

std::string_view to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kDrop:
      return "drop";
    case FaultKind::kCorrupt:
      return "corrupt";
    case FaultKind::kDelay:
      return "delay";
    case FaultKind::kDuplicate:
      return "duplicate";
  }
  return "?";
}

FaultRule drop_next(SegmentMatch m, std::string name) {
  return FaultRule{.name = std::move(name), .kind = FaultKind::kDrop, .match = m};
}

FaultRule drop_nth(SegmentMatch m, uint32_t n, std::string name) {
  return FaultRule{.name = std::move(name), .kind = FaultKind::kDrop, .match = m, .nth = n};
}

FaultRule drop_during(Instant from, Instant until, SegmentMatch m, std::string name) {
  return FaultRule{.name = std::move(name),
                   .kind = FaultKind::kDrop,
                   .match = m,
                   .times = FaultRule::kForever,
                   .from = from,
                   .until = until};
}

FaultRule corrupt_next(SegmentMatch m, CorruptAt at, uint32_t offset, std::string name) {
  return FaultRule{.name = std::move(name),
                   .kind = FaultKind::kCorrupt,
                   .match = m,
                   .corrupt_at = at,
                   .offset = offset};
}

FaultRule delay_next(SegmentMatch m, Duration d, std::string name) {
  return FaultRule{.name = std::move(name), .kind = FaultKind::kDelay, .match = m, .delay = d};
}

FaultRule duplicate_next(SegmentMatch m, uint32_t copies, std::string name) {
  return FaultRule{
      .name = std::move(name), .kind = FaultKind::kDuplicate, .match = m, .copies = copies};
}

uint32_t FaultInjector::add(FaultRule rule) {
  const auto index = static_cast<uint32_t>(rules_.size());
  if (rule.name.empty()) rule.name = fmt::format("rule {}", index);
  if (rule.xor_mask == 0) rule.xor_mask = 0xff;
  if (rule.nth == 0) rule.nth = 1;
  rules_.push_back(Armed{.rule = std::move(rule)});
  return index;
}

void FaultInjector::record(uint32_t index, const PacketBuffer& packet, Instant now,
                           LinkEventKind kind, Duration extra) {
  const FaultRule& r = rules_[index].rule;
  log_.push_back(FaultRecord{.at = now, .rule = index, .kind = r.kind});
  if (observer_ == nullptr) return;
  LinkEvent e;
  e.at = now;
  e.kind = kind;
  e.reason = DropReason::kFaultRule;
  e.stage = name_;
  e.rule = r.name;
  e.packet = packet.bytes();
  e.extra = extra;
  observer_->on_link_event(e);
}

bool FaultInjector::triggers(Armed& a, const PacketBuffer& packet, const wire::Packet* parsed,
                             Instant now) {
  const FaultRule& r = a.rule;
  if (a.fired >= r.times || now < r.from || now >= r.until) return false;
  if (!r.match.is_any() && (parsed == nullptr || !r.match.matches(*parsed))) return false;
  if (r.kind == FaultKind::kCorrupt) {
    if (r.corrupt_at == CorruptAt::kPacket && packet.size() <= r.offset) return false;
    if (r.corrupt_at == CorruptAt::kPayload &&
        (parsed == nullptr || parsed->tcp.payload.size() <= r.offset))
      return false;
  }
  ++a.matched;
  if (a.matched < r.nth) return false;
  ++a.fired;
  return true;
}

void FaultInjector::push(PacketPtr packet, Instant now) {
  ++counters_.packets_in;
  counters_.bytes_in += packet->size();

  // Parse once, and only if a rule needs the fields. Checksums are not verified: a rule must
  // still see a segment that an earlier fault corrupted.
  std::optional<wire::Packet> parsed;
  bool need_parse = false;
  for (const Armed& a : rules_)
    need_parse |= a.fired < a.rule.times &&
                  (!a.rule.match.is_any() || a.rule.corrupt_at == CorruptAt::kPayload);
  if (need_parse) {
    auto r = wire::parse_packet(packet->bytes(), wire::ParseOptions{.verify_checksums = false});
    if (r.has_value()) parsed = *r;
  }
  const wire::Packet* p = parsed ? &*parsed : nullptr;

  Duration delay;
  uint32_t copies = 0;
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    Armed& a = rules_[i];
    if (!triggers(a, *packet, p, now)) continue;
    const FaultRule& r = a.rule;
    switch (r.kind) {
      case FaultKind::kDrop:
        ++counters_.dropped[static_cast<size_t>(DropReason::kFaultRule)];
        record(i, *packet, now, LinkEventKind::kDropped, Duration::zero());
        return;
      case FaultKind::kCorrupt: {
        size_t at = r.offset;
        if (r.corrupt_at == CorruptAt::kPayload)
          at += static_cast<size_t>(p->tcp.payload.data() - packet->bytes().data());
        packet->bytes()[at] ^= r.xor_mask;
        ++counters_.corrupted;
        record(i, *packet, now, LinkEventKind::kCorrupted, Duration::zero());
        break;
      }
      case FaultKind::kDelay:
        delay += r.delay;
        ++counters_.delayed;
        record(i, *packet, now, LinkEventKind::kDelayed, r.delay);
        break;
      case FaultKind::kDuplicate:
        copies += r.copies;
        counters_.duplicated += r.copies;
        record(i, *packet, now, LinkEventKind::kDuplicated, Duration::zero());
        break;
    }
  }

  const size_t size = packet->size();
  for (uint32_t c = 0; c <= copies; ++c) {
    PacketPtr out = c == copies ? std::move(packet) : pool_.copy(packet->bytes());
    ++counters_.packets_out;
    counters_.bytes_out += size;
    if (delay > Duration::zero()) {
      scheduler_.deliver_at(now + delay, next_, std::move(out));
    } else {
      next_.push(std::move(out), now);
    }
  }
}

}  // namespace synack::link
