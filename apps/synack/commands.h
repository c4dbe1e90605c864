// The synack command-line tool: each subcommand registers itself on the CLI11 app from its
// own file (cmd_*.cc) and returns the process exit status when it runs.
//
// Exit status convention (used by every subcommand): 0 success / expected outcome,
// 1 the run finished but the expected outcome did not happen, 2 bad input (arguments, files).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace synack::cli {

// Set by a subcommand's callback; main() returns it.
using Runner = std::function<int()>;

void register_demo(CLI::App& app, Runner& run);
void register_pcap(CLI::App& app, Runner& run);
void register_sysctl(CLI::App& app, Runner& run);
void register_sim(CLI::App& app, Runner& run);
// `synack ss` and `synack nstat` (cmd_sim.cc): views of a scenario at a simulated time.
void register_views(CLI::App& app, Runner& run);
// `synack serve` and `synack connect` (cmd_serve.cc, cmd_connect.cc): synack on a TUN device.
void register_serve(CLI::App& app, Runner& run);
void register_connect(CLI::App& app, Runner& run);

}  // namespace synack::cli
