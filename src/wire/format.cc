// Human-readable forms of segments in tcpdump's style (print-tcp.c, absolute sequence
// numbers as with `tcpdump -S`). Used by traces, test failure messages and the CLI; never on
// the packet path, so these may allocate.
#include <fmt/format.h>

#include "wire/packet.h"
#include "wire/tcp_segment.h"

namespace synack::wire {

// tcpdump's flag table order: F S R P . U E W.
std::string flags_to_string(uint8_t flags) {
  static constexpr struct {
    uint8_t bit;
    char c;
  } kOrder[] = {{tcp_flags::kFin, 'F'}, {tcp_flags::kSyn, 'S'}, {tcp_flags::kRst, 'R'},
                {tcp_flags::kPsh, 'P'}, {tcp_flags::kAck, '.'}, {tcp_flags::kUrg, 'U'},
                {tcp_flags::kEce, 'E'}, {tcp_flags::kCwr, 'W'}};
  std::string s;
  for (const auto& f : kOrder) {
    if ((flags & f.bit) != 0) s.push_back(f.c);
  }
  if (s.empty()) s = "none";
  return s;
}

// Printed in the order and layout emit_packet() writes (Linux's, SPEC §1.3.1), including the
// padding NOPs, so a built segment prints as tcpdump would print it on the wire. Parsed
// segments print the same way: TcpOptions does not keep the wire order.
std::string to_string(const TcpOptions& o) {
  std::string s;
  auto item = [&s](std::string_view text) {
    if (!s.empty()) s += ',';
    s += text;
  };
  if (o.mss) item(fmt::format("mss {}", *o.mss));
  if (o.timestamps) {
    if (o.sack_permitted) {
      item("sackOK");
    } else {
      item("nop");
      item("nop");
    }
    item(fmt::format("TS val {} ecr {}", o.timestamps->val, o.timestamps->ecr));
  } else if (o.sack_permitted) {
    item("nop");
    item("nop");
    item("sackOK");
  }
  if (o.window_scale) {
    item("nop");
    item(fmt::format("wscale {}", *o.window_scale));
  }
  if (o.sack_block_count > 0) {
    item("nop");
    item("nop");
    std::string sack = fmt::format("sack {} ", o.sack_block_count);
    for (int b = 0; b < o.sack_block_count && b < TcpOptions::kMaxSackBlocks; ++b) {
      sack += fmt::format("{{{}:{}}}", o.sack_blocks[b].left.raw(), o.sack_blocks[b].right.raw());
    }
    item(sack);
  }
  if (o.fast_open) {
    const FastOpenCookie& c = *o.fast_open;
    std::string tfo = c.experimental ? "exp-tfo " : "tfo ";
    if (c.len == 0) {
      tfo += "cookiereq";
    } else {
      tfo += "cookie ";
      for (int i = 0; i < c.len && i < 16; ++i)
        tfo += fmt::format("{:02x}", c.bytes[i]);
    }
    item(tfo);
    const size_t raw = (c.experimental ? 4u : 2u) + c.len;
    for (size_t pad = raw; pad % 4 != 0; ++pad)
      item("nop");
  }
  if (o.unknown_count > 0) item(fmt::format("unknown x{}", o.unknown_count));
  return s;
}

// "10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 1, ack 2, win 65535, options [...], length 0"
std::string to_string(const Packet& p) {
  const TcpSegment& t = p.tcp;
  std::string s = fmt::format("{}.{} > {}.{}: Flags [{}]", to_string(p.ip.src), t.src_port,
                              to_string(p.ip.dst), t.dst_port, flags_to_string(t.flags));
  const size_t len = t.payload.size();
  if (len > 0 || t.has(tcp_flags::kSyn | tcp_flags::kFin | tcp_flags::kRst)) {
    s += fmt::format(", seq {}", t.seq.raw());
    if (len > 0) s += fmt::format(":{}", (t.seq + static_cast<uint32_t>(len)).raw());
  }
  if (t.has(tcp_flags::kAck)) s += fmt::format(", ack {}", t.ack.raw());
  s += fmt::format(", win {}", t.window);
  if (t.has(tcp_flags::kUrg)) s += fmt::format(", urg {}", t.urgent);
  const std::string opts = to_string(t.options);
  if (!opts.empty()) s += fmt::format(", options [{}]", opts);
  s += fmt::format(", length {}", len);
  return s;
}

}  // namespace synack::wire
