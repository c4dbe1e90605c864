#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "synack — a user-space TCP/IPv4 stack you can watch.\n"
      "Runs TCP between simulated hosts in virtual time and shows every segment, state and "
      "counter.\nRun 'synack demo' to start, or 'synack <command> --help' for any command."};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "synack 0.1.0");

  synack::cli::Runner run;
  synack::cli::register_demo(app, run);
  synack::cli::register_pcap(app, run);
  synack::cli::register_sysctl(app, run);
  synack::cli::register_sim(app, run);
  synack::cli::register_views(app, run);
  synack::cli::register_serve(app, run);
  synack::cli::register_connect(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version with exit 0 and usage errors with its own code; map every
    // usage error to our convention (2 = bad input).
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!run) return 2;
  return run();
}
