// Stack: the host around the TCP engine — parsing at the edge, demultiplexing, the socket
// table, ports, the timer wheel and the lifetime of control blocks.
//
// Demultiplexing (SPEC §2.2, §10.1; STYLE lesson 9): connections (every state from SYN-SENT to
// TIME-WAIT) by exact 4-tuple in a keyed-hash table, then the TIME-WAIT table (compact
// records, SPEC §9.6, the orphan's FIN-WAIT-2 included), then pending handshakes (request
// records, passive_open.h) by exact 4-tuple in theirs, then a listener on (address, port),
// then on (any, port), else RST per SPEC §10.1. A SYN that a TIME-WAIT record accepts for
// reuse (SPEC §9.5) restarts the lookup at the listener.
//
// Lifetime of a Tcb: created by connect() or by a listener's SYN; owned by whoever still needs
// it — the socket (until close()), the connection table (until CLOSED) or the listener's
// accept queue (until accept()). settle() runs after every engine call and frees a Tcb none of
// them holds any more, so the engine never deals with memory. settle() is also where a Tcb
// that entered TIME-WAIT (or became an orphan in FIN-WAIT-2) is handed to the TIME-WAIT
// table (Linux tcp_time_wait() + tcp_done()): by then the engine call has sent its last
// segment; the Tcb leaves the connection table as CLOSED and the record answers from then on.
// The whole table has one wheel entry, armed at its next_deadline().
//
// Addresses: StackConfig::address and extra_addresses are all local. A segment to any of
// them is demultiplexed as usual (the 4-tuple carries the address the peer used, so an
// INADDR_ANY listener's children, request records, cookies and TIME-WAIT records all answer
// from that address); to any other it is an IpInAddrErrors drop. connect() on a socket with
// no bound address uses the primary one.
//
// Ports (SPEC §14): a PortAllocator (port_allocator.h) holds every owner of a local port — a
// bound socket or listener (the Socket holds it), a connection (the Tcb holds it: connect()
// registers it, an accepted connection registers one on its listener's port when its
// handshake completes), a TIME-WAIT record (taken over from the Tcb, released at expiry or
// kill). connect() asks tuple_state() — the one predicate over every table that holds
// 4-tuples — whether a candidate tuple is free, taken, or a TIME-WAIT tcp_tw_reuse may take.
//
// Single-threaded: one driver loop owns a Stack.
#include "stack/stack.h"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/keyed_hash.h"
#include "base/rng.h"
#include "stack/connection_table.h"
#include "stack/counters_rx.h"
#include "stack/passive_open.h"
#include "stack/port_allocator.h"
#include "stack/timer_wheel.h"
#include "tcp/engine.h"
#include "tcp/isn.h"
#include "tcp/listener.h"
#include "tcp/time_wait_table.h"
#include "wire/packet.h"

namespace synack {

using stack::Counter;
using stack::SysctlId;
using tcp::State;
using tcp::Tcb;

namespace {

// kLingering: inside a close() that waits (SO_LINGER {on, t > 0}, Stack::close_linger()).
enum class SocketKind : uint8_t { kFree, kFresh, kConnection, kListener, kLingering };

// One slot per socket id (40 bytes: part of every connection's memory, issue 3's 512-byte
// target). Options live where they act — the Tcb, the Listener — and only a fresh socket that
// had an option set before connect()/listen() holds its own copy, out of line.
struct Socket {
  SocketKind kind = SocketKind::kFree;
  bool bound = false;
  bool port_held = false;   // this socket (bound, or a listener) holds a PortAllocator owner
  bool port_reuse = false;  //   registered with SO_REUSEADDR
  Endpoint local;
  uint32_t fastopen_qlen = 0;  // TCP_FASTOPEN as set (0: not set), fills a padding hole
  Tcb* tcb = nullptr;
  tcp::Listener* listener = nullptr;
  std::unique_ptr<tcp::TcbOptions> fresh_opt;  // kFresh only; null: every option at default

  // The options this socket's calls read and write.
  tcp::TcbOptions& opt() {
    if (tcb != nullptr) return tcb->opt;
    if (listener != nullptr) return listener->opt;
    if (!fresh_opt) fresh_opt = std::make_unique<tcp::TcbOptions>();
    return *fresh_opt;
  }
  [[nodiscard]] const tcp::TcbOptions& opt() const {
    static const tcp::TcbOptions kDefaults;
    if (tcb != nullptr) return tcb->opt;
    if (listener != nullptr) return listener->opt;
    return fresh_opt ? *fresh_opt : kDefaults;
  }
};

// At most `burst` events per `interval` (Linux net_ratelimit()'s shape, for log lines).
class RateLimit {
 public:
  RateLimit(int burst, Duration interval) : burst_(burst), interval_(interval) {}
  bool allow(Instant now) {
    if (start_.is_infinite() || now - start_ >= interval_) {
      start_ = now;
      used_ = 0;
    }
    return used_++ < burst_;
  }

 private:
  int burst_;
  Duration interval_;
  Instant start_ = Instant::infinite();
  int used_ = 0;
};

}  // namespace

class StackImpl {
 public:
  StackImpl(const StackConfig& config, uint64_t seed, PacketOutput& output)
      : config_(config),
        rng_(seed),
        table_hash_(KeyedHash::from_rng(rng_)),
        port_hash_(KeyedHash::from_rng(rng_)),
        isn_(tcp::IsnGenerator::from_rng(rng_)),
        cookies_(tcp::SynCookies::from_rng(rng_)),
        conns_(table_hash_),
        passive_(table_hash_, cookies_, engine_, sysctls_, counters_, tracer_, wheel_, conns_,
                 rng_),
        tw_(table_hash_, static_cast<size_t>(sysctls_.get(SysctlId::kTcpMaxTwBuckets))),
        ports_(port_hash_, rng_.next_u64()),
        engine_(tcp::EngineConfig{config.address, config.mtu}, sysctls_, counters_, tracer_, wheel_,
                isn_, output) {
    engine_.set_orphan_count(&orphans_);
  }

  ~StackImpl() {
    // Free every Tcb: those in the table, those only a socket or an accept queue holds.
    std::vector<Tcb*> all;
    conns_.for_each([&](Tcb& t) { all.push_back(&t); });
    for (Socket& s : sockets_) {
      if (s.tcb != nullptr && !s.tcb->in_table) all.push_back(s.tcb);
      if (s.listener != nullptr) {
        for (Tcb* t = s.listener->accept_head(); t != nullptr; t = t->accept_next) {
          if (!t->in_table) all.push_back(t);
        }
      }
    }
    for (Tcb* t : all) {
      wheel_.cancel(*t);
      delete t;
    }
    for (Socket& s : sockets_)
      delete s.listener;
  }

