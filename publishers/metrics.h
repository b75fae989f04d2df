// Metrics and health for operators: the daemon's counters, gauges and histograms in the
// Prometheus text format (0.0.4), served by an opt-in HTTP listener on /metrics next to a
// /healthz readiness check. docs/metrics.md lists every metric.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace newsmon {

inline constexpr const char* kDefaultMetricsListen = "127.0.0.1:9464";

// What the daemon records. Owned by the daemon: its loop records, the listener thread
// reads (Expose), so every method is thread-safe; an update is one short lock and an
// atomic add. Every series is named newsmon_*.
class Metrics {
 public:
  enum class FetchOutcome { kOk, kNotModified, kError };

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished poll of `feed`: the body size in bytes (after decompression; 0 for a 304
  // or an error) and how long the transfer took.
  void RecordFetch(const std::string& feed, FetchOutcome outcome, std::uint64_t bytes,
                   std::chrono::duration<double> duration);
  // Items stored from one fetched document of `feed`.
  void RecordItems(const std::string& feed, std::uint64_t new_items, std::uint64_t updated_items);
  // One alert stored for `thread`; `kind` as in the alert message ("new").
  void RecordAlert(const std::string& thread, const std::string& kind);
  // Feed-to-publish latency of one alert: from the response that brought its item to the
  // alert going out on the bus (daemon/publish_latency.h). Negative counts as 0.
  void RecordPublishLatency(std::chrono::duration<double> latency);
  // Replay requests answered (ReplayServer::ServePending's return value).
  void RecordReplayRequests(std::size_t count = 1);

  void SetFeedsInBackoff(std::size_t feeds);
  // When `feed` was last fetched successfully (ok or not modified), as Unix seconds; also
  // exposed as its age at scrape time.
  void SetFeedLastSuccess(const std::string& feed, std::int64_t unix_seconds);
  void SetOutboxBacklog(std::size_t unsent_alerts);
  void SetDatabaseBytes(std::uint64_t bytes);
  // Each sink: alerts after its delivered mark (of any thread, so alerts of threads it does
  // not follow count until it passes them) and whether its last attempt failed. Replaces
  // every series of that kind, so sinks removed by a reload disappear.
  struct SinkGauges {
    std::string name;
    std::int64_t backlog = 0;
    bool failing = false;
  };
  using WebhookGauges = SinkGauges;
  void SetWebhooks(const std::vector<SinkGauges>& webhooks);
  void SetEmailSinks(const std::vector<SinkGauges>& emails);
  // Drops every series labelled with `feed` (a feed removed on reload).
  void RemoveFeed(const std::string& feed);

  // The text exposition; ages are computed against `now_unix_seconds` (default: now).
  std::string Expose() const;
  std::string Expose(std::int64_t now_unix_seconds) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct ListenAddress {
  std::string host;
  int port = 0;
};
// A listener's HOST:PORT ("127.0.0.1:9464", "[::1]:9464"); the error names the address.
Result<ListenAddress> ParseListen(const std::string& listen);

// What /healthz answers: 200 "ready", or 503 "not ready" followed by ": REASON" when there is
// one ("the main loop has not turned for 21 s").
struct Health {
  bool ready = true;
  std::string reason;
};

// The opt-in HTTP listener: GET /metrics (the exposition) and GET /healthz (see Health). It
// runs on its own thread, which is stopped by the destructor.
class MetricsServer {
 public:
  virtual ~MetricsServer() = default;

  // `listen` is HOST:PORT ("127.0.0.1:9464", "[::1]:9464"; port 0 picks a free one). Keep
  // it on loopback unless the operator asked otherwise. `metrics` must outlive the
  // server. `health` is called on the listener thread for each /healthz, so it must be
  // thread-safe (read atomics); an empty function means always ready, one that throws not
  // ready. Fails with a message naming the address when it is malformed or cannot be bound.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen, Metrics& metrics,
                                                      std::function<Health()> health);

  // The bound address with the actual port, e.g. "127.0.0.1:41234".
  virtual const std::string& address() const = 0;
  virtual int port() const = 0;
};

}  // namespace newsmon
