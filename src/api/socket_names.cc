// getsockname() / getpeername(): the addresses behind a descriptor, with Linux's errno order.
//
// Linux __sys_getsockname()/__sys_getpeername() look the descriptor up (EBADF, ENOTSOCK), ask
// the protocol for the address (inet_getname(): getpeername on a socket with no peer, or in
// CLOSE or SYN-SENT, is ENOTCONN) and only then copy it out (move_addr_to_user(): EFAULT for a
// bad length pointer, EINVAL for a negative length, at most *len bytes copied, the full
// length reported). So a null buffer with a zero length is not an error, unlike accept(),
// which skips the copy entirely when the buffer is null.
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "api/sockets_impl.h"

namespace synack {

namespace {

long copy_out(const Endpoint& e, sockaddr* addr, socklen_t* len) {
  if (len == nullptr) return -EFAULT;
  if (static_cast<int>(*len) < 0) return -EINVAL;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(e.port);
  sin.sin_addr.s_addr = htonl(e.addr.value());
  const size_t n = std::min<size_t>(*len, sizeof sin);
  if (n > 0) {
    if (addr == nullptr) return -EFAULT;
    std::memcpy(addr, &sin, n);
  }
  *len = sizeof sin;
  return 0;
}

}  // namespace

long SocketsImpl::getname(int fd, sockaddr* addr, socklen_t* len, bool peer) {
  long e = 0;
  const Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  const auto info = stack_.info(d->sid);
  if (!info) return -info.error();
  if (!peer) return copy_out(info->local, addr, len);
  const tcp::State s = info->state;
  if (info->remote.port == 0 || s == tcp::State::kClosed || s == tcp::State::kSynSent ||
      s == tcp::State::kListen) {
    return -ENOTCONN;
  }
  return copy_out(info->remote, addr, len);
}

}  // namespace synack
