// synack::Sockets: descriptors, the public wrappers, and the calls of the data path
// (socket, bind, listen, accept, connect, recv*/send* and their read/write forms, shutdown,
// close). Options live in sockopt.cc, poll and epoll in readiness.cc.
//
// Each errno path follows the Linux function named beside it (net/socket.c for argument
// copying, net/ipv4/af_inet.c, net/ipv4/tcp.c); the Stack already answers the protocol's own
// errors (EISCONN, EALREADY, EPIPE, ENOTCONN, ECONNREFUSED ...) and they pass through.
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

#include <synack/socket.h>

#include "api/sockets_impl.h"

namespace synack {

namespace {

// UIO_MAXIOV (include/uapi/linux/uio.h).
constexpr int kMaxIov = 1024;

// Linux MAX_SOCK_ADDR: move_addr_to_kernel() rejects longer addresses.
constexpr socklen_t kMaxSockAddr = sizeof(sockaddr_storage);

long err(int e) {
  return -static_cast<long>(e);
}

}  // namespace

// inet_bind() / inet_stream_connect(): the address checks every AF_INET call makes.
long read_sockaddr_in(const sockaddr* addr, socklen_t len, Endpoint* out) {
  if (static_cast<int>(len) < 0 || len > kMaxSockAddr) return err(EINVAL);
  if (addr == nullptr) return err(len == 0 ? EINVAL : EFAULT);
  if (len < sizeof(sockaddr_in)) return err(EINVAL);
  sockaddr_in sin{};
  std::memcpy(&sin, addr, sizeof sin);
  if (sin.sin_family != AF_INET) return err(EAFNOSUPPORT);
  out->addr = wire::Ipv4Address{ntohl(sin.sin_addr.s_addr)};
  out->port = ntohs(sin.sin_port);
  return 0;
}

namespace {

// move_addr_to_user(): copies at most *len bytes and reports the full length.
long write_sockaddr_in(const Endpoint& e, sockaddr* addr, socklen_t* len) {
  if (addr == nullptr) return 0;
  if (len == nullptr) return err(EFAULT);
  if (static_cast<int>(*len) < 0) return err(EINVAL);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(e.port);
  sin.sin_addr.s_addr = htonl(e.addr.value());
  std::memcpy(addr, &sin, std::min<size_t>(*len, sizeof sin));
  *len = sizeof sin;
  return 0;
}

// RAII for the driver's lock (SocketDriver has lock/unlock, not the Lockable names).
class Locked {
 public:
  explicit Locked(SocketDriver& d) : d_(d) { d_.lock(); }
  ~Locked() {
    d_.changed();
    d_.unlock();
  }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  SocketDriver& d_;
};

}  // namespace

// --- descriptors ------------------------------------------------------------------------------

SocketsImpl::SocketsImpl(Stack& stack, SocketDriver& driver, SocketsOptions options)
    : stack_(stack), driver_(driver), options_(options) {
  fds_.resize(static_cast<size_t>(std::max(options_.first_descriptor, 0)));
}

SocketsImpl::Descriptor* SocketsImpl::get(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return nullptr;
  Descriptor& d = fds_[static_cast<size_t>(fd)];
  return d.kind == Kind::kFree ? nullptr : &d;
}

SocketsImpl::Descriptor* SocketsImpl::socket_fd(int fd, long* e) {
  Descriptor* d = get(fd);
  if (d == nullptr) {
    *e = err(EBADF);
    return nullptr;
  }
  if (d->kind != Kind::kSocket) {
    *e = err(ENOTSOCK);
    return nullptr;
  }
  return d;
}

long SocketsImpl::allocate(Kind kind) {
  if (open_ >= options_.max_descriptors) return err(EMFILE);
  int fd;
  if (options_.allocate_descriptor) {
    fd = options_.allocate_descriptor();
    if (fd < 0) return err(EMFILE);
    if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) + 1);
    if (fds_[static_cast<size_t>(fd)].kind != Kind::kFree) return err(EMFILE);  // reused?
  } else if (!free_.empty()) {
    fd = *free_.begin();
    free_.erase(free_.begin());
  } else {
    fd = static_cast<int>(fds_.size());
    fds_.emplace_back();
  }
  Descriptor& d = fds_[static_cast<size_t>(fd)];
  const uint64_t gen = d.generation + 1;
  d = Descriptor{};
  d.kind = kind;
  d.generation = gen;
  ++open_;
  return fd;
}

