#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "publishers/metrics.h"

using namespace std::chrono_literals;
using newsmon::Metrics;
using newsmon::MetricsServer;

namespace {

// The exposition of one unlabelled histogram.
std::string Histogram(const std::string& name, const std::string& help,
                      const std::vector<std::string>& bounds, const std::string& count,
                      const std::string& sum, const std::vector<std::string>& buckets) {
  std::string text = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  text += name + "_count " + count + "\n" + name + "_sum " + sum + "\n";
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    text += name + "_bucket{le=\"" + bounds[i] + "\"} " + buckets[i] + "\n";
  }
  return text;
}

const std::vector<std::string> kFetchBounds = {"0.05", "0.1", "0.25", "0.5", "1",   "2.5",
                                               "5",    "10",  "30",   "60",  "+Inf"};
const std::vector<std::string> kLatencyBounds = {
    "0.0005", "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",   "0.5",   "1",     "5",     "15",   "30",    "60",   "120",
    "300",    "600",   "1800",  "3600",  "7200", "21600", "86400", "+Inf"};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a fresh registry exposes its unlabelled series at zero") {
  Metrics metrics;
  std::vector<std::string> zeros_fetch(kFetchBounds.size(), "0");
  std::vector<std::string> zeros_latency(kLatencyBounds.size(), "0");
  CHECK(metrics.Expose(1000) ==
        "# HELP newsmon_replay_requests_total Replay requests answered.\n"
        "# TYPE newsmon_replay_requests_total counter\n"
        "newsmon_replay_requests_total 0\n"
        "# HELP newsmon_feeds_in_backoff Feeds whose last fetch failed and whose next poll is "
        "delayed by backoff.\n"
        "# TYPE newsmon_feeds_in_backoff gauge\n"
        "newsmon_feeds_in_backoff 0\n"
        "# HELP newsmon_outbox_backlog Alerts stored but not yet sent on the bus.\n"
        "# TYPE newsmon_outbox_backlog gauge\n"
        "newsmon_outbox_backlog 0\n"
        "# HELP newsmon_database_bytes Size of the SQLite database in bytes.\n"
        "# TYPE newsmon_database_bytes gauge\n"
        "newsmon_database_bytes 0\n" +
            Histogram("newsmon_fetch_duration_seconds", "Duration of feed fetches, any outcome.",
                      kFetchBounds, "0", "0", zeros_fetch) +
            Histogram("newsmon_feed_to_publish_seconds",
                      "Seconds from the response that brought an alert's item to the alert on "
                      "the bus.",
                      kLatencyBounds, "0", "0", zeros_latency));
}

