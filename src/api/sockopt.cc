// getsockopt / setsockopt, TCP_INFO, fcntl and ioctl for synack::Sockets.
//
// Lengths follow Linux exactly because programs depend on the quirks:
//   - setsockopt: optlen < 0 is EINVAL (__sys_setsockopt); an int option with optlen <
//     sizeof(int) is EINVAL (sock_setsockopt, do_tcp_setsockopt), SO_LINGER needs a whole
//     struct linger, SO_RCVTIMEO/SO_SNDTIMEO a whole struct timeval; then EFAULT for a null
//     value.
//   - getsockopt never fails on a short buffer: it copies min(len, size) bytes and writes the
//     copied length back (sock_getsockopt, do_tcp_getsockopt) — TCP_INFO included, which is
//     how old binaries with a shorter struct tcp_info keep working. Negative len is EINVAL.
//   - unknown names are ENOPROTOOPT, at any level.
//   - IPPROTO_IP int options (IP_BIND_ADDRESS_NO_PORT) follow do_ip_setsockopt() and
//     do_ip_getsockopt() instead: a set with optlen >= 4 reads an int, 1..3 reads one unsigned
//     byte, 0 means 0 (never EINVAL); a get with 0 < len < 4 of a value in 0..255 writes one
//     byte and len 1.
// SO_RCVBUF/SO_SNDBUF report twice the value set (sk_rcvbuf = 2 * val, SPEC §15.1): the Stack
// already answers that way.
// SO_ZEROCOPY is only a descriptor flag: a send with MSG_ZEROCOPY copies like any other send
// (what Linux does on a device without scatter-gather) and no completion notification is
// queued on an error queue — synack has no error queue (MSG_ERRQUEUE), so a program that waits
// for those completions would wait forever. Enough for scripts that only set the option.
//
// TCP_INFO is Linux's struct tcp_info (<linux/tcp.h>), filled from the Tcb like tcp_get_info()
// does for the fields SPEC §15.1 lists and a few more that are exact here. Fields synack does
// not track stay 0. tcpi_total_retrans is the Tcb's count of retransmitted segments (Linux
// tp->total_retrans). unacked, lost and retrans are segment counts Linux keeps exactly
// (packets_out, lost_out, retrans_out); synack keeps no per-segment records, so it derives
// them from the byte sequence space (see tcp_info_of()): exact while the segments in flight
// are full-sized, an undercount when small segments are outstanding.
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "api/sockets_impl.h"
#include "tcp/tcb.h"

