// `synack pcap FILE [--verbose]`: prints a capture the way synack sees it — one tcpdump-like
// line per packet from wire::to_string(Packet), after the same parse_packet the stack runs on
// every arriving segment. A packet synack would drop is printed with the drop reason instead
// (ParseError's name) and counted, so the tool answers "would synack accept this segment?".
//
// Segments whose only fault is a checksum are still decoded (parse without verification) and
// printed with the reason in brackets, as tcpdump prints "incorrect" checksums: the fields
// are what the reader needs to see which segment it was. Records that are not IPv4 (ARP,
// IPv6...) are counted and, with --verbose, listed.
//
// Time is the capture's timestamp in seconds since the epoch with microseconds, like
// `tcpdump -tt`; captures written by synack's simulator start at 0.
//
// Exit status (commands.h): 0 when the whole file was read, whatever its packets were;
// 2 when the file cannot be opened, has an unsupported link type, or is damaged part-way
// (the packets before the damage are printed first).
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <string>

#include "commands.h"
#include "link/pcap_reader.h"
#include "wire/packet.h"

namespace synack::cli {
namespace {

struct PcapOptions {
  std::string file;
  bool verbose = false;
};

struct Counts {
  uint64_t records = 0;
  uint64_t parsed = 0;
  uint64_t unparsed = 0;
  uint64_t not_ipv4 = 0;
};

bool is_checksum_error(wire::ParseError e) {
  return e == wire::ParseError::kBadIpChecksum || e == wire::ParseError::kBadTcpChecksum;
}

std::string hex_prefix(std::span<const uint8_t> b, size_t max) {
  std::string s;
  for (size_t i = 0; i < std::min(b.size(), max); ++i)
    s += fmt::format("{:02x}", b[i]);
  if (b.size() > max) s += "...";
  return s;
}

void print_ip_details(const wire::Packet& p) {
  fmt::print(
      "    IP (tos {:#x}, ttl {}, id {}, flags [{}], length {}, cksum {:#06x}), TCP cksum "
      "{:#06x}\n",
      p.ip.tos, p.ip.ttl, p.ip.id, p.ip.df ? "DF" : "none", p.ip.total_length, p.ip.checksum,
      p.tcp_checksum);
}

void print_record(const link::PcapRecord& r, const PcapOptions& o, Counts& n) {
  const std::string time = to_string(r.time);
  if (r.kind != link::RecordKind::kIpv4) {
    ++n.not_ipv4;
    if (o.verbose) fmt::print("{} [record {}] not IPv4, skipped\n", time, r.index);
    return;
  }
  const std::string cut = r.truncated ? " [captured partially]" : "";
  const auto strict = wire::parse_packet(r.ipv4);
  if (strict) {
    ++n.parsed;
    fmt::print("{} {}{}\n", time, wire::to_string(*strict), cut);
    if (o.verbose) print_ip_details(*strict);
    return;
  }
  ++n.unparsed;
  const wire::ParseError e = strict.error();
  if (is_checksum_error(e)) {
    const auto lax = wire::parse_packet(r.ipv4, {.verify_checksums = false});
    if (lax) {
      fmt::print("{} {} [{}, dropped]{}\n", time, wire::to_string(*lax), wire::to_string(e), cut);
      if (o.verbose) print_ip_details(*lax);
      return;
    }
  }
  fmt::print("{} [record {}] not parsed: {} ({} bytes){}\n", time, r.index, wire::to_string(e),
             r.ipv4.size(), cut);
  if (o.verbose) fmt::print("    {}\n", hex_prefix(r.ipv4, 64));
}

int run_pcap(const PcapOptions& o) {
  auto reader = link::PcapReader::open(o.file);
  if (!reader) {
    fmt::print(stderr, "synack pcap: cannot read {}\n", reader.error());
    return 2;
  }
  if (o.verbose) {
    fmt::print("{}: link type {}\n", o.file, (*reader)->link_type_name());
  }
  Counts n;
  for (;;) {
    auto rec = (*reader)->next();
    if (!rec) {
      std::fflush(stdout);
      fmt::print(stderr, "synack pcap: damaged capture: {}\n", rec.error());
      return 2;
    }
    if (!rec.value()) break;
    ++n.records;
    print_record(*rec.value(), o, n);
  }
  std::fflush(stdout);
  fmt::print(stderr, "{} records: {} parsed, {} not parsed, {} not IPv4\n", n.records, n.parsed,
             n.unparsed, n.not_ipv4);
  return 0;
}

}  // namespace

void register_pcap(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<PcapOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pcap",
      "Print a capture file (tcpdump, tshark, Wireshark or synack's own --pcap) one segment "
      "per line, as synack's parser reads it; segments synack would drop are shown with the "
      "reason and counted.");
  cmd->add_option("FILE", opts->file,
                  "The pcap file to read (Ethernet, Linux cooked, raw IP or BSD loopback)")
      ->required();
  cmd->add_flag("--verbose,-v", opts->verbose,
                "Also print IP header fields and checksums, non-IPv4 records, and the bytes "
                "of packets that do not parse");
  cmd->callback([&run, opts] { run = [opts] { return run_pcap(*opts); }; });
}

}  // namespace synack::cli
