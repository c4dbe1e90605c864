// An incremental HTTP/1.x request parser (RFC 9112), just enough for `synack serve http` to
// serve curl and wrk with keep-alive — and to refuse everything else cleanly.
//
// Bytes arrive in whatever pieces TCP hands over, so the parser buffers until a request's
// header block is complete (CRLF CRLF; a bare LF line end is accepted as RFC 9112 §2.2 allows),
// then returns one request; pipelined requests stay buffered for the next call. A request body
// announced by Content-Length is skipped (this server reads none). Every malformed or
// unsupported input is an Error with the status to answer (400, or 431 when the header block
// passes kMaxHeaderBytes) and a short reason, after which the connection must be closed:
// the parser stops there, it never guesses where the next request starts. Never throws.
//
// Rules enforced (RFC 9112 unless noted): request line "METHOD SP TARGET SP HTTP/1.d";
// method a token (§3.1); HTTP/1.0 or HTTP/1.1 only; header lines "name: value" with a token
// name and no space before the colon (§5.1); no obs-fold continuation lines (§5.2); Host
// required in 1.1 (§3.2); Content-Length digits only, repeated values must agree (§6.3);
// Transfer-Encoding refused (this server reads no chunked bodies). keep_alive follows §9.3:
// 1.1 persists unless "Connection: close", 1.0 only with "Connection: keep-alive".
//
// Single-threaded; one parser per connection.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace synack::app {

struct HttpRequest {
  std::string method;
  std::string target;
  int minor_version = 1;  // HTTP/1.<minor>
  bool keep_alive = true;
};

struct HttpError {
  int status = 400;
  std::string reason;  // for the response body and logs
};

struct HttpNeedMore {};

using HttpParse = std::variant<HttpNeedMore, HttpRequest, HttpError>;

class HttpRequestParser {
 public:
  static constexpr size_t kMaxHeaderBytes = 16 * 1024;

  void feed(std::span<const uint8_t> bytes);
  // The next complete request, NeedMore, or an Error (then every later call returns it too).
  [[nodiscard]] HttpParse next();
  // Bytes buffered and not yet consumed by next().
  [[nodiscard]] size_t buffered() const { return buf_.size() - pos_; }

 private:
  HttpParse parse_head(std::string_view head);
  void compact();

  std::string buf_;
  size_t pos_ = 0;
  uint64_t body_left_ = 0;  // Content-Length bytes of the last request still to skip
  bool failed_ = false;
  HttpError error_;
};

}  // namespace synack::app