  // --- core contract -------------------------------------------------------------------------
  void input(std::span<const uint8_t> bytes, Instant now) {
    touch(now);
    const auto err = wire::parse_packet_into(
        bytes, pkt_, wire::ParseOptions{.verify_checksums = config_.verify_checksums});
    stack::count_received(counters_, bytes.size(), err);
    if (err.has_value()) {
      tracer_.drop(now, {}, wire::to_string(*err));
      return;
    }
    const wire::Packet& p = pkt_;
    if (!is_local(p.ip.dst)) {
      counters_.inc(Counter::kIpInAddrErrors);
      return;
    }
    const tcp::FourTuple key{.local_addr = p.ip.dst,
                             .remote_addr = p.ip.src,
                             .local_port = p.tcp.dst_port,
                             .remote_port = p.tcp.src_port};
    if (Tcb* t = conns_.find(key)) {
      (void)engine_.input(*t, p, now);
      settle(t);
      return;
    }
    if (input_time_wait(key, p, now)) return;
    if (tcp::RequestRecord* r = passive_.find(key)) {
      if (Tcb* t = passive_.on_segment(*r, p, now)) settle(t);
      return;
    }
    if (tcp::Listener* l = find_listener(p.ip.dst, p.tcp.dst_port)) {
      using namespace wire::tcp_flags;
      if (p.tcp.has(kSyn) && !p.tcp.has(kAck) && !p.tcp.has(kRst)) {
        syn_to_listener(*l, p, now, std::nullopt);
      } else if (Tcb* t = passive_.on_listener_segment(*l, p, now)) {
        settle(t);
      }
      return;
    }
    tracer_.drop(now, stack::TraceTuple{p.ip.dst, p.tcp.dst_port, p.ip.src, p.tcp.src_port},
                 "no socket", &p);
    engine_.reply_reset(p, now);
  }

  void advance(Instant now) {
    touch(now);
    wheel_.advance(now, [&](stack::TimerEntry& e) {
      if (e.kind() == tcp::kRequestTimerKind) {
        passive_.on_timer(static_cast<tcp::RequestRecord&>(e), now);
        return;
      }
      if (&e == &tw_timer_) {
        expire_time_wait(now);
        return;
      }
      Tcb& t = static_cast<Tcb&>(e);
      engine_.on_timer(t, now);
      settle(&t);
    });
  }

  [[nodiscard]] Instant next_deadline() const { return wheel_.next_deadline(); }

  // --- sockets -------------------------------------------------------------------------------
  Result<SocketId, int> socket() {
    SocketId id;
    if (!free_sockets_.empty()) {
      id = free_sockets_.back();
      free_sockets_.pop_back();
    } else {
      sockets_.emplace_back();
      id = static_cast<SocketId>(sockets_.size());
    }
    sockets_[id - 1] = Socket{};
    sockets_[id - 1].kind = SocketKind::kFresh;
    return id;
  }

  Socket* sock(SocketId s) {
    if (s == kNoSocket || s > sockets_.size()) return nullptr;
    Socket& k = sockets_[s - 1];
    return k.kind == SocketKind::kFree || k.kind == SocketKind::kLingering ? nullptr : &k;
  }
  const Socket* sock(SocketId s) const { return const_cast<StackImpl*>(this)->sock(s); }

  // Linux __inet_bind(): a non-local address first (EADDRNOTAVAIL), then a socket that is not
  // fresh or already has a port (EINVAL). A socket bound to an address only (bind(addr, 0)
  // with IP_BIND_ADDRESS_NO_PORT: bound, port 0) has no port yet and may be bound again, as
  // in Linux, whose check is on inet_num.
  int bind(SocketId s, Endpoint local) {
    Socket* k = sock(s);
    if (k == nullptr) return EBADF;
    if (!local.addr.is_any() && !is_local(local.addr)) return EADDRNOTAVAIL;
    if (k->kind != SocketKind::kFresh || (k->bound && k->local.port != 0)) return EINVAL;
    if (local.port == 0 && std::as_const(*k).opt().bind_address_no_port) {
      k->bound = true;
      k->local = local;
      return 0;
    }
    return bind_port(*k, local);
  }

  // SPEC §14.2: EADDRINUSE for a port in use (TIME-WAIT records included, SO_REUSEADDR
  // relaxing it), port 0 picks from ip_local_port_range read now.
  int bind_port(Socket& k, Endpoint local) {
    const bool reuse = std::as_const(k).opt().reuse_addr;
    stack::PortOwner o{local.addr, local.port, stack::PortOwnerKind::kBound, reuse};
    if (int e = ports_.bind(o, port_range()); e != 0) return e;
    k.bound = true;
    k.port_held = true;
    k.port_reuse = reuse;
    k.local = Endpoint{local.addr, o.port};
    return 0;
  }

  int listen(SocketId s, int backlog, Instant now) {
    Socket* k = sock(s);
    if (k == nullptr) return EBADF;
    const auto somaxconn = static_cast<uint32_t>(sysctls_.get(SysctlId::kSomaxconn));
    const uint32_t b = backlog < 0 ? somaxconn : std::min<uint32_t>(uint32_t(backlog), somaxconn);
    if (k->kind == SocketKind::kListener) {
      // SPEC §5.1: listen() again changes the backlog and nothing else — Linux inet_listen()
      // tunes the Fast Open queue (0x400 | 0x2) only when the socket was not listening yet.
      k->listener->max_ack_backlog = b;
      return 0;
    }
    if (k->kind != SocketKind::kFresh) return EINVAL;
    // Linux inet_csk_listen_start() -> get_port(sk, inet_num): a socket without a port gets
    // one now, on the address it was bound to (IP_BIND_ADDRESS_NO_PORT) or on any.
    if (!k->bound || k->local.port == 0) {
      if (int e = bind_port(*k, Endpoint{k->bound ? k->local.addr : wire::Ipv4Address::any(), 0});
          e != 0)
        return e;
    }
    // SPEC §14.2: only one listener per port, and none where a non-SO_REUSEADDR owner is.
    stack::PortOwner o = socket_owner(*k);
    if (int e = ports_.listen(o); e != 0) return e;
    auto* l = new tcp::Listener();
    l->local_addr = k->local.addr;
    l->local_port = k->local.port;
    l->socket = s;
    l->max_ack_backlog = b;
    l->opt = std::as_const(*k).opt();
    l->fastopen.max_qlen = tcp::fastopen_max_qlen(
        static_cast<uint32_t>(sysctls_.get(SysctlId::kTcpFastopen)),
        k->fastopen_qlen != 0 ? std::optional<uint32_t>(k->fastopen_qlen) : std::nullopt, b,
        somaxconn);
    k->listener = l;
    k->fresh_opt.reset();
    k->kind = SocketKind::kListener;
    listeners_[listener_key(l->local_addr, l->local_port)] = l;
    // Every state change is traced (issue 3 item 10), the listener's own included.
    tracer_.state_change(now, stack::TraceTuple{l->local_addr, l->local_port, {}, 0},
                         State::kClosed, State::kListen);
    return 0;
  }

