// Uses the installed headers and libraries; exits non-zero if anything is wrong.
#include <synack/time.h>

#include <cstdio>

#include "base/rng.h"
#include "wire/ipv4_address.h"

int main() {
  using namespace synack::literals;
  synack::Rng rng{1};
  const auto addr = synack::wire::Ipv4Address::parse("10.0.0.1");
  const bool ok = addr && synack::wire::to_string(*addr) == "10.0.0.1" &&
                  synack::to_string(1500_ms) == "1.500000s" && rng.below(10) < 10;
  std::puts(ok ? "installed synack works" : "installed synack is broken");
  return ok ? 0 : 1;
}
