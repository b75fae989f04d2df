// The metrics listener's HTTP server (publishers/http_listener.h): exact answers, and clients
// that misbehave (drip, stall, send too much, come too many) delay no one else.
#include "publishers/http_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

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
  CHECK(Exchange(port, "HELLO\r\n\r\n") ==
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n");
}

TEST_CASE("a client that drips its request is cut off at its deadline and delays no other") {
  HttpListenerLimits limits;
  limits.request_deadline = 500ms;
  auto listener = StartListener(limits);
  const int port = listener->port();

  // A byte every 50 ms: each read of it succeeds, so a per-read timeout never fires.
  UniqueFd dripping = Connect(port);
  std::atomic<bool> cut_off{false};
  const auto connected = Clock::now();
  std::thread dripper([&] {
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
    CHECK(Clock::now() - start < 250ms);
  }
  dripper.join();
  const auto lasted = Clock::now() - connected;
  CHECK(cut_off);
  CHECK(lasted >= 450ms);
  CHECK(lasted < 2s);                                  // 200 bytes at 50 ms would take 10 s
  CHECK(ReadUntilClosed(dripping.get(), 1s).empty());  // closed without an answer
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
}

TEST_CASE("clients beyond the connections served at once wait their turn, not refused") {
  HttpListenerLimits limits;
  limits.max_connections = 2;
  limits.request_deadline = 300ms;
  auto listener = StartListener(limits);
  const int port = listener->port();
  UniqueFd silent_one = Connect(port);
  UniqueFd silent_two = Connect(port);
  const auto start = Clock::now();
  CHECK(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
  // Served once a silent one's deadline freed a place: not before, and not much after.
  CHECK(Clock::now() - start >= 250ms);
  CHECK(Clock::now() - start < 2s);
}

TEST_CASE("stopping is prompt with connections open, and closes them") {
  auto listener = StartListener();
  UniqueFd silent = Connect(listener->port());
  UniqueFd half = Connect(listener->port());
  SendAll(half.get(), "GET /heal");
  const auto start = Clock::now();
  listener.reset();
  CHECK(Clock::now() - start < 500ms);
  CHECK(ReadUntilClosed(silent.get(), 1s).empty());
  CHECK(ReadUntilClosed(half.get(), 1s).empty());
}

TEST_CASE("an answer is gzipped for a client that asks, unless it refuses it by q=0") {
  auto large = [](const HttpRequestHead&) {
    return HttpAnswer{200, "text/plain", std::string(4096, 'x')};
  };
  auto listener = HttpListener::Start("127.0.0.1", 0, large);
  REQUIRE(listener.ok());
  const int port = (*listener)->port();
  const std::string gzipped =
      Exchange(port, "GET / HTTP/1.1\r\nAccept-Encoding: deflate, GZIP;q=0.5\r\n\r\n");
  CHECK(gzipped.find("\r\nContent-Encoding: gzip\r\n") != std::string::npos);
  CHECK(gzipped.size() < 1000);
  const std::string refused =
      Exchange(port, "GET / HTTP/1.1\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n");
  CHECK(refused.find("Content-Encoding") == std::string::npos);
  CHECK(refused.ends_with("\r\n\r\n" + std::string(4096, 'x')));
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
