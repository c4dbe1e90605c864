// Ladder: the packet exchange between two endpoints drawn as a text sequence diagram, the
// way TCP textbooks draw it (SPEC §16.5), built from link events and the hosts' state changes.
//
// Feed it the Tracer at each endpoint's output (what the endpoint sent) and, as observer of
// the links and fault injectors behind those tracers, their drop/corrupt/delay reports: a
// report at the same Instant for a packet of the same size as the last traced one belongs to
// it (the decorators run synchronously inside the sender's push), so the arrow is marked
// lost or altered in place. Direction comes from the source address. Sequence numbers are
// printed relative to each side's ISN (as Wireshark and `tcpdump` without -S do), and a
// segment repeating sequence space already sent is marked as a retransmission.
//
// States (LadderOptions::states): state() reports that one side entered a state. The engine
// reports a state change inside the call that causes it, before the segment that call sends
// (connect() -> SYN-SENT, then the SYN; the SYN+ACK arrives -> ESTABLISHED, then the ACK), so
// a state is held until the next event: if that is a segment the same side sends at the same
// Instant, the state is printed on that segment's row, in the side's state column; otherwise
// (an ACK that moves a side to FIN-WAIT-2 and sends nothing, a timer ending TIME-WAIT) it gets
// a row of its own at its own time. Rows are therefore in time order.
//
// Long runs (LadderOptions::collapse_after): a bulk transfer would print one row per segment.
// A row is "plain" when it is an ordinary data or ACK segment — no SYN/FIN/RST, no loss or
// other mark, no state entered. take() prints a run of more than collapse_after plain rows as
// its first few rows, one summary row (segments and payload bytes per direction), and its last
// rows. Runs never span two take() calls, so a caller that wants collapsing calls take() at the
// end (or at quiet moments).
//
// Output is plain ASCII, one row per segment, state or note, time in seconds on the left.
// The same rows are also kept as structured entries (entries(), never cleared by take()) so
// another renderer (sim/ladder_svg.h) draws the same exchange without recording it again.
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "link/link_events.h"
#include "wire/ipv4_address.h"

namespace synack::sim {

struct LadderOptions {
  int arrow_width = 76;  // columns between the two '|'
  // Print a state column on each side (width kStateWidth) and accept state().
  bool states = false;
  // Collapse runs of more than this many plain rows; 0 never collapses.
  int collapse_after = 0;
};

// One recorded row, in the order the text ladder prints them.
struct LadderEntry {
  enum class Kind { kSegment, kState, kNote, kEvent };
  Kind kind = Kind::kSegment;
  Instant at;
  // kSegment: sent by the left side (arrow points right); kState/kNote: the left side's.
  bool left = true;
  std::string text;                  // segment label, state name, note or event text
  std::vector<std::string> marks{};  // segment marks ("retransmission", "LOST (...)")
  bool lost = false;
  bool plain = false;  // collapsible (see "Long runs" above)
  size_t payload = 0;
  std::string state[2]{};  // kSegment: state entered by [0] left, [1] right on this row
};

class Ladder final : public link::LinkObserver {
 public:
  static constexpr int kArrowWidth = 76;  // the default arrow width
  static constexpr int kStateWidth = 13;  // "SYN-RECEIVED" and a space
  // A collapsed run keeps this many rows before and after its summary row.
  static constexpr int kCollapseHead = 4;
  static constexpr int kCollapseTail = 3;

  Ladder(wire::Ipv4Address left_addr, std::string left_title, std::string right_title,
         LadderOptions options = {});

  void on_link_event(const link::LinkEvent& e) override;
  // A free-text row ("client: resend timer fired"), on the side of `left` or right.
  void note(Instant at, bool left, std::string_view text);
  // The left (or right) side entered `state` at `at` (see the header comment). Ignored unless
  // options.states.
  void state(Instant at, bool left, std::string_view state);

  // Titles can be set late (a client's port is known only after connect(), which already sends).
  void set_titles(std::string left_title, std::string right_title) {
    left_title_ = std::move(left_title);
    right_title_ = std::move(right_title);
  }
  [[nodiscard]] const std::string& left_title() const { return left_title_; }
  [[nodiscard]] const std::string& right_title() const { return right_title_; }
  [[nodiscard]] const LadderOptions& options() const { return options_; }
  // Every row completed so far (call take() first to complete the last ones); kept by take().
  [[nodiscard]] const std::vector<LadderEntry>& entries() const { return entries_; }
  // The column titles and a rule under them.
  [[nodiscard]] std::string header() const;
  // Rows produced so far (held states and the last segment's row are completed first, long
  // runs collapsed); clears them.
  [[nodiscard]] std::string take();

 private:
  struct Row {
    Instant at;
    size_t size = 0;
    bool rightward = true;
    std::string label;
    std::vector<std::string> marks;  // "lost: random loss", "retransmission", ...
    bool lost = false;
    bool control = false;  // SYN, FIN or RST
    size_t payload = 0;
    std::string state[2];  // state entered by [0] left, [1] right on this row
  };
  struct Line {
    std::string text;
    bool plain = false;
    bool rightward = true;
    size_t payload = 0;
  };
  struct HeldState {
    Instant at;
    std::string name;
  };
  void flush();
  void flush_states();
  void flush_state(int side);
  void add_line(std::string text) { lines_.push_back(Line{.text = std::move(text)}); }
  [[nodiscard]] std::string describe(std::span<const uint8_t> packet, Row& row);
  [[nodiscard]] std::string state_cell(std::string_view s) const;
  [[nodiscard]] std::string render(const Row& r) const;
  [[nodiscard]] std::string summary(std::span<const Line> hidden) const;

  wire::Ipv4Address left_addr_;
  std::string left_title_;
  std::string right_title_;
  LadderOptions options_;
  std::optional<uint32_t> isn_[2];  // [0] left's ISN, [1] right's
  // (side * 2 + is SYN+ACK, first seq) of segments with sequence space
  std::set<std::pair<int, uint32_t>> seen_;
  bool last_retransmission_ = false;
  std::optional<Row> pending_;
  std::optional<HeldState> held_[2];  // states not yet placed, per side
  std::vector<Line> lines_;
  std::vector<LadderEntry> entries_;
};

}  // namespace synack::sim