TEST_CASE("the exposition of a small registry, exactly") {
  Metrics metrics;
  // Feed names come from the config: one with every character the format escapes.
  const std::string odd = "a\\b\"c\nd";
  // Durations that binary floating point holds exactly, so the sum is exact too.
  metrics.RecordFetch("bbc", Metrics::FetchOutcome::kOk, 2048, 0.5s);  // le is inclusive
  metrics.RecordFetch("bbc", Metrics::FetchOutcome::kNotModified, 0, 0.03125s);
  metrics.RecordFetch(odd, Metrics::FetchOutcome::kError, 0, 75s);  // above every bound
  metrics.RecordItems("bbc", 3, 1);
  metrics.RecordAlert("talks", "new");
  metrics.RecordAlert("talks", "new");
  metrics.RecordAlert("truces", "new");
  metrics.RecordPublishLatency(12s);
  metrics.RecordPublishLatency(-5s);  // a clock stepped back counts as 0
  // 2^-10 s: between the 0.5 ms and 1 ms bounds, exact in binary floating point.
  metrics.RecordPublishLatency(std::chrono::duration<double>(0.0009765625));
  metrics.RecordReplayRequests(2);
  metrics.RecordReplayRequests();
  metrics.SetFeedsInBackoff(1);
  metrics.SetFeedLastSuccess("bbc", 1700000000);
  metrics.SetOutboxBacklog(4);
  metrics.SetDatabaseBytes(1234567890123);

  const std::string expected =
      "# HELP newsmon_fetches_total Feed fetches by outcome: ok (a document was received), "
      "not_modified (HTTP 304), error.\n"
      "# TYPE newsmon_fetches_total counter\n"
      "newsmon_fetches_total{feed=\"a\\\\b\\\"c\\nd\",outcome=\"error\"} 1\n"
      "newsmon_fetches_total{feed=\"a\\\\b\\\"c\\nd\",outcome=\"not_modified\"} 0\n"
      "newsmon_fetches_total{feed=\"a\\\\b\\\"c\\nd\",outcome=\"ok\"} 0\n"
      "newsmon_fetches_total{feed=\"bbc\",outcome=\"error\"} 0\n"
      "newsmon_fetches_total{feed=\"bbc\",outcome=\"not_modified\"} 1\n"
      "newsmon_fetches_total{feed=\"bbc\",outcome=\"ok\"} 1\n"
      "# HELP newsmon_fetch_bytes_total Bytes of feed documents received, after "
      "decompression.\n"
      "# TYPE newsmon_fetch_bytes_total counter\n"
      "newsmon_fetch_bytes_total{feed=\"a\\\\b\\\"c\\nd\"} 0\n"
      "newsmon_fetch_bytes_total{feed=\"bbc\"} 2048\n"
      "# HELP newsmon_items_total Items stored, by change: new or updated.\n"
      "# TYPE newsmon_items_total counter\n"
      "newsmon_items_total{change=\"new\",feed=\"a\\\\b\\\"c\\nd\"} 0\n"
      "newsmon_items_total{change=\"new\",feed=\"bbc\"} 3\n"
      "newsmon_items_total{change=\"updated\",feed=\"a\\\\b\\\"c\\nd\"} 0\n"
      "newsmon_items_total{change=\"updated\",feed=\"bbc\"} 1\n"
      "# HELP newsmon_alerts_total Alerts stored, by thread and kind.\n"
      "# TYPE newsmon_alerts_total counter\n"
      "newsmon_alerts_total{kind=\"new\",thread=\"talks\"} 2\n"
      "newsmon_alerts_total{kind=\"new\",thread=\"truces\"} 1\n"
      "# HELP newsmon_replay_requests_total Replay requests answered.\n"
      "# TYPE newsmon_replay_requests_total counter\n"
      "newsmon_replay_requests_total 3\n"
      "# HELP newsmon_feeds_in_backoff Feeds whose last fetch failed and whose next poll is "
      "delayed by backoff.\n"
      "# TYPE newsmon_feeds_in_backoff gauge\n"
      "newsmon_feeds_in_backoff 1\n"
      "# HELP newsmon_feed_last_success_timestamp_seconds Unix time of the feed's last "
      "successful fetch (ok or not_modified).\n"
      "# TYPE newsmon_feed_last_success_timestamp_seconds gauge\n"
      "newsmon_feed_last_success_timestamp_seconds{feed=\"bbc\"} 1700000000\n"
      "# HELP newsmon_feed_last_success_age_seconds Seconds since the feed's last successful "
      "fetch, at scrape time.\n"
      "# TYPE newsmon_feed_last_success_age_seconds gauge\n"
      "newsmon_feed_last_success_age_seconds{feed=\"bbc\"} 90\n"
      "# HELP newsmon_outbox_backlog Alerts stored but not yet sent on the bus.\n"
      "# TYPE newsmon_outbox_backlog gauge\n"
      "newsmon_outbox_backlog 4\n"
      "# HELP newsmon_database_bytes Size of the SQLite database in bytes.\n"
      "# TYPE newsmon_database_bytes gauge\n"
      "newsmon_database_bytes 1234567890123\n" +
      Histogram("newsmon_fetch_duration_seconds", "Duration of feed fetches, any outcome.",
                kFetchBounds, "3", "75.53125",
                {"1", "1", "1", "2", "2", "2", "2", "2", "2", "2", "3"}) +
      Histogram("newsmon_feed_to_publish_seconds",
                "Seconds from the response that brought an alert's item to the alert on "
                "the bus.",
                kLatencyBounds, "3", "12.0009765625",
                {"1", "2", "2", "2", "2", "2", "2", "2", "2", "2", "2", "2",
                 "3", "3", "3", "3", "3", "3", "3", "3", "3", "3", "3", "3"});
  CHECK(metrics.Expose(1700000090) == expected);
}