void SocketsImpl::release(int fd) {
  Descriptor& d = fds_[static_cast<size_t>(fd)];
  const uint64_t gen = d.generation + 1;
  d = Descriptor{};
  d.generation = gen;
  --open_;
  if (options_.release_descriptor) {
    options_.release_descriptor(fd);
  } else {
    free_.insert(fd);
  }
}

Instant SocketsImpl::deadline_after(Duration timeo) {
  if (timeo == Duration::zero()) return Instant::infinite();
  if (timeo < Duration::zero()) return now();
  return now() + timeo;
}

bool SocketsImpl::block(int fd, uint64_t generation, const std::function<bool()>& ready,
                        Instant deadline, bool* closed) {
  auto gone = [&] {
    const Descriptor* d = get(fd);
    return d == nullptr || d->generation != generation;
  };
  const bool ok = driver_.wait([&] { return gone() || ready(); }, deadline);
  if (gone()) {
    *closed = true;
    return false;
  }
  return ok && ready();
}

// --- socket, bind, listen ---------------------------------------------------------------------

// __sys_socket() / inet_create(): flags first, then family, then type, then protocol.
long SocketsImpl::socket(int domain, int type, int protocol) {
  // include/linux/net.h SOCK_TYPE_MASK: the low bits are the type, the rest are flags.
  constexpr int kTypeMask = 0xf;
  const int flags = type & ~kTypeMask;
  const int base = type & kTypeMask;
  if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) return err(EINVAL);
  if (domain < 0 || domain >= AF_MAX) return err(EAFNOSUPPORT);
  if (domain != AF_INET) return err(EAFNOSUPPORT);  // synack is IPv4 only
  if (base < 0 || base >= 10 /* SOCK_MAX */) return err(EINVAL);
  if (base != SOCK_STREAM) {
    // inet_create(): no protosw entry for the type. Linux has UDP and raw sockets; synack
    // only TCP, so every other type answers as an unknown type would.
    return err(ESOCKTNOSUPPORT);
  }
  if (protocol != 0 && protocol != IPPROTO_TCP) return err(EPROTONOSUPPORT);
  const long fd = allocate(Kind::kSocket);
  if (fd < 0) return fd;
  auto sid = stack_.socket();
  if (!sid) {
    release(static_cast<int>(fd));
    return err(sid.error());
  }
  Descriptor& d = fds_[static_cast<size_t>(fd)];
  d.sid = sid.value();
  d.nonblock = (flags & SOCK_NONBLOCK) != 0;
  d.cloexec = (flags & SOCK_CLOEXEC) != 0;
  return fd;
}

long SocketsImpl::bind(int fd, const sockaddr* addr, socklen_t addrlen) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  Endpoint local;
  if (long r = read_sockaddr_in(addr, addrlen, &local); r < 0) return r;
  return err(stack_.bind(d->sid, local));
}

long SocketsImpl::listen(int fd, int backlog) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if (int r = stack_.listen(d->sid, backlog, now()); r != 0) return err(r);
  d->listening = true;
  return 0;
}

// --- accept, connect ----------------------------------------------------------------------------

