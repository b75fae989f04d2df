// End to end through the real daemon: a loopback HTTP server serving feeds, a real SQLite
// file, a real ZeroMQ subscriber.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <set>
#include <zmq.hpp>

#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

const FeedEntry kTruceItem{"truce-1", "Ceasefire agreed along the front",
                           "<p>Both sides &amp; mediators confirmed the truce.</p>"};
const FeedEntry kWeatherItem{"weather-1", "Sunny weekend ahead", "<p>No rain expected.</p>"};
const FeedEntry kSecondTruceItem{"truce-2", "Truce violated overnight", "Shelling resumed."};

// Waits for the server to see `polls` more requests and then for one more heartbeat, so
// anything those polls caused has been published before the test looks.
void WaitForPolls(FeedServer& server, const std::string& path, std::size_t polls,
                  Subscriber& subscriber) {
  REQUIRE(server.WaitForHits(path, server.HitCount(path) + polls));
  REQUIRE(subscriber.WaitConnected());
}

std::size_t AlertsAmong(const std::vector<BusMessage>& messages) {
  std::size_t alerts = 0;
  for (const BusMessage& message : messages) alerts += message.topic.rfind("alert.", 0) == 0;
  return alerts;
}

TEST_CASE("a new item produces one alert, 304s and restarts publish nothing again") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({kWeatherItem}, "\"v1\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});

  auto runner = std::make_unique<DaemonRunner>(config);
  REQUIRE(subscriber.WaitConnected());
  server.Serve("/wire.xml", FeedResource({kWeatherItem, kTruceItem}, "\"v2\""));

  auto alert = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(alert);
  CHECK(alert->topic == "alert.truces");
  const auto& body = alert->body;
  CHECK(body["schema"] == 2);
  CHECK(body["kind"] == "new");
  CHECK(body["seq"] == 1);
  CHECK(body["thread"] == "truces");
  CHECK(body["score"].get<double>() >= 1.0);
  CHECK(body["matched"].size() >= 1);
  CHECK(body["item"]["id"] == "truce-1");
  CHECK(body["item"]["feed"] == "wire");
  CHECK(body["item"]["title"] == "Ceasefire agreed along the front");
  CHECK(body["item"]["link"] == "https://example.org/truce-1");
  CHECK(body["item"]["published"] == "2026-11-23T08:00:00Z");
  CHECK(body["item"]["summary"] == "Both sides & mediators confirmed the truce.");
  CHECK(body["detected_at"].get<std::string>().size() == 20);

  SECTION("the next poll sends the validators, gets 304 and publishes nothing") {
    WaitForPolls(server, "/wire.xml", 2, subscriber);
    Hit last = server.Hits("/wire.xml").back();
    CHECK(last.if_none_match == "\"v2\"");
    CHECK(last.if_modified_since == "Mon, 23 Nov 2026 08:00:00 GMT");
    CHECK(last.status == 304);
    CHECK(AlertsAmong(subscriber.skipped()) == 0);
    CHECK_FALSE(subscriber.ReceiveTopic("alert.", 300ms));
  }

  SECTION("a restart on the same database alerts nothing again and continues seq") {
    runner.reset();
    // The feed changes its ETag but still holds the item already alerted.
    server.Serve("/wire.xml", FeedResource({kWeatherItem, kTruceItem}, "\"v3\""));
    runner = std::make_unique<DaemonRunner>(config);
    REQUIRE(subscriber.WaitConnected());
    WaitForPolls(server, "/wire.xml", 2, subscriber);
    CHECK(AlertsAmong(subscriber.skipped()) == 0);

    server.Serve("/wire.xml", FeedResource({kWeatherItem, kTruceItem, kSecondTruceItem}, "\"v4\""));
    auto next = subscriber.ReceiveTopic("alert.", 10s);
    REQUIRE(next);
    CHECK(next->body["seq"] == 2);
    CHECK(next->body["item"]["id"] == "truce-2");
  }
}

// The truce item as a feed that rebuilds its ids at every poll gives it: version n has a guid
// and a link of its own (a generation stamp, a tracking parameter), the same text.
Resource RenamedTruce(int version, const std::string& summary = "Both sides confirmed it.") {
  const std::string n = std::to_string(version);
  Resource resource;
  resource.body =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title><item>"
      "<guid isPermaLink=\"false\">truce-1-generated-" +
      n +
      "</guid><title>Ceasefire agreed along the front</title>"
      "<link>https://example.org/truce-1?utm_source=rss&amp;utm_content=" +
      n + "</link><description>" + summary + "</description></item></channel></rss>";
  return resource;
}