  Result<SocketId, int> accept(SocketId s, Instant /*now*/) {
    Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    if (k->kind != SocketKind::kListener) return Failure{EINVAL};
    Tcb* t = k->listener->pop_accept();
    if (t == nullptr) return Failure{EAGAIN};
    auto id = socket();
    Socket& n = sockets_[id.value() - 1];
    n.kind = SocketKind::kConnection;
    n.bound = true;
    n.local = Endpoint{t->tuple.local_addr, t->tuple.local_port};
    n.tcb = t;
    t->socket = id.value();
    return id;
  }

  int connect(SocketId s, Endpoint remote, Instant now, bool syn_waits_for_data = false) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return EBADF;
    if (k->kind == SocketKind::kConnection) {
      const State st = k->tcb->state;
      // A deferred Fast Open connect counts as connected (Linux inet_stream_connect()).
      if (k->tcb->fastopen_defer) return EISCONN;
      if (st == State::kSynSent || st == State::kSynReceived) return EALREADY;
      if (st == State::kClosed) return k->tcb->error != 0 ? take_error(s) : EISCONN;
      return EISCONN;
    }
    if (k->kind != SocketKind::kFresh) return EINVAL;
    if (remote.port == 0 || remote.addr.is_any()) return EINVAL;
    Endpoint local = k->bound ? k->local : Endpoint{};
    if (local.addr.is_any()) local.addr = config_.address;
    const bool reuse = std::as_const(*k).opt().reuse_addr;
    bool autobind = false;
    bool takes_time_wait = false;
    if (local.port == 0) {
      // Linux __inet_hash_connect(): a port whose tuple is free (SPEC §14.1, §14.3), from the
      // source address the socket was bound to (IP_BIND_ADDRESS_NO_PORT) or the primary one.
      auto r = ports_.connect(
          local.addr, remote.addr, remote.port, port_range(),
          [&](uint16_t port) {
            return tuple_state(tcp::FourTuple{local.addr, remote.addr, port, remote.port}, now);
          },
          reuse);
      if (!r) return EADDRNOTAVAIL;  // SPEC §14.2
      local.port = r->port;
      takes_time_wait = r->reuses_time_wait;
      autobind = true;
      k->bound = true;
    } else {
      const stack::TupleState st =
          tuple_state(tcp::FourTuple{local.addr, remote.addr, local.port, remote.port}, now);
      if (st == stack::TupleState::kTaken) return EADDRNOTAVAIL;
      takes_time_wait = st == stack::TupleState::kReusableTimeWait;
      // The connection takes the socket's port over, with its address now fixed (Linux
      // connect() sets the bound address: inet_bhash2_update_saddr()).
      ports_.release(socket_owner(*k));
      ports_.acquire(
          stack::PortOwner{local.addr, local.port, stack::PortOwnerKind::kBound, k->port_reuse});
      k->port_held = false;
    }
    k->local = local;
    const tcp::FourTuple tuple{.local_addr = local.addr,
                               .remote_addr = remote.addr,
                               .local_port = local.port,
                               .remote_port = remote.port};
    std::optional<tcp::TimeWaitRecord> old;
    if (takes_time_wait) old = take_over_time_wait(tuple, now);
    auto* t = new Tcb();
    t->tuple = tuple;
    t->opt = std::as_const(*k).opt();
    t->port_owned = true;
    t->port_autobind = autobind;
    t->port_reuse = autobind ? reuse : k->port_reuse;
    k->fresh_opt.reset();
    t->socket = s;
    k->tcb = t;
    k->kind = SocketKind::kConnection;
    conns_.insert(*t);
    t->in_table = true;
    if (t->opt.fastopen_connect || syn_waits_for_data) ensure_fastopen_cache();
    engine_.connect(*t, now, old ? &*old : nullptr, syn_waits_for_data);
    settle(t);
    // TCP_FASTOPEN_CONNECT with a cookie: no SYN yet, connect() succeeds (SPEC §13.3).
    return t->fastopen_defer ? 0 : EINPROGRESS;
  }

