// A small HTTP/1.1 listener for a few GET endpoints (the metrics listener's /metrics and
// /healthz), on one thread of its own, that a misbehaving client cannot hold up.
//
// Written here rather than taken from cpp-httplib, which the board and the tests use: httplib
// 0.11 (Debian 12) bounds each read of a request but not the request, so a client that sends a
// byte a second holds the worker serving it for as long as its 8 KiB header limit lasts (over
// two hours), and an accepted socket goes to a worker with no way to give it a deadline. With
// one worker that held /healthz; with several, as many clients held them all. This listener
// polls every connection at once, so a slow one delays no other, closes each at its deadline
// whatever it sends, and lets the oldest give way when all places are taken
// (docs/reliability.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace newsmon {

struct HttpRequestHead {
  std::string method;  // "GET", "HEAD", …
  std::string path;    // the target without its query
  bool accepts_gzip = false;
};

struct HttpAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Called on the listener's thread for each GET or HEAD request (others get 405 without it).
using HttpHandler = std::function<HttpAnswer(const HttpRequestHead&)>;

struct HttpListenerLimits {
  // From a connection's accept to the end of its request's head; then it is closed.
  std::chrono::milliseconds request_deadline{2000};
  // From the end of the request's head to the answer's last byte sent: a scrape of a large
  // daemon is megabytes, to a Prometheus that may be across a network.
  std::chrono::milliseconds answer_deadline{10000};
  // A longer head is answered 431.
  std::size_t max_request_bytes = 8192;
  // Connections served at once (at least 1). A newcomer beyond them closes the oldest: a
  // prompt client is done in milliseconds, so the oldest is one that dawdles. Bounds the
  // memory that answers being sent hold.
  std::size_t max_connections = 16;
};

class HttpListener {
 public:
  // Binds `host` (a numeric address, or a name: its first address that can be bound, so
  // "localhost" is 127.0.0.1 or ::1, not both) and `port` (0: any free one) and serves on a
  // thread of its own until destroyed. Fails with "cannot listen on HOST:PORT: REASON".
  static Result<std::unique_ptr<HttpListener>> Start(const std::string& host, int port,
                                                     HttpHandler handler,
                                                     HttpListenerLimits limits = {});
  // Stops at once: closes the listening socket and every connection, and joins the thread.
  virtual ~HttpListener() = default;
  virtual int port() const = 0;
};

}  // namespace newsmon
