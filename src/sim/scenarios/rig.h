// Rig: the stage every scenario plays on — a client (10.0.0.1) and a server (10.0.0.2:80),
// each a real synack Stack, joined by a 10 ms cable, with a scripted fault injector on each
// direction, an event log per host, a ladder diagram and an optional pcap capture. The client
// may have more addresses (a story about source addresses); the cable carries whatever the
// server sends to any of them, as the one route to the client's subnet would.
//
// Packets go  stack -> link::Tracer (ladder) -> [PcapTap] -> FaultInjector -> SimLink,
// so the ladder and the capture show what a host sent, including what a fault rule then drops
// (drawn as lost). The applications are callbacks run right after every packet or timer their
// host handles, at the same Instant (like a process woken by epoll), so an application reacts
// without a delay that the ladder would wrongly show as TCP's.
//
// HostLog keeps what scenarios assert on: every segment the host sent or received (time,
// state, flags, seq, ack, payload length), every state change of a connection (listening
// sockets left out), every timer firing and abort. Facts come from these records, which are
// the stack's own event trace (SPEC §16.4), not from the scenario's intentions.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/fault_injector.h"
#include "link/pcap_tap.h"
#include "link/tracer.h"
#include "sim/ladder.h"
#include "sim/scenarios/scenario.h"
#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "sim/syn_flood.h"
#include "stack/stack.h"
#include "stack/trace.h"

namespace synack::sim::scenarios {

struct SegmentSeen {
  Instant at;
  tcp::State state = tcp::State::kClosed;  // the connection's state at that moment
  uint8_t flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  size_t len = 0;
  uint16_t local_port = 0;  // which connection (scenarios with several tell them apart)
  uint16_t remote_port = 0;
  uint16_t window = 0;  // as on the wire (unscaled)
  [[nodiscard]] bool has(uint8_t f) const { return (flags & f) != 0; }
  [[nodiscard]] bool is(uint8_t f) const { return flags == f; }
};

struct StateSeen {
  Instant at;
  tcp::State from = tcp::State::kClosed;
  tcp::State to = tcp::State::kClosed;
  stack::TraceTuple tuple{};  // the connection (local = this host's side)
};

struct TimerSeen {
  Instant at;
  stack::TimerKind kind = stack::TimerKind::kNone;
  tcp::State state = tcp::State::kClosed;
};

class HostLog final : public stack::TraceSink {
 public:
  HostLog(std::string host, std::string* json,
          std::function<void(const StateSeen&, const stack::TraceTuple&)> on_state)
      : host_(std::move(host)), json_(json), on_state_(std::move(on_state)) {}
  void on_event(const stack::Event& e) override;

  std::vector<SegmentSeen> sent;
  std::vector<SegmentSeen> received;
  std::vector<StateSeen> states;
  std::vector<TimerSeen> timers;
  std::vector<std::string> aborts;
  std::vector<std::string> logs;  // kernel-log lines, in Linux's wording (linux_log_text)

  // Segments sent with every flag of `all` set (and, if `none`, none of those).
  [[nodiscard]] std::vector<SegmentSeen> sent_with(uint8_t all, uint8_t none = 0) const;
  // When the connection first entered `s`.
  [[nodiscard]] std::optional<Instant> entered(tcp::State s) const;
  // When it last entered `s`.
  [[nodiscard]] std::optional<Instant> last_entered(tcp::State s) const;
  [[nodiscard]] bool went_through(tcp::State s) const { return entered(s).has_value(); }
  // "SYN-SENT -> ESTABLISHED -> ..." with times; with a port, only the changes of connections
  // with that port on either side (and a count of the others); with an address too, only those
  // with that address and port on one side.
  [[nodiscard]] std::string format_states(uint16_t port = 0,
                                          wire::Ipv4Address addr = wire::Ipv4Address::any()) const;

 private:
  std::string host_;
  std::string* json_;
  std::function<void(const StateSeen&, const stack::TraceTuple&)> on_state_;
};

class Rig {
 public:
  static constexpr uint16_t kServerPort = 80;
  // The cable's one-way delay (the round trip is twice this).
  [[nodiscard]] static Duration latency();

  // `client_extra_addresses`: the client's further local addresses (StackConfig).
  explicit Rig(const RunContext& ctx, std::vector<wire::Ipv4Address> client_extra_addresses = {});
  ~Rig();
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  // Opens the capture if asked; false (with error()) when it cannot.
  [[nodiscard]] bool open();
  [[nodiscard]] const std::string& error() const { return error_; }

  [[nodiscard]] Simulator& sim() { return sim_; }
  [[nodiscard]] Stack& client() { return client_.stack(); }
  [[nodiscard]] Stack& server() { return server_.stack(); }
  [[nodiscard]] link::FaultInjector& to_server() { return *faults_c_; }
  [[nodiscard]] link::FaultInjector& to_client() { return *faults_s_; }
  [[nodiscard]] HostLog& client_log() { return client_log_; }
  [[nodiscard]] HostLog& server_log() { return server_log_; }
  [[nodiscard]] Endpoint server_endpoint() const;
  [[nodiscard]] Endpoint client_endpoint() const { return client_ep_; }
  [[nodiscard]] static wire::Ipv4Address client_address();

  // The applications, run after every event of their host.
  void set_client_app(std::function<void(Instant)> app) { client_app_ = std::move(app); }
  void set_server_app(std::function<void(Instant)> app) { server_app_ = std::move(app); }

