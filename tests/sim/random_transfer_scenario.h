// The randomized transfer test's scenario: everything one seed decides, drawn up front.
//
// Why up front: a failing seed must be replayable and describable. The whole scenario (link
// impairments per direction, host settings, connections, payload sizes, close pattern, the
// application's chunking and pauses) is a pure function of the seed, printed in full on
// failure, so a reader sees what was tried without rerunning. The application's per-call
// randomness (chunk sizes, when to pause) comes from per-side generators forked here too, so
// the run itself is a pure function of the seed as well (the simulator is deterministic).
//
// The seed also picks the profile: seeds below kBigSeedBase draw payloads log-uniformly in
// 1 B .. kSmallMax (fast enough for hundreds of seeds under ASan); seeds from kBigSeedBase on
// draw up to 8 MiB and force at least one 8 MiB direction. So SYNACK_SOAK_SEED=<n> alone
// reproduces any run.
//
// Payload bytes are a function of (a per-direction key, offset), so neither side stores what
// it sent or received: the receiver recomputes the expected bytes.
#pragma once

#include <synack/time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "base/rng.h"
#include "link/sim_link.h"

namespace synack::sim::soak {

inline constexpr uint64_t kBigSeedBase = 1'000'000;
inline constexpr uint64_t kSmallMax = 256 * 1024;
inline constexpr uint64_t kBigMax = 8 * 1024 * 1024;

// How one side of a connection ends it. A connection never pairs two kCloseAfterEof sides:
// each would wait for the other's FIN forever.
enum class CloseMode : uint8_t {
  kCloseAfterRead,     // close() once everything was written and the peer's bytes were read,
                       // without waiting for EOF: often the first to close (TIME-WAIT side)
  kShutdownThenDrain,  // shutdown(SHUT_WR) once everything was written, read to EOF, close()
  kCloseAfterEof,      // write everything, read to EOF, then close()
};

inline const char* to_string(CloseMode m) {
  switch (m) {
    case CloseMode::kCloseAfterRead:
      return "close-after-read";
    case CloseMode::kShutdownThenDrain:
      return "shutdown-then-drain";
    case CloseMode::kCloseAfterEof:
      return "close-after-eof";
  }
  return "?";
}

struct SideSpec {
  uint64_t send_bytes = 0;
  CloseMode close = CloseMode::kCloseAfterEof;
  uint32_t write_chunk = 0;  // most bytes offered per send() call
  uint32_t read_chunk = 0;   // most bytes asked for per recv() call
  double write_pause_p = 0;  // after a send(), chance to stop writing for a while
  Duration write_pause;      // ... for up to this long
  double read_pause_p = 0;
  Duration read_pause;
  bool nodelay = false;
  uint32_t rcvbuf = 0;  // SO_RCVBUF (0: default), set before connect / on the listener
  uint32_t sndbuf = 0;
  uint16_t max_seg = 0;  // TCP_MAXSEG before connect (client sides only)
  uint64_t app_seed = 0;
};

struct ConnSpec {
  bool client_on_a = true;  // which host connects; the other one listens
  Duration start;           // when the client calls connect()
  SideSpec client;
  SideSpec server;
};

struct HostSpec {
  uint32_t mtu = 1500;
  bool sack = true;
  bool timestamps = true;
  bool window_scaling = true;
  bool rfc1337 = false;  // tcp_rfc1337: TIME-WAIT ignores RST
};

struct Scenario {
  uint64_t seed = 0;
  link::LinkParams a_to_b;
  link::LinkParams b_to_a;
  HostSpec a;
  HostSpec b;
  // Server-side buffers are per listener (accepted sockets inherit them, as in Linux).
  uint32_t listener_rcvbuf[2] = {0, 0};
  uint32_t listener_sndbuf[2] = {0, 0};
  std::vector<ConnSpec> conns;