  Result<size_t, int> send(SocketId s, std::span<const uint8_t> data, Instant now) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    if (k->kind != SocketKind::kConnection) return Failure{EPIPE};
    Tcb& t = *k->tcb;
    if (t.error != 0) return Failure{take_error(s)};
    if (t.wr_shut) return Failure{EPIPE};
    switch (t.state) {
      case State::kEstablished:
      case State::kCloseWait:
        break;
      case State::kSynReceived:
        if (t.passive) break;  // a Fast Open child sends before the third ACK (SPEC §13.2)
        return Failure{EAGAIN};
      case State::kSynSent:
        if (t.fastopen_defer) {
          // The deferred Fast Open SYN leaves now with as much data as it carries; none taken
          // (the SYN went as a cookie request) is Linux's EINPROGRESS from tcp_sendmsg().
          const size_t n = engine_.send(t, data, now);
          settle(&t);
          if (n == 0) return Failure{EINPROGRESS};
          return n;
        }
        return Failure{EAGAIN};
      default:
        return Failure{EPIPE};
    }
    if (data.empty()) return size_t{0};
    const size_t n = engine_.send(t, data, now);
    settle(&t);
    if (n == 0) return Failure{EAGAIN};
    return n;
  }

  // Linux tcp_sendmsg_fastopen() and the __inet_stream_connect() it calls (is_sendmsg = 1).
  Result<size_t, int> send_fastopen(SocketId s, const Result<Endpoint, int>& remote,
                                    std::span<const uint8_t> data, Instant now) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    if (!tcp::fastopen_client_enabled(static_cast<uint32_t>(sysctls_.get(SysctlId::kTcpFastopen))))
      return Failure{EOPNOTSUPP};
    switch (k->kind) {
      case SocketKind::kListener:
        return Failure{EISCONN};  // SS_UNCONNECTED but not TCP_CLOSE
      case SocketKind::kConnection:
        // A deferred TCP_FASTOPEN_CONNECT: the SYN leaves with this data, as for send().
        if (k->tcb->fastopen_defer) return send(s, data, now);
        return Failure{connect(s, Endpoint{}, now)};  // EISCONN, EALREADY or the error
      case SocketKind::kFresh:
        break;
      default:
        return Failure{EINVAL};
    }
    if (!remote) return Failure{remote.error()};  // tcp_v4_connect()'s address checks
    if (const int e = connect(s, remote.value(), now, /*syn_waits_for_data=*/true); e != 0)
      return Failure{e};
    return send(s, data, now);
  }

  Result<size_t, int> recv(SocketId s, std::span<uint8_t> out, Instant now, bool peek) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    if (k->kind != SocketKind::kConnection) return Failure{ENOTCONN};
    Tcb& t = *k->tcb;
    if (t.rq.readable() > 0 && !out.empty()) {
      const size_t n = peek ? t.rq.peek(out) : t.rq.read(out);
      if (!peek) {
        engine_.after_read(t, n, now);
        settle(&t);
      }
      return n;
    }
    if (t.rq.eof()) return size_t{0};
    if (t.error != 0) return Failure{take_error(s)};
    if (t.done || (t.rd_shut && t.state != State::kSynSent)) return size_t{0};
    if (t.state == State::kClosed) return Failure{ENOTCONN};
    return Failure{EAGAIN};
  }

  int shutdown(SocketId s, ShutdownHow how, Instant now) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return EBADF;
    if (k->kind != SocketKind::kConnection) return ENOTCONN;
    Tcb& t = *k->tcb;
    if (t.state == State::kClosed) return ENOTCONN;
    if (how != ShutdownHow::kWrite) engine_.shutdown_read(t);
    if (how != ShutdownHow::kRead) engine_.shutdown_write(t, now);
    settle(&t);
    return 0;
  }

  int close(SocketId s, Instant now) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return EBADF;
    if (k->kind == SocketKind::kConnection) {
      engine_.close(*k->tcb, now);
      finish_close(s, now);
      return 0;
    }
    if (k->port_held) ports_.release(socket_owner(*k));
    if (k->kind == SocketKind::kListener) close_listener(*k, now);
    sockets_[s - 1] = Socket{};
    free_sockets_.push_back(s);
    return 0;
  }

  Result<std::optional<LingerWait>, int> close_linger(SocketId s, Instant now) {
    touch(now);
    Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    if (k->kind != SocketKind::kConnection || k->tcb->opt.linger_s <= 0) {
      (void)close(s, now);
      return std::optional<LingerWait>{};
    }
    Tcb& t = *k->tcb;
    engine_.close(t, now, /*linger_wait=*/true);
    if (!tcp::Engine::fin_unacked(t.state)) {
      finish_close(s, now);
      return std::optional<LingerWait>{};
    }
    k->kind = SocketKind::kLingering;
    return std::optional<LingerWait>{
        LingerWait{.socket = s, .deadline = now + Duration::seconds(t.opt.linger_s)}};
  }

  bool linger_done(const LingerWait& w, Instant now) {
    touch(now);
    if (w.socket == kNoSocket || w.socket > sockets_.size()) return true;
    Socket& k = sockets_[w.socket - 1];
    if (k.kind != SocketKind::kLingering) return true;
    if (now < w.deadline && tcp::Engine::fin_unacked(k.tcb->state)) return false;
    finish_close(w.socket, now);
    return true;
  }

  // The rest of close() for a connection once the application no longer waits: the socket
  // id and its port are freed, the connection goes on as an orphan (Linux __tcp_close() from
  // adjudge_to_death).
  void finish_close(SocketId s, Instant now) {
    Socket& k = sockets_[s - 1];
    Tcb* t = k.tcb;
    t->socket = 0;
    engine_.orphan(*t, now);
    // An orphan in FIN-WAIT-2 that goes to the TIME-WAIT table is not a full socket any more
    // (Linux tcp_close() hands it over before tcp_check_oom()).
    if (t->state != State::kClosed && t->state != State::kTimeWait &&
        !engine_.fin_wait2_to_table(*t, now)) {
      t->counted_orphan = true;
      ++orphans_;
      // SPEC §8.7 tcp_max_orphans (Linux tcp_check_oom() in tcp_close()).
      if (orphans_ > uint64_t(sysctls_.get(SysctlId::kTcpMaxOrphans))) {
        tracer_.log(now, tcp::Engine::trace_tuple(*t), stack::LogMessage::kTooManyOrphans);
        engine_.abort(*t, now, Counter::kTcpExtTCPAbortOnMemory, "tcp_max_orphans");
      }
    }
    settle(t);
    sockets_[s - 1] = Socket{};
    free_sockets_.push_back(s);
  }

  void abort(SocketId s, Instant now) {
    Socket* k = sock(s);
    if (k == nullptr) return;
    if (k->kind == SocketKind::kConnection) k->tcb->opt.linger_s = 0;
    (void)close(s, now);
  }

  uint32_t readiness(SocketId s) const {
    const Socket* k = sock(s);
    if (k == nullptr) return 0;
    if (k->kind == SocketKind::kListener) {
      return k->listener->accept_len > 0 ? ready::kIn : 0;
    }
    if (k->kind != SocketKind::kConnection) return ready::kOut | ready::kHup;  // Linux: CLOSE
    const Tcb& t = *k->tcb;
    uint32_t m = 0;
    if (t.error != 0) m |= ready::kErr;
    // Linux tcp_poll().
    const bool rd_done = t.rd_shut || t.rq.fin_received() || t.done;
    if ((t.rd_shut && t.wr_shut) || t.done) m |= ready::kHup;
    if (rd_done) m |= ready::kIn | ready::kRdHup;
    if (t.rq.readable() > 0) m |= ready::kIn;
    // Linux tcp_poll(): a Fast Open child in SYN-RECEIVED is writable already.
    // So is a deferred Fast Open connect: the application must write for the SYN to leave.
    const bool connected = (t.state != State::kSynSent || t.fastopen_defer) &&
                           (t.state != State::kSynReceived || t.passive);
    if (connected) {
      if (t.wr_shut || t.done) {
        m |= ready::kOut;
      } else if (t.sq.free_space() > 0 && t.sq.free_space() >= t.sq.size() / 2) {
        // Linux __sk_stream_is_writeable(): free space of at least half what is queued
        // (sk_stream_wspace >= sk_stream_min_wspace), so a writer blocked on a full buffer
        // wakes for a worthwhile amount. Linux counts skb truesize; synack counts payload.
        m |= ready::kOut;
      }
    }
    return m;
  }

  int take_error(SocketId s) {
    Socket* k = sock(s);
    if (k == nullptr || k->tcb == nullptr) return 0;
    const int e = k->tcb->error;
    k->tcb->error = 0;
    return e;
  }

  int set_option(SocketId s, SockOpt opt, int64_t v, Instant now) {
    Socket* k = sock(s);
    if (k == nullptr) return EBADF;
    tcp::TcbOptions& o = k->opt();
    if (v < 0 && opt != SockOpt::kLinger && opt != SockOpt::kBindAddressNoPort) return EINVAL;
    const auto u = static_cast<uint64_t>(v);
    switch (opt) {
      case SockOpt::kReuseAddr:
        o.reuse_addr = v != 0;
        break;
      case SockOpt::kKeepAlive:
        o.keepalive = v != 0;
        if (k->tcb != nullptr) engine_.set_keepalive(*k->tcb, now);
        break;
      case SockOpt::kLinger:
        o.linger_s = v < 0 ? -1 : static_cast<int32_t>(std::min<int64_t>(v, INT32_MAX));
        break;
      case SockOpt::kRcvBuf: {
        const auto max = static_cast<uint64_t>(sysctls_.get(SysctlId::kRmemMax));
        o.rcvbuf = static_cast<uint32_t>(std::max<uint64_t>(std::min(u, max), 1152));
        break;
      }
      case SockOpt::kSndBuf: {
        const auto max = static_cast<uint64_t>(sysctls_.get(SysctlId::kWmemMax));
        o.sndbuf = static_cast<uint32_t>(std::max<uint64_t>(std::min(u, max), 2304));
        if (k->tcb != nullptr) k->tcb->sq.set_limit(o.sndbuf * 2);
        break;
      }
      case SockOpt::kNoDelay:
        o.nodelay = v != 0;
        if (k->tcb != nullptr) engine_.set_nodelay(*k->tcb, v != 0, now);
        break;
      case SockOpt::kMaxSeg:
        if (u != 0 && (u < 88 || u > 65535)) return EINVAL;
        o.max_seg = static_cast<uint16_t>(u);
        break;
      case SockOpt::kKeepIdle:
        if (u < 1 || u > 32767) return EINVAL;
        o.keep_idle_s = static_cast<uint16_t>(u);
        if (k->tcb != nullptr) engine_.set_keepalive(*k->tcb, now);
        break;
      case SockOpt::kKeepIntvl:
        if (u < 1 || u > 32767) return EINVAL;
        o.keep_intvl_s = static_cast<uint16_t>(u);
        break;
      case SockOpt::kKeepCnt:
        if (u < 1 || u > 127) return EINVAL;
        o.keep_cnt = static_cast<uint8_t>(u);
        break;
      case SockOpt::kSynCnt:
        if (u < 1 || u > 127) return EINVAL;
        o.syn_cnt = static_cast<uint8_t>(u);
        break;
      case SockOpt::kUserTimeoutMs:
        if (u > INT32_MAX) return EINVAL;
        o.user_timeout_ms = static_cast<uint32_t>(u);
        break;
      case SockOpt::kQuickAck:
        if (k->tcb != nullptr && v != 0) engine_.quickack(*k->tcb, now);
        break;
      case SockOpt::kFastOpen: {
        // Linux do_tcp_setsockopt(TCP_FASTOPEN): only before connect() or on a listener.
        if (k->kind != SocketKind::kFresh && k->kind != SocketKind::kListener) return EINVAL;
        const auto somaxconn = static_cast<uint64_t>(sysctls_.get(SysctlId::kSomaxconn));
        k->fastopen_qlen = static_cast<uint32_t>(std::min(u, somaxconn));
        if (k->listener != nullptr) k->listener->fastopen.max_qlen = k->fastopen_qlen;
        break;
      }
      case SockOpt::kFastOpenConnect:
        // Linux do_tcp_setsockopt(TCP_FASTOPEN_CONNECT): 0/1, needs tcp_fastopen 0x1, and
        // only on a socket still in CLOSE.
        if (u > 1) return EINVAL;
        if (!tcp::fastopen_client_enabled(
                static_cast<uint32_t>(sysctls_.get(SysctlId::kTcpFastopen)))) {
          return EOPNOTSUPP;
        }
        if (k->kind != SocketKind::kFresh) return EINVAL;
        o.fastopen_connect = u != 0;
        break;
      case SockOpt::kBindAddressNoPort:
        // Linux do_ip_setsockopt(): any value, any state; non-zero sets it.
        o.bind_address_no_port = v != 0;
        break;
    }
    if (k->tcb != nullptr) settle(k->tcb);
    return 0;
  }

  Result<int64_t, int> get_option(SocketId s, SockOpt opt) const {
    const Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    const tcp::TcbOptions& o = k->opt();
    switch (opt) {
      case SockOpt::kReuseAddr:
        return int64_t{o.reuse_addr};
      case SockOpt::kKeepAlive:
        return int64_t{o.keepalive};
      case SockOpt::kLinger:
        return int64_t{o.linger_s};
      case SockOpt::kRcvBuf:
        return o.rcvbuf != 0 ? int64_t{o.rcvbuf} * 2 : sysctls_.values(SysctlId::kTcpRmem)[1];
      case SockOpt::kSndBuf:
        return o.sndbuf != 0 ? int64_t{o.sndbuf} * 2 : sysctls_.values(SysctlId::kTcpWmem)[1];
      case SockOpt::kNoDelay:
        return int64_t{o.nodelay};
      case SockOpt::kMaxSeg:
        if (k->tcb != nullptr && k->tcb->state != State::kSynSent) return int64_t{k->tcb->snd_mss};
        return o.max_seg != 0 ? int64_t{o.max_seg} : int64_t{536};
      case SockOpt::kKeepIdle:
        return o.keep_idle_s != 0 ? int64_t{o.keep_idle_s}
                                  : sysctls_.get(SysctlId::kTcpKeepaliveTime);
      case SockOpt::kKeepIntvl:
        return o.keep_intvl_s != 0 ? int64_t{o.keep_intvl_s}
                                   : sysctls_.get(SysctlId::kTcpKeepaliveIntvl);
      case SockOpt::kKeepCnt:
        return o.keep_cnt != 0 ? int64_t{o.keep_cnt} : sysctls_.get(SysctlId::kTcpKeepaliveProbes);
      case SockOpt::kSynCnt:
        return o.syn_cnt != 0 ? int64_t{o.syn_cnt} : sysctls_.get(SysctlId::kTcpSynRetries);
      case SockOpt::kUserTimeoutMs:
        return int64_t{o.user_timeout_ms};
      case SockOpt::kQuickAck:
        return int64_t{k->tcb != nullptr && k->tcb->quick > 0 && !k->tcb->pingpong};
      case SockOpt::kFastOpen:
        return int64_t{k->listener != nullptr ? k->listener->fastopen.max_qlen : k->fastopen_qlen};
      case SockOpt::kFastOpenConnect:
        return int64_t{o.fastopen_connect};
      case SockOpt::kBindAddressNoPort:
        return int64_t{o.bind_address_no_port};
    }
    return Failure{EINVAL};
  }

  Result<SocketInfo, int> info(SocketId s) const {
    const Socket* k = sock(s);
    if (k == nullptr) return Failure{EBADF};
    SocketInfo i;
    i.local = k->local;
    if (k->kind == SocketKind::kListener) {
      i.state = State::kListen;
      i.recv_queue = k->listener->accept_len;
      i.send_queue = k->listener->max_ack_backlog;
      return i;
    }
    if (k->tcb == nullptr) return i;
    const Tcb& t = *k->tcb;
    i.state = t.state;
    i.local = Endpoint{t.tuple.local_addr, t.tuple.local_port};
    i.remote = Endpoint{t.tuple.remote_addr, t.tuple.remote_port};
    i.recv_queue = t.rq.readable();
    i.send_queue = t.sq.size();
    i.orphan = t.orphan;
    i.rto = t.rtt.rto();
    i.retransmits = t.retransmits;
    return i;
  }

  const Tcb* find(Endpoint local, Endpoint remote) const {
    return conns_.find(tcp::FourTuple{.local_addr = local.addr,
                                      .remote_addr = remote.addr,
                                      .local_port = local.port,
                                      .remote_port = remote.port});
  }
  const Tcb* connection_of(SocketId s) const {
    const Socket* k = sock(s);
    return k != nullptr ? k->tcb : nullptr;
  }

  stack::Sysctls& sysctls() { return sysctls_; }
  // A handful of addresses at most: the primary compared first, then a short scan.
  bool is_local(wire::Ipv4Address a) const {
    return a == config_.address ||
           std::find(config_.extra_addresses.begin(), config_.extra_addresses.end(), a) !=
               config_.extra_addresses.end();
  }
  Instant last_now() const { return last_now_; }
  void touch(Instant now) {
    if (now > last_now_) last_now_ = now;
  }
  const stack::Counters& counters() const { return counters_; }
  void set_trace(stack::TraceSink* sink) { tracer_.set_sink(sink); }
  size_t connection_count() const { return conns_.size() + tw_.size(); }
  const stack::PassiveOpen& passive() const { return passive_; }
  bool is_request(Endpoint local, Endpoint remote) const {
    return passive_.find(tcp::FourTuple{.local_addr = local.addr,
                                        .remote_addr = remote.addr,
                                        .local_port = local.port,
                                        .remote_port = remote.port}) != nullptr;
  }
  size_t table_bytes_per_connection() const {
    return sizeof(Tcb) + conns_.bucket_bytes() / std::max<size_t>(conns_.size(), 1);
  }
  // Stack::snapshot(): listeners in socket order, then the connection table in its own order
  // (Linux lists the listening hash, then the established hash).
  std::vector<SocketSnapshot> snapshot(Instant now) const {
    std::vector<SocketSnapshot> out;
    for (const Socket& k : sockets_)
      if (k.kind == SocketKind::kListener) out.push_back(snapshot_of(*k.listener));
    conns_.for_each([&](const Tcb& t) {
      if (t.state != State::kClosed) out.push_back(snapshot_of(t, now));
    });
    passive_.for_each([&](const tcp::RequestRecord& r) {
      out.push_back(snapshot_of(r, passive_.deadline(r), now));
    });
    tw_.for_each([&](const tcp::TimeWaitRecord& r) { out.push_back(snapshot_of(r, now)); });
    return out;
  }

 private:
  static uint64_t listener_key(wire::Ipv4Address a, uint16_t port) {
    return (uint64_t{a.value()} << 16) | port;
  }

  tcp::Listener* find_listener(wire::Ipv4Address a, uint16_t port) const {
    if (listeners_.empty()) return nullptr;
    auto it = listeners_.find(listener_key(a, port));
    if (it == listeners_.end()) it = listeners_.find(listener_key(wire::Ipv4Address::any(), port));
    return it == listeners_.end() ? nullptr : it->second;
  }

  void syn_to_listener(tcp::Listener& l, const wire::Packet& p, Instant now,
                       std::optional<wire::SeqNum> isn) {
    // SPEC §5.4 (passive_open.h): a request record, a cookie, or a counted drop.
    passive_.on_syn(l, p, now, isn);
  }

  void close_listener(Socket& k, Instant now) {
    tcp::Listener* l = k.listener;
    listeners_.erase(listener_key(l->local_addr, l->local_port));
    tracer_.state_change(now, stack::TraceTuple{l->local_addr, l->local_port, {}, 0},
                         State::kListen, State::kClosed);
    // SPEC §5.6: reset every connection never accepted, drop pending handshakes.
    while (Tcb* t = l->pop_accept()) {
      if (t->state != State::kClosed) {
        engine_.abort(*t, now, Counter::kTcpExtTCPAbortOnClose, "listener closed");
      }
      t->orphan = true;
      settle(t);
    }
    passive_.drop_listener(*l, now);
    delete l;
    k.listener = nullptr;
  }

  // Frees the Tcb when nothing holds it any more; takes CLOSED ones out of the table.
  // The Fast Open client cookie cache (SPEC §13.3), made at the first TCP_FASTOPEN_CONNECT
  // connect(): its hash key is drawn from the stack's Rng then, so stacks that never use Fast
  // Open as clients draw exactly what they drew before.
  void ensure_fastopen_cache() {
    if (fo_cache_) return;
    fo_cache_.emplace(kFastOpenCacheEntries, KeyedHash::from_rng(rng_));
    engine_.set_fastopen_cache(&*fo_cache_);
  }

  void settle(Tcb* t) {
    if (t->in_table &&
        (t->state == State::kTimeWait || engine_.fin_wait2_to_table(*t, last_now_))) {
      enter_time_wait(*t, last_now_);
    }
    // An accepted connection shares its listener's port from its handshake on (Linux
    // __inet_inherit_port()).
    if (!t->port_owned && t->passive && t->state != State::kClosed) {
      t->port_owned = true;
      t->port_autobind = false;
      t->port_reuse = t->opt.reuse_addr;
      ports_.acquire(tcb_owner(*t));
    }
    if (t->fastopen_pending && t->state != State::kSynReceived) {
      tcp::Listener* l = find_listener(t->tuple.local_addr, t->tuple.local_port);
      if (l != nullptr) stack::PassiveOpen::fastopen_done(*l, *t);
      t->fastopen_pending = false;
    }
    // Linux counts an orphan until its full socket is destroyed; TIME-WAIT is a separate
    // record there, so an orphan stops counting when it enters TIME-WAIT.
    if (t->counted_orphan && (t->state == State::kClosed || t->state == State::kTimeWait)) {
      t->counted_orphan = false;
      --orphans_;
    }
    if (t->state == State::kClosed && t->in_table) {
      conns_.erase(*t);
      t->in_table = false;
    }
    if (!t->in_table && t->socket == 0 && !t->queued) {
      if (t->port_owned) ports_.release(tcb_owner(*t));
      wheel_.cancel(*t);
      delete t;
    }
  }

  // --- TIME-WAIT table -------------------------------------------------------------------------

  // A record for the segment's tuple answers it; false when there is none.
  bool input_time_wait(const tcp::FourTuple& key, const wire::Packet& p, Instant now) {
    const tcp::TimeWaitRef r = tw_.find(key);
    if (!r) return false;
    const tcp::TimeWaitResult res = engine_.input_time_wait(tw_.at(r), p, now);
    switch (res.action) {
      case tcp::TimeWaitAction::kKeep:
        break;
      case tcp::TimeWaitAction::kRestart:
        tw_.restart(r, now, sysctls_.duration(SysctlId::kTimeWaitLen));
        break;
      case tcp::TimeWaitAction::kKill:
        remove_time_wait(r);
        break;
      case tcp::TimeWaitAction::kReset:
        engine_.reply_reset(p, now);
        remove_time_wait(r);
        break;
      case tcp::TimeWaitAction::kSyn:
        if (tcp::Listener* l = find_listener(p.ip.dst, p.tcp.dst_port)) {
          counters_.inc(Counter::kTcpExtTWKilled);
          engine_.time_wait_killed(tw_.at(r), now, {});
          remove_time_wait(r);
          rearm_time_wait();
          syn_to_listener(*l, p, now, res.isn);
          return true;
        }
        engine_.send_time_wait_ack(tw_.at(r), now);  // no listener: Linux TCP_TW_ACK
        break;
    }
    rearm_time_wait();
    return true;
  }

  void enter_time_wait(Tcb& t, Instant now) {
    if (!t.port_owned) {
      t.port_owned = true;
      t.port_reuse = t.opt.reuse_addr;
      ports_.acquire(tcb_owner(t));
    }
    tcp::TimeWaitState st = engine_.time_wait_state(t, now);
    st.reuse_addr = t.port_reuse;
    st.autobind = t.port_autobind;
    // SPEC §9.7: tcp_max_tw_buckets as it is now.
    tw_.set_max_records(static_cast<size_t>(sysctls_.get(SysctlId::kTcpMaxTwBuckets)));
    const auto r = tw_.start(st, now, engine_.time_wait_lifetime(t, now));
    if (!r) {
      // SPEC §9.7 (Linux tcp_time_wait() when inet_twsk_alloc() fails): the closing socket is
      // destroyed at once.
      counters_.inc(Counter::kTcpExtTCPTimeWaitOverflow);
      if (tw_overflow_log_.allow(now)) {
        tracer_.log(now, tcp::Engine::trace_tuple(t), stack::LogMessage::kTimeWaitOverflow);
      }
      engine_.set_state(t, State::kClosed, now);
      t.done = t.rd_shut = t.wr_shut = true;
      t.want_ack = t.want_delack = false;
      t.rexmit_at = t.delack_at = t.state_at = Instant::infinite();
      engine_.arm(t);
      return;
    }
    engine_.retire_to_time_wait(t);
    t.port_owned = false;  // the record holds the port now (SPEC §14.2)
    rearm_time_wait();
  }

  void expire_time_wait(Instant now) {
    tw_.expire(now, [&](const tcp::TimeWaitRecord& r) {
      engine_.time_wait_ended(r, now);
      ports_.release(record_owner(r));
    });
    rearm_time_wait();
  }

  // Removes a record early (already traced and counted by the engine); frees its port.
  void remove_time_wait(tcp::TimeWaitRef r) {
    ports_.release(record_owner(tw_.at(r)));
    tw_.kill(r);
  }

  void rearm_time_wait() {
    const Instant d = tw_.next_deadline();
    if (d.is_infinite()) {
      wheel_.cancel(tw_timer_);
    } else {
      wheel_.schedule(tw_timer_, d);
    }
  }

  // SPEC §9.8, Linux tcp_twsk_unique(): connect() takes the record over (TWRecycled).
  tcp::TimeWaitRecord take_over_time_wait(const tcp::FourTuple& tuple, Instant now) {
    const tcp::TimeWaitRef r = tw_.find(tuple);
    const tcp::TimeWaitRecord copy = tw_.at(r);
    counters_.inc(Counter::kTcpExtTWRecycled);
    engine_.time_wait_killed(copy, now, "TIME-WAIT reused by connect()");
    remove_time_wait(r);
    rearm_time_wait();
    return copy;
  }

  // SPEC §9.8: tcp_tw_reuse 0/1/2 (2: loopback only), only with timestamps on the old
  // connection and tcp_timestamps = 1, and only once its last timestamp is
  // tcp_tw_reuse_delay old. A FIN-WAIT-2 record is not TIME-WAIT and is never taken.
  bool time_wait_reusable(const tcp::TimeWaitRecord& r, Instant now) const {
    const int64_t reuse = sysctls_.get(SysctlId::kTcpTwReuse);
    if (reuse == 0 || r.fin_wait2) return false;
    if (reuse == 2 && !r.tuple.local_addr.is_loopback() && !r.tuple.remote_addr.is_loopback()) {
      return false;
    }
    if (sysctls_.get(SysctlId::kTcpTimestamps) != 1) return false;
    return r.reusable_for_connect(now, sysctls_.duration(SysctlId::kTcpTwReuseDelay));
  }

 public:
  // THE tuple predicate (SPEC §2.1: one connection per 4-tuple, whatever holds it). Every
  // table holding 4-tuples answers here: connections, TIME-WAIT records (and, when it
  // exists, the listeners' request records).
  stack::TupleState tuple_state(const tcp::FourTuple& tuple, Instant now) const {
    if (conns_.find(tuple) != nullptr) return stack::TupleState::kTaken;
    if (const tcp::TimeWaitRef r = tw_.find(tuple)) {
      return time_wait_reusable(tw_.at(r), now) ? stack::TupleState::kReusableTimeWait
                                                : stack::TupleState::kTaken;
    }
    if (passive_.find(tuple) != nullptr) return stack::TupleState::kTaken;
    return stack::TupleState::kFree;
  }

  size_t time_wait_count() const { return tw_.size(); }
  std::optional<tcp::TimeWaitRecord> find_time_wait(Endpoint local, Endpoint remote) const {
    const tcp::TimeWaitRef r = tw_.find(tcp::FourTuple{.local_addr = local.addr,
                                                       .remote_addr = remote.addr,
                                                       .local_port = local.port,
                                                       .remote_port = remote.port});
    if (!r) return std::nullopt;
    return tw_.at(r);
  }
  const tcp::TimeWaitTable& time_wait_table() const { return tw_; }

 private:
  stack::PortRange port_range() const {
    const auto range = sysctls_.values(SysctlId::kIpLocalPortRange);
    return stack::PortRange{static_cast<uint16_t>(range[0]), static_cast<uint16_t>(range[1])};
  }
  static stack::PortOwner socket_owner(const Socket& k) {
    return stack::PortOwner{k.local.addr, k.local.port,
                            k.kind == SocketKind::kListener ? stack::PortOwnerKind::kListener
                                                            : stack::PortOwnerKind::kBound,
                            k.port_reuse};
  }
  static stack::PortOwner tcb_owner(const Tcb& t) {
    return stack::PortOwner{
        t.tuple.local_addr, t.tuple.local_port,
        t.port_autobind ? stack::PortOwnerKind::kAutobind : stack::PortOwnerKind::kBound,
        t.port_reuse};
  }
  static stack::PortOwner record_owner(const tcp::TimeWaitRecord& r) {
    return stack::PortOwner{
        r.tuple.local_addr, r.tuple.local_port,
        r.autobind ? stack::PortOwnerKind::kAutobind : stack::PortOwnerKind::kBound, r.reuse_addr};
  }

  StackConfig config_;
  Rng rng_;
  KeyedHash table_hash_;
  KeyedHash port_hash_;
  tcp::IsnGenerator isn_;
  tcp::SynCookies cookies_;
  stack::Sysctls sysctls_;
  stack::Counters counters_;
  stack::Tracer tracer_;
  wire::Packet pkt_;
  Instant last_now_;
  uint64_t orphans_ = 0;  // orphaned connections not yet CLOSED or in TIME-WAIT
  // Destinations whose Fast Open cookie is remembered (Linux keeps them in tcp_metrics,
  // whose table has thousands of rows on a typical host; the least recently used goes first).
  static constexpr size_t kFastOpenCacheEntries = 1024;
  std::optional<tcp::FastOpenClientCache> fo_cache_;
  std::vector<Socket> sockets_;
  std::vector<SocketId> free_sockets_;
  std::unordered_map<uint64_t, tcp::Listener*> listeners_;
  stack::ConnectionTable conns_;
  // Request records (their timers live in wheel_, which is destroyed first).
  stack::PassiveOpen passive_;
  tcp::TimeWaitTable tw_;
  stack::PortAllocator ports_;
  // Linux logs the overflow through net_info_ratelimited(): net.core.message_burst (10)
  // lines per net.core.message_cost (5 s).
  RateLimit tw_overflow_log_{10, Duration::seconds(5)};
  // The TIME-WAIT table's one wheel entry (kind 1: not a Tcb). Declared before wheel_.
  stack::TimerEntry tw_timer_{1};
  // Declared after every Tcb holder: destroyed first, it disarms what is still armed.
  stack::TimerWheel wheel_;
  tcp::Engine engine_;
};

