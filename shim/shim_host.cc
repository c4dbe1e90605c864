#include "shim_host.h"

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "descriptor_registry.h"
#include "proc_sysctls.h"

namespace synack::shim {
namespace {

// How long netdev_receive() keeps looking, in real time, when the stack has nothing to send
// and no timer that could make it send: another thread may be a moment away from a call
// that emits a packet (packetdrill sees a thread waiting for our lock as asleep already).
constexpr auto kIdleGrace = std::chrono::milliseconds(200);
// How long a move of time waits, in real time, for woken calls to run (a bound, not a pace:
// they normally take microseconds).
constexpr auto kSettleLimit = std::chrono::milliseconds(1000);

// The instant (gettimeofday microseconds) the last socket call on this thread returned, and
// on which host, until the thread's next gettimeofday() on that host consumes it.
// Hosts are told apart by a serial number, not their address (a new host may reuse the
// address of a deleted one).
struct ReturnedAt {
  uint64_t host = 0;
  long long usecs = -1;
};
thread_local ReturnedAt returned_at;
std::atomic<uint64_t> host_serials{0};

long long real_time_of_day_usecs() {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  return static_cast<long long>(tv.tv_sec) * 1'000'000 + tv.tv_usec;
}

}  // namespace

ShimHost::ShimHost(const ShimFlags& flags)
    : flags_(flags),
      stack_(StackConfig{.address = flags.local, .mtu = flags.mtu}, flags.seed, *this),
      driver_(stack_),
      null_fd_(::open("/dev/null", O_RDWR | O_CLOEXEC)),
      epoch_usecs_(real_time_of_day_usecs()),
      serial_(++host_serials),
      net_(stack_, driver_,
           SocketsOptions{.allocate_descriptor = [this] { return allocate_descriptor(); },
                          .release_descriptor = [this](int fd) { release_descriptor(fd); }}) {}

ShimHost::~ShimHost() {
  closing_ = true;
  unregister_host(this);
  if (null_fd_ >= 0) ::close(null_fd_);
}

int ShimHost::allocate_descriptor() {
  if (null_fd_ < 0) return -1;
  const int fd = ::fcntl(null_fd_, F_DUPFD_CLOEXEC, 3);
  if (fd >= 0) register_descriptor(fd, this);
  return fd;
}

void ShimHost::release_descriptor(int fd) {
  unregister_descriptor(fd);
  // After the destructor started, packetdrill may already have closed the number (and the
  // process reused it): never close what is no longer ours.
  if (!closing_) ::close(fd);
}

int ShimHost::socket(int domain, int type, int protocol) {
  if (flags_.read_proc_sysctls)
    driver_.with_stack([](Stack& s) { load_proc_sysctls(s.sysctls()); });
  return net_.socket(domain, type, protocol);
}

void ShimHost::transmit(std::span<const uint8_t> ipv4_packet, Instant now) {
  departed_.push_back(Departed{{ipv4_packet.begin(), ipv4_packet.end()}, now});
}

Instant ShimHost::now() {
  driver_.lock();
  const Instant t = driver_.now();
  driver_.unlock();
  return t;
}

long long ShimHost::to_usecs(Instant t) const {
  return epoch_usecs_ + t.ns() / 1'000;
}

void ShimHost::note_return() {
  const int saved = errno;
  returned_at = ReturnedAt{serial_, to_usecs(now())};
  errno = saved;
}

void ShimHost::advance_to(Instant to) {
  driver_.settle(kSettleLimit);
  Instant last = Instant::infinite();
  for (;;) {
    Instant d;
    driver_.with_stack([&](Stack& s) { d = s.next_deadline(); });
    if (d.is_infinite() || d > to || d == last) break;  // d == last: already due, not moving
    last = d;
    driver_.advance(d);
    driver_.settle(kSettleLimit);  // calls this timer woke end at its instant
  }
  driver_.advance(to);
}

int ShimHost::netdev_send(const void* buf, size_t count) {
  if (buf == nullptr && count > 0) {
    errno = EFAULT;
    return -1;
  }
  // The current time: input() never moves it backwards.
  driver_.input({static_cast<const uint8_t*>(buf), count}, Instant::zero());
  return 0;  // a packet the stack drops is still "sent" (it is counted there)
}

int ShimHost::netdev_receive(void* buf, size_t* count, long long* time_usecs) {
  if (buf == nullptr || count == nullptr || time_usecs == nullptr) {
    errno = EFAULT;
    return -1;
  }
  auto give_up = std::chrono::steady_clock::now() + kIdleGrace;
  for (;;) {
    driver_.settle(kSettleLimit);  // a woken call may be about to send
    std::optional<Departed> p;
    driver_.with_stack([&](Stack&) {
      if (departed_.empty()) return;
      p = std::move(departed_.front());
      departed_.pop_front();
    });
    if (p) {
      if (p->bytes.size() > *count) {
        errno = EMSGSIZE;
        return -1;
      }
      std::memcpy(buf, p->bytes.data(), p->bytes.size());
      *count = p->bytes.size();
      *time_usecs = to_usecs(p->at);
      return 0;
    }
    const Instant d = driver_.next_deadline();
    if (!d.is_infinite() && d > now()) {
      advance_to(d);
      give_up = std::chrono::steady_clock::now() + kIdleGrace;
      continue;
    }
    // Either a blocked call's deadline was reached and its thread has not woken yet, or
    // nothing at all is scheduled.
    if (std::chrono::steady_clock::now() > give_up) {
      *count = 0;  // nothing will ever come
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int ShimHost::usleep(useconds_t usec) {
  advance_to(now() + Duration::micros(usec));
  return 0;
}

int ShimHost::gettimeofday(timeval* tv) {
  long long us = returned_at.host == serial_ ? returned_at.usecs : -1;
  returned_at = ReturnedAt{};
  if (us < 0) {
    advance_to(now() + Duration::micros(1));
    us = to_usecs(now());  // another thread may have moved it further
  }
  if (tv != nullptr) {
    tv->tv_sec = static_cast<time_t>(us / 1'000'000);
    tv->tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  }
  return 0;
}

}  // namespace synack::shim
