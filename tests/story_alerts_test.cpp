// How stories turn matches into alerts, on the store alone with exact times: one `new` per
// story and thread, coalesced `update`s when sources join, items carried by their story, and
// revisions (store/store.h, docs/alerts.md).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "tests/support/fixtures.h"

namespace newsmon::testing {
namespace {

constexpr std::int64_t kT0 = 1795424400;
constexpr std::int64_t kWindow = 600;

class StoryStore {
 public:
  StoryStore() : store_(std::move(Store::Open(":memory:")).value()) {}

  // Item `id` of `feed`, in `story`, matching `thread` unless thread is empty.
  void Add(const std::string& feed, const std::string& id, std::int64_t story, std::int64_t at,
           const std::string& thread = "truces", double similarity = 0.3) {
    ClassifiedItem classified = MatchingItem(id, thread);
    classified.item.feed = feed;
    if (thread.empty()) classified.matches.clear();
    classified.story = story;
    classified.story_similarity = similarity;
    REQUIRE(store_->RecordFetch(Record(feed, at, {classified}, {})).ok());
  }

  // Item `id` of `feed` at `link`, which the clusterer found to be the story's first link.
  void AddCopy(const std::string& feed, const std::string& id, const std::string& link,
               std::int64_t story, std::int64_t at, const std::string& thread = "truces") {
    ClassifiedItem classified = MatchingItem(id, thread);
    classified.item.feed = feed;
    classified.item.link = link;
    if (thread.empty()) classified.matches.clear();
    classified.story = story;
    classified.story_similarity = 1.0;
    classified.story_same_link = true;
    REQUIRE(store_->RecordFetch(Record(feed, at, {classified}, {})).ok());
  }

  void Revise(const std::string& feed, const std::string& id, std::int64_t at,
              const std::string& title, std::vector<std::string> threads) {
    ClassifiedItem revised = MatchingItem(id, "truces");
    revised.item.feed = feed;
    revised.item.title = title;
    revised.matches.clear();
    for (const std::string& thread : threads) {
      revised.matches.push_back(MatchingItem(id, thread).matches.front());
    }
    REQUIRE(store_->RecordFetch(Record(feed, at, {}, {revised})).ok());
  }

  std::vector<nlohmann::json> Alerts() {
    std::vector<nlohmann::json> alerts;
    auto stored = store_->AlertsAfter(0, 1000, "");  // a range-for would not keep it alive
    REQUIRE(stored.ok());
    for (const OutboxEntry& entry : *stored) {
      alerts.push_back(nlohmann::json::parse(entry.body));
    }
    return alerts;
  }

  Store& store() { return *store_; }

 private:
  static FetchRecord Record(const std::string& feed, std::int64_t at,
                            std::vector<ClassifiedItem> fresh,
                            std::vector<ClassifiedItem> updated) {
    FetchRecord record;
    record.feed = feed;
    record.config_url = "https://example.org/" + feed;
    record.fetched_at = at;

    record.new_items = std::move(fresh);
    record.updated_items = std::move(updated);
    record.story_rules = {kWindow, {"truces"}};
    return record;
  }

  std::unique_ptr<Store> store_;
};

TEST_CASE("an update names the first fifty sources to join in their order and counts them all") {
  StoryStore s;
  std::vector<std::string> joined;
  for (int i = 0; i < 60; ++i) {
    // Named against the order they join, so that neither names nor rows can stand in for it.
    std::string feed = "outlet-" + std::to_string(100 - i);
    s.Add(feed, "item-" + std::to_string(i), 1, kT0 + i);
    joined.push_back(std::move(feed));
  }
  REQUIRE(s.store().FlushStoryUpdates(kT0 + kWindow, kWindow)->size() == 1);
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[1]["story"]["source_count"] == 60);
  CHECK(alerts[1]["story"]["sources"] ==
        nlohmann::json(std::vector<std::string>(joined.begin(), joined.begin() + 50)));
}

TEST_CASE("a story alerts once as new, then at most one update per window as sources join") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0);
  s.Add("bbc", "b", 1, kT0 + 60);
  s.Add("dw", "c", 1, kT0 + 120);
  s.Add("wire", "a2", 1, kT0 + 150, "truces", 0.9);  // a near copy of its own outlet's item
  s.Add("rfi", "d", 1, kT0 + 180);
  REQUIRE(s.Alerts().size() == 1);
  CHECK(s.Alerts()[0]["kind"] == "new");
  CHECK(s.Alerts()[0]["story"]["id"] == 1);
  CHECK(s.Alerts()[0]["story"]["sources"] == nlohmann::json{"wire"});

  CHECK(*s.store().NextStoryUpdateDue(kWindow) == kT0 + kWindow);
  REQUIRE(s.store().FlushStoryUpdates(kT0 + kWindow - 1, kWindow)->empty());
  auto flushed = s.store().FlushStoryUpdates(kT0 + kWindow, kWindow);
  REQUIRE(flushed->size() == 1);
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[1]["kind"] == "update");
  CHECK(alerts[1]["seq"] == 2);
  CHECK(alerts[1]["item"]["id"] == "d");  // the newest item that joined
  CHECK(alerts[1]["story"]["sources"] == nlohmann::json{"wire", "bbc", "dw", "rfi"});
  CHECK(alerts[1]["story"]["source_count"] == 4);
  CHECK(alerts[1]["story"]["first_seen"] == "2026-11-23T09:00:00Z");
  CHECK_FALSE(s.store().NextStoryUpdateDue(kWindow)->has_value());

  SECTION("a source joining a window after the last alert updates at once") {
    s.Add("ap", "e", 1, kT0 + 2 * kWindow);
    REQUIRE(s.Alerts().size() == 3);
    CHECK(s.Alerts()[2]["kind"] == "update");
    CHECK(s.Alerts()[2]["story"]["source_count"] == 5);
  }
  SECTION("a near copy of an outlet's own item never updates") {
    s.Add("wire", "a3", 1, kT0 + 2 * kWindow, "truces", kNearCopy);
    CHECK(s.Alerts().size() == 2);
  }
  SECTION("a further report of an outlet already in the story is an update too") {
    s.Add("wire", "a4", 1, kT0 + 2 * kWindow, "truces", 0.5);
    REQUIRE(s.Alerts().size() == 3);
    CHECK(s.Alerts()[2]["kind"] == "update");
    CHECK(s.Alerts()[2]["item"]["id"] == "a4");
    CHECK(s.Alerts()[2]["story"]["source_count"] == 4);
  }
  SECTION("a source joining within the window waits for it") {
    s.Add("ap", "e", 1, kT0 + kWindow + 100);
    CHECK(s.Alerts().size() == 2);
    CHECK(*s.store().NextStoryUpdateDue(kWindow) == kT0 + 2 * kWindow);
  }
}

