// sendto() / sendmsg() with MSG_FASTOPEN (SPEC §13.3): connect and send in one call, the data
// riding in the SYN when a cookie is cached.
//
// Linux's path is tcp_sendmsg_locked() → tcp_sendmsg_fastopen() → __inet_stream_connect(...,
// is_sendmsg = 1), and what the caller sees follows from it:
//   - EOPNOTSUPP when net.ipv4.tcp_fastopen lacks the client bit 0x1, or the address is
//     AF_UNSPEC (checked before anything else about the socket's state);
//   - on a fresh socket the address is checked as connect() checks it (none or too short:
//     EINVAL; not AF_INET: EAFNOSUPPORT) and the SYN leaves with as much data as it can carry
//     (tcp_send_syn_data(): with the cached cookie, else a cookie request and no data);
//   - non-blocking (O_NONBLOCK or MSG_DONTWAIT): the bytes the SYN took, or EINPROGRESS when
//     it took none;
//   - blocking: waits for the handshake up to SO_SNDTIMEO (then as non-blocking); a failed
//     handshake is its error (ECONNREFUSED, ETIMEDOUT) even when the SYN carried data; once
//     established the rest is sent as by send() and the total returned;
//   - a listener, or a connection already made or under way: EISCONN or EALREADY; a deferred
//     TCP_FASTOPEN_CONNECT socket sends as send() would.
// The Stack does the protocol part (Stack::send_fastopen()); this file adds the address, the
// iovec and the waiting.
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "api/sockets_impl.h"

namespace synack {

namespace {

long err(int e) {
  return -static_cast<long>(e);
}

// The SYN carries at most one MSS of data (at most 64 KiB - 40 with the largest MTU), so
// more than this is never looked at for the SYN.
constexpr size_t kMaxSynData = 65536;

}  // namespace

long SocketsImpl::send_fastopen(int fd, const sockaddr* dst, socklen_t dstlen, const iovec* iov,
                                size_t iovcnt, int flags) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if (dst != nullptr && dstlen >= sizeof(sa_family_t)) {
    sa_family_t family = 0;
    std::memcpy(&family, dst, sizeof family);
    if (family == AF_UNSPEC) return err(EOPNOTSUPP);
  }
  Result<Endpoint, int> remote = Failure{EINVAL};  // no address: tcp_v4_connect()'s EINVAL
  if (dst != nullptr) {
    Endpoint ep;
    if (const long r = read_sockaddr_in(dst, dstlen, &ep); r < 0) {
      remote = Failure{static_cast<int>(-r)};
    } else {
      remote = ep;
    }
  }
  size_t want = 0;
  for (size_t i = 0; i < iovcnt; ++i)
    want += iov[i].iov_len;
  std::vector<uint8_t> head;
  head.reserve(std::min(want, kMaxSynData));
  for (size_t i = 0; i < iovcnt && head.size() < kMaxSynData; ++i) {
    const size_t n = std::min(iov[i].iov_len, kMaxSynData - head.size());
    if (n == 0) continue;  // an empty iovec may have a null base
    const auto* p = static_cast<const uint8_t*>(iov[i].iov_base);
    head.insert(head.end(), p, p + n);
  }
  const SocketId sid = d->sid;
  const uint64_t gen = d->generation;
  const bool nonblock = d->nonblock || (flags & MSG_DONTWAIT) != 0;
  const Duration sndtimeo = d->sndtimeo;
  auto r = stack_.send_fastopen(sid, remote, head, now());
  if (!r && r.error() != EINPROGRESS) return err(r.error());
  const size_t copied = r ? r.value() : 0;
  if (nonblock) return copied > 0 ? static_cast<long>(copied) : err(EINPROGRESS);
  auto settled = [&] {
    const auto info = stack_.info(sid);
    return !info ||
           (info->state != tcp::State::kSynSent && info->state != tcp::State::kSynReceived);
  };
  bool closed = false;
  const bool ok = block(fd, gen, settled, deadline_after(sndtimeo), &closed);
  if (closed) return copied > 0 ? static_cast<long>(copied) : err(EBADF);
  if (!ok) return copied > 0 ? static_cast<long>(copied) : err(EINPROGRESS);
  if (const int so_error = stack_.take_error(sid); so_error != 0) return err(so_error);
  const auto info = stack_.info(sid);
  if (info && info->state == tcp::State::kClosed) return err(ECONNREFUSED);
  if (copied == want) return static_cast<long>(copied);
  // The rest goes as by send(): the iovec from byte `copied` on.
  std::vector<iovec> rest;
  size_t skip = copied;
  for (size_t i = 0; i < iovcnt; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    rest.push_back(iovec{static_cast<uint8_t*>(iov[i].iov_base) + skip, iov[i].iov_len - skip});
    skip = 0;
  }
  const long n = send_iov(fd, rest.data(), rest.size(), flags & ~MSG_FASTOPEN);
  if (n < 0) return copied > 0 ? static_cast<long>(copied) : n;
  return static_cast<long>(copied) + n;
}

}  // namespace synack
