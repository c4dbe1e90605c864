#include "app/tcp_server.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "app/body_pattern.h"
#include "app/http_request.h"
#include "app/http_response.h"

namespace synack::app {
namespace {

class EchoHandler final : public Handler {
 public:
  bool want_read() const override { return queue_.size() < TcpServer::kEchoBacklog; }
  void on_data(std::span<const uint8_t> d) override {
    queue_.insert(queue_.end(), d.begin(), d.end());
  }
  void on_eof() override { eof_ = true; }
  size_t produce(std::span<uint8_t> out) override {
    const size_t n = std::min(out.size(), queue_.size());
    std::copy_n(queue_.begin(), n, out.begin());
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
    return n;
  }
  bool finished() const override { return eof_ && queue_.empty(); }

 private:
  std::deque<uint8_t> queue_;
  bool eof_ = false;
};

class DiscardHandler final : public Handler {
 public:
  bool want_read() const override { return true; }
  void on_data(std::span<const uint8_t>) override {}
  void on_eof() override { eof_ = true; }
  size_t produce(std::span<uint8_t>) override { return 0; }
  bool finished() const override { return eof_; }

 private:
  bool eof_ = false;
};

class HttpHandler final : public Handler {
 public:
  explicit HttpHandler(ServerCounters& c) : counters_(c) {}
  // Pipelined requests wait in the parser; stop reading once a few are queued.
  bool want_read() const override { return !closing_ && parser_.buffered() < 64 * 1024; }
  void on_data(std::span<const uint8_t> d) override {
    parser_.feed(d);
    has_request_pending_ = true;
  }
  void on_eof() override { eof_ = true; }
  size_t produce(std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size()) {
      if (!active_ && !start_next()) break;
      n += write_some(out.subspan(n));
    }
    return n;
  }
  bool finished() const override {
    if (active_) return false;
    if (closing_) return true;
    // At EOF, finished once no complete request is left to answer.
    return eof_ && !has_request_pending_;
  }

 private:
  bool start_next() {
    if (closing_) return false;
    HttpParse p = parser_.next();
    if (std::holds_alternative<HttpNeedMore>(p)) {
      has_request_pending_ = false;
      return false;
    }
    has_request_pending_ = true;
    if (auto* req = std::get_if<HttpRequest>(&p)) {
      resp_ = respond(*req);
    } else {
      resp_ = respond_error(std::get<HttpError>(p));
    }
    ++counters_.requests;
    if (resp_.status >= 400) ++counters_.bad_requests;
    active_ = true;
    sent_ = 0;
    return true;
  }
  size_t write_some(std::span<uint8_t> out) {
    const uint64_t total = resp_.head.size() + resp_.body_size();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), total - sent_));
    size_t done = 0;
    while (done < n) {
      const uint64_t at = sent_ + done;
      size_t chunk;
      if (at < resp_.head.size()) {
        chunk = std::min(n - done, static_cast<size_t>(resp_.head.size() - at));
        std::memcpy(out.data() + done, resp_.head.data() + at, chunk);
      } else if (at < resp_.head.size() + resp_.page.size()) {
        const size_t off = static_cast<size_t>(at - resp_.head.size());
        chunk = std::min(n - done, resp_.page.size() - off);
        std::memcpy(out.data() + done, resp_.page.data() + off, chunk);
      } else {
        chunk = n - done;
        fill_pattern(at - resp_.head.size() - resp_.page.size(), out.subspan(done, chunk));
      }
      done += chunk;
    }
    sent_ += n;
    if (sent_ == total) {
      active_ = false;
      if (resp_.close) closing_ = true;
    }
    return n;
  }

  ServerCounters& counters_;
  HttpRequestParser parser_;
  HttpResponse resp_;
  uint64_t sent_ = 0;
  bool active_ = false;
  bool closing_ = false;
  bool eof_ = false;
  bool has_request_pending_ = true;  // unknown until the parser is asked
};

}  // namespace

std::optional<ServiceKind> service_from_name(std::string_view name) {
  if (name == "echo") return ServiceKind::kEcho;
  if (name == "discard") return ServiceKind::kDiscard;
  if (name == "http") return ServiceKind::kHttp;
  return std::nullopt;
}

std::unique_ptr<Handler> make_handler(ServiceKind kind, ServerCounters& counters) {
  switch (kind) {
    case ServiceKind::kEcho:
      return std::make_unique<EchoHandler>();
    case ServiceKind::kDiscard:
      return std::make_unique<DiscardHandler>();
    case ServiceKind::kHttp:
      return std::make_unique<HttpHandler>(counters);
  }
  return nullptr;
}

int TcpServer::listen(Endpoint local, int backlog, Instant now) {
  auto s = stack_.socket();
  if (!s) return s.error();
  (void)stack_.set_option(*s, SockOpt::kReuseAddr, 1);
  if (int rc = stack_.bind(*s, local); rc != 0) return rc;
  if (int rc = stack_.listen(*s, backlog, now); rc != 0) return rc;
  listener_ = *s;
  return 0;
}

bool TcpServer::serve(SocketId s, Conn& c, Instant now) {
  for (;;) {
    bool progress = false;
    // Send: refill from the handler when the buffer is drained.
    for (;;) {
      if (c.out_pos == c.out.size()) {
        c.out.resize(64 * 1024);
        c.out.resize(c.handler->produce(c.out));
        c.out_pos = 0;
        if (c.out.empty()) break;
      }
      auto n = stack_.send(s, std::span<const uint8_t>(c.out).subspan(c.out_pos), now);
      if (!n) {
        if (n.error() == EAGAIN) break;
        ++counters_.errors;
        return false;
      }
      c.out_pos += *n;
      counters_.bytes_out += *n;
      progress = progress || *n > 0;
      if (*n == 0) break;
    }
    // Receive.
    if (!c.eof && c.handler->want_read() && !c.handler->finished()) {
      auto r = stack_.recv(s, rbuf_, now);
      if (!r) {
        if (r.error() != EAGAIN) {
          ++counters_.errors;
          return false;
        }
      } else if (*r == 0) {
        c.eof = true;
        c.handler->on_eof();
        progress = true;
      } else {
        counters_.bytes_in += *r;
        c.handler->on_data(std::span<const uint8_t>(rbuf_.data(), *r));
        progress = true;
      }
    }
    if (c.out_pos == c.out.size() && c.handler->finished()) return false;
    if (!progress) return true;
  }
}

void TcpServer::step(Instant now) {
  if (listener_) {
    for (;;) {
      auto c = stack_.accept(*listener_, now);
      if (!c) break;
      Conn conn;
      conn.handler = make_handler(kind_, counters_);
      conns_.emplace(*c, std::move(conn));
      ++counters_.accepted;
    }
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (serve(it->first, it->second, now)) {
      ++it;
    } else {
      (void)stack_.close(it->first, now);
      ++counters_.closed;
      it = conns_.erase(it);
    }
  }
}

void TcpServer::shutdown(Instant now) {
  if (listener_) (void)stack_.close(*listener_, now);
  listener_.reset();
  for (auto& [s, c] : conns_)
    (void)stack_.close(s, now);
  conns_.clear();
}

}  // namespace synack::app
