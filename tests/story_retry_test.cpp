// A feed whose commit failed (the database busy) is fetched again, and its items must come
// out as they would have the first time: the clusterer has already placed them, and placing
// them again would find each one's own copy.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "bench/labelled_inputs.h"
#include "bench/xml_text.h"
#include "classifiers/stories.h"
#include "daemon/pipeline.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kT0 = 1'767'250'000;

struct Report {
  std::string guid, title, summary, link;
};

const Report kStrike{"a1", "Russian drones hit Kyiv power plant, cutting electricity to thousands",
                     "A thermal power plant in Kyiv was hit by Russian drones overnight.",
                     "https://a.example/1"};
// The same outlet's own follow-up: close enough to join the story, not a copy of its report.
const Report kFollowUp{"a2",
                       "Kyiv power plant hit by drones: repairs to take weeks, Ukrenergo says",
                       "Engineers at the thermal power plant in Kyiv began repairs after the "
                       "overnight drone attack; thousands remain without electricity.",
                       "https://a.example/2"};

FetchResponse Fetch(const std::vector<Report>& reports) {
  std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>";
  for (const Report& r : reports) {
    xml += "<item><guid>" + r.guid + "</guid><title>" + bench::XmlText(r.title) + "</title><link>" +
           r.link + "</link><description>" + bench::XmlText(r.summary) + "</description></item>";
  }
  FetchResponse response;
  response.feed = "outlet";
  response.url = response.effective_url = "https://a.example/feed";
  response.http_status = 200;
  response.body = xml + "</channel></rss>";
  response.content_type = "application/rss+xml";
  return response;
}

std::vector<std::string> AlertKinds(Store& store) {
  std::vector<std::string> kinds;
  auto alerts = store.AlertsAfter(0, 100, "");
  REQUIRE(alerts.ok());
  for (const OutboxEntry& alert : *alerts) {
    kinds.push_back(nlohmann::json::parse(alert.body).value("kind", ""));
  }
  return kinds;
}

// `busy_once`: the second fetch's commit fails once, as when another process holds the
// database's write lock, and the feed is fetched again a minute later; `then_unavailable`: that
// next poll fails (a 503), and the items come with the one after.
std::vector<std::string> FollowUpAlerts(bool busy_once, bool then_unavailable = false) {
  TempDir dir;
  const std::string path = dir.File("newsmon.db");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  auto classifier = bench::LoadClassifier(bench::DefaultThreadFiles());
  REQUIRE(classifier.ok());
  Pipeline pipeline(**store, *classifier);
  REQUIRE(pipeline.TrackStories(StoryClusterer::Create(), {}, kT0, 36h).ok());
  REQUIRE(pipeline.Ingest(Fetch({kStrike}), "u", kT0).status.ok());
  // Past the update window (600 s), so the follow-up's update goes out at once.
  std::int64_t now = kT0 + 900;
  if (busy_once) {
    auto blocker = sqlite::Database::Open(path);
    REQUIRE(blocker.ok());
    REQUIRE(blocker->Exec("BEGIN IMMEDIATE").ok());
    IngestReport refused = pipeline.Ingest(Fetch({kStrike, kFollowUp}), "u", now);
    REQUIRE(refused.status.code() == StatusCode::kBusy);
    now += 60;
  }  // the blocker's connection closes, and its transaction with it
  if (then_unavailable) {
    FetchResponse unavailable = Fetch({});
    unavailable.http_status = 503;
    unavailable.status = Status::Error("HTTP 503");
    REQUIRE_FALSE(pipeline.Ingest(unavailable, "u", now).status.ok());
    now += 60;
  }
  REQUIRE(pipeline.Ingest(Fetch({kStrike, kFollowUp}), "u", now).status.ok());
  return AlertKinds(**store);
}

TEST_CASE("a feed stored after a busy database alerts as it would have the first time") {
  // The premise: the follow-up, stored at once, is an update of the story.
  REQUIRE(FollowUpAlerts(false) == std::vector<std::string>{"new", "update"});
  // Placed a second time it met its own unstored copy (similarity 1) and counted as a near
  // copy of its outlet's report: no update.
  CHECK(FollowUpAlerts(true) == std::vector<std::string>{"new", "update"});
  // A failed poll in between stores the feed's state, and must not forget them.
  CHECK(FollowUpAlerts(true, true) == std::vector<std::string>{"new", "update"});
}

}  // namespace
}  // namespace newsmon::testing
