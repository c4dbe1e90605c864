#include "stack/sysctl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <optional>

namespace synack::stack {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Splits on runs of whitespace (Linux proc_skip_spaces / proc_wspace_sep: ' ', '\t', '\n').
std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i]))
      ++i;
    size_t j = i;
    while (j < s.size() && !is_space(s[j]))
      ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

enum class IntParse : uint8_t { kOk, kNotInteger, kOverflow };

// One integer word as Linux proc_get_long reads it: optional '-', a decimal digit, then
// strtoul base 0 ("0x"/"0X" hex, leading "0" octal, else decimal), and nothing after it.
IntParse parse_linux_int(std::string_view w, int64_t& out) {
  bool neg = false;
  if (w.size() > 1 && w.front() == '-') {
    neg = true;
    w.remove_prefix(1);
  }
  if (w.empty() || w.front() < '0' || w.front() > '9') return IntParse::kNotInteger;
  int base = 10;
  if (w.size() > 1 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
    base = 16;
    w.remove_prefix(2);
    if (w.empty()) return IntParse::kNotInteger;  // "0x" alone: Linux stops after "0", then 'x'
  } else if (w.size() > 1 && w[0] == '0') {
    base = 8;
  }
  uint64_t v = 0;
  bool overflow = false;
  for (char c : w) {
    const int d = digit_value(c);
    if (d >= base) return IntParse::kNotInteger;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) overflow = true;
    if (!overflow) v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (overflow || v > static_cast<uint64_t>(INT64_MAX)) return IntParse::kOverflow;
  out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return IntParse::kOk;
}

Failure<SysctlError> fail(SysctlErrc code, std::string message) {
  return Failure{SysctlError{code, std::move(message)}};
}

std::string range_text(const SysctlInfo& info) {
  if (info.kind == SysctlKind::kFastOpenKey) return "128-bit key (4 hex words), optional backup";
  std::string r = fmt::format("{}..{}", info.min, info.max);
  if (info.kind == SysctlKind::kIntVector) r += " each";
  return r;
}

// Parses "%x-%x-%x-%x" words of 1..8 hex digits (Linux sscanf_key), optionally followed by
// ",<backup key>" (Linux proc_tcp_fastopen_key).
std::optional<std::vector<int64_t>> parse_fastopen_key(std::string_view text) {
  std::vector<int64_t> words;
  auto parse_one = [&words](std::string_view key) {
    for (int i = 0; i < 4; ++i) {
      const size_t dash = key.find('-');
      std::string_view part = (i < 3) ? key.substr(0, dash) : key;
      if (i < 3 && dash == std::string_view::npos) return false;
      if (part.empty() || part.size() > 8) return false;
      uint32_t v = 0;
      for (char c : part) {
        const int d = digit_value(c);
        if (d >= 16) return false;
        v = (v << 4) | static_cast<uint32_t>(d);
      }
      words.push_back(v);
      if (i < 3) key.remove_prefix(dash + 1);
    }
    return true;
  };
  const size_t comma = text.find(',');
  if (!parse_one(trim(text.substr(0, comma)))) return std::nullopt;
  if (comma != std::string_view::npos && !parse_one(trim(text.substr(comma + 1)))) {
    return std::nullopt;
  }
  return words;
}

}  // namespace

std::string_view to_string(SysctlErrc e) {
  switch (e) {
    case SysctlErrc::kUnknownName:
      return "unknown name";
    case SysctlErrc::kBadValue:
      return "bad value";
    case SysctlErrc::kOutOfRange:
      return "out of range";
    case SysctlErrc::kInvalid:
      return "invalid";
  }
  return "?";
}