// --- Stack: forwards to StackImpl -----------------------------------------------------------

Stack::Stack(const StackConfig& config, uint64_t seed, PacketOutput& output)
    : impl_(std::make_unique<StackImpl>(config, seed, output)) {}
Stack::~Stack() = default;

void Stack::input(std::span<const uint8_t> ipv4_packet, Instant now) {
  impl_->input(ipv4_packet, now);
}
void Stack::advance(Instant now) {
  impl_->advance(now);
}
Instant Stack::next_deadline() const {
  return impl_->next_deadline();
}
Result<SocketId, int> Stack::socket() {
  return impl_->socket();
}
int Stack::bind(SocketId s, Endpoint local) {
  return impl_->bind(s, local);
}
int Stack::listen(SocketId s, int backlog, Instant now) {
  return impl_->listen(s, backlog, now);
}
Result<SocketId, int> Stack::accept(SocketId listener, Instant now) {
  return impl_->accept(listener, now);
}
int Stack::connect(SocketId s, Endpoint remote, Instant now) {
  return impl_->connect(s, remote, now);
}
Result<size_t, int> Stack::send(SocketId s, std::span<const uint8_t> data, Instant now) {
  return impl_->send(s, data, now);
}
Result<size_t, int> Stack::send_fastopen(SocketId s, const Result<Endpoint, int>& remote,
                                         std::span<const uint8_t> data, Instant now) {
  return impl_->send_fastopen(s, remote, data, now);
}
Result<size_t, int> Stack::recv(SocketId s, std::span<uint8_t> out, Instant now, bool peek) {
  return impl_->recv(s, out, now, peek);
}
int Stack::shutdown(SocketId s, ShutdownHow how, Instant now) {
  return impl_->shutdown(s, how, now);
}
int Stack::close(SocketId s, Instant now) {
  return impl_->close(s, now);
}
Result<std::optional<LingerWait>, int> Stack::close_linger(SocketId s, Instant now) {
  return impl_->close_linger(s, now);
}
bool Stack::linger_done(const LingerWait& w, Instant now) {
  return impl_->linger_done(w, now);
}
void Stack::abort(SocketId s, Instant now) {
  impl_->abort(s, now);
}
uint32_t Stack::readiness(SocketId s) const {
  return impl_->readiness(s);
}
int Stack::take_error(SocketId s) {
  return impl_->take_error(s);
}
int Stack::set_option(SocketId s, SockOpt opt, int64_t value) {
  // Options that act at once (TCP_NODELAY pushing, TCP_QUICKACK) use the last time the
  // stack saw; the contract gives set_option no `now`.
  return impl_->set_option(s, opt, value, impl_->last_now());
}
Result<int64_t, int> Stack::get_option(SocketId s, SockOpt opt) const {
  return impl_->get_option(s, opt);
}
Result<SocketInfo, int> Stack::info(SocketId s) const {
  return impl_->info(s);
}
std::optional<tcp::State> Stack::state_of(Endpoint local, Endpoint remote) const {
  if (const Tcb* t = impl_->find(local, remote)) return t->state;
  if (auto r = impl_->find_time_wait(local, remote)) {
    return r->fin_wait2 ? State::kFinWait2 : State::kTimeWait;
  }
  if (impl_->is_request(local, remote)) return State::kSynReceived;
  return std::nullopt;
}
std::vector<RequestInfo> Stack::requests() const {
  std::vector<RequestInfo> out;
  const stack::PassiveOpen& po = impl_->passive();
  out.reserve(po.size());
  po.for_each([&](const tcp::RequestRecord& r) {
    out.push_back(RequestInfo{.local = Endpoint{r.tuple.local_addr, r.tuple.local_port},
                              .remote = Endpoint{r.tuple.remote_addr, r.tuple.remote_port},
                              .retransmits = r.retransmits,
                              .deadline = po.deadline(r)});
  });
  return out;
}
size_t Stack::request_count() const {
  return impl_->passive().size();
}
size_t Stack::request_bytes() const {
  return impl_->passive().memory_bytes();
}
size_t Stack::time_wait_count() const {
  return impl_->time_wait_count();
}
std::optional<tcp::TimeWaitRecord> Stack::find_time_wait(Endpoint local, Endpoint remote) const {
  return impl_->find_time_wait(local, remote);
}
const tcp::TimeWaitTable& Stack::time_wait_table() const {
  return impl_->time_wait_table();
}
stack::Sysctls& Stack::sysctls() {
  return impl_->sysctls();
}
const stack::Sysctls& Stack::sysctls() const {
  return const_cast<StackImpl&>(*impl_).sysctls();
}
bool Stack::is_local_address(wire::Ipv4Address a) const {
  return impl_->is_local(a);
}
const stack::Counters& Stack::counters() const {
  return impl_->counters();
}
void Stack::set_trace(stack::TraceSink* sink) {
  impl_->set_trace(sink);
}
size_t Stack::connection_count() const {
  return impl_->connection_count();
}
const tcp::Tcb* Stack::find_connection(Endpoint local, Endpoint remote) const {
  return impl_->find(local, remote);
}
const tcp::Tcb* Stack::connection_of(SocketId s) const {
  return impl_->connection_of(s);
}
size_t Stack::table_bytes_per_connection() const {
  return impl_->table_bytes_per_connection();
}
std::vector<SocketSnapshot> Stack::snapshot(Instant now) const {
  return impl_->snapshot(now);
}

}  // namespace synack
