// ScriptApp: the small application most scenarios run on each end, written against the
// Stack's non-blocking socket calls and driven by Rig after every event of its host.
//
// Why one configurable app instead of one per scenario: the stories differ in a few choices —
// what to send and when, whether to half-close, whether to close on EOF (a CLOSE-WAIT leak is
// an application that does not) — and each scenario states those choices as data. Everything
// the app observed (errors with their times, EOF, bytes) is kept for the scenario's checks;
// the app never gives up on its own, failures come from TCP.
//
// Single-threaded.
#pragma once

#include <synack/time.h>

#include <cstddef>
#include <string>

#include "stack/stack.h"

namespace synack::sim::scenarios {

struct AppScript {
  std::string send{};                // written once connected (after `wait_for` bytes arrived)
  size_t wait_for = 0;               // bytes to receive before sending
  bool send_after_eof = false;       // send only after the peer's FIN was read
  bool shutdown_after_send = false;  // shutdown(SHUT_WR) once everything is queued
  bool close_after_send = false;     // close() once everything is queued (active close)
  size_t close_after_bytes = 0;      // ... and once this many bytes arrived
  bool close_on_eof = true;          // close() after reading EOF (false: CLOSE-WAIT leak)
  bool abort_on_close = false;       // SO_LINGER {on, 0} set before closing
};

class ScriptApp {
 public:
  ScriptApp(Stack& stack, AppScript script) : stack_(stack), script_(std::move(script)) {}
  // The connecting side's socket, or the listener to accept from.
  void set_socket(SocketId s) { sock_ = s; }
  void set_listener(SocketId l) { listener_ = l; }
  void step(Instant now);
  // close() now (scenarios that script the moment themselves).
  void close(Instant now);

  [[nodiscard]] SocketId socket() const { return sock_; }
  [[nodiscard]] int error() const { return error_; }
  [[nodiscard]] Instant error_at() const { return error_at_; }
  [[nodiscard]] bool eof() const { return eof_; }
  [[nodiscard]] Instant eof_at() const { return eof_at_; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] Instant closed_at() const { return closed_at_; }
  [[nodiscard]] size_t received() const { return received_; }
  [[nodiscard]] size_t sent() const { return sent_; }
  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] Instant connected_at() const { return connected_at_; }

 private:
  Stack& stack_;
  AppScript script_;
  SocketId listener_ = kNoSocket;
  SocketId sock_ = kNoSocket;
  bool connected_ = false;
  Instant connected_at_ = Instant::infinite();
  size_t sent_ = 0;
  size_t received_ = 0;
  bool shut_ = false;
  bool eof_ = false;
  Instant eof_at_ = Instant::infinite();
  bool closed_ = false;
  Instant closed_at_ = Instant::infinite();
  int error_ = 0;
  Instant error_at_ = Instant::infinite();
};

}  // namespace synack::sim::scenarios
