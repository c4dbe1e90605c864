// TcpScript: a packetdrill-style fixture around one synack Stack (STYLE lesson 10).
//
// The stack under test is host 192.168.0.1; the test plays the remote peer 192.0.2.1 by
// injecting segments and states, at explicit virtual times, exactly what the stack must send:
//
//   SocketId s = open();
//   connect(at(0_s), s);                                             // EINPROGRESS
//   expect(at(0_s), {.flags = syn, .seq = 0, .options = linux_syn_options()});
//   inject(at(100_ms), {.flags = syn_ack, .seq = 0, .ack = 1});
//   expect(at(100_ms), {.flags = ack, .seq = 1, .ack = 1});
//   expect_state(at(100_ms), State::kEstablished);
//
// Design choices, each for a reason:
// - Time. Every step names its time; before acting the fixture drives the stack to that time
//   by calling advance() at each next_deadline() on the way (never further than the step), so a
//   timer-driven packet is recorded with the exact Instant of its timer. Time never goes back.
// - Strict ordering, as packetdrill. Every packet the stack emits must be claimed by an
//   expect() in order; injecting, calling the socket API or checking state while an
//   unclaimed packet is pending is a failure ("unexpected packet"). expect(t) demands the
//   packet at exactly t; expect_between(lo, hi) is for times Linux leaves open (delayed ACK).
//   expect_nothing_until(t) claims silence strictly before t (a packet due at t stays queued).
// - Relative sequence numbers. Injected seq is relative to the peer's ISN (kPeerIsn, chosen
//   above 2^31 so unsigned/signed confusions show); injected ack and expected seq are relative
//   to the stack's ISN, learned from the first expected SYN or SYN+ACK (0 until then, so a
//   script about segments to no socket works in absolute numbers).
// - Template. Injected SYNs carry peer_syn_options (mss 1460, sackOK, wscale 7, no timestamps,
//   so later segments carry no options unless a test turns timestamps on); later segments
//   carry TS (val = peer clock in ms, ecr = last TSval seen from the stack) iff both SYNs did.
// - Failures stop the test: the message names the script line, the time, the expected segment
//   and the actual packet (wire::to_string, tcpdump style, plus relative numbers), and the
//   last events of the conversation; then an exception ends the test body.
//
// Test-only; single-threaded like the stack it drives.
#pragma once

#include <gtest/gtest.h>
#include <synack/time.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "stack/packet_output.h"
#include "stack/stack.h"
#include "tcp/harness/segment_spec.h"
#include "tcp/state.h"
#include "wire/packet.h"

namespace synack::tcptest {

using namespace synack::literals;
using tcp::State;

// Script time: `at(1_s)`, `at(200_ms)`.
constexpr Instant at(Duration d) {
  return Instant::zero() + d;
}

// The script line a harness call came from (for failure messages).
struct Where {
  Where(const char* f = __builtin_FILE(), int l = __builtin_LINE()) : file(f), line(l) {}
  const char* file;
  int line;
};

struct ScriptFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Records every packet the stack transmits, with its time.
class RecordingOutput : public PacketOutput {
 public:
  struct Sent {
    Instant t;
    std::vector<uint8_t> bytes;
  };
  void transmit(std::span<const uint8_t> ipv4_packet, Instant now) override {
    sent.push_back({now, std::vector<uint8_t>(ipv4_packet.begin(), ipv4_packet.end())});
  }
  std::deque<Sent> sent;  // deque: elements never move, payload spans stay valid
};

inline std::string errno_name(int e) {
  switch (e) {
    case 0:
      return "0";
    case EINPROGRESS:
      return "EINPROGRESS";
    case EAGAIN:
      return "EAGAIN";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case ECONNRESET:
      return "ECONNRESET";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case EPIPE:
      return "EPIPE";
    case ENOTCONN:
      return "ENOTCONN";
    case EISCONN:
      return "EISCONN";
    case EALREADY:
      return "EALREADY";
    case EINVAL:
      return "EINVAL";
    case EBADF:
      return "EBADF";
    default:
      return fmt::format("errno {} ({})", e, std::strerror(e));
  }
}

inline std::string state_name(std::optional<State> s) {
  return s ? std::string(tcp::to_string(*s)) : std::string("(no connection)");
}

class TcpScript : public ::testing::Test {
 public:
  static constexpr wire::Ipv4Address kLocalAddr = wire::Ipv4Address::from_octets(192, 168, 0, 1);
  static constexpr wire::Ipv4Address kPeerAddr = wire::Ipv4Address::from_octets(192, 0, 2, 1);
  static constexpr uint16_t kServerPort = 8080;  // our listener; the peer's port on active opens
  static constexpr uint16_t kPeerPort = 40000;   // the peer's port on passive opens
  static constexpr uint32_t kPeerIsn = 3'000'000'000u;
  static constexpr uint16_t kDefaultWindow = 65535;

