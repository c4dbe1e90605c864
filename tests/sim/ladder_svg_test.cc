#include "sim/ladder_svg.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <regex>
#include <string>
#include <vector>

#include "link/tracer.h"
#include "sim/conversation.h"
#include "sim/stack_host.h"
#include "stack/trace.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using namespace wire::tcp_flags;
using testing::Conversation;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

struct Arrow {
  double x1, y1, x2, y2;
};

// The delivered segments' arrows (lost ones are drawn as a line and a cross in a group).
std::vector<Arrow> arrows(const std::string& svg) {
  std::vector<Arrow> out;
  const std::regex line(
      R"re(<line class="segment" x1="([-0-9.]+)" y1="([-0-9.]+)" x2="([-0-9.]+)" y2="([-0-9.]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), line); it != std::sregex_iterator();
       ++it)
    out.push_back(
        Arrow{std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
  return out;
}

int svg_height(const std::string& svg) {
  std::smatch m;
  const std::regex h(R"re(<svg [^>]*height="([0-9]+)")re");
  if (!std::regex_search(svg, m, h)) return -1;
  return std::stoi(m[1]);
}

TEST(LadderSvg, XmlEscapeReplacesTheFiveSpecialCharacters) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_escape("[S.] seq 0"), "[S.] seq 0");
}

TEST(LadderSvg, OneArrowPerSegmentLostOnesEndInACrossAndIdleGapsAreBroken) {
  Conversation conv{1, {.latency = 10_ms}};
  Ladder ladder{wire::Ipv4Address::from_octets(10, 0, 0, 1), "client", "server"};
  conv.client_faults->set_observer(&ladder);
  link::Tracer trace_c{"client", *conv.client_faults, &ladder};
  link::Tracer trace_s{"server", *conv.server_faults, &ladder};
  conv.client.attach(trace_c);
  conv.server.attach(trace_s);
  conv.client_faults->add(link::drop_next({.flags_all = kSyn}, "lost SYN"));
  conv.sim.run();
  (void)ladder.take();
  const std::string svg = ladder_svg(ladder, {.latency = 10_ms});

  // The same 9 segments the text ladder draws (ladder_test.cc): 8 delivered, 1 lost.
  const std::vector<Arrow> delivered = arrows(svg);
  EXPECT_EQ(delivered.size(), 8u) << svg;
  EXPECT_EQ(count(svg, "<g class=\"segment lost\">"), 1u) << svg;
  EXPECT_EQ(count(svg, "class=\"cross\""), 1u) << svg;
  for (const Arrow& a : delivered) {
    // Between the two timelines, and slanted down by at least the 10 ms delay (30 px/10 ms;
    // the scale only ever stretches, never shrinks, short gaps).
    EXPECT_NE(a.x1, a.x2);
    EXPECT_GE(a.y2 - a.y1, 30.0 - 0.05) << a.y1 << " " << a.y2;
  }
  // The retransmission waited 1 s: drawn as a break, not 3000 px.
  EXPECT_GE(count(svg, "class=\"break\""), 1u) << svg;
  EXPECT_NE(svg.find("with no segment (not to scale)"), std::string::npos);
  EXPECT_LT(svg_height(svg), 1000);
  // Text is escaped: the SYN options and the fault rule's quotes.
  EXPECT_NE(svg.find("&lt;mss 1460,sackOK,TS,wscale 7&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<mss"), std::string::npos);
  EXPECT_NE(svg.find("LOST (fault rule &apos;lost SYN&apos;)"), std::string::npos);
  EXPECT_NE(svg.find("retransmission"), std::string::npos);
  // Well-formedness basics (a real XML parser checks the demo's SVG in tests/cli/svg.cmake).
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(svg, "<svg "), 1u);
  EXPECT_EQ(count(svg, "<g"), count(svg, "</g>"));
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
}

class StateFeed final : public stack::TraceSink {
 public:
  StateFeed(Ladder& ladder, bool left) : ladder_(ladder), left_(left) {}
  void on_event(const stack::Event& e) override {
    if (e.kind == stack::EventKind::kStateChange && e.tuple.remote_port != 0)
      ladder_.state(e.at, left_, tcp::rfc_name(e.new_state));
  }

 private:
  Ladder& ladder_;
  bool left_;
};

