// Fetches many feeds at once on the calling thread through the curl multi driver
// (core/curl_multi.h) it is given, which the webhook sinks share, or through one of its own.
// Wait() waits in that driver and watches the caller's descriptors too, so one call waits on
// everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/wait_fd.h"

struct sockaddr;

namespace newsmon {

class CurlMulti;

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
  // Every redirect on the way was 301 or 308: the feed lives at effective_url now.
  bool permanently_moved = false;
  std::optional<std::chrono::seconds> retry_after;  // from a 429 or 503
  std::optional<std::chrono::seconds> max_age;      // Cache-Control: max-age
  std::chrono::duration<double> duration{0};        // the whole transfer, redirects included
  // HTTP major version of the last response: 1 (1.0 or 1.1), 2 or 3; 0 when there was none
  // (file://, or the transfer failed first). Shows whether an https host spoke h2.
  long http_version = 0;
  // Connections this transfer had to open (redirects included); 0 when it reused one or ran
  // as a stream on an HTTP/2 connection another transfer had open. Shows connection reuse.
  long new_connections = 0;
};

struct FetchOptions {
  // Milliseconds, as curl takes them: tests time out in a fraction of a second.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds total_timeout{std::chrono::seconds(60)};
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // after decompression
  long max_redirects = 5;
  bool allow_file_urls = false;
  // Off: connections to loopback, private, link-local and cloud-metadata addresses are
  // refused, checked on every address curl connects to (so after redirects too).
  bool allow_private_addresses = false;
  std::string user_agent;  // empty: "newsmon/VERSION"
  // PEM file of the certificate authorities https servers are verified against; empty: the
  // system's. For tests and private CAs: verification itself is never turned off.
  std::string ca_file;
};

// Loopback, RFC 1918, link-local (169.254/16 incl. cloud metadata), CGNAT, unique-local
// and the unspecified addresses: what a feed URL from a config must not reach by default.
bool IsPrivateAddress(const ::sockaddr* address);

// A Waiter, for callers that wait on the fetcher alone (tests, benchmarks); the daemon waits in
// the shared driver, which moves the fetcher's transfers on all the same.
class Fetcher : public Waiter {
 public:
  virtual ~Fetcher() = default;
  // With a driver of its own.
  static Result<std::unique_ptr<Fetcher>> Create(const FetchOptions& options);
  // On a shared driver, which must outlive the fetcher. Feeds are its bulk lane.
  static Result<std::unique_ptr<Fetcher>> Create(const FetchOptions& options, CurlMulti& multi);

  virtual void Start(FetchRequest request) = 0;
  // Blocks in the driver until a transfer has progress to make, an extra fd is ready, or
  // timeout (at once when a transfer has finished already), and moves the transfers on.
  Status Wait(std::vector<WaitFd>& extra, std::chrono::milliseconds timeout) override = 0;
  // The transfers that finished (or could not start) since the last call. Never waits.
  virtual std::vector<FetchResponse> Collect() = 0;
  // Started and not yet collected.
  virtual std::size_t in_flight() const = 0;
  // Collect() has something: the caller's loop must not sleep.
  virtual bool has_finished() const = 0;
};

}  // namespace newsmon