 protected:
  TcpScript() { reset_stack(1); }

  // A fresh stack (e.g. another seed); forgets everything else too.
  void reset_stack(uint64_t seed) {
    stack_.reset();
    out_.sent.clear();
    next_out_ = 0;
    now_ = Instant::zero();
    stack_ = std::make_unique<Stack>(StackConfig{.address = kLocalAddr}, seed, out_);
    local_ = {kLocalAddr, 0};
    remote_ = {kPeerAddr, kServerPort};
    forget_isns();
  }

  Stack& stack() { return *stack_; }
  // Sets one sysctl of the stack under test; the value must be in range.
  void set_sysctl(stack::SysctlId id, int64_t v) {
    ASSERT_TRUE(stack().sysctls().set_value(id, v).has_value());
  }
  [[nodiscard]] Instant now() const { return now_; }
  [[nodiscard]] Endpoint local() const { return local_; }
  [[nodiscard]] Endpoint remote() const { return remote_; }
  [[nodiscard]] uint32_t stack_isn() const { return stack_isn_; }
  [[nodiscard]] uint32_t last_stack_tsval() const { return stack_tsval_; }

  // Options the peer's SYN / SYN+ACK carries when a test does not say (see header comment).
  Opts peer_syn_options = Opts{.mss = 1460, .sack_ok = true, .wscale = 7};

  // ---- the peer's segments ----------------------------------------------------------------

  void inject(Instant t, const SegSpec& s, Where w = {}) {
    step_to(t, w);
    require_all_claimed(w);
    inject_now(t, s, w);
  }

  // Another segment of a burst: arrives at t even if the stack answered the previous one and
  // that answer is not claimed yet (for receivers whose ACK count SPEC leaves open).
  void inject_also(Instant t, const SegSpec& s, Where w = {}) {
    step_to(t, w);
    inject_now(t, s, w);
  }

