// Scenario: one replayable TCP story of SPEC §17, run on two real synack Stacks in simulated
// time, that checks its own expected outcome.
//
// Why a plain struct with a function pointer rather than a class hierarchy: a scenario has no
// state between runs, only a name, words for the user and a run function; a table of such
// values (registry.cc) is the whole catalogue, and `synack sim list` is a loop over it.
//
// What "expected outcome" means: run() measures facts from the run itself — the segments each
// host's event trace saw leave or arrive, the state changes with their times, the socket
// errors the application read — and compares each with what Linux does (SPEC §4–§12). The
// expected values are derived from the settings in force (e.g. the SYN schedule from
// net.ipv4.tcp_syn_retries), never from the engine's own constants, so a changed setting
// changes the expectation and an engine that departs from Linux fails a check. Every check is
// printed with its verdict unless the run is quiet.
//
// Single-threaded; a run builds and destroys its own simulator.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <synack/time.h>

#include "stack/sysctl.h"

namespace synack {
class Stack;
}

namespace synack::sim::scenarios {

// Looks at the hosts while a story runs (`synack sim run --at T --ss`, `--chart`, progress):
// the rig calls look(T, ...) once every event at or before T has been handled and before any
// later one, for each T that next_look() names, and finished() when no event is left.
class Observer {
 public:
  virtual ~Observer() = default;
  // The next simulated time to look at; Instant::infinite() for none.
  [[nodiscard]] virtual Instant next_look() const = 0;
  virtual void look(Instant at, const Stack& client, const Stack& server) = 0;
  // The story ended at `now` (nothing can change any more).
  virtual void finished(Instant now, const Stack& client, const Stack& server) = 0;
  // After every simulator event; `events` counts them from the start.
  virtual void stepped(Instant now, uint64_t events) {
    (void)now;
    (void)events;
  }
};

// What the caller (the CLI, a test) asks of one run.
struct RunContext {
  uint64_t seed = 1;
  stack::Sysctls sysctls;        // applied to both hosts
  std::string pcap;              // empty: no capture
  std::string* json = nullptr;   // not null: every trace event appended as a JSON line
  bool quiet = false;            // true: no ladder or report text is built
  std::string* svg = nullptr;    // not null: the ladder drawn as SVG (sim/ladder_svg.h) goes here
  Observer* observer = nullptr;  // not null: looks at the hosts during the run (above)
};

// One expected fact and whether the run showed it.
struct Check {
  std::string what{};  // "SYN retransmitted at 1, 3, 7 s"
  std::string seen{};  // what the run showed, "1.000000, 3.000000, 7.000000"
  bool ok = false;
};

struct Outcome {
  bool ok = false;            // every check passed
  bool setup_failed = false;  // the run could not start (e.g. the capture cannot be written)
  std::string summary;        // one line: what happened, with its key number
  std::string report{};       // ladder, transitions, checks (empty when quiet)
  std::vector<Check> checks{};
};

struct Scenario {
  std::string_view name;
  std::string_view summary;      // one line for `synack sim list`
  std::string_view explanation;  // one paragraph: what it shows and why
  // Settings the story needs, applied before the user's --sysctl/--sysctl-file (which win).
  std::span<const std::pair<std::string_view, std::string_view>> default_sysctls;
  Outcome (*run)(const RunContext& ctx);
  // The "link" line of `synack sim run`: the hosts and path, for scenarios not on the Rig's
  // one client and one server.
  std::string_view link = "client 10.0.0.1 <-> server 10.0.0.2:80, 10 ms one way";
};

// Every scenario, in the order `synack sim list` prints them.
std::span<const Scenario* const> all();
// nullptr when no scenario has this name.
const Scenario* find(std::string_view name);

}  // namespace synack::sim::scenarios