// Serves each version in turn and waits for the daemon to have read it.
void ServeInTurn(FeedServer& server, Subscriber& subscriber, int first, int last) {
  for (int version = first; version <= last; ++version) {
    server.Serve("/wire.xml", RenamedTruce(version));
    WaitForPolls(server, "/wire.xml", 2, subscriber);
  }
}

TEST_CASE("an item its feed gives a new id at every poll alerts once, also after a restart") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({kWeatherItem}));
  const bool stories = GENERATE(true, false);
  CAPTURE(stories);
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}},
                             stories ? "" : "\n[stories]\nenabled = false\n");
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  auto runner = std::make_unique<DaemonRunner>(config);
  REQUIRE(subscriber.WaitConnected());
  // The weather item is read before the truce replaces it (a slow start, under TSan, once
  // polled the truce first): the item counts below include it.
  const auto items = [&] {
    return CountRows(dir.File("newsmon.db"), "SELECT COUNT(*) FROM items");
  };
  REQUIRE(WaitUntil([&] { return items() == 1; }));
  server.Serve("/wire.xml", RenamedTruce(1));
  auto first = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(first);
  CHECK(first->body["item"]["id"] == "truce-1-generated-1");

  ServeInTurn(server, subscriber, 2, 4);
  CHECK(
      log.WaitFor("feed 'wire': 1 item(s) stored before came back under a new id (the feed's "
                  "ids change from poll to poll); known by their link, title, summary and "
                  "date, not alerted again"));
  runner.reset();
  runner = std::make_unique<DaemonRunner>(config);
  REQUIRE(subscriber.WaitConnected());
  ServeInTurn(server, subscriber, 5, 6);
  CHECK(AlertsAmong(subscriber.skipped()) == 0);
  CHECK_FALSE(subscriber.ReceiveTopic("alert.", 300ms));
  CHECK(items() == 2);  // and weather

  SECTION("a new report at the same link under the same title is an item of its own") {
    // A live page: one link and one headline for report after report.
    server.Serve("/wire.xml", RenamedTruce(7, "Shelling resumed after the truce."));
    CHECK(WaitUntil([&] { return items() == 3; }));
    if (!stories) {  // with stories it is news of the story: an update after its window
      auto next = subscriber.ReceiveTopic("alert.", 10s);
      REQUIRE(next);
      CHECK(next->body["item"]["id"] == "truce-1-generated-7");
    }
  }
}

// An alert feed's document: its items share their words and link, and differ by guid and,
// when given, date.
Resource AlertFeed(const std::vector<std::pair<std::string, std::string>>& guids_and_dates) {
  std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Alerts</title>";
  for (const auto& [guid, date] : guids_and_dates) {
    xml += "<item><guid isPermaLink=\"false\">" + guid +
           "</guid><title>Truce violated in the Kyiv region</title>"
           "<link>https://example.org/alerts</link><description>Shelling reported.</description>";
    if (!date.empty()) xml += "<pubDate>" + date + "</pubDate>";
    xml += "</item>";
  }
  Resource resource;
  resource.body = xml + "</channel></rss>";
  return resource;
}

TEST_CASE("an alert feed that repeats its words for each new alert alerts each one") {
  TempDir dir;
  FeedServer server;
  server.Serve("/alerts.xml", FeedResource({kWeatherItem}));
  Config config =
      TestConfig(dir, {{"alerts", server.Url("/alerts.xml")}}, "\n[stories]\nenabled = false\n");
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner runner(config);
  REQUIRE(subscriber.WaitConnected());
  const std::string dated = GENERATE(std::string(), std::string("Mon, 23 Nov 2026 08:00:00 GMT"));
  CAPTURE(dated);
  // The second alert's date, when the feed dates them: an hour after the first.
  const std::string later = dated.empty() ? "" : "Mon, 23 Nov 2026 09:00:00 GMT";

  server.Serve("/alerts.xml", AlertFeed({{"alert-1", dated}}));
  auto first = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(first);
  CHECK(first->body["item"]["id"] == "alert-1");
  server.Serve("/alerts.xml", AlertFeed({{"alert-2", later}, {"alert-1", dated}}));
  auto second = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(second);
  CHECK(second->body["item"]["id"] == "alert-2");
  if (!dated.empty()) {  // alone in the feed, only its date tells it from the last one
    server.Serve("/alerts.xml", AlertFeed({{"alert-3", "Mon, 23 Nov 2026 10:00:00 GMT"}}));
    auto third = subscriber.ReceiveTopic("alert.", 10s);
    REQUIRE(third);
    CHECK(third->body["item"]["id"] == "alert-3");
  }
}

