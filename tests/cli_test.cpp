// The newsmon executable as users run it: exit codes, what it prints, how it stops.
#include <signal.h>

#include <catch2/catch.hpp>
#include <set>
#include <zmq.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("check-config accepts the shipped configs") {
  Completed demo = RunNewsmon({"check-config", "--config", SourcePath("config/demo.toml")});
  CHECK(demo.status == 0);
  CHECK(demo.out.find("ok (3 feeds, 3 threads)") != std::string::npos);
  CHECK(RunNewsmon({"check-config", "--config", SourcePath("config/newsmon.toml")}).status == 0);
}

TEST_CASE("check-config prints each error as FILE:LINE: message and exits 1") {
  TempDir dir;
  std::string path = dir.Write(
      "bad.toml",
      "database = \"x.db\"\nintervall = \"5m\"\n[[feed]]\nurl = \"https://example.org/\"\n");
  Completed result = RunNewsmon({"check-config", "--config", path});
  CHECK(result.status == 1);
  CHECK(result.err == path + ":2: unknown key 'intervall' (did you mean 'interval'?)\n" + path +
                          ":3: [[feed]] needs a non-empty 'name'\n");
}

TEST_CASE("check-config and run refuse a config without feeds") {
  TempDir dir;
  std::string path = dir.Write("none.toml", "database = \"x.db\"\n");
  const std::string message =
      path + ": no [[feed]] tables: the daemon would watch nothing (see config/demo.toml)";
  Completed check = RunNewsmon({"check-config", "--config", path});
  CHECK(check.status == 1);
  CHECK(check.err == message + "\n");
  Process daemon({"run", "--config", path});
  auto status = daemon.Wait(10s);
  REQUIRE(status);
  CHECK(*status == 1);
  CHECK(daemon.Stderr().find(message) != std::string::npos);
}

TEST_CASE("parse prints a feed as JSON") {
  TempDir dir;
  std::string path =
      dir.Write("feed.xml", RssFeed({{"g1", "Truce &amp; talks", "<b>Bold</b> move"}}));
  Completed result = RunNewsmon({"parse", path});
  REQUIRE(result.status == 0);
  json parsed = json::parse(result.out);
  CHECK(parsed["format"] == "rss");
  CHECK(parsed["title"] == "Test Wire");
  CHECK(parsed["link"] == "https://example.org/");
  REQUIRE(parsed["items"].size() == 1);
  json item = parsed["items"][0];
  CHECK(item == json{{"id", "g1"},
                     {"title", "Truce & talks"},
                     {"link", "https://example.org/g1"},
                     {"published", "2026-11-23T08:00:00Z"},
                     {"summary", "Bold move"}});
}

TEST_CASE("parse exits 1 with a clear message when the file holds no feed") {
  TempDir dir;
  std::string path = dir.Write("page.html", "<!DOCTYPE html><html><body>hi</body></html>");
  Completed result = RunNewsmon({"parse", path});
  CHECK(result.status == 1);
  CHECK(result.err.find(path + ": not a feed") == 0);
  CHECK(RunNewsmon({"parse", dir.File("missing.xml")}).err ==
        dir.File("missing.xml") + ": cannot open file\n");
}

TEST_CASE("classify reads JSON lines and writes one line per input") {
  std::string input =
      "{\"id\": \"a\", \"title\": \"Ceasefire agreed in Ukraine\", \"summary\": \"Russia and "
      "Ukraine agreed a truce.\"}\n"
      "{\"id\": \"b\", \"title\": \"Sunny weekend\", \"summary\": \"No rain.\"}\n";
  Completed result = RunNewsmon({"classify", "--config", SourcePath("config/demo.toml")}, input);
  REQUIRE(result.status == 0);
  std::istringstream lines(result.out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  json a = json::parse(first), b = json::parse(second);
  CHECK(a["id"] == "a");
  REQUIRE(a["threads"].size() >= 1);
  CHECK(a["threads"][0]["id"] == "truces");
  CHECK(a["threads"][0]["score"].get<double>() > 0);
  CHECK_FALSE(a["threads"][0]["matched"].empty());
  CHECK(b == json{{"id", "b"}, {"threads", json::array()}});
}

TEST_CASE("run stops cleanly on SIGTERM and SIGINT within 2 s with status 0") {
  int signal = GENERATE(SIGTERM, SIGINT);
  TempDir dir;
  FeedServer server;
  Resource empty_feed;
  empty_feed.body = RssFeed({});
  server.Serve("/wire.xml", empty_feed);
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"sys."});
  Process daemon({"run", "--config", config.path});
  REQUIRE(subscriber.WaitConnected());
  daemon.Signal(signal);
  auto status = daemon.Wait(2s);
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(daemon.Stderr().find("stopping") != std::string::npos);
}

