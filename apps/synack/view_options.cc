#include "view_options.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "sim/state_chart_svg.h"
#include "stack/counters_format.h"
#include "stack/stack.h"
#include "stack/views/socket_views.h"

namespace synack::cli {
namespace {

constexpr size_t kMaxSamples = 2000;
constexpr int64_t kProgressEveryNs = 250'000'000;  // at most 4 refreshes a second

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string time_text(Instant t) {
  return fmt::format("{} s", to_string(t));
}

}  // namespace

std::optional<Duration> parse_sim_time(std::string_view text) {
  size_t unit_at = 0;
  while (unit_at < text.size() &&
         ((text[unit_at] >= '0' && text[unit_at] <= '9') || text[unit_at] == '.'))
    ++unit_at;
  const std::string_view number = text.substr(0, unit_at);
  const std::string_view unit = text.substr(unit_at);
  if (number.empty() || number == ".") return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  double ns_per_unit = 0;
  if (unit == "ms") {
    ns_per_unit = 1e6;
  } else if (unit == "s") {
    ns_per_unit = 1e9;
  } else if (unit == "m" || unit == "min") {
    ns_per_unit = 60e9;
  } else if (unit == "h") {
    ns_per_unit = 3600e9;
  } else {
    return std::nullopt;
  }
  const double ns = std::round(value * ns_per_unit);
  if (!(ns >= 0) || ns > 9.0e18) return std::nullopt;  // also rejects NaN
  return Duration::nanos(static_cast<int64_t>(ns));
}

void add_view_options(CLI::App& cmd, ViewOptions& opts) {
  cmd.add_option("--at", opts.at,
                 "Look at both hosts at simulated time T (e.g. 30s, 1500ms, 2m) and print the "
                 "views asked for. Repeatable")
      ->option_text("T")
      ->allow_extra_args(false);
  cmd.add_flag("--ss", opts.ss, "At each --at time: the sockets as `ss -tan` prints them");
  cmd.add_flag("--states", opts.states,
               "At each --at time: connections per state, as the one-liner `netstat -n | awk "
               "'/^tcp/ {++s[$NF]} END {for (k in s) print k, s[k]}'` prints them");
  cmd.add_flag("--proc-net-tcp", opts.proc_net_tcp,
               "At each --at time: the sockets as /proc/net/tcp lists them");
  cmd.add_flag("--sockstat", opts.sockstat,
               "At each --at time: the TCP line of /proc/net/sockstat");
  cmd.add_flag("--nstat", opts.nstat,
               "At each --at time: every counter as `nstat -az` prints it (values since the "
               "start)");
  cmd.add_option("--chart", opts.chart,
                 "Draw the number of sockets in each state over simulated time, per host, to "
                 "FILE as an SVG line chart")
      ->option_text("FILE");
}

bool check_view_options(const ViewOptions& opts, std::string_view command) {
  bool ok = true;
  for (const std::string& t : opts.at) {
    if (!parse_sim_time(t)) {
      fmt::print(stderr,
                 "synack {}: --at {}: not a time; write a number and a unit: 30s, 1500ms, 2m, "
                 "1h\n",
                 command, t);
      ok = false;
    }
  }
  if (!opts.at.empty() && !opts.any_view()) {
    fmt::print(stderr,
               "synack {}: --at needs a view to print: --ss, --states, --proc-net-tcp, "
               "--sockstat or --nstat\n",
               command);
    ok = false;
  }
  if (opts.at.empty() && opts.any_view()) {
    fmt::print(stderr, "synack {}: the views need a time: add --at T (e.g. --at 30s)\n", command);
    ok = false;
  }
  return ok;
}

ViewObserver::ViewObserver(const ViewOptions& opts, std::string scenario)
    : opts_(opts), scenario_(std::move(scenario)) {
  for (const std::string& t : opts.at)
    if (auto d = parse_sim_time(t)) times_.push_back(Instant::zero() + *d);
  std::sort(times_.begin(), times_.end());
  times_.erase(std::unique(times_.begin(), times_.end()), times_.end());
  charting_ = !opts.chart.empty();
  progress_ = isatty(STDERR_FILENO) != 0;
  started_wall_ns_ = last_wall_ns_ = wall_ns();
}

Instant ViewObserver::next_look() const {
  Instant next = next_time_ < times_.size() ? times_[next_time_] : Instant::infinite();
  if (charting_) next = std::min(next, next_sample_);
  return next;
}

void ViewObserver::look(Instant at, const Stack& client, const Stack& server) {
  if (charting_ && at >= next_sample_) sample(at, client, server);
  if (next_time_ < times_.size() && times_[next_time_] <= at) {
    views_at(at, client, server, "");
    ++next_time_;
  }
}

void ViewObserver::finished(Instant now, const Stack& client, const Stack& server) {
  clear_progress();
  if (charting_) sample(now, client, server);
  for (; next_time_ < times_.size(); ++next_time_) {
    const Instant at = std::max(times_[next_time_], now);
    views_at(at, client, server,
             times_[next_time_] > now
                 ? fmt::format(" (the story ended at {}; nothing changes after it)", time_text(now))
                 : std::string());
  }
}

void ViewObserver::views_at(Instant at, const Stack& client, const Stack& server,
                            std::string_view note) {
  struct Host {
    const char* name;
    const Stack& stack;
  };
  for (const Host h : {Host{"client 10.0.0.1", client}, Host{"server 10.0.0.2", server}}) {
    const auto rows = h.stack.snapshot(at);
    auto block = [&](std::string_view what, const std::string& body) {
      text_ += fmt::format("--- {} at {}{}: {}\n{}", h.name, time_text(at), note, what, body);
      if (!body.empty() && body.back() != '\n') text_ += '\n';
    };
    if (opts_.ss) block("ss -tan", views::format_ss(rows));
    if (opts_.states)
      block("netstat -n | awk (connections per state)", views::format_state_counts(rows));
    if (opts_.proc_net_tcp) block("/proc/net/tcp", views::format_proc_net_tcp(rows));
    if (opts_.sockstat) block("/proc/net/sockstat", views::format_sockstat(rows));
    if (opts_.nstat) {
      stack::NstatOptions nstat;
      nstat.zeros = true;
      block("nstat -az", stack::format_nstat(h.stack.counters(), nstat));
    }
  }
}

void ViewObserver::sample(Instant at, const Stack& client, const Stack& server) {
  auto counts = [&](const Stack& s) {
    const views::StateCounts c = views::count_states(s.snapshot(at));
    std::array<uint32_t, tcp::kStateCount> a{};
    std::copy(std::begin(c.by_state), std::end(c.by_state), a.begin());
    return a;
  };
  if (!sample_at_.empty() && sample_at_.back() == at) return;
  sample_at_.push_back(at);
  client_counts_.push_back(counts(client));
  server_counts_.push_back(counts(server));
  next_sample_ = at + chart_step_;
  if (sample_at_.size() > kMaxSamples) {
    // Keep every other sample and sample half as often: bounded memory for any run length.
    size_t w = 0;
    for (size_t r = 0; r < sample_at_.size(); r += 2, ++w) {
      sample_at_[w] = sample_at_[r];
      client_counts_[w] = client_counts_[r];
      server_counts_[w] = server_counts_[r];
    }
    sample_at_.resize(w);
    client_counts_.resize(w);
    server_counts_.resize(w);
    chart_step_ = chart_step_ * 2;
    next_sample_ = sample_at_.back() + chart_step_;
  }
}

std::string ViewObserver::chart_svg() const {
  std::vector<sim::StateSeries> series(2);
  series[0].host = "client 10.0.0.1";
  series[1].host = "server 10.0.0.2";
  for (size_t i = 0; i < sample_at_.size(); ++i) {
    series[0].samples.push_back({sample_at_[i], client_counts_[i]});
    series[1].samples.push_back({sample_at_[i], server_counts_[i]});
  }
  return sim::state_chart_svg(series,
                              fmt::format("synack sim run {}: sockets per state", scenario_));
}

void ViewObserver::stepped(Instant now, uint64_t events) {
  if (!progress_ || (events & 1023) != 0) return;
  const int64_t w = wall_ns();
  if (w - last_wall_ns_ < kProgressEveryNs) return;
  last_wall_ns_ = w;
  const double secs = static_cast<double>(w - started_wall_ns_) / 1e9;
  fmt::print(stderr, "\r\033[K{}: simulated {}, {} events, {:.0f} events/s", scenario_,
             time_text(now), events, secs > 0 ? static_cast<double>(events) / secs : 0.0);
  std::fflush(stderr);
  progress_shown_ = true;
}

void ViewObserver::clear_progress() {
  if (!progress_shown_) return;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
  progress_shown_ = false;
}

}  // namespace synack::cli
