// What a feed owner sees in their access log when newsmon polls them: moves remembered,
// Gone respected, Retry-After honoured for the whole host, failures backed off, and no
// more than the allowed requests at once.
#include <catch2/catch.hpp>

#include "daemon/feed_book.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

Resource Feed() { return FeedResource({{"w1", "Weather", "Mild."}}); }

Resource Status(int status, std::string location = "") {
  Resource resource = ErrorResource(status);
  resource.location = std::move(location);
  return resource;
}

// A page that is not a feed (a home or maintenance page).
Resource HtmlPage(std::string body, std::string etag = "") {
  Resource page;
  page.body = std::move(body);
  page.content_type = "text/html";
  page.etag = std::move(etag);
  return page;
}

bool ItemStored(const TempDir& dir, const std::string& guid) {
  return CountRows(dir.File("newsmon.db"),
                   "SELECT COUNT(*) FROM items WHERE guid = '" + guid + "'") == 1;
}

void CheckNothingMoved(const LogCapture& log) {
  for (const std::string& line : log.Lines()) {
    CHECK(line.find("moved permanently") == std::string::npos);
  }
}

TEST_CASE("a 301 moves the feed for good: later polls go straight to the new URL") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/old.xml", Status(301, server.Url("/new.xml")));
  server.Serve("/new.xml", Feed());
  Config config = TestConfig(dir, {{"wire", server.Url("/old.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/new.xml", 4));
  CHECK(server.HitCount("/old.xml") == 1);
  std::size_t moved_lines = 0;
  for (const std::string& line : log.Lines()) {
    moved_lines += line.find("feed 'wire' moved permanently to " + server.Url("/new.xml")) !=
                   std::string::npos;
  }
  CHECK(moved_lines == 1);
}

TEST_CASE("a 301 to a page that is not a feed is not followed for good") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/feed.xml", Status(301, server.Url("/home.html")));
  server.Serve("/home.html", HtmlPage("<html><body>Welcome</body></html>"));
  Config config = TestConfig(dir, {{"wire", server.Url("/feed.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/home.html", 1));
  // The publisher puts the feed back: it is asked where the config says, and read.
  server.Serve("/feed.xml", Feed());
  REQUIRE(WaitUntil([&] { return ItemStored(dir, "w1"); }));
  const std::size_t home_hits = server.HitCount("/home.html");
  REQUIRE(server.WaitForHits("/feed.xml", server.HitCount("/feed.xml") + 3));
  CHECK(server.HitCount("/home.html") == home_hits);
  CheckNothingMoved(log);
}

TEST_CASE("a 301 to a page that answers the feed's validators with 304 is not followed for good") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/feed.xml", FeedResource({{"w1", "Weather", "Mild."}}, "\"site\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/feed.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/feed.xml", 1));
  // The feed now points at a page with the site's ETag: curl asks it with the feed's, and the
  // page answers 304.
  server.Serve("/home.html", HtmlPage("<html><body>Back soon</body></html>", "\"site\""));
  server.Serve("/feed.xml", Status(301, server.Url("/home.html")));
  REQUIRE(server.WaitForHits("/home.html", 1));
  server.Serve("/feed.xml", FeedResource({{"w2", "Weather", "Cold."}}, "\"two\""));
  REQUIRE(WaitUntil([&] { return ItemStored(dir, "w2"); }));
  CheckNothingMoved(log);
}

TEST_CASE("410 Gone disables the feed with a clear log line, also across restarts") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/gone.xml", Status(410));
  server.Serve("/other.xml", Feed());
  Config config =
      TestConfig(dir, {{"gone", server.Url("/gone.xml")}, {"other", server.Url("/other.xml")}});
  {
    DaemonRunner runner(config);
    REQUIRE(log.WaitFor("feed 'gone' (" + server.Url("/gone.xml") +
                        ") disabled: the server "
                        "says it is gone (HTTP 410)"));
    REQUIRE(server.WaitForHits("/other.xml", 5));
    CHECK(server.HitCount("/gone.xml") == 1);
  }
  DaemonRunner restarted(config);
  REQUIRE(log.WaitFor("feed 'gone' stays disabled"));
  REQUIRE(server.WaitForHits("/other.xml", server.HitCount("/other.xml") + 3));
  CHECK(server.HitCount("/gone.xml") == 1);
}

TEST_CASE("a restart keeps a failing feed's backoff, a Retry-After included") {
  TempDir dir;
  FeedServer limited;
  Resource busy = Status(429);
  busy.retry_after = "3600";
  limited.Serve("/a.xml", busy);
  FeedServer other;  // another host (port), polled as usual
  other.Serve("/b.xml", Feed());
  Config config = TestConfig(dir, {{"a", limited.Url("/a.xml")}, {"b", other.Url("/b.xml")}});
  {
    DaemonRunner runner(config);
    REQUIRE(limited.WaitForHits("/a.xml", 1));
    REQUIRE(other.WaitForHits("/b.xml", 3));
  }
  DaemonRunner restarted(config);  // as systemd's Restart= would, seconds later
  REQUIRE(other.WaitForHits("/b.xml", other.HitCount("/b.xml") + 3));
  CHECK(limited.HitCount("/a.xml") == 1);
}

