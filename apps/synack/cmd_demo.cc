// `synack demo`: one TCP connection between two simulated hosts running synack's TCP engine —
// handshake, an HTTP-like request and response, the four-way close, and TIME-WAIT on the client
// until it expires — drawn as a ladder, then the state transitions of both ends and the
// counters that moved.
//
// Wiring: each Stack is a sim::StackHost wrapped in an AppHost (demo_app.h) that runs the
// client or server application at the Instant of every event. Packets go
//   stack -> link::Tracer (ladder) -> [PcapTap] -> SimLink -> other host,
// so the ladder and the capture see what each host sent, including what the link then loses;
// the links report their losses to the ladder. Each host's event trace (host_trace.h) supplies
// the state transitions, the ladder's state columns and the optional JSON-lines trace.
//
// The run goes on until no event is left: after the last ACK the only timer is the client's
// TIME-WAIT, and when it fires both stacks are idle. A cap of kMaxSimulated stops a run that
// would never end (it cannot with the default settings; it is a guard). Exit status 0 when the
// response arrived in full and both connection ends are CLOSED, 1 otherwise (commands.h).
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "demo_app.h"
#include "host_trace.h"
#include "link/pcap_tap.h"
#include "link/sim_link.h"
#include "link/tracer.h"
#include "sim/ladder.h"
#include "sim/ladder_svg.h"
#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "sim_options.h"
#include "stack/counters_format.h"
#include "wire/ipv4_address.h"

