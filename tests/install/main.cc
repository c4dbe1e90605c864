// Uses the installed headers and libraries; exits non-zero if anything is wrong.
#include <synack/socket.h>
#include <synack/time.h>

#include <cstdint>
#include <cstdio>
#include <span>

#include "api/threaded_driver.h"
#include "base/rng.h"
#include "stack/stack.h"
#include "wire/ipv4_address.h"

namespace {
struct NoOutput final : synack::PacketOutput {
  void transmit(std::span<const uint8_t>, synack::Instant) override {}
};
}  // namespace

int main() {
  using namespace synack::literals;
  synack::Rng rng{1};
  const auto addr = synack::wire::Ipv4Address::parse("10.0.0.1");
  if (!addr) {
    std::puts("installed synack is broken");
    return 1;
  }
  bool ok = synack::wire::to_string(*addr) == "10.0.0.1" &&
            synack::to_string(1500_ms) == "1.500000s" && rng.below(10) < 10;
  // The socket facade: a descriptor from the installed synack::api.
  NoOutput out;
  synack::Stack stack{synack::StackConfig{.address = *addr}, 1, out};
  synack::api::ThreadedDriver driver{stack};
  synack::Sockets net{stack, driver};
  const bool sockets_ok = net.socket(AF_INET, SOCK_STREAM, 0) == 3;
  ok = ok && sockets_ok;
  std::puts(ok ? "installed synack works" : "installed synack is broken");
  return ok ? 0 : 1;
}
