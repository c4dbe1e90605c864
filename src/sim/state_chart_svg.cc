// Drawing of the per-state chart; state_chart_svg.h says what it shows and why.
#include "sim/state_chart_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace synack::sim {
namespace {

constexpr int kWidth = 900;
constexpr int kPanelHeight = 260;
constexpr int kLeft = 70;    // room for the count axis labels
constexpr int kRight = 170;  // room for the legend
constexpr int kTop = 56;
constexpr int kBottom = 40;  // time axis labels

// A colour per state (index: tcp::State), distinct and readable on white.
constexpr std::array<std::string_view, tcp::kStateCount> kColour = {
    "#7f7f7f", "#1f77b4", "#17becf", "#bcbd22", "#2ca02c", "#ff7f0e",
    "#d62728", "#9467bd", "#8c564b", "#e377c2", "#000000", "#bcbd22"};

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A round step (1, 2, 5 x 10^n) giving at most about `ticks` ticks over `range`.
double nice_step(double range, int ticks) {
  if (range <= 0) return 1;
  const double raw = range / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string number(double v) {
  return v == std::floor(v) ? fmt::format("{}", static_cast<int64_t>(v)) : fmt::format("{:g}", v);
}

}  // namespace

std::string state_chart_svg(const std::vector<StateSeries>& series, const std::string& title) {
  const int panels = std::max<int>(1, static_cast<int>(series.size()));
  const int height = kTop + panels * (kPanelHeight + kBottom) + 10;
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n",
      kWidth, height, kWidth, height, kWidth, height);
  if (!title.empty())
    out += fmt::format("<text class=\"title\" x=\"{}\" y=\"22\" font-size=\"15\">{}</text>\n",
                       kLeft, escape(title));
  const int plot_w = kWidth - kLeft - kRight;
  for (size_t p = 0; p < series.size(); ++p) {
    const StateSeries& s = series[p];
    const int y0 = kTop + static_cast<int>(p) * (kPanelHeight + kBottom);
    const int y1 = y0 + kPanelHeight;
    double t_end = 0;
    uint32_t max_count = 0;
    std::array<bool, tcp::kStateCount> used{};
    for (const StateSample& x : s.samples) {
      t_end = std::max(t_end, x.at.since_epoch().ns() / 1e9);
      for (int i = 0; i < tcp::kStateCount; ++i) {
        max_count = std::max(max_count, x.count[static_cast<size_t>(i)]);
        used[static_cast<size_t>(i)] =
            used[static_cast<size_t>(i)] || x.count[static_cast<size_t>(i)] > 0;
      }
    }
    if (t_end <= 0) t_end = 1;
    const double y_step =
        std::max(1.0, nice_step(std::max<double>(max_count, 1), 5));  // whole sockets
    const double y_max =
        std::max(y_step, std::ceil(std::max<double>(max_count, 1) / y_step) * y_step);
    auto xpos = [&](double t) { return kLeft + t / t_end * plot_w; };
    auto ypos = [&](double c) { return y1 - c / y_max * kPanelHeight; };

    out += fmt::format(
        "<g class=\"panel\">\n<text class=\"host\" x=\"{}\" y=\"{}\" font-size=\"13\" "
        "font-weight=\"bold\">{}</text>\n",
        kLeft, y0 - 6, escape(s.host));
    // Axes, grid and ticks.
    out += fmt::format(
        "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n"
        "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n",
        kLeft, y0, kLeft, y1, kLeft, y1, kLeft + plot_w, y1);
    for (double c = 0; c <= y_max + 1e-9; c += y_step) {
      const double y = ypos(c);
      out += fmt::format(
          "<line class=\"grid\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" "
          "stroke=\"#dddddd\"/>\n"
          "<text class=\"tick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
          kLeft, y, kLeft + plot_w, y, kLeft - 6, y + 4, number(c));
    }
    const double t_step = nice_step(t_end, 8);
    for (double t = 0; t <= t_end + 1e-9; t += t_step) {
      const double x = xpos(t);
      out += fmt::format(
          "<line class=\"tick\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" "
          "stroke=\"black\"/>\n"
          "<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{} s</text>\n",
          x, y1, x, y1 + 5, x, y1 + 18, number(t));
    }
    out += fmt::format(
        "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">"
        "simulated time</text>\n",
        kLeft + plot_w / 2, y1 + 34);
    out += fmt::format(
        "<text class=\"axis-label\" x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" "
        "text-anchor=\"middle\">sockets</text>\n",
        (y0 + y1) / 2, (y0 + y1) / 2);
    // One step-function polyline per state that was ever present, and its legend entry.
    int legend = 0;
    for (int i = 0; i < tcp::kStateCount; ++i) {
      if (!used[static_cast<size_t>(i)]) continue;
      const auto state = static_cast<tcp::State>(i);
      std::string points;
      double prev_y = -1;
      for (const StateSample& x : s.samples) {
        const double px = xpos(x.at.since_epoch().ns() / 1e9);
        const double py = ypos(x.count[static_cast<size_t>(i)]);
        if (prev_y >= 0 && py != prev_y) points += fmt::format("{:.1f},{:.1f} ", px, prev_y);
        points += fmt::format("{:.1f},{:.1f} ", px, py);
        prev_y = py;
      }
      if (!points.empty()) points.pop_back();
      const std::string_view colour = kColour[static_cast<size_t>(i)];
      out += fmt::format(
          "<polyline class=\"series\" data-state=\"{}\" points=\"{}\" fill=\"none\" "
          "stroke=\"{}\" stroke-width=\"2\"/>\n",
          tcp::ss_name(state), points, colour);
      const int ly = y0 + 10 + legend * 18;
      out += fmt::format(
          "<line class=\"legend\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
          "stroke-width=\"3\"/>\n<text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>\n",
          kLeft + plot_w + 15, ly, kLeft + plot_w + 40, ly, colour, kLeft + plot_w + 46, ly + 4,
          escape(tcp::ss_name(state)));
      ++legend;
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace synack::sim