// __sys_accept4_file() + inet_accept(): flags, then the descriptor (allocated before the
// connection is taken, so EMFILE leaves the queue alone), then the wait.
long SocketsImpl::accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags) {
  if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) return err(EINVAL);
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if (!d->listening) return err(EINVAL);
  if (addr != nullptr && addrlen == nullptr) return err(EFAULT);
  if (addr != nullptr && static_cast<int>(*addrlen) < 0) return err(EINVAL);
  if (open_ >= options_.max_descriptors) return err(EMFILE);
  const uint64_t gen = d->generation;
  const Instant deadline = deadline_after(d->nonblock ? Duration::nanos(-1) : d->rcvtimeo);
  for (;;) {
    d = get(fd);
    if (d == nullptr || d->generation != gen) return err(EBADF);
    if (!d->listening) return err(EINVAL);  // shut down while we waited
    auto r = stack_.accept(d->sid, now());
    if (r) {
      ++d->accepted;
      const bool zerocopy = d->zerocopy;  // sk_clone_lock() copies the socket flags
      const long nfd = allocate(Kind::kSocket);
      if (nfd < 0) {  // only if another thread took the last number meanwhile
        stack_.abort(r.value(), now());
        return nfd;
      }
      Descriptor& n = fds_[static_cast<size_t>(nfd)];
      n.sid = r.value();
      n.nonblock = (flags & SOCK_NONBLOCK) != 0;
      n.cloexec = (flags & SOCK_CLOEXEC) != 0;
      n.zerocopy = zerocopy;
      if (auto info = stack_.info(n.sid); info) {
        if (long w = write_sockaddr_in(info->remote, addr, addrlen); w < 0) return w;
      }
      return nfd;
    }
    if (r.error() != EAGAIN) return err(r.error());
    const SocketId sid = d->sid;
    bool closed = false;
    const bool ok = block(
        fd, gen,
        [&] {
          const Descriptor* x = get(fd);
          return !x->listening || (stack_.readiness(sid) & ready::kIn) != 0;
        },
        deadline, &closed);
    if (closed) return err(EBADF);
    if (!ok) return err(EAGAIN);
  }
}

// __inet_stream_connect(). A blocking connect waits up to SO_SNDTIMEO and, when that runs
// out, answers EINPROGRESS (inet_wait_for_connect() returned 0 with err still -EINPROGRESS).
long SocketsImpl::connect(int fd, const sockaddr* addr, socklen_t addrlen) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  Endpoint remote;
  if (long r = read_sockaddr_in(addr, addrlen, &remote); r < 0) return r;
  if (d->listening) return err(EISCONN);  // SS_UNCONNECTED with sk_state != TCP_CLOSE
  const int r = stack_.connect(d->sid, remote, now());
  if (r != EINPROGRESS) return err(r);
  if (d->nonblock) return err(EINPROGRESS);
  const uint64_t gen = d->generation;
  const SocketId sid = d->sid;
  auto settled = [&] {
    const auto info = stack_.info(sid);
    return !info ||
           (info->state != tcp::State::kSynSent && info->state != tcp::State::kSynReceived);
  };
  bool closed = false;
  const bool ok = block(fd, gen, settled, deadline_after(d->sndtimeo), &closed);
  if (closed) return err(EBADF);
  if (!ok) return err(EINPROGRESS);
  if (const int so_error = stack_.take_error(sid); so_error != 0) return err(so_error);
  const auto info = stack_.info(sid);
  if (info && info->state == tcp::State::kClosed) return err(ECONNREFUSED);
  return 0;
}

// --- the data path ----------------------------------------------------------------------------

long SocketsImpl::check_iov(const iovec* iov, int iovcnt, long bad_count) {
  if (iovcnt < 0 || iovcnt > kMaxIov) return bad_count;
  if (iovcnt > 0 && iov == nullptr) return err(EFAULT);
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    if (iov[i].iov_base == nullptr && iov[i].iov_len > 0) return err(EFAULT);
    total += iov[i].iov_len;
    if (total > static_cast<size_t>(SSIZE_MAX)) return err(EINVAL);
  }
  return 0;
}