namespace synack {

namespace {

long err(int e) {
  return -static_cast<long>(e);
}

// Copies min(*len, size) bytes of `v` out and writes the copied length back.
long put(const void* v, size_t size, void* value, socklen_t* len) {
  const size_t n = std::min<size_t>(*len, size);
  if (n > 0 && value == nullptr) return err(EFAULT);
  if (n > 0) std::memcpy(value, v, n);
  *len = static_cast<socklen_t>(n);
  return 0;
}

long put_int(int v, void* value, socklen_t* len) {
  return put(&v, sizeof v, value, len);
}

long get_int(const void* value, socklen_t len, int* out) {
  if (len < sizeof(int)) return err(EINVAL);
  if (value == nullptr) return err(EFAULT);
  std::memcpy(out, value, sizeof(int));
  return 0;
}

// tcp_get_info() for the fields synack knows.
tcp_info tcp_info_of(const Stack& stack, SocketId sid, bool listening) {
  tcp_info i{};
  const tcp::Tcb* t = stack.connection_of(sid);
  if (t == nullptr) {
    i.tcpi_state = static_cast<uint8_t>(
        tcp::linux_state_number(listening ? tcp::State::kListen : tcp::State::kClosed));
    if (listening) {
      if (auto info = stack.info(sid)) {
        i.tcpi_unacked = info->recv_queue;  // Linux: accept queue length
        i.tcpi_sacked = info->send_queue;   // Linux: backlog
      }
    }
    return i;
  }
  i.tcpi_state = static_cast<uint8_t>(tcp::linux_state_number(t->state));
  i.tcpi_ca_state = static_cast<uint8_t>(t->cc.state());
  i.tcpi_retransmits = t->retransmits;
  i.tcpi_probes = t->probes_out;
  i.tcpi_backoff = static_cast<uint8_t>(t->rtt.backoff());
  if (t->ts_ok) i.tcpi_options |= TCPI_OPT_TIMESTAMPS;
  if (t->sack_ok) i.tcpi_options |= TCPI_OPT_SACK;
  if (t->ws_ok) {
    i.tcpi_options |= TCPI_OPT_WSCALE;
    i.tcpi_snd_wscale = t->snd_wscale & 0xf;
    i.tcpi_rcv_wscale = t->rcv_wscale & 0xf;
  }
  i.tcpi_rto = static_cast<uint32_t>(t->rtt.rto().us());
  i.tcpi_snd_mss = t->snd_mss;
  i.tcpi_rcv_mss = t->rcv_mss;
  // packets_out: segments sent and not acknowledged. synack counts bytes (SYN and FIN one
  // each), so this is the bytes in flight in whole segments of snd_mss, rounded up.
  const uint32_t flight = static_cast<uint32_t>(t->snd_max - t->snd_una);
  const uint32_t mss = std::max<uint32_t>(t->snd_mss, 1);
  i.tcpi_unacked = (flight + mss - 1) / mss;
  // lost_out / retrans_out without SACK (tcp_enter_loss(), tcp_mark_head_lost()): after an
  // RTO everything outstanding is lost and the head is being retransmitted; in fast recovery
  // the head is lost and retransmitted.
  const auto ca = t->cc.state();
  if (t->sack) {
    // With a SACK scoreboard, Linux's own counts (tcp_sacktag / tcp_mark_head_lost /
    // tcp_enter_loss marks), each converted from bytes to segments.
    const auto f = t->sack->flight(t->snd_una, t->snd_max, t->snd_nxt, mss, tcp::sack_mode(*t));
    i.tcpi_sacked = tcp::segments(f.sacked, mss);
    i.tcpi_lost = tcp::segments(f.lost, mss);
    i.tcpi_retrans = tcp::segments(f.retrans, mss);
  } else if (ca == tcp::CaState::kLoss) {
    i.tcpi_lost = i.tcpi_unacked;
    i.tcpi_retrans = std::min<uint32_t>(i.tcpi_unacked, 1);
  } else if (ca == tcp::CaState::kRecovery) {
    i.tcpi_lost = std::min<uint32_t>(i.tcpi_unacked, 1);
    i.tcpi_retrans = i.tcpi_lost;
  }
  i.tcpi_rtt = static_cast<uint32_t>(t->rtt.srtt().us());
  i.tcpi_rttvar = static_cast<uint32_t>(t->rtt.rttvar().us());
  i.tcpi_snd_cwnd = t->cc.cwnd();
  i.tcpi_snd_ssthresh = t->cc.ssthresh();
  i.tcpi_total_retrans = t->total_retrans;
  i.tcpi_advmss = t->adv_mss;
  i.tcpi_reordering =
      3;  // tp->reordering, sysctl_tcp_reordering's default; synack never changes it
  i.tcpi_rcv_ssthresh = t->rcv_ssthresh;
  i.tcpi_snd_wnd = t->snd_wnd;
  if (tcp::is_synchronized(t->state)) {
    i.tcpi_bytes_acked = static_cast<uint32_t>(t->snd_una - (t->iss + 1));
    i.tcpi_bytes_received = static_cast<uint32_t>(t->rcv_nxt() - (t->irs + 1));
  }
  return i;
}

}  // namespace

long SocketsImpl::getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if (len == nullptr) return err(EFAULT);
  if (static_cast<int>(*len) < 0) return err(EINVAL);
  auto opt = [&](SockOpt o) -> long {
    auto r = stack_.get_option(d->sid, o);
    if (!r) return err(r.error());
    return put_int(static_cast<int>(std::clamp<int64_t>(r.value(), INT_MIN, INT_MAX)), value, len);
  };
  auto timeval_of = [&](Duration t) -> long {
    timeval tv{};
    if (t > Duration::zero()) {
      tv.tv_sec = t.ns() / 1'000'000'000;
      tv.tv_usec = (t.ns() % 1'000'000'000) / 1'000;
    }
    return put(&tv, sizeof tv, value, len);
  };
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR:
        return opt(SockOpt::kReuseAddr);
      case SO_KEEPALIVE:
        return opt(SockOpt::kKeepAlive);
      case SO_RCVBUF:
        return opt(SockOpt::kRcvBuf);
      case SO_SNDBUF:
        return opt(SockOpt::kSndBuf);
      case SO_LINGER: {
        auto r = stack_.get_option(d->sid, SockOpt::kLinger);
        if (!r) return err(r.error());
        linger l{};
        l.l_onoff = r.value() >= 0 ? 1 : 0;
        l.l_linger = static_cast<int>(std::clamp<int64_t>(r.value(), 0, INT_MAX));
        return put(&l, sizeof l, value, len);
      }
      case SO_ERROR:
        return put_int(stack_.take_error(d->sid), value, len);
      case SO_TYPE:
        return put_int(SOCK_STREAM, value, len);
      case SO_DOMAIN:
        return put_int(AF_INET, value, len);
      case SO_PROTOCOL:
        return put_int(IPPROTO_TCP, value, len);
      case SO_ACCEPTCONN:
        return put_int(d->listening ? 1 : 0, value, len);
      case SO_RCVTIMEO:
        return timeval_of(d->rcvtimeo);
      case SO_SNDTIMEO:
        return timeval_of(d->sndtimeo);
      case SO_ZEROCOPY:
        return put_int(d->zerocopy ? 1 : 0, value, len);
      default:
        return err(ENOPROTOOPT);
    }
  }
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return opt(SockOpt::kNoDelay);
      case TCP_MAXSEG:
        return opt(SockOpt::kMaxSeg);
      case TCP_KEEPIDLE:
        return opt(SockOpt::kKeepIdle);
      case TCP_KEEPINTVL:
        return opt(SockOpt::kKeepIntvl);
      case TCP_KEEPCNT:
        return opt(SockOpt::kKeepCnt);
      case TCP_SYNCNT:
        return opt(SockOpt::kSynCnt);
      case TCP_USER_TIMEOUT:
        return opt(SockOpt::kUserTimeoutMs);
      case TCP_QUICKACK:
        return opt(SockOpt::kQuickAck);
      case TCP_FASTOPEN:  // fastopenq.max_qlen: the limit in force
        return opt(SockOpt::kFastOpen);
      case TCP_FASTOPEN_CONNECT:
        return opt(SockOpt::kFastOpenConnect);
      case TCP_INFO: {
        const tcp_info info = tcp_info_of(stack_, d->sid, d->listening);
        return put(&info, sizeof info, value, len);
      }
      default:
        return err(ENOPROTOOPT);
    }
  }
  if (level == IPPROTO_IP) {
    switch (name) {
      case IP_BIND_ADDRESS_NO_PORT: {
        auto r = stack_.get_option(d->sid, SockOpt::kBindAddressNoPort);
        if (!r) return err(r.error());
        const int v = static_cast<int>(r.value());
        if (*len > 0 && *len < sizeof(int)) {  // do_ip_getsockopt() copyval: one byte
          const auto byte = static_cast<unsigned char>(v);
          return put(&byte, 1, value, len);
        }
        return put_int(v, value, len);
      }
      default:
        return err(ENOPROTOOPT);
    }
  }
  return err(ENOPROTOOPT);
}

