// Drives libsynack_packetdrill.so the way packetdrill does: dlopen(), one call to
// packetdrill_interface_init(), then socket calls through the table — blocking ones on a
// second thread — while the main thread injects the peer's packets with netdev_send(), sniffs
// synack's with netdev_receive(), and moves virtual time with usleep() and gettimeofday().
// A blocking call is known to be in place the way packetdrill knows it: its thread shows as
// sleeping ('S') in /proc/self/task/<tid>/stat. Every real-time wait is bounded.
//
// Addresses are packetdrill's defaults: synack is 192.168.0.1, the scripted peer 192.0.2.1.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "interface.h"

namespace {

using synack::shim::PacketdrillInterface;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t kPort = 8080;
constexpr uint16_t kPeerPort = 40000;
constexpr uint8_t kLocal[4] = {192, 168, 0, 1};
constexpr uint8_t kPeer[4] = {192, 0, 2, 1};
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08, kRst = 0x04;

void* library() {
  static void* handle = dlopen(SYNACK_SHIM_LIBRARY, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  return handle;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}
uint32_t add_words(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
uint16_t get16(const Bytes& p, size_t off) {
  return static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
}
uint32_t get32(const Bytes& p, size_t off) {
  return static_cast<uint32_t>(get16(p, off)) << 16 | get16(p, off + 2);
}
void put16(Bytes& p, size_t off, uint16_t v) {
  p[off] = static_cast<uint8_t>(v >> 8);
  p[off + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& p, size_t off, uint32_t v) {
  put16(p, off, static_cast<uint16_t>(v >> 16));
  put16(p, off + 2, static_cast<uint16_t>(v));
}

// An IPv4 + TCP packet with both checksums filled (DF, TTL 64).
Bytes tcp_packet(const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport,
                 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const Bytes& options,
                 const Bytes& payload = {}, uint16_t ip_id = 0) {
  const size_t tcp_len = 20 + options.size() + payload.size();
  Bytes p(20 + tcp_len, 0);
  p[0] = 0x45;
  put16(p, 2, static_cast<uint16_t>(p.size()));
  put16(p, 4, ip_id);
  p[6] = 0x40;  // DF
  p[8] = 64;
  p[9] = IPPROTO_TCP;
  std::copy(src, src + 4, p.begin() + 12);
  std::copy(dst, dst + 4, p.begin() + 16);
  put16(p, 10, fold(add_words(p.data(), 20)));
  put16(p, 20, sport);
  put16(p, 22, dport);
  put32(p, 24, seq);
  put32(p, 28, ack);
  p[32] = static_cast<uint8_t>((20 + options.size()) / 4 << 4);
  p[33] = flags;
  put16(p, 34, win);
  std::copy(options.begin(), options.end(), p.begin() + 40);
  std::copy(payload.begin(), payload.end(), p.begin() + 40 + static_cast<long>(options.size()));
  uint32_t sum = add_words(p.data() + 12, 8) + IPPROTO_TCP + static_cast<uint32_t>(tcp_len);
  put16(p, 36, fold(add_words(p.data() + 20, tcp_len, sum)));
  return p;
}
Bytes from_peer(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const Bytes& options,
                const Bytes& payload = {}) {
  return tcp_packet(kPeer, kLocal, kPeerPort, kPort, seq, ack, flags, win, options, payload);
}

bool thread_sleeping(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string pid, comm, state;
  in >> pid >> comm >> state;  // comm is "(name)" without spaces for our threads
  return state == "S";
}

// One packetdrill-style session: a fresh host and the calls packetdrill would make.
class ShimDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(library(), nullptr) << dlerror();
    auto init = reinterpret_cast<void (*)(const char*, PacketdrillInterface*)>(
        dlsym(library(), "packetdrill_interface_init"));
    ASSERT_NE(init, nullptr);
    init("local=192.168.0.1 sysctls=0", &ifc);
    u = ifc.userdata;
  }
  void TearDown() override {
    if (ifc.free != nullptr) ifc.free(u);
  }

  long long now_us() {
    timeval tv{};
    EXPECT_EQ(ifc.gettimeofday(u, &tv, nullptr), 0);
    return static_cast<long long>(tv.tv_sec) * 1'000'000 + tv.tv_usec;
  }
  void inject(const Bytes& p) { ASSERT_EQ(ifc.netdev_send(u, p.data(), p.size()), 0); }
  // The next packet synack sends and its departure time (microseconds).
  Bytes sniff(long long* at = nullptr) {
    Bytes buf(65536);
    size_t n = buf.size();
    long long t = 0;
    EXPECT_EQ(ifc.netdev_receive(u, buf.data(), &n, &t), 0);
    buf.resize(n);
    if (at != nullptr) *at = t;
    return buf;
  }
  // Starts `call` on a second thread and returns once that thread sleeps inside it.
  template <class F>
  auto blocking(F call) {
    std::atomic<pid_t> tid{0};
    auto f = std::async(std::launch::async, [&tid, call] {
      tid = static_cast<pid_t>(syscall(SYS_gettid));
      return call();
    });
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (tid == 0 || !thread_sleeping(tid)) {
      if (std::chrono::steady_clock::now() > end) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    EXPECT_TRUE(tid != 0 && thread_sleeping(tid)) << "the call never went to sleep";
    return f;
  }
  int listener() {
    const int fd = ifc.socket(u, AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    EXPECT_EQ(ifc.bind(u, fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(ifc.listen(u, fd, 16), 0);
    return fd;
  }
  // SYN (MSS 1000 only) → SYN+ACK → ACK; returns synack's ISN.
  uint32_t handshake(Bytes* syn_ack = nullptr, long long* syn_ack_at = nullptr) {
    inject(from_peer(0, 0, kSyn, 32792, {2, 4, 0x03, 0xe8}));
    const Bytes sa = sniff(syn_ack_at);
    EXPECT_GE(sa.size(), 40u);
    if (sa.size() < 40) return 0;
    const uint32_t isn = get32(sa, 24);
    isn_ = isn;
    if (syn_ack != nullptr) *syn_ack = sa;
    inject(from_peer(1, isn + 1, kAck, 32792, {}));
    return isn;
  }
  int established(int lfd) {
    handshake();
    const int fd = ifc.accept(u, lfd, nullptr, nullptr);
    EXPECT_GE(fd, 0);
    return fd;
  }

  PacketdrillInterface ifc{};
  void* u = nullptr;
  uint32_t isn_ = 0;  // synack's ISN in the last handshake
};

TEST_F(ShimDriver, InitFillsEveryOneOfTheThirtyThreeSlots) {
  const auto* slots = reinterpret_cast<void* const*>(&ifc);
  for (size_t i = 0; i < sizeof ifc / sizeof(void*); ++i)
    EXPECT_NE(slots[i], nullptr) << i;
}

TEST_F(ShimDriver, GettimeofdayAdvancesOnEveryCall) {
  const long long a = now_us();
  const long long b = now_us();
  EXPECT_GT(b, a);
  EXPECT_LT(b - a, 100);  // "a little": microseconds, not a jump
}

TEST_F(ShimDriver, BlockingAcceptWokenByThirdAckAndSynAckBytesExact) {
  const int lfd = listener();
  auto accepted = blocking([&] { return ifc.accept(u, lfd, nullptr, nullptr); });

  Bytes sa;
  const uint32_t isn = handshake(&sa);
  // Linux's SYN+ACK to a SYN offering only MSS 1000: MSS 1460 (mtu 1500), window 64240
  // (rcv_wnd rounded to 1460-byte segments, no scaling offered), DF, TTL 64. The ISN and the
  // IP ID are the stack's choice; every other byte, both checksums included, is fixed.
  ASSERT_GE(sa.size(), 40u);
  Bytes want = tcp_packet(kLocal, kPeer, kPort, kPeerPort, isn, 1, kSyn | kAck, 64240,
                          {2, 4, 0x05, 0xb4}, {}, get16(sa, 4));
  EXPECT_EQ(sa, want);

  ASSERT_EQ(accepted.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const int fd = accepted.get();
  ASSERT_GE(fd, 0);
  EXPECT_NE(fd, lfd);
  // Both are real descriptors of the process (packetdrill closes leftovers with close()).
  EXPECT_GE(::fcntl(fd, F_GETFD), 0);
  EXPECT_GE(::fcntl(lfd, F_GETFD), 0);
  EXPECT_EQ(ifc.close(u, fd), 0);
  EXPECT_EQ(ifc.close(u, lfd), 0);
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(ShimDriver, BlockingReadWokenByInjectedDataReturnsAtThatInstant) {
  const int fd = established(listener());
  auto got = blocking([&] {
    char buf[100];
    const ssize_t n = ifc.read(u, fd, buf, sizeof buf);
    const long long end = now_us();  // packetdrill reads the clock right after the call
    return std::make_pair(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), end);
  });
  const long long sent = now_us();
  inject(from_peer(1, isn_ + 1, kAck | kPsh, 32792, {}, {'h', 'e', 'l', 'l', 'o'}));
  // The main thread moves on at once; the woken read still ends at the instant of the data,
  // not 100 ms later, however late its thread gets to run.
  ASSERT_EQ(ifc.usleep(u, 100'000), 0);
  ASSERT_EQ(got.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto [data, end] = got.get();
  EXPECT_EQ(data, "hello");
  EXPECT_GE(end, sent);
  EXPECT_LT(end - sent, 1'000);
  const Bytes ack = sniff();  // the data is acknowledged
  ASSERT_GE(ack.size(), 40u);
  EXPECT_EQ(ack[33], kAck);
  EXPECT_EQ(get32(ack, 28), 6u);
  EXPECT_EQ(ifc.close(u, fd), 0);
}

TEST_F(ShimDriver, UsleepWakesAReadWhoseTimeoutRunsOut) {
  const int fd = established(listener());
  const timeval limit{0, 100'000};
  ASSERT_EQ(ifc.setsockopt(u, fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
  const long long t0 = now_us();
  auto result = blocking([&] {
    char b;
    const ssize_t n = ifc.read(u, fd, &b, 1);
    return std::make_pair(n, errno);
  });
  // Real time alone does not end it: only virtual time counts.
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(150)), std::future_status::timeout);
  ASSERT_EQ(ifc.usleep(u, 100'000), 0);
  ASSERT_EQ(result.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto [n, err] = result.get();
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EAGAIN);
  EXPECT_GE(now_us() - t0, 100'000);
}

TEST_F(ShimDriver, NetdevReceiveAdvancesToTheSynAckRetransmissionAtOneSecond) {
  listener();
  inject(from_peer(0, 0, kSyn, 32792, {2, 4, 0x03, 0xe8}));
  long long first = 0, second = 0;
  const Bytes a = sniff(&first);
  const auto wall = std::chrono::steady_clock::now();
  const Bytes b = sniff(&second);  // nothing queued: time jumps to the retransmission timer
  EXPECT_LT(std::chrono::steady_clock::now() - wall, std::chrono::milliseconds(500));
  ASSERT_GE(a.size(), 40u);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(Bytes(a.begin() + 12, a.end()), Bytes(b.begin() + 12, b.end()));  // but the IP ID
  EXPECT_EQ(fold(add_words(b.data(), 20)), 0);  // a valid IP header checksum
  EXPECT_EQ(a[33], kSyn | kAck);
  EXPECT_EQ(second - first, 1'000'000);  // initial RTO, SPEC §18
}

TEST_F(ShimDriver, NetdevReceiveReportsCountZeroWhenNothingCanEverCome) {
  Bytes buf(2000);
  size_t n = buf.size();
  long long t = 0;
  ASSERT_EQ(ifc.netdev_receive(u, buf.data(), &n, &t), 0);
  EXPECT_EQ(n, 0u);
}

TEST_F(ShimDriver, NetdevSendReturnsZeroForPacketsTheStackDrops) {
  const Bytes junk{0x45, 0x00, 0x00};
  EXPECT_EQ(ifc.netdev_send(u, junk.data(), junk.size()), 0);
  Bytes bad = from_peer(0, 0, kSyn, 1000, {});
  bad[37] ^= 0xff;  // TCP checksum
  EXPECT_EQ(ifc.netdev_send(u, bad.data(), bad.size()), 0);
  // A SYN to a closed port is answered with RST/ACK, built like Linux's tcp_v4_send_reset.
  inject(from_peer(0, 0, kSyn, 1000, {}));
  const Bytes rst = sniff();
  ASSERT_GE(rst.size(), 40u);
  EXPECT_EQ(rst[33], kRst | kAck);
  EXPECT_EQ(get32(rst, 28), 1u);
}

TEST_F(ShimDriver, FcntlAndIoctlTakeTheirThirdArgument) {
  const int fd = established(listener());
  ASSERT_EQ(ifc.fcntl(u, fd, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(ifc.fcntl(u, fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  char b;
  errno = 0;
  EXPECT_EQ(ifc.read(u, fd, &b, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  inject(from_peer(1, isn_ + 1, kAck, 32792, {}, {'x', 'y', 'z'}));
  int queued = -1;
  ASSERT_EQ(ifc.ioctl(u, fd, FIONREAD, &queued), 0);
  EXPECT_EQ(queued, 3);
  EXPECT_EQ(ifc.pipe(u, nullptr), -1);
  EXPECT_EQ(errno, ENOSYS);
}

TEST_F(ShimDriver, InterposedGetsockoptAnswersSynackDescriptorsAndForwardsOthers) {
  using Getsockopt = int (*)(int, int, int, void*, socklen_t*);
  auto gso = reinterpret_cast<Getsockopt>(dlsym(library(), "getsockopt"));
  ASSERT_NE(gso, nullptr);
  const int fd = established(listener());
  tcp_info ti{};
  socklen_t len = sizeof ti;
  ASSERT_EQ(gso(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
  EXPECT_EQ(ti.tcpi_state, TCP_ESTABLISHED);
  EXPECT_EQ(ti.tcpi_snd_mss, 1000u);  // the peer's MSS
  // Asked for more, it answers with Linux 6.18's full 280-byte length (packetdrill checks).
  uint8_t big[400];
  len = sizeof big;
  ASSERT_EQ(gso(fd, IPPROTO_TCP, TCP_INFO, big, &len), 0);
  EXPECT_EQ(len, 280u);
  // packetdrill's code blocks also fetch TCP_CC_INFO (26) and SO_MEMINFO (55).
  char cc[64];
  len = sizeof cc;
  ASSERT_EQ(gso(fd, IPPROTO_TCP, 26, cc, &len), 0);
  EXPECT_EQ(len, 0u);  // NewReno, like Linux's Reno/CUBIC, has no get_info()
  uint32_t mem[9] = {};
  len = sizeof mem;
  ASSERT_EQ(gso(fd, SOL_SOCKET, 55, mem, &len), 0);
  EXPECT_EQ(len, sizeof mem);
  int rcvbuf = 0;
  socklen_t rlen = sizeof rcvbuf;
  ASSERT_EQ(gso(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &rlen), 0);
  EXPECT_EQ(mem[1], static_cast<uint32_t>(rcvbuf));
  EXPECT_GT(mem[1], 0u);

  const int kernel = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(kernel, 0);
  int type = 0;
  len = sizeof type;
  ASSERT_EQ(gso(kernel, SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_DGRAM);  // the kernel's answer: synack has no datagram sockets
  ::close(kernel);

  const int null = ::open("/dev/null", O_RDONLY);
  errno = 0;
  EXPECT_EQ(gso(null, SOL_SOCKET, SO_TYPE, &type, &len), -1);
  EXPECT_EQ(errno, ENOTSOCK);
  ::close(null);
  EXPECT_EQ(ifc.close(u, fd), 0);
}

}  // namespace