Sysctls::Sysctls() {
  for (int i = 0; i < kSysctlCount; ++i) {
    const auto id = static_cast<SysctlId>(i);
    const SysctlInfo& info = sysctl_info(id);
    const size_t off = kSysctlOffset[index_of(id)];
    if (info.kind == SysctlKind::kFastOpenKey) {
      lengths_[index_of(id)] = 4;  // a zero primary key, no backup (what Linux prints unset)
      continue;
    }
    lengths_[index_of(id)] = kSysctlWidth[index_of(id)];
    for (size_t k = 0; k < kSysctlWidth[index_of(id)]; ++k)
      values_[off + k] = info.defaults[k];
  }
}

Duration Sysctls::duration(SysctlId id) const {
  const int64_t v = get(id);
  switch (sysctl_info(id).unit) {
    case SysctlUnit::kSeconds:
      return Duration::seconds(v);
    case SysctlUnit::kMillis:
      return Duration::millis(v);
    case SysctlUnit::kMicros:
      return Duration::micros(v);
    default:
      assert(false && "sysctl is not a time");
      return Duration::zero();
  }
}

Result<SysctlSetOk, SysctlError> Sysctls::set(std::string_view name, std::string_view text) {
  const auto id = find_sysctl(name);
  if (!id) return fail(SysctlErrc::kUnknownName, fmt::format("unknown sysctl '{}'", trim(name)));
  return set(*id, text);
}

Result<SysctlSetOk, SysctlError> Sysctls::set(SysctlId id, std::string_view text) {
  const SysctlInfo& info = sysctl_info(id);
  text = trim(text);
  if (text.empty()) return fail(SysctlErrc::kBadValue, fmt::format("{}: empty value", info.name));

  if (info.kind == SysctlKind::kFastOpenKey) {
    auto words = parse_fastopen_key(text);
    if (!words) {
      return fail(SysctlErrc::kBadValue,
                  fmt::format("{}: '{}' is not a key; expected 4 dash-separated hex words such as "
                              "00000000-00000000-00000000-00000000, optionally ',<backup key>'",
                              info.name, text));
    }
    return set_values(id, *words);
  }

  const std::vector<std::string_view> words = split_words(text);
  const size_t width = kSysctlWidth[index_of(id)];
  if (words.size() > width) {
    return fail(SysctlErrc::kBadValue,
                width == 1 ? fmt::format("{}: expected one integer, got '{}'", info.name, text)
                           : fmt::format("{}: expected at most {} integers, got {} in '{}'",
                                         info.name, width, words.size(), text));
  }
  std::vector<int64_t> values;
  values.reserve(words.size());
  for (std::string_view w : words) {
    int64_t v = 0;
    switch (parse_linux_int(w, v)) {
      case IntParse::kOk:
        values.push_back(v);
        break;
      case IntParse::kNotInteger:
        return fail(SysctlErrc::kBadValue, fmt::format("{}: '{}' is not an integer", info.name, w));
      case IntParse::kOverflow:
        return fail(SysctlErrc::kOutOfRange,
                    fmt::format("{}: value {} out of range {}", info.name, w, range_text(info)));
    }
  }
  return set_values(id, values);
}

