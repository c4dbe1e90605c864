// synack::Sockets: the BSD-socket facade over one Stack (issue 5 item 1, SPEC §15).
//
//   sim::StackHost host{...};                      // or any Stack with a driver around it
//   api::SimulatedDriver driver{sim, host_id};     // src/api/simulated_driver.h
//   Sockets net{host.stack(), driver};
//   int fd = net.socket(AF_INET, SOCK_STREAM, 0);
//   net.connect(fd, (sockaddr*)&sin, sizeof sin);  // blocks in the simulator's virtual time
//
// Why it is shaped like this:
//   - The calls are libc's, with libc's types (sockaddr, iovec, msghdr, pollfd, epoll_event)
//     and libc's convention — -1 and `errno` set to Linux's value for that path (SPEC §15.2) —
//     so a program, the packetdrill shim and `synack serve` call them unchanged. Descriptors
//     are small ints handed out lowest free first, as Linux does, from `first_descriptor`.
//   - The Stack underneath never blocks and never reads a clock. Blocking and time are the
//     job of a SocketDriver: now() is the stack's notion of time, wait() lets that time pass
//     until a condition holds. A blocked call therefore resumes when *its* time brings the
//     event: in the simulator at the exact virtual instant, with the thread-safe driver when
//     whoever feeds packets and advances time makes the condition true.
//   - Every call runs under the driver's lock (a no-op for the single-threaded simulator, one
//     mutex for the thread-safe driver), so descriptors can be used from several threads
//     while another thread feeds packets — what a packetdrill-style caller does.
//   - SIGPIPE is never raised: EPIPE is returned with or without MSG_NOSIGNAL. A library must
//     not kill the process that embeds it.
//
// Differences from Linux (each also noted where it is implemented): only AF_INET +
// SOCK_STREAM (TCP); connect(AF_UNSPEC) is EAFNOSUPPORT, not a disconnect; epoll instances
// cannot be nested or polled; shutdown(SHUT_RD) of a listener stops it and leaves the socket
// unbound (Linux keeps a port the user bound); a blocking call that nothing can ever wake
// in a simulation (empty event queue, no timeout) fails with EAGAIN instead of hanging.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>

#include <synack/time.h>

namespace synack {

class Stack;

// How the facade experiences time and waiting. Implementations: api::SimulatedDriver (runs
// the Simulator while a call waits) and api::ThreadedDriver (mutex + condition variable).
class SocketDriver {
 public:
  virtual ~SocketDriver() = default;
  // Held around every facade call; the Stack and the facade's tables are touched only while
  // it is held.
  virtual void lock() = 0;
  virtual void unlock() = 0;
  // The stack's current time (called with the lock held).
  [[nodiscard]] virtual Instant now() = 0;
  // Called with the lock held. Lets the stack's time pass — releasing the lock meanwhile if
  // others may use it — until `ready()` returns true (then true) or now() reaches `deadline`
  // (then false). ready() is only ever evaluated with the lock held. False also when nothing
  // can ever make ready() true (a simulation with no event left).
  [[nodiscard]] virtual bool wait(const std::function<bool()>& ready, Instant deadline) = 0;
  // Called with the lock held after a call changed the stack from outside the driver's loop:
  // its next deadline may have moved and other waiters' conditions may now hold.
  virtual void changed() = 0;
};

struct SocketsOptions {
  int first_descriptor = 3;    // Linux hands out 3 first in a process with stdio open
  int max_descriptors = 1024;  // RLIMIT_NOFILE's usual soft limit: EMFILE at this many
  // When set, descriptor numbers come from here instead (called under the driver's lock;
  // a negative return means EMFILE) and go back through `release_descriptor` on close. For
  // callers whose descriptors must also be real open descriptors of the process, e.g. the
  // packetdrill shim handing out duplicates of /dev/null.
  std::function<int()> allocate_descriptor;
  std::function<void(int)> release_descriptor;
};

class SocketsImpl;

class Sockets {
 public:
  // Both must outlive the facade.
  Sockets(Stack& stack, SocketDriver& driver, SocketsOptions options = {});
  ~Sockets();
  Sockets(const Sockets&) = delete;
  Sockets& operator=(const Sockets&) = delete;

  int socket(int domain, int type, int protocol);
  int bind(int fd, const sockaddr* addr, socklen_t addrlen);
  int listen(int fd, int backlog);
  int accept(int fd, sockaddr* addr, socklen_t* addrlen);
  int accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags);
  int connect(int fd, const sockaddr* addr, socklen_t addrlen);
  int getsockname(int fd, sockaddr* addr, socklen_t* addrlen);
  int getpeername(int fd, sockaddr* addr, socklen_t* addrlen);

  ssize_t read(int fd, void* buf, size_t count);
  ssize_t readv(int fd, const iovec* iov, int iovcnt);
  ssize_t recv(int fd, void* buf, size_t len, int flags);
  ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* src, socklen_t* srclen);
  ssize_t recvmsg(int fd, msghdr* msg, int flags);
  ssize_t write(int fd, const void* buf, size_t count);
  ssize_t writev(int fd, const iovec* iov, int iovcnt);
  ssize_t send(int fd, const void* buf, size_t len, int flags);
  ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* dst,
                 socklen_t dstlen);
  ssize_t sendmsg(int fd, const msghdr* msg, int flags);

  int shutdown(int fd, int how);
  int close(int fd);

  // SOL_SOCKET, IPPROTO_TCP and IPPROTO_IP (IP_BIND_ADDRESS_NO_PORT) options; others ENOPROTOOPT.
  int getsockopt(int fd, int level, int name, void* value, socklen_t* len);
  int setsockopt(int fd, int level, int name, const void* value, socklen_t len);
  // F_GETFL / F_SETFL (O_NONBLOCK), F_GETFD / F_SETFD (FD_CLOEXEC).
  int fcntl(int fd, int cmd, int arg = 0);
  // FIONREAD (= SIOCINQ), SIOCOUTQ, SIOCOUTQNSD, FIONBIO.
  int ioctl(int fd, unsigned long request, int* arg);

  // Timeouts are milliseconds of the stack's time; -1 waits without limit.
  int poll(pollfd* fds, nfds_t nfds, int timeout_ms);
  int epoll_create(int size);
  int epoll_create1(int flags);
  int epoll_ctl(int epfd, int op, int fd, epoll_event* event);
  int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout_ms);

  // The Stack's socket behind a descriptor (0 when `fd` is not an open socket): for tests and
  // views that read Stack::info() / connection_of().
  [[nodiscard]] uint32_t stack_socket(int fd);
  // Open descriptors (sockets and epoll instances).
  [[nodiscard]] int open_descriptors();

 private:
  std::unique_ptr<SocketsImpl> impl_;
};

}  // namespace synack
