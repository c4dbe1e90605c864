#include "demo_app.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <span>

namespace synack::cli {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

void AppHost::receive(sim::PacketPtr packet, Instant now) {
  inner_.receive(std::move(packet), now);
  app_(now);
}

void AppHost::advance(Instant now) {
  inner_.advance(now);
  app_(now);
}

std::string demo_request(const Endpoint& server) {
  return fmt::format(
      "GET /index.html HTTP/1.1\r\nHost: {}\r\nUser-Agent: synack-demo/0.1\r\nAccept: "
      "*/*\r\n\r\n",
      to_string(server.addr));
}

std::string demo_response() {
  std::string body =
      "<!doctype html>\n<title>synack</title>\n<p>Hello from a user-space TCP stack. This page "
      "travelled in one segment; the ladder above shows the handshake that opened the "
      "connection, and below it the four-way close and the TIME-WAIT that follows.</p>\n";
  return fmt::format(
             "HTTP/1.1 200 OK\r\nServer: synack-demo/0.1\r\nContent-Type: text/html\r\n"
             "Content-Length: {}\r\n\r\n",
             body.size()) +
         body;
}

bool DemoClient::start(Instant now) {
  auto s = stack_.socket();
  if (!s) {
    error_ = s.error();
    return false;
  }
  sock_ = s.value();
  const int rc = stack_.connect(sock_, server_, now);
  if (rc != EINPROGRESS && rc != 0) {
    error_ = rc;
    return false;
  }
  if (auto info = stack_.info(sock_)) local_ = info.value().local;
  return true;
}

void DemoClient::step(Instant now) {
  if (sock_ == kNoSocket || closed_ || error_ != 0) return;
  const uint32_t r = stack_.readiness(sock_);
  if ((r & ready::kErr) != 0) {
    error_ = stack_.take_error(sock_);
    if (error_ == 0) error_ = ECONNRESET;
    stack_.abort(sock_, now);
    closed_ = true;
    return;
  }
  if (sent_ < request_.size() && (r & ready::kOut) != 0) {
    auto n = stack_.send(sock_, bytes(request_).subspan(sent_), now);
    if (n) sent_ += n.value();
  }
  std::array<uint8_t, 4096> buf;
  for (;;) {
    auto n = stack_.recv(sock_, buf, now);
    if (!n) {
      if (n.error() != EAGAIN) error_ = n.error();
      break;
    }
    if (n.value() == 0) break;  // EOF before the whole response: closed below anyway
    received_ += n.value();
  }
  if (got_response() && error_ == 0) {
    if (stack_.close(sock_, now) == 0) closed_ = true;
  }
}

bool DemoServer::start(Instant now) {
  auto s = stack_.socket();
  if (!s) {
    error_ = s.error();
    return false;
  }
  listener_ = s.value();
  if (int rc = stack_.bind(listener_, local_); rc != 0) {
    error_ = rc;
    return false;
  }
  if (int rc = stack_.listen(listener_, 16, now); rc != 0) {
    error_ = rc;
    return false;
  }
  return true;
}

void DemoServer::step(Instant now) {
  if (listener_ == kNoSocket || closed_) return;
  if (conn_ == kNoSocket) {
    auto a = stack_.accept(listener_, now);
    if (!a) return;
    conn_ = a.value();
  }
  const uint32_t r = stack_.readiness(conn_);
  if ((r & ready::kErr) != 0) {
    error_ = stack_.take_error(conn_);
    if (error_ == 0) error_ = ECONNRESET;
    stack_.abort(conn_, now);
    closed_ = true;
    return;
  }
  std::array<uint8_t, 4096> buf;
  bool eof = false;
  for (;;) {
    auto n = stack_.recv(conn_, buf, now);
    if (!n) break;
    if (n.value() == 0) {
      eof = true;
      break;
    }
    request_.append(reinterpret_cast<const char*>(buf.data()), n.value());
  }
  if (!request_complete_ && request_.find("\r\n\r\n") != std::string::npos)
    request_complete_ = true;
  if (request_complete_ && sent_ < response_.size()) {
    auto n = stack_.send(conn_, bytes(response_).subspan(sent_), now);
    if (n) sent_ += n.value();
  }
  // The client closed first; answer with our own close once everything is queued.
  if (eof && (responded() || !request_complete_)) {
    if (stack_.close(conn_, now) == 0) closed_ = true;
  }
}

}  // namespace synack::cli
