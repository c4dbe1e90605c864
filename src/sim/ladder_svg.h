// LadderSvg: the ladder diagram of sim/ladder.h drawn as an SVG 1.1 picture (SPEC §16.5,
// issue 6 item 2): two vertical timelines with the hosts' titles, one slanted arrow per segment
// from its send time to its arrival time (send + the link's one-way delay), lost segments as an
// arrow that stops half-way in an X, the state each side enters written beside its timeline,
// and the time on the left.
//
// Why it reads Ladder::entries() instead of observing the link itself: the text ladder already
// decides which event belongs to which segment, which state goes on which row and what is
// "plain"; drawing from the same entries keeps the two pictures identical in content.
//
// Vertical scale: time is mapped to y piecewise. Consecutive instants are spaced by their time
// difference (kPixelsPerSecond), but never closer than a text line (so labels don't overlap)
// and never farther than kMaxGap: a longer idle gap (TIME-WAIT's 60 s, a retransmission
// backoff) is drawn short with a zig-zag break marker and its real length written beside it.
// Long runs of plain data segments are collapsed as the text ladder collapses them (first
// Ladder::kCollapseHead and last kCollapseTail arrows, one summary band between), so 1,000
// segments still make a picture of a few screens.
//
// Output is hand-written SVG text (no plotting library; SVG needs none), all text escaped for
// XML. Pure function of its input; no IO.
#pragma once

#include <synack/time.h>

#include <string>
#include <string_view>

#include "sim/ladder.h"

namespace synack::sim {

struct LadderSvgOptions {
  Duration latency = Duration::millis(10);  // one-way delay: arrival = send + latency
  // Collapse runs of more than this many plain segments; 0 uses the ladder's own setting.
  int collapse_after = 0;
  std::string title{};  // drawn at the top when not empty
};

// The SVG document for everything `ladder` has recorded (call ladder.take() first so the last
// rows are complete).
[[nodiscard]] std::string ladder_svg(const Ladder& ladder, const LadderSvgOptions& options = {});

// `text` with &, <, >, " and ' replaced by XML entities.
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace synack::sim
