#include "app/size_parse.h"

namespace synack::app {

std::optional<uint64_t> parse_size(std::string_view text) {
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (kMaxSize - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0 || i > 20) return std::nullopt;  // no digits
  std::string_view rest = text.substr(i);
  if (rest.empty()) return value;
  unsigned shift = 0;
  switch (rest[0]) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    default:
      return std::nullopt;
  }
  rest.remove_prefix(1);
  if (!(rest.empty() || rest == "i" || rest == "iB" || rest == "B")) return std::nullopt;
  if (value > (kMaxSize >> shift)) return std::nullopt;
  return value << shift;
}

}  // namespace synack::app
