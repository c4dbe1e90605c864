#include "link/pcap_tap.h"

#include <pcap/pcap.h>

#include <utility>

namespace synack::link {
namespace {
constexpr int kSnapLen = 262144;  // libpcap's default maximum; no IPv4 packet is larger
}

Result<std::unique_ptr<PcapWriter>, std::string> PcapWriter::open(const std::string& path,
                                                                  PcapPrecision precision) {
  const u_int tsp =
      precision == PcapPrecision::kNano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
  pcap_t* handle = pcap_open_dead_with_tstamp_precision(DLT_RAW, kSnapLen, tsp);
  if (handle == nullptr) return Failure{std::string{"pcap_open_dead failed"}};
  pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    std::string err = pcap_geterr(handle);
    pcap_close(handle);
    return Failure{std::move(err)};
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(handle, dumper, precision));
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);
  pcap_close(handle_);
}

void PcapWriter::write(std::span<const uint8_t> packet, Instant at) {
  const int64_t ns = at.ns();
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  const int64_t frac = ns % 1'000'000'000;
  // With nanosecond precision libpcap stores tv_usec as nanoseconds.
  hdr.ts.tv_usec =
      static_cast<suseconds_t>(precision_ == PcapPrecision::kNano ? frac : frac / 1000);
  const auto len = static_cast<bpf_u_int32>(packet.size());
  hdr.len = len;
  hdr.caplen = len > static_cast<bpf_u_int32>(kSnapLen) ? kSnapLen : len;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, packet.data());
  ++packets_;
}

void PcapWriter::flush() {
  pcap_dump_flush(dumper_);
}

void PcapTap::push(PacketPtr packet, Instant now) {
  writer_.write(packet->bytes(), now);
  next_.push(std::move(packet), now);
}

}  // namespace synack::link