// tcp_recvmsg_locked(): returns what is there; blocks for the first byte (MSG_WAITALL: for
// all of them) up to SO_RCVTIMEO, then EAGAIN if nothing was copied.
long SocketsImpl::recv_iov(int fd, const iovec* iov, size_t iovcnt, int flags) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if ((flags & MSG_OOB) != 0) return err(EINVAL);  // no urgent data is ever kept
  if (d->listening) return err(ENOTCONN);
  const bool peek = (flags & MSG_PEEK) != 0;
  const bool nonblock = d->nonblock || (flags & MSG_DONTWAIT) != 0;
  const bool waitall = (flags & MSG_WAITALL) != 0 && !peek;
  size_t want = 0;
  for (size_t i = 0; i < iovcnt; ++i)
    want += iov[i].iov_len;
  const uint64_t gen = d->generation;
  const SocketId sid = d->sid;
  const Instant deadline = deadline_after(nonblock ? Duration::nanos(-1) : d->rcvtimeo);
  size_t copied = 0;
  size_t vi = 0;
  size_t voff = 0;
  if (want == 0) {
    auto r = stack_.recv(sid, {}, now(), peek);
    return r || r.error() == EAGAIN ? 0 : err(r.error());
  }
  for (;;) {
    // Fill the iovecs in order from the stack's receive queue.
    bool eof = false;
    int failure = 0;
    while (vi < iovcnt && copied < want) {
      if (iov[vi].iov_len == voff) {
        ++vi;
        voff = 0;
        continue;
      }
      auto* base = static_cast<uint8_t*>(iov[vi].iov_base) + voff;
      const size_t room = iov[vi].iov_len - voff;
      auto r = stack_.recv(sid, std::span<uint8_t>(base, room), now(), peek);
      if (!r) {
        failure = r.error();
        break;
      }
      if (r.value() == 0) {
        eof = true;
        break;
      }
      copied += r.value();
      voff += r.value();
      if (peek) break;  // a peek reads from the head once; a second one would repeat it
    }
    if (copied == want || eof || (copied > 0 && !waitall)) {
      return static_cast<long>(copied);
    }
    if (failure != 0 && failure != EAGAIN) {
      return copied > 0 ? static_cast<long>(copied) : err(failure);
    }
    bool closed = false;
    const bool ok = block(
        fd, gen,
        [&] { return (stack_.readiness(sid) & (ready::kIn | ready::kErr | ready::kHup)) != 0; },
        deadline, &closed);
    if (closed) return copied > 0 ? static_cast<long>(copied) : err(EBADF);
    if (!ok) return copied > 0 ? static_cast<long>(copied) : err(EAGAIN);
  }
}

// tcp_sendmsg_locked(): a blocking send waits for the connection (sk_stream_wait_connect)
// and for buffer space until everything is queued or SO_SNDTIMEO runs out; a non-blocking
// one queues what fits.
long SocketsImpl::send_iov(int fd, const iovec* iov, size_t iovcnt, int flags) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if ((flags & MSG_OOB) != 0) return err(EOPNOTSUPP);
  const bool nonblock = d->nonblock || (flags & MSG_DONTWAIT) != 0;
  size_t want = 0;
  for (size_t i = 0; i < iovcnt; ++i)
    want += iov[i].iov_len;
  const uint64_t gen = d->generation;
  const SocketId sid = d->sid;
  const Instant deadline = deadline_after(nonblock ? Duration::nanos(-1) : d->sndtimeo);
  size_t sent = 0;
  size_t vi = 0;
  size_t voff = 0;
  if (want == 0) {
    auto r = stack_.send(sid, {}, now());
    return r ? 0 : err(r.error());
  }
  for (;;) {
    int failure = 0;
    while (vi < iovcnt && sent < want) {
      if (iov[vi].iov_len == voff) {
        ++vi;
        voff = 0;
        continue;
      }
      const auto* base = static_cast<const uint8_t*>(iov[vi].iov_base) + voff;
      auto r = stack_.send(sid, std::span<const uint8_t>(base, iov[vi].iov_len - voff), now());
      if (!r) {
        failure = r.error();
        break;
      }
      sent += r.value();
      voff += r.value();
    }
    if (sent == want) return static_cast<long>(sent);
    if (failure != EAGAIN) return sent > 0 ? static_cast<long>(sent) : err(failure);
    if (Descriptor* x = get(fd)) ++x->write_blocks;  // SOCK_NOSPACE: EPOLLET owes a report
    bool closed = false;
    const bool ok = block(
        fd, gen,
        [&] { return (stack_.readiness(sid) & (ready::kOut | ready::kErr | ready::kHup)) != 0; },
        deadline, &closed);
    if (closed) return sent > 0 ? static_cast<long>(sent) : err(EBADF);
    if (!ok) return sent > 0 ? static_cast<long>(sent) : err(EAGAIN);
  }
}

