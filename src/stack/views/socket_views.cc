// Formatting of the socket views; socket_views.h says what each prints and why it lives here.
#include "stack/views/socket_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "wire/ipv4_address.h"

namespace synack::views {

using tcp::State;

namespace {

// --- ss ---------------------------------------------------------------------------------------
// misc/ss.c renders a grid of cells: a column's width is its widest cell (header included)
// plus its left delimiter unless it is the first column; a cell is printed after the delimiter,
// right-aligned columns padded on the left, left-aligned ones on the right.
enum class Align : uint8_t { kLeft, kRight };
struct Column {
  Align align;
  std::string_view header;
  std::string_view ldelim;
};
constexpr std::array<Column, 7> kSsColumns = {{
    {Align::kLeft, "State", " "},
    {Align::kLeft, "Recv-Q", " "},
    {Align::kLeft, "Send-Q", " "},
    {Align::kRight, "Local Address:", " "},
    {Align::kLeft, "Port", ""},
    {Align::kRight, "Peer Address:", " "},
    {Align::kLeft, "Port", ""},
}};
constexpr Column kProcessColumn{Align::kLeft, "Process", ""};
constexpr size_t kCells = kSsColumns.size() + 1;

std::string render_grid(const std::vector<std::array<std::string, kCells>>& grid) {
  std::array<Column, kCells> cols{};
  std::copy(kSsColumns.begin(), kSsColumns.end(), cols.begin());
  cols[kCells - 1] = kProcessColumn;
  std::array<size_t, kCells> width{};
  bool first = true;
  for (size_t c = 0; c < kCells; ++c) {
    size_t max_len = 0;
    for (const auto& row : grid)
      max_len = std::max(max_len, row[c].size());
    width[c] = max_len + (!first && max_len > 0 ? cols[c].ldelim.size() : 0);
    if (width[c] > 0) first = false;
  }
  std::string out;
  for (const auto& row : grid) {
    size_t printed_line = 0;
    for (size_t c = 0; c < kCells; ++c) {
      if (width[c] == 0) continue;
      size_t printed = 0;
      if (printed_line++ > 0) {
        out += cols[c].ldelim;
        printed = cols[c].ldelim.size();
      }
      const std::string& cell = row[c];
      if (cols[c].align == Align::kRight && width[c] > printed + cell.size()) {
        const size_t pad = width[c] - printed - cell.size();
        out.append(pad, ' ');
        printed += pad;
      }
      out += cell;
      printed += cell.size();
      if (cols[c].align == Align::kLeft && width[c] > printed) out.append(width[c] - printed, ' ');
    }
    out += '\n';
  }
  return out;
}

// ss prints an IPv4 address numerically, a zero port as "*".
std::string port_text(uint16_t port) {
  return port == 0 ? std::string("*") : fmt::format("{}", port);
}

// --- /proc/net/tcp ------------------------------------------------------------------------------
constexpr size_t kProcLineWidth = 149;  // TMPSZ - 1 in tcp_ipv4.c

uint32_t proc_addr(wire::Ipv4Address a) {
  const uint32_t v = a.value();
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

// jiffies_delta_to_clock_t: USER_HZ ticks, negative clamped to 0.
uint64_t clock_t_of(Duration d) {
  return d.ns() <= 0 ? 0 : static_cast<uint64_t>(d.ns() / 10'000'000);
}

void pad_line(std::string& out, size_t line_start) {
  const size_t len = out.size() - line_start;
  if (len < kProcLineWidth) out.append(kProcLineWidth - len, ' ');
  out += '\n';
}

}  // namespace

std::string format_ss(std::span<const SocketSnapshot> rows) {
  std::vector<std::array<std::string, kCells>> grid;
  grid.reserve(rows.size() + 1);
  std::array<std::string, kCells> header;
  for (size_t c = 0; c < kSsColumns.size(); ++c)
    header[c] = std::string(kSsColumns[c].header);
  header[kCells - 1] = std::string(kProcessColumn.header);
  grid.push_back(header);
  for (const SocketSnapshot& r : rows) {
    grid.push_back({std::string(tcp::ss_name(r.state)), fmt::format("{:<6}", r.recv_queue),
                    fmt::format("{:<6}", r.send_queue), to_string(r.local_addr) + ":",
                    port_text(r.local_port), to_string(r.remote_addr) + ":",
                    port_text(r.remote_port), std::string()});
  }
  return render_grid(grid);
}

StateCounts count_states(std::span<const SocketSnapshot> rows) {
  StateCounts c;
  for (const SocketSnapshot& r : rows) {
    const State s = r.kind == SocketSnapshot::Kind::kRequest ? State::kSynReceived : r.state;
    ++c.by_state[static_cast<int>(s)];
  }
  return c;
}

std::string format_state_counts(std::span<const SocketSnapshot> rows) {
  const StateCounts c = count_states(rows);
  std::vector<State> order;
  for (int i = 0; i < tcp::kStateCount; ++i) {
    const auto s = static_cast<State>(i);
    if (s != State::kListen && s != State::kNewSynRecv && c.of(s) > 0) order.push_back(s);
  }
  std::sort(order.begin(), order.end(), [](State a, State b) {
    return tcp::linux_state_number(a) < tcp::linux_state_number(b);
  });
  std::string out;
  for (State s : order)
    out += fmt::format("{} {}\n", tcp::netstat_name(s), c.of(s));
  return out;
}

std::string format_proc_net_tcp(std::span<const SocketSnapshot> rows) {
  std::string out =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode";
  pad_line(out, 0);
  int sl = 0;
  for (const SocketSnapshot& r : rows) {
    const size_t start = out.size();
    const auto timer = static_cast<unsigned>(r.timer);
    out += fmt::format("{:4}: {:08X}:{:04X} {:08X}:{:04X} {:02X} ", sl++, proc_addr(r.local_addr),
                       r.local_port, proc_addr(r.remote_addr), r.remote_port,
                       tcp::proc_net_tcp_state(r.state));
    switch (r.kind) {
      case SocketSnapshot::Kind::kTimeWait:  // get_timewait4_sock
        out += fmt::format("{:08X}:{:08X} {:02X}:{:08X} {:08X} {:5} {:8} {} {} {:016x}", 0, 0, 3,
                           clock_t_of(r.timer_left), 0, 0, 0, 0, 3, 0);
        break;
      case SocketSnapshot::Kind::kRequest:  // get_openreq4
        out += fmt::format("{:08X}:{:08X} {:02X}:{:08X} {:08X} {:5} {:8} {} {} {:016x}", 0, 0, 1,
                           clock_t_of(r.timer_left), r.retransmits, 0, 0, 0, 0, 0);
        break;
      case SocketSnapshot::Kind::kListener:
      case SocketSnapshot::Kind::kConnection: {  // get_tcp4_sock
        const bool listen = r.kind == SocketSnapshot::Kind::kListener;
        const uint32_t tx = listen ? 0 : r.send_queue;
        const uint32_t rx = r.recv_queue;
        out += fmt::format(
            "{:08X}:{:08X} {:02X}:{:08X} {:08X} {:5} {:8} {} {} {:016x} {} {} {} {} {}", tx, rx,
            timer, clock_t_of(r.timer_left), r.retransmits, 0, r.probes_out, r.inode,
            r.timer != ProcTimer::kNone ? 2 : 1, 0, clock_t_of(r.rto), clock_t_of(r.ato),
            (r.quick_acks << 1) | (r.pingpong ? 1u : 0u), r.snd_cwnd, r.snd_ssthresh);
        break;
      }
    }
    pad_line(out, start);
  }
  return out;
}

std::string format_sockstat(std::span<const SocketSnapshot> rows) {
  uint64_t inuse = 0;
  uint64_t orphan = 0;
  uint64_t tw = 0;
  uint64_t mem = 0;
  for (const SocketSnapshot& r : rows) {
    switch (r.kind) {
      case SocketSnapshot::Kind::kListener:
        ++inuse;
        break;
      case SocketSnapshot::Kind::kConnection:
        ++inuse;
        if (r.orphan) ++orphan;
        mem += r.memory_bytes;
        break;
      case SocketSnapshot::Kind::kTimeWait:
        ++tw;
        break;
      case SocketSnapshot::Kind::kRequest:
        break;
    }
  }
  return fmt::format("TCP: inuse {} orphan {} tw {} alloc {} mem {}\n", inuse, orphan, tw, inuse,
                     (mem + 4095) / 4096);
}

}  // namespace synack::views
