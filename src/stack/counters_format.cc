#include "stack/counters_format.h"

#include <fmt/format.h>

namespace synack::stack {
namespace {

bool selected(const CounterInfo& info, uint64_t value, double rate, const NstatOptions& opts) {
  if (info.kind == CounterKind::kGauge && !opts.include_gauges) return false;
  if (!opts.zeros && value == 0 && rate == 0.0) return false;
  return info.nstat_name.substr(0, opts.prefix.size()) == opts.prefix;
}

double rate_of(const NstatOptions& opts, size_t i) {
  return i < opts.rates.size() ? opts.rates[i] : 0.0;
}

}  // namespace

std::string nstat_line(std::string_view name, uint64_t value, double rate) {
  return fmt::format("{:<32}{:<16}{:6.1f}\n", name, value, rate);
}

std::string format_nstat(const Counters& counters, const NstatOptions& opts) {
  std::string out = fmt::format("#{}\n", opts.source);
  for (size_t i = 0; i < static_cast<size_t>(kCounterCount); ++i) {
    const CounterInfo& info = counter_info(static_cast<Counter>(i));
    const uint64_t v = counters.value(info.id);
    const double rate = rate_of(opts, i);
    if (selected(info, v, rate, opts)) out += nstat_line(info.nstat_name, v, rate);
  }
  return out;
}

std::string format_nstat_json(const Counters& counters, const NstatOptions& opts) {
  // Names and the source are plain ASCII identifiers, so no escaping is needed beyond quotes.
  std::string out = fmt::format("{{\"{}\":{{", opts.source);
  bool first = true;
  for (size_t i = 0; i < static_cast<size_t>(kCounterCount); ++i) {
    const CounterInfo& info = counter_info(static_cast<Counter>(i));
    const uint64_t v = counters.value(info.id);
    if (!selected(info, v, rate_of(opts, i), opts)) continue;
    out += fmt::format("{}\"{}\":{}", first ? "" : ",", info.nstat_name, v);
    first = false;
  }
  out += "}}\n";
  return out;
}

}  // namespace synack::stack
