// --so_flags for the packetdrill shim: "key=value" words separated by spaces or commas.
//
//   local=192.168.0.1   this host's address (packetdrill's default --local_ip)
//   mtu=1500            the link MTU (MSS advertised = mtu - 40)
//   seed=1              the stack's random seed (ISNs, ports): same seed, same run
//   sysctls=0           do not read /proc/sys at socket() time (default 1)
//
// Parsing is separate from the host so a test can check it without a stack.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "wire/ipv4_address.h"

namespace synack::shim {

struct ShimFlags {
  wire::Ipv4Address local = wire::Ipv4Address::from_octets(192, 168, 0, 1);
  uint32_t mtu = 1500;
  uint64_t seed = 1;
  bool read_proc_sysctls = true;
};

// The flags, or a message naming the first word that is not understood.
Result<ShimFlags, std::string> parse_shim_flags(std::string_view text);

}  // namespace synack::shim