// read() on an epoll instance is EINVAL (its file has no read op), not ENOTSOCK.
long SocketsImpl::read(int fd, void* buf, size_t count) {
  const Descriptor* d = get(fd);
  if (d == nullptr) return err(EBADF);
  if (d->kind == Kind::kEpoll) return err(EINVAL);
  if (buf == nullptr && count > 0) return err(EFAULT);
  const iovec v{buf, count};
  return recv_iov(fd, &v, 1, 0);
}

// ___sys_recvmsg(): TCP leaves msg_name empty (namelen 0) and sets no flags.
long SocketsImpl::recvmsg(int fd, msghdr* msg, int flags) {
  if (msg == nullptr) return err(EFAULT);
  if (msg->msg_iovlen > static_cast<size_t>(kMaxIov)) return err(EMSGSIZE);
  if (long r = check_iov(msg->msg_iov, static_cast<int>(msg->msg_iovlen), err(EMSGSIZE)); r < 0) {
    return r;
  }
  const long n = recv_iov(fd, msg->msg_iov, msg->msg_iovlen, flags);
  if (n >= 0) {
    msg->msg_namelen = 0;
    msg->msg_controllen = 0;
    msg->msg_flags = 0;
  }
  return n;
}

long SocketsImpl::sendmsg(int fd, const msghdr* msg, int flags) {
  if (msg == nullptr) return err(EFAULT);
  if (msg->msg_iovlen > static_cast<size_t>(kMaxIov)) return err(EMSGSIZE);
  if (long r = check_iov(msg->msg_iov, static_cast<int>(msg->msg_iovlen), err(EMSGSIZE)); r < 0) {
    return r;
  }
  if (msg->msg_name != nullptr && msg->msg_namelen > kMaxSockAddr) return err(EINVAL);
  if ((flags & MSG_FASTOPEN) != 0) {
    return send_fastopen(fd, static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen,
                         msg->msg_iov, msg->msg_iovlen, flags);
  }
  return send_iov(fd, msg->msg_iov, msg->msg_iovlen, flags);
}

// inet_shutdown(): SHUT_* + 1 must be a non-empty subset of RCV|SEND_SHUTDOWN.
long SocketsImpl::shutdown(int fd, int how) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if (how < SHUT_RD || how > SHUT_RDWR) return err(EINVAL);
  if (d->listening) {
    if (how == SHUT_WR) return 0;  // TCP_LISTEN without RCV_SHUTDOWN: nothing happens
    // tcp_disconnect() of a listener: it stops listening and blocked accept() calls return
    // EINVAL. The Stack has no "unlisten", so the listener is closed and the descriptor gets
    // a fresh, unbound socket (Linux would keep a port the user bound).
    (void)stack_.close(d->sid, now());
    auto sid = stack_.socket();
    if (!sid) return err(sid.error());
    d->sid = sid.value();
    d->listening = false;
    return 0;
  }
  const ShutdownHow h = how == SHUT_RD   ? ShutdownHow::kRead
                        : how == SHUT_WR ? ShutdownHow::kWrite
                                         : ShutdownHow::kBoth;
  return err(stack_.shutdown(d->sid, h, now()));
}

// close(): the descriptor goes at once; with SO_LINGER {on, t > 0} the call then waits in
// the stack's time until the FIN is acknowledged or t runs out (Stack::close_linger()).
long SocketsImpl::close(int fd) {
  Descriptor* d = get(fd);
  if (d == nullptr) return err(EBADF);
  forget_interest(fd);
  if (d->kind == Kind::kEpoll) {
    release(fd);
    return 0;
  }
  const SocketId sid = d->sid;
  release(fd);
  auto w = stack_.close_linger(sid, now());
  if (!w || !*w) return 0;
  const LingerWait wait = **w;
  driver_.changed();  // the FIN must leave before we sleep
  // The predicate completes the close when it holds (linger_done() frees the socket).
  if (!driver_.wait([&] { return stack_.linger_done(wait, now()); }, wait.deadline)) {
    // Only if the driver can no longer move time: end the wait at its deadline.
    (void)stack_.linger_done(wait, std::max(now(), wait.deadline));
  }
  return 0;
}

