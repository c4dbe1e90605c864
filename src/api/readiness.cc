// poll() and epoll for synack::Sockets.
//
// Level-triggered readiness is the Stack's readiness() mask (Linux tcp_poll() bit for bit,
// EPOLL* values) plus the EPOLLRDNORM / EPOLLWRNORM twins tcp_poll() sets with EPOLLIN and
// EPOLLOUT. EPOLLERR and EPOLLHUP are always reported, asked for or not (ep_insert() adds
// them to every interest).
//
// Edge triggering without wake-up callbacks. Linux reports an EPOLLET interest again after
// each wake-up of the socket (data arrived, a connection arrived, write space appeared once
// a writer had found the buffer full) — not only when the mask changes: a reader that leaves
// data unread gets no second report, but new data brings one even if the mask looked the same.
// The Stack has no callbacks, so each interest remembers a signature of what it last saw, and
// reports when the signature changed and the interesting bits are set:
//   [0] the mask, restricted to the interest's events;
//   [1] rcv_nxt, if EPOLLIN is wanted: it moves with every byte (and the FIN) that arrives;
//   [2] connections accepted + queued, if EPOLLIN is wanted: moves with every arrival;
//   [3] sends that found the buffer full, if EPOLLOUT is wanted (Linux SOCK_NOSPACE: only
//       then does freed space wake the writer).
// The signature is updated at every epoll_wait() that looks at the interest, reported or
// not, so a condition that went away and came back is an edge too.
//
// EPOLLONESHOT disarms an interest after one report until EPOLL_CTL_MOD. Reported entries move
// to the end of the instance's list, as Linux re-queues level-triggered items at the tail of
// its ready list, so maxevents smaller than the ready set still serves everyone in turn.
#include <algorithm>
#include <cerrno>
#include <climits>

#include "api/sockets_impl.h"
#include "tcp/tcb.h"

namespace synack {

namespace {

long err(int e) {
  return -static_cast<long>(e);
}

Instant deadline_in(Instant now, int timeout_ms) {
  return timeout_ms < 0 ? Instant::infinite() : now + Duration::millis(timeout_ms);
}

}  // namespace

uint32_t SocketsImpl::poll_mask(const Descriptor& d) {
  if (d.kind != Kind::kSocket) return 0;
  uint32_t m = stack_.readiness(d.sid);
  if ((m & EPOLLIN) != 0) m |= EPOLLRDNORM;
  if ((m & EPOLLOUT) != 0) m |= EPOLLWRNORM;
  return m;
}

// do_sys_poll(): nfds above the descriptor limit is EINVAL; a negative fd is skipped, a
// closed one answers POLLNVAL. An epoll instance inside poll() reports nothing (synack does
// not poll epoll instances).
long SocketsImpl::poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (nfds > static_cast<nfds_t>(options_.max_descriptors)) return err(EINVAL);
  if (nfds > 0 && fds == nullptr) return err(EFAULT);
  auto scan = [&](bool write) {
    long ready = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      short revents = 0;
      if (fds[i].fd >= 0) {
        const Descriptor* d = get(fds[i].fd);
        if (d == nullptr) {
          revents = POLLNVAL;
        } else {
          const uint32_t want = static_cast<uint16_t>(fds[i].events) | POLLERR | POLLHUP;
          revents = static_cast<short>(poll_mask(*d) & want);
        }
      }
      if (write) fds[i].revents = revents;
      if (revents != 0) ++ready;
    }
    return ready;
  };
  const long n = scan(true);
  if (n > 0 || timeout_ms == 0) return n;
  (void)driver_.wait([&] { return scan(false) > 0; }, deadline_in(now(), timeout_ms));
  return scan(true);
}

long SocketsImpl::epoll_create1(int flags) {
  if ((flags & ~EPOLL_CLOEXEC) != 0) return err(EINVAL);
  const long fd = allocate(Kind::kEpoll);
  if (fd < 0) return fd;
  fds_[static_cast<size_t>(fd)].cloexec = (flags & EPOLL_CLOEXEC) != 0;
  return fd;
}

