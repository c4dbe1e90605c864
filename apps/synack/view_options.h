// Looking inside a running scenario: `--at T` with the views of SPEC §16.2–16.3 (`--ss`,
// `--states`, `--proc-net-tcp`, `--sockstat`, `--nstat`), `--chart FILE` (per-state counts
// over time as SVG) and the progress line on a terminal. Shared by `synack sim run` and the
// `synack ss` / `synack nstat` shortcuts.
//
// Why an Observer (sim/scenarios/scenario.h) and not a flag inside each scenario: scenarios
// stay stories with checks; the rig stops between events at the times the observer asks for
// and hands it both Stacks, and the observer formats with src/stack/views/. Looking changes
// nothing in the run, so a scenario's outcome is the same with or without these options.
//
// Time syntax for --at: a number with a unit, "30s", "1500ms", "2m", "0.5s", "1h".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <synack/time.h>
#include <CLI/CLI.hpp>

#include "sim/scenarios/scenario.h"
#include "tcp/state.h"

namespace synack::cli {

struct ViewOptions {
  std::vector<std::string> at;  // as typed; parse_times() checks them
  bool ss = false;
  bool states = false;
  bool proc_net_tcp = false;
  bool sockstat = false;
  bool nstat = false;
  std::string chart;  // empty: no chart
  [[nodiscard]] bool any_view() const { return ss || states || proc_net_tcp || sockstat || nstat; }
};

// Registers --at, the view flags and --chart on `cmd`.
void add_view_options(CLI::App& cmd, ViewOptions& opts);

// "30s" -> 30 s; nullopt for anything else (no unit, negative, unknown unit, overflow).
std::optional<Duration> parse_sim_time(std::string_view text);

// Checks the options; on error prints "synack <command>: ..." and returns false (exit 2).
bool check_view_options(const ViewOptions& opts, std::string_view command);

// The observer a run uses: collects the views at each --at time, samples the chart, and shows
// progress on stderr when it is a terminal. Call text()/chart_svg() after the run.
class ViewObserver final : public sim::scenarios::Observer {
 public:
  ViewObserver(const ViewOptions& opts, std::string scenario);
  [[nodiscard]] Instant next_look() const override;
  void look(Instant at, const Stack& client, const Stack& server) override;
  void finished(Instant now, const Stack& client, const Stack& server) override;
  void stepped(Instant now, uint64_t events) override;

  // Every view asked for, in time order, host by host.
  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] std::string chart_svg() const;

 private:
  void views_at(Instant at, const Stack& client, const Stack& server, std::string_view note);
  void sample(Instant at, const Stack& client, const Stack& server);
  void clear_progress();

  const ViewOptions& opts_;
  std::string scenario_;
  std::vector<Instant> times_;  // sorted
  size_t next_time_ = 0;
  std::string text_;
  // Chart: samples every chart_step_, halved in number (step doubled) past kMaxSamples.
  bool charting_ = false;
  Duration chart_step_ = Duration::millis(100);
  Instant next_sample_;
  std::vector<Instant> sample_at_;
  std::vector<std::array<uint32_t, tcp::kStateCount>> client_counts_;
  std::vector<std::array<uint32_t, tcp::kStateCount>> server_counts_;
  // Progress.
  bool progress_ = false;
  bool progress_shown_ = false;
  int64_t started_wall_ns_ = 0;
  int64_t last_wall_ns_ = 0;
};

}  // namespace synack::cli