// --- public wrappers --------------------------------------------------------------------------

namespace {

template <class F>
auto call(SocketsImpl& impl, F&& f) {
  long r;
  {
    Locked lock(impl.driver());
    r = f();
  }
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1L;
  }
  return r;
}

}  // namespace

Sockets::Sockets(Stack& stack, SocketDriver& driver, SocketsOptions options)
    : impl_(std::make_unique<SocketsImpl>(stack, driver, options)) {}
Sockets::~Sockets() = default;

int Sockets::socket(int domain, int type, int protocol) {
  return static_cast<int>(call(*impl_, [&] { return impl_->socket(domain, type, protocol); }));
}
int Sockets::bind(int fd, const sockaddr* addr, socklen_t addrlen) {
  return static_cast<int>(call(*impl_, [&] { return impl_->bind(fd, addr, addrlen); }));
}
int Sockets::listen(int fd, int backlog) {
  return static_cast<int>(call(*impl_, [&] { return impl_->listen(fd, backlog); }));
}
int Sockets::accept(int fd, sockaddr* addr, socklen_t* addrlen) {
  return accept4(fd, addr, addrlen, 0);
}
int Sockets::accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags) {
  return static_cast<int>(call(*impl_, [&] { return impl_->accept4(fd, addr, addrlen, flags); }));
}
int Sockets::connect(int fd, const sockaddr* addr, socklen_t addrlen) {
  return static_cast<int>(call(*impl_, [&] { return impl_->connect(fd, addr, addrlen); }));
}
int Sockets::getsockname(int fd, sockaddr* addr, socklen_t* addrlen) {
  return static_cast<int>(call(*impl_, [&] { return impl_->getname(fd, addr, addrlen, false); }));
}
int Sockets::getpeername(int fd, sockaddr* addr, socklen_t* addrlen) {
  return static_cast<int>(call(*impl_, [&] { return impl_->getname(fd, addr, addrlen, true); }));
}