TEST_CASE("run refuses a broken config with its file and line, exit 1") {
  TempDir dir;
  std::string path = dir.Write("bad.toml", "[publish]\nendpiont = \"tcp://127.0.0.1:1\"\n");
  Process daemon({"run", "--config", path});
  auto status = daemon.Wait(10s);
  REQUIRE(status);
  CHECK(*status == 1);
  CHECK(daemon.Stderr().find(path + ":2: unknown key 'endpiont' in [publish] (did you mean "
                                    "'endpoint'?)") != std::string::npos);
}

TEST_CASE("status shows each feed's state and the alerts per thread") {
  TempDir dir;
  FeedServer server;
  Resource good;
  good.body = RssFeed({{"t1", "Ceasefire holds", "Quiet night."}});
  server.Serve("/good.xml", good);
  Resource bad;
  bad.status = 500;
  bad.body = "x";
  server.Serve("/bad.xml", bad);
  Config config =
      TestConfig(dir, {{"good", server.Url("/good.xml")}, {"bad", server.Url("/bad.xml")}});
  CHECK(RunNewsmon({"status", "--config", config.path}).err ==
        "no database at " + config.database + " yet: has newsmon run with this config?\n");
  {
    DaemonRunner runner(config);
    REQUIRE(server.WaitForHits("/bad.xml", 2));
    REQUIRE(server.WaitForHits("/good.xml", 2));
  }
  // A feed added to the config since the daemon last ran.
  dir.Write("newsmon.toml", TestConfigToml(dir, {{"good", server.Url("/good.xml")},
                                                 {"bad", server.Url("/bad.xml")},
                                                 {"later", server.Url("/later.xml")}}));
  Completed status = RunNewsmon({"status", "--config", config.path});
  REQUIRE(status.status == 0);
  INFO(status.out);
  CHECK(status.out.find("last alert seq 1") != std::string::npos);
  CHECK(status.out.find("good                    ok") != std::string::npos);
  CHECK(status.out.find("bad                     failing x") != std::string::npos);
  CHECK(status.out.find("HTTP 500") != std::string::npos);
  CHECK(status.out.find("later                   never fetched") != std::string::npos);
  CHECK(status.out.find("truces                  1") != std::string::npos);
}

json Replay(const std::string& endpoint, std::int64_t since) {
  zmq::context_t context;
  zmq::socket_t request(context, zmq::socket_type::req);
  request.set(zmq::sockopt::rcvtimeo, 5000);
  request.set(zmq::sockopt::linger, 0);
  request.connect(endpoint);
  request.send(zmq::buffer(json{{"since", since}}.dump()), zmq::send_flags::none);
  zmq::message_t reply;
  REQUIRE(request.recv(reply));
  return json::parse(reply.to_string());
}

TEST_CASE("the demo alerts on all three default threads, and tail --since 0 shows them") {
  TempDir dir;
  std::string bus = "ipc://" + dir.File("bus"), replay = "ipc://" + dir.File("replay");
  Process daemon(
      {"run", "--config", SourcePath("config/demo.toml"), "--publish", bus, "--replay", replay});
  std::set<std::string> threads;
  json alerts;
  REQUIRE(WaitUntil([&] {
    alerts = Replay(replay, 0)["alerts"];
    threads.clear();
    for (const json& alert : alerts) threads.insert(alert["thread"].get<std::string>());
    return threads.size() == 3;
  }));
  CHECK(threads == std::set<std::string>{"talks", "truces", "energy-strikes"});
  for (std::size_t i = 0; i < alerts.size(); ++i) CHECK(alerts[i]["seq"] == i + 1);

  Completed tail = RunNewsmon(
      {"tail", "--endpoint", bus, "--replay-endpoint", replay, "--since", "0", "--count", "3"});
  CHECK(tail.status == 0);
  CHECK(tail.out.find("#1  [") != std::string::npos);
  CHECK(tail.out.find("#3  [") != std::string::npos);
  CHECK(tail.out.find("matched: ") != std::string::npos);
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(2s) == 0);
}

}  // namespace
}  // namespace newsmon::testing
