#include "sim/ladder.h"

#include <fmt/format.h>

#include <algorithm>

#include "wire/packet.h"

namespace synack::sim {
namespace {

using namespace wire::tcp_flags;

constexpr std::string_view kTimeColumn = "    time (s)  ";

std::string syn_options(const wire::TcpOptions& o) {
  std::string s;
  auto item = [&s](const std::string& text) {
    s += s.empty() ? "<" : ",";
    s += text;
  };
  if (o.mss) item(fmt::format("mss {}", *o.mss));
  if (o.sack_permitted) item("sackOK");
  if (o.timestamps) item("TS");
  if (o.window_scale) item(fmt::format("wscale {}", *o.window_scale));
  if (!s.empty()) s += ">";
  return s;
}

void rtrim(std::string& s) {
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
}

std::string pad(size_t n) {
  return std::string(n, ' ');
}

}  // namespace

Ladder::Ladder(wire::Ipv4Address left_addr, std::string left_title, std::string right_title,
               LadderOptions options)
    : left_addr_(left_addr),
      left_title_(std::move(left_title)),
      right_title_(std::move(right_title)),
      options_(options) {}

std::string Ladder::header() const {
  const int w = options_.arrow_width;
  const size_t state_pad = options_.states ? static_cast<size_t>(kStateWidth) : 0;
  const int gap = w + 2 - static_cast<int>(left_title_.size() + right_title_.size());
  std::string s = fmt::format("{}{}{}{}{}\n", kTimeColumn, pad(state_pad), left_title_,
                              pad(static_cast<size_t>(std::max(gap, 1))), right_title_);
  s += fmt::format("{}{}\n", pad(kTimeColumn.size() + state_pad),
                   std::string(static_cast<size_t>(w + 2), '='));
  return s;
}

std::string Ladder::describe(std::span<const uint8_t> packet, Row& row) {
  auto parsed = wire::parse_packet(packet, wire::ParseOptions{.verify_checksums = false});
  if (!parsed) {
    row.rightward = true;
    row.control = true;  // never hide what could not be read
    return fmt::format("(unparsable, {} bytes)", packet.size());
  }
  const wire::Packet& p = *parsed;
  const wire::TcpSegment& t = p.tcp;
  row.rightward = p.ip.src == left_addr_;
  row.control = t.has(kSyn) || t.has(kFin) || t.has(kRst);
  row.payload = t.payload.size();
  const int me = row.rightward ? 0 : 1;
  if (t.has(kSyn) && !isn_[me]) isn_[me] = t.seq.raw();
  const uint32_t my_base = isn_[me].value_or(0);
  const uint32_t peer_base = isn_[1 - me].value_or(0);
  std::string s = fmt::format("[{}] seq {}", wire::flags_to_string(t.flags), t.seq.raw() - my_base);
  if (t.has(kAck)) s += fmt::format(" ack {}", t.ack.raw() - peer_base);
  s += fmt::format(" win {} len {}", t.window, t.payload.size());
  if (t.has(kSyn)) s += " " + syn_options(t.options);
  last_retransmission_ = false;
  // A SYN+ACK repeats its own SYN's sequence number in a simultaneous open (RFC 9293 §3.5,
  // Figure 8): it is the first SYN+ACK, not a retransmission, so SYN+ACKs are tracked apart.
  const bool synack = t.has(kSyn) && t.has(kAck);
  if (t.seq_len() > 0) {
    last_retransmission_ = !seen_.emplace(me * 2 + (synack ? 1 : 0), t.seq.raw()).second;
  }
  return s;
}

void Ladder::on_link_event(const link::LinkEvent& e) {
  using link::LinkEventKind;
  if (e.kind == LinkEventKind::kTraced) {
    flush();
    Row row;
    row.at = e.at;
    row.size = e.packet.size();
    row.label = describe(e.packet, row);
    if (last_retransmission_) row.marks.emplace_back("retransmission");
    const int sender = row.rightward ? 0 : 1;
    for (int side = 0; side < 2; ++side) {
      auto& held = held_[side];
      if (held && side == sender && held->at == e.at) {
        row.state[side] = std::move(held->name);
        held.reset();
      } else {
        flush_state(side);
      }
    }
    pending_ = std::move(row);
    return;
  }
  std::string mark;
  switch (e.kind) {
    case LinkEventKind::kDropped:
      mark = e.rule.empty() ? fmt::format("LOST ({})", link::to_string(e.reason))
                            : fmt::format("LOST ({} '{}')", link::to_string(e.reason), e.rule);
      break;
    case LinkEventKind::kDuplicated:
      mark = "duplicated";
      break;
    case LinkEventKind::kReordered:
      mark = fmt::format("reordered +{}", to_string(e.extra));
      break;
    case LinkEventKind::kCorrupted:
      mark = fmt::format("corrupted by '{}'", e.rule);
      break;
    case LinkEventKind::kDelayed:
      mark = fmt::format("delayed +{} by '{}'", to_string(e.extra), e.rule);
      break;
    case LinkEventKind::kTraced:
      break;
  }
  if (pending_ && pending_->at == e.at && pending_->size == e.packet.size()) {
    pending_->marks.push_back(std::move(mark));
    if (e.kind == LinkEventKind::kDropped) pending_->lost = true;
    return;
  }
  flush();
  flush_states();
  entries_.push_back(LadderEntry{.kind = LadderEntry::Kind::kEvent, .at = e.at, .text = mark});
  const size_t state_pad = options_.states ? static_cast<size_t>(kStateWidth) : 0;
  add_line(fmt::format("{:>12}  {}| {:<{}}|", to_string(e.at), pad(state_pad), mark,
                       options_.arrow_width - 1));
}

void Ladder::note(Instant at, bool left, std::string_view text) {
  flush();
  flush_states();
  const int w = options_.arrow_width;
  const size_t state_pad = options_.states ? static_cast<size_t>(kStateWidth) : 0;
  entries_.push_back(LadderEntry{
      .kind = LadderEntry::Kind::kNote, .at = at, .left = left, .text = std::string(text)});
  const std::string body = left ? fmt::format("  * {}", text) : fmt::format("{} *  ", text);
  if (left) {
    add_line(fmt::format("{:>12}  {}|{:<{}}|", to_string(at), pad(state_pad), body, w));
  } else {
    add_line(fmt::format("{:>12}  {}|{:>{}}|", to_string(at), pad(state_pad), body, w));
  }
}

void Ladder::state(Instant at, bool left, std::string_view state) {
  if (!options_.states) return;
  const int side = left ? 0 : 1;
  flush();
  flush_state(side);
  held_[side] = HeldState{at, std::string(state)};
}

std::string Ladder::state_cell(std::string_view s) const {
  if (!options_.states) return {};
  return fmt::format("{:<{}}", s, kStateWidth);
}

void Ladder::flush_state(int side) {
  auto& held = held_[side];
  if (!held) return;
  const int w = options_.arrow_width;
  std::string text = side == 0
                         ? fmt::format("{:>12}  {}|{}|", to_string(held->at),
                                       state_cell(held->name), pad(static_cast<size_t>(w)))
                         : fmt::format("{:>12}  {}|{}| {}", to_string(held->at), state_cell(""),
                                       pad(static_cast<size_t>(w)), held->name);
  entries_.push_back(LadderEntry{
      .kind = LadderEntry::Kind::kState, .at = held->at, .left = side == 0, .text = held->name});
  held.reset();
  add_line(std::move(text));
}

void Ladder::flush_states() {
  // Oldest first, so rows stay in time order.
  if (held_[0] && held_[1] && held_[1]->at < held_[0]->at) flush_state(1);
  flush_state(0);
  flush_state(1);
}

std::string Ladder::render(const Row& r) const {
  const int w = options_.arrow_width;
  std::string label = " " + r.label + " ";
  // A lost segment's arrow stops short of the other side, ending in an X.
  constexpr int kShort = 6;
  const int reach = r.lost ? w - kShort : w;
  std::string arrow;
  if (r.rightward) {
    arrow = "--" + label;
    while (static_cast<int>(arrow.size()) < reach - 1)
      arrow += '-';
    arrow += r.lost ? 'X' : '>';
    arrow.resize(std::max<size_t>(arrow.size(), static_cast<size_t>(w)), ' ');
  } else {
    std::string body = label + "--";
    std::string head(1, r.lost ? 'X' : '<');
    while (static_cast<int>(head.size() + body.size()) < reach)
      head += '-';
    arrow = pad(static_cast<size_t>(std::max(w - reach, 0))) + head + body;
  }
  std::string marks;
  for (const std::string& m : r.marks)
    marks += (marks.empty() ? "  " : ", ") + m;
  if (options_.states) {
    // The right state column, then the marks (rtrim in take() drops trailing blanks).
    // The right side's state, then the marks; with no state the marks take its place.
    const std::string right = r.state[1].empty() ? (marks.empty() ? "" : marks.substr(2))
                                                 : state_cell(r.state[1]) + marks;
    return fmt::format("{:>12}  {}|{}| {}", to_string(r.at), state_cell(r.state[0]), arrow, right);
  }
  return fmt::format("{:>12}  |{}|{}", to_string(r.at), arrow, marks);
}

void Ladder::flush() {
  if (!pending_) return;
  const Row& r = *pending_;
  Line line;
  line.text = render(r);
  line.plain = !r.control && !r.lost && r.marks.empty() && r.state[0].empty() && r.state[1].empty();
  line.rightward = r.rightward;
  line.payload = r.payload;
  entries_.push_back(LadderEntry{.kind = LadderEntry::Kind::kSegment,
                                 .at = r.at,
                                 .left = r.rightward,
                                 .text = r.label,
                                 .marks = r.marks,
                                 .lost = r.lost,
                                 .plain = line.plain,
                                 .payload = r.payload,
                                 .state = {r.state[0], r.state[1]}});
  lines_.push_back(std::move(line));
  pending_.reset();
}

std::string Ladder::summary(std::span<const Line> hidden) const {
  uint64_t n[2] = {0, 0};
  uint64_t bytes[2] = {0, 0};
  for (const Line& l : hidden) {
    const int dir = l.rightward ? 0 : 1;
    ++n[dir];
    bytes[dir] += l.payload;
  }
  const std::string text =
      fmt::format("... {} more segments: {} --> ({} bytes), {} <-- ({} bytes) ...", hidden.size(),
                  n[0], bytes[0], n[1], bytes[1]);
  const size_t state_pad = options_.states ? static_cast<size_t>(kStateWidth) : 0;
  return fmt::format("{:>12}  {}|{:^{}}|", "", pad(state_pad), text, options_.arrow_width);
}

std::string Ladder::take() {
  flush();
  flush_states();
  std::string out;
  const size_t limit = options_.collapse_after > 0 ? static_cast<size_t>(options_.collapse_after)
                                                   : lines_.size() + 1;
  size_t i = 0;
  while (i < lines_.size()) {
    size_t j = i;
    while (j < lines_.size() && lines_[j].plain)
      ++j;
    const size_t run = j - i;
    std::vector<std::string> texts;
    if (run > limit && run > static_cast<size_t>(kCollapseHead + kCollapseTail)) {
      for (size_t k = i; k < i + kCollapseHead; ++k)
        texts.push_back(lines_[k].text);
      const auto hidden = std::span<const Line>(lines_).subspan(
          i + kCollapseHead, run - kCollapseHead - kCollapseTail);
      texts.push_back(summary(hidden));
      for (size_t k = j - kCollapseTail; k < j; ++k)
        texts.push_back(lines_[k].text);
    } else {
      for (size_t k = i; k < j; ++k)
        texts.push_back(lines_[k].text);
    }
    if (j < lines_.size()) texts.push_back(lines_[j].text);
    for (std::string& t : texts) {
      rtrim(t);
      out += t;
      out += '\n';
    }
    i = j + 1;
  }
  lines_.clear();
  return out;
}

}  // namespace synack::sim
