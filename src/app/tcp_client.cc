#include "app/tcp_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "app/body_pattern.h"

namespace synack::app {

TcpClient::TcpClient(Stack& stack, ClientJob job) : stack_(stack), job_(std::move(job)) {
  crypto_hash_sha256_init(&sha_);
  if (job_.mode == ClientMode::kHttpGet) {
    request_ = fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: synack\r\nAccept: */*\r\n"
        "Connection: close\r\n\r\n",
        job_.path, job_.host);
  }
}

double TcpClient::seconds() const {
  return static_cast<double>((t_end_ - t_start_).ns()) / 1e9;
}

std::string TcpClient::sha256_hex() const {
  return sha_hex_;
}

int TcpClient::start(Instant now) {
  t_start_ = now;
  auto s = stack_.socket();
  if (!s) return s.error();
  sock_ = *s;
  const int rc = stack_.connect(*s, job_.remote, now);
  if (rc != 0 && rc != EINPROGRESS) return rc;
  return 0;
}

void TcpClient::fail(std::string what, Instant now) {
  error_ = std::move(what);
  finish(now);
}

void TcpClient::finish(Instant now) {
  if (done_) return;
  done_ = true;
  t_end_ = now;
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&sha_, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t b : digest) {
    sha_hex_ += kHex[b >> 4];
    sha_hex_ += kHex[b & 0xf];
  }
  if (sock_) (void)stack_.close(*sock_, now);
}

void TcpClient::take_body(const uint8_t* data, size_t n) {
  crypto_hash_sha256_update(&sha_, data, n);
  body_bytes_ += n;
}

// Collects the response head; true once it is complete (the rest of head_ is body).
bool TcpClient::parse_head(Instant now) {
  const size_t end = head_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (head_.size() > 64 * 1024) fail("HTTP response head too large", now);
    return false;
  }
  head_done_ = true;
  const std::string head = head_.substr(0, end + 2);
  const std::string rest = head_.substr(end + 4);
  head_.clear();
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) {
    fail("malformed HTTP status line", now);
    return true;
  }
  status_ = std::atoi(head.c_str() + 9);
  size_t pos = head.find("\r\n") + 2;
  while (pos < head.size()) {
    const size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "content-length")
      content_length_ = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
  }
  if (status_ != 200) {
    fail(fmt::format("HTTP status {}", status_), now);
    return true;
  }
  take_body(reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
  return true;
}

bool TcpClient::pump_send(Instant now) {
  bool progress = false;
  for (;;) {
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
      if (job_.mode == ClientMode::kHttpGet && request_sent_ < request_.size()) {
        out_.assign(request_.begin() + static_cast<long>(request_sent_), request_.end());
        request_sent_ = request_.size();
      } else if (job_.mode == ClientMode::kSend && sent_ < job_.send_bytes) {
        out_.resize(static_cast<size_t>(std::min<uint64_t>(64 * 1024, job_.send_bytes - sent_)));
        fill_pattern(sent_, out_);
        crypto_hash_sha256_update(&sha_, out_.data(), out_.size());
        sent_ += out_.size();
      } else {
        break;
      }
    }
    auto n = stack_.send(*sock_, std::span<const uint8_t>(out_).subspan(out_pos_), now);
    if (!n) {
      if (n.error() != EAGAIN) fail(fmt::format("send: {}", std::strerror(n.error())), now);
      break;
    }
    if (*n == 0) break;
    out_pos_ += *n;
    if (job_.mode == ClientMode::kSend) body_bytes_ += *n;
    progress = true;
  }
  if (!done_ && job_.mode == ClientMode::kSend && !wr_shut_ && sent_ == job_.send_bytes &&
      out_pos_ == out_.size()) {
    wr_shut_ = true;
    (void)stack_.shutdown(*sock_, ShutdownHow::kWrite, now);
  }
  return progress;
}

bool TcpClient::pump_recv(Instant now) {
  bool progress = false;
  while (!done_) {
    auto r = stack_.recv(*sock_, rbuf_, now);
    if (!r) {
      if (r.error() != EAGAIN) fail(fmt::format("recv: {}", std::strerror(r.error())), now);
      break;
    }
    progress = true;
    if (*r == 0) {  // the peer's FIN
      if (job_.mode == ClientMode::kHttpGet) {
        if (!head_done_) {
          fail("connection closed before the HTTP response head", now);
        } else if (content_length_ && body_bytes_ < *content_length_) {
          fail(fmt::format("connection closed after {} of {} body bytes", body_bytes_,
                           *content_length_),
               now);
        }
      }
      finish(now);
      break;
    }
    if (job_.mode == ClientMode::kSend) continue;  // a sink says nothing; discard
    if (job_.mode == ClientMode::kRaw || head_done_) {
      take_body(rbuf_.data(), *r);
    } else {
      head_.append(reinterpret_cast<const char*>(rbuf_.data()), *r);
      if (!parse_head(now)) continue;
    }
    if (!done_ && job_.mode == ClientMode::kHttpGet && head_done_ && content_length_ &&
        body_bytes_ >= *content_length_) {
      if (body_bytes_ > *content_length_) {
        fail("more body bytes than Content-Length", now);
      } else {
        finish(now);
      }
    }
  }
  return progress;
}

void TcpClient::step(Instant now) {
  if (done_ || !sock_) return;
  if (!connected_) {
    const uint32_t ready = stack_.readiness(*sock_);
    if ((ready & ready::kErr) != 0) {
      const int err = stack_.take_error(*sock_);
      fail(fmt::format("connect: {}", std::strerror(err != 0 ? err : ECONNREFUSED)), now);
      return;
    }
    if ((ready & ready::kOut) == 0) return;
    connected_ = true;
  }
  for (;;) {
    bool progress = pump_send(now);
    if (done_) return;
    progress = pump_recv(now) || progress;
    if (done_ || !progress) return;
  }
}

}  // namespace synack::app
