#include <synack/time.h>

#include <fmt/format.h>

#include <cstdlib>

namespace synack {

std::string to_string(Duration d) {
  const int64_t ns = d.ns();
  const int64_t mag = std::llabs(ns);
  if (mag == 0) return "0s";
  if (mag % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (mag >= 1'000'000'000) return fmt::format("{:.6f}s", static_cast<double>(ns) / 1e9);
  if (mag % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (mag >= 1'000'000) return fmt::format("{:.3f}ms", static_cast<double>(ns) / 1e6);
  if (mag % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

std::string to_string(Instant t) {
  const int64_t ns = t.ns();
  if (t.is_infinite()) return "never";
  const char* sign = ns < 0 ? "-" : "";
  const uint64_t mag = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  return fmt::format("{}{}.{:06}", sign, mag / 1'000'000'000, (mag % 1'000'000'000) / 1'000);
}

}  // namespace synack
