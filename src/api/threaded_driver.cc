#include "api/threaded_driver.h"

#include <algorithm>

namespace synack::api {

bool ThreadedDriver::wait(const std::function<bool()>& ready, Instant deadline) {
  // The facade holds mu_ (lock()); adopt it for the condition variable and hand it back.
  std::unique_lock<std::mutex> lk(mu_, std::adopt_lock);
  bool ok = ready();
  if (!ok && now_ < deadline) {
    const auto slot = deadlines_.insert(deadline);
    const Waiter me{&ready, deadline};
    waiters_.push_back(&me);
    ++blocked_;
    cv_.notify_all();  // wait_blocked() watches blocked_
    while (!(ok = ready()) && now_ < deadline)
      cv_.wait(lk);
    --blocked_;
    deadlines_.erase(slot);
    std::erase(waiters_, &me);
    cv_.notify_all();  // settle() watches waiters_
  }
  lk.release();
  return ok;
}

void ThreadedDriver::input(std::span<const uint8_t> ipv4_packet, Instant at) {
  {
    std::lock_guard<std::mutex> g(mu_);
    now_ = std::max(now_, at);
    stack_.input(ipv4_packet, now_);
  }
  cv_.notify_all();
}

void ThreadedDriver::advance(Instant to) {
  {
    std::lock_guard<std::mutex> g(mu_);
    now_ = std::max(now_, to);
    stack_.advance(now_);
  }
  cv_.notify_all();
}

Instant ThreadedDriver::next_deadline() {
  std::lock_guard<std::mutex> g(mu_);
  const Instant d = stack_.next_deadline();
  return deadlines_.empty() ? d : std::min(d, *deadlines_.begin());
}

size_t ThreadedDriver::blocked() {
  std::lock_guard<std::mutex> g(mu_);
  return blocked_;
}

bool ThreadedDriver::wait_blocked(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return blocked_ >= n; });
}

bool ThreadedDriver::settle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, timeout, [&] {
    return std::none_of(waiters_.begin(), waiters_.end(),
                        [&](const Waiter* w) { return now_ >= w->deadline || (*w->ready)(); });
  });
}

void ThreadedDriver::with_stack(const std::function<void(Stack&)>& f) {
  {
    std::lock_guard<std::mutex> g(mu_);
    f(stack_);
  }
  cv_.notify_all();
}

}  // namespace synack::api
