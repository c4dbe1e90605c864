// The two applications of `synack demo`: an HTTP-like client and server written against the
// Stack's non-blocking socket calls, and the Host wrapper that runs them inside the simulator.
//
// Why a wrapper instead of polling from a loop: an application that polled every millisecond
// would answer up to a millisecond late and the ladder would show that delay as if it were
// TCP's. AppHost runs the application right after every packet and timer its stack handles, at
// the same simulated Instant, so a server answers in the event that delivered the request —
// like a process woken by epoll with no scheduling delay.
//
// The exchange: the client connects, sends one request, reads the response (its length is
// known in advance, as Content-Length would tell it), then closes first — so the client is the
// side that goes through TIME-WAIT (SPEC §9.1). The server accepts, reads until the blank line
// ending the request, answers, and closes when it reads EOF. Neither side gives up on its own:
// failures come from TCP (connect() timing out, a reset), reported through error().
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <functional>
#include <string>

#include "sim/simulator.h"
#include "sim/stack_host.h"
#include "stack/stack.h"

namespace synack::cli {

class AppHost final : public sim::Host {
 public:
  AppHost(sim::StackHost& inner, std::function<void(Instant)> app)
      : inner_(inner), app_(std::move(app)) {}
  void receive(sim::PacketPtr packet, Instant now) override;
  void advance(Instant now) override;
  [[nodiscard]] Instant next_deadline() const override { return inner_.next_deadline(); }

 private:
  sim::StackHost& inner_;
  std::function<void(Instant)> app_;
};

// The request and the response the demo exchanges.
std::string demo_request(const Endpoint& server);
std::string demo_response();

class DemoClient {
 public:
  DemoClient(Stack& stack, Endpoint server, std::string request, size_t response_size)
      : stack_(stack),
        server_(server),
        request_(std::move(request)),
        response_size_(response_size) {}
  // connect(); false (with error()) when the stack refuses at once.
  bool start(Instant now);
  void step(Instant now);

  [[nodiscard]] Endpoint local() const { return local_; }
  [[nodiscard]] bool got_response() const { return received_ >= response_size_; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] int error() const { return error_; }  // errno value, 0 if none
  [[nodiscard]] size_t sent() const { return sent_; }
  [[nodiscard]] size_t received() const { return received_; }

 private:
  Stack& stack_;
  Endpoint server_;
  std::string request_;
  size_t response_size_;
  SocketId sock_ = kNoSocket;
  Endpoint local_;
  size_t sent_ = 0;
  size_t received_ = 0;
  bool closed_ = false;
  int error_ = 0;
};

class DemoServer {
 public:
  DemoServer(Stack& stack, Endpoint local, std::string response)
      : stack_(stack), local_(local), response_(std::move(response)) {}
  bool start(Instant now);  // socket, bind, listen
  void step(Instant now);

  [[nodiscard]] bool got_request() const { return request_complete_; }
  [[nodiscard]] bool responded() const { return sent_ >= response_.size(); }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] int error() const { return error_; }
  [[nodiscard]] size_t received() const { return request_.size(); }

 private:
  Stack& stack_;
  Endpoint local_;
  std::string response_;
  SocketId listener_ = kNoSocket;
  SocketId conn_ = kNoSocket;
  std::string request_;
  bool request_complete_ = false;
  size_t sent_ = 0;
  bool closed_ = false;
  int error_ = 0;
};

}  // namespace synack::cli