// End to end on real time with the shortest Retry-After there is; the rule itself, and the
// day it is capped at, are tested on a fake clock in feed_book_test.cpp.
TEST_CASE("429 with Retry-After pauses every feed of that host") {
  TempDir dir;
  FeedServer server;
  Resource limited = Status(429);
  limited.retry_after = "1";
  server.Serve("/a.xml", limited);
  server.Serve("/b.xml", Feed());
  Config config = TestConfig(dir, {{"a", server.Url("/a.xml")}, {"b", server.Url("/b.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/a.xml", 1));
  auto limited_at = server.Hits("/a.xml").front().at;
  server.Serve("/a.xml", Feed());
  REQUIRE(server.WaitForHits("/a.xml", 2, 10s));
  CHECK(server.Hits("/a.xml")[1].at - limited_at >= 1s);
  // The other feed on the same host waited too (at most the request in flight with the
  // 429 slipped through).
  for (const Hit& hit : server.Hits("/b.xml")) {
    CHECK((hit.at <= limited_at + 50ms || hit.at >= limited_at + 1s));
  }
}

// End to end on real time; the exact rule (doubling, jitter, cap) is tested on a fake clock in
// feed_book_test.cpp.
TEST_CASE("500s back off with growing gaps, then the feed recovers") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/f.xml", Status(500));
  Config config = TestConfig(dir, {{"f", server.Url("/f.xml")}});
  DaemonRunner runner(config);
  // Two gaps show the growth (each doubles, ±20 %); a fourth failure would only add the
  // longest wait of all before the recovery.
  REQUIRE(server.WaitForHits("/f.xml", 3, 15s));
  server.Serve("/f.xml", Feed());
  auto hits = server.Hits("/f.xml");
  CHECK(hits[2].at - hits[1].at > hits[1].at - hits[0].at);
  REQUIRE(log.WaitFor("feed 'f' recovered"));
}

TEST_CASE("at most max_per_host requests are in flight per host") {
  TempDir dir;
  FeedServer server;
  Resource slow = Feed();
  slow.delay = 100ms;  // long enough that requests would overlap were they not held back
  std::vector<std::pair<std::string, std::string>> feeds;
  for (int i = 0; i < 6; ++i) {
    std::string path = "/s" + std::to_string(i) + ".xml";
    server.Serve(path, slow);
    feeds.push_back({"s" + std::to_string(i), server.Url(path)});
  }
  Config config = TestConfig(dir, feeds);
  DaemonRunner runner(config);
  for (const auto& [name, url] : feeds) REQUIRE(server.WaitForHits(url.substr(url.rfind('/')), 2));
  CHECK(server.PeakConcurrency() == 2);
}

TEST_CASE("feeds removed while they are being fetched leave their host to the others") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  Resource slow = Feed();
  slow.delay = 800ms;
  server.Serve("/a.xml", slow);
  server.Serve("/b.xml", slow);
  server.Serve("/c.xml", Feed());
  // The host takes two requests at a time (max_per_host's default): a and b hold both.
  Config config = TestConfig(
      dir, {{"a", server.Url("/a.xml")}, {"b", server.Url("/b.xml")}, {"c", server.Url("/c.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/a.xml", 1));
  REQUIRE(server.WaitForHits("/b.xml", 1));
  // Removed in flight, and the other, renamed in flight: their answers must free the host.
  dir.Write("newsmon.toml",
            TestConfigToml(dir, {{"b2", server.Url("/b.xml")}, {"c", server.Url("/c.xml")}}));
  runner.Reload();
  REQUIRE(log.WaitFor("reloaded: 2 feeds"));
  const std::size_t hits = server.HitCount("/c.xml");
  CHECK(server.WaitForHits("/c.xml", hits + 5));
  CHECK(server.WaitForHits("/b.xml", 3));
}

TEST_CASE("an interval under min_interval for a remote feed is a config error") {
  TempDir dir;
  std::string path = dir.Write("n.toml",
                               "min_interval = \"1m\"\n[[feed]]\nname = \"x\"\n"
                               "url = \"https://example.org/rss\"\ninterval = \"10s\"\n");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path +
            ":2: feed 'x': interval is shorter than min_interval (60s); lower min_interval "
            "(down to \"1s\") if the publisher agrees");
  std::string too_low = dir.Write("low.toml", "min_interval = \"500ms\"\n");
  CHECK(LoadConfig(too_low).status().message() ==
        too_low + ":1: 'min_interval' must be at least \"1s\"");
}

}  // namespace
}  // namespace newsmon::testing

#include <sqlite3.h>

#include "feeds/feed_parser.h"
#include "tests/support/bus.h"

namespace newsmon::testing {
namespace {

std::string StoredTitle(const std::string& database, const std::string& guid) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT title FROM items WHERE guid = ?1", -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, guid.c_str(), -1, SQLITE_TRANSIENT);
  std::string title;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    title = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return title;
}

TEST_CASE("a known id with a new title is stored as an update and not alerted again") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  Resource feed;
  feed.body = RssFeed({{"t1", "Ceasefire agreed", "Both sides signed."}});
  server.Serve("/f.xml", feed);
  Config config = TestConfig(dir, {{"wire", server.Url("/f.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner runner(config);
  REQUIRE(log.WaitFor("alert #1 alert.truces"));
  feed.body = RssFeed({{"t1", "Ceasefire agreed, monitors to deploy", "Both sides signed."}});
  server.Serve("/f.xml", feed);
  REQUIRE(log.WaitFor("1 items, 0 new, 1 updated, 0 alerts"));
  CHECK(StoredTitle(config.database, "t1") == "Ceasefire agreed, monitors to deploy");
  REQUIRE(server.WaitForHits("/f.xml", server.HitCount("/f.xml") + 2));
  CHECK_FALSE(log.Contains("alert #2"));
}

TEST_CASE("an RSS <ttl> is read as the publisher's caching wish") {
  auto parsed = ParseFeed(
      "<rss version=\"2.0\"><channel><title>T</title><ttl>45</ttl>"
      "<item><guid>a</guid><title>A</title></item></channel></rss>",
      {"https://example.org/rss", "", 0});
  REQUIRE(parsed.ok());
  CHECK(parsed->ttl_minutes == 45);
}

}  // namespace
}  // namespace newsmon::testing