// The clock ran a year ahead when the story first alerted, then was put back: its last alert
// is "in the future", so every source joining waited for a window that would not come for a
// year (found by review).
TEST_CASE("a story whose last alert a clock put ahead still updates, now") {
  StoryStore s;
  const std::int64_t ahead = kT0 + 365 * 86'400;
  s.Add("wire", "a", 1, ahead);
  REQUIRE(s.Alerts().size() == 1);
  s.Add("bbc", "b", 1, kT0);  // the clock is right again: a new source, an update at once
  REQUIRE(s.Alerts().size() == 2);
  CHECK(s.Alerts()[1]["kind"] == "update");
  SECTION("an update already waiting goes out at the next flush") {
    StoryStore t;
    t.Add("wire", "a", 1, ahead);
    t.Add("bbc", "b", 1, ahead + 60);  // within the window, then: it waits
    REQUIRE(t.Alerts().size() == 1);
    auto flushed = t.store().FlushStoryUpdates(kT0, kWindow);
    REQUIRE(flushed.ok());
    CHECK(flushed->size() == 1);
  }
}

TEST_CASE("two stories and two threads each have their own new alert") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0);
  s.Add("wire", "b", 2, kT0 + 10);
  s.Add("bbc", "c", 1, kT0 + 20, "talks");  // story 1 enters another thread
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 3);
  for (const auto& alert : alerts) CHECK(alert["kind"] == "new");
  CHECK(alerts[0]["story"]["id"] == 1);
  CHECK(alerts[1]["story"]["id"] == 2);
  CHECK(alerts[2]["thread"] == "talks");
  CHECK(alerts[2]["story"]["source_count"] == 2);
}

TEST_CASE("an item without words of its own joins a followed thread through its story") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0);
  s.Add("bbc", "arrive", 1, kT0 + 700, /*thread=*/"");
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[1]["kind"] == "update");
  CHECK(alerts[1]["thread"] == "truces");
  CHECK(alerts[1]["item"]["id"] == "arrive");
  CHECK(alerts[1]["via_story"] == 1);
  CHECK(alerts[1]["matched"].empty());

  SECTION("but not a thread that does not follow stories") {
    s.Add("wire", "t", 3, kT0, "talks");
    s.Add("bbc", "t2", 3, kT0 + 700, "");
    CHECK(s.Alerts().size() == 3);  // talks is not in the followed threads
  }
}

TEST_CASE("a changed item is kept as a revision and alerts only for a thread it gains") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0);
  s.Revise("wire", "a", kT0 + 300, "Ceasefire agreed (corrected)", {"truces"});
  CHECK(s.Alerts().size() == 1);
  auto revisions = s.store().Revisions("wire", "a");
  REQUIRE(revisions->size() == 1);
  CHECK(revisions->at(0).title == "Title a");

  s.Revise("wire", "a", kT0 + 400, "Ceasefire talks agreed", {"truces", "talks"});
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[1]["kind"] == "update");
  CHECK(alerts[1]["thread"] == "talks");
  CHECK(alerts[1]["item"]["title"] == "Ceasefire talks agreed");
  CHECK(alerts[1]["story"]["id"] == 1);
  CHECK(s.store().Revisions("wire", "a")->size() == 2);
}

