// The kernel side of a TUN for `synack serve/connect --kernel-addr`: give the interface an
// address and bring it up, with the same ioctls `ip addr add` / `ip link set up` end in
// (SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFFLAGS on an AF_INET socket; net/ipv4/devinet.c
// devinet_ioctl), so no `ip` binary is needed.
//
// Why in the CLI and not in link/tun_device.h: the library never changes a network
// configuration by itself (tun_device.h). A command the user runs with --kernel-addr asks for
// it explicitly — and it only ever touches the TUN that command created, in whatever network
// namespace the command runs in.
#pragma once

#include <string>

#include "wire/ipv4_address.h"

namespace synack::cli {

// Empty on success, else a sentence naming the failed step and strerror.
std::string configure_kernel_side(const std::string& ifname, wire::Ipv4Address kernel_addr,
                                  int prefix_len);

}  // namespace synack::cli
