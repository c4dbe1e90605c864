// IPv4 addresses as a value type. Stored in host byte order; converted only at the wire edge.
// SPEC §1.1 asks to keep address types generic enough for IPv6 later: code outside wire/
// uses Ipv4Address only through the connection tuple, so a variant can replace it there.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synack::wire {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : v_(host_order) {}
  static constexpr Ipv4Address from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4Address{(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
  }
  static constexpr Ipv4Address any() { return Ipv4Address{0}; }
  // Dotted quad "a.b.c.d", each part 0..255, nothing else; nullopt otherwise.
  static std::optional<Ipv4Address> parse(std::string_view text);

  [[nodiscard]] constexpr uint32_t value() const { return v_; }
  [[nodiscard]] constexpr bool is_any() const { return v_ == 0; }
  [[nodiscard]] constexpr bool is_loopback() const { return (v_ >> 24) == 127; }
  constexpr auto operator<=>(const Ipv4Address&) const = default;

 private:
  uint32_t v_ = 0;
};

std::string to_string(Ipv4Address a);

}  // namespace synack::wire
