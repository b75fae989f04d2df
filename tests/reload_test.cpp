// Hot reload: a valid new config takes effect without a restart, an invalid one is
// rejected with FILE:LINE and the daemon keeps running on the old one.
#include <catch2/catch.hpp>

#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

const char* kTalksThread = R"toml([thread]
id = "talks"
title = "Talks"
threshold = 1.0

[[thread.terms]]
weight = 1.0
terms = ["negotiations"]
)toml";

TEST_CASE("reload adds and removes feeds and replaces threads, and a broken config is rejected") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/old.xml", FeedResource({}));
  server.Serve("/new.xml", FeedResource({}));
  // Without stories: the two items below, one outlet's reports of one event, would be one story.
  Config config = TestConfig(dir, {{"old", server.Url("/old.xml")}}, kNoStories);
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner runner(config);
  REQUIRE(subscriber.WaitConnected());
  REQUIRE(server.WaitForHits("/old.xml", 1));

  dir.Write("threads/talks.toml", kTalksThread);
  dir.Write("newsmon.toml", TestConfigToml(dir, {{"new", server.Url("/new.xml")}}, kNoStories));
  runner.Reload();
  REQUIRE(log.WaitFor("reloaded: 1 feeds, 2 threads"));

  server.Serve("/new.xml",
               FeedResource({{"n1", "Negotiations resume in Geneva", "Delegations met."}}));
  auto alert = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(alert);
  CHECK(alert->topic == "alert.talks");
  CHECK(alert->body["item"]["feed"] == "new");
  // The removed feed is no longer polled while the new one is.
  std::size_t old_hits = server.HitCount("/old.xml");
  REQUIRE(server.WaitForHits("/new.xml", server.HitCount("/new.xml") + 3));
  CHECK(server.HitCount("/old.xml") == old_hits);

  SECTION("a broken config is rejected with file and line, and the old one keeps running") {
    std::string path = dir.Write("newsmon.toml", "database = \"newsmon.db\"\nintervall = \"1s\"\n");
    runner.Reload();
    REQUIRE(log.WaitFor("reload rejected"));
    CHECK(log.Contains(path + ":2: unknown key 'intervall' (did you mean 'interval'?)"));
    server.Serve("/new.xml",
                 FeedResource({{"n1", "Negotiations resume in Geneva", "Delegations met."},
                               {"n2", "Negotiations stall", "No date was set."}}));
    auto next = subscriber.ReceiveTopic("alert.", 10s);
    REQUIRE(next);
    CHECK(next->body["item"]["id"] == "n2");
    CHECK(next->body["seq"] == 2);
  }

  SECTION("a config without feeds is rejected: the old one keeps running") {
    std::string path = dir.Write("newsmon.toml", "database = \"newsmon.db\"\n");
    runner.Reload();
    REQUIRE(log.WaitFor("reload rejected"));
    CHECK(log.Contains(
        path + ": no [[feed]] tables: the daemon would watch nothing (see config/demo.toml)"));
    std::size_t hits = server.HitCount("/new.xml");
    REQUIRE(server.WaitForHits("/new.xml", hits + 2));  // still polled
  }

  SECTION("a broken thread file is rejected too") {
    std::string thread =
        dir.Write("threads/talks.toml", "[thread]\nid = \"talks\"\ntreshold = 2\n");
    runner.Reload();
    REQUIRE(log.WaitFor("reload rejected"));
    CHECK(log.Contains(thread + ":"));
    CHECK(runner.run_status().ok());
  }
}

TEST_CASE("a feed's error is logged when its state changes, not on every poll") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/f.xml", ErrorResource(503));
  Config config = TestConfig(dir, {{"flaky", server.Url("/f.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/f.xml", 3));
  auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (const std::string& line : log.Lines()) n += line.find(text) != std::string::npos;
    return n;
  };
  // Three failed polls, one error line an operator has to read.
  CHECK(count("[error] feed 'flaky' (" + server.Url("/f.xml") + "): HTTP 503") == 1);
  server.Serve("/f.xml", FeedResource({}));
  REQUIRE(log.WaitFor("feed 'flaky' recovered"));
}

}  // namespace
}  // namespace newsmon::testing

namespace newsmon::testing {
namespace {

TEST_CASE("a feed given a new URL while its old one is fetched goes to the new URL") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/old.xml", [&] {
    Resource moved = ErrorResource(301);
    moved.location = server.Url("/old-moved.xml");
    return moved;
  }());
  Resource slow = FeedResource({{"o1", "Weather", "Mild."}});
  slow.delay = 2s;  // the reload comes while it is running, however slow the machine
  server.Serve("/old-moved.xml", slow);
  server.Serve("/fresh.xml", FeedResource({{"f1", "Weather", "Cold."}}));
  Config config = TestConfig(dir, {{"w", server.Url("/old.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/old-moved.xml", 1));
  dir.Write("newsmon.toml", TestConfigToml(dir, {{"w", server.Url("/fresh.xml")}}));
  runner.Reload();
  REQUIRE(log.WaitFor("reloaded: 1 feeds"));
  // The old URL's late answer (with its move) is not taken for the new URL's: once it has
  // come, the new URL is still the one polled.
  const auto old_answered = server.Hits("/old-moved.xml").front().at + slow.delay;
  REQUIRE(WaitUntil([&] { return std::chrono::steady_clock::now() > old_answered + 200ms; }));
  REQUIRE(server.WaitForHits("/fresh.xml", server.HitCount("/fresh.xml") + 3));
  CHECK(server.HitCount("/old-moved.xml") == 1);
  CHECK(CountRows(dir.File("newsmon.db"), "SELECT COUNT(*) FROM items WHERE guid = 'o1'") == 0);
  CHECK(CountRows(dir.File("newsmon.db"), "SELECT COUNT(*) FROM items WHERE guid = 'f1'") == 1);
  for (const std::string& line : log.Lines()) {
    CHECK(line.find("moved permanently") == std::string::npos);
  }
}

TEST_CASE("a new URL is asked without the old URL's validators") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  // One site-wide ETag, as WordPress gives every feed of a site.
  server.Serve("/old.xml", FeedResource({{"o1", "Weather", "Mild."}}, "\"v1\""));
  server.Serve("/fresh.xml", FeedResource({{"f1", "Weather", "Cold."}}, "\"v1\""));
  Config config = TestConfig(dir, {{"w", server.Url("/old.xml")}});
  DaemonRunner runner(config);
  REQUIRE(server.WaitForHits("/old.xml", 2));
  dir.Write("newsmon.toml", TestConfigToml(dir, {{"w", server.Url("/fresh.xml")}}));
  runner.Reload();
  REQUIRE(server.WaitForHits("/fresh.xml", 2));
  const auto hits = server.Hits("/fresh.xml");
  CHECK(hits[0].if_none_match.empty());
  CHECK(hits[1].if_none_match == "\"v1\"");  // its own, once it had them
  CHECK(CountRows(dir.File("newsmon.db"), "SELECT COUNT(*) FROM items WHERE guid = 'f1'") == 1);
}

}  // namespace
}  // namespace newsmon::testing
