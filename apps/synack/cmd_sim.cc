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
#include "view_options.h"

namespace synack::cli {
namespace {

namespace sc = sim::scenarios;

struct SimRunOptions {
  SimOptions sim;
  ViewOptions views;
  std::string name;
  // `synack ss` / `synack nstat`: print only the views (no story text, no outcome line).
  bool views_only = false;
  std::string command = "sim run";
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
    fmt::print(stderr, "synack {}: unknown scenario '{}'; the scenarios are:\n{}", o.command,
               o.name, names());
    return 2;
  }
  if (!check_view_options(o.views, o.command)) return 2;
  SimOptions opts = o.sim;
  std::vector<std::string> sysctls;
  for (const auto& [name, value] : scenario->default_sysctls)
    sysctls.push_back(fmt::format("{}={}", name, value));
  sysctls.insert(sysctls.end(), opts.sysctls.begin(), opts.sysctls.end());
  opts.sysctls = std::move(sysctls);
  const std::optional<stack::Sysctls> sys = build_sysctls(opts, o.command);
  if (!sys) return 2;
  ViewObserver observer(o.views, std::string(scenario->name));

  std::string json;
  std::string svg;
  sc::RunContext ctx{.seed = o.sim.seed,
                     .sysctls = *sys,
                     .pcap = o.sim.pcap,
                     .json = o.sim.trace.empty() ? nullptr : &json,
                     .quiet = o.sim.quiet || o.views_only,
                     .svg = o.sim.svg.empty() ? nullptr : &svg,
                     .observer = &observer};
  const sc::Outcome outcome = scenario->run(ctx);
  if (outcome.setup_failed) {
    fmt::print(stderr, "synack sim run: {}: {}\n", scenario->name, outcome.summary);
    return 2;
  }
  if (!o.sim.trace.empty() && !write_text_file(o.sim.trace, json, "sim run")) return 2;
  if (!o.sim.svg.empty() && !write_text_file(o.sim.svg, svg, "sim run")) return 2;
  if (!o.views.chart.empty() && !write_text_file(o.views.chart, observer.chart_svg(), o.command))
    return 2;
  if (o.views_only) {
    fmt::print("{}", observer.text());
    if (!outcome.ok)
      fmt::print(stderr, "synack {} {}: FAILED: {}\n", o.command, o.name, outcome.summary);
    return outcome.ok ? 0 : 1;
  }

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
    fmt::print("link     : {}\n\n{}\n", scenario->link, outcome.report);
  }
  if (!observer.text().empty()) fmt::print("{}\n", observer.text());
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
  add_view_options(*cmd, opts->views);
  cmd->callback([&run, opts] { run = [opts] { return run_scenario(*opts); }; });
}

// `synack ss NAME --at T` and `synack nstat NAME --at T`: shortcuts for
// `synack sim run NAME --at T --ss` (--nstat) that print only the views.
void register_views(CLI::App& app, Runner& run) {
  struct Shortcut {
    const char* name;
    const char* help;
    bool ViewOptions::*view;
  };
  static const Shortcut kShortcuts[] = {
      {"ss",
       "Run a scenario and print each host's sockets as `ss -tan` does at simulated time T "
       "(--at, repeatable): 'synack ss close-wait-leak --at 30s'. Other views (--states, "
       "--proc-net-tcp, --sockstat, --nstat) may be added. Same as 'synack sim run NAME --at T "
       "--ss' without the story's text. Exit status as 'sim run'",
       &ViewOptions::ss},
      {"nstat",
       "Run a scenario and print each host's counters as `nstat -az` does at simulated time T "
       "(--at, repeatable): 'synack nstat syn-lost --at 10s'. Same as 'synack sim run NAME --at T "
       "--nstat' without the story's text. Exit status as 'sim run'",
       &ViewOptions::nstat},
  };
  for (const Shortcut& s : kShortcuts) {
    auto opts = std::make_shared<SimRunOptions>();
    opts->views_only = true;
    opts->command = s.name;
    CLI::App* cmd = app.add_subcommand(s.name, s.help);
    cmd->add_option("NAME", opts->name, "The scenario, as 'synack sim list' prints it")->required();
    add_sim_options(*cmd, opts->sim);
    add_view_options(*cmd, opts->views);
    cmd->get_option("--at")->required();
    const auto view = s.view;
    cmd->callback([&run, opts, view] {
      (*opts).views.*view = true;
      run = [opts] { return run_scenario(*opts); };
    });
  }
}

}  // namespace synack::cli
