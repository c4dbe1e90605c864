#include <array>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/scenario.h"

namespace synack::sim::scenarios {

std::span<const Scenario* const> all() {
  static const std::array<const Scenario*, 6> kAll = {
      &syn_lost(), &synack_lost(),        &final_ack_lost(),
      &fin_lost(), &simultaneous_close(), &close_wait_leak(),
  };
  return kAll;
}

const Scenario* find(std::string_view name) {
  for (const Scenario* s : all())
    if (s->name == name) return s;
  return nullptr;
}

}  // namespace synack::sim::scenarios
