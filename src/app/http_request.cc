#include "app/http_request.h"

#include <optional>

namespace synack::app {
namespace {

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Splits off one line (without its CRLF or LF) from the front of `rest`.
std::string_view take_line(std::string_view& rest) {
  const size_t lf = rest.find('\n');
  std::string_view line = rest.substr(0, lf);
  rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Does the comma-separated Connection value list contain `option`?
bool has_option(std::string_view list, std::string_view option) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (iequals(trim_ows(list.substr(0, comma)), option)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<uint64_t> parse_content_length(std::string_view v) {
  if (v.empty() || v.size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// Where the header block ends (the index just past its empty line), or npos.
size_t head_end(std::string_view s) {
  size_t from = 0;
  for (;;) {
    const size_t lf = s.find('\n', from);
    if (lf == std::string_view::npos) return std::string_view::npos;
    // An empty line: LF right after the previous LF (or CRLF), or at the very start.
    if (lf + 1 < s.size() && s[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < s.size() && s[lf + 1] == '\r' && s[lf + 2] == '\n') return lf + 3;
    from = lf + 1;
  }
}

}  // namespace

void HttpRequestParser::feed(std::span<const uint8_t> bytes) {
  if (failed_) return;
  size_t skip = 0;
  if (body_left_ > 0 && buffered() == 0) {
    skip = static_cast<size_t>(std::min<uint64_t>(body_left_, bytes.size()));
    body_left_ -= skip;
  }
  buf_.append(reinterpret_cast<const char*>(bytes.data()) + skip, bytes.size() - skip);
}

void HttpRequestParser::compact() {
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

HttpParse HttpRequestParser::next() {
  if (failed_) return error_;
  if (body_left_ > 0) {
    const auto skip = static_cast<size_t>(std::min<uint64_t>(body_left_, buffered()));
    pos_ += skip;
    body_left_ -= skip;
    if (body_left_ > 0) {
      compact();
      return HttpNeedMore{};
    }
  }
  // Leading empty lines before a request line are ignored (RFC 9112 §2.2).
  while (buffered() > 0 && (buf_[pos_] == '\r' || buf_[pos_] == '\n')) {
    if (buf_[pos_] == '\r' && buffered() < 2) break;
    ++pos_;
  }
  const std::string_view avail(buf_.data() + pos_, buffered());
  const size_t end = head_end(avail);
  if (end == std::string_view::npos) {
    if (avail.size() > kMaxHeaderBytes) {
      failed_ = true;
      error_ = HttpError{431, "request header block too large"};
      return error_;
    }
    compact();
    return HttpNeedMore{};
  }
  if (end > kMaxHeaderBytes) {
    failed_ = true;
    error_ = HttpError{431, "request header block too large"};
    return error_;
  }
  HttpParse result = parse_head(avail.substr(0, end));
  pos_ += end;
  if (auto* e = std::get_if<HttpError>(&result)) {
    failed_ = true;
    error_ = *e;
  } else {
    const auto skip = static_cast<size_t>(std::min<uint64_t>(body_left_, buffered()));
    pos_ += skip;
    body_left_ -= skip;
  }
  compact();
  return result;
}

HttpParse HttpRequestParser::parse_head(std::string_view head) {
  std::string_view rest = head;
  const std::string_view line = take_line(rest);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return HttpError{400, "malformed request line"};
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return HttpError{400, "malformed request line"};
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return HttpError{400, "malformed method"};
  if (target.empty()) return HttpError{400, "empty request target"};
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return HttpError{400, "control character in request target"};
  HttpRequest req;
  if (version == "HTTP/1.1") {
    req.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    req.minor_version = 0;
  } else {
    return HttpError{400, "unsupported HTTP version"};
  }
  req.method = std::string(method);
  req.target = std::string(target);
  req.keep_alive = req.minor_version == 1;

  bool host = false;
  std::optional<uint64_t> content_length;
  for (;;) {
    const std::string_view h = take_line(rest);
    if (h.empty()) break;
    if (h.front() == ' ' || h.front() == '\t')
      return HttpError{400, "obsolete header line folding"};
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos) return HttpError{400, "header line without a colon"};
    const std::string_view name = h.substr(0, colon);
    if (!is_token(name)) return HttpError{400, "malformed header name"};
    const std::string_view value = trim_ows(h.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return HttpError{400, "control character in a header value"};
    if (iequals(name, "host")) {
      if (host) return HttpError{400, "more than one Host header"};
      host = true;
    } else if (iequals(name, "connection")) {
      if (has_option(value, "close")) req.keep_alive = false;
      if (req.minor_version == 0 && has_option(value, "keep-alive")) req.keep_alive = true;
    } else if (iequals(name, "content-length")) {
      const auto n = parse_content_length(value);
      if (!n) return HttpError{400, "malformed Content-Length"};
      if (content_length && *content_length != *n)
        return HttpError{400, "conflicting Content-Length headers"};
      content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      return HttpError{400, "Transfer-Encoding is not supported"};
    }
  }
  if (req.minor_version == 1 && !host) return HttpError{400, "HTTP/1.1 request without Host"};
  body_left_ = content_length.value_or(0);
  return req;
}

}  // namespace synack::app
