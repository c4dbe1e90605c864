// TunDevice: one Linux TUN interface carrying bare IPv4 packets (IFF_TUN | IFF_NO_PI).
//
// The device is only a packet pipe: one read() is one packet the kernel routed to the
// interface, one write() is one packet the kernel receives from it. With IFF_NO_PI there is
// no 4-byte packet-information header, so the bytes are exactly what synack's Stack consumes
// and emits. The descriptor is non-blocking so a single run loop (link/realtime_loop.h) can
// poll it next to the stack's timers; "nothing to read" and "device queue full" are ordinary
// outcomes, not errors. Addresses, routes and link state are NOT set here: the program or
// test that owns the network namespace does that with `ip`, so the library never changes a
// host's network configuration by itself. A TUN opened without IFF_PERSIST disappears when
// its descriptor is closed.
//
// adopt() wraps any datagram descriptor with the same one-read-one-packet behaviour (an
// AF_UNIX SOCK_DGRAM socketpair), so the run loop is testable without root.
//
// Errors are values: the errno and a sentence that says what to do (EPERM names
// CAP_NET_ADMIN). Single-threaded; move-only, closes its descriptor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace synack::link {

struct DeviceError {
  int code = 0;         // errno
  std::string message;  // human-readable, includes the device name and strerror
};

class TunDevice {
 public:
  // Creates (or attaches to) TUN interface `name` (at most 15 characters, Linux IFNAMSIZ-1).
  [[nodiscard]] static Result<TunDevice, DeviceError> open(const std::string& name);
  // Takes ownership of `fd`, a datagram descriptor; sets O_NONBLOCK.
  [[nodiscard]] static Result<TunDevice, DeviceError> adopt(int fd, std::string name);

  TunDevice(TunDevice&& o) noexcept;
  TunDevice& operator=(TunDevice&& o) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();

  [[nodiscard]] int fd() const { return fd_; }
  // The interface name the kernel chose (it may expand a pattern such as "syn%d").
  [[nodiscard]] const std::string& name() const { return name_; }

  // One packet into `out`: its length; 0 when no packet is waiting. A packet longer than
  // `out` is truncated by the kernel, so pass a buffer of at least the interface MTU.
  [[nodiscard]] Result<size_t, DeviceError> read(std::span<uint8_t> out);
  // One packet out: true when the kernel took it, false when it was dropped because the
  // device's queue is full (EAGAIN/ENOBUFS) or the interface is down (EIO), as a router would.
  [[nodiscard]] Result<bool, DeviceError> write(std::span<const uint8_t> packet);

 private:
  TunDevice(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_ = -1;
  std::string name_;
};

}  // namespace synack::link
