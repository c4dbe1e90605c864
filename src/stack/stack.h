// Stack: all TCP state of one host, behind the sans-IO core contract.
//
//   Stack stack{config, seed, output};
//   stack.input(bytes, now);        // an IPv4 packet arrived at `now`
//   stack.advance(now);             // fire every timer due at or before `now`
//   stack.next_deadline();          // when the driver must call advance() next
//   // outgoing packets go to `output` in order, from inside these calls
//
// plus a minimal socket-level API (TCP engine issue item 9) that the BSD facade
// (include/synack/socket.h, later) wraps thinly: sockets are small integer handles, every
// call that can change protocol state takes `now`, and errors are Linux errno values
// (<cerrno>: ECONNREFUSED, ETIMEDOUT, EAGAIN, ...) returned as Result<..., int> or as an int
// where 0 means success. Nothing blocks: a call that would block returns EAGAIN (or
// EINPROGRESS for connect), and readiness flags (Linux EPOLL* bit values) tell the caller
// when to try again — blocking semantics are the facade's job.
//
// The same inputs and the same seed give the same outputs, bit for bit.
// Single-threaded: one driver loop owns a Stack.
#pragma once

#include <synack/time.h>

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "stack/counters.h"
#include "stack/packet_output.h"
#include "stack/socket_snapshot.h"
#include "stack/sysctl.h"
#include "stack/trace.h"
#include "tcp/state.h"
#include "tcp/time_wait_table.h"
#include "wire/ipv4_address.h"

namespace synack {

struct Endpoint {
  wire::Ipv4Address addr;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

using SocketId = uint32_t;
inline constexpr SocketId kNoSocket = 0;

// Readiness bits, with Linux's EPOLL* values so the facade passes them through unchanged.
namespace ready {
inline constexpr uint32_t kIn = 0x001;      // EPOLLIN: data, EOF, or a connection to accept
inline constexpr uint32_t kOut = 0x004;     // EPOLLOUT: send buffer has room / connected
inline constexpr uint32_t kErr = 0x008;     // EPOLLERR: a pending error (SO_ERROR)
inline constexpr uint32_t kHup = 0x010;     // EPOLLHUP: both directions shut or reset
inline constexpr uint32_t kRdHup = 0x2000;  // EPOLLRDHUP: peer sent FIN
}  // namespace ready

enum class ShutdownHow : uint8_t { kRead, kWrite, kBoth };  // SHUT_RD, SHUT_WR, SHUT_RDWR

// Per-socket options (the facade maps SOL_SOCKET / IPPROTO_TCP names onto these).
enum class SockOpt : uint8_t {
  kReuseAddr,      // SO_REUSEADDR, 0/1
  kKeepAlive,      // SO_KEEPALIVE, 0/1
  kLinger,         // SO_LINGER: -1 = off, t >= 0 = on with t seconds
  kRcvBuf,         // SO_RCVBUF, bytes as set (get returns what Linux would report)
  kSndBuf,         // SO_SNDBUF
  kNoDelay,        // TCP_NODELAY, 0/1
  kMaxSeg,         // TCP_MAXSEG, bytes
  kKeepIdle,       // TCP_KEEPIDLE, seconds
  kKeepIntvl,      // TCP_KEEPINTVL, seconds
  kKeepCnt,        // TCP_KEEPCNT
  kSynCnt,         // TCP_SYNCNT
  kUserTimeoutMs,  // TCP_USER_TIMEOUT, milliseconds (0 = off)
  kQuickAck,       // TCP_QUICKACK, 0/1
  // TCP_FASTOPEN (SPEC §13.2): the listener's Fast Open queue length, min(v, somaxconn); set
  // before or after listen(); get returns the limit in force (Linux fastopenq.max_qlen).
  kFastOpen,
  // TCP_FASTOPEN_CONNECT (SPEC §13.3), 0/1, before connect() only; EOPNOTSUPP unless
  // net.ipv4.tcp_fastopen has 0x1. With a cookie cached (or 0x4) connect() returns 0 without
  // sending and the first send() puts its data in the SYN; without one connect() sends the SYN
  // with a cookie request at once (Linux tcp_fastopen_defer_connect()).
  kFastOpenConnect,
  // IP_BIND_ADDRESS_NO_PORT (IPPROTO_IP, Linux 4.2+), 0/1, settable in any state. With it,
  // bind(addr, 0) records the address only and connect() chooses the port with the whole
  // 4-tuple known (Linux __inet_bind() skips get_port(); __inet_hash_connect() picks it), so
  // connections from one address to different destinations may share a port. Without it,
  // bind(addr, 0) reserves a port for every destination at once. bind() with a port ignores it.
  kBindAddressNoPort,
};

// What `ss`, TCP_INFO and tests read about one socket or connection.
struct SocketInfo {
  tcp::State state = tcp::State::kClosed;
  Endpoint local;
  Endpoint remote;
  uint32_t recv_queue = 0;  // bytes unread (LISTEN: accept queue length)
  uint32_t send_queue = 0;  // bytes not yet acknowledged (LISTEN: backlog)
  bool orphan = false;      // closed by the application, still finishing its close
  Duration rto;
  uint32_t retransmits = 0;  // consecutive timeouts of the current segment
};

// A pending handshake (a listener's request record, SPEC §3.2), for ss-style views: it shows
// as SYN-RECV with its SYN+ACK timeouts so far and when its timer fires next.
struct RequestInfo {
  Endpoint local;
  Endpoint remote;
  uint32_t retransmits = 0;
  Instant deadline;
};

// SO_LINGER {on, t > 0} (SPEC §12.2): the wait a blocking close() performs, see
// Stack::close_linger().
struct LingerWait {
  SocketId socket = kNoSocket;
  Instant deadline;  // the linger time runs out here
};

struct StackConfig {
  // This host's primary address: the source of connect() on a socket not bound to an address
  // (Linux takes the route's preferred source; a synack host has one route).
  wire::Ipv4Address address;
  // Further local addresses (a Linux host's secondary addresses): packets to any of them are
  // accepted, bind() may name them, INADDR_ANY listeners answer on them, and the source of a
  // reply is the address the peer used. A fixed list, not an add_address() call: the set never
  // changes under live connections, so no connection can outlive its address.
  std::vector<wire::Ipv4Address> extra_addresses{};
  uint32_t mtu = 1500;  // SPEC §4.5: MSS advertised = mtu - 40
  // Verify the IPv4 and TCP checksums of every packet received (wire::ParseOptions). Off only
  // for benchmarks and links that verified already (a TUN with checksum offload); a packet
  // with a bad checksum is then taken as good.
  bool verify_checksums = true;
};

class StackImpl;
namespace tcp {
class Tcb;
}

class Stack {
 public:
  Stack(const StackConfig& config, uint64_t seed, PacketOutput& output);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // --- the core contract ------------------------------------------------------------------
  void input(std::span<const uint8_t> ipv4_packet, Instant now);
  void advance(Instant now);
  [[nodiscard]] Instant next_deadline() const;

