// The servers of `synack serve`: echo, discard and a minimal HTTP/1.1 server, written against
// the Stack's non-blocking socket calls so the same code runs over a TUN (the real-time loop)
// or in the simulator — it never reads a clock or touches a descriptor.
//
// TcpServer owns the listening socket and one Handler per accepted connection. step(now),
// called by the driver after the stack has seen every packet and timer due (RealtimeLoop::
// on_step), accepts what is queued and then, for each connection, alternates "send what the
// handler produced" and "give the handler what arrived" until the socket says EAGAIN both
// ways. A handler that produces faster than the peer reads is held back by send() accepting
// less (the send buffer is the flow control); an echo handler stops reading while it holds
// more than kEchoBacklog unsent bytes, so the receive window closes on a slow reader instead
// of synack buffering without bound. A connection is closed when its handler says it is
// finished and every produced byte was accepted by send(); a reset or error drops it
// (counted). Bytes the peer sends after the handler finished are left unread (so Linux's
// rule applies: closing with unread data sends RST).
//
// Single-threaded, like the Stack.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "stack/stack.h"

namespace synack::app {

enum class ServiceKind : uint8_t { kEcho, kDiscard, kHttp };
// "echo", "discard", "http"; nullopt for anything else.
[[nodiscard]] std::optional<ServiceKind> service_from_name(std::string_view name);

struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t closed = 0;
  uint64_t errors = 0;  // connections dropped on a reset or error
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t requests = 0;      // HTTP requests answered (any status)
  uint64_t bad_requests = 0;  // HTTP 4xx answers
};

// One connection's application: consumes what arrives, produces what to send.
class Handler {
 public:
  virtual ~Handler() = default;
  [[nodiscard]] virtual bool want_read() const = 0;
  virtual void on_data(std::span<const uint8_t> data) = 0;
  virtual void on_eof() = 0;
  // Writes up to out.size() bytes to send; returns how many (0: nothing now).
  virtual size_t produce(std::span<uint8_t> out) = 0;
  // True once nothing more will be produced and the connection should close.
  [[nodiscard]] virtual bool finished() const = 0;
};

[[nodiscard]] std::unique_ptr<Handler> make_handler(ServiceKind kind, ServerCounters& counters);

class TcpServer {
 public:
  static constexpr size_t kEchoBacklog = 256 * 1024;

  TcpServer(Stack& stack, ServiceKind kind) : stack_(stack), kind_(kind) {}
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // socket/bind/listen; the errno on failure.
  [[nodiscard]] int listen(Endpoint local, int backlog, Instant now);
  void step(Instant now);
  // Closes the listener and every connection (the stack sends their FINs).
  void shutdown(Instant now);

  [[nodiscard]] const ServerCounters& counters() const { return counters_; }
  [[nodiscard]] size_t connections() const { return conns_.size(); }

 private:
  struct Conn {
    std::unique_ptr<Handler> handler;
    std::vector<uint8_t> out;  // produced, not yet accepted by send()
    size_t out_pos = 0;
    bool eof = false;
  };
  // false when the connection is to be dropped (error) or closed (finished).
  bool serve(SocketId s, Conn& c, Instant now);

  Stack& stack_;
  ServiceKind kind_;
  std::optional<SocketId> listener_;
  std::map<SocketId, Conn> conns_;
  std::vector<uint8_t> rbuf_ = std::vector<uint8_t>(64 * 1024);
  ServerCounters counters_;
};

}  // namespace synack::app
