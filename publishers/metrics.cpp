// The registry and the exposition come from prometheus-cpp's core library (Debian 12:
// prometheus-cpp-dev, runtime libprometheus-cpp-core1.0): it is the maintained C++ client,
// thread-safe, and writes the 0.0.4 text format with label escaping and cumulative
// buckets. Only its core is used; its pull module (a civetweb server) is not: civetweb's
// timeouts, like cpp-httplib's, bound each read and not a request, and /healthz must answer
// while a client dawdles (publishers/http_listener.h). prometheus-cpp 1.0 does not escape HELP
// text, so every help string here is a constant without backslashes or newlines.
#include "publishers/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/time_format.h"
#include "publishers/http_listener.h"

namespace newsmon {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Fetches are bounded by the fetcher's 60 s total timeout.
const Histogram::BucketBoundaries kFetchDurationBuckets = {0.05, 0.1, 0.25, 0.5, 1,
                                                           2.5,  5,   10,   30,  60};
// Milliseconds on a healthy daemon (issue 14's target is 5 ms at p99); minutes to a day
// when the bus or the daemon was down.
const Histogram::BucketBoundaries kPublishLatencyBuckets = {
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    5,      15,    30,    60,    120,  300,   600,  1800, 3600, 7200, 21600, 86400};

constexpr std::array<const char*, 3> kOutcomeLabels = {"ok", "not_modified", "error"};

std::size_t OutcomeIndex(Metrics::FetchOutcome outcome) {
  switch (outcome) {
    case Metrics::FetchOutcome::kOk:
      return 0;
    case Metrics::FetchOutcome::kNotModified:
      return 1;
    case Metrics::FetchOutcome::kError:
      return 2;
  }
  return 2;
}

// The two gauges of every sink of one kind (webhook, email), labelled with its name; replaced
// whole, so sinks a reload removed disappear.
class SinkSeries {
 public:
  SinkSeries(prometheus::Registry& registry, const std::string& kind)
      : kind_(kind),
        backlog_(prometheus::BuildGauge()
                     .Name("newsmon_" + kind + "_backlog")
                     .Help("Alerts stored after the " + kind + " sink's delivered mark.")
                     .Register(registry)),
        failing_(prometheus::BuildGauge()
                     .Name("newsmon_" + kind + "_failing")
                     .Help("1 while the " + kind +
                           " sink's last delivery attempt failed, else 0.")
                     .Register(registry)) {}

  void Replace(const std::vector<Metrics::SinkGauges>& sinks) {
    for (auto [backlog, failing] : series_) {
      backlog_.Remove(backlog);
      failing_.Remove(failing);
    }
    series_.clear();
    for (const Metrics::SinkGauges& sink : sinks) {
      Gauge& backlog = backlog_.Add({{kind_, sink.name}});
      Gauge& failing = failing_.Add({{kind_, sink.name}});
      backlog.Set(static_cast<double>(sink.backlog));
      failing.Set(sink.failing ? 1 : 0);
      series_.emplace_back(&backlog, &failing);
    }
  }

 private:
  std::string kind_;
  Family<Gauge>& backlog_;
  Family<Gauge>& failing_;
  std::vector<std::pair<Gauge*, Gauge*>> series_;
};

}  // namespace

struct Metrics::Impl {
  // Every series of one feed, created together on first use so that a feed's outcomes
  // all start at 0 (a missing series is not a zero in PromQL), and kept as pointers so an
  // update does not rebuild and hash a label set.
  struct FeedSeries {
    std::array<Counter*, 3> fetches{};
    Counter* bytes = nullptr;
    Counter* items_new = nullptr;
    Counter* items_updated = nullptr;
    Gauge* last_success = nullptr;  // absent until the first success
    Gauge* last_success_age = nullptr;
    std::int64_t last_success_unix = 0;
  };

  prometheus::Registry registry;

  Family<Counter>& fetches = prometheus::BuildCounter()
                                 .Name("newsmon_fetches_total")
                                 .Help(
                                     "Feed fetches by outcome: ok (a document was received), "
                                     "not_modified (HTTP 304), error.")
                                 .Register(registry);
  Family<Counter>& fetch_bytes = prometheus::BuildCounter()
                                     .Name("newsmon_fetch_bytes_total")
                                     .Help("Bytes of feed documents received, after decompression.")
                                     .Register(registry);
  Family<Counter>& items = prometheus::BuildCounter()
                               .Name("newsmon_items_total")
                               .Help("Items stored, by change: new or updated.")
                               .Register(registry);
  Family<Counter>& alerts = prometheus::BuildCounter()
                                .Name("newsmon_alerts_total")
                                .Help("Alerts stored, by thread and kind.")
                                .Register(registry);
  Counter& replay_requests = prometheus::BuildCounter()
                                 .Name("newsmon_replay_requests_total")
                                 .Help("Replay requests answered.")
                                 .Register(registry)
                                 .Add({});

