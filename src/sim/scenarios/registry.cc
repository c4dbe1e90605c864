#include <array>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/scenario.h"

namespace synack::sim::scenarios {

std::span<const Scenario* const> all() {
  static const std::array<const Scenario*, 3> kAll = {
      &syn_lost(),
      &synack_lost(),
      &fin_lost(),
  };
  return kAll;
}

const Scenario* find(std::string_view name) {
  for (const Scenario* s : all())
    if (s->name == name) return s;
  return nullptr;
}

}  // namespace synack::sim::scenarios
