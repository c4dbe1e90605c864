// Reading captures back: any pcap file tcpdump, tshark or synack itself wrote, reduced to what
// synack's links carry — bare IPv4 packets with a time.
//
// libpcap opens the file (pcap_open_offline), so both byte orders, microsecond and nanosecond
// files and their quirks are libpcap's business; timestamps are always asked for in
// nanoseconds and become an Instant counted from the Unix epoch. This file only strips the
// link layer, for the link types a Linux user meets:
//   EN10MB      Ethernet (+ 802.1Q tags); ethertype 0x0800 only. Ethernet pads short frames
//               to 60 bytes, so the IPv4 packet is cut to its total length when shorter.
//   LINUX_SLL   "tcpdump -i any" (16-byte cooked header); protocol 0x0800 only.
//   LINUX_SLL2  the newer cooked header (20 bytes); protocol 0x0800 only.
//   RAW, IPV4   bare IP (synack's own pcap tap writes RAW); version nibble 4 only.
//   NULL, LOOP  BSD loopback: a 4-byte address family (host order for NULL, network order
//               for LOOP; either order accepted for NULL since the writer's is unknown).
// Records of another protocol (ARP, IPv6, ...) are not errors: they come back marked
// kNotIpv4 so a caller can count them. A file that cannot be opened, an unsupported link
// type, or a damaged file (libpcap's "truncated dump file") are errors, as values with
// libpcap's message and the path.
//
// Single-threaded. Only drivers and tools read files; the core never does.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

struct pcap;

namespace synack::link {

enum class RecordKind : uint8_t {
  kIpv4,     // `ipv4` holds the packet (possibly cut short if the capture was)
  kNotIpv4,  // another protocol, or a link header too short to tell
};

struct PcapRecord {
  uint64_t index = 0;        // 0-based position in the file, counting every record
  Instant time;              // since the Unix epoch, nanosecond resolution
  uint32_t wire_length = 0;  // length of the frame on the wire, link header included
  bool truncated = false;    // the capture kept fewer bytes than were on the wire
  RecordKind kind = RecordKind::kNotIpv4;
  std::span<const uint8_t> ipv4;  // valid until the next call to next()
};

class PcapReader {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PcapReader>, std::string> open(
      const std::string& path);
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;
  ~PcapReader();

  // The next record, nullopt at the end of the file, or an error for a damaged file.
  [[nodiscard]] Result<std::optional<PcapRecord>, std::string> next();

  [[nodiscard]] int link_type() const { return link_type_; }  // a DLT_* value
  [[nodiscard]] std::string_view link_type_name() const;      // e.g. "EN10MB"

 private:
  PcapReader(pcap* handle, int link_type, std::string path)
      : handle_(handle), link_type_(link_type), path_(std::move(path)) {}
  pcap* handle_;
  int link_type_;
  std::string path_;
  uint64_t index_ = 0;
};

// A whole capture in memory, IPv4 records only (tests, the fuzz corpus, small tools).
struct OwnedPacket {
  uint64_t index = 0;
  Instant time;
  std::vector<uint8_t> bytes;
};
[[nodiscard]] Result<std::vector<OwnedPacket>, std::string> read_ipv4_packets(
    const std::string& path);

}  // namespace synack::link
