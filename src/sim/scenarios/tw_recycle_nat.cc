// tw-recycle-nat (SPEC §17, issue 6): why net.ipv4.tcp_tw_recycle broke clients behind NAT.
//
// synack has no tcp_tw_recycle (Linux removed it in 4.12) and must not grow one, so the old
// server-side check is modelled here, outside the stack, by LegacyRecycleFilter: a filter in
// front of the server that does what tcp_v4_conn_request -> tcp_peer_is_proven did with
// tw_recycle on. What it models, exactly:
//   - remember: when a FIN with timestamps arrives from a peer, the filter stores, per source
//     IPv4 address, that FIN's TSval and the time. In this story the server closes first, so
//     the peer's FIN is the segment that moves the server into TIME-WAIT, the moment old Linux
//     stored ts_recent per peer (tcp_time_wait -> tcp_remember_stamp, later the tcp_metrics
//     tcpm_ts / tcpm_ts_stamp). A FIN from a peer that closed first is stored too; old Linux
//     did not, but this story never has one.
//   - check: a SYN (no ACK) with timestamps from an address with a stamp younger than
//     TCP_PAWS_MSL (60 s) whose TSval is below the stored one by more than TCP_PAWS_WINDOW (1),
//     in 32-bit sequence arithmetic, is dropped silently and counted as PAWSPassive (old
//     Linux's LINUX_MIB_PAWSPASSIVEREJECTED, TcpExtPAWSPassive in nstat). It is a count of
//     this scenario, not a stack counter.
//
// Topology (no Rig: the Rig has one client): hosts A 192.168.1.10 and B 192.168.1.11 on a LAN
// of no delay behind a NAT, which rewrites their source to 203.0.113.7 and a fresh NAT port per
// connection (40000, 40001, ...), recomputes both checksums by re-emitting the packet, and maps
// replies back by NAT port; the NAT and the server S 198.51.100.80:80 are joined by a 10 ms
// cable each way. The filter sits at the NAT's output, after the public-side Tracer and pcap
// tap, and judges each packet at its arrival time at S (send time + the fixed 10 ms): so the
// ladder and the capture show the dropped SYNs as sent and the ladder marks them lost, exactly
// where a silent drop at the server would leave them.
//
// Story, run twice on fresh simulators (same seed): A connects, sends a request, the server
// answers and closes first, A closes on EOF; 1 s after A's close, B does the same; 1 s after
// B's close, A connects again. Part 1 runs with the filter checking, part 2 with it only
// watching (Linux >= 4.12). TSval offsets are per address pair (SPEC §9, Linux >= 4.13), so A
// and B show the server unrelated clocks: whichever cross connection's clock is below the
// stamp left by the other has its SYNs dropped until the stamp is 60 s old. The expectation
// is computed from the observed TSvals and the SYN schedule the settings give (tcp_syn_retries,
// initial RTO doubling), so every seed passes. The ladder, pcap and SVG show part 1 on the
// public side (the server's view: every connection of both hosts, as from one address).
//
// Single-threaded.
#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/link_events.h"
#include "link/pcap_tap.h"
#include "link/tracer.h"
#include "sim/ladder.h"
#include "sim/ladder_svg.h"
#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/rig.h"
#include "sim/scenarios/script_app.h"
#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "wire/packet.h"

namespace synack::sim::scenarios {
namespace {

using wire::Ipv4Address;
using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kSyn;

const Ipv4Address kHostA = Ipv4Address::from_octets(192, 168, 1, 10);
const Ipv4Address kHostB = Ipv4Address::from_octets(192, 168, 1, 11);
const Ipv4Address kPublic = Ipv4Address::from_octets(203, 0, 113, 7);
const Ipv4Address kServer = Ipv4Address::from_octets(198, 51, 100, 80);
constexpr uint16_t kServerPort = 80;
constexpr uint16_t kFirstNatPort = 40000;
constexpr Duration kLatency = Duration::millis(10);
// include/net/tcp.h of old Linux.
constexpr Duration kPawsMsl = Duration::seconds(60);  // TCP_PAWS_MSL
constexpr int32_t kPawsWindow = 1;                    // TCP_PAWS_WINDOW

// Source NAT for the two private hosts: one public address, a new port per private
// (address, port), replies mapped back by that port.
class Nat {
 public:
  Nat(Simulator& sim, link::PacketSink*& up) : sim_(sim), up_(up) {}
  void add_inside(Ipv4Address addr, link::PacketSink& inbox) { inside_[addr.value()] = &inbox; }
  // Where the private hosts send.
  [[nodiscard]] link::PacketSink& from_inside() { return out_; }
  // Where the server's replies arrive.
  [[nodiscard]] link::PacketSink& from_outside() { return in_; }
  [[nodiscard]] uint64_t dropped() const { return dropped_; }

