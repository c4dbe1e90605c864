// SocketsImpl: the state behind synack::Sockets (include/synack/socket.h), shared by the
// three files that implement it — sockets.cc (descriptors and the data path), sockopt.cc
// (getsockopt/setsockopt, TCP_INFO, fcntl, ioctl) and readiness.cc (poll and epoll).
//
// Every method here runs with the driver's lock held and returns a non-negative result or
// -errno; the public wrappers in sockets.cc take the lock, call one of them, tell the driver
// the stack changed, drop the lock and only then set `errno` (so nothing run on the way out
// can clobber it).
//
// Blocking (SocketDriver::wait) releases the lock in the thread-safe driver, so other threads
// may open and close descriptors meanwhile: no reference into `fds_` is held across a wait,
// and a waiter whose descriptor was closed under it (its generation changed) returns EBADF.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include <synack/socket.h>
#include <synack/time.h>

#include "stack/stack.h"

namespace synack {

// The AF_INET address checks of bind() and connect() (sockets.cc): 0 or -errno.
[[nodiscard]] long read_sockaddr_in(const sockaddr* addr, socklen_t len, Endpoint* out);

class SocketsImpl {
 public:
  SocketsImpl(Stack& stack, SocketDriver& driver, SocketsOptions options);

  enum class Kind : uint8_t { kFree, kSocket, kEpoll };

  // One epoll interest (epitem): what the caller asked for, and the edge-trigger memory.
  struct Interest {
    int fd = -1;
    uint64_t generation = 0;  // of the watched descriptor when it was added
    uint32_t events = 0;
    epoll_data_t data{};
    bool disarmed = false;  // EPOLLONESHOT fired; EPOLL_CTL_MOD re-arms
    bool seen = false;      // `last` holds an observation (EPOLLET)
    uint64_t last[4] = {};  // the last observed signature (EPOLLET), see readiness.cc
  };

  struct Descriptor {
    Kind kind = Kind::kFree;
    uint64_t generation = 0;  // bumped on every open and close of this number
    bool nonblock = false;
    bool cloexec = false;
    // kSocket
    SocketId sid = kNoSocket;
    bool listening = false;
    // Duration::zero() = no limit (Linux's MAX_SCHEDULE_TIMEOUT); negative = do not wait.
    Duration rcvtimeo;
    Duration sndtimeo;
    uint64_t accepted = 0;      // connections accepted so far (EPOLLET: arrivals)
    uint64_t write_blocks = 0;  // sends that found the buffer full (EPOLLET: write space)
    bool zerocopy = false;      // SO_ZEROCOPY (Linux SOCK_ZEROCOPY; inherited by accept)
    // kEpoll
    std::vector<Interest> interests;  // in ready-list order (reported entries move last)
  };

  // --- descriptors (sockets.cc) -----------------------------------------------------------
  [[nodiscard]] Descriptor* get(int fd);
  [[nodiscard]] Descriptor* socket_fd(int fd, long* err);  // EBADF / ENOTSOCK
  [[nodiscard]] long allocate(Kind kind);                  // the new fd or -EMFILE
  void release(int fd);
  [[nodiscard]] Instant now() { return driver_.now(); }
  [[nodiscard]] Instant deadline_after(Duration timeo);
  // Waits until `ready` or `deadline`; false on timeout or when `fd` was closed meanwhile
  // (then *closed is set).
  [[nodiscard]] bool block(int fd, uint64_t generation, const std::function<bool()>& ready,
                           Instant deadline, bool* closed);

  long socket(int domain, int type, int protocol);
  long bind(int fd, const sockaddr* addr, socklen_t addrlen);
  long listen(int fd, int backlog);
  long accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags);
  long connect(int fd, const sockaddr* addr, socklen_t addrlen);
  // getsockname() (peer false) and getpeername() (socket_names.cc).
  long getname(int fd, sockaddr* addr, socklen_t* len, bool peer);
  long recv_iov(int fd, const iovec* iov, size_t iovcnt, int flags);
  long send_iov(int fd, const iovec* iov, size_t iovcnt, int flags);
  // sendto()/sendmsg() with MSG_FASTOPEN (send_fastopen.cc).
  long send_fastopen(int fd, const sockaddr* dst, socklen_t dstlen, const iovec* iov, size_t iovcnt,
                     int flags);
  long check_iov(const iovec* iov, int iovcnt, long bad_count_errno);
  long recvmsg(int fd, msghdr* msg, int flags);
  long sendmsg(int fd, const msghdr* msg, int flags);
  long read(int fd, void* buf, size_t count);
  long shutdown(int fd, int how);
  long close(int fd);

  // --- options (sockopt.cc) ---------------------------------------------------------------
  long getsockopt(int fd, int level, int name, void* value, socklen_t* len);
  long setsockopt(int fd, int level, int name, const void* value, socklen_t len);
  long fcntl(int fd, int cmd, int arg);
  long ioctl(int fd, unsigned long request, int* arg);

  // --- readiness (readiness.cc) -----------------------------------------------------------
  // The poll mask of a socket descriptor: Stack::readiness() plus the RDNORM/WRNORM twins
  // Linux's tcp_poll() sets.
  [[nodiscard]] uint32_t poll_mask(const Descriptor& d);
  long poll(pollfd* fds, nfds_t nfds, int timeout_ms);
  long epoll_create1(int flags);
  long epoll_ctl(int epfd, int op, int fd, epoll_event* event);
  long epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout_ms);
  // Removes `fd` from every epoll instance (the descriptor is being closed).
  void forget_interest(int fd);

  [[nodiscard]] Stack& stack() { return stack_; }
  [[nodiscard]] SocketDriver& driver() { return driver_; }
  [[nodiscard]] int open_descriptors() const { return open_; }

 private:
  // Collects ready events of one epoll instance into `out` (at most `max`); 0 if none.
  int collect(int epfd, epoll_event* out, int max);

  Stack& stack_;
  SocketDriver& driver_;
  SocketsOptions options_;
  std::vector<Descriptor> fds_;  // indexed by descriptor number
  std::set<int> free_;           // closed numbers below fds_.size(), lowest first
  int open_ = 0;
};

}  // namespace synack
