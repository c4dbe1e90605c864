// Packet capture to a pcap file (SPEC §16.5): readable by tcpdump, tshark and Wireshark.
//
// PcapWriter owns one capture file written with libpcap's own dump API (pcap_open_dead +
// pcap_dump_open + pcap_dump), so the file header and record layout are libpcap's, never
// ours. Link type DLT_RAW: the records are bare IP packets with no link-layer header, which
// is what synack's links carry (libpcap stores it as LINKTYPE_RAW, 101; the version nibble
// tells IPv4 from IPv6, so the same files will hold IPv6 later). Timestamps are the
// simulated Instant; nanosecond precision by default (the simulator's resolution, pcap's
// "nanosecond" magic), microsecond on request for old readers.
//
// PcapTap is the decorator: it records every packet crossing it, then passes it on. Several
// taps may share one writer (both directions of a cable into one file); records must then be
// written in time order, which the simulator's event order guarantees.
//
// Single-threaded. Files are the simulator's business: the core never touches one.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "link/packet_sink.h"

struct pcap;
struct pcap_dumper;

namespace synack::link {

enum class PcapPrecision : uint8_t { kMicro, kNano };

class PcapWriter {
 public:
  // Creates (truncates) `path`. The error is libpcap's message.
  [[nodiscard]] static Result<std::unique_ptr<PcapWriter>, std::string> open(
      const std::string& path, PcapPrecision precision = PcapPrecision::kNano);
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();  // flushes and closes

  void write(std::span<const uint8_t> packet, Instant at);
  void flush();
  [[nodiscard]] uint64_t packets_written() const { return packets_; }

 private:
  PcapWriter(pcap* handle, pcap_dumper* dumper, PcapPrecision precision)
      : handle_(handle), dumper_(dumper), precision_(precision) {}
  pcap* handle_;
  pcap_dumper* dumper_;
  PcapPrecision precision_;
  uint64_t packets_ = 0;
};

class PcapTap final : public PacketSink {
 public:
  PcapTap(PcapWriter& writer, PacketSink& next) : writer_(writer), next_(next) {}
  void push(PacketPtr packet, Instant now) override;

 private:
  PcapWriter& writer_;
  PacketSink& next_;
};

}  // namespace synack::link
