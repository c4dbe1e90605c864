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

}  // namespace

Ladder::Ladder(wire::Ipv4Address left_addr, std::string left_title, std::string right_title)
    : left_addr_(left_addr),
      left_title_(std::move(left_title)),
      right_title_(std::move(right_title)) {}

std::string Ladder::header() const {
  const int pad = kArrowWidth + 2 - static_cast<int>(left_title_.size() + right_title_.size());
  std::string s =
      fmt::format("{}{}{}{}\n", kTimeColumn, left_title_,
                  std::string(static_cast<size_t>(std::max(pad, 1)), ' '), right_title_);
  s += fmt::format("{}{}\n", std::string(kTimeColumn.size(), ' '),
                   std::string(kArrowWidth + 2, '='));
  return s;
}

std::string Ladder::describe(std::span<const uint8_t> packet, bool& rightward) {
  auto parsed = wire::parse_packet(packet, wire::ParseOptions{.verify_checksums = false});
  if (!parsed) {
    rightward = true;
    return fmt::format("(unparsable, {} bytes)", packet.size());
  }
  const wire::Packet& p = *parsed;
  const wire::TcpSegment& t = p.tcp;
  rightward = p.ip.src == left_addr_;
  const int me = rightward ? 0 : 1;
  if (t.has(kSyn) && !isn_[me]) isn_[me] = t.seq.raw();
  const uint32_t my_base = isn_[me].value_or(0);
  const uint32_t peer_base = isn_[1 - me].value_or(0);
  std::string s = fmt::format("[{}] seq {}", wire::flags_to_string(t.flags), t.seq.raw() - my_base);
  if (t.has(kAck)) s += fmt::format(" ack {}", t.ack.raw() - peer_base);
  s += fmt::format(" win {} len {}", t.window, t.payload.size());
  if (t.has(kSyn)) s += " " + syn_options(t.options);
  last_retransmission_ = false;
  if (t.seq_len() > 0) last_retransmission_ = !seen_.emplace(me, t.seq.raw()).second;
  return s;
}

void Ladder::on_link_event(const link::LinkEvent& e) {
  using link::LinkEventKind;
  if (e.kind == LinkEventKind::kTraced) {
    flush();
    Row row;
    row.at = e.at;
    row.size = e.packet.size();
    row.label = describe(e.packet, row.rightward);
    if (last_retransmission_) row.marks.emplace_back("retransmission");
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
  out_ += fmt::format("{:>12}  | {:<{}}|\n", to_string(e.at), mark, kArrowWidth);
}

void Ladder::note(Instant at, bool left, std::string_view text) {
  flush();
  const std::string body = left ? fmt::format("  * {}", text) : fmt::format("{} *  ", text);
  if (left) {
    out_ += fmt::format("{:>12}  |{:<{}}|\n", to_string(at), body, kArrowWidth);
  } else {
    out_ += fmt::format("{:>12}  |{:>{}}|\n", to_string(at), body, kArrowWidth);
  }
}

void Ladder::flush() {
  if (!pending_) return;
  const Row& r = *pending_;
  const int w = kArrowWidth;
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
    arrow = std::string(static_cast<size_t>(w - reach), ' ') + head + body;
  }
  std::string marks;
  for (const std::string& m : r.marks)
    marks += (marks.empty() ? "  " : ", ") + m;
  out_ += fmt::format("{:>12}  |{}|{}\n", to_string(r.at), arrow, marks);
  pending_.reset();
}

std::string Ladder::take() {
  flush();
  return std::exchange(out_, {});
}

}  // namespace synack::sim
