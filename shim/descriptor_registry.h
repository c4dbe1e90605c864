// Which real descriptor numbers of the process belong to which shim host.
//
// The getsockopt interposer (getsockopt_interposer.cc) is reached by a plain libc call on a
// descriptor number, with no userdata; this process-wide table tells it whether that number
// is a synack socket and of which host. Hosts add a descriptor when they hand it out and
// remove it when it is closed. Thread-safe (one mutex; never held while calling a host).
#pragma once

namespace synack::shim {

class ShimHost;

void register_descriptor(int fd, ShimHost* host);
void unregister_descriptor(int fd);
// Every descriptor of `host` (its end of life).
void unregister_host(ShimHost* host);
// The host owning `fd`, or nullptr.
ShimHost* host_of_descriptor(int fd);

}  // namespace synack::shim