 private:
  void inject_now(Instant t, const SegSpec& s, const Where& w) {
    wire::Packet p;
    p.ip.src = remote_.addr;
    p.ip.dst = local_.addr;
    p.tcp.src_port = remote_.port;
    p.tcp.dst_port = local_.port;
    if (local_.port == 0) fail(w, "inject: the stack's port is not known yet");
    p.tcp.flags = s.flags;
    p.tcp.seq = wire::SeqNum{kPeerIsn + s.seq.value_or(0)};
    p.tcp.ack =
        (s.flags & ack) != 0 ? wire::SeqNum{stack_isn_ + s.ack.value_or(0)} : wire::SeqNum{};
    p.tcp.window = static_cast<uint16_t>(s.win.value_or(kDefaultWindow));
    p.tcp.options = resolve_options(s);
    if ((s.flags & syn) != 0) peer_ts_ = p.tcp.options.timestamps.has_value();
    std::vector<uint8_t> payload;
    if (!s.data.empty()) {
      payload.assign(s.data.begin(), s.data.end());
    } else {
      payload.resize(s.len.value_or(0));
      for (size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<uint8_t>('a' + i % 26);
    }
    p.tcp.payload = payload;
    std::vector<uint8_t> bytes(wire::emitted_size(p));
    if (wire::emit_packet(p, bytes) != bytes.size()) fail(w, "inject: segment does not emit");
    log(fmt::format("{} < {}", to_string(t), describe(p)));
    stack_->input(bytes, t);
  }

 protected:
  // ---- the stack's segments ---------------------------------------------------------------

  // The next packet the stack sends must be `s`, sent at exactly t.
  wire::Packet expect(Instant t, const SegSpec& s, Where w = {}) {
    step_to(t, w);
    if (next_out_ >= out_.sent.size()) {
      fail(w, fmt::format("expected at {}: {}\n  but the stack sent nothing", to_string(t),
                          to_string(s)));
    }
    return claim(t, t, s, w);
  }

  // The next packet must be `s`, sent at some time in [lo, hi] (Linux leaves the exact time
  // open, e.g. a delayed ACK between 40 and 200 ms). Time stops at the packet's time.
  wire::Packet expect_between(Instant lo, Instant hi, const SegSpec& s, Where w = {}) {
    step_to(lo, w);
    while (next_out_ >= out_.sent.size() && now_ < hi) {
      const Instant d = stack_->next_deadline();
      if (d > hi) {
        now_ = hi;
        break;
      }
      fire(d < now_ ? now_ : d, w);
    }
    if (next_out_ >= out_.sent.size()) {
      fail(w, fmt::format("expected between {} and {}: {}\n  but the stack sent nothing",
                          to_string(lo), to_string(hi), to_string(s)));
    }
    return claim(lo, hi, s, w);
  }

  // Pure ACKs (no payload, no SYN/FIN/RST) are claimed until the packet matching `last` is
  // sent, at the latest at `hi`. For receivers whose ACK count Linux leaves open (quick-ACK
  // versus delayed ACK every second segment, SPEC §7.5) when a test is about something else.
  wire::Packet expect_acks_until(Instant hi, const SegSpec& last, Where w = {}) {
    const Instant lo = now_;
    for (;;) {
      while (next_out_ >= out_.sent.size() && now_ < hi) {
        const Instant d = stack_->next_deadline();
        if (d > hi) {
          now_ = hi;
          break;
        }
        fire(d < now_ ? now_ : d, w);
      }
      if (next_out_ >= out_.sent.size()) {
        fail(w, fmt::format("expected by {}: {}\n  but the stack sent nothing", to_string(hi),
                            to_string(last)));
      }
      auto parsed = wire::parse_packet(out_.sent[next_out_].bytes);
      if (parsed && mismatch(last, parsed->tcp, {stack_isn_, kPeerIsn}).empty()) {
        return claim(lo, hi, last, w);
      }
      if (!parsed || parsed->tcp.flags != ack || !parsed->tcp.payload.empty()) {
        return claim(lo, hi, last, w);  // reports the mismatch
      }
      log(fmt::format("{} > {}", to_string(out_.sent[next_out_].t), describe(*parsed)));
      ++next_out_;
    }
  }

  // The stack sends nothing strictly before t (a packet due exactly at t stays queued).
  void expect_nothing_until(Instant t, Where w = {}) {
    step_to(t, w);
    if (next_out_ < out_.sent.size() && out_.sent[next_out_].t < t) {
      fail(w, fmt::format("expected silence until {}, but at {} the stack sent\n  {}", to_string(t),
                          to_string(out_.sent[next_out_].t), describe_sent(out_.sent[next_out_])));
    }
  }

  // ---- socket calls -----------------------------------------------------------------------

  SocketId open(Where w = {}) {
    auto r = stack_->socket();
    if (!r) fail(w, "socket() failed with " + errno_name(r.error()));
    return *r;
  }

  void set_option(SocketId s, SockOpt opt, int64_t value, Where w = {}) {
    if (int rc = stack_->set_option(s, opt, value); rc != 0) {
      fail(w, fmt::format("set_option({}) = {}", value, errno_name(rc)));
    }
  }

  // Active open towards the peer's kServerPort. Learns our ephemeral port from info().
  void connect(Instant t, SocketId s, int want = EINPROGRESS, Where w = {}) {
    call(t, w);
    local_ = {kLocalAddr, 0};
    remote_ = {kPeerAddr, kServerPort};
    forget_isns();
    const int rc = stack_->connect(s, remote_, t);
    log(fmt::format("{}   connect() = {}", to_string(t), errno_name(rc)));
    if (rc != want) {
      fail(w, fmt::format("connect() = {}, expected {}", errno_name(rc), errno_name(want)));
    }
    if (auto i = stack_->info(s); i && i->local.port != 0) local_.port = i->local.port;
  }

  // A listener on kServerPort, backlog 128; the peer becomes kPeerAddr:kPeerPort.
  SocketId listen(Instant t, Where w = {}) {
    call(t, w);
    const SocketId l = open(w);
    local_ = {kLocalAddr, kServerPort};
    remote_ = {kPeerAddr, kPeerPort};
    forget_isns();
    if (int rc = stack_->bind(l, local_); rc != 0) fail(w, "bind() = " + errno_name(rc));
    if (int rc = stack_->listen(l, 128, t); rc != 0) fail(w, "listen() = " + errno_name(rc));
    log(fmt::format("{}   listen() = 0", to_string(t)));
    return l;
  }

  // Script a 4-tuple no socket call has set up (segments to closed ports, SPEC §10.1).
  void use_tuple(uint16_t local_port, uint16_t peer_port) {
    local_ = {kLocalAddr, local_port};
    remote_ = {kPeerAddr, peer_port};
    forget_isns();
  }

  // Switch the peer to another source port (a new 4-tuple; our side keeps its port).
  void use_peer_port(uint16_t port) {
    remote_.port = port;
    forget_isns();
  }
  // Switch back to an earlier peer whose stack ISN the test saved with stack_isn() (scripts
  // with several peers at once, e.g. a listener's queues; timestamps are not restored).
  void use_peer_port(uint16_t port, uint32_t saved_stack_isn) {
    use_peer_port(port);
    stack_isn_ = saved_stack_isn;
  }

  SocketId accept(Instant t, SocketId listener, Where w = {}) {
    call(t, w);
    auto r = stack_->accept(listener, t);
    if (!r) fail(w, "accept() failed with " + errno_name(r.error()));
    log(fmt::format("{}   accept() = {}", to_string(t), *r));
    return *r;
  }

  void accept_fails(Instant t, SocketId listener, int want, Where w = {}) {
    call(t, w);
    auto r = stack_->accept(listener, t);
    if (r) fail(w, fmt::format("accept() succeeded, expected {}", errno_name(want)));
    if (r.error() != want) {
      fail(w, fmt::format("accept() failed with {}, expected {}", errno_name(r.error()),
                          errno_name(want)));
    }
  }

  // Queues n bytes (or `data`); the whole amount must be accepted.
  void send(Instant t, SocketId s, size_t n, Where w = {}) {
    std::string data(n, 'x');
    for (size_t i = 0; i < n; ++i)
      data[i] = static_cast<char>('A' + i % 26);
    send(t, s, std::string_view(data), w);
  }
  void send(Instant t, SocketId s, std::string_view data, Where w = {}) {
    call(t, w);
    auto r =
        stack_->send(s, std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()), t);
    if (!r) fail(w, fmt::format("send({}) failed with {}", data.size(), errno_name(r.error())));
    log(fmt::format("{}   send({}) = {}", to_string(t), data.size(), *r));
    if (*r != data.size()) fail(w, fmt::format("send({}) = {}", data.size(), *r));
  }
  void send_fails(Instant t, SocketId s, int want, Where w = {}) {
    call(t, w);
    const uint8_t byte = 'x';
    auto r = stack_->send(s, std::span(&byte, 1), t);
    if (r) fail(w, fmt::format("send() = {}, expected {}", *r, errno_name(want)));
    if (r.error() != want) {
      fail(w, fmt::format("send() failed with {}, expected {}", errno_name(r.error()),
                          errno_name(want)));
    }
  }