TEST_CASE("a feed's age follows the scrape time and never goes negative") {
  Metrics metrics;
  metrics.SetFeedLastSuccess("bbc", 1000);
  CHECK(Contains(metrics.Expose(1000), "newsmon_feed_last_success_age_seconds{feed=\"bbc\"} 0\n"));
  CHECK(
      Contains(metrics.Expose(4600), "newsmon_feed_last_success_age_seconds{feed=\"bbc\"} 3600\n"));
  CHECK(Contains(metrics.Expose(900), "newsmon_feed_last_success_age_seconds{feed=\"bbc\"} 0\n"));
  metrics.SetFeedLastSuccess("bbc", 4000);
  CHECK(Contains(metrics.Expose(4600),
                 "newsmon_feed_last_success_timestamp_seconds{feed=\"bbc\"} 4000\n"));
  CHECK(
      Contains(metrics.Expose(4600), "newsmon_feed_last_success_age_seconds{feed=\"bbc\"} 600\n"));
}

TEST_CASE("a feed that never succeeded has counters but no last-success series") {
  Metrics metrics;
  metrics.RecordFetch("down", Metrics::FetchOutcome::kError, 0, 1s);
  auto text = metrics.Expose(1000);
  CHECK(Contains(text, "newsmon_fetches_total{feed=\"down\",outcome=\"error\"} 1\n"));
  CHECK_FALSE(Contains(text, "newsmon_feed_last_success"));
}

TEST_CASE("removing a feed drops every series labelled with it and keeps the others") {
  Metrics metrics;
  for (const char* feed : {"gone", "kept"}) {
    metrics.RecordFetch(feed, Metrics::FetchOutcome::kOk, 10, 0.1s);
    metrics.RecordItems(feed, 1, 0);
    metrics.SetFeedLastSuccess(feed, 1000);
  }
  metrics.RecordAlert("talks", "new");
  metrics.RemoveFeed("gone");
  metrics.RemoveFeed("never-seen");  // harmless

  auto text = metrics.Expose(1000);
  CHECK_FALSE(Contains(text, "feed=\"gone\""));
  CHECK(Contains(text, "newsmon_fetches_total{feed=\"kept\",outcome=\"ok\"} 1\n"));
  CHECK(Contains(text, "newsmon_items_total{change=\"new\",feed=\"kept\"} 1\n"));
  CHECK(Contains(text, "newsmon_feed_last_success_age_seconds{feed=\"kept\"} 0\n"));
  CHECK(Contains(text, "newsmon_alerts_total{kind=\"new\",thread=\"talks\"} 1\n"));
  // Histograms are not per feed: what the removed feed observed stays counted.
  CHECK(Contains(text, "newsmon_fetch_duration_seconds_count 2\n"));

  // A feed added back (a reload that restores it) starts from zero.
  metrics.RecordFetch("gone", Metrics::FetchOutcome::kError, 0, 0.1s);
  text = metrics.Expose(1000);
  CHECK(Contains(text, "newsmon_fetches_total{feed=\"gone\",outcome=\"ok\"} 0\n"));
  CHECK(Contains(text, "newsmon_fetches_total{feed=\"gone\",outcome=\"error\"} 1\n"));
  CHECK_FALSE(Contains(text, "newsmon_feed_last_success_timestamp_seconds{feed=\"gone\"}"));
}

