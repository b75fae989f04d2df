// `newsmon run --once`, as cron would run it: every feed fetched once, what they bring stored,
// published and posted to webhooks, then exit 0; a second run finds nothing new.
#include <catch2/catch.hpp>

#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("run --once fetches every feed once, publishes and posts what they bring, and exits") {
  TempDir dir;
  FeedServer server;
  WebhookReceiver receiver;
  server.Serve("/a.xml", FeedResource({{"a1", "Ceasefire agreed in the south", ""}}, "\"a\""));
  server.Serve("/b.xml",
               FeedResource({{"b1", "Truce collapses after shelling of Kherson", ""}}, "\"b\""));
  const std::string webhook =
      "\n[[publish.webhook]]\nname = \"desk\"\nurl = \"" + receiver.Url() + "\"\n";
  Config config =
      TestConfig(dir, {{"a", server.Url("/a.xml")}, {"b", server.Url("/b.xml")}}, webhook);

  Process first({"run", "--config", config.path, "--once"});
  REQUIRE(first.Wait(20s) == 0);
  CHECK(server.HitCount("/a.xml") >= 1);
  CHECK(server.HitCount("/b.xml") >= 1);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 2);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts WHERE sent_at IS NULL") == 0);
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 2});

  Process second({"run", "--config", config.path, "--once"});
  REQUIRE(second.Wait(20s) == 0);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 2);
  CHECK(receiver.RequestCount() == 2);
}

}  // namespace
}  // namespace newsmon::testing