  [[nodiscard]] std::string describe() const;
};

// A payload key per (seed, connection, direction): direction 0 is client -> server.
inline uint64_t payload_key(uint64_t seed, size_t conn, int direction) {
  return seed * 0x9E3779B97F4A7C15ULL + conn * 0xBF58476D1CE4E5B9ULL +
         uint64_t(direction) * 0x94D049BB133111EBULL + 1;
}

// SplitMix64's finalizer: eight payload bytes per 64-bit block.
inline uint64_t payload_block(uint64_t key, uint64_t block) {
  uint64_t z = key + block * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Writes the payload bytes [offset, offset + out.size()) of stream `key` into `out`.
inline void payload_fill(uint64_t key, uint64_t offset, std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    const uint64_t pos = offset + i;
    const uint64_t v = payload_block(key, pos >> 3);
    const auto first = static_cast<unsigned>(pos & 7);
    const size_t n = std::min<size_t>(8 - first, out.size() - i);
    for (size_t k = 0; k < n; ++k)
      out[i + k] = static_cast<uint8_t>(v >> (8 * (first + k)));
    i += n;
  }
}

namespace detail {

// Log-uniform integer in [lo, hi].
inline uint64_t log_uniform(Rng& r, uint64_t lo, uint64_t hi) {
  const double x =
      std::exp(std::log(double(lo)) + r.unit() * (std::log(double(hi) + 1) - std::log(double(lo))));
  return std::clamp<uint64_t>(static_cast<uint64_t>(x), lo, hi);
}

inline Duration millis_between(Rng& r, int64_t lo, int64_t hi) {
  return Duration::micros(
      static_cast<int64_t>(r.between(uint64_t(lo * 1000), uint64_t(hi * 1000))));
}

inline link::LinkParams draw_link(Rng& r) {
  link::LinkParams p;
  p.latency = Duration::micros(static_cast<int64_t>(log_uniform(r, 50, 80'000)));  // 50us..80ms
  if (r.chance(0.6)) {
    p.bandwidth_bps = log_uniform(r, 1'000'000, 10'000'000'000);  // 1 Mbit/s .. 10 Gbit/s
    if (r.chance(0.5)) p.queue_packets = static_cast<uint32_t>(r.between(8, 1000));
  }
  // Loss 0..20 %: a quarter of the links are clean, the rest uniform.
  p.loss = r.chance(0.25) ? 0.0 : r.unit() * 0.20;
  p.duplicate = r.chance(0.5) ? 0.0 : r.unit() * 0.05;
  if (r.chance(0.5)) {
    p.reorder = r.unit() * 0.10;
    p.reorder_delay = Duration::micros(static_cast<int64_t>(r.between(100, 30'000)));
  }
  return p;
}

inline HostSpec draw_host(Rng& r) {
  static constexpr uint32_t kMtus[] = {576, 1280, 1500, 1500, 1500, 9000};
  HostSpec h;
  h.mtu = kMtus[r.below(std::size(kMtus))];
  h.sack = !r.chance(0.15);
  h.timestamps = !r.chance(0.15);
  h.window_scaling = !r.chance(0.15);
  h.rfc1337 = r.chance(0.3);
  return h;
}

inline uint32_t maybe_buffer(Rng& r) {
  return r.chance(0.3) ? static_cast<uint32_t>(log_uniform(r, 2048, 512 * 1024)) : 0;
}

inline SideSpec draw_side(Rng& r, uint64_t max_payload) {
  SideSpec s;
  s.send_bytes = r.chance(0.15) ? 0 : log_uniform(r, 1, max_payload);
  s.write_chunk = static_cast<uint32_t>(log_uniform(r, 1, 128 * 1024));
  s.read_chunk = static_cast<uint32_t>(log_uniform(r, 1, 128 * 1024));
  if (r.chance(0.3)) {
    s.write_pause_p = r.unit() * 0.3;
    s.write_pause = millis_between(r, 1, 300);
  }
  if (r.chance(0.3)) {
    s.read_pause_p = r.unit() * 0.3;
    s.read_pause = millis_between(r, 1, 300);
  }
  s.nodelay = r.chance(0.3);
  s.rcvbuf = maybe_buffer(r);
  s.sndbuf = maybe_buffer(r);
  s.max_seg = r.chance(0.2) ? static_cast<uint16_t>(r.between(88, 1460)) : 0;
  s.app_seed = r.next_u64();
  return s;
}

}  // namespace detail

inline Scenario make_scenario(uint64_t seed) {
  using namespace detail;
  const bool big = seed >= kBigSeedBase;
  const uint64_t max_payload = big ? kBigMax : kSmallMax;
  Rng r(seed ^ 0x5EED'50A4'0000'0000ULL);
  Scenario s;
  s.seed = seed;
  s.a_to_b = draw_link(r);
  s.b_to_a = r.chance(0.5) ? s.a_to_b : draw_link(r);
  s.a = draw_host(r);
  s.b = draw_host(r);
  for (int h = 0; h < 2; ++h) {
    s.listener_rcvbuf[h] = maybe_buffer(r);
    s.listener_sndbuf[h] = maybe_buffer(r);
  }
  const auto n = static_cast<size_t>(r.between(1, 4));
  const bool same_start = r.chance(0.3);
  for (size_t i = 0; i < n; ++i) {
    ConnSpec c;
    c.client_on_a = r.chance(0.7);
    c.start = same_start ? Duration::zero() : millis_between(r, 0, 500);
    c.client = draw_side(r, max_payload);
    c.server = draw_side(r, max_payload);
    c.server.max_seg = 0;  // accepted sockets take the listener's options
    c.server.rcvbuf = c.server.sndbuf = 0;
    static constexpr CloseMode kModes[] = {
        CloseMode::kCloseAfterRead, CloseMode::kShutdownThenDrain, CloseMode::kCloseAfterEof};
    do {
      c.client.close = kModes[r.below(3)];
      c.server.close = kModes[r.below(3)];
    } while (c.client.close == CloseMode::kCloseAfterEof &&
             c.server.close == CloseMode::kCloseAfterEof);
    s.conns.push_back(c);
  }
  if (big) {
    // At least one full 8 MiB direction per big seed.
    ConnSpec& c = s.conns[r.below(s.conns.size())];
    (r.chance(0.5) ? c.client : c.server).send_bytes = kBigMax;
  }
  return s;
}

inline std::string describe_link(const link::LinkParams& p) {
  std::ostringstream o;
  o << "latency=" << to_string(p.latency)
    << " bw=" << (p.bandwidth_bps == 0 ? std::string("inf") : std::to_string(p.bandwidth_bps))
    << " queue=" << p.queue_packets << " loss=" << p.loss << " dup=" << p.duplicate
    << " reorder=" << p.reorder << "/" << to_string(p.reorder_delay);
  return o.str();
}

inline std::string describe_side(const SideSpec& s) {
  std::ostringstream o;
  o << "send=" << s.send_bytes << " " << to_string(s.close) << " wchunk=" << s.write_chunk
    << " rchunk=" << s.read_chunk;
  if (s.write_pause_p > 0) o << " wpause=" << s.write_pause_p << "x" << to_string(s.write_pause);
  if (s.read_pause_p > 0) o << " rpause=" << s.read_pause_p << "x" << to_string(s.read_pause);
  if (s.nodelay) o << " nodelay";
  if (s.rcvbuf != 0) o << " rcvbuf=" << s.rcvbuf;
  if (s.sndbuf != 0) o << " sndbuf=" << s.sndbuf;
  if (s.max_seg != 0) o << " maxseg=" << s.max_seg;
  return o.str();
}

inline std::string Scenario::describe() const {
  std::ostringstream o;
  auto host = [](const HostSpec& h) {
    return "mtu=" + std::to_string(h.mtu) + (h.sack ? "" : " nosack") +
           (h.timestamps ? "" : " nots") + (h.window_scaling ? "" : " nowscale") +
           (h.rfc1337 ? " rfc1337" : "");
  };
  o << "scenario seed=" << seed << "\n  a: " << host(a) << " listener rcvbuf=" << listener_rcvbuf[0]
    << " sndbuf=" << listener_sndbuf[0] << "\n  b: " << host(b)
    << " listener rcvbuf=" << listener_rcvbuf[1] << " sndbuf=" << listener_sndbuf[1]
    << "\n  a->b: " << describe_link(a_to_b) << "\n  b->a: " << describe_link(b_to_a);
  for (size_t i = 0; i < conns.size(); ++i) {
    const ConnSpec& c = conns[i];
    o << "\n  conn " << i << ": " << (c.client_on_a ? "a->b" : "b->a")
      << " start=" << to_string(c.start) << "\n    client: " << describe_side(c.client)
      << "\n    server: " << describe_side(c.server);
  }
  return o.str();
}

}  // namespace synack::sim::soak