TEST(LadderSvg, LongTransferCollapsesLikeTheTextLadderAndKeepsEveryStateLabel) {
  constexpr size_t kBytes = 300'000;
  const auto ca = wire::Ipv4Address::from_octets(10, 0, 0, 1);
  const auto sa = wire::Ipv4Address::from_octets(10, 0, 0, 2);
  Simulator sim(5);
  StackHost client({.address = ca}, 21, sim.pool());
  StackHost server({.address = sa}, 22, sim.pool());
  const HostId ic = sim.add_host(client, "client");
  const HostId is = sim.add_host(server, "server");
  auto cable = sim.add_cable(ic, is, link::LinkParams{.latency = 10_ms});
  Ladder ladder{ca, "client <&>", "server",
                LadderOptions{.arrow_width = 70, .states = true, .collapse_after = 12}};
  link::Tracer tc{"client", cable.a_to_b, &ladder};
  link::Tracer ts{"server", cable.b_to_a, &ladder};
  client.attach(tc);
  server.attach(ts);
  StateFeed fc{ladder, true};
  StateFeed fs{ladder, false};
  client.stack().set_trace(&fc);
  server.stack().set_trace(&fs);
  Stack& cs = client.stack();
  Stack& ss = server.stack();
  const SocketId l = ss.socket().value();
  ASSERT_EQ(ss.bind(l, Endpoint{sa, 80}), 0);
  ASSERT_EQ(ss.listen(l, 8, sim.now()), 0);
  const SocketId c = cs.socket().value();
  ASSERT_EQ(cs.connect(c, Endpoint{sa, 80}, sim.now()), EINPROGRESS);
  std::vector<uint8_t> data(kBytes, 0x33), buf(65536);
  size_t sent = 0, delivered = 0;
  SocketId s = kNoSocket;
  bool c_closed = false, s_closed = false;
  for (int i = 0; i < 20'000 && !s_closed; ++i) {
    const Instant now = sim.now();
    if (sent < kBytes) {
      if (auto r = cs.send(c, std::span(data).subspan(sent), now)) sent += r.value();
    } else if (!c_closed) {
      ASSERT_EQ(cs.close(c, now), 0);
      c_closed = true;
    }
    if (s == kNoSocket)
      if (auto a = ss.accept(l, now)) s = a.value();
    while (s != kNoSocket) {
      auto r = ss.recv(s, buf, now);
      if (!r) break;
      if (r.value() == 0) {
        ASSERT_EQ(ss.close(s, now), 0);
        s_closed = true;
        break;
      }
      delivered += r.value();
    }
    sim.poke(ic);
    sim.poke(is);
    sim.run_for(1_ms);
  }
  sim.run_for(61_s);
  ASSERT_EQ(delivered, kBytes);
  const std::string text = ladder.take();

  size_t segments = 0, states = 0;
  for (const LadderEntry& e : ladder.entries()) {
    if (e.kind == LadderEntry::Kind::kSegment) {
      ++segments;
      states += !e.state[0].empty();
      states += !e.state[1].empty();
    }
    states += e.kind == LadderEntry::Kind::kState;
  }
  ASSERT_GT(segments, 200u);

  const std::string folded = ladder_svg(ladder, {.latency = 10_ms});
  const std::string full = ladder_svg(ladder, {.latency = 10_ms, .collapse_after = 1'000'000});
  // Uncollapsed: one arrow per recorded segment. Collapsed: the text ladder's summary rows,
  // and the hidden segments they count plus the arrows drawn are all the segments.
  EXPECT_EQ(arrows(full).size(), segments);
  const std::regex summary(R"(\.\.\. ([0-9]+) more segments: )");
  size_t text_summaries = 0, hidden = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), summary);
       it != std::sregex_iterator(); ++it) {
    ++text_summaries;
    hidden += std::stoul((*it)[1]);
  }
  ASSERT_GE(text_summaries, 1u) << text;
  EXPECT_EQ(count(folded, "class=\"collapsed\""), text_summaries);
  EXPECT_EQ(arrows(folded).size() + hidden, segments);
  // Every state entered is labelled in both renderings (handshake and close are never hidden).
  EXPECT_EQ(count(folded, "class=\"state\""), states);
  EXPECT_EQ(count(full, "class=\"state\""), states);
  EXPECT_NE(folded.find("TIME-WAIT"), std::string::npos);
  // The picture stays a few screens high when collapsed, much shorter than the full one.
  EXPECT_LT(svg_height(folded), 2500);
  EXPECT_LT(svg_height(folded) * 3, svg_height(full));
  EXPECT_NE(folded.find("client &lt;&amp;&gt;"), std::string::npos);
}

}  // namespace
}  // namespace synack::sim
