// ShortConnections: the many-connection workload of the TIME-WAIT and port stories (SPEC §9,
// §14.1, §17) — a client opening one connection every `interval`, each carrying `requests`
// request/response exchanges (HTTP-like, fixed sizes) and then closed by the side the plan
// names, the other side closing when it reads end-of-file.
//
// Why its own small applications rather than one ScriptApp per connection: ScriptApp plays one
// exchange on one socket, while these stories run thousands of connections (and keep-alive
// runs many exchanges on one); a connection that is finished is dropped from the active lists,
// so each event costs the few connections still open, not every connection ever made.
//
// What it records is what the application saw (connect() errors with their errno and time,
// completed exchanges, its own close() times); the TCP states come from the rig's HostLogs and
// the stacks' snapshots.
//
// Single-threaded; lives as long as the Rig it drives.
#pragma once

#include <synack/time.h>

#include <cstdint>
#include <vector>

#include "sim/scenarios/rig.h"

namespace synack::sim::scenarios {

struct ShortConnectionsPlan {
  int connections = 0;                       // connect() calls
  Duration interval = Duration::millis(20);  // between two connect() calls; the first is at once
  int requests = 1;                          // request/response exchanges per connection
  bool server_closes_first = false;          // false: the client closes after its last response
  int backlog = 16;                          // the server's listen() backlog
  // When not empty: connect() call i first binds its socket to sources[i % size] with
  // IP_BIND_ADDRESS_NO_PORT (a load generator spreading over its source addresses).
  std::vector<wire::Ipv4Address> sources{};
};

class ShortConnections {
 public:
  static constexpr size_t kRequestSize = 18;   // "GET / HTTP/1.1\r\n\r\n"
  static constexpr size_t kResponseSize = 38;  // "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

  ShortConnections(Rig& rig, ShortConnectionsPlan plan);
  // Listens on the server, installs both applications, schedules the connect() calls from now.
  // False when the listener cannot be set up.
  [[nodiscard]] bool start();

  [[nodiscard]] int attempted() const { return attempted_; }
  [[nodiscard]] int established() const { return established_; }  // connect() completed
  // Of those, the ones from plan.sources[i] (0 when the plan has no sources).
  [[nodiscard]] int established_from(size_t i) const {
    return i < established_from_.size() ? established_from_[i] : 0;
  }
  [[nodiscard]] int exchanges() const { return exchanges_; }  // responses read in full
  [[nodiscard]] int eaddrnotavail() const { return eaddrnotavail_; }
  [[nodiscard]] Instant first_eaddrnotavail() const { return first_eaddrnotavail_; }
  // Successful connect() calls before the first EADDRNOTAVAIL (all of them when none).
  [[nodiscard]] int connected_before_failure() const { return before_failure_; }
  [[nodiscard]] int other_errors() const { return other_errors_; }
  [[nodiscard]] int accepted() const { return accepted_; }
  // close() calls by the side that closes first, and the time of the last one.
  [[nodiscard]] int active_closes() const { return active_closes_; }
  [[nodiscard]] Instant last_active_close() const { return last_active_close_; }
  [[nodiscard]] Instant last_connect_call() const { return last_connect_; }

 private:
  struct Conn {
    SocketId sock = kNoSocket;
    uint32_t source = 0;  // index into plan.sources
    bool connected = false;
    int sent = 0;         // requests sent (client) or responses sent (server)
    int answered = 0;     // client: responses read in full
    size_t received = 0;  // bytes read
    bool eof = false;
    bool done = false;
  };
  void connect_next(Instant now);
  void step_client(Conn& c, Instant now);
  void step_server(Conn& c, Instant now);
  // Reads everything available; false on an error (the connection is then closed).
  bool drain(Stack& stack, Conn& c, Instant now);
  void close(Stack& stack, Conn& c, Instant now, bool active);

  Rig& rig_;
  ShortConnectionsPlan plan_;
  SocketId listener_ = kNoSocket;
  std::vector<Conn> clients_;  // still open
  std::vector<Conn> servers_;  // still open
  int attempted_ = 0;
  int established_ = 0;
  std::vector<int> established_from_;
  int exchanges_ = 0;
  int eaddrnotavail_ = 0;
  Instant first_eaddrnotavail_ = Instant::infinite();
  int before_failure_ = 0;
  int other_errors_ = 0;
  int accepted_ = 0;
  int active_closes_ = 0;
  Instant last_active_close_ = Instant::infinite();
  Instant last_connect_ = Instant::infinite();
};

// Counts of connections in `state` on `stack` at `now`, as `ss -tan state ...` would show them.
[[nodiscard]] uint32_t count_in(const Stack& stack, tcp::State state, Instant now);

}  // namespace synack::sim::scenarios