long SocketsImpl::setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  long e = 0;
  Descriptor* d = socket_fd(fd, &e);
  if (d == nullptr) return e;
  if (static_cast<int>(len) < 0) return err(EINVAL);
  auto opt = [&](SockOpt o, bool boolean) -> long {
    int v = 0;
    if (long r = get_int(value, len, &v); r < 0) return r;
    int64_t x = boolean ? (v != 0 ? 1 : 0) : v;
    // sock_setsockopt() clamps buffer sizes as u32: a negative value is a huge one.
    if (o == SockOpt::kRcvBuf || o == SockOpt::kSndBuf) x = static_cast<uint32_t>(v);
    return err(stack_.set_option(d->sid, o, x));
  };
  // sock_set_timeout(): tv_usec outside [0, 1 s) is EDOM; a negative time means "do not
  // wait"; {0, 0} means no limit.
  auto set_timeout = [&](Duration* out) -> long {
    if (len < sizeof(timeval)) return err(EINVAL);
    if (value == nullptr) return err(EFAULT);
    timeval tv{};
    std::memcpy(&tv, value, sizeof tv);
    if (tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return err(EDOM);
    if (tv.tv_sec < 0) {
      *out = Duration::nanos(-1);
    } else {
      *out =
          Duration::seconds(std::min<int64_t>(tv.tv_sec, INT32_MAX)) + Duration::micros(tv.tv_usec);
    }
    return 0;
  };
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR:
        return opt(SockOpt::kReuseAddr, true);
      case SO_KEEPALIVE:
        return opt(SockOpt::kKeepAlive, true);
      case SO_RCVBUF:
        return opt(SockOpt::kRcvBuf, false);
      case SO_SNDBUF:
        return opt(SockOpt::kSndBuf, false);
      case SO_LINGER: {
        if (len < sizeof(linger)) return err(EINVAL);
        if (value == nullptr) return err(EFAULT);
        linger l{};
        std::memcpy(&l, value, sizeof l);
        // A negative l_linger compares as a huge unsigned time in Linux: linger "forever".
        const int64_t t = l.l_onoff == 0 ? -1 : (l.l_linger < 0 ? INT32_MAX : l.l_linger);
        return err(stack_.set_option(d->sid, SockOpt::kLinger, t));
      }
      case SO_RCVTIMEO:
        return set_timeout(&d->rcvtimeo);
      case SO_SNDTIMEO:
        return set_timeout(&d->sndtimeo);
      case SO_ZEROCOPY: {
        // sock_setsockopt(): TCP takes it in any state; only 0 and 1 (else EINVAL).
        int v = 0;
        if (long r = get_int(value, len, &v); r < 0) return r;
        if (v < 0 || v > 1) return err(EINVAL);
        d->zerocopy = v == 1;
        return 0;
      }
      case SO_TYPE:
      case SO_DOMAIN:
      case SO_PROTOCOL:
      case SO_ACCEPTCONN:
      case SO_ERROR:
        return err(ENOPROTOOPT);  // read-only: sock_setsockopt() has no case for them
      default:
        return err(ENOPROTOOPT);
    }
  }
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return opt(SockOpt::kNoDelay, true);
      case TCP_MAXSEG:
        return opt(SockOpt::kMaxSeg, false);
      case TCP_KEEPIDLE:
        return opt(SockOpt::kKeepIdle, false);
      case TCP_KEEPINTVL:
        return opt(SockOpt::kKeepIntvl, false);
      case TCP_KEEPCNT:
        return opt(SockOpt::kKeepCnt, false);
      case TCP_SYNCNT:
        return opt(SockOpt::kSynCnt, false);
      case TCP_USER_TIMEOUT:
        return opt(SockOpt::kUserTimeoutMs, false);
      case TCP_QUICKACK:
        return opt(SockOpt::kQuickAck, true);
      case TCP_FASTOPEN:  // queue length >= 0, on a fresh socket or a listener (else EINVAL)
        return opt(SockOpt::kFastOpen, false);
      case TCP_FASTOPEN_CONNECT:  // 0/1 (else EINVAL), EOPNOTSUPP without tcp_fastopen 0x1
        return opt(SockOpt::kFastOpenConnect, false);
      case TCP_INFO:
        return err(ENOPROTOOPT);  // read-only
      default:
        return err(ENOPROTOOPT);
    }
  }
  if (level == IPPROTO_IP) {
    switch (name) {
      case IP_BIND_ADDRESS_NO_PORT: {
        int v = 0;  // optlen 0: "equivalent to val == 0"
        if (len >= sizeof(int)) {
          if (value == nullptr) return err(EFAULT);
          std::memcpy(&v, value, sizeof v);
        } else if (len >= 1) {
          if (value == nullptr) return err(EFAULT);
          v = *static_cast<const unsigned char*>(value);
        }
        return err(stack_.set_option(d->sid, SockOpt::kBindAddressNoPort, v != 0 ? 1 : 0));
      }
      default:
        return err(ENOPROTOOPT);
    }
  }
  return err(ENOPROTOOPT);
}