TEST_CASE(
    "a story that first matches late names the sources and first sight of its earlier items") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0, /*thread=*/"");
  s.Add("bbc", "b", 1, kT0 + 60, "");
  s.Add("wire", "a2", 1, kT0 + 90, "");
  s.Add("dw", "c", 1, kT0 + 120);
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["kind"] == "new");
  CHECK(alerts[0]["item"]["id"] == "c");
  CHECK(alerts[0]["story"]["sources"] == nlohmann::json{"wire", "bbc", "dw"});
  CHECK(alerts[0]["story"]["source_count"] == 3);
  CHECK(alerts[0]["story"]["first_seen"] == "2026-11-23T09:00:00Z");

  SECTION("and a later source within the window is one coalesced update") {
    s.Add("rfi", "d", 1, kT0 + 200, "");  // no match of its own: no alert
    s.Add("ap", "e", 1, kT0 + 300);
    CHECK(s.Alerts().size() == 1);
    REQUIRE(s.store().FlushStoryUpdates(kT0 + 120 + kWindow, kWindow)->size() == 1);
    CHECK(s.Alerts()[1]["kind"] == "update");
    CHECK(s.Alerts()[1]["story"]["sources"] == nlohmann::json{"wire", "bbc", "dw", "rfi", "ap"});
  }
}

TEST_CASE("an article carried by a second feed of its outlet is no new source") {
  StoryStore s;
  s.Add("bbc-world", "a", 1, kT0);
  s.AddCopy("bbc-europe", "a-eu", "https://example.org/a", 1, kT0 + 60);
  CHECK(s.Alerts().size() == 1);
  CHECK_FALSE(s.store().NextStoryUpdateDue(kWindow)->has_value());
  s.Add("dw", "c", 1, kT0 + 2 * kWindow);
  REQUIRE(s.Alerts().size() == 2);
  CHECK(s.Alerts()[1]["story"]["sources"] == nlohmann::json{"bbc-world", "dw"});
}

// The story's rows are written only when it first matters, from its stored items: the copy
// is then told by its link, as the clusterer told it.
TEST_CASE("a copy stored before its story mattered is no source later either") {
  StoryStore s;
  s.Add("bbc-world", "a", 1, kT0, /*thread=*/"");
  s.AddCopy("bbc-europe", "a-eu", "http://www.example.org/a/?at_medium=RSS", 1, kT0 + 60, "");
  s.Add("dw", "c", 1, kT0 + 120);
  REQUIRE(s.Alerts().size() == 1);
  CHECK(s.Alerts()[0]["story"]["sources"] == nlohmann::json{"bbc-world", "dw"});
  CHECK(s.Alerts()[0]["story"]["source_count"] == 2);
}

TEST_CASE("a revision that makes a quiet story's item match names the story's sources") {
  StoryStore s;
  s.Add("wire", "a", 4, kT0, /*thread=*/"");
  s.Add("bbc", "b", 4, kT0 + 60, "");
  s.Revise("wire", "a", kT0 + 300, "Ceasefire agreed", {"truces"});
  auto alerts = s.Alerts();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["kind"] == "update");
  CHECK(alerts[0]["story"]["id"] == 4);
  CHECK(alerts[0]["story"]["sources"] == nlohmann::json{"wire", "bbc"});
  CHECK(alerts[0]["story"]["first_seen"] == "2026-11-23T09:00:00Z");
}

TEST_CASE("stories and revisions are pruned with their items' text") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0);
  s.Revise("wire", "a", kT0 + 10, "Corrected", {"truces"});
  REQUIRE(s.store().PruneItemsBefore(kT0 + 100, 500).ok());
  CHECK(s.store().Revisions("wire", "a")->empty());
  int restored = 0;
  REQUIRE(s.store().ForEachStoryItemSince(0, 10, [&](const StoredStoryItem&) { ++restored; }).ok());
  CHECK(restored == 0);
  CHECK(s.Alerts().size() == 1);  // alerts keep their JSON
}

// The stories a burst alert names, by id: a story no longer stored is left out.
std::vector<std::int64_t> NamedInBurst(Store& store, std::int64_t story) {
  BurstAlert burst;
  burst.thread = "truces";
  auto seq = store.InsertBurstAlert(burst, {story});
  REQUIRE(seq.ok());
  auto stored = store.AlertsAfter(*seq - 1, 1, "");
  REQUIRE(stored.ok());
  const nlohmann::json body = nlohmann::json::parse(stored->at(0).body);
  std::vector<std::int64_t> ids;
  for (const auto& named : body["stories"]) {
    ids.push_back(named["id"].get<std::int64_t>());
  }
  return ids;
}

TEST_CASE("a story's rows stay until its last item is pruned") {
  StoryStore s;
  s.Add("wire", "a", 1, kT0);
  s.Add("bbc", "b", 1, kT0 + 200);
  REQUIRE(s.store().PruneItemsBefore(kT0 + 100, 500).ok());
  CHECK(NamedInBurst(s.store(), 1) == std::vector<std::int64_t>{1});
  REQUIRE(s.store().PruneItemsBefore(kT0 + 300, 500).ok());
  CHECK(NamedInBurst(s.store(), 1).empty());
}

}  // namespace
}  // namespace newsmon::testing
