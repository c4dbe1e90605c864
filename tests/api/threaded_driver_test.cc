// The thread-safe driver: blocking facade calls on two application threads while the test's
// main thread plays the network — it takes the packets the stack emitted and feeds them back
// in (one host talking to itself over loopback), and moves virtual time to the next deadline
// when nothing is in flight. This is the shape of the packetdrill shim. Bounded: every wait
// on a thread has a wall-clock limit, and no sleep is longer than a millisecond.
#include "api/threaded_driver.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <synack/socket.h>

namespace synack::api {
namespace {

using namespace synack::literals;
using std::chrono::milliseconds;

const auto kAddr = wire::Ipv4Address::from_octets(10, 0, 0, 9);

sockaddr_in inet(uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(kAddr.value());
  return s;
}

// Packets the stack emitted; only touched under the driver's lock (transmit() runs inside
// stack calls, the feeder swaps the queue out inside with_stack()).
struct Loopback final : PacketOutput {
  void transmit(std::span<const uint8_t> p, Instant) override {
    queue.emplace_back(p.begin(), p.end());
  }
  std::vector<std::vector<uint8_t>> queue;
};

struct Host {
  Loopback wire;
  Stack stack{StackConfig{.address = kAddr}, 5, wire};
  ThreadedDriver driver{stack};
  Sockets net{stack, driver};
  Instant t;  // the feeder's virtual clock