 private:
  struct Private {
    Ipv4Address addr;
    uint16_t port;
  };
  class Out final : public link::PacketSink {
   public:
    explicit Out(Nat& nat) : nat_(nat) {}
    void push(link::PacketPtr packet, Instant now) override { nat_.outbound(*packet, now); }

   private:
    Nat& nat_;
  };
  class In final : public link::PacketSink {
   public:
    explicit In(Nat& nat) : nat_(nat) {}
    void push(link::PacketPtr packet, Instant now) override { nat_.inbound(*packet, now); }

   private:
    Nat& nat_;
  };

  void outbound(const link::PacketBuffer& b, Instant now) {
    auto p = wire::parse_packet(b.bytes());
    if (!p) {
      ++dropped_;
      return;
    }
    wire::Packet& pk = p.value();
    const uint64_t key = uint64_t{pk.ip.src.value()} << 16 | pk.tcp.src_port;
    auto it = ports_.find(key);
    if (it == ports_.end()) {
      const auto port = static_cast<uint16_t>(kFirstNatPort + back_.size());
      it = ports_.emplace(key, port).first;
      back_[port] = Private{pk.ip.src, pk.tcp.src_port};
    }
    pk.ip.src = kPublic;
    pk.tcp.src_port = it->second;
    forward(pk, *up_, now);
  }

  void inbound(const link::PacketBuffer& b, Instant now) {
    auto p = wire::parse_packet(b.bytes());
    if (!p) {
      ++dropped_;
      return;
    }
    wire::Packet& pk = p.value();
    const auto it = back_.find(pk.tcp.dst_port);
    const auto host = it == back_.end() ? inside_.end() : inside_.find(it->second.addr.value());
    if (host == inside_.end()) {
      ++dropped_;
      return;
    }
    pk.ip.dst = it->second.addr;
    pk.tcp.dst_port = it->second.port;
    forward(pk, *host->second, now);
  }

  // Re-emitting writes both checksums anew (RFC 3022 §4.2 asks for them to be adjusted).
  void forward(const wire::Packet& pk, link::PacketSink& to, Instant now) {
    scratch_.resize(wire::emitted_size(pk));
    const size_t n = wire::emit_packet(pk, scratch_);
    if (n == 0) {
      ++dropped_;
      return;
    }
    to.push(sim_.pool().copy(std::span<const uint8_t>(scratch_.data(), n)), now);
  }

  Simulator& sim_;
  link::PacketSink*& up_;
  Out out_{*this};
  In in_{*this};
  std::map<uint32_t, link::PacketSink*> inside_;
  std::map<uint64_t, uint16_t> ports_;
  std::map<uint16_t, Private> back_;
  std::vector<uint8_t> scratch_;
  uint64_t dropped_ = 0;
};

// Old Linux's tw_recycle check at the server (see the header comment).
class LegacyRecycleFilter final : public link::PacketSink {
 public:
  struct Syn {
    Instant at;  // arrival at the server
    uint16_t port;
    bool has_ts;
    uint32_t tsval;
    bool dropped;
  };
  struct Stamp {
    Instant at;
    uint16_t port;
    uint32_t tsval;
  };

  LegacyRecycleFilter(link::PacketSink& next, bool checking, link::LinkObserver* observer)
      : next_(next), checking_(checking), observer_(observer) {}