namespace synack::cli {
namespace {

constexpr Duration kMaxSimulated = Duration::seconds(4 * 3600);
constexpr uint16_t kServerPort = 80;

struct DemoOptions {
  SimOptions sim;
  double loss = 0.0;
  double latency_ms = 10.0;
};

std::string errno_text(int e) {
  const char* name = e == ETIMEDOUT      ? "ETIMEDOUT"
                     : e == ECONNREFUSED ? "ECONNREFUSED"
                     : e == ECONNRESET   ? "ECONNRESET"
                     : e == EPIPE        ? "EPIPE"
                                         : "errno";
  return fmt::format("{} {} ({})", name, e, std::strerror(e));
}

std::string link_row(const link::SimLink& l) {
  const link::LinkCounters& c = l.counters();
  return fmt::format("{} packets sent, {} lost", c.packets_in, c.drops_total());
}

void print_header(const DemoOptions& o, const stack::Sysctls& sys) {
  fmt::print(
      "synack demo: one TCP connection between two simulated hosts, both running synack's TCP\n"
      "engine. The client (10.0.0.1) connects to the server (10.0.0.2, port 80), sends an\n"
      "HTTP-like request and reads the response, then closes first; the server closes when it\n"
      "reads the end of the stream. The client keeps the connection in TIME-WAIT for {} s\n"
      "(Linux's TCP_TIMEWAIT_LEN) so that late segments cannot be mistaken for a new\n"
      "connection's, and only then is it CLOSED. Time is simulated: the run takes milliseconds.\n"
      "\n"
      "Reading the ladder: time runs down the left, in simulated seconds. Each row is a segment,\n"
      "an arrow from the host that sent it, at the time it was sent (it arrives one link delay\n"
      "later). [S] SYN, [.] ACK, [P] PSH, [F] FIN, [R] RST; seq and ack are relative to each\n"
      "side's initial sequence number (ISN), len is payload bytes, win the window field as sent\n"
      "(unscaled), <...> the options on SYNs. A state name beside a side's line is the state\n"
      "that side entered at that moment (NEW-SYN-RECV: the server holds the half-open\n"
      "connection as a small request record, as Linux does); X marks a segment the link lost.\n"
      "Long runs of data segments are shown as their first and last rows and a summary.\n\n",
      sys.get(stack::SysctlId::kTimeWaitLen));
  fmt::print("link     : {} ms one way (round trip {} ms), loss {:.1f}% each direction, seed {}\n",
             o.latency_ms, 2 * o.latency_ms, o.loss * 100.0, o.sim.seed);
  std::string changed;
  for (const auto& l : sys.list_sorted()) {
    if (sys.is_default(l.id)) continue;
    changed += fmt::format("{}{} = {}", changed.empty() ? "" : "; ", l.name, l.value);
  }
  fmt::print("settings : {}\n", changed.empty() ? "Linux defaults (see 'synack sysctl -a')"
                                                : changed + " (the rest Linux defaults)");
}

int run_demo(const DemoOptions& o) {
  using wire::Ipv4Address;
  const std::optional<stack::Sysctls> sys = build_sysctls(o.sim, "demo");
  if (!sys) return 2;

  sim::Simulator sim{o.sim.seed};
  const Endpoint server_ep{Ipv4Address::from_octets(10, 0, 0, 2), kServerPort};
  const Ipv4Address client_addr = Ipv4Address::from_octets(10, 0, 0, 1);
  sim::StackHost client_stack({.address = client_addr}, sim.rng().next_u64(), sim.pool());
  sim::StackHost server_stack({.address = server_ep.addr}, sim.rng().next_u64(), sim.pool());
  client_stack.stack().sysctls() = *sys;
  server_stack.stack().sysctls() = *sys;

  const std::string response = demo_response();
  DemoClient client{client_stack.stack(), server_ep, demo_request(server_ep), response.size()};
  DemoServer server{server_stack.stack(), server_ep, response};
  AppHost client_host{client_stack, [&client](Instant now) { client.step(now); }};
  AppHost server_host{server_stack, [&server](Instant now) { server.step(now); }};
  const sim::HostId c = sim.add_host(client_host, "client");
  const sim::HostId s = sim.add_host(server_host, "server");

  const link::LinkParams params{
      .latency = Duration::nanos(std::llround(o.latency_ms * 1e6)),
      .loss = o.loss,
  };
  const sim::Simulator::Cable cable = sim.add_cable(c, s, params);

  std::string json;
  std::string* json_out = o.sim.trace.empty() ? nullptr : &json;
  // Titles are set after the run: the client's port is chosen inside connect(), which already
  // sends the SYN the ladder must see.
  sim::Ladder ladder{client_addr, "", "",
                     sim::LadderOptions{.arrow_width = 70, .states = true, .collapse_after = 12}};
  HostTrace client_trace{"client", json_out, [&ladder](const StateChange& ch) {
                           ladder.state(ch.at, true, tcp::rfc_name(ch.to));
                         }};
  HostTrace server_trace{"server", json_out, [&ladder](const StateChange& ch) {
                           // The listening socket's own states are not part of the exchange.
                           if (ch.tuple.remote_port != 0)
                             ladder.state(ch.at, false, tcp::rfc_name(ch.to));
                         }};
  client_stack.stack().set_trace(&client_trace);
  server_stack.stack().set_trace(&server_trace);

  // The server listens at t = 0; the client connects once the wiring below is in place.
  if (!server.start(sim.now())) {
    fmt::print(stderr, "synack demo: server cannot listen: {}\n", errno_text(server.error()));
    return 1;
  }

  // host -> tracer (ladder) -> [pcap tap] -> link.
  std::unique_ptr<link::PcapWriter> writer;
  std::optional<link::PcapTap> tap_c;
  std::optional<link::PcapTap> tap_s;
  link::PacketSink* out_c = &cable.a_to_b;
  link::PacketSink* out_s = &cable.b_to_a;
  if (!o.sim.pcap.empty()) {
    auto opened = link::PcapWriter::open(o.sim.pcap);
    if (!opened) {
      fmt::print(stderr, "synack demo: cannot write {}: {}\n", o.sim.pcap, opened.error());
      return 2;
    }
    writer = std::move(opened).value();
    out_c = &tap_c.emplace(*writer, cable.a_to_b);
    out_s = &tap_s.emplace(*writer, cable.b_to_a);
  }
  cable.a_to_b.set_observer(&ladder);
  cable.b_to_a.set_observer(&ladder);
  link::Tracer trace_c{"client", *out_c, &ladder};
  link::Tracer trace_s{"server", *out_s, &ladder};
  client_stack.attach(trace_c);
  server_stack.attach(trace_s);

  const bool connecting = client.start(sim.now());
  sim.poke(c);
  sim.poke(s);
  const std::string client_title =
      fmt::format("client {}:{}", to_string(client_addr), client.local().port);
  const std::string server_title =
      fmt::format("server {}:{}", to_string(server_ep.addr), kServerPort);

  const Instant limit = Instant::zero() + kMaxSimulated;
  bool capped = false;
  while (connecting && sim.step()) {
    if (sim.now() > limit) {
      capped = true;
      break;
    }
  }

  const bool client_gone = !client_stack.stack().state_of(client.local(), server_ep).has_value();
  const bool server_gone = !server_stack.stack().state_of(server_ep, client.local()).has_value();
  const bool exchanged = client.got_response() && server.responded();
  const bool ok = connecting && exchanged && client.closed() && server.closed() && client_gone &&
                  server_gone && client.error() == 0 && server.error() == 0 && !capped;

  std::string outcome;
  if (ok) {
    outcome = fmt::format(
        "exchange complete ({} request bytes, {} response bytes); both ends CLOSED at {} s",
        client.sent(), client.received(), to_string(sim.now()));
  } else {
    std::string why;
    if (client.error() != 0) {
      why = fmt::format("the client's connection failed with {}", errno_text(client.error()));
      if (client.error() == ETIMEDOUT && client.sent() == 0)
        why += fmt::format(
            "; no SYN+ACK came back after net.ipv4.tcp_syn_retries = {} SYN "
            "retransmissions",
            sys->get(stack::SysctlId::kTcpSynRetries));
    } else if (server.error() != 0) {
      why = fmt::format("the server's connection failed with {}", errno_text(server.error()));
    } else if (capped) {
      why = fmt::format("still running after {} s of simulated time", to_string(kMaxSimulated));
    } else if (!exchanged) {
      why = fmt::format(
          "the request/response did not complete (client sent {} of {} bytes, "
          "received {} of {})",
          client.sent(), demo_request(server_ep).size(), client.received(), response.size());
    } else {
      why =
          fmt::format("a connection end is not CLOSED (client {}, server {})",
                      client_gone ? "CLOSED" : "still open", server_gone ? "CLOSED" : "still open");
    }
    outcome = fmt::format("FAILED: {} (at {} s simulated)", why, to_string(sim.now()));
  }
  if (!o.sim.trace.empty() && !write_text_file(o.sim.trace, json, "demo")) return 2;
  if (writer) writer->flush();
  ladder.set_titles(client_title, server_title);
  const std::string ladder_text = ladder.take();
  if (!o.sim.svg.empty()) {
    const sim::LadderSvgOptions svg_options{
        .latency = params.latency, .title = "synack demo: handshake, request/response, close"};
    if (!write_text_file(o.sim.svg, sim::ladder_svg(ladder, svg_options), "demo")) return 2;
  }

  if (o.sim.quiet) {
    fmt::print("{}\n", outcome);
    return ok ? 0 : 1;
  }

  print_header(o, *sys);
  fmt::print("ISNs     : client {}, server {}\n",
             client_trace.first_isn() ? fmt::format("{}", *client_trace.first_isn()) : "-",
             server_trace.first_isn() ? fmt::format("{}", *server_trace.first_isn()) : "-");
  fmt::print("\n{}{}", ladder.header(), ladder_text);

  fmt::print("\noutcome  : {}\n", outcome);
  fmt::print("\nState transitions (from each host's event trace)\n{}{}",
             client_trace.format_changes(), server_trace.format_changes());
  fmt::print("\nCounters that are not zero, per host (nstat -a format)\n");
  stack::NstatOptions nstat;
  nstat.source = "client 10.0.0.1";
  fmt::print("{}", stack::format_nstat(client_stack.stack().counters(), nstat));
  nstat.source = "server 10.0.0.2";
  fmt::print("{}", stack::format_nstat(server_stack.stack().counters(), nstat));
  fmt::print("\nlink     : client->server {}; server->client {}\n", link_row(cable.a_to_b),
             link_row(cable.b_to_a));
  fmt::print("simulator: {} events\n", sim.events_processed());
  if (writer)
    fmt::print("pcap     : {} packets written to {} (try: tshark -r {})\n",
               writer->packets_written(), o.sim.pcap, o.sim.pcap);
  if (!o.sim.svg.empty())
    fmt::print("svg      : ladder diagram written to {} (try: rsvg-convert -o ladder.png {})\n",
               o.sim.svg, o.sim.svg);
  if (!o.sim.trace.empty())
    fmt::print("trace    : {} events written to {} as JSON lines\n",
               client_trace.events() + server_trace.events(), o.sim.trace);
  if (!ok) fmt::print(stderr, "synack demo: {}\n", outcome);
  return ok ? 0 : 1;
}

}  // namespace

void register_demo(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Watch one TCP connection between two simulated hosts running synack's TCP engine: "
      "handshake, an HTTP-like request and response, the four-way close and TIME-WAIT, drawn "
      "as a ladder diagram, with each end's state transitions and counters. Exit status 0 when "
      "the exchange completed and both ends reached CLOSED, 1 when not, 2 on bad input.");
  cmd->add_option("--loss", opts->loss,
                  "Probability (0 to 1) that the link loses each packet, in both directions; "
                  "e.g. 0.2 loses one in five. Lost segments are marked X and TCP retransmits "
                  "them; --loss 1 shows the client giving up after its SYN retransmissions")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->option_text("P");
  cmd->add_option("--latency", opts->latency_ms,
                  "One-way delay of the link in milliseconds (the round trip is twice this)")
      ->check(CLI::Range(0.0, 100000.0))
      ->capture_default_str()
      ->option_text("MS");
  add_sim_options(*cmd, opts->sim);
  cmd->callback([&run, opts] { run = [opts] { return run_demo(*opts); }; });
}

}  // namespace synack::cli