  // Reads what is readable; exactly `want` bytes must be (0 = end of stream). Returns them.
  std::string recv(Instant t, SocketId s, size_t want, Where w = {}) {
    call(t, w);
    std::vector<uint8_t> buf(want + 1);
    size_t got = 0;
    while (got < buf.size()) {
      auto r = stack_->recv(s, std::span(buf).subspan(got), t);
      if (!r) {
        if (r.error() == EAGAIN && got > 0) break;
        fail(w, fmt::format("recv() failed with {} after {} bytes, expected {} bytes",
                            errno_name(r.error()), got, want));
      }
      if (*r == 0) break;  // EOF
      got += *r;
    }
    log(fmt::format("{}   recv() = {}", to_string(t), got));
    if (got != want) fail(w, fmt::format("recv() returned {} bytes, expected {}", got, want));
    return std::string(reinterpret_cast<const char*>(buf.data()), got);
  }
  void recv_fails(Instant t, SocketId s, int want, Where w = {}) {
    call(t, w);
    uint8_t buf[64];
    auto r = stack_->recv(s, buf, t);
    if (r) fail(w, fmt::format("recv() = {}, expected {}", *r, errno_name(want)));
    if (r.error() != want) {
      fail(w, fmt::format("recv() failed with {}, expected {}", errno_name(r.error()),
                          errno_name(want)));
    }
  }

