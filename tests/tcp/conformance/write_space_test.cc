// When a connection whose send buffer filled up becomes writable again (EPOLLOUT/POLLOUT, and
// so when a blocked write() resumes): Linux's sk_stream_is_writeable() — the free space must
// be at least half of what is queued (sk_stream_wspace >= sk_stream_min_wspace), i.e. the
// queue must drain to two thirds of the buffer. A send() itself still takes whatever fits
// (sk_stream_memory_free). Linux counts skb truesize; synack counts payload bytes, so the
// threshold sits at exactly 2/3 of the payload limit here.
#include <gtest/gtest.h>

#include "tcp/harness/tcp_script.h"

namespace synack::tcptest {
namespace {

class ConformanceWriteSpace : public TcpScript {
 protected:
  ConformanceWriteSpace() { peer_syn_options.mss = 1000; }
};

TEST_F(ConformanceWriteSpace, WritableAgainOnlyWhenFreeSpaceIsHalfWhatIsQueued) {
  auto [l, a] = establish_passive();
  set_option(a, SockOpt::kSndBuf, 5000);  // Linux doubles it: 10000 bytes of queue
  expect_ready(at(10_ms), a, ready::kOut);
  send(at(10_ms), a, 10000);
  for (uint32_t seq = 1; seq < 10001; seq += 1000)
    expect(at(10_ms), {.flags = ack, .seq = seq, .ack = 1, .len = 1000});
  expect_ready(at(10_ms), a, 0, ready::kOut);
  send_fails(at(10_ms), a, EAGAIN);
  // 7000 queued, 3000 free: room for a write, but less than half the queue: not writable.
  inject(at(20_ms), {.flags = ack, .seq = 1, .ack = 3001});
  expect_ready(at(20_ms), a, 0, ready::kOut);
  // 6600 queued, 3400 free >= 3300: writable.
  inject(at(30_ms), {.flags = ack, .seq = 1, .ack = 3401});
  expect_ready(at(30_ms), a, ready::kOut);
  // Everything acknowledged: an empty queue is writable.
  inject(at(40_ms), {.flags = ack, .seq = 1, .ack = 10001});
  expect_ready(at(40_ms), a, ready::kOut);
  (void)l;
}

// The rule is about poll/wake-up only: a non-blocking send() below the threshold still queues
// what fits, as Linux's tcp_sendmsg() does while sk_wmem_queued < sk_sndbuf.
TEST_F(ConformanceWriteSpace, SendTakesWhatFitsEvenWhenNotWritable) {
  auto [l, a] = establish_passive();
  set_option(a, SockOpt::kSndBuf, 5000);
  send(at(10_ms), a, 10000);
  for (uint32_t seq = 1; seq < 10001; seq += 1000)
    expect(at(10_ms), {.flags = ack, .seq = seq, .ack = 1, .len = 1000});
  inject(at(20_ms), {.flags = ack, .seq = 1, .ack = 1001});
  expect_ready(at(20_ms), a, 0, ready::kOut);
  send(at(20_ms), a, 1000);  // exactly the 1000 free bytes
  // cwnd 11 with 9000 in flight: the new segment leaves at once, ending the data (PSH).
  expect(at(20_ms), {.flags = psh_ack, .seq = 10001, .ack = 1, .len = 1000});
  send_fails(at(20_ms), a, EAGAIN);
  (void)l;
}

}  // namespace
}  // namespace synack::tcptest
