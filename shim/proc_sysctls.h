// Sysctls from the network namespace's /proc/sys, for the packetdrill shim.
//
// packetdrill scripts change settings with shell commands (`sysctl -q net.ipv4.tcp_sack=0`)
// that write the namespace's /proc/sys, not synack. The shim therefore copies them in at
// every socket() call, as the kernel would read them when the socket is created: for each
// name in synack's registry that has a Linux file (net.*; the synack.* entries have none),
// the file's text is parsed as `sysctl -w` would be. A file that is missing, unreadable or
// holds a value synack rejects leaves that setting as it was — the shim must keep working in
// a namespace with a different kernel.
#pragma once

#include <string>

#include "stack/sysctl.h"

namespace synack::shim {

// How many settings changed; `root` is "/proc/sys" except in tests.
int load_proc_sysctls(stack::Sysctls& target, const std::string& root = "/proc/sys");

}  // namespace synack::shim
