#include "sim/scenarios/rig.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sim/ladder_svg.h"
#include "stack/trace_json.h"
#include "wire/packet.h"

namespace synack::sim::scenarios {
namespace {

using wire::Ipv4Address;
const Ipv4Address kClientAddr = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address kServerAddr = Ipv4Address::from_octets(10, 0, 0, 2);
constexpr Duration kLatency = Duration::millis(10);

SegmentSeen seen(const stack::Event& e) {
  const wire::TcpSegment& t = e.packet->tcp;
  return SegmentSeen{.at = e.at,
                     .state = e.new_state,
                     .flags = t.flags,
                     .seq = t.seq.raw(),
                     .ack = t.ack.raw(),
                     .len = t.payload.size(),
                     .local_port = e.tuple.local_port,
                     .remote_port = e.tuple.remote_port,
                     .window = t.window};
}

}  // namespace

void HostLog::on_event(const stack::Event& e) {
  if (json_ != nullptr) {
    const std::string line = stack::to_json_line(e);
    *json_ += "{\"host\":";
    stack::append_json_string(*json_, host_);
    *json_ += line.size() > 2 ? "," : "";
    json_->append(line, 1, std::string::npos);
  }
  const bool listener = e.tuple.remote_port == 0;
  switch (e.kind) {
    case stack::EventKind::kSegmentOut:
      if (e.packet != nullptr) sent.push_back(seen(e));
      break;
    case stack::EventKind::kSegmentIn:
      if (e.packet != nullptr) received.push_back(seen(e));
      break;
    case stack::EventKind::kStateChange:
      if (listener) break;
      states.push_back(
          StateSeen{.at = e.at, .from = e.old_state, .to = e.new_state, .tuple = e.tuple});
      if (on_state_) on_state_(states.back(), e.tuple);
      break;
    case stack::EventKind::kTimerFired:
      timers.push_back(TimerSeen{.at = e.at, .kind = e.timer, .state = e.old_state});
      break;
    case stack::EventKind::kAbort:
      aborts.emplace_back(e.reason);
      break;
    case stack::EventKind::kLog:
      logs.push_back(stack::linux_log_text(e));
      break;
    default:
      break;
  }
}

std::vector<SegmentSeen> HostLog::sent_with(uint8_t all, uint8_t none) const {
  std::vector<SegmentSeen> out;
  for (const SegmentSeen& s : sent)
    if ((s.flags & all) == all && (s.flags & none) == 0) out.push_back(s);
  return out;
}

std::optional<Instant> HostLog::entered(tcp::State s) const {
  for (const StateSeen& c : states)
    if (c.to == s) return c.at;
  return std::nullopt;
}

std::optional<Instant> HostLog::last_entered(tcp::State s) const {
  std::optional<Instant> at;
  for (const StateSeen& c : states)
    if (c.to == s) at = c.at;
  return at;
}

std::string HostLog::format_states(uint16_t port, wire::Ipv4Address addr) const {
  std::string out = fmt::format("  {}:", host_);
  size_t others = 0;
  for (const StateSeen& c : states) {
    const bool local = c.tuple.local_port == port && (addr.is_any() || c.tuple.local_addr == addr);
    const bool remote =
        c.tuple.remote_port == port && (addr.is_any() || c.tuple.remote_addr == addr);
    if (port != 0 && !local && !remote) {
      ++others;
      continue;
    }
    out += fmt::format("\n    {:>12}  {:<12} -> {}", to_string(c.at), tcp::rfc_name(c.from),
                       tcp::rfc_name(c.to));
  }
  if (others > 0)
    out += fmt::format("\n    ({} changes of the other connections not shown)", others);
  return out + "\n";
}

Rig::Rig(const RunContext& ctx, std::vector<wire::Ipv4Address> client_extra_addresses)
    : ctx_(ctx),
      sim_(ctx.seed),
      client_({.address = kClientAddr, .extra_addresses = client_extra_addresses},
              sim_.rng().next_u64(), sim_.pool()),
      server_({.address = kServerAddr}, sim_.rng().next_u64(), sim_.pool()),
      client_host_(client_, client_app_),
      server_host_(server_, server_app_),
      c_(sim_.add_host(client_host_, "client")),
      s_(sim_.add_host(server_host_, "server")),
      cable_(sim_.add_cable(c_, s_, link::LinkParams{.latency = kLatency})),
      ladder_(kClientAddr, "", "",
              LadderOptions{.arrow_width = 70, .states = true, .collapse_after = 12}),
      client_extra_(std::move(client_extra_addresses)),
      ladder_client_{kClientAddr, 0},
      client_log_("client", ctx.json,
                  [this](const StateSeen& s, const stack::TraceTuple& t) {
                    if (drawn(Endpoint{t.local_addr, t.local_port}, true))
                      ladder_.state(s.at, true, tcp::rfc_name(s.to));
                  }),
      server_log_("server", ctx.json, [this](const StateSeen& s, const stack::TraceTuple& t) {
        if (drawn(Endpoint{t.remote_addr, t.remote_port}, false))
          ladder_.state(s.at, false, tcp::rfc_name(s.to));
      }) {
  client_.stack().sysctls() = ctx.sysctls;
  server_.stack().sysctls() = ctx.sysctls;
  client_.stack().set_trace(&client_log_);
  server_.stack().set_trace(&server_log_);
  faults_c_ =
      std::make_unique<link::FaultInjector>("client->server", cable_.a_to_b, sim_, sim_.pool());
  faults_s_ =
      std::make_unique<link::FaultInjector>("server->client", cable_.b_to_a, sim_, sim_.pool());
}

Rig::~Rig() {
  client_.stack().set_trace(nullptr);
  server_.stack().set_trace(nullptr);
}

Endpoint Rig::server_endpoint() const {
  return Endpoint{kServerAddr, kServerPort};
}

void Rig::PortGate::on_link_event(const link::LinkEvent& e) {
  // IPv4 header (IHL words), then the TCP ports; either end may be the client's.
  const std::span<const uint8_t> p = e.packet;
  if (p.size() < 20) return;
  const size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
  if (p.size() < ihl + 4) return;
  const auto port_at = [&](size_t i) { return static_cast<uint16_t>(p[i] << 8 | p[i + 1]); };
  const Ipv4Address src = Ipv4Address::from_octets(p[12], p[13], p[14], p[15]);
  const Ipv4Address dst = Ipv4Address::from_octets(p[16], p[17], p[18], p[19]);
  const bool from_client = rig_.is_client_address(src);
  const bool to_client = rig_.is_client_address(dst);
  Endpoint& first = rig_.ladder_client_;
  if (first.port == 0 && from_client) first = Endpoint{src, port_at(ihl)};
  if ((from_client && Endpoint{src, port_at(ihl)} == first) ||
      (to_client && Endpoint{dst, port_at(ihl + 2)} == first))
    rig_.ladder_.on_link_event(e);
}

bool Rig::is_client_address(wire::Ipv4Address a) const {
  return a == kClientAddr ||
         std::find(client_extra_.begin(), client_extra_.end(), a) != client_extra_.end();
}

bool Rig::drawn(Endpoint client, bool from_client) {
  if (!drawing()) return false;
  if (!ladder_one_) return true;
  if (ladder_client_.port == 0 && from_client) ladder_client_ = client;
  // With one client address the port alone has always decided (a server-side change of a
  // spoofed source with the same port is drawn too, as in every ladder printed so far).
  if (client_extra_.empty()) return client.port == ladder_client_.port;
  return client == ladder_client_;
}

bool Rig::open() {
  link::PacketSink* out_c = faults_c_.get();
  link::PacketSink* out_s = faults_s_.get();
  if (!ctx_.pcap.empty()) {
    auto opened = link::PcapWriter::open(ctx_.pcap);
    if (!opened) {
      error_ = fmt::format("cannot write {}: {}", ctx_.pcap, opened.error());
      return false;
    }
    writer_ = std::move(opened).value();
    out_c = &tap_c_.emplace(*writer_, *faults_c_);
    out_s = &tap_s_.emplace(*writer_, *faults_s_);
  }
  link::LinkObserver* observer = !drawing()    ? nullptr
                                 : ladder_one_ ? static_cast<link::LinkObserver*>(&ladder_gate_)
                                               : &ladder_;
  faults_c_->set_observer(observer);
  faults_s_->set_observer(observer);
  cable_.a_to_b.set_observer(observer);
  cable_.b_to_a.set_observer(observer);
  client_.attach(trace_c_.emplace("client", *out_c, observer));
  link::PacketSink& traced_s = trace_s_.emplace("server", *out_s, observer);
  if (route_server_) {
    route_s_ = std::make_unique<RouteFilter>(traced_s, kClientAddr, 24);
    server_.attach(*route_s_);
  } else {
    server_.attach(traced_s);
  }
  return true;
}

Duration Rig::latency() {
  return kLatency;
}

wire::Ipv4Address Rig::client_address() {
  return kClientAddr;
}

uint64_t Rig::server_replies_discarded() const {
  return route_s_ ? route_s_->discarded() : 0;
}

SocketId Rig::listen(int backlog) {
  auto s = server().socket();
  if (!s) return kNoSocket;
  if (server().bind(s.value(), server_endpoint()) != 0) return kNoSocket;
  if (server().listen(s.value(), backlog, sim_.now()) != 0) return kNoSocket;
  return s.value();
}

SocketId Rig::connect(uint16_t local_port, const std::function<void(SocketId)>& before) {
  auto s = client().socket();
  if (!s) return kNoSocket;
  if (before) before(s.value());
  if (local_port != 0 && client().bind(s.value(), Endpoint{kClientAddr, local_port}) != 0)
    return kNoSocket;
  const int rc = client().connect(s.value(), server_endpoint(), sim_.now());
  if (rc != 0 && rc != EINPROGRESS) return kNoSocket;
  if (auto info = client().info(s.value())) client_ep_ = info.value().local;
  poke();
  return s.value();
}

void Rig::poke() {
  sim_.poke(c_);
  sim_.poke(s_);
}

void Rig::inject_to_client(std::vector<uint8_t> ipv4_packet, Instant at, std::string note) {
  sim_.at(at, [this, bytes = std::move(ipv4_packet), text = std::move(note)](Instant now) {
    if (drawing()) ladder_.note(now, false, text);
    sim_.inbox(c_).push(sim_.pool().copy(bytes), now);
  });
}

bool Rig::run(Duration limit) {
  const Instant end = sim_.now() + limit;
  Observer* obs = ctx_.observer;
  for (;;) {
    if (obs != nullptr) {
      // Every event at or before T has run and none after it: the hosts are as they are at T.
      const Instant next = sim_.next_event_at();
      while (!next.is_infinite() && obs->next_look() < next && obs->next_look() <= end)
        obs->look(obs->next_look(), client(), server());
    }
    if (!sim_.step()) break;
    if (obs != nullptr) obs->stepped(sim_.now(), sim_.events_processed());
    if (sim_.now() > end) return false;
  }
  if (obs != nullptr) obs->finished(sim_.now(), client(), server());
  if (writer_) writer_->flush();
  return true;
}

void Rig::set_titles() {
  const Endpoint c = ladder_one_ ? ladder_client_ : Endpoint{kClientAddr, client_ep_.port};
  ladder_.set_titles(fmt::format("client {}:{}", to_string(c.addr), c.port),
                     fmt::format("server {}:{}", to_string(kServerAddr), kServerPort));
}

std::string Rig::svg() {
  set_titles();
  (void)ladder_.take();  // completes the last rows; the text was taken by report() if wanted
  return ladder_svg(ladder_, LadderSvgOptions{.latency = kLatency});
}

std::string Rig::report(const std::vector<Check>& checks) {
  if (ctx_.quiet) return {};
  set_titles();
  std::string out = ladder_.header() + ladder_.take();
  out += "\nState transitions (from each host's event trace)\n";
  const uint16_t port = ladder_one_ ? ladder_client_.port : 0;
  // One client address: the port alone picks the connection, as it always has.
  const Ipv4Address addr = client_extra_.empty() ? Ipv4Address::any() : ladder_client_.addr;
  out += client_log_.format_states(port, addr);
  out += server_log_.format_states(port, addr);
  out += "\nExpected facts, checked against the run\n";
  for (const Check& c : checks)
    out += fmt::format("  [{}] {}: {}\n", c.ok ? "ok" : "FAILED", c.what, c.seen);
  return out;
}

Outcome setup_error(std::string why) {
  Outcome o;
  o.setup_failed = true;
  o.summary = std::move(why);
  return o;
}

Check check(std::string what, std::string seen, bool ok) {
  return Check{.what = std::move(what), .seen = std::move(seen), .ok = ok};
}

std::string secs(Duration d) {
  const int64_t ns = d.ns();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}", ns / 1'000'000'000);
  return to_string(Instant::zero() + d);
}