  // One step of the network: deliver what is in flight 1 ms later, else jump to the next
  // deadline. False when there is nothing to do at all.
  bool feed() {
    std::vector<std::vector<uint8_t>> batch;
    driver.with_stack([&](Stack&) { batch.swap(wire.queue); });
    if (!batch.empty()) {
      t += 1_ms;
      for (const auto& p : batch)
        driver.input(p, t);
      return true;
    }
    const Instant d = driver.next_deadline();
    if (d.is_infinite()) return false;
    t = std::max(t, d);
    driver.advance(t);
    return true;
  }
  // Feeds until `done` is ready, sleeping 1 ms of real time whenever the network is idle
  // (the application threads are then between calls). At most `limit` of wall time.
  template <class F>
  bool feed_until(std::future<F>& done, milliseconds limit = milliseconds(10'000)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (done.wait_for(milliseconds(0)) != std::future_status::ready) {
      if (std::chrono::steady_clock::now() > end) return false;
      if (!feed()) std::this_thread::sleep_for(milliseconds(1));
    }
    return true;
  }
};

TEST(ThreadedDriver, BlockingCallsOnTwoThreadsWhileAThirdFeedsPackets) {
  Host h;
  const int l = h.net.socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = inet(80);
  ASSERT_EQ(h.net.bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(h.net.listen(l, 4), 0);

  auto server = std::async(std::launch::async, [&] {
    const int s = h.net.accept(l, nullptr, nullptr);
    if (s < 0) return std::string("accept failed");
    char buf[4];
    if (h.net.recv(s, buf, 4, MSG_WAITALL) != 4) return std::string("read failed");
    if (h.net.write(s, "pong", 4) != 4) return std::string("write failed");
    return std::string(buf, 4);
  });
  // The accept really sleeps before anything arrives.
  ASSERT_TRUE(h.driver.wait_blocked(1, milliseconds(5'000)));

  auto client = std::async(std::launch::async, [&] {
    const int c = h.net.socket(AF_INET, SOCK_STREAM, 0);
    if (h.net.connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      return std::string("connect: ") + std::to_string(errno);
    }
    if (h.net.write(c, "ping", 4) != 4) return std::string("write failed");
    char buf[4];
    if (h.net.recv(c, buf, 4, MSG_WAITALL) != 4) return std::string("read failed");
    return std::string(buf, 4);
  });
  ASSERT_TRUE(h.feed_until(server));
  ASSERT_TRUE(h.feed_until(client));
  EXPECT_EQ(server.get(), "ping");
  EXPECT_EQ(client.get(), "pong");
}

TEST(ThreadedDriver, NextDeadlineIncludesABlockedCallsTimeout) {
  Host h;
  const int l = h.net.socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = inet(80);
  ASSERT_EQ(h.net.bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(h.net.listen(l, 4), 0);
  const timeval tv{.tv_sec = 2, .tv_usec = 0};
  ASSERT_EQ(h.net.setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  h.t = Instant::zero() + 5_s;
  h.driver.advance(h.t);
  auto accept = std::async(std::launch::async, [&] {
    const int s = h.net.accept(l, nullptr, nullptr);
    return s == -1 ? errno : 0;
  });
  ASSERT_TRUE(h.driver.wait_blocked(1, milliseconds(5'000)));
  // Nothing else is armed: the next deadline is the accept's SO_RCVTIMEO.
  EXPECT_EQ(h.driver.next_deadline(), Instant::zero() + 7_s);
  EXPECT_EQ(h.driver.blocked(), 1u);
  h.driver.advance(Instant::zero() + 6_s);  // not yet
  EXPECT_EQ(accept.wait_for(milliseconds(20)), std::future_status::timeout);
  h.driver.advance(Instant::zero() + 7_s);
  ASSERT_EQ(accept.wait_for(milliseconds(5'000)), std::future_status::ready);
  EXPECT_EQ(accept.get(), EAGAIN);
  EXPECT_EQ(h.driver.blocked(), 0u);
  EXPECT_TRUE(h.driver.next_deadline().is_infinite());
}

TEST(ThreadedDriver, CloseFromAnotherThreadWakesABlockedReadWithEbadf) {
  Host h;
  const int l = h.net.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in a = inet(80);
  ASSERT_EQ(h.net.bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(h.net.listen(l, 4), 0);
  const int c = h.net.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_EQ(h.net.connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a), -1);
  ASSERT_EQ(errno, EINPROGRESS);
  for (int i = 0; i < 10; ++i)
    (void)h.feed();
  ASSERT_EQ(h.net.fcntl(c, F_SETFL, 0), 0);
  auto reader = std::async(std::launch::async, [&] {
    char buf[4];
    return h.net.read(c, buf, sizeof buf) == -1 ? errno : 0;
  });
  ASSERT_TRUE(h.driver.wait_blocked(1, milliseconds(5'000)));
  ASSERT_EQ(h.net.close(c), 0);
  ASSERT_EQ(reader.wait_for(milliseconds(5'000)), std::future_status::ready);
  EXPECT_EQ(reader.get(), EBADF);
}

TEST(ThreadedDriver, SettleReturnsOnceEveryWokenCallHasLeftItsWait) {
  Host h;
  const int l = h.net.socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = inet(80);
  ASSERT_EQ(h.net.bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(h.net.listen(l, 4), 0);
  const timeval tv{.tv_sec = 1, .tv_usec = 0};
  ASSERT_EQ(h.net.setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  auto accept = std::async(std::launch::async, [&] {
    const int s = h.net.accept(l, nullptr, nullptr);
    return s == -1 ? errno : 0;
  });
  ASSERT_TRUE(h.driver.wait_blocked(1, milliseconds(5'000)));
  // Nothing woke it: settled at once, the call still asleep.
  EXPECT_TRUE(h.driver.settle(milliseconds(5'000)));
  EXPECT_EQ(h.driver.blocked(), 1u);
  h.driver.advance(Instant::zero() + 1_s);  // its timeout
  // settle() comes back only after the woken call is out of wait() (no polling needed).
  EXPECT_TRUE(h.driver.settle(milliseconds(5'000)));
  EXPECT_EQ(h.driver.blocked(), 0u);
  ASSERT_EQ(accept.wait_for(milliseconds(5'000)), std::future_status::ready);
  EXPECT_EQ(accept.get(), EAGAIN);
}

}  // namespace
}  // namespace synack::api
