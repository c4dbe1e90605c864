#include "link/tun_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace synack::link {
namespace {

DeviceError error_of(int code, std::string_view what, std::string_view name) {
  std::string msg = fmt::format("{} {}: {}", what, name, std::strerror(code));
  if (code == EPERM || code == EACCES)
    msg += " (creating a TUN device needs CAP_NET_ADMIN: run as root or in a namespace you own)";
  if (code == ENOENT) msg += " (is the tun module loaded? /dev/net/tun is missing)";
  return DeviceError{.code = code, .message = std::move(msg)};
}

}  // namespace

Result<TunDevice, DeviceError> TunDevice::open(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return Failure{DeviceError{
        .code = EINVAL,
        .message = fmt::format("bad TUN name '{}': 1 to {} characters", name, IFNAMSIZ - 1)}};
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Failure{error_of(errno, "open /dev/net/tun for", name)};
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int e = errno;
    ::close(fd);
    return Failure{error_of(e, "TUNSETIFF", name)};
  }
  return TunDevice{fd, std::string(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ))};
}

Result<TunDevice, DeviceError> TunDevice::adopt(int fd, std::string name) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return Failure{error_of(errno, "set O_NONBLOCK on", name)};
  return TunDevice{fd, std::move(name)};
}

TunDevice::TunDevice(TunDevice&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), name_(std::move(o.name_)) {}

TunDevice& TunDevice::operator=(TunDevice&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t, DeviceError> TunDevice::read(std::span<uint8_t> out) {
  for (;;) {
    const ssize_t n = ::read(fd_, out.data(), out.size());
    if (n >= 0) return static_cast<size_t>(n);  // 0: an empty datagram, nothing to deliver
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return Failure{error_of(errno, "read", name_)};
  }
}

Result<bool, DeviceError> TunDevice::write(std::span<const uint8_t> packet) {
  for (;;) {
    const ssize_t n = ::write(fd_, packet.data(), packet.size());
    if (n >= 0) return static_cast<size_t>(n) == packet.size();
    if (errno == EINTR) continue;
    // A full queue, or (EIO) an interface that is not up yet: the packet is lost on the way,
    // as on a cable not plugged in; the stack's retransmissions deal with it.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EIO) return false;
    return Failure{error_of(errno, "write", name_)};
  }
}

}  // namespace synack::link
