// Fetches many feeds at once on the calling thread through one curl multi handle. The
// daemon's loop blocks in Wait(), which also watches the loop's own descriptors (signals,
// sockets), so one call waits on everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace newsmon {

struct FetchRequest {
  std::string feed;
  std::string url;
  std::string etag;           // sent back as If-None-Match
  std::string last_modified;  // sent back as If-Modified-Since
};

struct FetchResponse {
  std::string feed;
  std::string url;            // as requested
  std::string effective_url;  // after redirects
  Status status;              // transport or HTTP failure, with a message for the log
  long http_status = 0;
  bool not_modified = false;
  std::string body;
  std::string content_type;
  std::string etag;
  std::string last_modified;
};

struct FetchOptions {
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds total_timeout{60};
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // after decompression
  long max_redirects = 5;
  bool allow_file_urls = false;
  std::string user_agent;  // empty: "newsmon/VERSION"
};

// An extra descriptor for Wait(): readable is set when it has input.
struct WaitFd {
  int fd = -1;
  bool readable = false;
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  static Result<std::unique_ptr<Fetcher>> Create(const FetchOptions& options);

  virtual void Start(FetchRequest request) = 0;
  // Blocks until a transfer has progress to make, an extra fd is readable, or timeout.
  virtual Status Wait(std::vector<WaitFd>& extra, std::chrono::milliseconds timeout) = 0;
  // Makes progress on all transfers and returns those that finished.
  virtual std::vector<FetchResponse> Collect() = 0;
  virtual std::size_t in_flight() const = 0;
};

}  // namespace newsmon
