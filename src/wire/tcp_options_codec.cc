#include "wire/tcp_options_codec.h"

#include <cstring>

#include "wire/packet.h"

namespace synack::wire {
namespace {

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint8_t* put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
  return p + 2;
}
inline uint8_t* put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
  return p + 4;
}

// Option lengths on the wire (kind and length bytes included).
constexpr size_t kLenMss = 4;
constexpr size_t kLenWindowScale = 3;
constexpr size_t kLenSackPermitted = 2;
constexpr size_t kLenTimestamps = 10;
constexpr size_t kLenSackBase = 2;
constexpr size_t kLenSackBlock = 8;
constexpr size_t kLenFastOpenBase = 2;     // kind 34: kind, len
constexpr size_t kLenExpFastOpenBase = 4;  // kind 254: kind, len, magic (2 bytes)
constexpr size_t kMaxCookie = 16;

// RFC 7413 §4.1.1 and Linux: empty (a request) or 4..16 bytes, even.
constexpr bool valid_cookie_length(size_t n) {
  return n == 0 || (n >= 4 && n <= kMaxCookie && n % 2 == 0);
}

inline void count_unknown(TcpOptions& out) {
  if (out.unknown_count < 255) ++out.unknown_count;
}

void take_cookie(const uint8_t* data, size_t n, bool experimental, TcpOptions& out) {
  if (!valid_cookie_length(n)) {
    count_unknown(out);
    return;
  }
  FastOpenCookie c;
  std::memcpy(c.bytes.data(), data, n);
  c.len = static_cast<uint8_t>(n);
  c.experimental = experimental;
  out.fast_open = c;
}

size_t fast_open_size(const FastOpenCookie& c) {
  const size_t raw = (c.experimental ? kLenExpFastOpenBase : kLenFastOpenBase) + c.len;
  return (raw + 3) & ~size_t{3};  // Linux pads with two NOPs when raw % 4 == 2
}

}  // namespace

bool parse_tcp_options(std::span<const uint8_t> bytes, TcpOptions& out) {
  out = TcpOptions{};
  const uint8_t* p = bytes.data();
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t kind = p[i];
    if (kind == tcp_option::kEol) break;
    if (kind == tcp_option::kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n) return false;  // no room for the length byte
    const size_t len = p[i + 1];
    if (len < 2 || len > n - i) return false;
    const uint8_t* d = p + i + 2;  // option data
    switch (kind) {
      case tcp_option::kMss:
        if (len != kLenMss) return false;
        out.mss = get16(d);
        break;
      case tcp_option::kWindowScale:
        if (len != kLenWindowScale) return false;
        out.window_scale = d[0];
        break;
      case tcp_option::kSackPermitted:
        if (len != kLenSackPermitted) return false;
        out.sack_permitted = true;
        break;
      case tcp_option::kSack: {
        if (len < kLenSackBase + kLenSackBlock || (len - kLenSackBase) % kLenSackBlock != 0) {
          return false;
        }
        const size_t count = (len - kLenSackBase) / kLenSackBlock;
        if (count > TcpOptions::kMaxSackBlocks) return false;  // cannot fit in 40 bytes anyway
        for (size_t b = 0; b < count; ++b) {
          out.sack_blocks[b] = SackBlock{SeqNum{get32(d + 8 * b)}, SeqNum{get32(d + 8 * b + 4)}};
        }
        for (size_t b = count; b < TcpOptions::kMaxSackBlocks; ++b)
          out.sack_blocks[b] = {};
        out.sack_block_count = static_cast<uint8_t>(count);
        break;
      }
      case tcp_option::kTimestamps:
        if (len != kLenTimestamps) return false;
        out.timestamps = Timestamps{get32(d), get32(d + 4)};
        break;
      case tcp_option::kFastOpen:
        take_cookie(d, len - kLenFastOpenBase, false, out);
        break;
      case tcp_option::kExperimental:
        if (len >= kLenExpFastOpenBase && get16(d) == tcp_option::kFastOpenMagic) {
          take_cookie(d + 2, len - kLenExpFastOpenBase, true, out);
        } else {
          count_unknown(out);
        }
        break;
      default:
        count_unknown(out);
        break;
    }
    i += len;
  }
  return true;
}

size_t emitted_options_size(const TcpOptions& o) {
  size_t n = 0;
  if (o.mss) n += 4;
  if (o.timestamps) {
    n += 12;  // "sackOK, TS" or "nop, nop, TS"
  } else if (o.sack_permitted) {
    n += 4;  // "nop, nop, sackOK"
  }
  if (o.window_scale) n += 4;  // "nop, wscale"
  if (o.sack_block_count > 0) n += 4 + kLenSackBlock * o.sack_block_count;
  if (o.fast_open) n += fast_open_size(*o.fast_open);
  return n;
}

bool tcp_options_emittable(const TcpOptions& o) {
  if (o.sack_block_count > TcpOptions::kMaxSackBlocks) return false;
  if (o.fast_open && o.fast_open->len > kMaxCookie) return false;
  return emitted_options_size(o) <= kTcpMaxOptions;
}

// Linux tcp_options_write order (SPEC §1.3.1): MSS; sackOK+TS / nop,nop,TS; nop,nop,sackOK;
// nop,wscale; nop,nop,SACK blocks; Fast Open (+ NOP padding).
size_t write_tcp_options(const TcpOptions& o, uint8_t* out) {
  uint8_t* p = out;
  if (o.mss) {
    *p++ = tcp_option::kMss;
    *p++ = kLenMss;
    p = put16(p, *o.mss);
  }
  if (o.timestamps) {
    if (o.sack_permitted) {
      *p++ = tcp_option::kSackPermitted;
      *p++ = kLenSackPermitted;
    } else {
      *p++ = tcp_option::kNop;
      *p++ = tcp_option::kNop;
    }
    *p++ = tcp_option::kTimestamps;
    *p++ = kLenTimestamps;
    p = put32(p, o.timestamps->val);
    p = put32(p, o.timestamps->ecr);
  } else if (o.sack_permitted) {
    *p++ = tcp_option::kNop;
    *p++ = tcp_option::kNop;
    *p++ = tcp_option::kSackPermitted;
    *p++ = kLenSackPermitted;
  }
  if (o.window_scale) {
    *p++ = tcp_option::kNop;
    *p++ = tcp_option::kWindowScale;
    *p++ = kLenWindowScale;
    *p++ = *o.window_scale;
  }
  if (o.sack_block_count > 0) {
    *p++ = tcp_option::kNop;
    *p++ = tcp_option::kNop;
    *p++ = tcp_option::kSack;
    *p++ = static_cast<uint8_t>(kLenSackBase + kLenSackBlock * o.sack_block_count);
    for (size_t b = 0; b < o.sack_block_count; ++b) {
      p = put32(p, o.sack_blocks[b].left.raw());
      p = put32(p, o.sack_blocks[b].right.raw());
    }
  }
  if (o.fast_open) {
    const FastOpenCookie& c = *o.fast_open;
    uint8_t* start = p;
    if (c.experimental) {
      *p++ = tcp_option::kExperimental;
      *p++ = static_cast<uint8_t>(kLenExpFastOpenBase + c.len);
      p = put16(p, tcp_option::kFastOpenMagic);
    } else {
      *p++ = tcp_option::kFastOpen;
      *p++ = static_cast<uint8_t>(kLenFastOpenBase + c.len);
    }
    std::memcpy(p, c.bytes.data(), c.len);
    p += c.len;
    while ((p - start) % 4 != 0)
      *p++ = tcp_option::kNop;
  }
  return static_cast<size_t>(p - out);
}

}  // namespace synack::wire
