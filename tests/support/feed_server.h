#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace newsmon::testing {

// What the server saw, so tests check what a feed owner would check in their access log.
struct Hit {
  std::string path;
  std::string if_none_match;
  std::string if_modified_since;
  std::string accept_encoding;
  std::string user_agent;
  int status = 0;
  std::chrono::steady_clock::time_point at;
};

// A document the server hands out, with the validators and faults it is served with.
struct Resource {
  std::string body;
  std::string content_type = "application/rss+xml; charset=utf-8";
  std::string etag;           // honoured: If-None-Match with it gets 304
  std::string last_modified;  // honoured when no ETag is set
  int status = 200;
  std::string location;     // for 3xx
  std::string retry_after;  // Retry-After header, for 429/503
  std::string cache_control;
  bool gzip = false;  // send the body gzip-compressed with Content-Encoding
  // Before the response is written; cut short when the server stops, so a test that times
  // out a slow response does not then wait for it.
  std::chrono::milliseconds delay{0};
};

struct FeedServerOptions {
  // An IPv4 address of this machine. Another one than 127.0.0.1 lets a test stand in for a
  // public host (in a network namespace where lo carries a public address), or for a second
  // address of one host (127.0.0.2: Linux routes all of 127/8 to lo).
  std::string address = "127.0.0.1";
  int port = 0;  // 0: a free one
  // A client's connection stays open for 1,000 requests and 30 s idle (cpp-httplib's defaults
  // are 5 and 5 s), as a busy web server's does: a client that reuses it need not resolve the
  // host again.
  bool long_keep_alive = false;
};

// An HTTP server on 127.0.0.1 (by default) with a random port, run on its own thread for one
// test.
class FeedServer {
 public:
  explicit FeedServer(std::string address = "127.0.0.1")
      : FeedServer(FeedServerOptions{std::move(address)}) {}
  explicit FeedServer(FeedServerOptions options);
  ~FeedServer();
  FeedServer(const FeedServer&) = delete;
  FeedServer& operator=(const FeedServer&) = delete;

  std::string Url(const std::string& path) const;
  int port() const { return port_; }
  void Serve(const std::string& path, Resource resource);
  std::vector<Hit> Hits(const std::string& path) const;
  std::size_t HitCount(const std::string& path) const;
  // The most requests the server was answering at the same moment.
  int PeakConcurrency() const { return peak_concurrency_.load(); }
  // Blocks until path has been requested at least count times, or the timeout passes.
  bool WaitForHits(const std::string& path, std::size_t count,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void Handle(const std::string& path, const std::string& if_none_match,
              const std::string& if_modified_since, Hit& hit, Resource& out);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, Resource> resources_;
  std::vector<Hit> hits_;
  std::atomic<int> concurrency_{0};
  std::atomic<int> peak_concurrency_{0};
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
};

std::string Gzip(const std::string& data);

// server.bind_to_any_port(address), with room for a burst of connections; the port, or -1.
int BindAnyPort(httplib::Server& server, const std::string& address);
// The same on a given port (0: any); the port, or -1.
int BindPort(httplib::Server& server, const std::string& address, int port);

}  // namespace newsmon::testing