  Gauge& feeds_in_backoff =
      prometheus::BuildGauge()
          .Name("newsmon_feeds_in_backoff")
          .Help("Feeds whose last fetch failed and whose next poll is delayed by backoff.")
          .Register(registry)
          .Add({});
  Family<Gauge>& last_success =
      prometheus::BuildGauge()
          .Name("newsmon_feed_last_success_timestamp_seconds")
          .Help("Unix time of the feed's last successful fetch (ok or not_modified).")
          .Register(registry);
  Family<Gauge>& last_success_age =
      prometheus::BuildGauge()
          .Name("newsmon_feed_last_success_age_seconds")
          .Help("Seconds since the feed's last successful fetch, at scrape time.")
          .Register(registry);
  Gauge& outbox_backlog = prometheus::BuildGauge()
                              .Name("newsmon_outbox_backlog")
                              .Help("Alerts stored but not yet sent on the bus.")
                              .Register(registry)
                              .Add({});
  SinkSeries webhooks{registry, "webhook"};
  SinkSeries emails{registry, "email"};
  Gauge& database_bytes = prometheus::BuildGauge()
                              .Name("newsmon_database_bytes")
                              .Help("Size of the SQLite database in bytes.")
                              .Register(registry)
                              .Add({});

  Histogram& fetch_duration = prometheus::BuildHistogram()
                                  .Name("newsmon_fetch_duration_seconds")
                                  .Help("Duration of feed fetches, any outcome.")
                                  .Register(registry)
                                  .Add({}, kFetchDurationBuckets);
  Histogram& publish_latency =
      prometheus::BuildHistogram()
          .Name("newsmon_feed_to_publish_seconds")
          .Help("Seconds from the response that brought an alert's item to the alert on the bus.")
          .Register(registry)
          .Add({}, kPublishLatencyBuckets);

  mutable std::mutex mutex;  // guards `feeds`; the series themselves are atomic
  std::unordered_map<std::string, FeedSeries> feeds;

