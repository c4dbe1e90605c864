// The LD_PRELOAD half of the library: packetdrill's inline TCP_INFO checks call the real
// getsockopt() (TCP_INFO, TCP_CC_INFO, SO_MEMINFO: extra_sockopts.h) on the descriptor a
// script's socket() returned, bypassing the interface table.
// Preloading this library puts this definition ahead of libc's: a descriptor a ShimHost
// handed out is answered by that host's facade (TCP_INFO and every other option it knows);
// any other descriptor goes to the next definition in the lookup order (libc's), found once
// with dlsym(RTLD_NEXT).
//
// packetdrill dlopen()s the same file it was preloaded from, so both uses share one copy of
// the descriptor registry.
#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>

#include "descriptor_registry.h"
#include "extra_sockopts.h"
#include "shim_host.h"

extern "C" __attribute__((visibility("default"))) int getsockopt(int fd, int level, int name,
                                                                 void* value,
                                                                 socklen_t* len) noexcept {
  if (synack::shim::ShimHost* h = synack::shim::host_of_descriptor(fd))
    return synack::shim::shim_getsockopt(h->sockets(), fd, level, name, value, len);
  using Real = int (*)(int, int, int, void*, socklen_t*);
  static const Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getsockopt"));
  if (real == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return real(fd, level, name, value, len);
}