  void close(Instant t, SocketId s, int want = 0, Where w = {}) {
    call(t, w);
    const int rc = stack_->close(s, t);
    log(fmt::format("{}   close() = {}", to_string(t), errno_name(rc)));
    if (rc != want)
      fail(w, fmt::format("close() = {}, expected {}", errno_name(rc), errno_name(want)));
  }
  // SO_LINGER {on, t > 0}: the close up to the wait (Stack::close_linger); nullopt when
  // there is nothing to wait for.
  std::optional<LingerWait> close_linger(Instant t, SocketId s, Where w = {}) {
    call(t, w);
    auto r = stack_->close_linger(s, t);
    if (!r) fail(w, "close_linger() failed with " + errno_name(r.error()));
    log(fmt::format("{}   close_linger() = {}", to_string(t),
                    *r ? "wait until " + to_string((*r)->deadline) : std::string("no wait")));
    return *r;
  }
  // Whether the lingering close() is over at t (after the stack was driven to t).
  void expect_linger_done(Instant t, const LingerWait& lw, bool want, Where w = {}) {
    call(t, w);
    const bool done = stack_->linger_done(lw, t);
    log(fmt::format("{}   linger_done() = {}", to_string(t), done));
    if (done != want) {
      fail(w, fmt::format("linger_done() = {}, expected {}", done, want));
    }
  }
  void shutdown(Instant t, SocketId s, ShutdownHow how, int want = 0, Where w = {}) {
    call(t, w);
    const int rc = stack_->shutdown(s, how, t);
    log(fmt::format("{}   shutdown() = {}", to_string(t), errno_name(rc)));
    if (rc != want) {
      fail(w, fmt::format("shutdown() = {}, expected {}", errno_name(rc), errno_name(want)));
    }
  }
  void abort(Instant t, SocketId s, Where w = {}) {
    call(t, w);
    log(fmt::format("{}   abort()", to_string(t)));
    stack_->abort(s, t);
  }

  // ---- state --------------------------------------------------------------------------------

  // The state of the scripted 4-tuple (nullopt: the stack holds nothing for it). A passive
  // half-open connection is a request record (SPEC §3.2): kSynReceived accepts kNewSynRecv.
  void expect_state(Instant t, std::optional<State> want, Where w = {}) {
    call(t, w);
    const std::optional<State> got = stack_->state_of(local_, remote_);
    const bool ok = got == want || (want == State::kSynReceived && got == State::kNewSynRecv);
    if (!ok) {
      fail(w, fmt::format("state of {}:{} <-> {}:{} is {}, expected {}", to_string(local_.addr),
                          local_.port, to_string(remote_.addr), remote_.port, state_name(got),
                          state_name(want)));
    }
  }
  void expect_gone(Instant t, Where w = {}) { expect_state(t, std::nullopt, w); }

  // SO_ERROR (take_error returns and clears it).
  void expect_error(Instant t, SocketId s, int want, Where w = {}) {
    call(t, w);
    const int got = stack_->take_error(s);
    if (got != want) {
      fail(w, fmt::format("SO_ERROR = {}, expected {}", errno_name(got), errno_name(want)));
    }
  }

  // Readiness: every bit of `set` is on and every bit of `clear` is off.
  void expect_ready(Instant t, SocketId s, uint32_t set, uint32_t clear = 0, Where w = {}) {
    call(t, w);
    const uint32_t got = stack_->readiness(s);
    if ((got & set) != set || (got & clear) != 0) {
      fail(w, fmt::format("readiness {:#x}: want bits {:#x} on and {:#x} off", got, set, clear));
    }
  }

  SocketInfo info(SocketId s, Where w = {}) {
    auto r = stack_->info(s);
    if (!r) fail(w, "info() failed with " + errno_name(r.error()));
    return *r;
  }

  // ---- whole handshakes ---------------------------------------------------------------------

