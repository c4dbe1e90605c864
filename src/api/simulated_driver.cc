#include "api/simulated_driver.h"

namespace synack::api {

bool SimulatedDriver::wait(const std::function<bool()>& ready, Instant deadline) {
  sim_.poke(host_);
  if (ready()) return true;
  if (sim_.now() >= deadline) return false;
  if (!deadline.is_infinite()) sim_.at(deadline, [](Instant) {});
  while (sim_.step()) {
    if (ready()) return true;
    sim_.poke(host_);  // evaluating the condition may have changed the stack (linger_done)
    if (sim_.now() >= deadline) return false;
  }
  return false;  // nothing is left to happen: the condition can never hold
}

}  // namespace synack::api