  // --- sockets (errno values from <cerrno>) -----------------------------------------------
  [[nodiscard]] Result<SocketId, int> socket();
  [[nodiscard]] int bind(SocketId s, Endpoint local);
  [[nodiscard]] int listen(SocketId s, int backlog, Instant now);
  // The accepted socket, or EAGAIN when the accept queue is empty.
  [[nodiscard]] Result<SocketId, int> accept(SocketId listener, Instant now);
  // Starts the handshake and returns EINPROGRESS; the outcome arrives as readiness (kOut on
  // success, kErr with SO_ERROR = ECONNREFUSED / ETIMEDOUT on failure).
  [[nodiscard]] int connect(SocketId s, Endpoint remote, Instant now);
  [[nodiscard]] Result<size_t, int> send(SocketId s, std::span<const uint8_t> data, Instant now);
  // sendto()/sendmsg() with MSG_FASTOPEN (SPEC §13.3; Linux tcp_sendmsg_fastopen()). On a
  // fresh socket: connect() to `remote` whose SYN carries as much of `data` as fits with the
  // cached cookie (or 0x4), or is a cookie request carrying none; returns the bytes taken, or
  // EINPROGRESS when none were (the outcome then arrives as for connect()). `remote` holds
  // the errno tcp_v4_connect() gives a bad or missing address; it is looked at only on a fresh
  // socket. EOPNOTSUPP without net.ipv4.tcp_fastopen 0x1; on a socket that is not fresh:
  // a deferred TCP_FASTOPEN_CONNECT sends as send() does, a listener is EISCONN, any other
  // connection answers what connect() would (EISCONN, EALREADY, its pending error).
  [[nodiscard]] Result<size_t, int> send_fastopen(SocketId s, const Result<Endpoint, int>& remote,
                                                  std::span<const uint8_t> data, Instant now);
  // 0 bytes means EOF (the peer's FIN and everything before it has been read).
  [[nodiscard]] Result<size_t, int> recv(SocketId s, std::span<uint8_t> out, Instant now,
                                         bool peek = false);
  [[nodiscard]] int shutdown(SocketId s, ShutdownHow how, Instant now);
  // Never waits. With SO_LINGER {on, t > 0} this is close_linger() with the wait ended at
  // once (what Linux does for an exiting process, inet_release() with PF_EXITING).
  [[nodiscard]] int close(SocketId s, Instant now);
  // close() as Linux does it with SO_LINGER {on, t > 0}: inet_release() passes sk_lingertime
  // to tcp_close(), which queues the FIN and then sleeps in sk_stream_wait_close() — for
  // O_NONBLOCK sockets too (inet_release() does not look at O_NONBLOCK; SPEC §12.2's
  // "EWOULDBLOCK" is BSD's behaviour, not Linux's). The core never blocks, so the blocking is
  // split: close_linger() does the close up to the wait and returns what to wait for; the
  // facade then drives the stack (input/advance at next_deadline(), at most until
  // w.deadline) and calls linger_done() after each step until it returns true:
  //   auto w = stack.close_linger(s, now);            // EBADF like close()
  //   if (w && *w) while (!stack.linger_done(**w, now)) { wait for a packet or
  //       min(stack.next_deadline(), (*w)->deadline); input()/advance() }
  //   return 0;                                       // close() returns 0 in every case
  // nullopt means there is nothing to wait for (linger off or {on, 0}, unread data answered
  // by RST, a connection that never sent a FIN or whose FIN is already acknowledged) and the
  // socket is closed as by close(). While the wait lasts the socket id answers EBADF to every
  // other call and the connection is not an orphan yet (tcp_orphan_retries, the FIN-WAIT-2
  // limit and tcp_max_orphans apply from the end of the wait, as in Linux).
  [[nodiscard]] Result<std::optional<LingerWait>, int> close_linger(SocketId s, Instant now);
  // True when the wait is over — our FIN was acknowledged (the connection left FIN-WAIT-1,
  // CLOSING and LAST-ACK: Linux sk_stream_closing()), or it was reset or ended, or `now`
  // reached w.deadline — and then completes the close: the socket id is freed and the
  // connection goes on in the background as an orphan (FIN retransmissions, TIME-WAIT).
  // Call it until it returns true; the handle is void afterwards.
  [[nodiscard]] bool linger_done(const LingerWait& w, Instant now);
  // Abortive close: RST now, no TIME-WAIT (what SO_LINGER {1,0} + close does).
  void abort(SocketId s, Instant now);
  [[nodiscard]] uint32_t readiness(SocketId s) const;
  // SO_ERROR: returns and clears the pending error (0 if none).
  [[nodiscard]] int take_error(SocketId s);
  [[nodiscard]] int set_option(SocketId s, SockOpt opt, int64_t value);
  [[nodiscard]] Result<int64_t, int> get_option(SocketId s, SockOpt opt) const;
  [[nodiscard]] Result<SocketInfo, int> info(SocketId s) const;

