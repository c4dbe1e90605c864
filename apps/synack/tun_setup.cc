#include "tun_setup.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace synack::cli {
namespace {

sockaddr_in inet(uint32_t host_order) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host_order);
  return a;
}

std::string failed(const char* what, const std::string& ifname) {
  return std::string(what) + " on " + ifname + ": " + std::strerror(errno);
}

}  // namespace

std::string configure_kernel_side(const std::string& ifname, wire::Ipv4Address kernel_addr,
                                  int prefix_len) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket(AF_INET): ") + std::strerror(errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  std::string err;
  const sockaddr_in addr = inet(kernel_addr.value());
  std::memcpy(&ifr.ifr_addr, &addr, sizeof addr);
  if (::ioctl(fd, SIOCSIFADDR, &ifr) != 0) err = failed("SIOCSIFADDR", ifname);
  if (err.empty()) {
    const uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    const sockaddr_in m = inet(mask);
    std::memcpy(&ifr.ifr_netmask, &m, sizeof m);
    if (::ioctl(fd, SIOCSIFNETMASK, &ifr) != 0) err = failed("SIOCSIFNETMASK", ifname);
  }
  if (err.empty() && ::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) err = failed("SIOCGIFFLAGS", ifname);
  if (err.empty()) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) err = failed("SIOCSIFFLAGS", ifname);
  }
  ::close(fd);
  return err;
}

}  // namespace synack::cli
