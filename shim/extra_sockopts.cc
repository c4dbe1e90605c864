#include "extra_sockopts.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace synack::shim {
namespace {

// Linux's numbers (include/uapi/asm-generic/socket.h, linux/sock_diag.h, linux/tcp.h), given
// here because older libc headers lack some of them.
constexpr int kSoMeminfo = 55;
constexpr size_t kLinuxTcpInfoBytes = 280;  // Linux 6.18, through tcpi_options2
constexpr int kTcpCcInfo = 26;
constexpr size_t kMeminfoVars = 9;
constexpr size_t kMeminfoRcvbuf = 1;
constexpr size_t kMeminfoSndbuf = 3;

// Copies min(*len, size) bytes out and stores that length, as the kernel's getsockopt does.
int put(const void* data, size_t size, void* value, socklen_t* len) {
  const size_t copy = std::min<size_t>(*len, size);
  if (copy > 0 && value == nullptr) {
    errno = EFAULT;
    return -1;
  }
  if (copy > 0) std::memcpy(value, data, copy);
  *len = static_cast<socklen_t>(copy);
  return 0;
}

}  // namespace

int shim_getsockopt(Sockets& net, int fd, int level, int name, void* value, socklen_t* len) {
  const bool cc_info = level == IPPROTO_TCP && name == kTcpCcInfo;
  const bool meminfo = level == SOL_SOCKET && name == kSoMeminfo;
  const bool info = level == IPPROTO_TCP && name == TCP_INFO;
  if (!cc_info && !meminfo && !info) return net.getsockopt(fd, level, name, value, len);
  // The facade's own checks first: EBADF, ENOTSOCK, EFAULT for a null length.
  int rcvbuf = 0;
  socklen_t n = sizeof rcvbuf;
  if (net.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &n) < 0) return -1;
  if (len == nullptr || static_cast<int>(*len) < 0) {
    errno = len == nullptr ? EFAULT : EINVAL;
    return -1;
  }
  if (info) {
    std::array<uint8_t, kLinuxTcpInfoBytes> full{};
    static_assert(sizeof(tcp_info) <= kLinuxTcpInfoBytes);
    n = sizeof(tcp_info);
    if (net.getsockopt(fd, level, name, full.data(), &n) < 0) return -1;
    return put(full.data(), full.size(), value, len);
  }
  if (cc_info) {
    *len = 0;  // no get_info() for NewReno
    return 0;
  }
  int sndbuf = 0;
  n = sizeof sndbuf;
  if (net.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &n) < 0) return -1;
  std::array<uint32_t, kMeminfoVars> mem{};
  mem[kMeminfoRcvbuf] = static_cast<uint32_t>(rcvbuf);
  mem[kMeminfoSndbuf] = static_cast<uint32_t>(sndbuf);
  return put(mem.data(), sizeof mem, value, len);
}

}  // namespace synack::shim
