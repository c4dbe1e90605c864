#include "sim/ladder.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <cerrno>
#include <regex>

#include "link/tracer.h"
#include "sim/conversation.h"
#include "sim/stack_host.h"
#include "stack/trace.h"

namespace synack::sim {
namespace {

using namespace synack::literals;
using namespace wire::tcp_flags;
using testing::Conversation;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

TEST(Ladder, DrawsEachSegmentOnceWithRelativeNumbersAndMarksLossAndRetransmission) {
  Conversation conv{1, {.latency = 10_ms}};
  Ladder ladder{wire::Ipv4Address::from_octets(10, 0, 0, 1), "client", "server"};
  conv.client_faults->set_observer(&ladder);
  link::Tracer trace_c{"client", *conv.client_faults, &ladder};
  link::Tracer trace_s{"server", *conv.server_faults, &ladder};
  conv.client.attach(trace_c);
  conv.server.attach(trace_s);
  conv.client_faults->add(link::drop_next({.flags_all = kSyn}, "lost SYN"));
  conv.sim.run();
  const std::string text = ladder.take();
  const auto rows = lines_of(text);
  // 8 segments of a clean run + the lost SYN.
  ASSERT_EQ(rows.size(), 9u) << text;
  EXPECT_NE(rows[0].find("[S] seq 0 win 64240 len 0 <mss 1460,sackOK,TS,wscale 7>"),
            std::string::npos)
      << rows[0];
  EXPECT_NE(rows[0].find("X"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find("LOST (fault rule 'lost SYN')"), std::string::npos) << rows[0];
  EXPECT_EQ(rows[1].rfind("    1.000000  |-- [S] seq 0", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find("retransmission"), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find(">|"), std::string::npos) << rows[1];
  // The SYN+ACK goes right to left and acknowledges relative 1.
  EXPECT_NE(rows[2].find("|<"), std::string::npos) << rows[2];
  EXPECT_NE(rows[2].find("[S.] seq 0 ack 1 "), std::string::npos) << rows[2];
  // The last row is the client's final ACK: seq 1 + 18 request bytes + FIN = 20.
  EXPECT_NE(rows[8].find("[.] seq 20 ack "), std::string::npos) << rows[8];
  for (const auto& r : rows)
    EXPECT_EQ(r.find('|'), 14u) << r;  // the time column is 14 wide
}

// Two real Stacks, a Tracer on each output and each host's state changes fed to the ladder: the
// client sends `bytes` to the server and closes first; the server closes on EOF.
struct LadderRun {
  std::string text;
  size_t delivered = 0;
};

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

LadderRun run_transfer(size_t bytes, int collapse_after) {
  const auto ca = wire::Ipv4Address::from_octets(10, 0, 0, 1);
  const auto sa = wire::Ipv4Address::from_octets(10, 0, 0, 2);
  Simulator sim(3);
  StackHost client({.address = ca}, 11, sim.pool());
  StackHost server({.address = sa}, 12, sim.pool());
  const HostId ic = sim.add_host(client, "client");
  const HostId is = sim.add_host(server, "server");
  auto cable = sim.add_cable(ic, is, link::LinkParams{.latency = 10_ms});
  Ladder ladder{ca, "client", "server",
                LadderOptions{.arrow_width = 70, .states = true, .collapse_after = collapse_after}};
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
  EXPECT_EQ(ss.bind(l, Endpoint{sa, 80}), 0);
  EXPECT_EQ(ss.listen(l, 8, sim.now()), 0);
  const SocketId c = cs.socket().value();
  EXPECT_EQ(cs.connect(c, Endpoint{sa, 80}, sim.now()), EINPROGRESS);
  sim.poke(ic);
  sim.poke(is);
  std::vector<uint8_t> data(bytes, 0x5a), buf(65536);
  size_t sent = 0;
  LadderRun out;
  SocketId s = kNoSocket;
  bool c_closed = false, s_closed = false;
  for (int i = 0; i < 20'000 && !s_closed; ++i) {
    const Instant now = sim.now();
    if (sent < bytes) {
      auto r = cs.send(c, std::span(data).subspan(sent), now);
      if (r) sent += r.value();
    } else if (!c_closed) {
      EXPECT_EQ(cs.close(c, now), 0);
      c_closed = true;
    }
    if (s == kNoSocket) {
      auto a = ss.accept(l, now);
      if (a) s = a.value();
    }
    while (s != kNoSocket) {
      auto r = ss.recv(s, buf, now);
      if (!r) break;
      if (r.value() == 0) {
        EXPECT_EQ(ss.close(s, now), 0);
        s_closed = true;
        break;
      }
      out.delivered += r.value();
    }
    sim.poke(ic);
    sim.poke(is);
    sim.run_for(1_ms);
  }
  sim.run_for(61_s);  // TIME-WAIT ends
  out.text = ladder.take();
  return out;
}

// Total payload of the rows that show a rightward ("-- ... -->") segment.
size_t visible_rightward_bytes(const std::vector<std::string>& rows) {
  size_t sum = 0;
  const std::regex len(R"(\|-- \[[A-Z.]+\] .* len ([0-9]+) )");
  for (const auto& r : rows) {
    std::smatch m;
    if (std::regex_search(r, m, len)) sum += std::stoul(m[1]);
  }
  return sum;
}

TEST(Ladder, StateColumnsShowWhereEachSideEntersEachState) {
  const LadderRun run = run_transfer(300, 0);
  const auto rows = lines_of(run.text);
  ASSERT_EQ(run.delivered, 300u);
  ASSERT_GE(rows.size(), 8u) << run.text;
  // connect() enters SYN-SENT and then sends the SYN: the state sits on the SYN's row.
  EXPECT_EQ(rows[0].rfind("    0.000000  SYN-SENT     |-- [S] seq 0 ", 0), 0u) << rows[0];
  // Every row has its arrow between pipes at the same columns (time 14 + state 13).
  for (const auto& r : rows) {
    ASSERT_GT(r.size(), 27u + 71u) << r;
    EXPECT_EQ(r[27], '|') << r;
    EXPECT_EQ(r[27 + 71], '|') << r;
  }
  // The server's half-open record and its ESTABLISHED appear in the right column.
  EXPECT_NE(run.text.find("| NEW-SYN-RECV"), std::string::npos) << run.text;
  EXPECT_NE(run.text.find("| ESTABLISHED"), std::string::npos) << run.text;
  // The client closed first: FIN-WAIT-1 on its FIN's row, TIME-WAIT, and 60 s later CLOSED
  // on a row of its own (a timer, no segment).
  bool fin_row = false;
  for (const auto& r : rows)
    fin_row = fin_row || (r.find("FIN-WAIT-1   |-- [F") != std::string::npos);
  EXPECT_TRUE(fin_row) << run.text;
  EXPECT_NE(run.text.find("TIME-WAIT    |"), std::string::npos) << run.text;
  const std::string& last = rows.back();
  EXPECT_NE(last.find("CLOSED"), std::string::npos) << last;
  EXPECT_EQ(last.find("--"), std::string::npos) << last;  // no arrow
  EXPECT_GE(std::stod(last.substr(0, 12)), 60.0) << last;
}

TEST(Ladder, CollapsesLongRunsOfDataSegmentsAndKeepsTheirBytes) {
  constexpr size_t kBytes = 200'000;
  const LadderRun full = run_transfer(kBytes, 0);
  const LadderRun folded = run_transfer(kBytes, 12);
  ASSERT_EQ(folded.delivered, kBytes);
  const auto full_rows = lines_of(full.text);
  const auto rows = lines_of(folded.text);
  // Without collapsing every data byte has a row: the rightward lens add up to the transfer.
  EXPECT_EQ(visible_rightward_bytes(full_rows), kBytes);
  ASSERT_LT(rows.size() + 50, full_rows.size()) << folded.text;
  // Collapsed: the hidden bytes named in the summary rows plus the visible ones are the
  // transfer, and the hidden segments plus the visible rows are all the rows.
  const std::regex summary(
      R"(\.\.\. ([0-9]+) more segments: ([0-9]+) --> \(([0-9]+) bytes\), ([0-9]+) <-- \(([0-9]+) bytes\) \.\.\.)");
  size_t hidden_rows = 0, hidden_right_bytes = 0, summaries = 0;
  for (const auto& r : rows) {
    std::smatch m;
    if (!std::regex_search(r, m, summary)) continue;
    ++summaries;
    hidden_rows += std::stoul(m[1]);
    EXPECT_EQ(std::stoul(m[1]), std::stoul(m[2]) + std::stoul(m[4])) << r;
    EXPECT_EQ(std::stoul(m[5]), 0u) << r;  // the server sends only ACKs
    hidden_right_bytes += std::stoul(m[3]);
    EXPECT_EQ(r.find("|"), 27u) << r;
  }
  EXPECT_GE(summaries, 1u) << folded.text;
  EXPECT_EQ(visible_rightward_bytes(rows) + hidden_right_bytes, kBytes);
  EXPECT_EQ(rows.size() - summaries + hidden_rows, full_rows.size());
  // Handshake and close rows are never hidden.
  EXPECT_NE(folded.text.find("[S] seq 0"), std::string::npos);
  EXPECT_NE(folded.text.find("FIN-WAIT-1"), std::string::npos);
  EXPECT_NE(folded.text.find("CLOSED"), std::string::npos);
}

}  // namespace
}  // namespace synack::sim