TEST_CASE("updates and scrapes on different threads") {
  Metrics metrics;
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::atomic<bool> all_complete{true};
  // Catch's assertions are not thread-safe: the scraper only records what it saw.
  std::thread scraper([&] {
    while (!done) {
      auto text = metrics.Expose();
      if (!Contains(text, "newsmon_feed_to_publish_seconds_bucket{le=\"+Inf\"}")) {
        all_complete = false;
      }
      ++scrapes;
    }
  });
  for (int i = 0; i < 2000 || scrapes < 20; ++i) {
    auto feed = "feed-" + std::to_string(i % 20);
    metrics.RecordFetch(feed, Metrics::FetchOutcome::kOk, 100, 0.01s);
    metrics.RecordItems(feed, 1, 0);
    metrics.SetFeedLastSuccess(feed, 1000 + i);
    if (i % 7 == 0) metrics.RemoveFeed(feed);
    if (i < 2000) metrics.RecordAlert("talks", "new");
  }
  done = true;
  scraper.join();
  CHECK(all_complete);
  auto text = metrics.Expose();
  CHECK(Contains(text, "newsmon_alerts_total{kind=\"new\",thread=\"talks\"} 2000\n"));
}

TEST_CASE("the server answers /metrics and /healthz on loopback") {
  Metrics metrics;
  metrics.RecordAlert("talks", "new");
  std::atomic<bool> ready{false};
  auto server = MetricsServer::Start("127.0.0.1:0", metrics, [&ready] {
    return newsmon::Health{ready.load(), ""};
  });
  REQUIRE(server.ok());
  REQUIRE((*server)->port() > 0);
  CHECK((*server)->address() == "127.0.0.1:" + std::to_string((*server)->port()));

  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);

  auto scrape = client.Get("/metrics");
  REQUIRE(scrape);
  CHECK(scrape->status == 200);
  CHECK(scrape->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(Contains(scrape->body, "newsmon_alerts_total{kind=\"new\",thread=\"talks\"} 1\n"));

  // Prometheus asks for gzip; the body is compressed and reads the same.
  auto gzipped = client.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gzipped);
  CHECK(gzipped->get_header_value("Content-Encoding") == "gzip");
  CHECK(gzipped->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(gzipped->body == scrape->body);

  // The scrape reads the registry as it is now.
  metrics.SetOutboxBacklog(7);
  scrape = client.Get("/metrics");
  REQUIRE(scrape);
  CHECK(Contains(scrape->body, "newsmon_outbox_backlog 7\n"));

  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(health->body == "not ready\n");

  ready = true;
  health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ready\n");

  auto other = client.Get("/");
  REQUIRE(other);
  CHECK(other->status == 404);

  // Stopping is prompt: the destructor does not wait out any timeout.
  auto start = std::chrono::steady_clock::now();
  server->reset();
  CHECK(std::chrono::steady_clock::now() - start < 1s);

  // And the port is closed afterwards.
  auto after = client.Get("/healthz");
  CHECK_FALSE(after);
}

TEST_CASE("/healthz says why it is not ready") {
  Metrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:0", metrics, [] {
    return newsmon::Health{false, "the main loop has not turned for 21 s"};
  });
  REQUIRE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(health->body == "not ready: the main loop has not turned for 21 s\n");
}

TEST_CASE("an empty ready function means always ready") {
  Metrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:0", metrics, {});
  REQUIRE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("a ready function that throws reports not ready") {
  Metrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:0", metrics,
                                     []() -> newsmon::Health { throw std::runtime_error("boom"); });
  REQUIRE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 503);
}

TEST_CASE("a second server on a port in use fails with the address in the message") {
  Metrics metrics;
  auto first = MetricsServer::Start("127.0.0.1:0", metrics, {});
  REQUIRE(first.ok());
  auto address = (*first)->address();

  // httplib's own default (SO_REUSEPORT) would let this bind succeed and share the port.
  auto second = MetricsServer::Start(address, metrics, {});
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message() ==
        "metrics: cannot listen on " + address + ": Address already in use");

  // The first one is unaffected.
  httplib::Client client("127.0.0.1", (*first)->port());
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("a port held by another program is reported in use") {
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(sock, 1) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  auto port = std::to_string(ntohs(address.sin_port));

  Metrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:" + port, metrics, {});
  ::close(sock);
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().message() ==
        "metrics: cannot listen on 127.0.0.1:" + port + ": Address already in use");
}