TEST_CASE("the first poll after a restart sends the validators stored in SQLite") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({kWeatherItem}, "\"stored\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  {
    DaemonRunner runner(config);
    REQUIRE(server.WaitForHits("/wire.xml", 1));
    REQUIRE(WaitUntil([&] { return server.Hits("/wire.xml").back().status == 304; }));
  }
  std::size_t before = server.HitCount("/wire.xml");
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/wire.xml", before + 1));
  Hit first_after_restart = server.Hits("/wire.xml")[before];
  CHECK(first_after_restart.if_none_match == "\"stored\"");
  CHECK(first_after_restart.status == 304);
}

TEST_CASE("a malformed feed is logged with its name and the daemon carries on") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  Resource broken;
  broken.body = "<html><body>Service temporarily unavailable</body></html>";
  broken.content_type = "text/html";
  server.Serve("/broken.xml", broken);
  server.Serve("/good.xml", FeedResource({kWeatherItem}, "\"g1\""));
  Config config = TestConfig(
      dir, {{"broken-feed", server.Url("/broken.xml")}, {"good-feed", server.Url("/good.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner runner(config);
  REQUIRE(subscriber.WaitConnected());

  REQUIRE(log.WaitFor("feed 'broken-feed' (" + server.Url("/broken.xml") +
                      "): not a feed: the document is an HTML page"));
  server.Serve("/good.xml", FeedResource({kWeatherItem, kTruceItem}, "\"g2\""));
  auto alert = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(alert);
  CHECK(alert->body["item"]["feed"] == "good-feed");

  // Once the broken feed is fixed, its items flow again.
  server.Serve("/broken.xml", FeedResource({kSecondTruceItem}, "\"b1\""));
  auto recovered = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(recovered);
  CHECK(recovered->body["item"]["feed"] == "broken-feed");
  CHECK(recovered->body["seq"] == 2);
}

TEST_CASE("an unreachable feed is retried and recovers") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/flaky.xml", ErrorResource(500));
  Config config = TestConfig(dir, {{"flaky", server.Url("/flaky.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner runner(config);
  REQUIRE(log.WaitFor("feed 'flaky' (" + server.Url("/flaky.xml") + "): HTTP 500"));
  REQUIRE(subscriber.WaitConnected());
  server.Serve("/flaky.xml", FeedResource({kTruceItem}, "\"f1\""));
  auto alert = subscriber.ReceiveTopic("alert.", 15s);
  REQUIRE(alert);
  CHECK(alert->body["item"]["feed"] == "flaky");
}

}  // namespace
}  // namespace newsmon::testing

namespace newsmon::testing {
namespace {

TEST_CASE("a stalled subscriber neither blocks the daemon nor delays other subscribers") {
  TempDir dir;
  FeedServer server;
  std::vector<std::pair<std::string, std::string>> feeds;
  std::size_t total = 0;
  for (int f = 0; f < 2; ++f) {
    std::string path = "/bulk" + std::to_string(f) + ".xml";
    feeds.push_back({"bulk" + std::to_string(f), server.Url(path)});
    Resource empty;  // until both subscribers are connected
    empty.body = RssFeed({});
    server.Serve(path, empty);
  }
  Config config = TestConfig(dir, feeds, kNoStories);

  // Subscribes with the smallest queue and never reads.
  zmq::context_t context;
  zmq::socket_t stalled(context, zmq::socket_type::sub);
  stalled.set(zmq::sockopt::rcvhwm, 1);
  stalled.set(zmq::sockopt::rcvbuf, 1024);
  stalled.set(zmq::sockopt::subscribe, "");
  stalled.set(zmq::sockopt::linger, 0);
  stalled.connect(config.publish.endpoint);
  Subscriber reader(config.publish.endpoint, {"alert.", "sys."});

  DaemonRunner runner(config);
  REQUIRE(reader.WaitConnected());
  for (int f = 0; f < 2; ++f) {
    Resource bulk;
    std::string path = "/bulk" + std::to_string(f) + ".xml";
    std::vector<FeedEntry> entries;
    for (int i = 0; i < 900; ++i) {
      std::string id = std::to_string(f) + "-" + std::to_string(i);
      entries.push_back({id, "Ceasefire bulletin " + id, "Truce update " + id});
    }
    total += entries.size();
    bulk.body = RssFeed(entries);
    server.Serve(path, bulk);
  }
  std::set<std::int64_t> seqs;
  while (seqs.size() < total) {
    auto alert = reader.ReceiveTopic("alert.", 20s);
    REQUIRE(alert);
    seqs.insert(alert->body["seq"].get<std::int64_t>());
  }
  CHECK(*seqs.rbegin() == static_cast<std::int64_t>(total));
  // The daemon is still responsive: its heartbeat keeps coming.
  CHECK(reader.WaitConnected());
}

}  // namespace
}  // namespace newsmon::testing

#include <httplib.h>

namespace newsmon::testing {
namespace {

TEST_CASE("with [metrics] enabled the daemon serves what it did on /metrics and /healthz") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  Resource feed;
  feed.body = RssFeed({kTruceItem});
  server.Serve("/wire.xml", feed);
  TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  std::string toml = TestConfigToml(dir, {{"wire", server.Url("/wire.xml")}});
  // [metrics] must come before the [[feed]] tables: insert it after [publish].
  toml.insert(toml.find("\n[[feed]]"), "\n[metrics]\nenabled = true\nlisten = \"127.0.0.1:0\"\n");
  auto config = LoadConfig(dir.Write("newsmon.toml", toml));
  REQUIRE(config.ok());
  DaemonRunner runner(*config);
  REQUIRE(log.WaitFor("metrics on http://127.0.0.1:"));
  std::string line;
  for (const std::string& l : log.Lines()) {
    if (l.find("metrics on http://") != std::string::npos) line = l;
  }
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  httplib::Client client("127.0.0.1", port);
  std::string body;
  REQUIRE(WaitUntil([&] {
    auto response = client.Get("/metrics");
    body = response ? response->body : "";
    return body.find("newsmon_alerts_total{kind=\"new\",thread=\"truces\"} 1") != std::string::npos;
  }));
  CHECK(body.find("newsmon_fetches_total{feed=\"wire\",outcome=\"ok\"}") != std::string::npos);
  CHECK(body.find("newsmon_items_total{change=\"new\",feed=\"wire\"} 1") != std::string::npos);
  // The alert's wait from its response to the bus, measured on the monotonic clock: more than
  // nothing, and far less than a second on loopback (seconds of detected_at would be 0 or 1).
  REQUIRE(body.find("newsmon_feed_to_publish_seconds_count 1\n") != std::string::npos);
  const std::string sum_name = "newsmon_feed_to_publish_seconds_sum ";
  const std::size_t sum_at = body.find(sum_name);
  REQUIRE(sum_at != std::string::npos);
  const double waited = std::stod(body.substr(sum_at + sum_name.size()));
  CHECK(waited > 0);
  CHECK(waited < 0.5);
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("a second daemon on the same database is refused, naming the first one's pid") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({kWeatherItem}, "\"v1\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"sys."});
  auto runner = std::make_unique<DaemonRunner>(config);
  REQUIRE(subscriber.WaitConnected());
  // As cron would start one beside it: its own endpoints, the same database.
  const std::vector<std::string> once = {"run",       "--config",
                                         config.path, "--once",
                                         "--publish", "ipc://" + dir.File("other-pub"),
                                         "--replay",  "ipc://" + dir.File("other-replay")};
  Completed refused = RunNewsmon(once);
  CHECK(refused.status == 1);
  CHECK(refused.err.find(config.database + " is in use by another newsmon process (pid " +
                         std::to_string(::getpid()) +
                         "): a database takes one daemon; stop that one, or give this one a "
                         "database of its own") != std::string::npos);
  runner.reset();  // the lock goes with the process's last descriptor of the file, or its end
  Completed alone = RunNewsmon(once);
  INFO(alone.err);
  CHECK(alone.status == 0);
}

}  // namespace
}  // namespace newsmon::testing
