// ShimHost: one synack host behind packetdrill's shared-object interface.
//
// packetdrill plays the network and the clock; synack is the kernel under test. The host is
// a Stack, a ThreadedDriver and the BSD facade, plus what packetdrill's model needs:
//   - Virtual time. The clock starts at the real time of day when the host is made (so
//     timestamps look like gettimeofday's) and moves only when packetdrill lets it:
//     gettimeofday() moves it 1 us (packetdrill spins on the clock between events and would
//     never see time pass otherwise), usleep() moves it by the amount asked, and
//     netdev_receive() with nothing to give moves it to the stack's next deadline. Every move
//     fires the stack's timers one deadline at a time, each at its own instant, and wakes the
//     blocked calls whose time has come — a whole script runs in milliseconds of wall time.
//   - Two threads. packetdrill makes blocking calls on a second thread and checks that the
//     thread really sleeps; the ThreadedDriver's condition variable is that sleep.
//   - Real descriptors. packetdrill closes the descriptors a script leaves open with the real
//     close(), so every synack descriptor is a duplicate of /dev/null (a real open descriptor
//     of the process, released by our close()).
//   - Woken calls complete before time moves on: every move of time first lets the calls
//     that the last packet or move woke leave their wait (ThreadedDriver::settle), and a call
//     reports its own return instant to its thread's next gettimeofday() (note_return()).
//   - Sysctls that scripts set through /proc/sys, read at each socket() call
//     (proc_sysctls.h).
//
// Thread-safe: every member function may be called from any thread.
#pragma once

#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include <synack/socket.h>
#include <synack/time.h>

#include "api/threaded_driver.h"
#include "shim_flags.h"
#include "stack/packet_output.h"
#include "stack/stack.h"

namespace synack::shim {

class ShimHost final : public PacketOutput {
 public:
  explicit ShimHost(const ShimFlags& flags);
  ~ShimHost() override;
  ShimHost(const ShimHost&) = delete;
  ShimHost& operator=(const ShimHost&) = delete;

  Sockets& sockets() { return net_; }
  // socket() after refreshing the sysctls from /proc/sys.
  int socket(int domain, int type, int protocol);

  int netdev_send(const void* buf, size_t count);
  int netdev_receive(void* buf, size_t* count, long long* time_usecs);
  int usleep(useconds_t usec);
  int gettimeofday(timeval* tv);
  // Called as every socket call returns: the next gettimeofday() on this thread reports the
  // instant the call returned, not whatever time another thread has moved on to since —
  // packetdrill reads the clock right after a blocking call to check when it ended.
  void note_return();

  // PacketOutput: called by the stack, under the driver's lock.
  void transmit(std::span<const uint8_t> ipv4_packet, Instant now) override;

 private:
  struct Departed {
    std::vector<uint8_t> bytes;
    Instant at;
  };
  [[nodiscard]] Instant now();
  // Moves time to `to`, firing each stack timer due before it at its own deadline.
  void advance_to(Instant to);
  [[nodiscard]] long long to_usecs(Instant t) const;
  int allocate_descriptor();
  void release_descriptor(int fd);

  ShimFlags flags_;
  std::deque<Departed> departed_;  // under the driver's lock
  Stack stack_;
  api::ThreadedDriver driver_;
  int null_fd_ = -1;
  bool closing_ = false;  // set in the destructor: descriptors are packetdrill's to close now
  long long epoch_usecs_ = 0;
  uint64_t serial_ = 0;  // unique per host in the process (note_return())
  Sockets net_;          // last: it refers to all of the above
};

}  // namespace synack::shim
