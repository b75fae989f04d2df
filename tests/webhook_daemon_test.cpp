// Webhooks through the real daemon: [[publish.webhook]] in the config, alerts POSTed
// from the outbox, a restart resuming where delivery stopped, a hanging receiver that
// delays nobody on the bus, and reload.
#include <catch2/catch.hpp>

#include "publishers/webhook.h"
#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"
#include "tests/support/webhook_receiver.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

const FeedEntry kWeather{"weather-1", "Sunny weekend ahead", "No rain expected."};
const FeedEntry kTruce{"truce-1", "Ceasefire agreed along the front", "The truce holds."};
const FeedEntry kViolation{"truce-2", "Truce violated overnight", "Shelling resumed."};

std::string WebhookToml(const std::string& url) {
  return "\n[[publish.webhook]]\nname = \"desk\"\nurl = \"" + url +
         "\"\nsecret = \"s3cret\"\nthreads = [\"truces\"]\n";
}

// The test config plus one webhook; the [[publish.webhook]] table must follow [publish]
// and precede [[feed]], so it goes in right before the first feed.
Config WebhookConfig(const TempDir& dir, const std::string& feed_url, const std::string& hook) {
  WriteTrucesThread(dir);
  std::string toml = TestConfigToml(dir, {{"wire", feed_url}});
  toml.insert(toml.find("\n[[feed]]"), WebhookToml(hook));
  auto config = LoadConfig(dir.Write("newsmon.toml", toml));
  REQUIRE(config.ok());
  return std::move(config).value();
}

bool WaitForSeqs(const WebhookReceiver& receiver, std::size_t count) {
  return WaitUntil([&] { return receiver.RequestCount() >= count; }, 10s);
}

TEST_CASE("the daemon posts each new alert to its webhook, signed, and resumes after a restart",
          "[webhook][daemon]") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  WebhookReceiver receiver;
  server.Serve("/wire.xml", FeedResource({kWeather, kTruce}));
  // Like Slack's, this URL's path is its credential: it must never reach the log.
  Config config = WebhookConfig(dir, server.Url("/wire.xml"), receiver.Url("/hooks/T0KEN"));

  auto daemon = std::make_unique<DaemonRunner>(config);
  REQUIRE(WaitForSeqs(receiver, 1));
  WebhookRequest first = receiver.Requests().front();
  CHECK(first.Seq() == 1);
  CHECK(first.Header("x-newsmon-topic") == "alert.truces");
  CHECK(first.Header("x-newsmon-signature-256") ==
        "sha256=" + WebhookSignature("s3cret", first.body));
  auto body = nlohmann::json::parse(first.body);
  CHECK(body["seq"] == 1);
  CHECK(body["item"]["id"] == "truce-1");

  // The next alert is stored while the receiver fails, and the daemon stops before it
  // could deliver it: the restarted daemon must still post it, once.
  WebhookReply failure;
  failure.status = 500;
  receiver.Script(std::vector<WebhookReply>(100, failure));
  server.Serve("/wire.xml", FeedResource({kWeather, kTruce, kViolation}));
  REQUIRE(WaitUntil([&] { return receiver.Seqs().back() == 2; }, 10s));
  CHECK(log.WaitFor("webhook 'desk' (" + receiver.Url("") + "): failing: HTTP 500"));
  daemon.reset();
  receiver.Script({});
  daemon = std::make_unique<DaemonRunner>(config);
  REQUIRE(WaitUntil([&] { return receiver.Requests().back().status == 200; }, 10s));
  std::vector<std::int64_t> delivered;
  for (const WebhookRequest& request : receiver.Requests()) {
    if (request.status == 200) delivered.push_back(request.Seq());
  }
  CHECK(delivered == std::vector<std::int64_t>{1, 2});
  // The receiver answers before the daemon stores its mark: wait for the mark.
  CHECK(WaitUntil(
      [&] {
        Completed status = RunNewsmon({"status", "--config", config.path});
        return status.out.find("desk                    #2                0\n") !=
               std::string::npos;
      },
      10s));
  for (const std::string& line : log.Lines()) CHECK(line.find("T0KEN") == std::string::npos);
}

TEST_CASE("a hanging webhook receiver delays neither the bus nor the next feeds",
          "[webhook][daemon]") {
  TempDir dir;
  FeedServer server;
  WebhookReceiver receiver;
  WebhookReply hang;
  hang.hang = true;
  receiver.Script({hang});
  server.Serve("/wire.xml", FeedResource({kWeather}));
  Config config = WebhookConfig(dir, server.Url("/wire.xml"), receiver.Url());
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner daemon(config);
  REQUIRE(subscriber.WaitConnected());

  server.Serve("/wire.xml", FeedResource({kWeather, kTruce}));
  REQUIRE(WaitForSeqs(receiver, 1));  // the POST is hanging from here on
  REQUIRE(subscriber.ReceiveTopic("alert.", 5s));
  server.Serve("/wire.xml", FeedResource({kWeather, kTruce, kViolation}));
  auto second = subscriber.ReceiveTopic("alert.", 5s);
  REQUIRE(second);
  CHECK(second->body["seq"] == 2);
  CHECK(receiver.RequestCount() == 1);

  receiver.Release();
  // The hung request times out or completes; either way both alerts arrive, in order.
  REQUIRE(WaitUntil([&] { return !receiver.Seqs().empty() && receiver.Seqs().back() == 2; }, 30s));
  CHECK(receiver.Seqs().front() == 1);
}

TEST_CASE("a webhook added by a reload gets the alerts stored after it", "[webhook][daemon]") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  WebhookReceiver receiver;
  server.Serve("/wire.xml", FeedResource({}));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner daemon(config);
  REQUIRE(subscriber.WaitConnected());
  server.Serve("/wire.xml", FeedResource({kTruce}));
  REQUIRE(subscriber.ReceiveTopic("alert.", 10s));

  WebhookConfig(dir, server.Url("/wire.xml"), receiver.Url());  // rewrites newsmon.toml
  daemon.Reload();
  REQUIRE(log.WaitFor("webhook 'desk' posts truces alerts to 127.0.0.1"));
  server.Serve("/wire.xml", FeedResource({kTruce, kViolation}));
  REQUIRE(WaitForSeqs(receiver, 1));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{2});
}

TEST_CASE("webhook settings that cannot work are config errors with their line",
          "[webhook][config]") {
  TempDir dir;
  WriteTrucesThread(dir);
  auto errors_of = [&](const std::string& webhook) {
    std::string toml = TestConfigToml(dir, {});
    return LoadConfig(dir.Write("bad.toml", toml + webhook)).status().message();
  };
  const std::string file = dir.File("bad.toml");
  CHECK(errors_of("\n[[publish.webhook]]\nurl = \"https://hooks.example.org/x\"\n") ==
        file + ":13: [[publish.webhook]] needs a 'name' (it keys what was delivered)");
  CHECK(errors_of("\n[[publish.webhook]]\nname = \"ops\"\nurl = \"ftp://example.org\"\n") ==
        file + ":13: [[publish.webhook]] needs a 'url' starting with http:// or https://");
  CHECK(errors_of("\n[[publish.webhook]]\nname = \"ops\"\nurl = \"https://example.org\"\n"
                  "threads = [\"truce\"]\n") ==
        file + ":13: webhook 'ops': no thread has the id 'truce'");
}

}  // namespace
}  // namespace newsmon::testing