  void push(link::PacketPtr packet, Instant now) override {
    const Instant at = now + kLatency;
    auto p = wire::parse_packet(packet->bytes());
    if (p) {
      const wire::Packet& pk = p.value();
      const bool has_ts = pk.tcp.options.timestamps.has_value();
      const uint32_t tsval = has_ts ? pk.tcp.options.timestamps->val : 0;
      const uint32_t src = pk.ip.src.value();
      if ((pk.tcp.flags & (kSyn | kAck)) == kSyn) {
        // Old Linux checked only SYNs that carry timestamps.
        const auto it = peers_.find(src);
        const bool young = it != peers_.end() && (at - it->second.at) < kPawsMsl;
        const bool older = young && static_cast<int32_t>(it->second.tsval - tsval) > kPawsWindow;
        const bool drop = checking_ && has_ts && older;
        syns_.push_back(Syn{at, pk.tcp.src_port, has_ts, tsval, drop});
        if (drop) {
          ++paws_passive_;
          if (observer_ != nullptr)
            observer_->on_link_event(link::LinkEvent{.at = now,
                                                     .kind = link::LinkEventKind::kDropped,
                                                     .reason = link::DropReason::kFaultRule,
                                                     .stage = "legacy tw_recycle",
                                                     .rule = "PAWSPassive",
                                                     .packet = packet->bytes(),
                                                     .extra = Duration::zero()});
          return;
        }
      }
      if (has_ts && (pk.tcp.flags & kFin) != 0) {
        peers_[src] = Stamp{at, pk.tcp.src_port, tsval};
        stamps_.push_back(peers_[src]);
      }
    }
    next_.push(std::move(packet), now);
  }

  [[nodiscard]] uint64_t paws_passive() const { return paws_passive_; }
  [[nodiscard]] const std::vector<Syn>& syns() const { return syns_; }
  [[nodiscard]] const std::vector<Stamp>& stamps() const { return stamps_; }

 private:
  link::PacketSink& next_;
  bool checking_;
  link::LinkObserver* observer_;
  std::map<uint32_t, Stamp> peers_;
  std::vector<Syn> syns_;
  std::vector<Stamp> stamps_;
  uint64_t paws_passive_ = 0;
};

// A stack with its application run after every event of the host (as Rig does).
class AppHost final : public Host {
 public:
  explicit AppHost(StackHost& inner) : inner_(inner) {}
  void receive(PacketPtr packet, Instant now) override {
    inner_.receive(std::move(packet), now);
    if (app) app(now);
  }
  void advance(Instant now) override {
    inner_.advance(now);
    if (app) app(now);
  }
  [[nodiscard]] Instant next_deadline() const override { return inner_.next_deadline(); }
  std::function<void(Instant)> app;