ssize_t Sockets::read(int fd, void* buf, size_t count) {
  return call(*impl_, [&] { return impl_->read(fd, buf, count); });
}
ssize_t Sockets::readv(int fd, const iovec* iov, int iovcnt) {
  return call(*impl_, [&] {
    const SocketsImpl::Descriptor* d = impl_->get(fd);
    if (d == nullptr) return err(EBADF);
    if (d->kind == SocketsImpl::Kind::kEpoll) return err(EINVAL);
    if (long r = impl_->check_iov(iov, iovcnt, err(EINVAL)); r < 0) return r;
    return impl_->recv_iov(fd, iov, static_cast<size_t>(iovcnt), 0);
  });
}
ssize_t Sockets::recv(int fd, void* buf, size_t len, int flags) {
  return recvfrom(fd, buf, len, flags, nullptr, nullptr);
}
ssize_t Sockets::recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* src,
                          socklen_t* srclen) {
  return call(*impl_, [&] {
    if (buf == nullptr && len > 0) {
      long e = 0;
      return impl_->socket_fd(fd, &e) == nullptr ? e : err(EFAULT);
    }
    const iovec v{buf, len};
    const long n = impl_->recv_iov(fd, &v, 1, flags);
    // TCP fills no source address: move_addr_to_user() reports length 0.
    if (n >= 0 && src != nullptr) {
      if (srclen == nullptr) return err(EFAULT);
      *srclen = 0;
    }
    return n;
  });
}
ssize_t Sockets::recvmsg(int fd, msghdr* msg, int flags) {
  return call(*impl_, [&] { return impl_->recvmsg(fd, msg, flags); });
}
ssize_t Sockets::write(int fd, const void* buf, size_t count) {
  return call(*impl_, [&] {
    const SocketsImpl::Descriptor* d = impl_->get(fd);
    if (d == nullptr) return err(EBADF);
    if (d->kind == SocketsImpl::Kind::kEpoll) return err(EINVAL);
    if (buf == nullptr && count > 0) return err(EFAULT);
    const iovec v{const_cast<void*>(buf), count};
    return impl_->send_iov(fd, &v, 1, 0);
  });
}
ssize_t Sockets::writev(int fd, const iovec* iov, int iovcnt) {
  return call(*impl_, [&] {
    const SocketsImpl::Descriptor* d = impl_->get(fd);
    if (d == nullptr) return err(EBADF);
    if (d->kind == SocketsImpl::Kind::kEpoll) return err(EINVAL);
    if (long r = impl_->check_iov(iov, iovcnt, err(EINVAL)); r < 0) return r;
    return impl_->send_iov(fd, iov, static_cast<size_t>(iovcnt), 0);
  });
}
ssize_t Sockets::send(int fd, const void* buf, size_t len, int flags) {
  return sendto(fd, buf, len, flags, nullptr, 0);
}
ssize_t Sockets::sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* dst,
                        socklen_t dstlen) {
  return call(*impl_, [&] {
    // A connected TCP socket ignores the destination; move_addr_to_kernel() still checks it.
    if (dst != nullptr && dstlen > kMaxSockAddr) return err(EINVAL);
    if (buf == nullptr && len > 0) {
      long e = 0;
      return impl_->socket_fd(fd, &e) == nullptr ? e : err(EFAULT);
    }
    const iovec v{const_cast<void*>(buf), len};
    if ((flags & MSG_FASTOPEN) != 0) return impl_->send_fastopen(fd, dst, dstlen, &v, 1, flags);
    return impl_->send_iov(fd, &v, 1, flags);
  });
}
ssize_t Sockets::sendmsg(int fd, const msghdr* msg, int flags) {
  return call(*impl_, [&] { return impl_->sendmsg(fd, msg, flags); });
}
int Sockets::shutdown(int fd, int how) {
  return static_cast<int>(call(*impl_, [&] { return impl_->shutdown(fd, how); }));
}
int Sockets::close(int fd) {
  return static_cast<int>(call(*impl_, [&] { return impl_->close(fd); }));
}
int Sockets::getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  return static_cast<int>(
      call(*impl_, [&] { return impl_->getsockopt(fd, level, name, value, len); }));
}
int Sockets::setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  return static_cast<int>(
      call(*impl_, [&] { return impl_->setsockopt(fd, level, name, value, len); }));
}
int Sockets::fcntl(int fd, int cmd, int arg) {
  return static_cast<int>(call(*impl_, [&] { return impl_->fcntl(fd, cmd, arg); }));
}
int Sockets::ioctl(int fd, unsigned long request, int* arg) {
  return static_cast<int>(call(*impl_, [&] { return impl_->ioctl(fd, request, arg); }));
}
int Sockets::poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  return static_cast<int>(call(*impl_, [&] { return impl_->poll(fds, nfds, timeout_ms); }));
}
int Sockets::epoll_create(int size) {
  return static_cast<int>(call(*impl_, [&] {
    if (size <= 0) return err(EINVAL);
    return impl_->epoll_create1(0);
  }));
}
int Sockets::epoll_create1(int flags) {
  return static_cast<int>(call(*impl_, [&] { return impl_->epoll_create1(flags); }));
}
int Sockets::epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  return static_cast<int>(call(*impl_, [&] { return impl_->epoll_ctl(epfd, op, fd, event); }));
}
int Sockets::epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout_ms) {
  return static_cast<int>(
      call(*impl_, [&] { return impl_->epoll_wait(epfd, events, maxevents, timeout_ms); }));
}

uint32_t Sockets::stack_socket(int fd) {
  Locked lock(impl_->driver());
  const SocketsImpl::Descriptor* d = impl_->get(fd);
  return d != nullptr && d->kind == SocketsImpl::Kind::kSocket ? d->sid : kNoSocket;
}
int Sockets::open_descriptors() {
  Locked lock(impl_->driver());
  return impl_->open_descriptors();
}

}  // namespace synack