// do_epoll_ctl(), in its order: copy the event, the two descriptors, EPOLLEXCLUSIVE rules,
// "is it an epoll instance", then the operation.
long SocketsImpl::epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  const bool has_event = op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD;
  if (has_event && event == nullptr) return err(EFAULT);
  Descriptor* ep = get(epfd);
  if (ep == nullptr) return err(EBADF);
  const Descriptor* target = get(fd);
  if (target == nullptr) return err(EBADF);
  if (has_event && (event->events & EPOLLEXCLUSIVE) != 0) {
    if (op == EPOLL_CTL_MOD) return err(EINVAL);
    constexpr uint32_t kExclusiveOk =
        EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET;
    if ((event->events & ~kExclusiveOk) != 0) return err(EINVAL);
  }
  if (ep->kind != Kind::kEpoll || fd == epfd) return err(EINVAL);
  // Linux allows epoll inside epoll (with loop checks); synack does not nest instances.
  if (target->kind == Kind::kEpoll) return err(EINVAL);
  auto it = std::find_if(ep->interests.begin(), ep->interests.end(),
                         [&](const Interest& i) { return i.fd == fd; });
  switch (op) {
    case EPOLL_CTL_ADD: {
      if (it != ep->interests.end()) return err(EEXIST);
      Interest n;
      n.fd = fd;
      n.generation = target->generation;
      n.events = event->events | EPOLLERR | EPOLLHUP;
      n.data = event->data;
      ep->interests.push_back(n);
      return 0;
    }
    case EPOLL_CTL_MOD:
      if (it == ep->interests.end()) return err(ENOENT);
      it->events = event->events | EPOLLERR | EPOLLHUP;
      it->data = event->data;
      it->disarmed = false;
      it->seen = false;  // ep_modify() re-checks readiness: a ready fd is reported again
      return 0;
    case EPOLL_CTL_DEL:
      if (it == ep->interests.end()) return err(ENOENT);
      ep->interests.erase(it);
      return 0;
    default:
      return err(EINVAL);
  }
}

void SocketsImpl::forget_interest(int fd) {
  for (Descriptor& d : fds_) {
    if (d.kind != Kind::kEpoll) continue;
    std::erase_if(d.interests, [&](const Interest& i) { return i.fd == fd; });
  }
}

namespace {

struct Signature {
  uint64_t v[4] = {};
};

}  // namespace

int SocketsImpl::collect(int epfd, epoll_event* out, int max) {
  // `out == nullptr`: only tell whether something would be reported, changing nothing.
  const bool dry = out == nullptr;
  Descriptor& ep = fds_[static_cast<size_t>(epfd)];
  int n = 0;
  std::vector<Interest> reported;
  std::vector<Interest> rest;
  if (!dry) rest.reserve(ep.interests.size());
  for (Interest& in : ep.interests) {
    const Descriptor* t = n < max ? get(in.fd) : nullptr;
    uint32_t revents = 0;
    if (t != nullptr && !in.disarmed) {
      const uint32_t mask = poll_mask(*t);
      revents = mask & in.events;
      if ((in.events & EPOLLET) != 0) {
        Signature s;
        s.v[0] = revents;
        if ((in.events & EPOLLIN) != 0) {
          if (const tcp::Tcb* tcb = stack_.connection_of(t->sid)) s.v[1] = tcb->rcv_nxt().raw();
          if (t->listening) {
            const auto info = stack_.info(t->sid);
            s.v[2] = t->accepted + (info ? info->recv_queue : 0);
          }
        }
        if ((in.events & EPOLLOUT) != 0) s.v[3] = t->write_blocks;
        const bool changed = !in.seen || !std::equal(s.v, s.v + 4, in.last);
        if (!dry) {
          std::copy(s.v, s.v + 4, in.last);
          in.seen = true;
        }
        if (!changed) revents = 0;
      }
    }
    if (revents == 0) {
      if (!dry) rest.push_back(in);
      continue;
    }
    if (dry) return 1;
    out[n++] = epoll_event{.events = revents, .data = in.data};
    if ((in.events & EPOLLONESHOT) != 0) in.disarmed = true;
    reported.push_back(in);
  }
  if (!dry) {
    rest.insert(rest.end(), reported.begin(), reported.end());
    ep.interests = std::move(rest);
  }
  return n;
}

// do_epoll_wait(): maxevents out of range is EINVAL, the event array EFAULT, then the
// instance; a timeout returns 0.
long SocketsImpl::epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout_ms) {
  if (maxevents <= 0 || maxevents > static_cast<int>(INT_MAX / sizeof(epoll_event))) {
    return err(EINVAL);
  }
  if (events == nullptr) return err(EFAULT);
  const Descriptor* ep = get(epfd);
  if (ep == nullptr) return err(EBADF);
  if (ep->kind != Kind::kEpoll) return err(EINVAL);
  const int n = collect(epfd, events, maxevents);
  if (n > 0 || timeout_ms == 0) return n;
  bool closed = false;
  const bool ok = block(
      epfd, ep->generation, [&] { return collect(epfd, nullptr, maxevents) > 0; },
      deadline_in(now(), timeout_ms), &closed);
  if (closed) return err(EBADF);
  if (!ok) return 0;
  return collect(epfd, events, maxevents);
}

}  // namespace synack
