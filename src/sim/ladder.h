// Ladder: the packet exchange between two endpoints drawn as a text sequence diagram, the
// way TCP textbooks draw it (SPEC §16.5), built from link events.
//
// Feed it the Tracer at each endpoint's output (what the endpoint sent) and, as observer of
// the links and fault injectors behind those tracers, their drop/corrupt/delay reports: a
// report at the same Instant for a packet of the same size as the last traced one belongs to
// it (the decorators run synchronously inside the sender's push), so the arrow is marked
// lost or altered in place. Direction comes from the source address. Sequence numbers are
// printed relative to each side's ISN (as Wireshark and `tcpdump` without -S do), and a
// segment repeating sequence space already sent is marked as a retransmission.
//
// Output is plain ASCII, one row per segment or note, time in seconds on the left.
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "link/link_events.h"
#include "wire/ipv4_address.h"

namespace synack::sim {

class Ladder final : public link::LinkObserver {
 public:
  static constexpr int kArrowWidth = 76;

  Ladder(wire::Ipv4Address left_addr, std::string left_title, std::string right_title);

  void on_link_event(const link::LinkEvent& e) override;
  // A free-text row ("client: resend timer fired"), on the side of `left` or right.
  void note(Instant at, bool left, std::string_view text);

  // The column titles and a rule under them.
  [[nodiscard]] std::string header() const;
  // Rows produced so far (the last segment's row is completed first); clears them.
  [[nodiscard]] std::string take();

 private:
  struct Row {
    Instant at;
    size_t size = 0;
    bool rightward = true;
    std::string label;
    std::vector<std::string> marks;  // "lost: random loss", "retransmission", ...
    bool lost = false;
  };
  void flush();
  [[nodiscard]] std::string describe(std::span<const uint8_t> packet, bool& rightward);

  wire::Ipv4Address left_addr_;
  std::string left_title_;
  std::string right_title_;
  std::optional<uint32_t> isn_[2];           // [0] left's ISN, [1] right's
  std::set<std::pair<int, uint32_t>> seen_;  // (side, first seq) of segments with seq space
  bool last_retransmission_ = false;
  std::optional<Row> pending_;
  std::string out_;
};

}  // namespace synack::sim
