// `synack sim list` and `synack sim run NAME`: the replayable scenarios of SPEC §17
// (src/sim/scenarios/), each a story on two real synack Stacks that checks its own expected
// outcome.
//
// `run` shares its options with `synack demo` (sim_options.h). A scenario's own default
// settings go in front of the user's --sysctl values, so the command line always wins (they
// do override a --sysctl-file line of the same name; no scenario has defaults yet). Exit
// status (commands.h): 0 when every expected fact held, 1 when one did not (the first one
// missed is named on the outcome line and on stderr), 2 for bad input — an unknown scenario
// (the known names are listed), a bad setting, or a capture/trace file that cannot be written.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "commands.h"
#include "sim/scenarios/scenario.h"
#include "sim_options.h"

namespace synack::cli {
namespace {

namespace sc = sim::scenarios;

struct SimRunOptions {
  SimOptions sim;
  std::string name;
};

// Breaks a paragraph into lines of at most `width` columns.
std::string wrap(std::string_view text, size_t width) {
  std::string out;
  std::string line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(pos, end - pos);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    pos = end + 1;
  }
  if (!line.empty()) out += line + "\n";
  return out;
}

std::string names() {
  std::string out;
  for (const sc::Scenario* s : sc::all())
    out += fmt::format("  {}\n", s->name);
  return out;
}

int run_list() {
  size_t width = 0;
  for (const sc::Scenario* s : sc::all())
    width = std::max(width, s->name.size());
  for (const sc::Scenario* s : sc::all())
    fmt::print("{:<{}}  {}\n", s->name, width, s->summary);
  return 0;
}

int run_scenario(const SimRunOptions& o) {
  const sc::Scenario* scenario = sc::find(o.name);
  if (scenario == nullptr) {
    fmt::print(stderr, "synack sim run: unknown scenario '{}'; the scenarios are:\n{}", o.name,
               names());
    return 2;
  }
  SimOptions opts = o.sim;
  std::vector<std::string> sysctls;
  for (const auto& [name, value] : scenario->default_sysctls)
    sysctls.push_back(fmt::format("{}={}", name, value));
  sysctls.insert(sysctls.end(), opts.sysctls.begin(), opts.sysctls.end());
  opts.sysctls = std::move(sysctls);
  const std::optional<stack::Sysctls> sys = build_sysctls(opts, "sim run");
  if (!sys) return 2;

  std::string json;
  std::string svg;
  sc::RunContext ctx{.seed = o.sim.seed,
                     .sysctls = *sys,
                     .pcap = o.sim.pcap,
                     .json = o.sim.trace.empty() ? nullptr : &json,
                     .quiet = o.sim.quiet,
                     .svg = o.sim.svg.empty() ? nullptr : &svg};
  const sc::Outcome outcome = scenario->run(ctx);
  if (outcome.setup_failed) {
    fmt::print(stderr, "synack sim run: {}: {}\n", scenario->name, outcome.summary);
    return 2;
  }
  if (!o.sim.trace.empty() && !write_text_file(o.sim.trace, json, "sim run")) return 2;
  if (!o.sim.svg.empty() && !write_text_file(o.sim.svg, svg, "sim run")) return 2;

  const std::string line = outcome.ok ? fmt::format("ok: {}", outcome.summary)
                                      : fmt::format("FAILED: {}", outcome.summary);
  if (!o.sim.quiet) {
    fmt::print("synack sim run {} (seed {})\n\n{}\n", scenario->name, o.sim.seed,
               wrap(scenario->explanation, 92));
    std::string changed;
    for (const auto& l : sys->list_sorted()) {
      if (sys->is_default(l.id)) continue;
      changed += fmt::format("{}{} = {}", changed.empty() ? "" : "; ", l.name, l.value);
    }
    fmt::print("settings : {}\n", changed.empty() ? "Linux defaults (see 'synack sysctl -a')"
                                                  : changed + " (the rest Linux defaults)");
    fmt::print("link     : client 10.0.0.1 <-> server 10.0.0.2:80, 10 ms one way\n\n{}\n",
               outcome.report);
  }
  fmt::print("outcome  : {}\n", line);
  if (!outcome.ok) fmt::print(stderr, "synack sim run {}: {}\n", scenario->name, line);
  return outcome.ok ? 0 : 1;
}

}  // namespace

void register_sim(CLI::App& app, Runner& run) {
  CLI::App* sim = app.add_subcommand(
      "sim",
      "Replay the TCP stories every operator meets (lost SYNs, lost FINs, CLOSE-WAIT leaks, "
      "keepalive on a dead peer, ...) on two simulated hosts running synack's TCP engine; each "
      "checks its expected outcome. 'synack sim list' names them.");
  sim->require_subcommand(1, 1);
  CLI::App* list = sim->add_subcommand("list", "List the scenarios with a one-line summary each");
  list->callback([&run] { run = [] { return run_list(); }; });

  auto opts = std::make_shared<SimRunOptions>();
  CLI::App* cmd = sim->add_subcommand(
      "run",
      "Run one scenario: prints what it shows, the ladder diagram, each end's state transitions "
      "and every expected fact with its verdict. Exit status 0 when the expected outcome "
      "happened, 1 when not, 2 on bad input (an unknown NAME lists the scenarios).");
  cmd->add_option("NAME", opts->name, "The scenario, as 'synack sim list' prints it")->required();
  add_sim_options(*cmd, opts->sim);
  cmd->callback([&run, opts] { run = [opts] { return run_scenario(*opts); }; });
}

}  // namespace synack::cli
