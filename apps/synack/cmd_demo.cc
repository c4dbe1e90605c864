// `synack demo`: a short TCP conversation between two simulated hosts, drawn as a ladder.
//
// Until the TCP engine lands, the endpoints are sim::ScriptedPeer — hand-written scripts that
// send real, checksummed segments and react to what arrives (including a resend timer), so
// the simulator, link impairments, pcap capture and the ladder are all real. The header says
// so plainly: nothing here is the TCP engine's behaviour yet.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <cmath>
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "link/pcap_tap.h"
#include "link/sim_link.h"
#include "link/tracer.h"
#include "sim/ladder.h"
#include "sim/scripted_peer.h"
#include "sim/simulator.h"
#include "wire/ipv4_address.h"

namespace synack::cli {
namespace {

struct DemoOptions {
  std::string pcap;
  uint64_t seed = 1;
  double loss = 0.0;
  double latency_ms = 10.0;
};

void print_link_row(const link::SimLink& l) {
  const link::LinkCounters& c = l.counters();
  fmt::print("  {:<16} {:>6} {:>10} {:>6} {:>11} {:>11}\n", l.name(), c.packets_in, c.packets_out,
             c.drops(link::DropReason::kRandomLoss), c.drops(link::DropReason::kQueueFull),
             c.bytes_out);
}

int run_demo(const DemoOptions& o) {
  using wire::Ipv4Address;
  sim::Simulator sim{o.seed};
  Rng& rng = sim.rng();

  const Ipv4Address client_addr = Ipv4Address::from_octets(10, 0, 0, 1);
  const Ipv4Address server_addr = Ipv4Address::from_octets(10, 0, 0, 2);
  // An ephemeral port from Linux's default ip_local_port_range, 32768..60999 (SPEC §18).
  const auto client_port = static_cast<uint16_t>(rng.between(32768, 60999));
  constexpr uint16_t kServerPort = 80;

  sim::PeerConfig cc{.role = sim::Role::kClient,
                     .addr = client_addr,
                     .port = client_port,
                     .peer_addr = server_addr,
                     .peer_port = kServerPort,
                     .iss = rng.next_u32(),
                     .ts_offset = rng.next_u32()};
  sim::PeerConfig sc{.role = sim::Role::kServer,
                     .addr = server_addr,
                     .port = kServerPort,
                     .peer_addr = client_addr,
                     .peer_port = client_port,
                     .iss = rng.next_u32(),
                     .ts_offset = rng.next_u32()};
  const sim::Script script =
      sim::request_response_script("GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n",
                                   "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nhello, synack\n");
  sim::ScriptedPeer client{cc, script, sim.pool()};
  sim::ScriptedPeer server{sc, script, sim.pool()};
  const sim::HostId c = sim.add_host(client, "client");
  const sim::HostId s = sim.add_host(server, "server");

  const link::LinkParams params{
      .latency = Duration::nanos(std::llround(o.latency_ms * 1e6)),
      .loss = o.loss,
  };
  const sim::Simulator::Cable cable = sim.add_cable(c, s, params);

  const std::string client_title = fmt::format("client {}:{}", to_string(client_addr), client_port);
  const std::string server_title = fmt::format("server {}:{}", to_string(server_addr), kServerPort);
  sim::Ladder ladder{client_addr, client_title, server_title};
  cable.a_to_b.set_observer(&ladder);
  cable.b_to_a.set_observer(&ladder);

  // host -> tracer (ladder) -> [pcap tap] -> link: the capture sees what each host sent,
  // like tcpdump on the sender, including segments the link then loses.
  std::unique_ptr<link::PcapWriter> writer;
  std::optional<link::PcapTap> tap_c;
  std::optional<link::PcapTap> tap_s;
  link::PacketSink* out_c = &cable.a_to_b;
  link::PacketSink* out_s = &cable.b_to_a;
  if (!o.pcap.empty()) {
    auto opened = link::PcapWriter::open(o.pcap);
    if (!opened) {
      fmt::print(stderr, "synack demo: cannot write {}: {}\n", o.pcap, opened.error());
      return 2;
    }
    writer = std::move(opened).value();
    out_c = &tap_c.emplace(*writer, cable.a_to_b);
    out_s = &tap_s.emplace(*writer, cable.b_to_a);
  }
  link::Tracer trace_c{"client", *out_c, &ladder};
  link::Tracer trace_s{"server", *out_s, &ladder};
  client.attach(trace_c);
  server.attach(trace_s);
  client.set_note_handler([&](Instant t, std::string_view text) {
    ladder.note(t, true, fmt::format("client: {}", text));
  });
  server.set_note_handler([&](Instant t, std::string_view text) {
    ladder.note(t, false, fmt::format("server: {}", text));
  });

  fmt::print(
      "synack demo: an HTTP-like exchange between two simulated hosts, drawn as a ladder.\n"
      "NOTE: both endpoints are SCRIPTED (sim::ScriptedPeer), not synack's TCP engine, which is\n"
      "      not built yet. They send real, checksummed TCP segments (Linux-style options on\n"
      "      SYNs), react to what arrives, and resend on a simple timer (RTO 1 s, then 3 x RTT,\n"
      "      doubling). The simulator, the lossy link and the pcap capture are the real "
      "thing.\n\n");
  fmt::print("link     : {} ms one way, loss {:.1f}% each direction, seed {}\n", o.latency_ms,
             o.loss * 100.0, o.seed);
  fmt::print("ISNs     : client {}, server {} (seq/ack below are relative to them)\n", cc.iss,
             sc.iss);
  if (writer) fmt::print("capture  : {}\n", o.pcap);
  fmt::print("\n{}", ladder.header());
  while (sim.step())
    fmt::print("{}", ladder.take());
  fmt::print("{}", ladder.take());

  const bool ok = client.done() && server.done();
  fmt::print("\n");
  if (ok) {
    fmt::print("outcome  : conversation complete at t = {} s (simulated)\n", to_string(sim.now()));
  } else {
    fmt::print("outcome  : conversation did NOT complete (client {}, server {})\n",
               client.failed() ? "gave up" : (client.done() ? "done" : "stuck"),
               server.failed() ? "gave up" : (server.done() ? "done" : "stuck"));
  }
  fmt::print("\n  {:<16} {:>6} {:>10} {:>6} {:>11} {:>11}\n", "link", "sent", "delivered", "lost",
             "queue-full", "bytes-out");
  print_link_row(cable.a_to_b);
  print_link_row(cable.b_to_a);
  fmt::print("\n  {:<16} {:>6} {:>14} {:>9} {:>11} {:>13}\n", "endpoint", "sent", "retransmitted",
             "received", "duplicates", "bad-checksum");
  for (const auto* p : {&client, &server}) {
    const auto& k = p->counters();
    fmt::print("  {:<16} {:>6} {:>14} {:>9} {:>11} {:>13}\n", p == &client ? "client" : "server",
               k.sent, k.retransmitted, k.received, k.duplicates, k.bad_checksum);
  }
  fmt::print("\nsimulator: {} events\n", sim.events_processed());
  if (writer) {
    writer->flush();
    fmt::print("pcap     : {} packets written to {} (try: tshark -r {})\n",
               writer->packets_written(), o.pcap, o.pcap);
  }
  return ok ? 0 : 1;
}

}  // namespace

void register_demo(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Watch a TCP conversation between two simulated hosts (handshake, request, response, "
      "close) as a ladder diagram. The endpoints are scripted until the TCP engine lands.");
  cmd->add_option("--pcap", opts->pcap,
                  "Also write every segment either host sends to FILE in pcap format "
                  "(raw IPv4, nanosecond timestamps = simulated time); open it with "
                  "tcpdump, tshark or Wireshark")
      ->option_text("FILE");
  cmd->add_option("--seed", opts->seed,
                  "Seed for everything random (ISNs, ports, which packets are lost). The same "
                  "seed gives the same run, bit for bit")
      ->capture_default_str()
      ->option_text("N");
  cmd->add_option("--loss", opts->loss,
                  "Probability (0 to 1) that the link loses each packet, in both directions; "
                  "e.g. 0.2 loses one in five. Lost segments are marked X and resent by the "
                  "endpoints' timers")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->option_text("P");
  cmd->add_option("--latency", opts->latency_ms,
                  "One-way delay of the link in milliseconds (the round trip is twice this)")
      ->check(CLI::Range(0.0, 100000.0))
      ->capture_default_str()
      ->option_text("MS");
  cmd->callback([&run, opts] { run = [opts] { return run_demo(*opts); }; });
}

}  // namespace synack::cli
