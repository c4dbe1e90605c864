#include "shim_flags.h"

#include <charconv>

namespace synack::shim {
namespace {

bool parse_uint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Failure<std::string> bad(std::string_view word) {
  return Failure{"--so_flags: cannot use '" + std::string(word) +
                 "' (expected local=A.B.C.D, mtu=N, seed=N or sysctls=0|1)"};
}

}  // namespace

Result<ShimFlags, std::string> parse_shim_flags(std::string_view text) {
  ShimFlags f;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == ',' || text[i] == '\t') {
      ++i;
      continue;
    }
    size_t end = text.find_first_of(" ,\t", i);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(i, end - i);
    i = end;
    const size_t eq = word.find('=');
    if (eq == std::string_view::npos) return bad(word);
    const std::string_view key = word.substr(0, eq);
    const std::string_view value = word.substr(eq + 1);
    uint64_t n = 0;
    if (key == "local") {
      const auto a = wire::Ipv4Address::parse(value);
      if (!a) return bad(word);
      f.local = *a;
    } else if (key == "mtu") {
      if (!parse_uint(value, n) || n < 88 || n > 65535) return bad(word);
      f.mtu = static_cast<uint32_t>(n);
    } else if (key == "seed") {
      if (!parse_uint(value, n)) return bad(word);
      f.seed = n;
    } else if (key == "sysctls") {
      if (value != "0" && value != "1") return bad(word);
      f.read_proc_sysctls = value == "1";
    } else {
      return bad(word);
    }
  }
  return f;
}

}  // namespace synack::shim
