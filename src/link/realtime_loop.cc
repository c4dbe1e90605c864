#include "link/realtime_loop.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace synack::link {
namespace {

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Heap order: the earliest time on top, FIFO among equal times.
template <class T>
bool later(const T& a, const T& b) {
  return a.at != b.at ? a.at > b.at : a.order > b.order;
}

constexpr size_t kReadBufferBytes = 65536;  // the largest IPv4 packet

}  // namespace

RealtimeLoop::RealtimeLoop(TunDevice& device)
    : device_(device), epoch_ns_(monotonic_ns()), read_buf_(kReadBufferBytes) {}

Instant RealtimeLoop::now() const {
  return Instant::from_nanos(monotonic_ns() - epoch_ns_);
}

void RealtimeLoop::Output::transmit(std::span<const uint8_t> ipv4_packet, Instant now) {
  loop.outbound_->push(loop.pool_.copy(ipv4_packet), now);
}

void RealtimeLoop::DeviceSink::push(PacketPtr packet, Instant) {
  if (loop.error_) return;
  auto r = loop.device_.write(packet->bytes());
  if (!r) {
    loop.error_ = r.error();
    return;
  }
  if (!*r) {
    ++loop.counters_.write_drops;
    return;
  }
  ++loop.counters_.packets_written;
  loop.counters_.bytes_written += packet->size();
}

void RealtimeLoop::StackSink::push(PacketPtr packet, Instant now) {
  if (loop.stack_ != nullptr) loop.stack_->input(packet->bytes(), now);
}

void RealtimeLoop::deliver_at(Instant at, PacketSink& to, PacketPtr packet) {
  timers_.push_back(
      Timer{.at = at, .order = next_order_++, .to = &to, .packet = std::move(packet)});
  std::push_heap(timers_.begin(), timers_.end(), later<Timer>);
}

void RealtimeLoop::deliver_due(Instant now) {
  while (!timers_.empty() && timers_.front().at <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), later<Timer>);
    Timer t = std::move(timers_.back());
    timers_.pop_back();
    t.to->push(std::move(t.packet), now);  // now, not t.at: the stack's time never goes back
  }
}

void RealtimeLoop::read_batch() {
  for (int i = 0; i < kReadBatch && !error_; ++i) {
    auto r = device_.read(read_buf_);
    if (!r) {
      error_ = r.error();
      return;
    }
    if (*r == 0) return;
    ++counters_.packets_read;
    counters_.bytes_read += *r;
    inbound_->push(pool_.copy(std::span<const uint8_t>(read_buf_.data(), *r)), now());
  }
}

Result<RunEnd, DeviceError> RealtimeLoop::run(const RunLimits& limits) {
  for (;;) {
    ++counters_.steps;
    const Instant t = now();
    deliver_due(t);
    if (stack_ != nullptr && stack_->next_deadline() <= t) stack_->advance(t);
    if (on_step_) on_step_(t);
    if (error_) return Failure{*std::exchange(error_, std::nullopt)};
    if (limits.done && limits.done()) return RunEnd::kDone;
    if (limits.stop != nullptr && limits.stop->load(std::memory_order_relaxed))
      return RunEnd::kStopped;
    if (t >= limits.until) return RunEnd::kDeadline;

    Instant wake = limits.until;
    if (stack_ != nullptr) wake = std::min(wake, stack_->next_deadline());
    if (!timers_.empty()) wake = std::min(wake, timers_.front().at);
    if (limits.stop != nullptr && limits.sigmask == nullptr)
      wake = std::min(wake, t + kStopPollInterval);
    timespec ts{};
    timespec* timeout = nullptr;
    if (!wake.is_infinite()) {
      const int64_t wait = std::max<int64_t>(0, (wake - now()).ns());
      ts.tv_sec = static_cast<time_t>(wait / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(wait % 1'000'000'000);
      timeout = &ts;
    }
    pollfd pfd{.fd = device_.fd(), .events = POLLIN, .revents = 0};
    const int n = ::ppoll(&pfd, 1, timeout, limits.sigmask);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Failure{
          DeviceError{.code = errno, .message = std::string("ppoll: ") + std::strerror(errno)}};
    }
    if (n > 0 && (pfd.revents & (POLLERR | POLLNVAL)) != 0)
      return Failure{DeviceError{
          .code = EIO, .message = "poll: device " + device_.name() + " reported an error"}};
    if (n > 0) read_batch();
  }
}

}  // namespace synack::link