Result<SysctlSetOk, SysctlError> Sysctls::set_values(SysctlId id, std::span<const int64_t> values) {
  const SysctlInfo& info = sysctl_info(id);
  const size_t width = kSysctlWidth[index_of(id)];
  const size_t off = kSysctlOffset[index_of(id)];

  if (info.kind == SysctlKind::kFastOpenKey) {
    if (values.size() != 4 && values.size() != 8) {
      return fail(SysctlErrc::kBadValue,
                  fmt::format("{}: a key is 4 words (8 with a backup key), got {}", info.name,
                              values.size()));
    }
  } else if (values.empty() || values.size() > width) {
    return fail(SysctlErrc::kBadValue,
                fmt::format("{}: expected 1..{} values, got {}", info.name, width, values.size()));
  }
  for (int64_t v : values) {
    if (v < info.min || v > info.max) {
      return fail(SysctlErrc::kOutOfRange,
                  fmt::format("{}: value {} out of range {}", info.name, v, range_text(info)));
    }
  }

  // The candidate: a partial vector write keeps the elements it does not mention (Linux).
  std::array<int64_t, 8> next{};
  const size_t keep = info.kind == SysctlKind::kFastOpenKey ? 0 : width;
  for (size_t k = 0; k < keep; ++k)
    next[k] = values_[off + k];
  std::copy(values.begin(), values.end(), next.begin());

  std::string_view warning;
  if (id == SysctlId::kIpLocalPortRange) {
    // Linux ipv4_local_port_range(): EINVAL if high < low or low < ip_unprivileged_port_start;
    // equal parity is accepted with a warning (connect() and bind() pick ports of opposite
    // parity, which works best when the range holds as many odd ports as even ones).
    const int64_t start = get(SysctlId::kIpUnprivilegedPortStart);
    if (next[1] < next[0]) {
      return fail(SysctlErrc::kInvalid, fmt::format("{}: low port {} is above high port {}",
                                                    info.name, next[0], next[1]));
    }
    if (next[0] < start) {
      return fail(SysctlErrc::kInvalid,
                  fmt::format("{}: low port {} is below net.ipv4.ip_unprivileged_port_start ({})",
                              info.name, next[0], start));
    }
    if (((next[0] ^ next[1]) & 1) == 0) {
      warning = "ip_local_port_range: prefer different parity for start/end values.";
    }
  } else if (id == SysctlId::kIpUnprivilegedPortStart) {
    // Linux ipv4_privileged_ports(): may not reach into the ephemeral range.
    const int64_t low = get(SysctlId::kIpLocalPortRange);
    if (low < next[0]) {
      return fail(SysctlErrc::kInvalid,
                  fmt::format("{}: {} is above the start of net.ipv4.ip_local_port_range ({})",
                              info.name, next[0], low));
    }
  }

  const size_t n = info.kind == SysctlKind::kFastOpenKey ? values.size() : width;
  for (size_t k = 0; k < width; ++k)
    values_[off + k] = k < n ? next[k] : 0;
  lengths_[index_of(id)] = static_cast<uint8_t>(n);
  return SysctlSetOk{id, warning};
}

std::string format_sysctl_value(SysctlId id, std::span<const int64_t> values) {
  const SysctlInfo& info = sysctl_info(id);
  std::string out;
  if (info.kind == SysctlKind::kFastOpenKey) {
    for (size_t k = 0; k < values.size(); ++k) {
      if (k == 4) out += ',';
      if (k % 4 != 0) out += '-';
      out += fmt::format("{:08x}", static_cast<uint32_t>(values[k]));
    }
    return out;
  }
  for (size_t k = 0; k < values.size(); ++k) {
    if (k > 0) out += '\t';
    out += fmt::format("{}", values[k]);
  }
  return out;
}

std::string Sysctls::format(SysctlId id) const {
  return format_sysctl_value(id, values(id));
}

std::string Sysctls::format_line(SysctlId id) const {
  return fmt::format("{} = {}", sysctl_info(id).name, format(id));
}

bool Sysctls::is_default(SysctlId id) const {
  static const Sysctls kDefaults;
  const auto a = values(id);
  const auto b = kDefaults.values(id);
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::vector<SysctlListing> Sysctls::list() const {
  static const Sysctls kDefaults;
  std::vector<SysctlListing> out;
  out.reserve(kSysctlCount);
  for (int i = 0; i < kSysctlCount; ++i) {
    const auto id = static_cast<SysctlId>(i);
    const SysctlInfo& info = sysctl_info(id);
    out.push_back(SysctlListing{id, info.name, format(id), kDefaults.format(id), range_text(info),
                                to_string(info.unit), info.help});
  }
  return out;
}

std::vector<SysctlListing> Sysctls::list_sorted() const {
  auto out = list();
  std::sort(out.begin(), out.end(),
            [](const SysctlListing& a, const SysctlListing& b) { return a.name < b.name; });
  return out;
}

}  // namespace synack::stack