  // Server: socket, bind 10.0.0.2:80, listen. Client: socket, connect (SYN goes out now),
  // from `local_port` when not 0, after `before` (socket options) ran on the new socket.
  // Return the socket or kNoSocket.
  SocketId listen(int backlog = 16);
  SocketId connect(uint16_t local_port = 0, const std::function<void(SocketId)>& before = {});
  // Stories with many connections: the ladder (text and SVG) shows only the client's first
  // connection (the first client port seen), not every segment. Call before open().
  void ladder_first_connection_only() { ladder_one_ = true; }
  // Both hosts re-read their deadlines (after socket calls made outside an event).
  void poke();
  // Stories with spoofed peers: what the server sends to addresses outside the client's /24
  // dies at the first router (sim::RouteFilter), before the ladder and the capture see it.
  // Call before open().
  void route_server_to_client_net_only() { route_server_ = true; }
  [[nodiscard]] uint64_t server_replies_discarded() const;
  // Where packets for the server arrive (an attacker's injection point).
  [[nodiscard]] link::PacketSink& server_inbox() { return sim_.inbox(s_); }
  // Hands `ipv4_packet` to the client's stack at `at`, as if it had just arrived (a segment no
  // host of the rig sent: an old duplicate), with a note on the ladder.
  void inject_to_client(std::vector<uint8_t> ipv4_packet, Instant at, std::string note);
  // Runs until no event is left or `limit` of simulated time; false if the limit stopped it.
  bool run(Duration limit);

  // The ladder, the state changes of both ends and the checks; empty when quiet.
  [[nodiscard]] std::string report(const std::vector<Check>& checks);
  // The ladder as an SVG document (sim/ladder_svg.h); call after report().
  [[nodiscard]] std::string svg();

 private:
  class App final : public Host {
   public:
    App(StackHost& inner, std::function<void(Instant)>& app) : inner_(inner), app_(app) {}
    void receive(PacketPtr packet, Instant now) override {
      inner_.receive(std::move(packet), now);
      if (app_) app_(now);
    }
    void advance(Instant now) override {
      inner_.advance(now);
      if (app_) app_(now);
    }
    [[nodiscard]] Instant next_deadline() const override { return inner_.next_deadline(); }

   private:
    StackHost& inner_;
    std::function<void(Instant)>& app_;
  };

  // Passes on to the ladder only the segments of the client's first connection.
  class PortGate final : public link::LinkObserver {
   public:
    explicit PortGate(Rig& rig) : rig_(rig) {}
    void on_link_event(const link::LinkEvent& e) override;

   private:
    Rig& rig_;
  };

  // The ladder is fed when it is printed or drawn.
  [[nodiscard]] bool drawing() const { return !ctx_.quiet || ctx_.svg != nullptr; }
  // The connection from `client` is on the ladder (the first one seen, when ladder_one_).
  [[nodiscard]] bool drawn(Endpoint client, bool from_client);
  [[nodiscard]] bool is_client_address(wire::Ipv4Address a) const;
  void set_titles();

  const RunContext& ctx_;
  Simulator sim_;
  StackHost client_;
  StackHost server_;
  std::function<void(Instant)> client_app_;
  std::function<void(Instant)> server_app_;
  App client_host_;
  App server_host_;
  HostId c_;
  HostId s_;
  Simulator::Cable cable_;
  Ladder ladder_;
  bool ladder_one_ = false;
  std::vector<wire::Ipv4Address> client_extra_;
  Endpoint ladder_client_;  // port 0 until the client's first segment or state names it
  PortGate ladder_gate_{*this};
  HostLog client_log_;
  HostLog server_log_;
  std::unique_ptr<link::FaultInjector> faults_c_;
  std::unique_ptr<link::FaultInjector> faults_s_;
  std::unique_ptr<link::PcapWriter> writer_;
  std::optional<link::PcapTap> tap_c_;
  std::optional<link::PcapTap> tap_s_;
  std::optional<link::Tracer> trace_c_;
  std::optional<link::Tracer> trace_s_;
  bool route_server_ = false;
  std::unique_ptr<RouteFilter> route_s_;
  Endpoint client_ep_;
  std::string error_;
};

// An outcome for a run that could not start.
[[nodiscard]] Outcome setup_error(std::string why);
// Helpers for checks.
[[nodiscard]] Check check(std::string what, std::string seen, bool ok);
// Whole seconds as "127", others as "1.020000"; seconds() adds " s".
[[nodiscard]] std::string secs(Duration d);
[[nodiscard]] std::string seconds(Instant t);
[[nodiscard]] std::string seconds(Duration d);
[[nodiscard]] std::string errno_name(int e);
// The check every "a FIN was lost" story makes: `fins` (the FINs `log`'s host sent) are exactly
// two with the same sequence number, the second sent in `state` at the moment that host's
// retransmission timer fired (a FIN is protected like data, RFC 9293 §3.10.4).
[[nodiscard]] Check fin_resent_by_timer(std::string what, const HostLog& log,
                                        const std::vector<SegmentSeen>& fins, tcp::State state);
// Fills ok/summary/report of an outcome from its checks.
Outcome finish(Rig& rig, const RunContext& ctx, std::vector<Check> checks, std::string summary);

}  // namespace synack::sim::scenarios