TEST_CASE("a malformed listen address is refused before binding") {
  Metrics metrics;
  for (const char* listen :
       {"", "9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:9464x", "::1:9464", "[::1]9464", "[::1]", "[]:9464"}) {
    CAPTURE(listen);
    auto server = MetricsServer::Start(listen, metrics, {});
    REQUIRE_FALSE(server.ok());
    CHECK(server.status().message() ==
          std::string("metrics listen address '") + listen +
              "': expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
  }
}

TEST_CASE("an address that is not local cannot be bound") {
  Metrics metrics;
  // TEST-NET-1 (RFC 5737): never assigned to this machine.
  auto server = MetricsServer::Start("192.0.2.1:9464", metrics, {});
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().message() ==
        "metrics: cannot listen on 192.0.2.1:9464: Cannot assign requested address");
}

TEST_CASE("a client that connects and says nothing delays neither scrapes nor the stop") {
  Metrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:0", metrics, {});
  REQUIRE(server.ok());

  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>((*server)->port()));
  REQUIRE(::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);

  // The listener serves every connection at once (publishers/http_listener.h): httplib's one
  // thread made this wait for the silent one's read timeout.
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_read_timeout(5);
  auto start = std::chrono::steady_clock::now();
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 500ms);  // the old listener: 1 s

  // A second silent client, still connected while the server stops.
  int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(silent >= 0);
  REQUIRE(::connect(silent, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  start = std::chrono::steady_clock::now();
  server->reset();
  CHECK(std::chrono::steady_clock::now() - start < 500ms);  // the old listener: 1 s
  ::close(silent);
  ::close(sock);
}

namespace newsmon {
namespace {

TEST_CASE("webhook gauges show each sink's backlog and failure, and a removed sink goes") {
  Metrics metrics;
  metrics.SetWebhooks({{"desk", 3, true}, {"ops", 0, false}});
  std::string both = metrics.Expose(1000);
  CHECK(both.find("newsmon_webhook_backlog{webhook=\"desk\"} 3\n") != std::string::npos);
  CHECK(both.find("newsmon_webhook_failing{webhook=\"desk\"} 1\n") != std::string::npos);
  CHECK(both.find("newsmon_webhook_backlog{webhook=\"ops\"} 0\n") != std::string::npos);
  CHECK(both.find("newsmon_webhook_failing{webhook=\"ops\"} 0\n") != std::string::npos);

  metrics.SetWebhooks({{"ops", 1, false}});
  std::string one = metrics.Expose(1000);
  CHECK(one.find("webhook=\"desk\"") == std::string::npos);
  CHECK(one.find("newsmon_webhook_backlog{webhook=\"ops\"} 1\n") != std::string::npos);
}

TEST_CASE("e-mail sinks have gauges of their own, apart from the webhooks'") {
  Metrics metrics;
  metrics.SetWebhooks({{"desk", 1, false}});
  metrics.SetEmailSinks({{"night-desk", 4, true}});
  std::string text = metrics.Expose(1000);
  CHECK(text.find("newsmon_email_backlog{email=\"night-desk\"} 4\n") != std::string::npos);
  CHECK(text.find("newsmon_email_failing{email=\"night-desk\"} 1\n") != std::string::npos);
  CHECK(text.find("# HELP newsmon_email_backlog Alerts stored after the email sink's delivered "
                  "mark.\n") != std::string::npos);
  CHECK(text.find("webhook=\"night-desk\"") == std::string::npos);
  metrics.SetEmailSinks({});
  text = metrics.Expose(1000);
  CHECK(text.find("night-desk") == std::string::npos);
  CHECK(text.find("newsmon_webhook_backlog{webhook=\"desk\"} 1\n") != std::string::npos);
}

}  // namespace
}  // namespace newsmon
