// packetdrill_interface_init and the 33 slots it fills: thin trampolines from packetdrill's
// calling convention (userdata first, C varargs for fcntl/ioctl) to a ShimHost.
//
// pipe() and splice() answer ENOSYS: synack has no pipes, and the scripts this shim is meant
// for (connection management) do not use them.
#include <fcntl.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "extra_sockopts.h"
#include "interface.h"
#include "shim_flags.h"
#include "shim_host.h"

namespace synack::shim {
namespace {

ShimHost& host(void* u) {
  return *static_cast<ShimHost*>(u);
}
Sockets& net(void* u) {
  return host(u).sockets();
}

// Every socket call goes through here so its thread's next clock read is its return time.
template <class R>
R returned(void* u, R result) {
  host(u).note_return();
  return result;
}

void free_host(void* u) {
  delete static_cast<ShimHost*>(u);
}

int no_pipes(void*, int*) {
  errno = ENOSYS;
  return -1;
}
int no_splice(void*, int, loff_t*, int, loff_t*, size_t, unsigned int) {
  errno = ENOSYS;
  return -1;
}

int fcntl_slot(void* u, int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  int arg = 0;
  // Only the commands that take an int read one (F_GETFL / F_GETFD pass nothing).
  if (cmd == F_SETFL || cmd == F_SETFD) arg = va_arg(ap, int);
  va_end(ap);
  return returned(u, net(u).fcntl(fd, cmd, arg));
}

int ioctl_slot(void* u, int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  int* arg = va_arg(ap, int*);
  va_end(ap);
  return returned(u, net(u).ioctl(fd, request, arg));
}

}  // namespace
}  // namespace synack::shim

extern "C" void packetdrill_interface_init(const char* flags,
                                           synack::shim::PacketdrillInterface* ifc) {
  using namespace synack::shim;
  auto parsed = parse_shim_flags(flags == nullptr ? std::string_view() : std::string_view(flags));
  if (!parsed) {
    // packetdrill offers no way to report a failed init: say why and stop, as it does itself
    // for a library it cannot load.
    std::fprintf(stderr, "synack shim: %s\n", parsed.error().c_str());
    std::exit(EXIT_FAILURE);
  }
  *ifc = PacketdrillInterface{};
  ifc->userdata = new ShimHost(*parsed);
  ifc->free = free_host;
  ifc->socket = [](void* u, int d, int t, int p) { return returned(u, host(u).socket(d, t, p)); };
  ifc->bind = [](void* u, int fd, const sockaddr* a, socklen_t l) {
    return returned(u, net(u).bind(fd, a, l));
  };
  ifc->listen = [](void* u, int fd, int b) { return returned(u, net(u).listen(fd, b)); };
  ifc->accept = [](void* u, int fd, sockaddr* a, socklen_t* l) {
    return returned(u, net(u).accept(fd, a, l));
  };
  ifc->connect = [](void* u, int fd, const sockaddr* a, socklen_t l) {
    return returned(u, net(u).connect(fd, a, l));
  };
  ifc->read = [](void* u, int fd, void* b, size_t n) { return returned(u, net(u).read(fd, b, n)); };
  ifc->readv = [](void* u, int fd, const iovec* v, int n) {
    return returned(u, net(u).readv(fd, v, n));
  };
  ifc->recv = [](void* u, int fd, void* b, size_t n, int f) {
    return returned(u, net(u).recv(fd, b, n, f));
  };
  ifc->recvfrom = [](void* u, int fd, void* b, size_t n, int f, sockaddr* a, socklen_t* l) {
    return returned(u, net(u).recvfrom(fd, b, n, f, a, l));
  };
  ifc->recvmsg = [](void* u, int fd, msghdr* m, int f) {
    return returned(u, net(u).recvmsg(fd, m, f));
  };
  ifc->write = [](void* u, int fd, const void* b, size_t n) {
    return returned(u, net(u).write(fd, b, n));
  };
  ifc->writev = [](void* u, int fd, const iovec* v, int n) {
    return returned(u, net(u).writev(fd, v, n));
  };
  ifc->send = [](void* u, int fd, const void* b, size_t n, int f) {
    return returned(u, net(u).send(fd, b, n, f));
  };
  ifc->sendto = [](void* u, int fd, const void* b, size_t n, int f, const sockaddr* a,
                   socklen_t l) { return returned(u, net(u).sendto(fd, b, n, f, a, l)); };
  ifc->sendmsg = [](void* u, int fd, const msghdr* m, int f) {
    return returned(u, net(u).sendmsg(fd, m, f));
  };
  ifc->fcntl = fcntl_slot;
  ifc->ioctl = ioctl_slot;
  ifc->close = [](void* u, int fd) { return returned(u, net(u).close(fd)); };
  ifc->shutdown = [](void* u, int fd, int how) { return returned(u, net(u).shutdown(fd, how)); };
  ifc->getsockopt = [](void* u, int fd, int level, int name, void* v, socklen_t* l) {
    return returned(u, shim_getsockopt(net(u), fd, level, name, v, l));
  };
  ifc->setsockopt = [](void* u, int fd, int level, int name, const void* v, socklen_t l) {
    return returned(u, net(u).setsockopt(fd, level, name, v, l));
  };
  ifc->poll = [](void* u, pollfd* f, nfds_t n, int t) { return returned(u, net(u).poll(f, n, t)); };
  ifc->netdev_send = [](void* u, const void* b, size_t n) { return host(u).netdev_send(b, n); };
  ifc->netdev_receive = [](void* u, void* b, size_t* n, long long* t) {
    return host(u).netdev_receive(b, n, t);
  };
  ifc->usleep = [](void* u, useconds_t us) { return host(u).usleep(us); };
  ifc->gettimeofday = [](void* u, timeval* tv, void*) { return host(u).gettimeofday(tv); };
  ifc->epoll_create = [](void* u, int size) { return returned(u, net(u).epoll_create(size)); };
  ifc->epoll_ctl = [](void* u, int epfd, int op, int fd, epoll_event* e) {
    return returned(u, net(u).epoll_ctl(epfd, op, fd, e));
  };
  ifc->epoll_wait = [](void* u, int epfd, epoll_event* e, int n, int t) {
    return returned(u, net(u).epoll_wait(epfd, e, n, t));
  };
  ifc->pipe = no_pipes;
  ifc->splice = no_splice;
}
