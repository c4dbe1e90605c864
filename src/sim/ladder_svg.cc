#include "sim/ladder_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace synack::sim {
namespace {

constexpr int kWidth = 1000;
constexpr int kTimeX = 92;                   // right edge of the time labels
constexpr int kLeftX = 240;                  // left timeline
constexpr int kRightX = 840;                 // right timeline
constexpr int kTop = 70;                     // where the timelines start
constexpr int kFirstY = 92;                  // the first event
constexpr double kPixelsPerSecond = 3000.0;  // 10 ms = 30 px
// Between two rows, and between two arrivals: a burst sent at one instant is drawn as parallel
// arrows whose labels do not overlap, not as a fan converging on one point.
constexpr double kRowGap = 28.0;
constexpr double kMarksHeight = 22.0;  // the marks line under a label
constexpr double kMinGap = 4.0;        // between an arrival and a row
constexpr double kMaxGap = 150.0;      // longer gaps are broken
constexpr double kBreakGap = 64.0;     // drawn height of a break

constexpr std::string_view kRightColor = "#1f5fbf";
constexpr std::string_view kLeftColor = "#2e7d32";
constexpr std::string_view kLostColor = "#c62828";
constexpr std::string_view kStateColor = "#6a1b9a";

// What is drawn: a recorded entry, or the summary of a collapsed run.
struct Item {
  const LadderEntry* entry = nullptr;  // null: a summary
  Instant at;
  std::string summary{};
  Instant last{};  // a summary: when the last hidden segment was sent
};

struct Tick {
  Instant t;     // where it is drawn (later than `real` after a collapsed run, see below)
  Instant real;  // when it happened
  int kind = 1;  // 0 an arrival, 1 a row (send, state, note, event, summary)
  size_t item = 0;
};

struct Break {
  double y0 = 0;
  double y1 = 0;
  Duration length;
};

std::string summary_text(std::span<const LadderEntry> hidden) {
  uint64_t n[2] = {0, 0};
  uint64_t bytes[2] = {0, 0};
  for (const LadderEntry& e : hidden) {
    const int dir = e.left ? 0 : 1;
    ++n[dir];
    bytes[dir] += e.payload;
  }
  return fmt::format("... {} more segments: {} --> ({} bytes), {} <-- ({} bytes) ...",
                     hidden.size(), n[0], bytes[0], n[1], bytes[1]);
}

// The entries to draw, long plain runs collapsed as Ladder::take() does.
std::vector<Item> visible_items(const std::vector<LadderEntry>& entries, int collapse_after) {
  std::vector<Item> items;
  const size_t limit =
      collapse_after > 0 ? static_cast<size_t>(collapse_after) : entries.size() + 1;
  constexpr auto kHead = static_cast<size_t>(Ladder::kCollapseHead);
  constexpr auto kTail = static_cast<size_t>(Ladder::kCollapseTail);
  size_t i = 0;
  while (i < entries.size()) {
    size_t j = i;
    while (j < entries.size() && entries[j].plain)
      ++j;
    const size_t run = j - i;
    if (run > limit && run > kHead + kTail) {
      for (size_t k = i; k < i + kHead; ++k)
        items.push_back(Item{.entry = &entries[k], .at = entries[k].at});
      const auto hidden =
          std::span<const LadderEntry>(entries).subspan(i + kHead, run - kHead - kTail);
      items.push_back(
          Item{.at = hidden.front().at, .summary = summary_text(hidden), .last = hidden.back().at});
      for (size_t k = j - kTail; k < j; ++k)
        items.push_back(Item{.entry = &entries[k], .at = entries[k].at});
    } else {
      for (size_t k = i; k < j; ++k)
        items.push_back(Item{.entry = &entries[k], .at = entries[k].at});
    }
    if (j < entries.size()) items.push_back(Item{.entry = &entries[j], .at = entries[j].at});
    i = j + 1;
  }
  return items;
}

bool is_segment(const Item& it) {
  return it.entry != nullptr && it.entry->kind == LadderEntry::Kind::kSegment;
}

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

void text(std::string& out, double x, double y, std::string_view anchor, std::string_view style,
          std::string_view body) {
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" {}>{}</text>\n", num(x), num(y),
                     anchor, style, xml_escape(body));
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        s += "&amp;";
        break;
      case '<':
        s += "&lt;";
        break;
      case '>':
        s += "&gt;";
        break;
      case '"':
        s += "&quot;";
        break;
      case '\'':
        s += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text; none is expected here.
        s += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? '?' : c;
    }
  }
  return s;
}

