#include "link/pcap_reader.h"

#include <pcap/pcap.h>

#include <utility>

namespace synack::link {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q
constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad
constexpr size_t kEthernetHeader = 14;
constexpr size_t kVlanTag = 4;
constexpr size_t kSllHeader = 16;
constexpr size_t kSll2Header = 20;
constexpr size_t kNullHeader = 4;
constexpr uint32_t kAfInet = 2;  // AF_INET on every system that writes DLT_NULL/LOOP

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}

uint32_t be32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

uint32_t byte_swap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

bool is_ipv4(std::span<const uint8_t> ip) {
  return !ip.empty() && (ip[0] >> 4) == 4;
}

bool supported(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_NULL:
    case DLT_LOOP:
      return true;
    default:
      return false;
  }
}

// Ethernet: skip any VLAN tags, keep ethertype 0x0800, drop the padding after the IPv4
// packet (short frames are padded to 60 bytes on the wire).
std::optional<std::span<const uint8_t>> strip_ethernet(std::span<const uint8_t> f) {
  size_t at = 12;
  if (f.size() < kEthernetHeader) return std::nullopt;
  uint16_t type = be16(f, at);
  while (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
    at += kVlanTag;
    if (f.size() < at + 2) return std::nullopt;
    type = be16(f, at);
  }
  if (type != kEtherTypeIpv4) return std::nullopt;
  auto ip = f.subspan(at + 2);
  if (ip.size() >= 4) {
    const uint16_t total = be16(ip, 2);
    if (total >= 20 && total < ip.size()) ip = ip.first(total);
  }
  return ip;
}

// Returns the IPv4 packet inside a frame of the given link type, or nullopt if the frame
// carries something else.
std::optional<std::span<const uint8_t>> strip(int dlt, std::span<const uint8_t> f) {
  std::optional<std::span<const uint8_t>> ip;
  switch (dlt) {
    case DLT_EN10MB:
      ip = strip_ethernet(f);
      break;
    case DLT_LINUX_SLL:
      if (f.size() >= kSllHeader && be16(f, 14) == kEtherTypeIpv4) ip = f.subspan(kSllHeader);
      break;
    case DLT_LINUX_SLL2:
      if (f.size() >= kSll2Header && be16(f, 0) == kEtherTypeIpv4) ip = f.subspan(kSll2Header);
      break;
    case DLT_RAW:
    case DLT_IPV4:
      ip = f;
      break;
    case DLT_NULL:
      if (f.size() >= kNullHeader) {
        const uint32_t af = be32(f, 0);
        if (af == kAfInet || byte_swap32(af) == kAfInet) ip = f.subspan(kNullHeader);
      }
      break;
    case DLT_LOOP:
      if (f.size() >= kNullHeader && be32(f, 0) == kAfInet) ip = f.subspan(kNullHeader);
      break;
    default:
      break;
  }
  if (ip && !is_ipv4(*ip)) return std::nullopt;
  return ip;
}

}  // namespace

Result<std::unique_ptr<PcapReader>, std::string> PcapReader::open(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (handle == nullptr) {
    // libpcap names the file in some messages ("x.pcap: No such file...") but not others.
    const std::string msg = err;
    return Failure{msg.starts_with(path) ? msg : path + ": " + msg};
  }
  const int dlt = pcap_datalink(handle);
  if (!supported(dlt)) {
    const char* name = pcap_datalink_val_to_name(dlt);
    std::string msg = path + ": unsupported link type " + std::to_string(dlt);
    if (name != nullptr) msg += std::string{" ("} + name + ")";
    msg += "; synack reads EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, NULL and LOOP";
    pcap_close(handle);
    return Failure{std::move(msg)};
  }
  return std::unique_ptr<PcapReader>(new PcapReader(handle, dlt, path));
}

PcapReader::~PcapReader() {
  pcap_close(handle_);
}

std::string_view PcapReader::link_type_name() const {
  const char* name = pcap_datalink_val_to_name(link_type_);
  return name != nullptr ? std::string_view{name} : std::string_view{"unknown"};
}

Result<std::optional<PcapRecord>, std::string> PcapReader::next() {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == PCAP_ERROR_BREAK) return std::optional<PcapRecord>{};  // end of file
  if (rc != 1) {
    return Failure{path_ + ": record " + std::to_string(index_) + ": " + pcap_geterr(handle_)};
  }
  PcapRecord r;
  r.index = index_++;
  // Opened with nanosecond precision: tv_usec holds nanoseconds.
  r.time = Instant::from_nanos(static_cast<int64_t>(hdr->ts.tv_sec) * 1'000'000'000 +
                               static_cast<int64_t>(hdr->ts.tv_usec));
  r.wire_length = hdr->len;
  r.truncated = hdr->caplen < hdr->len;
  const auto ip = strip(link_type_, std::span<const uint8_t>{data, hdr->caplen});
  if (ip) {
    r.kind = RecordKind::kIpv4;
    r.ipv4 = *ip;
  }
  return std::optional<PcapRecord>{r};
}

Result<std::vector<OwnedPacket>, std::string> read_ipv4_packets(const std::string& path) {
  auto reader = PcapReader::open(path);
  if (!reader) return Failure{reader.error()};
  std::vector<OwnedPacket> out;
  for (;;) {
    auto rec = (*reader)->next();
    if (!rec) return Failure{rec.error()};
    if (!rec.value()) break;
    const PcapRecord& r = *rec.value();
    if (r.kind != RecordKind::kIpv4) continue;
    out.push_back({r.index, r.time, {r.ipv4.begin(), r.ipv4.end()}});
  }
  return out;
}

}  // namespace synack::link