  // --- inspection (tests, ss views) -------------------------------------------------------
  // The state of the connection with this 4-tuple, including ones no socket refers to any
  // more (orphans, TIME-WAIT); a request record reports kSynReceived; nullopt when there is
  // none. TIME-WAIT and an orphan's FIN-WAIT-2 come from the TIME-WAIT table (its records,
  // SPEC §9.6).
  [[nodiscard]] std::optional<tcp::State> state_of(Endpoint local, Endpoint remote) const;
  // TIME-WAIT records (the orphans' FIN-WAIT-2 records included), a copy of the one for a
  // tuple, and the table itself for ss-style views (TimeWaitTable::for_each()); the
  // reference is valid for the stack's life, its contents until the next call into it.
  [[nodiscard]] size_t time_wait_count() const;
  [[nodiscard]] std::optional<tcp::TimeWaitRecord> find_time_wait(Endpoint local,
                                                                  Endpoint remote) const;
  [[nodiscard]] const tcp::TimeWaitTable& time_wait_table() const;

  // --- host-wide settings and observability (extensions by the engine) ----------------------
  // Whether `a` is one of this host's addresses (StackConfig::address or extra_addresses).
  [[nodiscard]] bool is_local_address(wire::Ipv4Address a) const;
  // The sysctl registry this host reads (SPEC §16.6). Changes apply to what happens next;
  // per-connection values fixed at open (window scale, buffers) keep their old values.
  [[nodiscard]] stack::Sysctls& sysctls();
  [[nodiscard]] const stack::Sysctls& sysctls() const;
  [[nodiscard]] const stack::Counters& counters() const;
  // Every state change, timer firing, segment, drop and abort; nullptr turns tracing off.
  // The sink must outlive the stack or be removed first.
  void set_trace(stack::TraceSink* sink);
  // Connections in the tables (every state but CLOSED and LISTEN, TIME-WAIT records
  // included).
  [[nodiscard]] size_t connection_count() const;
  // The control block of a connection, for white-box tests and `ss`-style views; nullptr
  // when there is none (TIME-WAIT and orphan FIN-WAIT-2 are records: find_time_wait()).
  // Valid until the next call into the stack.
  [[nodiscard]] const tcp::Tcb* find_connection(Endpoint local, Endpoint remote) const;
  [[nodiscard]] const tcp::Tcb* connection_of(SocketId s) const;
  // Pending handshakes (request records): each one, how many, and their memory including
  // the request table.
  [[nodiscard]] std::vector<RequestInfo> requests() const;
  [[nodiscard]] size_t request_count() const;
  [[nodiscard]] size_t request_bytes() const;
  // Memory held per idle connection: the Tcb plus its share of the connection table.
  [[nodiscard]] size_t table_bytes_per_connection() const;
  // Every socket `ss -tan` would list at `now` — listeners first, then every connection,
  // pending handshake and TIME-WAIT connection, orphans included — as the views need them
  // (socket_snapshot.h; src/stack/views/ formats them). O(sockets); for views, not hot paths.
  [[nodiscard]] std::vector<SocketSnapshot> snapshot(Instant now) const;

 private:
  std::unique_ptr<StackImpl> impl_;
};

}  // namespace synack
