// The table of entry points packetdrill's shared-object mode loads (`--so_filename`).
//
// packetdrill dlopen()s the library, calls `packetdrill_interface_init(flags, &table)` once and
// from then on makes every socket call of the script, every packet it injects or sniffs, and
// every clock read or sleep through this table instead of the kernel. The table is a plain
// list of 33 pointer-sized slots in a fixed order; only the order and the signatures matter
// (each function takes the `userdata` slot first, then libc's arguments, and returns -1 with
// errno set on error). Declared here in our own words, kept as a C-layout struct.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>

namespace synack::shim {

struct PacketdrillInterface {
  void* userdata;
  void (*free)(void* u);
  int (*socket)(void* u, int domain, int type, int protocol);
  int (*bind)(void* u, int fd, const sockaddr* addr, socklen_t len);
  int (*listen)(void* u, int fd, int backlog);
  int (*accept)(void* u, int fd, sockaddr* addr, socklen_t* len);
  int (*connect)(void* u, int fd, const sockaddr* addr, socklen_t len);
  ssize_t (*read)(void* u, int fd, void* buf, size_t count);
  ssize_t (*readv)(void* u, int fd, const iovec* iov, int iovcnt);
  ssize_t (*recv)(void* u, int fd, void* buf, size_t len, int flags);
  ssize_t (*recvfrom)(void* u, int fd, void* buf, size_t len, int flags, sockaddr* src,
                      socklen_t* srclen);
  ssize_t (*recvmsg)(void* u, int fd, msghdr* msg, int flags);
  ssize_t (*write)(void* u, int fd, const void* buf, size_t count);
  ssize_t (*writev)(void* u, int fd, const iovec* iov, int iovcnt);
  ssize_t (*send)(void* u, int fd, const void* buf, size_t len, int flags);
  ssize_t (*sendto)(void* u, int fd, const void* buf, size_t len, int flags, const sockaddr* dst,
                    socklen_t dstlen);
  ssize_t (*sendmsg)(void* u, int fd, const msghdr* msg, int flags);
  int (*fcntl)(void* u, int fd, int cmd, ...);                // third argument: int
  int (*ioctl)(void* u, int fd, unsigned long request, ...);  // third argument: int*
  int (*close)(void* u, int fd);
  int (*shutdown)(void* u, int fd, int how);
  int (*getsockopt)(void* u, int fd, int level, int name, void* value, socklen_t* len);
  int (*setsockopt)(void* u, int fd, int level, int name, const void* value, socklen_t len);
  int (*poll)(void* u, pollfd* fds, nfds_t nfds, int timeout_ms);
  // One raw IPv4 packet (no link header) into the stack; 0 even when the stack drops it.
  int (*netdev_send)(void* u, const void* buf, size_t count);
  // The next raw IPv4 packet the stack emitted and when (microseconds, gettimeofday's clock).
  // *count is the buffer size on entry, the packet length on return; 0 means "nothing will
  // ever come".
  int (*netdev_receive)(void* u, void* buf, size_t* count, long long* time_usecs);
  int (*usleep)(void* u, useconds_t usec);
  int (*gettimeofday)(void* u, timeval* tv, void* tz);
  int (*epoll_create)(void* u, int size);
  int (*epoll_ctl)(void* u, int epfd, int op, int fd, epoll_event* event);
  int (*epoll_wait)(void* u, int epfd, epoll_event* events, int maxevents, int timeout_ms);
  int (*pipe)(void* u, int fds[2]);
  int (*splice)(void* u, int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
                unsigned int flags);
};
static_assert(sizeof(PacketdrillInterface) == 33 * sizeof(void*));

}  // namespace synack::shim

extern "C" {
// The one symbol packetdrill looks up. Fills every slot; `flags` is --so_flags (may be null).
__attribute__((visibility("default"))) void packetdrill_interface_init(
    const char* flags, synack::shim::PacketdrillInterface* ifc);
}
