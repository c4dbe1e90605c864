#include "sim/scenarios/short_connections.h"

#include <array>
#include <cerrno>
#include <span>
#include <string_view>
#include <utility>

#include "stack/views/socket_views.h"

namespace synack::sim::scenarios {
namespace {

constexpr std::string_view kRequest = "GET / HTTP/1.1\r\n\r\n";
constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
static_assert(kRequest.size() == ShortConnections::kRequestSize);
static_assert(kResponse.size() == ShortConnections::kResponseSize);

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

ShortConnections::ShortConnections(Rig& rig, ShortConnectionsPlan plan)
    : rig_(rig), plan_(std::move(plan)), established_from_(plan_.sources.size(), 0) {}

bool ShortConnections::start() {
  listener_ = rig_.listen(plan_.backlog);
  if (listener_ == kNoSocket) return false;
  rig_.set_client_app([this](Instant now) {
    for (Conn& c : clients_)
      step_client(c, now);
    std::erase_if(clients_, [](const Conn& c) { return c.done; });
  });
  rig_.set_server_app([this](Instant now) {
    for (;;) {
      auto a = rig_.server().accept(listener_, now);
      if (!a) break;
      ++accepted_;
      servers_.push_back(Conn{.sock = a.value(), .connected = true});
    }
    for (Conn& c : servers_)
      step_server(c, now);
    std::erase_if(servers_, [](const Conn& c) { return c.done; });
  });
  if (plan_.connections > 0)
    rig_.sim().at(rig_.sim().now(), [this](Instant now) { connect_next(now); });
  return true;
}

void ShortConnections::connect_next(Instant now) {
  Stack& cs = rig_.client();
  ++attempted_;
  last_connect_ = now;
  auto s = cs.socket();
  const auto source = static_cast<uint32_t>(
      plan_.sources.empty() ? 0 : static_cast<size_t>(attempted_ - 1) % plan_.sources.size());
  if (s && !plan_.sources.empty()) {
    // bind(addr, 0) with IP_BIND_ADDRESS_NO_PORT: the address now, the port at connect().
    if (cs.set_option(s.value(), SockOpt::kBindAddressNoPort, 1) != 0 ||
        cs.bind(s.value(), Endpoint{plan_.sources[source], 0}) != 0) {
      (void)cs.close(s.value(), now);
      s = Failure{EINVAL};
    }
  }
  if (!s) {
    ++other_errors_;
  } else {
    const int rc = cs.connect(s.value(), rig_.server_endpoint(), now);
    if (rc == 0 || rc == EINPROGRESS) {
      clients_.push_back(Conn{.sock = s.value(), .source = source});
      if (eaddrnotavail_ == 0) ++before_failure_;
    } else {
      (void)cs.close(s.value(), now);
      if (rc == EADDRNOTAVAIL) {
        if (eaddrnotavail_++ == 0) first_eaddrnotavail_ = now;
      } else {
        ++other_errors_;
      }
    }
  }
  if (attempted_ < plan_.connections)
    rig_.sim().at(now + plan_.interval, [this](Instant t) { connect_next(t); });
}

bool ShortConnections::drain(Stack& stack, Conn& c, Instant now) {
  std::array<uint8_t, 4096> buf;
  for (;;) {
    auto n = stack.recv(c.sock, buf, now);
    if (!n) return n.error() == EAGAIN;
    if (n.value() == 0) {
      c.eof = true;
      return true;
    }
    c.received += n.value();
  }
}

void ShortConnections::close(Stack& stack, Conn& c, Instant now, bool active) {
  (void)stack.close(c.sock, now);
  c.done = true;
  if (active) {
    ++active_closes_;
    last_active_close_ = now;
  }
}

void ShortConnections::step_client(Conn& c, Instant now) {
  Stack& cs = rig_.client();
  const uint32_t r = cs.readiness(c.sock);
  if ((r & ready::kErr) != 0) {
    (void)cs.take_error(c.sock);
    ++other_errors_;
    close(cs, c, now, false);
    return;
  }
  if (!c.connected) {
    if ((r & ready::kOut) == 0) return;
    c.connected = true;
    ++established_;
    if (c.source < established_from_.size()) ++established_from_[c.source];
  }
  if (!drain(cs, c, now)) {
    ++other_errors_;
    close(cs, c, now, false);
    return;
  }
  const int answered = static_cast<int>(c.received / kResponseSize);
  exchanges_ += answered - c.answered;
  c.answered = answered;
  if (c.sent == answered && c.sent < plan_.requests && !c.eof) {
    auto n = cs.send(c.sock, bytes(kRequest), now);
    if (n && n.value() == kRequestSize) ++c.sent;
  }
  if (answered == plan_.requests && !plan_.server_closes_first) {
    close(cs, c, now, true);
  } else if (c.eof) {
    close(cs, c, now, false);
  }
}

void ShortConnections::step_server(Conn& c, Instant now) {
  Stack& ss = rig_.server();
  if ((ss.readiness(c.sock) & ready::kErr) != 0 || !drain(ss, c, now)) {
    (void)ss.take_error(c.sock);
    ++other_errors_;
    close(ss, c, now, false);
    return;
  }
  const int asked = static_cast<int>(c.received / kRequestSize);
  while (c.sent < asked) {
    auto n = ss.send(c.sock, bytes(kResponse), now);
    if (!n || n.value() != kResponseSize) break;
    ++c.sent;
  }
  if (c.sent == plan_.requests && plan_.server_closes_first) {
    close(ss, c, now, true);
  } else if (c.eof) {
    close(ss, c, now, false);
  }
}

uint32_t count_in(const Stack& stack, tcp::State state, Instant now) {
  return views::count_states(stack.snapshot(now)).of(state);
}

}  // namespace synack::sim::scenarios