  FeedSeries& Feed(const std::string& feed) {
    auto found = feeds.find(feed);
    if (found != feeds.end()) return found->second;
    FeedSeries series;
    for (std::size_t i = 0; i < kOutcomeLabels.size(); ++i) {
      series.fetches[i] = &fetches.Add({{"feed", feed}, {"outcome", kOutcomeLabels[i]}});
    }
    series.bytes = &fetch_bytes.Add({{"feed", feed}});
    series.items_new = &items.Add({{"feed", feed}, {"change", "new"}});
    series.items_updated = &items.Add({{"feed", feed}, {"change", "updated"}});
    return feeds.emplace(feed, series).first->second;
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::RecordFetch(const std::string& feed, FetchOutcome outcome, std::uint64_t bytes,
                          std::chrono::duration<double> duration) {
  {
    std::lock_guard lock(impl_->mutex);
    auto& series = impl_->Feed(feed);
    series.fetches[OutcomeIndex(outcome)]->Increment();
    series.bytes->Increment(static_cast<double>(bytes));
  }
  impl_->fetch_duration.Observe(std::max(0.0, duration.count()));
}

void Metrics::RecordItems(const std::string& feed, std::uint64_t new_items,
                          std::uint64_t updated_items) {
  std::lock_guard lock(impl_->mutex);
  auto& series = impl_->Feed(feed);
  series.items_new->Increment(static_cast<double>(new_items));
  series.items_updated->Increment(static_cast<double>(updated_items));
}

void Metrics::RecordAlert(const std::string& thread, const std::string& kind) {
  // Family::Add returns the existing series for a known label set; alerts are rare.
  impl_->alerts.Add({{"thread", thread}, {"kind", kind}}).Increment();
}

void Metrics::RecordPublishLatency(std::chrono::duration<double> latency) {
  impl_->publish_latency.Observe(std::max(0.0, latency.count()));
}

void Metrics::RecordReplayRequests(std::size_t count) {
  impl_->replay_requests.Increment(static_cast<double>(count));
}

void Metrics::SetFeedsInBackoff(std::size_t feeds) {
  impl_->feeds_in_backoff.Set(static_cast<double>(feeds));
}

void Metrics::SetFeedLastSuccess(const std::string& feed, std::int64_t unix_seconds) {
  std::lock_guard lock(impl_->mutex);
  auto& series = impl_->Feed(feed);
  if (series.last_success == nullptr) {
    series.last_success = &impl_->last_success.Add({{"feed", feed}});
    series.last_success_age = &impl_->last_success_age.Add({{"feed", feed}});
  }
  series.last_success_unix = unix_seconds;
  series.last_success->Set(static_cast<double>(unix_seconds));
}

void Metrics::SetOutboxBacklog(std::size_t unsent_alerts) {
  impl_->outbox_backlog.Set(static_cast<double>(unsent_alerts));
}

void Metrics::SetWebhooks(const std::vector<SinkGauges>& webhooks) {
  std::lock_guard lock(impl_->mutex);
  impl_->webhooks.Replace(webhooks);
}

void Metrics::SetEmailSinks(const std::vector<SinkGauges>& emails) {
  std::lock_guard lock(impl_->mutex);
  impl_->emails.Replace(emails);
}

void Metrics::SetDatabaseBytes(std::uint64_t bytes) {
  impl_->database_bytes.Set(static_cast<double>(bytes));
}

void Metrics::RemoveFeed(const std::string& feed) {
  std::lock_guard lock(impl_->mutex);
  auto found = impl_->feeds.find(feed);
  if (found == impl_->feeds.end()) return;
  auto& series = found->second;
  for (auto* counter : series.fetches) impl_->fetches.Remove(counter);
  impl_->fetch_bytes.Remove(series.bytes);
  impl_->items.Remove(series.items_new);
  impl_->items.Remove(series.items_updated);
  if (series.last_success != nullptr) {
    impl_->last_success.Remove(series.last_success);
    impl_->last_success_age.Remove(series.last_success_age);
  }
  impl_->feeds.erase(found);
}

std::string Metrics::Expose() const { return Expose(UnixNow()); }

std::string Metrics::Expose(std::int64_t now_unix_seconds) const {
  {
    std::lock_guard lock(impl_->mutex);
    for (auto& [name, series] : impl_->feeds) {
      if (series.last_success_age == nullptr) continue;
      auto age = std::max<std::int64_t>(0, now_unix_seconds - series.last_success_unix);
      series.last_success_age->Set(static_cast<double>(age));
    }
  }
  // Collect locks each family on its own; the loop is not held up by serialization.
  auto families = impl_->registry.Collect();
  // Families keep series in hash order; sort them so that a scrape reads (and a test
  // compares) the same from one run to the next.
  for (auto& family : families) {
    std::sort(family.metric.begin(), family.metric.end(),
              [](const auto& a, const auto& b) { return a.label < b.label; });
  }
  return prometheus::TextSerializer().Serialize(families);
}

// ---------------------------------------------------------------------------------------

Result<ListenAddress> ParseListen(const std::string& listen) {
  auto invalid = [&listen] {
    return Status::Error("metrics listen address '" + listen +
                         "': expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
  };
  ListenAddress address;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return invalid();
    }
    address.host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return invalid();
    address.host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    // An IPv6 address needs brackets, or its last group would be read as the port.
    if (address.host.find(':') != std::string::npos) return invalid();
  }
  if (address.host.empty() || port.empty()) return invalid();
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (error != std::errc() || end != port.data() + port.size() || address.port < 0 ||
      address.port > 65535) {
    return invalid();
  }
  return address;
}

namespace {

// The listener has its own thread, the only one the daemon adds: a scrape or a health check
// must be answered however long the fetch loop is busy or blocked (a slow ingest, a full
// poll). The thread only reads Metrics (thread-safe) and calls `ready`. It is an
// HttpListener, which no slow client can hold up (publishers/http_listener.h).
class HttpMetricsServer final : public MetricsServer {
 public:
  HttpMetricsServer(Metrics& metrics, std::function<Health()> ready)
      : metrics_(metrics), ready_(std::move(ready)) {}

  Status Open(const ListenAddress& listen) {
    auto listener =
        HttpListener::Start(listen.host, listen.port,
                            [this](const HttpRequestHead& request) { return Serve(request); });
    if (!listener.ok()) return listener.status().WithContext("metrics: ");
    listener_ = std::move(listener).value();
    const std::string host =
        listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
    address_ = host + ":" + std::to_string(listener_->port());
    return Status::Ok();
  }

  const std::string& address() const override { return address_; }
  int port() const override { return listener_->port(); }

 private:
  HttpAnswer Serve(const HttpRequestHead& request) {
    if (request.path == "/metrics") return {200, kMetricsContentType, metrics_.Expose()};
    if (request.path != "/healthz") return {404, "text/plain; charset=utf-8", "not found\n"};
    Health health;
    if (ready_) {
      try {
        health = ready_();
      } catch (...) {
        health = {false, ""};
      }
    }
    std::string body = health.ready ? "ready" : "not ready";
    if (!health.ready && !health.reason.empty()) body += ": " + health.reason;
    return {health.ready ? 200 : 503, "text/plain; charset=utf-8", body + "\n"};
  }

  Metrics& metrics_;
  std::function<Health()> ready_;
  std::string address_;
  // Last: destroyed first, so its thread stops before what it reads goes.
  std::unique_ptr<HttpListener> listener_;
};

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                            Metrics& metrics,
                                                            std::function<Health()> ready) {
  auto address = ParseListen(listen);
  if (!address.ok()) return address.status();
  auto server = std::make_unique<HttpMetricsServer>(metrics, std::move(ready));
  if (auto status = server->Open(*address); !status.ok()) return status;
  return std::unique_ptr<MetricsServer>(std::move(server));
}

}  // namespace newsmon