// do_fcntl(): F_SETFL changes only the flags it may (O_NONBLOCK here; O_APPEND, O_ASYNC and
// O_DIRECT mean nothing to a TCP socket); the access mode reads back as O_RDWR.
long SocketsImpl::fcntl(int fd, int cmd, int arg) {
  Descriptor* d = get(fd);
  if (d == nullptr) return err(EBADF);
  switch (cmd) {
    case F_GETFL:
      return O_RDWR | (d->nonblock ? O_NONBLOCK : 0);
    case F_SETFL:
      d->nonblock = (arg & O_NONBLOCK) != 0;
      return 0;
    case F_GETFD:
      return d->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      d->cloexec = (arg & FD_CLOEXEC) != 0;
      return 0;
    default:
      return err(EINVAL);
  }
}

// sock_ioctl() / tcp_ioctl(): the queue sizes are EINVAL on a listener.
long SocketsImpl::ioctl(int fd, unsigned long request, int* arg) {
  Descriptor* d = get(fd);
  if (d == nullptr) return err(EBADF);
  if (request == FIONBIO) {
    if (arg == nullptr) return err(EFAULT);
    d->nonblock = *arg != 0;
    return 0;
  }
  if (d->kind != Kind::kSocket) return err(ENOTTY);
  switch (request) {
    case SIOCINQ:  // == FIONREAD
    case SIOCOUTQ:
    case SIOCOUTQNSD: {
      if (d->listening) return err(EINVAL);
      if (arg == nullptr) return err(EFAULT);
      const tcp::Tcb* t = stack_.connection_of(d->sid);
      int v = 0;
      if (t != nullptr) {
        if (request == SIOCINQ) {
          v = static_cast<int>(t->rq.readable());
        } else if (request == SIOCOUTQ) {
          v = static_cast<int>(t->sq.size());  // write_seq - snd_una
        } else {
          // write_seq - snd_nxt: queued and not sent yet.
          const auto sent = static_cast<uint32_t>(t->snd_max - t->snd_una);
          v = static_cast<int>(t->sq.size() > sent ? t->sq.size() - sent : 0);
        }
      }
      *arg = v;
      return 0;
    }
    default:
      return err(ENOTTY);
  }
}

}  // namespace synack
