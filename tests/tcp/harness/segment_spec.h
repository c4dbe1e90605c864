// SegSpec: one line of a packetdrill-style script — a TCP segment described by the fields a
// test cares about, with everything else left to a default template or to a wildcard.
//
// Why a separate value type instead of wire::TcpSegment: scripts speak packetdrill's language
// (STYLE lesson 10). Sequence numbers are *relative* to each side's ISN, fields Linux does not
// fix (TSval, most windows) can be `any`, and the same description serves both directions:
//   inject(t, {.flags = syn, .seq = 0, .win = 65535})          the peer sends it
//   expect(t, {.flags = syn_ack, .seq = 0, .ack = 1})          the stack must send it
// Fields are declared in packetdrill's order (flags seq ack win options payload) so C++20
// designated initializers read like a .pkt line. Defaults:
//   flags  ACK                  seq/ack  0 (relative)
//   win    any    — inject: the script's default window; expect: not checked
//   options nullopt — inject: the script's template (SYN: peer SYN options; otherwise TS when
//                     negotiated); expect: not checked. Opts{} means "no options at all".
//   len/data  0 / empty — payload length, or exact payload bytes (data sets the length)
// Matching (matches()) compares flags exactly except PSH, which SPEC does not fix and Linux
// sets by its own push logic; it checks SACK-permitted, MSS, window scale and timestamps when
// an Opts is given, and ignores SACK blocks (D-SACK/SACK content is congestion-control
// territory, not the state machine's).
//
// Test-only code: allocation and exceptions are fine here. Single-threaded.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "wire/packet.h"
#include "wire/tcp_segment.h"

namespace synack::tcptest {

// Flag names as packetdrill writes them ("S", "S.", "F.", "R.", "P.").
inline constexpr uint8_t fin = wire::tcp_flags::kFin;
inline constexpr uint8_t syn = wire::tcp_flags::kSyn;
inline constexpr uint8_t rst = wire::tcp_flags::kRst;
inline constexpr uint8_t psh = wire::tcp_flags::kPsh;
inline constexpr uint8_t ack = wire::tcp_flags::kAck;
inline constexpr uint8_t syn_ack = syn | ack;
inline constexpr uint8_t fin_ack = fin | ack;
inline constexpr uint8_t rst_ack = rst | ack;
inline constexpr uint8_t psh_ack = psh | ack;

struct AnyValue {};
// The wildcard: `.win = any`, `Ts{.val = any, .ecr = 0}`.
inline constexpr AnyValue any{};

// A 32-bit field value or `any`. Implicit from integer literals so `.seq = 1` just works.
class Num {
 public:
  template <std::integral T>
  constexpr Num(T v) : v_(static_cast<uint32_t>(v)) {}  // NOLINT: implicit by design
  constexpr Num(AnyValue) : any_(true) {}               // NOLINT: implicit by design
  [[nodiscard]] constexpr bool is_any() const { return any_; }
  [[nodiscard]] constexpr uint32_t value() const { return v_; }
  [[nodiscard]] constexpr uint32_t value_or(uint32_t d) const { return any_ ? d : v_; }
  [[nodiscard]] constexpr bool matches(uint32_t actual) const { return any_ || v_ == actual; }
  [[nodiscard]] std::string str() const { return any_ ? "any" : std::to_string(v_); }

 private:
  uint32_t v_ = 0;
  bool any_ = false;
};

// Timestamps are absolute (each side's TSval clock is its own business).
struct Ts {
  Num val = any;
  Num ecr = any;
};

struct Opts {
  std::optional<uint16_t> mss = std::nullopt;
  bool sack_ok = false;
  std::optional<Ts> ts = std::nullopt;
  std::optional<uint8_t> wscale = std::nullopt;
  std::optional<wire::FastOpenCookie> tfo = std::nullopt;  // Fast Open option (len 0: request)
  // SACK blocks the peer sends, {left, right} relative to the stack's ISN (inject only).
  std::vector<std::pair<uint32_t, uint32_t>> sack = {};
};

struct SegSpec {
  uint8_t flags = wire::tcp_flags::kAck;
  Num seq = 0;
  Num ack = 0;
  Num win = any;
  std::optional<Opts> options = std::nullopt;
  Num len = 0;
  std::string_view data = {};

