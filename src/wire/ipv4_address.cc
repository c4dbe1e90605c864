#include "wire/ipv4_address.h"

#include <fmt/format.h>

namespace synack::wire {

// Strict dotted-decimal, the form inet_pton(AF_INET) accepts: exactly four parts separated by
// single dots, each 1..3 decimal digits with value 0..255, no sign, no whitespace, and no
// leading zero (so "01.2.3.4" is rejected: inet_aton would read it as octal, and an address
// that two parsers read differently is worse than one that is refused).
std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  uint32_t value = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    const size_t start = pos;
    uint32_t octet = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3) {
      octet = octet * 10 + static_cast<uint32_t>(text[pos] - '0');
      ++pos;
    }
    const size_t digits = pos - start;
    if (digits == 0 || octet > 255) return std::nullopt;
    if (digits > 1 && text[start] == '0') return std::nullopt;
    value = (value << 8) | octet;
  }
  if (pos != text.size()) return std::nullopt;
  return Ipv4Address{value};
}

std::string to_string(Ipv4Address a) {
  const uint32_t v = a.value();
  return fmt::format("{}.{}.{}.{}", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

}  // namespace synack::wire