std::string seconds(Instant t) {
  return secs(t.since_epoch()) + " s";
}

std::string seconds(Duration d) {
  return secs(d) + " s";
}

std::string errno_name(int e) {
  const char* name = e == 0              ? "no error"
                     : e == ETIMEDOUT    ? "ETIMEDOUT"
                     : e == ECONNREFUSED ? "ECONNREFUSED"
                     : e == ECONNRESET   ? "ECONNRESET"
                     : e == EPIPE        ? "EPIPE"
                                         : "errno";
  return e == 0 ? name : fmt::format("{} ({})", name, std::strerror(e));
}

Outcome finish(Rig& rig, const RunContext& ctx, std::vector<Check> checks, std::string summary) {
  Outcome o;
  o.ok = !checks.empty();
  for (const Check& c : checks)
    o.ok = o.ok && c.ok;
  o.summary = std::move(summary);
  if (!o.ok) {
    for (const Check& c : checks)
      if (!c.ok) {
        o.summary += fmt::format("; expected {}, saw {}", c.what, c.seen);
        break;
      }
  }
  if (!ctx.quiet) o.report = rig.report(checks);
  if (ctx.svg != nullptr) *ctx.svg = rig.svg();
  o.checks = std::move(checks);
  return o;
}

Check fin_resent_by_timer(std::string what, const HostLog& log,
                          const std::vector<SegmentSeen>& fins, tcp::State state) {
  bool by_timer = false;
  if (fins.size() >= 2)
    for (const TimerSeen& t : log.timers)
      by_timer = by_timer || (t.kind == stack::TimerKind::kRetransmit && t.state == state &&
                              t.at == fins[1].at);
  std::string seen = fmt::format("{} FINs", fins.size());
  if (fins.size() >= 2) seen += fmt::format(", resent after {}", seconds(fins[1].at - fins[0].at));
  return check(
      std::move(what), std::move(seen),
      fins.size() == 2 && fins[1].seq == fins[0].seq && fins[1].state == state && by_timer);
}

}  // namespace synack::sim::scenarios