 private:
  StackHost& inner_;
};

const std::string kRequest = "GET / HTTP/1.0\r\n\r\n";
const std::string kResponse = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";

const char* const kNames[] = {"A", "B", "A again"};

// One client connection of the story.
struct Conn {
  char host = 'A';
  Instant start = Instant::infinite();
  std::unique_ptr<ScriptApp> app{};
  // What the app saw, kept when the app goes with its stack.
  bool connected = false;
  Instant connected_at = Instant::infinite();
  int error = 0;
  Instant error_at = Instant::infinite();
  size_t received = 0;
  bool closed = false;
};

// What one run of the story showed.
struct StoryRun {
  std::string error;  // setup failure
  std::vector<Conn> conns;
  std::vector<LegacyRecycleFilter::Syn> syns;
  std::vector<LegacyRecycleFilter::Stamp> stamps;
  uint64_t paws_passive = 0;
  uint64_t nat_dropped = 0;
  size_t server_done = 0;  // server connections that sent the response and closed
  bool ended = false;
  std::string ladder;
  std::string svg;
};

StoryRun run_story(const RunContext& ctx, bool checking, bool draw) {
  StoryRun out;
  Simulator sim{ctx.seed};
  // --trace: every event of the three stacks (first part only), as the Rig writes it.
  std::string* json = draw ? ctx.json : nullptr;
  HostLog log_a("A", json, nullptr);
  HostLog log_b("B", json, nullptr);
  HostLog log_s("server", json, nullptr);
  StackHost a({.address = kHostA}, sim.rng().next_u64(), sim.pool());
  StackHost b({.address = kHostB}, sim.rng().next_u64(), sim.pool());
  StackHost s({.address = kServer}, sim.rng().next_u64(), sim.pool());
  for (StackHost* h : {&a, &b, &s})
    h->stack().sysctls() = ctx.sysctls;
  if (json != nullptr) {
    a.stack().set_trace(&log_a);
    b.stack().set_trace(&log_b);
    s.stack().set_trace(&log_s);
  }
  AppHost ha(a);
  AppHost hb(b);
  AppHost hs(s);
  const HostId ia = sim.add_host(ha, "A");
  const HostId ib = sim.add_host(hb, "B");
  const HostId is = sim.add_host(hs, "server");
  const link::LinkParams params{.latency = kLatency};
  link::SimLink& to_server = sim.add_link("nat->server", params, sim.inbox(is));
  link::PacketSink* up = nullptr;
  Nat nat(sim, up);
  link::SimLink& to_nat = sim.add_link("server->nat", params, nat.from_outside());
  nat.add_inside(kHostA, sim.inbox(ia));
  nat.add_inside(kHostB, sim.inbox(ib));

  Ladder ladder(kPublic, fmt::format("NAT {} (A and B)", to_string(kPublic)),
                fmt::format("server {}:{}", to_string(kServer), kServerPort),
                LadderOptions{.arrow_width = 70, .states = false, .collapse_after = 12});
  link::LinkObserver* observer = draw ? &ladder : nullptr;
  std::unique_ptr<link::PcapWriter> writer;
  std::optional<link::PcapTap> tap_up;
  std::optional<link::PcapTap> tap_down;
  LegacyRecycleFilter filter(to_server, checking, observer);
  link::PacketSink* after_nat = &filter;
  link::PacketSink* after_server = &to_nat;
  if (draw && !ctx.pcap.empty()) {
    auto opened = link::PcapWriter::open(ctx.pcap);
    if (!opened) {
      out.error = fmt::format("cannot write {}: {}", ctx.pcap, opened.error());
      return out;
    }
    writer = std::move(opened).value();
    after_nat = &tap_up.emplace(*writer, filter);
    after_server = &tap_down.emplace(*writer, to_nat);
  }
  link::Tracer trace_nat("nat", *after_nat, observer);
  link::Tracer trace_server("server", *after_server, observer);
  up = &trace_nat;
  a.attach(nat.from_inside());
  b.attach(nat.from_inside());
  s.attach(trace_server);

  // The server: one app per accepted connection; it answers and closes first.
  auto listener = s.stack().socket();
  if (!listener || s.stack().bind(listener.value(), Endpoint{kServer, kServerPort}) != 0 ||
      s.stack().listen(listener.value(), 16, sim.now()) != 0) {
    out.error = "server listen failed";
    return out;
  }
  const AppScript server_script{
      .send = kResponse, .wait_for = kRequest.size(), .close_after_send = true};
  std::deque<ScriptApp> served;
  hs.app = [&](Instant now) {
    if (served.empty()) {
      served.emplace_back(s.stack(), server_script);
      served.back().set_listener(listener.value());
    }
    // Each app accepts one connection; a new one waits for the next.
    for (size_t i = 0; i < served.size(); ++i) {
      served[i].step(now);
      if (i + 1 == served.size() && served[i].socket() != kNoSocket) {
        served.emplace_back(s.stack(), server_script);
        served.back().set_listener(listener.value());
      }
    }
  };

  // The clients: A, then B 1 s after A's close, then A 1 s after B's close.
  std::vector<Conn>& conns = out.conns;
  conns.reserve(3);
  const std::string order = "ABA";
  auto start = [&](size_t i, Instant now) {
    StackHost& h = order[i] == 'A' ? a : b;
    Conn c;
    c.host = order[i];
    c.start = now;
    if (draw)
      ladder.note(now, true,
                  fmt::format("{} connects (NAT port {})", kNames[i],
                              static_cast<unsigned>(kFirstNatPort + i)));
    auto sock = h.stack().socket();
    const int rc =
        sock ? h.stack().connect(sock.value(), Endpoint{kServer, kServerPort}, now) : EBADF;
    if (rc == 0 || rc == EINPROGRESS) {
      c.app = std::make_unique<ScriptApp>(h.stack(), AppScript{.send = kRequest});
      c.app->set_socket(sock.value());
    }
    conns.push_back(std::move(c));
  };
  size_t scheduled = 1;  // connections started or scheduled
  auto client_app = [&](Instant now) {
    if (conns.empty()) return;
    for (Conn& c : conns)
      if (c.app) c.app->step(now);
    const Conn& last = conns.back();
    const bool over = !last.app || last.app->closed() || last.app->error() != 0;
    if (over && conns.size() < order.size() && scheduled == conns.size()) {
      ++scheduled;
      const Instant end = !last.app                ? now
                          : last.app->error() != 0 ? last.app->error_at()
                                                   : last.app->closed_at();
      sim.at(end + Duration::seconds(1), [&, i = conns.size()](Instant t) { start(i, t); });
    }
  };
  ha.app = client_app;
  hb.app = client_app;
  sim.at(Instant::zero(), [&](Instant t) { start(0, t); });

  Observer* obs = draw ? ctx.observer : nullptr;
  const Instant limit = Instant::zero() + Duration::seconds(3600);
  for (;;) {
    if (obs != nullptr) {
      const Instant next = sim.next_event_at();
      while (!next.is_infinite() && obs->next_look() < next && obs->next_look() <= limit)
        obs->look(obs->next_look(), a.stack(), s.stack());
    }
    if (!sim.step()) break;
    if (obs != nullptr) obs->stepped(sim.now(), sim.events_processed());
    if (sim.now() > limit) break;
  }
  out.ended = sim.events_pending() == 0;
  if (obs != nullptr) obs->finished(sim.now(), a.stack(), s.stack());
  if (writer) writer->flush();
  out.syns = filter.syns();
  out.stamps = filter.stamps();
  out.paws_passive = filter.paws_passive();
  out.nat_dropped = nat.dropped();
  for (const ScriptApp& app : served)
    out.server_done += app.closed() && app.sent() == kResponse.size() ? 1 : 0;
  if (draw && !ctx.quiet) out.ladder = ladder.header() + ladder.take();
  if (draw && ctx.svg != nullptr) {
    (void)ladder.take();
    out.svg = ladder_svg(ladder, LadderSvgOptions{.latency = kLatency});
  }
  // The apps hold references to the stacks: drop them before the stacks go.
  for (Conn& c : conns) {
    if (!c.app) continue;
    c.connected = c.app->connected();
    c.connected_at = c.app->connected_at();
    c.error = c.app->error();
    c.error_at = c.app->error_at();
    c.received = c.app->received();
    c.closed = c.app->closed();
    c.app.reset();
  }
  for (StackHost* h : {&a, &b, &s})
    h->stack().set_trace(nullptr);
  return out;
}

// The SYN schedule the settings give (as syn-lost derives it): send offsets from the first
// SYN, and when connect() gives up.
struct SynSchedule {
  std::vector<Duration> sends;
  Duration give_up;
};
SynSchedule syn_schedule(const stack::Sysctls& sysctls) {
  const int64_t retries = sysctls.get(stack::SysctlId::kTcpSynRetries);
  const int64_t linear = sysctls.get(stack::SysctlId::kTcpSynLinearTimeouts);
  const Duration rto_max = Duration::millis(sysctls.get(stack::SysctlId::kTcpRtoMaxMs));
  SynSchedule out;
  Duration t = Duration::zero();
  Duration rto = Duration::millis(sysctls.get(stack::SysctlId::kTcpRtoInitialMs));
  for (int64_t r = 0; r <= retries + linear; ++r) {
    out.sends.push_back(t);
    t += rto;
    if (r + 1 > linear) rto = std::min(rto * 2, rto_max);
  }
  out.give_up = t;
  return out;
}

std::string list(const std::vector<Duration>& v) {
  std::string out;
  for (Duration d : v)
    out += fmt::format("{}{}", out.empty() ? "" : ", ", secs(d));
  return out;
}

// What one connection of the story should show, and a check of it.
struct Expected {
  size_t dropped = 0;  // SYNs dropped as PAWSPassive
  bool gives_up = false;
  std::string why;
};

// The legacy check applied to SYN k of a connection whose first SYN carried `ts0`, sent at
// `start` (TSval is a millisecond clock, so SYN k carries ts0 + its send offset in ms).
Expected expect(const SynSchedule& sched, Instant start, bool has_ts, uint32_t ts0,
                const std::optional<LegacyRecycleFilter::Stamp>& stamp) {
  Expected e;
  if (!has_ts) {
    e.why = "no timestamps: not checked";
    return e;
  }
  for (Duration off : sched.sends) {
    const Instant at = start + off + kLatency;
    const auto ts = static_cast<uint32_t>(ts0 + static_cast<uint32_t>(off.ns() / 1'000'000));
    const bool drop =
        stamp && at - stamp->at<kPawsMsl&& static_cast<int32_t>(stamp->tsval - ts)> kPawsWindow;
    if (!drop) break;
    ++e.dropped;
  }
  e.gives_up = e.dropped == sched.sends.size();
  if (!stamp) {
    e.why = "no stamp";
  } else {
    e.why =
        fmt::format("TSval {} vs {} stamped at {} (by port {}): {}", ts0, stamp->tsval,
                    seconds(stamp->at), stamp->port,
                    static_cast<int32_t>(stamp->tsval - ts0) > kPawsWindow ? "lower" : "not lower");
  }
  return e;
}

// The checks of one run; `checking` says whether the legacy filter was on.
void check_run(const RunContext& ctx, const StoryRun& r, bool checking, std::vector<Check>& checks,
               std::string& summary) {
  const SynSchedule sched = syn_schedule(ctx.sysctls);
  const std::string part = checking ? "with tw_recycle" : "without (Linux >= 4.12)";
  uint64_t want_drops = 0;
  for (size_t i = 0; i < r.conns.size(); ++i) {
    const Conn& c = r.conns[i];
    const auto port = static_cast<uint16_t>(kFirstNatPort + i);
    std::vector<LegacyRecycleFilter::Syn> syns;
    for (const auto& syn : r.syns)
      if (syn.port == port) syns.push_back(syn);
    if (syns.empty()) {
      checks.push_back(check(fmt::format("{}: {} connects", part, kNames[i]), "no SYN", false));
      continue;
    }
    std::optional<LegacyRecycleFilter::Stamp> stamp;
    for (const auto& st : r.stamps)
      if (st.at < syns.front().at) stamp = st;
    Expected e = checking ? expect(sched, c.start, syns.front().has_ts, syns.front().tsval, stamp)
                          : Expected{};
    want_drops += e.dropped;
    std::vector<Duration> want_sends(sched.sends.begin(),
                                     sched.sends.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                               e.dropped + 1, sched.sends.size())));
    std::vector<Duration> got_sends;
    size_t got_dropped = 0;
    for (const auto& syn : syns) {
      got_sends.push_back(syn.at - kLatency - c.start);
      got_dropped += syn.dropped ? 1 : 0;
    }
    std::string want_end;
    std::string got_end;
    bool end_ok = false;
    if (e.gives_up) {
      const Instant at = c.start + sched.give_up;
      want_end = fmt::format("connect() fails with ETIMEDOUT at {}", seconds(at));
      got_end =
          fmt::format("{} at {}", errno_name(c.error), c.error != 0 ? seconds(c.error_at) : "-");
      end_ok = c.error == ETIMEDOUT && c.error_at == at;
    } else {
      const Instant at = c.start + sched.sends[e.dropped] + 2 * kLatency;
      want_end = fmt::format("connect() completes at {} ({} after connect())", seconds(at),
                             seconds(at - c.start));
      got_end = c.connected ? seconds(c.connected_at) : "not connected";
      end_ok = c.connected && c.connected_at == at && c.received == kResponse.size() && c.closed;
    }
    checks.push_back(
        check(fmt::format("{}: {} ({}), SYNs sent at {} s after connect(), {} dropped; {}", part,
                          kNames[i], checking ? e.why : "nothing checks", list(want_sends),
                          e.dropped, want_end),
              fmt::format("SYNs at {} s, {} dropped; {}", list(got_sends), got_dropped, got_end),
              got_sends == want_sends && got_dropped == e.dropped && end_ok));
    if (checking && e.dropped > 0)
      summary += fmt::format(
          "{}'s SYNs dropped {}x ({}), ", kNames[i], e.dropped,
          e.gives_up ? "connect() timed out"
                     : "connect() after " + seconds(sched.sends[e.dropped] + 2 * kLatency));
  }
  checks.push_back(
      check(fmt::format("{}: PAWSPassive (the old TcpExtPAWSPassive) = {}", part, want_drops),
            fmt::format("{}", r.paws_passive), r.paws_passive == want_drops));
  size_t want_served = 0;
  for (const Conn& c : r.conns)
    want_served += c.connected && c.error == 0 ? 1 : 0;
  checks.push_back(check(
      fmt::format("{}: three connections, the server answered and closed first on each of the {} "
                  "that connected, the NAT dropped nothing, the run ended",
                  part, want_served),
      fmt::format("{} connections, {} answered, {} NAT drops, {}", r.conns.size(), r.server_done,
                  r.nat_dropped, r.ended ? "ended" : "did not end"),
      r.conns.size() == 3 && r.server_done == want_served && r.nat_dropped == 0 && r.ended));
}

