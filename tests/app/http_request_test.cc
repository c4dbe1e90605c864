// HttpRequestParser and respond(): what `synack serve http` accepts, answers and refuses.
// Malformed input must end in a clear 4xx, never a crash or a hang (ASan/UBSan build).
#include "app/http_request.h"

#include <gtest/gtest.h>

#include <string>

#include "app/http_response.h"

namespace synack::app {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

HttpParse parse_one(const std::string& text) {
  HttpRequestParser p;
  p.feed(bytes(text));
  return p.next();
}

HttpError expect_error(const std::string& text) {
  HttpParse r = parse_one(text);
  EXPECT_TRUE(std::holds_alternative<HttpError>(r)) << text;
  return std::holds_alternative<HttpError>(r) ? std::get<HttpError>(r) : HttpError{0, ""};
}

TEST(HttpRequestParser, CurlStyleRequest) {
  HttpParse r = parse_one(
      "GET /1M HTTP/1.1\r\nHost: 10.99.0.2\r\nUser-Agent: curl/7.88\r\n"
      "Accept: */*\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(r));
  const auto& req = std::get<HttpRequest>(r);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/1M");
  EXPECT_EQ(req.minor_version, 1);
  EXPECT_TRUE(req.keep_alive);
}

TEST(HttpRequestParser, KeepAliveRules) {
  auto ka = [](const std::string& text) {
    HttpParse r = parse_one(text);
    EXPECT_TRUE(std::holds_alternative<HttpRequest>(r)) << text;
    return std::get<HttpRequest>(r).keep_alive;
  };
  EXPECT_FALSE(ka("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(ka("GET / HTTP/1.1\r\nHost: a\r\nconnection: Upgrade, CLOSE\r\n\r\n"));
  EXPECT_FALSE(ka("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(ka("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

TEST(HttpRequestParser, ByteAtATimeAndPipelined) {
  const std::string two =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\nHost: h\n\nGET /c HTTP/1.1\r\n";
  HttpRequestParser p;
  std::vector<std::string> targets;
  for (char c : two) {
    p.feed(bytes(std::string(1, c)));
    for (;;) {
      HttpParse r = p.next();
      if (std::holds_alternative<HttpNeedMore>(r)) break;
      ASSERT_TRUE(std::holds_alternative<HttpRequest>(r));
      targets.push_back(std::get<HttpRequest>(r).target);
    }
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_GT(p.buffered(), 0u);  // the third request is incomplete
}

TEST(HttpRequestParser, SkipsAnAnnouncedBody) {
  HttpRequestParser p;
  p.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab"));
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(p.next()));
  EXPECT_TRUE(std::holds_alternative<HttpNeedMore>(p.next()));
  p.feed(bytes("cdeGET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
  HttpParse r = p.next();
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(r));
  EXPECT_EQ(std::get<HttpRequest>(r).target, "/x");
}

TEST(HttpRequestParser, MalformedRequestsAre400) {
  for (const char* bad : {
           "\r\n\r\n\x01\r\n\r\n",                          // garbage line
           "GET\r\n\r\n",                                   // no target
           "GET /\r\n\r\n",                                 // HTTP/0.9
           "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",            // two spaces
           "GET / HTTP/1.1 x\r\nHost: h\r\n\r\n",           // extra field
           "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",             // method not a token
           "GET / HTTP/2.0\r\nHost: h\r\n\r\n",             // version
           "GET / http/1.1\r\nHost: h\r\n\r\n",             // version case
           "GET / HTTP/1.1\r\n\r\n",                        // no Host in 1.1
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
           "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",  // header without colon
           "GET / HTTP/1.1\r\nHost : h\r\n\r\n",            // space before colon
           "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",  // obs-fold
           "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n",  // control char in value
       }) {
    const HttpError e = expect_error(bad);
    EXPECT_EQ(e.status, 400) << bad;
    EXPECT_FALSE(e.reason.empty()) << bad;
  }
}

TEST(HttpRequestParser, OversizedHeadIs431AndSticky) {
  HttpRequestParser p;
  p.feed(bytes("GET / HTTP/1.1\r\nX: " + std::string(HttpRequestParser::kMaxHeaderBytes, 'a')));
  HttpParse r = p.next();
  ASSERT_TRUE(std::holds_alternative<HttpError>(r));
  EXPECT_EQ(std::get<HttpError>(r).status, 431);
  p.feed(bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_TRUE(std::holds_alternative<HttpError>(p.next()));  // no resynchronising
}

TEST(HttpRequestParser, BinaryGarbageNeverCrashes) {
  // A deterministic byte soup (seed printed by name): every outcome is NeedMore or an error.
  uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    HttpRequestParser p;
    std::string junk;
    for (int i = 0; i < 300; ++i) {
      x = x * 1103515245u + 12345u;
      junk += static_cast<char>(x >> 24);
    }
    p.feed(bytes(junk + "\r\n\r\n"));
    HttpParse r = p.next();
    EXPECT_FALSE(std::holds_alternative<HttpRequest>(r)) << "seed 12345 round " << round;
  }
}

TEST(HttpResponse, Routing) {
  auto req = [](std::string method, std::string target, bool ka = true) {
    return HttpRequest{std::move(method), std::move(target), 1, ka};
  };
  HttpResponse r = respond(req("GET", "/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.page.find("<html>"), std::string::npos);
  EXPECT_NE(r.head.find("Content-Length: " + std::to_string(r.page.size()) + "\r\n"),
            std::string::npos);

  r = respond(req("GET", "/1K", false));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_size(), 1024u);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(r.head,
            "HTTP/1.1 200 OK\r\nServer: synack\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: 1024\r\nConnection: close\r\n\r\n");

  r = respond(req("HEAD", "/1M"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_size(), 0u);
  EXPECT_NE(r.head.find("Content-Length: 1048576\r\n"), std::string::npos);

  EXPECT_EQ(respond(req("GET", "/nope")).status, 404);
  EXPECT_EQ(respond(req("GET", "/1T")).status, 404);
  EXPECT_EQ(respond(req("GET", "*")).status, 404);
  r = respond(req("POST", "/"));
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.head.find("Allow: GET, HEAD\r\n"), std::string::npos);

  r = respond_error(HttpError{400, "malformed request line"});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(r.head.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
}

}  // namespace
}  // namespace synack::app
