// Instant and Duration: synack's only notion of time.
//
// The core never reads a clock (SPEC §4.4, ARCHITECTURE "core contract"): every call that can
// change protocol state takes an Instant from its caller. An Instant is nanoseconds since an
// epoch the driver chooses — the simulator starts at zero, a real-time driver maps a monotonic
// clock onto it. Both types are plain 64-bit integers with strong types so that a timeout
// cannot be passed where a deadline is expected. 2^63 ns is about 292 years.
//
// Single-threaded like the rest of the core; these are value types with no shared state.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace synack {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanos(int64_t n) { return Duration{n}; }
  static constexpr Duration micros(int64_t n) { return Duration{n * 1'000}; }
  static constexpr Duration millis(int64_t n) { return Duration{n * 1'000'000}; }
  static constexpr Duration seconds(int64_t n) { return Duration{n * 1'000'000'000}; }
  static constexpr Duration zero() { return Duration{0}; }
  static constexpr Duration max() { return Duration{std::numeric_limits<int64_t>::max()}; }

  [[nodiscard]] constexpr int64_t ns() const { return ns_; }
  [[nodiscard]] constexpr int64_t us() const { return ns_ / 1'000; }
  [[nodiscard]] constexpr int64_t ms() const { return ns_ / 1'000'000; }
  [[nodiscard]] constexpr double secs() const { return static_cast<double>(ns_) / 1e9; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration{ns_ + o.ns_}; }
  constexpr Duration operator-(Duration o) const { return Duration{ns_ - o.ns_}; }
  constexpr Duration operator-() const { return Duration{-ns_}; }
  constexpr Duration operator*(int64_t k) const { return Duration{ns_ * k}; }
  constexpr Duration operator/(int64_t k) const { return Duration{ns_ / k}; }
  constexpr int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

constexpr Duration operator*(int64_t k, Duration d) {
  return d * k;
}

class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_nanos(int64_t ns) { return Instant{ns}; }
  static constexpr Instant zero() { return Instant{0}; }
  // "Never": a deadline that is not armed.
  static constexpr Instant infinite() { return Instant{std::numeric_limits<int64_t>::max()}; }

  [[nodiscard]] constexpr int64_t ns() const { return ns_; }
  [[nodiscard]] constexpr Duration since_epoch() const { return Duration::nanos(ns_); }
  [[nodiscard]] constexpr bool is_infinite() const { return *this == infinite(); }

  constexpr auto operator<=>(const Instant&) const = default;
  constexpr Instant operator+(Duration d) const { return Instant{ns_ + d.ns()}; }
  constexpr Instant operator-(Duration d) const { return Instant{ns_ - d.ns()}; }
  constexpr Duration operator-(Instant o) const { return Duration::nanos(ns_ - o.ns_); }
  constexpr Instant& operator+=(Duration d) {
    ns_ += d.ns();
    return *this;
  }

 private:
  constexpr explicit Instant(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// Human-readable forms used by traces and tests: "1.5s", "200ms", "40us", "7ns";
// an Instant prints as seconds with microsecond precision, "12.000345".
std::string to_string(Duration d);
std::string to_string(Instant t);

namespace literals {
constexpr Duration operator""_ns(unsigned long long n) {
  return Duration::nanos(static_cast<int64_t>(n));
}
constexpr Duration operator""_us(unsigned long long n) {
  return Duration::micros(static_cast<int64_t>(n));
}
constexpr Duration operator""_ms(unsigned long long n) {
  return Duration::millis(static_cast<int64_t>(n));
}
constexpr Duration operator""_s(unsigned long long n) {
  return Duration::seconds(static_cast<int64_t>(n));
}
}  // namespace literals

}  // namespace synack
