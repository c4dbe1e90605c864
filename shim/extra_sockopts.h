// getsockopt options packetdrill asks for that the BSD facade does not answer, filled here.
//
// packetdrill's inline code blocks (`%{ assert tcpi_rto == ... }%`) fetch three things from
// the script's socket with the real getsockopt() — TCP_INFO, TCP_CC_INFO and SO_MEMINFO —
// and fail the script if any call fails.
//   - TCP_INFO: the facade fills glibc's struct tcp_info; Linux 6.18's is 280 bytes and
//     packetdrill insists on getting all of them (it asserts the returned length), so the
//     answer is the facade's prefix followed by zeros up to 280 bytes, never more than the
//     caller asked for (as do_tcp_getsockopt copies min(len, sizeof)). The newer fields
//     (delivery rate, busy times, ECN counters...) therefore read 0.
//   - TCP_CC_INFO: Linux answers from the congestion module's get_info(); Reno and CUBIC
//     have none, so Linux returns 0 with a length of 0 (do_tcp_getsockopt). synack runs
//     NewReno, so that is the exact answer.
//   - SO_MEMINFO: Linux's sk_get_meminfo() array of 9 u32. synack has no skb accounting;
//     only SK_MEMINFO_RCVBUF and SK_MEMINFO_SNDBUF (what SO_RCVBUF / SO_SNDBUF report) are
//     filled, every other counter reads 0. Scripts asserting on the others will fail.
// Everything else goes to the facade unchanged.
#pragma once

#include <sys/socket.h>

#include <synack/socket.h>

namespace synack::shim {

int shim_getsockopt(Sockets& net, int fd, int level, int name, void* value, socklen_t* len);

}  // namespace synack::shim