std::string ladder_svg(const Ladder& ladder, const LadderSvgOptions& options) {
  const int collapse =
      options.collapse_after > 0 ? options.collapse_after : ladder.options().collapse_after;
  const std::vector<Item> items = visible_items(ladder.entries(), collapse);

  // Every instant that needs a y: each row, and each segment's arrival. A collapsed run's
  // summary is placed after the arrivals of the arrows drawn before it, so that no arrow
  // crosses it; everything after it moves down by the same time, so every other interval
  // (and every break's length) stays exact.
  std::vector<Tick> ticks;
  Duration shift;
  Instant last_arrival = Instant::zero();
  for (size_t i = 0; i < items.size(); ++i) {
    Instant t = items[i].at + shift;
    if (items[i].entry == nullptr && last_arrival > t) {
      shift = shift + (last_arrival - t);
      t = last_arrival;
    }
    const Instant real = items[i].entry == nullptr ? items[i].last : items[i].at;
    ticks.push_back(Tick{.t = t, .real = real, .kind = 1, .item = i});
    if (is_segment(items[i])) {
      ticks.push_back(
          Tick{.t = t + options.latency, .real = real + options.latency, .kind = 0, .item = i});
      last_arrival = std::max(last_arrival, t + options.latency);
    }
  }
  std::stable_sort(ticks.begin(), ticks.end(), [](const Tick& a, const Tick& b) {
    if (a.t != b.t) return a.t < b.t;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.item < b.item;
  });

  std::vector<double> row_y(items.size(), 0.0);
  std::vector<double> arrival_y(items.size(), 0.0);
  std::vector<Break> breaks;
  double y = kFirstY;
  // A segment with marks under its label keeps the next row's and the next arrival's label
  // clear of them (labels sit half-way between a segment's row and its arrival).
  double not_before[2] = {0, 0};  // [Tick::kind]
  for (size_t k = 0; k < ticks.size(); ++k) {
    if (k > 0) {
      const Tick& prev = ticks[k - 1];
      const Tick& cur = ticks[k];
      // Spacing follows real time; only the collapsed runs are drawn later than they happened.
      const Duration dt = cur.real - prev.real;
      const double natural = dt.secs() * kPixelsPerSecond;
      const bool summary = items[cur.item].entry == nullptr || items[prev.item].entry == nullptr;
      const double min_gap = prev.kind == cur.kind || summary ? kRowGap : kMinGap;
      if (natural > kMaxGap) {
        breaks.push_back(Break{.y0 = y, .y1 = y + kBreakGap, .length = cur.real - prev.real});
        y += std::max(kBreakGap, min_gap);
      } else {
        y += std::max(natural, min_gap);
      }
    }
    {
      const int kind = ticks[k].kind;
      y = std::max(y, not_before[kind]);
      const Item& it = items[ticks[k].item];
      if (it.entry != nullptr && !it.entry->marks.empty())
        not_before[kind] = y + kRowGap + kMarksHeight;
    }
    (ticks[k].kind == 1 ? row_y : arrival_y)[ticks[k].item] = y;
  }
  const double bottom = y + 40;
  const int height = static_cast<int>(bottom) + 20;

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\">\n",
      kWidth, height);
  out += "<defs>\n";
  for (const auto& [id, color] : {std::pair{"r", kRightColor}, std::pair{"l", kLeftColor}}) {
    out += fmt::format(
        "<marker id=\"head-{}\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" "
        "orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,4 L0,8 z\" "
        "fill=\"{}\"/></marker>\n",
        id, color);
  }
  out += "</defs>\n";
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n", kWidth,
                     height);
  if (!options.title.empty())
    text(out, kWidth / 2.0, 22, "middle", "font-size=\"14\" font-weight=\"bold\"", options.title);
  text(out, kLeftX, 50, "middle", "font-size=\"13\" font-weight=\"bold\"", ladder.left_title());
  text(out, kRightX, 50, "middle", "font-size=\"13\" font-weight=\"bold\"", ladder.right_title());
  text(out, kTimeX, 50, "end", "font-size=\"11\" fill=\"#555\"", "time (s)");

  // Timelines, then the breaks drawn over them.
  for (const int x : {kLeftX, kRightX})
    out += fmt::format(
        "<line class=\"timeline\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\" "
        "stroke-width=\"2\"/>\n",
        x, kTop, num(bottom));
  for (const Break& b : breaks) {
    const double mid = (b.y0 + b.y1) / 2;
    out += "<g class=\"break\">\n";
    for (const int x : {kLeftX, kRightX}) {
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"8\" fill=\"white\"/>\n",
                         x - 6, num(mid - 4));
      for (const double dy : {-4.0, 4.0})
        out += fmt::format(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\" "
            "stroke-width=\"1.5\"/>\n",
            x - 9, num(mid + dy + 3), x + 9, num(mid + dy - 3));
    }
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" "
        "stroke-dasharray=\"3,4\"/>\n",
        kTimeX - 40, num(mid), kWidth - 20, num(mid));
    text(out, (kLeftX + kRightX) / 2.0, mid - 5, "middle",
         "fill=\"#555\" font-style=\"italic\" stroke=\"white\" stroke-width=\"4\" "
         "paint-order=\"stroke\"",
         fmt::format("{:.2f} s with no segment (not to scale)", b.length.secs()));
    out += "</g>\n";
  }

  std::string on_top;
  double last_time_label = -100;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const double y0 = row_y[i];
    if (y0 - last_time_label >= 13) {
      text(out, kTimeX, y0 + 4, "end", "fill=\"#555\"", to_string(it.at));
      last_time_label = y0;
    }
    if (it.entry == nullptr) {
      // Drawn last, over the arrows that cross the hidden stretch.
      on_top += fmt::format(
          "<rect class=\"collapsed\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"20\" fill=\"#f2f2f2\" "
          "stroke=\"#888\" stroke-dasharray=\"4,3\"/>\n",
          kLeftX + 6, num(y0 - 14), kRightX - kLeftX - 12);
      text(on_top, (kLeftX + kRightX) / 2.0, y0, "middle", "fill=\"#333\"", it.summary);
      continue;
    }
    const LadderEntry& e = *it.entry;
    switch (e.kind) {
      case LadderEntry::Kind::kSegment: {
        const double x1 = e.left ? kLeftX : kRightX;
        const double x2 = e.left ? kRightX : kLeftX;
        const double y1 = y0;
        const double y2 = std::max(arrival_y[i], y1);
        const std::string_view color = e.lost ? kLostColor : e.left ? kRightColor : kLeftColor;
        const double xm = (x1 + x2) / 2;
        const double ym = (y1 + y2) / 2;
        if (e.lost) {
          out += fmt::format(
              "<g class=\"segment lost\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" "
              "stroke=\"{}\" stroke-width=\"1.5\"/>",
              num(x1), num(y1), num(xm), num(ym), color);
          out += fmt::format(
              "<path class=\"cross\" d=\"M{} {} L{} {} M{} {} L{} {}\" stroke=\"{}\" "
              "stroke-width=\"2.5\"/></g>\n",
              num(xm - 7), num(ym - 7), num(xm + 7), num(ym + 7), num(xm - 7), num(ym + 7),
              num(xm + 7), num(ym - 7), color);
        } else {
          out += fmt::format(
              "<line class=\"segment\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
              "stroke-width=\"1.5\" marker-end=\"url(#head-{})\"/>\n",
              num(x1), num(y1), num(x2), num(y2), color, e.left ? "r" : "l");
        }
        // The label centred above the middle of the arrow (where a lost one has its X),
        // turned to the arrow's slope; the marks under it in red. The middle is where two
        // arrows crossing the link at the same time are farthest apart.
        const double angle =
            std::atan2(e.left ? y2 - y1 : y1 - y2, kRightX - kLeftX) * 180.0 / std::numbers::pi;
        out += fmt::format("<g transform=\"rotate({} {} {})\">\n", num(angle), num(xm), num(ym));
        text(out, xm, ym - (e.lost ? 11 : 4), "middle",
             fmt::format("class=\"label\" fill=\"{}\"", e.left ? kRightColor : kLeftColor), e.text);
        std::string marks;
        for (const std::string& m : e.marks)
          marks += (marks.empty() ? "" : ", ") + m;
        if (!marks.empty())
          text(out, xm, ym + (e.lost ? 19 : 12), "middle",
               fmt::format("class=\"marks\" fill=\"{}\" font-weight=\"bold\"", kLostColor), marks);
        out += "</g>\n";
        for (int side = 0; side < 2; ++side) {
          if (e.state[side].empty()) continue;
          const double sx = side == 0 ? kLeftX : kRightX;
          out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"/>\n", num(sx),
                             num(y1), kStateColor);
          text(out, side == 0 ? sx - 10 : sx + 10, y1 + 4, side == 0 ? "end" : "start",
               fmt::format("class=\"state\" fill=\"{}\" font-weight=\"bold\"", kStateColor),
               e.state[side]);
        }
        break;
      }
      case LadderEntry::Kind::kState: {
        const double sx = e.left ? kLeftX : kRightX;
        out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"/>\n", num(sx),
                           num(y0), kStateColor);
        text(out, e.left ? sx - 10 : sx + 10, y0 + 4, e.left ? "end" : "start",
             fmt::format("class=\"state\" fill=\"{}\" font-weight=\"bold\"", kStateColor), e.text);
        break;
      }
      case LadderEntry::Kind::kNote:
        text(out, e.left ? kLeftX + 10 : kRightX - 10, y0 + 4, e.left ? "start" : "end",
             "class=\"note\" fill=\"#444\" font-style=\"italic\"", "* " + e.text);
        break;
      case LadderEntry::Kind::kEvent:
        text(out, (kLeftX + kRightX) / 2.0, y0 + 4, "middle",
             fmt::format("class=\"event\" fill=\"{}\" font-style=\"italic\"", kLostColor), e.text);
        break;
    }
  }
  out += on_top;
  out += "</svg>\n";
  return out;
}

}  // namespace synack::sim