  // connect() at `start`, SYN+ACK from the peer `rtt` later, our ACK at once: ESTABLISHED.
  // With rtt 0 the first RTT sample is 0 and the RTO is exactly the 200 ms minimum (Linux
  // tcp_rtt_estimator/tcp_set_rto: srtt 0 + max(rttvar, rto_min)).
  // `s` may be a socket the test has already configured (options set before connect()).
  SocketId establish_active(Duration rtt = 0_s, Instant start = Instant::zero(),
                            SocketId s = kNoSocket, Where w = {}) {
    if (s == kNoSocket) s = open(w);
    connect(start, s, EINPROGRESS, w);
    expect(start, {.flags = syn, .seq = 0, .options = linux_syn_options()}, w);
    inject(start + rtt, {.flags = syn_ack, .seq = 0, .ack = 1}, w);
    expect(start + rtt, {.flags = ack, .seq = 1, .ack = 1}, w);
    expect_state(start + rtt, State::kEstablished, w);
    return s;
  }

  // listen() at `start`, the peer's SYN, our SYN+ACK, the peer's ACK `rtt` later, accept().
  // Returns {listener, accepted}.
  std::pair<SocketId, SocketId> establish_passive(Duration rtt = 0_s,
                                                  Instant start = Instant::zero(), Where w = {}) {
    const SocketId l = listen(start, w);
    inject(start, {.flags = syn, .seq = 0}, w);
    expect(start,
           {.flags = syn_ack,
            .seq = 0,
            .ack = 1,
            .options = Opts{.mss = 1460, .sack_ok = true, .wscale = 7}},
           w);
    inject(start + rtt, {.flags = ack, .seq = 1, .ack = 1}, w);
    const SocketId a = accept(start + rtt, l, w);
    expect_state(start + rtt, State::kEstablished, w);
    return {l, a};
  }

  // ---- failure ------------------------------------------------------------------------------

  [[noreturn]] void fail(Where w, const std::string& msg) {
    std::string history;
    const size_t first = log_.size() > 16 ? log_.size() - 16 : 0;
    for (size_t i = first; i < log_.size(); ++i)
      history += "    " + log_[i] + "\n";
    ADD_FAILURE_AT(w.file, w.line)
        << "[t=" << to_string(now_) << "] " << msg << "\n  last events (< in, > out):\n"
        << history;
    throw ScriptFailure("script failed at " + std::string(w.file) + ":" + std::to_string(w.line) +
                        " (details above)");
  }

 private:
  void forget_isns() {
    stack_isn_ = 0;
    stack_ts_ = false;
    peer_ts_ = false;
    stack_tsval_ = 0;
  }

  // Drive timers up to t (never past it).
  void step_to(Instant t, const Where& w) {
    if (t < now_) {
      fail(w, fmt::format("script goes back in time: step at {} after {}", to_string(t),
                          to_string(now_)));
    }
    for (;;) {
      const Instant d = stack_->next_deadline();
      if (d > t) break;
      fire(d < now_ ? now_ : d, w);
    }
    now_ = t;
  }

  void fire(Instant d, const Where& w) {
    if (d == last_fired_) {
      if (++same_deadline_count_ > 10000) {
        fail(w, fmt::format("next_deadline() stays at {} after advance() to it", to_string(d)));
      }
    } else {
      last_fired_ = d;
      same_deadline_count_ = 0;
    }
    stack_->advance(d);
    now_ = d;
  }

  void call(Instant t, const Where& w) {
    step_to(t, w);
    require_all_claimed(w);
  }

  void require_all_claimed(const Where& w) {
    if (next_out_ < out_.sent.size()) {
      const auto& s = out_.sent[next_out_];
      fail(w, fmt::format("unexpected packet at {}:\n  {}", to_string(s.t), describe_sent(s)));
    }
  }

