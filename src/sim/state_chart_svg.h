// StateChartSvg: per-state socket counts of one or more hosts over simulated time, drawn as an
// SVG 1.1 line chart (issue 6 item 3; `synack sim run NAME --chart FILE`).
//
// One panel per host, one polyline per state that was ever non-zero, drawn as a step function
// (counts change at events, not gradually), a time axis with ticks at round seconds, a count
// axis with round ticks, and a legend naming each state in its colour. Stories that pile up
// TIME-WAIT, leak CLOSE-WAIT or flood SYN-RECV show as a rising line of that colour.
//
// Why hand-written SVG: the picture needs only lines, text and rectangles, which SVG provides
// directly; a plotting library would add a dependency for nothing. Text is XML-escaped.
// Pure function of its input; no IO.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tcp/state.h"

namespace synack::sim {

struct StateSample {
  Instant at;
  std::array<uint32_t, tcp::kStateCount> count{};  // indexed by tcp::State
};

struct StateSeries {
  std::string host;                  // panel title, e.g. "client 10.0.0.1"
  std::vector<StateSample> samples;  // in time order
};

// The SVG document; `title` goes on top when not empty.
std::string state_chart_svg(const std::vector<StateSeries>& series, const std::string& title);

}  // namespace synack::sim
