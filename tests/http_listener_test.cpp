// The metrics listener's HTTP server (publishers/http_listener.h): exact answers, and clients
// that misbehave (drip, stall, send too much, come too many) delay no one else.
#include "publishers/http_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/unique_fd.h"

using namespace std::chrono_literals;
using newsmon::HttpAnswer;
using newsmon::HttpListener;
using newsmon::HttpListenerLimits;
using newsmon::HttpRequestHead;
using newsmon::UniqueFd;
using Clock = std::chrono::steady_clock;

namespace {

UniqueFd Connect(int port) {
  UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(sock.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  REQUIRE(::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  return sock;
}

void SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
}

// Everything the server sends until it closes, or what came by the deadline.
std::string ReadUntilClosed(int fd, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  std::string received;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return received;
    pollfd polled{fd, POLLIN, 0};
    if (::poll(&polled, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return received;
    received.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string Exchange(int port, const std::string& request) {
  UniqueFd sock = Connect(port);
  SendAll(sock.get(), request);
  return ReadUntilClosed(sock.get());
}

HttpAnswer Ready(const HttpRequestHead& request) {
  if (request.path == "/healthz") return {200, "text/plain; charset=utf-8", "ready\n"};
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

std::unique_ptr<HttpListener> StartListener(HttpListenerLimits limits = {}) {
  auto listener = HttpListener::Start("127.0.0.1", 0, Ready, limits);
  REQUIRE(listener.ok());
  return std::move(listener).value();
}

}  // namespace

TEST_CASE("the listener's answers, byte for byte") {
  auto listener = StartListener();
  const int port = listener->port();
  CHECK(Exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n"
        "Connection: close\r\n\r\nready\n");
  // The query is not part of the path; bare newlines end lines too.
  CHECK(Exchange(port, "GET /healthz?verbose=1 HTTP/1.0\n\n") ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n"
        "Connection: close\r\n\r\nready\n");
  CHECK(Exchange(port, "HEAD /healthz HTTP/1.1\r\n\r\n") ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n"
        "Connection: close\r\n\r\n");
  CHECK(Exchange(port, "GET /other HTTP/1.1\r\n\r\n") ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n");
  CHECK(Exchange(port, "POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n") ==
        "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Allow: GET, HEAD\r\nContent-Length: 19\r\nConnection: close\r\n\r\nmethod not allowed\n");
  // A "://" in the query is not an absolute target; an empty line before the request is
  // skipped (RFC 9112 2.2); an absolute target is routed by its path.
  CHECK(Exchange(port, "GET /healthz?next=http://x/other HTTP/1.1\r\n\r\n")
            .starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(Exchange(port, "\r\nGET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(Exchange(port, "GET http://127.0.0.1/healthz HTTP/1.1\r\n\r\n")
            .starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(Exchange(port, "HELLO\r\n\r\n") ==
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n");
}

TEST_CASE("a client that drips its request is cut off at its deadline and delays no other") {
  HttpListenerLimits limits;
  limits.request_deadline = 1s;
  auto listener = StartListener(limits);
  const int port = listener->port();

  // A byte every 50 ms: each read of it succeeds, so a per-read timeout never fires.
  UniqueFd dripping = Connect(port);
  std::atomic<bool> cut_off{false};
  const auto connected = Clock::now();
  std::jthread dripper([&] {
    const std::string request = "GET /healthz HTTP/1.1\r\nX-Padding: " + std::string(200, 'a');
    for (char byte : request) {
      if (::send(dripping.get(), &byte, 1, MSG_NOSIGNAL) != 1) break;
      pollfd polled{dripping.get(), POLLIN, 0};
      if (::poll(&polled, 1, 50) > 0) break;  // the server closed it
    }
    cut_off = true;
  });

  // Meanwhile others are answered at once, several times over.
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    CHECK(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(Clock::now() - start < 500ms);
  }
  dripper.join();
  const auto lasted = Clock::now() - connected;
  CHECK(cut_off);
  CHECK(lasted >= 950ms);
  CHECK(lasted < 4s);                                  // 200 bytes at 50 ms would take 10 s
  CHECK(ReadUntilClosed(dripping.get(), 1s).empty());  // closed without an answer
}

TEST_CASE("a request sent a byte at a time within its deadline is answered") {
  auto listener = StartListener();
  UniqueFd sock = Connect(listener->port());
  const int one = 1;
  REQUIRE(::setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  for (char byte : std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) {
    REQUIRE(::send(sock.get(), &byte, 1, MSG_NOSIGNAL) == 1);
    std::this_thread::sleep_for(2ms);  // each byte its own segment and, mostly, its own read
  }
  CHECK(ReadUntilClosed(sock.get()).ends_with("\r\n\r\nready\n"));
}

TEST_CASE("a request head over the limit is answered 431 and closed") {
  HttpListenerLimits limits;
  limits.max_request_bytes = 1024;
  auto listener = StartListener(limits);
  UniqueFd sock = Connect(listener->port());
  SendAll(sock.get(), "GET /healthz HTTP/1.1\r\nX-Padding: " + std::string(1100, 'a'));
  CHECK(ReadUntilClosed(sock.get()) ==
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\n\r\nrequest head too large\n");

  // A whole head one byte over the limit is refused too; one at the limit is read.
  const std::string start = "GET /healthz HTTP/1.1\r\nX-Padding: ";
  auto head_of = [&](std::size_t bytes) {
    return start + std::string(bytes - start.size() - 4, 'a') + "\r\n\r\n";
  };
  CHECK(Exchange(listener->port(), head_of(1025)).starts_with("HTTP/1.1 431 "));
  CHECK(Exchange(listener->port(), head_of(1024)).starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("a client beyond the connections served at once is served, and the oldest gives way") {
  HttpListenerLimits limits;
  limits.max_connections = 2;
  limits.request_deadline = 5s;
  auto listener = StartListener(limits);
  const int port = listener->port();
  UniqueFd oldest = Connect(port);
  // Accepted in order: the second connects once the first has its place.
  REQUIRE(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
  UniqueFd younger = Connect(port);
  const auto start = Clock::now();
  CHECK(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(Clock::now() - start < 2s);  // not after the silent ones' 5 s

  const auto read_start = Clock::now();
  CHECK(ReadUntilClosed(oldest.get(), 3s).empty());
  CHECK(Clock::now() - read_start < 1s);  // closed, not timed out
  pollfd polled{younger.get(), POLLIN, 0};
  CHECK(::poll(&polled, 1, 0) == 0);  // still open, nothing to read
}

TEST_CASE("stopping is prompt with connections open, and closes them") {
  auto listener = StartListener();
  UniqueFd silent = Connect(listener->port());
  UniqueFd half = Connect(listener->port());
  SendAll(half.get(), "GET /heal");
  const auto start = Clock::now();
  listener.reset();
  CHECK(Clock::now() - start < 500ms);
  const auto read_start = Clock::now();
  CHECK(ReadUntilClosed(silent.get(), 3s).empty());
  CHECK(ReadUntilClosed(half.get(), 3s).empty());
  CHECK(Clock::now() - read_start < 1s);  // both closed, not timed out
}

namespace {

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  CHECK(rc == Z_STREAM_END);
  return out;
}

std::string BodyOf(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

}  // namespace

TEST_CASE("an answer is gzipped for a client that asks, unless it refuses it by q=0") {
  const std::string body(4096, 'x');
  auto large = [&body](const HttpRequestHead&) { return HttpAnswer{200, "text/plain", body}; };
  auto listener = HttpListener::Start("127.0.0.1", 0, large);
  REQUIRE(listener.ok());
  const int port = (*listener)->port();
  auto get = [port](const std::string& accept) {
    return Exchange(port, "GET / HTTP/1.1\r\nAccept-Encoding: " + accept + "\r\n\r\n");
  };
  for (const char* accept : {"deflate, GZIP;q=0.5", "*", "br, gzip"}) {
    CAPTURE(accept);
    const std::string gzipped = get(accept);
    CHECK(gzipped.find("\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n") !=
          std::string::npos);
    CHECK(Gunzip(BodyOf(gzipped)) == body);
  }
  for (const char* accept : {"gzip;q=0, identity", "gzip;\tq=0", "gzip; q=0.000, *", "deflate"}) {
    CAPTURE(accept);
    const std::string plain = get(accept);
    CHECK(plain.find("Content-Encoding") == std::string::npos);
    CHECK(plain.find("\r\nVary: Accept-Encoding\r\n") != std::string::npos);
    CHECK(BodyOf(plain) == body);
  }
}

TEST_CASE("an answer is sent whole to a client that sends more after its request") {
  const std::string body(8 << 20, 'x');  // more than the sockets' buffers hold
  auto large = [&body](const HttpRequestHead&) { return HttpAnswer{200, "text/plain", body}; };
  auto listener = HttpListener::Start("127.0.0.1", 0, large);
  REQUIRE(listener.ok());
  UniqueFd sock = Connect((*listener)->port());
  // A pipelined second request (or a body) arriving while the answer is sent: unread at
  // close, it would reset the connection and cut the answer short.
  SendAll(sock.get(), "GET / HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(50ms);  // the answer fills the buffers before the rest arrives
  SendAll(sock.get(), "GET / HTTP/1.1\r\n\r\n");
  CHECK(BodyOf(ReadUntilClosed(sock.get())).size() == body.size());
}

TEST_CASE("a client that does not take its answer is closed at the answer's deadline") {
  const std::string body(16 << 20, 'x');  // more than the sockets' buffers hold
  auto answer = [&body](const HttpRequestHead& request) {
    return request.path == "/big" ? HttpAnswer{200, "text/plain", body} : Ready(request);
  };
  HttpListenerLimits limits;
  limits.answer_deadline = 500ms;
  auto listener = HttpListener::Start("127.0.0.1", 0, answer, limits);
  REQUIRE(listener.ok());
  const int port = (*listener)->port();
  UniqueFd stalled = Connect(port);
  SendAll(stalled.get(), "GET /big HTTP/1.1\r\n\r\n");
  const auto start = Clock::now();
  CHECK(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(Clock::now() - start < 500ms);
  // The stalled client takes nothing until well past the deadline (reading earlier would let
  // the answer through in milliseconds); then it gets what the buffers held, not all of it.
  std::this_thread::sleep_for(1s);
  CHECK(ReadUntilClosed(stalled.get()).size() < body.size());
}

TEST_CASE("a port in use and an unknown host are refused with the reason") {
  auto first = HttpListener::Start("127.0.0.1", 0, Ready);
  REQUIRE(first.ok());
  const int port = (*first)->port();
  auto second = HttpListener::Start("127.0.0.1", port, Ready);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message() ==
        "cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use");
  auto unknown = HttpListener::Start("no-such-host.invalid", 0, Ready);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().starts_with("cannot listen on no-such-host.invalid:0: "));
}
