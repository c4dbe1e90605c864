// tun_echo_server: synack as an echo server (port 7 by default) on a TUN device, for the
// interop tests in this folder. The kernel on the other side of the TUN is the client.
//
//   tun_echo_server --tun NAME --addr A [--port P] [--loss F] [--reorder F] [--duplicate F]
//                   [--seed N] [--pcap FILE] [--max-seconds S]
//
// It opens the TUN (the caller configures the kernel side with `ip` once "ready" is printed),
// listens, and echoes every byte of every connection; after a peer's FIN and once everything
// is echoed it closes its side. --loss/--reorder/--duplicate put the simulator's SimLink (the
// same random impairments as in simulated runs) in both directions of synack's link, because
// tc netem is not available. Runs until SIGINT/SIGTERM or --max-seconds, then prints the loop
// and link counters on stderr and exits 0 (1 on a device error, 2 on bad arguments).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "link/pcap_tap.h"
#include "link/realtime_loop.h"
#include "link/sim_link.h"
#include "link/tun_device.h"
#include "stack/stack.h"
#include "wire/ipv4_address.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

struct Args {
  std::string tun;
  std::string addr;
  uint16_t port = 7;
  double loss = 0, reorder = 0, duplicate = 0;
  uint64_t seed = 1;
  std::string pcap;
  int64_t max_seconds = 120;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--tun")
      a.tun = v;
    else if (k == "--addr")
      a.addr = v;
    else if (k == "--port")
      a.port = static_cast<uint16_t>(std::atoi(v));
    else if (k == "--loss")
      a.loss = std::atof(v);
    else if (k == "--reorder")
      a.reorder = std::atof(v);
    else if (k == "--duplicate")
      a.duplicate = std::atof(v);
    else if (k == "--seed")
      a.seed = std::strtoull(v, nullptr, 10);
    else if (k == "--pcap")
      a.pcap = v;
    else if (k == "--max-seconds")
      a.max_seconds = std::atoll(v);
    else
      return false;
  }
  return (argc % 2) == 1 && !a.tun.empty() && !a.addr.empty();
}

struct Conn {
  std::vector<uint8_t> pending;  // received, not yet accepted by send()
  bool eof = false;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace synack;
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: %s --tun NAME --addr A [--port P] [--loss F] [--reorder F] "
                 "[--duplicate F] [--seed N] [--pcap FILE] [--max-seconds S]\n",
                 argv[0]);
    return 2;
  }
  const auto addr = wire::Ipv4Address::parse(args.addr);
  if (!addr) {
    std::fprintf(stderr, "bad address %s\n", args.addr.c_str());
    return 2;
  }
  auto dev = link::TunDevice::open(args.tun);
  if (!dev) {
    std::fprintf(stderr, "%s\n", dev.error().message.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  link::RealtimeLoop loop(*dev);
  Stack stack(StackConfig{.address = *addr}, args.seed, loop.output());
  loop.attach(stack);

  // Impairments: one SimLink per direction, driven by the loop's delay queue.
  const link::LinkParams params{.loss = args.loss,
                                .duplicate = args.duplicate,
                                .reorder = args.reorder,
                                .reorder_delay = Duration::millis(5)};
  Rng rng(args.seed);
  link::SimLink out_link("synack->tun", loop, loop.pool(), rng.fork(), params);
  link::SimLink in_link("tun->synack", loop, loop.pool(), rng.fork(), params);
  std::unique_ptr<link::PcapWriter> pcap;
  std::unique_ptr<link::PcapTap> out_tap, in_tap;
  link::PacketSink* out_end = &loop.device_sink();
  link::PacketSink* in_end = &loop.stack_sink();
  if (!args.pcap.empty()) {
    auto w = link::PcapWriter::open(args.pcap);
    if (!w) {
      std::fprintf(stderr, "%s\n", w.error().c_str());
      return 1;
    }
    pcap = std::move(*w);
    // Taps next to synack: the capture shows what the stack sent and what it was given.
    out_tap = std::make_unique<link::PcapTap>(*pcap, out_link);
    in_tap = std::make_unique<link::PcapTap>(*pcap, *in_end);
    in_end = in_tap.get();
  }
  out_link.connect(*out_end);
  in_link.connect(*in_end);
  loop.set_outbound(out_tap ? static_cast<link::PacketSink&>(*out_tap) : out_link);
  loop.set_inbound(in_link);

  auto ls = stack.socket();
  const Instant t0 = loop.now();
  if (!ls || stack.bind(*ls, Endpoint{*addr, args.port}) != 0 || stack.listen(*ls, 128, t0) != 0) {
    std::fprintf(stderr, "cannot listen on %s:%u\n", args.addr.c_str(), args.port);
    return 1;
  }
  std::map<SocketId, Conn> conns;
  std::vector<uint8_t> buf(65536);
  uint64_t echoed = 0, accepted = 0;
  loop.on_step([&](Instant now) {
    for (;;) {
      auto c = stack.accept(*ls, now);
      if (!c) break;
      conns[*c] = Conn{};
      ++accepted;
    }
    for (auto it = conns.begin(); it != conns.end();) {
      const SocketId s = it->first;
      Conn& c = it->second;
      bool closed = false;
      for (;;) {
        if (!c.pending.empty()) {
          auto n = stack.send(s, c.pending, now);
          if (!n) {
            if (n.error() != EAGAIN) closed = true;  // EPIPE, reset: give up on it
            break;
          }
          echoed += *n;
          c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<long>(*n));
          if (!c.pending.empty()) break;
        }
        if (c.eof) break;
        auto r = stack.recv(s, buf, now);
        if (!r) {
          if (r.error() != EAGAIN) closed = true;  // reset or error: drop the connection
          break;
        }
        if (*r == 0) {
          c.eof = true;
          continue;
        }
        c.pending.assign(buf.begin(), buf.begin() + static_cast<long>(*r));
      }
      if (closed || (c.eof && c.pending.empty())) {
        (void)stack.close(s, now);
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  });

  std::printf("ready %s\n", dev->name().c_str());
  std::fflush(stdout);
  auto end =
      loop.run(link::RunLimits{.until = t0 + Duration::seconds(args.max_seconds), .stop = &g_stop});
  const auto& lc = loop.counters();
  std::fprintf(stderr,
               "tun_echo_server: accepted %llu, echoed %llu bytes; read %llu packets, wrote %llu "
               "(%llu device drops); link drops out %llu in %llu\n",
               static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(echoed),
               static_cast<unsigned long long>(lc.packets_read),
               static_cast<unsigned long long>(lc.packets_written),
               static_cast<unsigned long long>(lc.write_drops),
               static_cast<unsigned long long>(out_link.counters().drops_total()),
               static_cast<unsigned long long>(in_link.counters().drops_total()));
  if (!end) {
    std::fprintf(stderr, "%s\n", end.error().message.c_str());
    return 1;
  }
  return 0;
}
