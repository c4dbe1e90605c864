// The socket views against what Linux's own tools printed (tests/data/views/, captured by
// scripts/capture-view-formats from kernel sockets in a network namespace).
//
// Two kinds of check. Layout: each captured file is parsed back into rows, the rows are given
// to our formatter, and the text must come out byte for byte as the tool printed it (the kernel
// pointer and reference-count columns of /proc/net/tcp excepted: synack has neither). Values:
// two synack Stacks in the simulator are driven into the states the capture made (ESTAB with
// unread data, FIN-WAIT-2 / CLOSE-WAIT, TIME-WAIT, not accepted, zero-window, SYN-SENT), and
// their views must show those states with the queue values Linux showed.
#include "stack/views/socket_views.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "stack/counters_format.h"

namespace synack::views {
namespace {

using namespace synack::literals;
using tcp::State;

std::string read_data(const std::string& name) {
  std::ifstream in(std::string{SYNACK_TEST_DATA_DIR} + "/views/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

wire::Ipv4Address addr(const std::string& dotted) {
  return wire::Ipv4Address::parse(dotted).value();
}

// "10.78.0.1:38752" or "0.0.0.0:*" -> address, port.
void split_endpoint(const std::string& text, wire::Ipv4Address& a, uint16_t& port) {
  const size_t colon = text.rfind(':');
  a = addr(text.substr(0, colon));
  const std::string p = text.substr(colon + 1);
  port = p == "*" ? 0 : static_cast<uint16_t>(std::stoul(p));
}

// Rows parsed back from `ss -tan` text.
std::vector<SocketSnapshot> parse_ss(const std::string& text) {
  std::vector<SocketSnapshot> rows;
  const auto lines = lines_of(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string state, local, peer;
    SocketSnapshot r;
    in >> state >> r.recv_queue >> r.send_queue >> local >> peer;
    r.state = tcp::parse_state(state).value();
    r.kind = r.state == State::kListen ? SocketSnapshot::Kind::kListener
                                       : SocketSnapshot::Kind::kConnection;
    split_endpoint(local, r.local_addr, r.local_port);
    split_endpoint(peer, r.remote_addr, r.remote_port);
    rows.push_back(r);
  }
  return rows;
}

class CapturedSs : public testing::TestWithParam<const char*> {};

TEST_P(CapturedSs, SameTextFromTheSameRows) {
  const std::string real = read_data(std::string(GetParam()) + "-ss-tan.txt");
  ASSERT_FALSE(real.empty()) << "run scripts/capture-view-formats";
  const auto rows = parse_ss(real);
  ASSERT_GE(rows.size(), 5u);
  EXPECT_EQ(format_ss(rows), real);
}
INSTANTIATE_TEST_SUITE_P(Linux, CapturedSs, testing::Values("client", "server"));

uint32_t hex(const std::string& s) {
  return static_cast<uint32_t>(std::stoul(s, nullptr, 16));
}
wire::Ipv4Address proc_addr(const std::string& s) {
  const uint32_t v = hex(s);
  return wire::Ipv4Address{(v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)};
}

// Blanks the refcount and kernel-pointer fields, which synack does not have.
std::string without_kernel_fields(const std::string& text) {
  static const std::regex kTail(
      R"((: \S+ \S+ \S+ \S+:\S+ \S+:\S+ \S+ +\d+ +\d+ \d+) \d+ [0-9a-f]{16})");
  return std::regex_replace(text, kTail, "$1 R P");
}

std::vector<SocketSnapshot> parse_proc(const std::string& text) {
  std::vector<SocketSnapshot> rows;
  const auto lines = lines_of(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string sl, local, remote, st, queues, timer, retr, uid, probes, inode, ref, ptr;
    in >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> probes >> inode >> ref >>
        ptr;
    SocketSnapshot r;
    r.local_addr = proc_addr(local.substr(0, 8));
    r.local_port = static_cast<uint16_t>(hex(local.substr(9)));
    r.remote_addr = proc_addr(remote.substr(0, 8));
    r.remote_port = static_cast<uint16_t>(hex(remote.substr(9)));
    const uint32_t state = hex(st);
    for (int s = 0; s < tcp::kStateCount; ++s)
      if (tcp::proc_net_tcp_state(static_cast<State>(s)) == static_cast<int>(state)) {
        r.state = static_cast<State>(s);
        break;
      }
    r.send_queue = hex(queues.substr(0, 8));
    r.recv_queue = hex(queues.substr(9));
    r.timer = static_cast<ProcTimer>(hex(timer.substr(0, 2)));
    r.timer_left = Duration::millis(10 * int64_t{hex(timer.substr(3))});
    r.retransmits = hex(retr);
    r.probes_out = static_cast<uint32_t>(std::stoul(probes));
    r.inode = static_cast<uint32_t>(std::stoul(inode));
    if (r.state == State::kTimeWait) {
      r.kind = SocketSnapshot::Kind::kTimeWait;
    } else {
      int64_t rto, ato, quick, cwnd, ssthresh;
      in >> rto >> ato >> quick >> cwnd >> ssthresh;
      r.kind = r.state == State::kListen ? SocketSnapshot::Kind::kListener
                                         : SocketSnapshot::Kind::kConnection;
      r.rto = Duration::millis(10 * rto);
      r.ato = Duration::millis(10 * ato);
      r.quick_acks = static_cast<uint32_t>(quick >> 1);
      r.pingpong = (quick & 1) != 0;
      r.snd_cwnd = static_cast<uint32_t>(cwnd);
      r.snd_ssthresh = ssthresh;
    }
    rows.push_back(r);
  }
  return rows;
}

class CapturedProc : public testing::TestWithParam<const char*> {};

TEST_P(CapturedProc, SameTextFromTheSameRows) {
  const std::string real = read_data(std::string(GetParam()) + "-proc-net-tcp.txt");
  ASSERT_FALSE(real.empty()) << "run scripts/capture-view-formats";
  const auto rows = parse_proc(real);
  ASSERT_GE(rows.size(), 5u);
  EXPECT_EQ(without_kernel_fields(format_proc_net_tcp(rows)), without_kernel_fields(real));
}
INSTANTIATE_TEST_SUITE_P(Linux, CapturedProc, testing::Values("client", "server"));

TEST(CapturedNstat, EveryLineReformatsByteForByte) {
  const auto lines = lines_of(read_data("client-nstat-az.txt"));
  ASSERT_GT(lines.size(), 50u);
  EXPECT_EQ(lines[0], "#kernel");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string name;
    uint64_t value = 0;
    double rate = 0;
    in >> name >> value >> rate;
    EXPECT_EQ(stack::nstat_line(name, value, rate), lines[i] + "\n");
  }
}

TEST(CapturedSockstat, SameTcpLineShape) {
  const std::regex kShape(R"(TCP: inuse \d+ orphan \d+ tw \d+ alloc \d+ mem \d+)");
  for (const char* side : {"client", "server"}) {
    const auto lines = lines_of(read_data(std::string(side) + "-sockstat.txt"));
    ASSERT_GE(lines.size(), 2u);
    EXPECT_TRUE(std::regex_match(lines[1], kShape)) << lines[1];
  }
  const std::string ours = format_sockstat({});
  EXPECT_TRUE(std::regex_match(ours.substr(0, ours.size() - 1), kShape)) << ours;
}

// --- a synack pair driven into the captured states --------------------------------------------

const auto kClient = wire::Ipv4Address::from_octets(10, 78, 0, 1);
const auto kServer = wire::Ipv4Address::from_octets(10, 78, 0, 2);

struct Pair {
  Pair()
      : sim(5), a({.address = kClient}, 11, sim.pool()), b({.address = kServer}, 12, sim.pool()) {
    ia = sim.add_host(a, "client");
    ib = sim.add_host(b, "server");
    auto cable = sim.add_cable(ia, ib, link::LinkParams{.latency = 1_ms});
    a.attach(cable.a_to_b);
    b.attach(cable.b_to_a);
  }
  void run(Duration d) {
    sim.poke(ia);
    sim.poke(ib);
    sim.run_for(d);
  }
  SocketId listen(uint16_t port) {
    const SocketId l = b.stack().socket().value();
    EXPECT_EQ(b.stack().bind(l, Endpoint{kServer, port}), 0);
    EXPECT_EQ(b.stack().listen(l, 8, sim.now()), 0);
    return l;
  }
  SocketId connect(wire::Ipv4Address to, uint16_t port) {
    const SocketId s = a.stack().socket().value();
    EXPECT_EQ(a.stack().connect(s, Endpoint{to, port}, sim.now()), EINPROGRESS);
    return s;
  }
  sim::Simulator sim;
  sim::StackHost a;
  sim::StackHost b;
  sim::HostId ia = 0;
  sim::HostId ib = 0;
};

// The capture script's story, on synack.
struct CapturedStory : Pair {
  CapturedStory() {
    Stack& c = a.stack();
    Stack& s = b.stack();
    const SocketId l = listen(8080);
    const SocketId lz = listen(8081);
    EXPECT_EQ(s.set_option(lz, SockOpt::kRcvBuf, 4096), 0);
    const SocketId ca = connect(kServer, 8080);
    const SocketId cb = connect(kServer, 8080);
    const SocketId cc = connect(kServer, 8080);
    run(50_ms);
    const SocketId sa = s.accept(l, sim.now()).value();
    (void)s.accept(l, sim.now()).value();
    const SocketId sc = s.accept(l, sim.now()).value();
    const std::vector<uint8_t> hundred(100, 'x');
    EXPECT_EQ(s.send(sa, hundred, sim.now()).value(), 100u);
    EXPECT_EQ(c.shutdown(cb, ShutdownHow::kWrite, sim.now()), 0);
    EXPECT_EQ(c.close(cc, sim.now()), 0);
    run(50_ms);
    EXPECT_EQ(s.close(sc, sim.now()), 0);
    connect(kServer, 8080);  // never accepted
    const SocketId cz = connect(kServer, 8081);
    run(50_ms);
    (void)s.accept(lz, sim.now()).value();
    const std::vector<uint8_t> chunk(65536, 'y');
    for (int i = 0; i < 200; ++i) {
      (void)c.send(cz, chunk, sim.now());
      run(10_ms);
    }
    connect(wire::Ipv4Address::from_octets(10, 78, 0, 9), 80);  // nobody answers
    run(3_s);
    (void)ca;
  }
};

const SocketSnapshot* find(const std::vector<SocketSnapshot>& rows, State st,
                           uint16_t remote_port = 0) {
  for (const SocketSnapshot& r : rows)
    if (r.state == st && (remote_port == 0 || r.remote_port == remote_port)) return &r;
  return nullptr;
}

// The snapshot holds the same multiset of states as the Linux capture `file` (ss -tan).
void expect_same_states(const std::vector<SocketSnapshot>& rows, const char* file) {
  std::multiset<State> want, got;
  for (const auto& r : parse_ss(read_data(file)))
    want.insert(r.state);
  for (const auto& r : rows)
    got.insert(r.state);
  EXPECT_EQ(got, want) << file << "\n" << format_ss(rows);
}

TEST(SynackViews, ClientShowsTheCapturedStatesAndQueues) {
  CapturedStory p;
  const auto rows = p.a.stack().snapshot(p.sim.now());
  expect_same_states(rows, "client-ss-tan.txt");
  // 100 bytes unread on one ESTAB; the SYN counts 1 in SYN-SENT's Send-Q (as in the capture);
  // the zero-window connection has a full Send-Q and the probe timer (tr 4).
  bool unread = false;
  for (const auto& r : rows)
    unread = unread || (r.state == State::kEstablished && r.recv_queue == 100);
  EXPECT_TRUE(unread) << format_ss(rows);
  const SocketSnapshot* syn = find(rows, State::kSynSent);
  ASSERT_NE(syn, nullptr);
  EXPECT_EQ(syn->send_queue, 1u);
  EXPECT_EQ(syn->timer, ProcTimer::kRetransmit);
  EXPECT_EQ(syn->retransmits, 2u);  // SYNs at 0, 1, 3 s: two retransmissions by 3 s
  const SocketSnapshot* zw = find(rows, State::kEstablished, 8081);
  ASSERT_NE(zw, nullptr);
  EXPECT_GT(zw->send_queue, 0u);
  EXPECT_EQ(zw->timer, ProcTimer::kProbe);
  const SocketSnapshot* tw = find(rows, State::kTimeWait);
  ASSERT_NE(tw, nullptr);
  EXPECT_EQ(tw->kind, SocketSnapshot::Kind::kTimeWait);
  EXPECT_EQ(tw->timer, ProcTimer::kTimeWait);
  EXPECT_GT(tw->timer_left, 50_s);  // entered at about 0.1 s, 60 s long
  // The header line is the real one (ephemeral ports are 5 digits on both).
  EXPECT_EQ(lines_of(format_ss(rows))[0], lines_of(read_data("client-ss-tan.txt"))[0]);
  EXPECT_EQ(format_sockstat(rows).substr(0, 26), "TCP: inuse 5 orphan 0 tw 1");
  EXPECT_EQ(format_state_counts(rows), "ESTABLISHED 3\nSYN_SENT 1\nFIN_WAIT2 1\nTIME_WAIT 1\n");
}

TEST(SynackViews, ServerShowsListenersCloseWaitAndTheAcceptQueue) {
  CapturedStory p;
  const auto rows = p.b.stack().snapshot(p.sim.now());
  expect_same_states(rows, "server-ss-tan.txt");
  // LISTEN: Recv-Q = accept queue, Send-Q = backlog; the unread FIN counts 1 in CLOSE-WAIT.
  bool listen_with_child = false;
  for (const auto& r : rows)
    listen_with_child =
        listen_with_child || (r.state == State::kListen && r.recv_queue == 1 && r.send_queue == 8);
  EXPECT_TRUE(listen_with_child) << format_ss(rows);
  const SocketSnapshot* cw = find(rows, State::kCloseWait);
  ASSERT_NE(cw, nullptr);
  EXPECT_EQ(cw->recv_queue, 1u);
  EXPECT_EQ(format_sockstat(rows).substr(0, 26), "TCP: inuse 6 orphan 0 tw 0");
  // /proc/net/tcp: the listeners come first with state 0A, every line 149 columns.
  const auto proc = lines_of(format_proc_net_tcp(rows));
  ASSERT_EQ(proc.size(), rows.size() + 1);
  EXPECT_EQ(proc[0], lines_of(read_data("server-proc-net-tcp.txt"))[0]);
  for (const std::string& l : proc)
    EXPECT_EQ(l.size(), 149u) << l;
  EXPECT_NE(proc[1].find(" 0A 00000000:"), std::string::npos) << proc[1];
}

}  // namespace
}  // namespace synack::views