Outcome run(const RunContext& ctx) {
  StoryRun legacy = run_story(ctx, true, true);
  if (!legacy.error.empty()) return setup_error(legacy.error);
  RunContext plain_ctx = ctx;
  plain_ctx.quiet = true;
  plain_ctx.pcap.clear();
  plain_ctx.svg = nullptr;
  plain_ctx.json = nullptr;
  plain_ctx.observer = nullptr;
  StoryRun modern = run_story(plain_ctx, false, false);
  if (!modern.error.empty()) return setup_error(modern.error);

  std::vector<Check> checks;
  std::string summary = "tw_recycle: ";
  check_run(ctx, legacy, true, checks, summary);
  summary += fmt::format("PAWSPassive {}, without it every connect() in {}", legacy.paws_passive,
                         seconds(2 * kLatency));
  check_run(ctx, modern, false, checks, summary);

  Outcome o;
  o.ok = true;
  for (const Check& c : checks)
    o.ok = o.ok && c.ok;
  o.summary = std::move(summary);
  if (!o.ok)
    for (const Check& c : checks)
      if (!c.ok) {
        o.summary += fmt::format("; expected {}, saw {}", c.what, c.seen);
        break;
      }
  if (!ctx.quiet) {
    o.report = legacy.ladder;
    o.report += "\nExpected facts, checked against the run\n";
    for (const Check& c : checks)
      o.report += fmt::format("  [{}] {}: {}\n", c.ok ? "ok" : "FAILED", c.what, c.seen);
  }
  if (ctx.svg != nullptr) *ctx.svg = legacy.svg;
  o.checks = std::move(checks);
  return o;
}

}  // namespace

const Scenario& tw_recycle_nat() {
  static const Scenario kScenario{
      .name = "tw-recycle-nat",
      .summary = "old tcp_tw_recycle at the server drops SYNs of clients behind one NAT for 60 s",
      .explanation =
          "Two clients share one public address through a NAT. With the old Linux option "
          "tcp_tw_recycle (removed in 4.12, modelled here by a filter in front of the server, "
          "not by synack), the server remembered the last TCP timestamp each peer address sent "
          "when a connection it closed first ended, and for 60 s refused SYNs from that address "
          "with a lower timestamp. The two clients' timestamp clocks are unrelated, so "
          "whichever connects with the lower clock after the other's connection has its SYNs "
          "silently dropped (PAWSPassive) until the stamp is 60 s old: connect() takes 63 s "
          "instead of 20 ms. The same story without the filter, as on any current Linux, "
          "connects every time in one round trip.",
      .default_sysctls = {},
      .run = run,
      .link =
          "clients A 192.168.1.10 and B 192.168.1.11 -> NAT 203.0.113.7 <-> server "
          "198.51.100.80:80, 10 ms one way",
  };
  return kScenario;
}

}  // namespace synack::sim::scenarios
