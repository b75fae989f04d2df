// Chat and push services' shapes of an alert: six sinks of one daemon, one per format, post
// one alert to a loopback receiver, which checks what each received, byte for byte where the
// service reads text and value for value where it reads JSON. Feed text that is markup in a
// service (<, &, *, @everyone) arrives as text.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "publishers/webhook_formats.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string Sink(const std::string& format, const WebhookReceiver& receiver,
                 const std::string& extra = "") {
  return "\n[[publish.webhook]]\nname = \"" + format + "\"\nformat = \"" + format + "\"\nurl = \"" +
         receiver.Url("/" + format) + "\"\n" + extra;
}

const WebhookRequest* RequestTo(const std::vector<WebhookRequest>& requests,
                                const std::string& path) {
  for (const WebhookRequest& request : requests) {
    if (request.path == path) return &request;
  }
  return nullptr;
}

TEST_CASE("each chat and push format receives the alert in its service's shape") {
  TempDir dir;
  FeedServer server;
  WebhookReceiver receiver;
  // The title as the feed escapes it: Ceasefire: 2 < 3 & *signed* @everyone
  server.Serve("/wire.xml",
               FeedResource({{"a1", "Ceasefire: 2 &lt; 3 &amp; *signed* @everyone", ""}}));
  std::string sinks;
  for (const char* format : {"json", "slack", "discord", "teams", "ntfy"}) {
    sinks += Sink(format, receiver);
  }
  sinks += Sink("telegram", receiver, "chat_id = \"-100123\"\n");
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, sinks);
  DaemonRunner runner(config);

  std::vector<WebhookRequest> requests;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (receiver.RequestCount() < 6 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  requests = receiver.Requests();
  REQUIRE(requests.size() == 6);
  const std::string title = "Ceasefire: 2 < 3 & *signed* @everyone";
  const std::string link = "https://example.org/a1";

  const WebhookRequest* plain = RequestTo(requests, "/json");
  REQUIRE(plain);
  CHECK(plain->Header("content-type") == "application/json");
  CHECK(json::parse(plain->body)["item"]["title"] == title);

  const WebhookRequest* slack = RequestTo(requests, "/slack");
  REQUIRE(slack);
  CHECK(json::parse(slack->body) ==
        json{{"text", "*[truces]* <" + link +
                          "|Ceasefire: 2 &lt; 3 &amp; *signed* @everyone> (wire)\n"
                          "matched: ceasefire"}});

  const WebhookRequest* discord = RequestTo(requests, "/discord");
  REQUIRE(discord);
  CHECK(json::parse(discord->body) ==
        json{{"content", "**[truces]** [Ceasefire: 2 \\< 3 & \\*signed\\* \\@everyone](<" +
                             link + ">) (wire)\nmatched: ceasefire"},
             {"allowed_mentions", {{"parse", json::array()}}}});

  const WebhookRequest* teams = RequestTo(requests, "/teams");
  REQUIRE(teams);
  const json card = json::parse(teams->body);
  CHECK(card["@type"] == "MessageCard");
  CHECK(card["summary"] == "[truces] " + title);
  CHECK(card["title"] == "\\[truces\\] Ceasefire: 2 \\< 3 & \\*signed\\* \\@everyone");
  CHECK(card["text"] == "wire\nmatched: ceasefire");
  CHECK(card["potentialAction"][0]["targets"][0]["uri"] == link);

  const WebhookRequest* ntfy = RequestTo(requests, "/ntfy");
  REQUIRE(ntfy);
  CHECK(ntfy->Header("content-type") == "text/plain; charset=utf-8");
  CHECK(ntfy->body == title + " (wire)\nmatched: ceasefire");
  CHECK(ntfy->Header("x-title") == "newsmon [truces]");
  CHECK(ntfy->Header("x-click") == link);
  CHECK(ntfy->Header("x-tags") == "truces");

  const WebhookRequest* telegram = RequestTo(requests, "/telegram");
  REQUIRE(telegram);
  CHECK(json::parse(telegram->body) ==
        json{{"chat_id", "-100123"},
             {"text", "<b>[truces]</b> <a href=\"" + link +
                          "\">Ceasefire: 2 &lt; 3 &amp; *signed* @everyone</a> (wire)\n"
                          "matched: ceasefire"},
             {"parse_mode", "HTML"},
             {"disable_web_page_preview", true}});
}

TEST_CASE("a story update and a burst read as such in a chat message") {
  const std::string update = R"({"kind": "update", "thread": "power",
    "item": {"title": "Kyiv plant hit", "link": "https://e.org/1", "feed": "tv"},
    "matched": ["power plant"],
    "story": {"id": 4, "sources": ["wire", "tv"], "source_count": 2}})";
  CHECK(json::parse(FormatWebhookMessage(WebhookFormat::kSlack, update).body)["text"] ==
        "*[power]* Update: <https://e.org/1|Kyiv plant hit> (tv)\nmatched: power plant\n"
        "2 sources: wire, tv");
  const std::string burst = R"({"kind": "burst", "thread": "power",
    "burst": {"stories": 2}, "stories": [{"title": "Kyiv plant hit"}, {"title": "Lviv too"}]})";
  CHECK(FormatWebhookMessage(WebhookFormat::kNtfy, burst).body ==
        "Burst: 2 new stories\n• Kyiv plant hit\n• Lviv too");
  CHECK(FormatWebhookMessage(WebhookFormat::kTelegram, "not json").body == "not json");
}

}  // namespace
}  // namespace newsmon::testing