  [[nodiscard]] Num payload_len() const { return data.empty() ? len : Num(data.size()); }
};

// What Linux puts on a SYN with every default on (SPEC §1.3.1): MSS 1460 from MTU 1500,
// sackOK, TS, window scale ilog2(max(tcp_rmem[2] 6 MiB, rmem_max)) − 15 = 7.
inline Opts linux_syn_options(Num ts_val = any, Num ts_ecr = 0) {
  return Opts{.mss = 1460, .sack_ok = true, .ts = Ts{.val = ts_val, .ecr = ts_ecr}, .wscale = 7};
}

// ---- printing ---------------------------------------------------------------------------

inline std::string to_string(const Opts& o) {
  std::string s;
  auto item = [&s](const std::string& text) {
    if (!s.empty()) s += ',';
    s += text;
  };
  if (o.mss) item(fmt::format("mss {}", *o.mss));
  if (o.sack_ok) item("sackOK");
  if (o.ts) item(fmt::format("TS val {} ecr {}", o.ts->val.str(), o.ts->ecr.str()));
  if (o.wscale) item(fmt::format("wscale {}", *o.wscale));
  if (o.tfo) item(fmt::format("tfo cookie len {}", o.tfo->len));
  for (const auto& [l, r] : o.sack)
    item(fmt::format("sack {}:{}", l, r));
  return s.empty() ? "none" : s;
}

inline std::string to_string(const SegSpec& s) {
  std::string out = fmt::format("Flags [{}], seq {}", wire::flags_to_string(s.flags), s.seq.str());
  if ((s.flags & ack) != 0) out += fmt::format(", ack {}", s.ack.str());
  out += fmt::format(", win {}", s.win.str());
  out += ", options [" + (s.options ? to_string(*s.options) : std::string("any")) + "]";
  out += fmt::format(", length {}", s.payload_len().str());
  if (!s.data.empty()) out += fmt::format(" \"{}\"", s.data);
  return out;
}

// ---- matching ---------------------------------------------------------------------------

// Absolute bases the relative numbers of an expected (stack → peer) segment are measured
// from: the stack's ISN for seq, the peer's ISN for ack.
struct SeqBases {
  uint32_t seq_base = 0;
  uint32_t ack_base = 0;
};

// Empty when `actual` matches `want`; otherwise why not (one clause per mismatching field).
inline std::string mismatch(const SegSpec& want, const wire::TcpSegment& actual, SeqBases b) {
  std::string why;
  auto add = [&why](const std::string& m) {
    if (!why.empty()) why += "; ";
    why += m;
  };
  const uint8_t fmask = static_cast<uint8_t>(~psh);
  if ((want.flags & fmask) != (actual.flags & fmask)) {
    add(fmt::format("flags {} != expected {}", wire::flags_to_string(actual.flags),
                    wire::flags_to_string(want.flags)));
  }
  const uint32_t rel_seq = actual.seq.raw() - b.seq_base;
  if (!want.seq.matches(rel_seq)) {
    add(fmt::format("relative seq {} != expected {}", rel_seq, want.seq.str()));
  }
  if ((want.flags & actual.flags & ack) != 0) {
    const uint32_t rel_ack = actual.ack.raw() - b.ack_base;
    if (!want.ack.matches(rel_ack)) {
      add(fmt::format("relative ack {} != expected {}", rel_ack, want.ack.str()));
    }
  }
  if (!want.win.matches(actual.window)) {
    add(fmt::format("win {} != expected {}", actual.window, want.win.str()));
  }
  if (!want.payload_len().matches(static_cast<uint32_t>(actual.payload.size()))) {
    add(fmt::format("length {} != expected {}", actual.payload.size(), want.payload_len().str()));
  } else if (!want.data.empty() &&
             std::string_view(reinterpret_cast<const char*>(actual.payload.data()),
                              actual.payload.size()) != want.data) {
    add("payload bytes differ");
  }
  if (want.options) {
    const Opts& o = *want.options;
    const wire::TcpOptions& a = actual.options;
    if (o.mss != a.mss) add("mss option differs");
    if (o.sack_ok != a.sack_permitted) add("sackOK option differs");
    if (o.wscale != a.window_scale) add("wscale option differs");
    if (o.tfo != a.fast_open) add("Fast Open option differs");
    // SACK blocks (relative to the peer's ISN) are compared only when the test states them.
    if (!o.sack.empty()) {
      std::vector<std::pair<uint32_t, uint32_t>> got;
      for (uint8_t i = 0; i < a.sack_block_count; ++i)
        got.emplace_back(a.sack_blocks[i].left.raw() - b.ack_base,
                         a.sack_blocks[i].right.raw() - b.ack_base);
      if (got != o.sack) add("SACK blocks differ");
    }
    if (o.ts.has_value() != a.timestamps.has_value()) {
      add("timestamps option present/absent differs");
    } else if (o.ts) {
      if (!o.ts->val.matches(a.timestamps->val)) add("TS val differs");
      if (!o.ts->ecr.matches(a.timestamps->ecr)) add("TS ecr differs");
    }
  }
  return why;
}

}  // namespace synack::tcptest
