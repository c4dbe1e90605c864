#include "stack/sysctl_conf.h"

#include <fmt/format.h>

namespace synack::stack {
namespace {

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ConfDiagnostic::to_string() const {
  return fmt::format("{}:{}: {}", source, line, message);
}

Result<ConfApplied, std::vector<ConfDiagnostic>> apply_conf(Sysctls& target, std::string_view text,
                                                            std::string_view source_name) {
  Sysctls scratch = target;
  ConfApplied applied;
  std::vector<ConfDiagnostic> errors;
  const std::string source{source_name};

  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;

    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    bool ignore_failure = false;
    if (line.front() == '-') {
      ignore_failure = true;
      line = trim(line.substr(1));
    }
    auto report = [&](std::string message) {
      ConfDiagnostic d{source, line_no, std::move(message)};
      if (ignore_failure) {
        d.message += " (ignored: line starts with '-')";
        applied.ignored.push_back(std::move(d));
      } else {
        errors.push_back(std::move(d));
      }
    };

    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      report(fmt::format("expected 'name = value', got '{}'", line));
      continue;
    }
    const std::string_view name = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    if (name.empty()) {
      report("missing sysctl name before '='");
      continue;
    }
    auto r = scratch.set(name, value);
    if (!r) {
      report(r.error().message);
      continue;
    }
    ++applied.assignments;
    if (!r->warning.empty()) applied.ignored.push_back({source, line_no, std::string{r->warning}});
  }

  if (!errors.empty()) return Failure{std::move(errors)};
  target = scratch;
  return applied;
}

}  // namespace synack::stack