  wire::Packet claim(Instant lo, Instant hi, const SegSpec& want, const Where& w) {
    const auto& sent = out_.sent[next_out_];
    auto parsed = wire::parse_packet(sent.bytes);
    if (!parsed) {
      fail(w, fmt::format("the stack sent an unparsable packet at {}: {}", to_string(sent.t),
                          wire::to_string(parsed.error())));
    }
    wire::Packet p = *parsed;
    if (local_.port == 0) local_.port = p.tcp.src_port;
    // Learn the stack's ISN from its SYN (packetdrill does the same).
    if ((want.flags & syn) != 0 && p.tcp.has(syn)) {
      stack_isn_ = p.tcp.seq.raw() - want.seq.value_or(0);
      stack_ts_ = p.tcp.options.timestamps.has_value();
    }
    if (p.tcp.options.timestamps) stack_tsval_ = p.tcp.options.timestamps->val;
    std::string why = mismatch(want, p.tcp, SeqBases{.seq_base = stack_isn_, .ack_base = kPeerIsn});
    if (p.ip.src != local_.addr || p.ip.dst != remote_.addr || p.tcp.src_port != local_.port ||
        p.tcp.dst_port != remote_.port) {
      why += (why.empty() ? "" : "; ") + std::string("addresses/ports are not the script's");
    }
    if (sent.t < lo || sent.t > hi) {
      why += (why.empty() ? "" : "; ") +
             fmt::format("sent at {}, expected {}", to_string(sent.t),
                         lo == hi ? to_string(lo)
                                  : fmt::format("in [{}, {}]", to_string(lo), to_string(hi)));
    }
    log(fmt::format("{} > {}", to_string(sent.t), describe(p)));
    ++next_out_;
    if (!why.empty()) {
      fail(w, fmt::format("packet mismatch: {}\n  expected: {}\n  actual:   {}", why,
                          to_string(want), describe(p)));
    }
    return p;
  }

  wire::TcpOptions resolve_options(const SegSpec& s) const {
    wire::TcpOptions o;
    const bool is_syn = (s.flags & syn) != 0;
    std::optional<Opts> spec = s.options;
    if (!spec) {
      if (is_syn) {
        spec = peer_syn_options;
      } else if (peer_ts_ && stack_ts_) {
        spec = Opts{.ts = Ts{}};
      } else {
        spec = Opts{};
      }
    }
    o.mss = spec->mss;
    o.sack_permitted = spec->sack_ok;
    o.window_scale = spec->wscale;
    o.fast_open = spec->tfo;
    for (const auto& [l, r] : spec->sack) {
      if (o.sack_block_count == wire::TcpOptions::kMaxSackBlocks) break;
      o.sack_blocks[o.sack_block_count++] =
          wire::SackBlock{wire::SeqNum{stack_isn_ + l}, wire::SeqNum{stack_isn_ + r}};
    }
    if (spec->ts) {
      o.timestamps = wire::Timestamps{.val = spec->ts->val.value_or(peer_clock_ms()),
                                      .ecr = spec->ts->ecr.value_or(stack_tsval_)};
    }
    return o;
  }

  // The peer's TSval clock: milliseconds of script time, from an arbitrary origin.
  [[nodiscard]] uint32_t peer_clock_ms() const {
    return static_cast<uint32_t>(now_.ns() / 1'000'000) + 500'000u;
  }

  std::string describe(const wire::Packet& p) const {
    const bool from_peer = p.ip.src == remote_.addr && p.tcp.src_port == remote_.port;
    const uint32_t seq_base = from_peer ? kPeerIsn : stack_isn_;
    const uint32_t ack_base = from_peer ? stack_isn_ : kPeerIsn;
    std::string s =
        wire::to_string(p) + fmt::format("  (relative seq {}", p.tcp.seq.raw() - seq_base);
    if (p.tcp.has(ack)) s += fmt::format(" ack {}", p.tcp.ack.raw() - ack_base);
    return s + ")";
  }
  std::string describe_sent(const RecordingOutput::Sent& sent) const {
    auto parsed = wire::parse_packet(sent.bytes);
    return parsed ? describe(*parsed)
                  : "unparsable: " + std::string(wire::to_string(parsed.error()));
  }

  void log(std::string line) { log_.push_back(std::move(line)); }

  RecordingOutput out_;
  std::unique_ptr<Stack> stack_;
  size_t next_out_ = 0;
  Instant now_;
  Instant last_fired_ = Instant::infinite();
  int same_deadline_count_ = 0;
  Endpoint local_;
  Endpoint remote_;
  uint32_t stack_isn_ = 0;
  bool stack_ts_ = false;
  bool peer_ts_ = false;
  uint32_t stack_tsval_ = 0;
  std::vector<std::string> log_;
};

}  // namespace synack::tcptest
