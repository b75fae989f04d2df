#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <limits>

#include "store/sqlite.h"
#include "store/store.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

FetchRecord Fetched(std::vector<ClassifiedItem> items, std::string etag = "\"e\"") {
  FetchRecord record;
  record.feed = "wire";
  record.config_url = "https://example.org/feed";
  record.fetched_at = 1795424500;
  record.status = Status::Ok();
  record.validators = {std::move(etag), "Mon, 23 Nov 2026 08:00:00 GMT"};
  record.new_items = std::move(items);
  return record;
}

int UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  sqlite3_step(stmt);
  int version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

TEST_CASE("a new database gets the current schema in WAL mode") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  CHECK(UserVersion(dir.File("n.db")) == 11);
  CHECK(std::filesystem::exists(dir.File("n.db-wal")));
}

TEST_CASE("a read transaction inside a write transaction leaves the write to its owner") {
  TempDir dir;
  auto db = sqlite::Database::Open(dir.File("plain.db"));
  REQUIRE(db.ok());
  REQUIRE(db->Exec("CREATE TABLE t(x INTEGER)").ok());
  auto count = [&] {
    auto stmt = db->Prepare("SELECT count(*) FROM t");
    REQUIRE(stmt.ok());
    REQUIRE(stmt->Step());
    return stmt->ColumnInt(0);
  };
  {
    sqlite::Transaction write(*db);
    REQUIRE(write.begin_status().ok());
    REQUIRE(db->Exec("INSERT INTO t VALUES (1)").ok());
    {
      sqlite::ReadTransaction read(*db);
      CHECK(count() == 1);
    }
    // Not committed by the read's end: the write's owner rolls it back.
  }
  CHECK(count() == 0);
  {
    sqlite::ReadTransaction read(*db);
    CHECK(count() == 0);
  }
  REQUIRE(db->Exec("INSERT INTO t VALUES (2)").ok());  // no transaction left open
  CHECK(count() == 1);
}

TEST_CASE("alert seqs are gapless across reopening, and stored items never alert twice") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    auto seqs =
        (*store)->RecordFetch(Fetched({MatchingItem("a", "truces"), MatchingItem("b", "talks")}));
    REQUIRE(seqs.ok());
    CHECK(*seqs == std::vector<std::int64_t>{1, 2});
  }
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  auto known = (*store)->KnownItemIds("wire", {"a", "b", "c"});
  REQUIRE(known.ok());
  CHECK(known->size() == 2);
  CHECK(known->at("a") == ContentHash(MatchingItem("a", "truces").item));
  CHECK(known->count("b") == 1);

  auto seqs =
      (*store)->RecordFetch(Fetched({MatchingItem("a", "truces"), MatchingItem("c", "truces")}));
  REQUIRE(seqs.ok());
  CHECK(*seqs == std::vector<std::int64_t>{3});
  CHECK(*(*store)->LastSeq() == 3);
}

TEST_CASE("the outbox holds the alert JSON until it is marked sent") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  REQUIRE((*store)
              ->RecordFetch(Fetched({MatchingItem("a", "truces"), MatchingItem("b", "truces")}))
              .ok());
  auto unsent = (*store)->UnsentAlerts(10);
  REQUIRE(unsent.ok());
  REQUIRE(unsent->size() == 2);
  CHECK((*unsent)[0].topic == "alert.truces");
  auto body = nlohmann::json::parse((*unsent)[0].body);
  CHECK(body["seq"] == 1);
  CHECK(body["item"]["id"] == "a");
  CHECK(body["item"]["published"] == "2026-11-23T09:00:00Z");
  CHECK(body["matched"] == nlohmann::json::array({"ceasefire"}));
  CHECK(body["evidence"][0]["field"] == "title");

  REQUIRE((*store)->MarkSent(1, 1795424600).ok());
  unsent = (*store)->UnsentAlerts(10);
  REQUIRE(unsent->size() == 1);
  CHECK((*unsent)[0].seq == 2);
  auto after = (*store)->AlertsAfter(0, 10, "truces");
  REQUIRE(after.ok());
  CHECK(after->size() == 2);
  CHECK((*store)->AlertsAfter(0, 10, "talks")->empty());
}

TEST_CASE("validators survive a failed fetch and are replaced by a successful one") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  REQUIRE((*store)->RecordFetch(Fetched({}, "\"one\"")).ok());
  FetchRecord failed = Fetched({}, "");
  failed.status = Status::Error("HTTP 500");
  REQUIRE((*store)->RecordFetch(failed).ok());
  CHECK((*store)->FetchState("wire")->validators.etag == "\"one\"");
  auto feeds = (*store)->Feeds();
  REQUIRE(feeds->size() == 1);
  CHECK((*feeds)[0].last_error == "HTTP 500");
  CHECK((*feeds)[0].consecutive_failures == 1);

  REQUIRE((*store)->RecordFetch(Fetched({}, "\"two\"")).ok());
  CHECK((*store)->FetchState("wire")->validators.etag == "\"two\"");
  CHECK((*store)->Feeds()->at(0).consecutive_failures == 0);
}

TEST_CASE("a new config URL starts without the old one's validators and failures") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  REQUIRE((*store)->RecordFetch(Fetched({}, "\"one\"")).ok());
  FetchRecord failed = Fetched({}, "");
  failed.status = Status::Error("HTTP 500");
  for (int i = 0; i < 3; ++i) REQUIRE((*store)->RecordFetch(failed).ok());
  REQUIRE((*store)->FetchState("wire")->consecutive_failures == 3);

  failed.config_url = "https://example.com/edited";
  REQUIRE((*store)->RecordFetch(failed).ok());
  auto state = (*store)->FetchState("wire");
  CHECK(state->consecutive_failures == 1);  // the new URL's first failure, not the fourth
  CHECK(state->validators.etag.empty());
  CHECK(state->validators.last_modified.empty());
  REQUIRE((*store)->RecordNextDue("wire", 1795428100).ok());
  CHECK((*store)->FetchState("wire")->next_due == 1795428100);
}

TEST_CASE("a permanent move is remembered until the config names another URL") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  FetchRecord moved = Fetched({});
  moved.moved_to = "https://example.org/new-feed";
  REQUIRE((*store)->RecordFetch(moved).ok());
  CHECK((*store)->FetchState("wire")->url == "https://example.org/new-feed");
  REQUIRE((*store)->RecordFetch(Fetched({})).ok());
  CHECK((*store)->FetchState("wire")->url == "https://example.org/new-feed");

  FetchRecord edited = Fetched({});
  edited.config_url = "https://example.com/edited";
  REQUIRE((*store)->RecordFetch(edited).ok());
  CHECK((*store)->FetchState("wire")->url == "https://example.com/edited");
  CHECK((*store)->FetchState("never-fetched")->url.empty());
}

TEST_CASE("a gone feed is recorded as disabled, with when its state changed") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  REQUIRE((*store)->RecordFetch(Fetched({})).ok());
  CHECK_FALSE((*store)->FetchState("wire")->disabled);  // '' in the column
  CHECK_FALSE((*store)->Feeds()->at(0).disabled);
  FetchRecord gone = Fetched({});
  gone.status = Status::Error("HTTP 410");
  gone.disabled = Disabled::Because("the server says the feed is gone (HTTP 410)");
  gone.fetched_at += 60;
  REQUIRE((*store)->RecordFetch(gone).ok());
  CHECK((*store)->FetchState("wire")->disabled == gone.disabled);
  FeedStatus status = (*store)->Feeds()->at(0);
  CHECK(status.disabled == gone.disabled);
  CHECK(status.state_since == gone.fetched_at);
}

TEST_CASE("retention forgets old items' text and matches, keeps alerts, and never re-alerts") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  FetchRecord old = Fetched({MatchingItem("old-1", "truces"), MatchingItem("old-2", "truces")});
  old.fetched_at = 1000;
  std::int64_t story = 0;
  for (ClassifiedItem& item : old.new_items) {
    item.story = ++story;
    item.story_words = "ATtruce\x1f";  // the stems of its title: its text too
  }
  REQUIRE((*store)->RecordFetch(old).ok());
  REQUIRE((*store)->RecordFetch(Fetched({MatchingItem("new", "truces")})).ok());

  auto pruned = (*store)->PruneItemsBefore(2000, 1);
  REQUIRE(pruned.ok());
  CHECK(*pruned == 1);
  CHECK(*(*store)->PruneItemsBefore(2000, 100) == 1);
  CHECK(*(*store)->PruneItemsBefore(2000, 100) == 0);
  CHECK((*store)->ItemsFetchedSince(0, 10)->size() == 1);
  CHECK((*store)->AlertsAfter(0, 10, "")->size() == 3);
  CHECK((*store)->KnownItemIds("wire", {"old-1"})->count("old-1") == 1);
  CHECK(*(*store)->SizeBytes() > 0);
  CHECK(CountRows(dir.File("n.db"), "SELECT COUNT(*) FROM items WHERE story_words IS NOT NULL") ==
        0);
}

TEST_CASE("alert counts per thread since a time") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  REQUIRE((*store)
              ->RecordFetch(Fetched({MatchingItem("a", "truces"), MatchingItem("b", "talks"),
                                     MatchingItem("c", "truces")}))
              .ok());
  auto counts = (*store)->AlertCountsSince(0);
  REQUIRE(counts.ok());
  CHECK(*counts == std::vector<std::pair<std::string, std::int64_t>>{{"talks", 1}, {"truces", 2}});
  CHECK((*store)->AlertCountsSince(1795424501)->empty());
}

TEST_CASE("a database from a newer newsmon or a file that is no database is refused") {
  TempDir dir;
  std::string newer = dir.File("newer.db");
  {
    sqlite3* db = nullptr;
    sqlite3_open(newer.c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto store = Store::Open(newer);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message() ==
        "database '" + newer +
            "': database schema version 99 is newer than this newsmon understands (11); "
            "upgrade newsmon");

  std::string junk = dir.Write("junk.db", std::string(4096, 'x'));
  auto refused = Store::Open(junk);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find(junk) != std::string::npos);
}

TEST_CASE("webhook cursors are kept per sink and survive reopening") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    auto unset = (*store)->WebhookCursor("ops");
    REQUIRE(unset.ok());
    CHECK_FALSE(unset->has_value());
    REQUIRE((*store)->SetWebhookCursor("ops", 0).ok());
    REQUIRE((*store)->SetWebhookCursor("ops", 7).ok());
    REQUIRE((*store)->SetWebhookCursor("https://hooks.example.org/x", 3).ok());
  }
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK((*store)->WebhookCursor("ops")->value() == 7);
  CHECK((*store)->WebhookCursor("https://hooks.example.org/x")->value() == 3);
  CHECK_FALSE((*store)->WebhookCursor("other")->has_value());
}

// Undoes schema 10 (item identities) by hand; every older schema lacks it too.
const std::string kBackToSchema9 =
    std::string(kBackToSchema10) + "ALTER TABLE feeds DROP COLUMN item_identities; ";

// Undoes schemas 10 to 5 (stories) by hand, leaving what newsmon before stories wrote.
const std::string kBackToSchema4 =
    kBackToSchema9 +
    "ALTER TABLE items DROP COLUMN story_words; DROP INDEX items_story; DROP TABLE "
    "database_identity; DROP TABLE story_threads; DROP TABLE story_sources; "
    "DROP TABLE stories; DROP TABLE item_revisions; "
    "ALTER TABLE items DROP COLUMN story; ALTER TABLE matches DROP COLUMN threshold; "
    "ALTER TABLE matches DROP COLUMN via_story; ALTER TABLE alerts DROP COLUMN kind; "
    "ALTER TABLE alerts DROP COLUMN story; PRAGMA user_version = 4";

void ExecOn(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  INFO(message);
  REQUIRE(rc == SQLITE_OK);
}

TEST_CASE("a schema 4 database gains stories, and its items and alerts stay as they were") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->RecordFetch(Fetched({MatchingItem("a", "truces")})).ok());
  }
  ExecOn(path, kBackToSchema4);
  REQUIRE(UserVersion(path) == 4);
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(UserVersion(path) == 11);
  CHECK(*(*store)->LastSeq() == 1);
  CHECK(*(*store)->LastStoryId() == 0);
  ClassifiedItem joined = MatchingItem("b", "truces");
  joined.story = 1;
  REQUIRE((*store)->RecordFetch(Fetched({joined})).ok());
  auto alerts = (*store)->AlertsAfter(0, 10, "");
  REQUIRE(alerts->size() == 2);
  auto old = nlohmann::json::parse(alerts->at(0).body);
  auto fresh = nlohmann::json::parse(alerts->at(1).body);
  CHECK(old["story"].is_null());
  CHECK(fresh["story"]["id"] == 1);
  CHECK(fresh["kind"] == "new");
}

TEST_CASE("story ids of items that never alerted are not given out again after reopening") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    ClassifiedItem matched = MatchingItem("a", "truces");
    matched.story = 3;
    ClassifiedItem quiet = MatchingItem("b", "truces");
    quiet.matches.clear();
    quiet.story = 9;
    REQUIRE((*store)->RecordFetch(Fetched({matched, quiet})).ok());
  }
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(*(*store)->LastStoryId() == 9);
}

// "story|title|words" per item a restart restores from, oldest first.
std::vector<std::string> StoryItems(Store& store) {
  std::vector<std::string> items;
  REQUIRE(store
              .ForEachStoryItemSince(0, 10,
                                     [&](const StoredStoryItem& item) {
                                       items.push_back(std::to_string(item.story) + "|" +
                                                       std::string(item.title) + "|" +
                                                       std::string(item.words));
                                     })
              .ok());
  return items;
}

// A restart restores at most a limit of items; past it, the stories an editor is watching now
// matter, not the oldest in the window.
TEST_CASE("a restart past its limit restores the newest items of the window, oldest first") {
  TempDir dir;
  auto store = Store::Open(dir.File("n.db"));
  REQUIRE(store.ok());
  int story = 0;
  for (std::int64_t fetched_at : {1000, 2000, 3000}) {
    std::vector<ClassifiedItem> items;
    for (const char* name : {"a", "b"}) {
      ClassifiedItem item = MatchingItem(std::to_string(fetched_at) + name, "truces");
      item.story = ++story;
      items.push_back(std::move(item));
    }
    FetchRecord record = Fetched(std::move(items));
    record.fetched_at = fetched_at;
    REQUIRE((*store)->RecordFetch(std::move(record)).ok());
  }
  auto restored = [&](std::int64_t since, std::size_t limit) {
    std::vector<std::int64_t> stories;
    REQUIRE(
        (*store)
            ->ForEachStoryItemSince(
                since, limit, [&](const StoredStoryItem& item) { stories.push_back(item.story); })
            .ok());
    return stories;
  };
  CHECK(restored(0, 10) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(restored(0, 6) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(restored(0, 3) == std::vector<std::int64_t>{4, 5, 6});  // cut inside one fetch
  CHECK(restored(0, 2) == std::vector<std::int64_t>{5, 6});
  CHECK(restored(2000, 10) == std::vector<std::int64_t>{3, 4, 5, 6});
  CHECK(restored(2000, 1) == std::vector<std::int64_t>{6});
  CHECK(restored(0, 0).empty());
  CHECK(restored(0, std::numeric_limits<std::size_t>::max()) ==
        std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});  // no limit
  // An item without a story (stored while stories were off) is restored as nothing but still
  // counts against the limit, which is read from the index alone.
  ClassifiedItem storyless = MatchingItem("4000", "truces");
  FetchRecord record = Fetched({storyless});
  record.fetched_at = 4000;
  REQUIRE((*store)->RecordFetch(std::move(record)).ok());
  CHECK(restored(0, 10) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(restored(0, 3) == std::vector<std::int64_t>{5, 6});
}

TEST_CASE("an item's story words are kept, and a schema 7 database restores from the text") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    ClassifiedItem worded = MatchingItem("a", "truces");
    worded.story = 1;
    worded.story_words = "ATtruce\x1f";
    ClassifiedItem bare = MatchingItem("b", "truces");
    bare.story = 2;  // stored without words
    REQUIRE((*store)->RecordFetch(Fetched({worded, bare})).ok());
    CHECK(StoryItems(**store) == std::vector<std::string>{"1|Title a|ATtruce\x1f", "2|Title b|"});
  }
  ExecOn(path,
         kBackToSchema9 + "ALTER TABLE items DROP COLUMN story_words; PRAGMA user_version = 7");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(UserVersion(path) == 11);
  CHECK(StoryItems(**store) == std::vector<std::string>{"1|Title a|", "2|Title b|"});
}

TEST_CASE("a thread is watched from when it is first asked about, or from its first alert") {
  TempDir dir;
  std::string path = dir.File("n.db");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  FetchRecord record = Fetched({MatchingItem("a", "truces")});
  record.fetched_at = 1'795'000'000;
  REQUIRE((*store)->RecordFetch(record).ok());
  // New to the database: from now, and still from then when asked again later.
  CHECK(*(*store)->WatchThread("talks", 1'796'000'000) == 1'796'000'000);
  CHECK(*(*store)->WatchThread("talks", 1'797'000'000) == 1'796'000'000);
  // A thread that alerted before it was first asked about was watched at least from then.
  CHECK(*(*store)->WatchThread("truces", 1'796'000'000) == 1'795'000'000);
}

TEST_CASE("a schema 8 database's threads are watched from its first item") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    FetchRecord first = Fetched({MatchingItem("x", "")});
    first.new_items[0].matches.clear();
    first.fetched_at = 1'790'000'000;
    REQUIRE((*store)->RecordFetch(first).ok());
    FetchRecord later = Fetched({MatchingItem("a", "truces")});
    later.fetched_at = 1'795'000'000;
    REQUIRE((*store)->RecordFetch(later).ok());
  }
  ExecOn(path, kBackToSchema9 + "DROP TABLE thread_watch; PRAGMA user_version = 8");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(UserVersion(path) == 11);
  CHECK(*(*store)->WatchThread("truces", 1'796'000'000) == 1'790'000'000);
  CHECK(*(*store)->WatchThread("talks", 1'796'000'000) == 1'796'000'000);
}

TEST_CASE("a feed keeps its last document's item identities, also over a failed fetch") {
  TempDir dir;
  std::string path = dir.File("n.db");
  REQUIRE((*Store::Open(path))->RecordFetch(Fetched({})).ok());
  ExecOn(path, kBackToSchema9 + "PRAGMA user_version = 9");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(UserVersion(path) == 11);
  CHECK((*store)->LastItemIdentities("wire")->empty());  // none read with this schema yet

  FetchRecord read = Fetched({});
  // Each byte differs, so that an order or width slip in the encoding shows.
  const std::vector<std::uint64_t> identities{0x0102030405060708, 0xfffefdfcfbfaf9f8, 1};
  read.item_identities = identities;
  REQUIRE((*store)->RecordFetch(read).ok());
  CHECK(*(*store)->LastItemIdentities("wire") == identities);
  FetchRecord failed = Fetched({});
  failed.status = Status::Error("HTTP 503");
  REQUIRE((*store)->RecordFetch(failed).ok());
  CHECK(*(*store)->LastItemIdentities("wire") == identities);
  CHECK((*store)->LastItemIdentities("other")->empty());
}

// Item `id` of `feed` in `story`, matching truces, stored at `at`; updates wait 600 s.
FetchRecord StoryFetched(const std::string& feed, const std::string& id, std::int64_t story,
                         std::int64_t at) {
  ClassifiedItem classified = MatchingItem(id, "truces");
  classified.item.feed = feed;
  classified.story = story;
  classified.story_similarity = 0.3;
  FetchRecord record = Fetched({classified});
  record.feed = feed;
  record.fetched_at = at;
  record.story_rules = {600, {}};
  return record;
}

nlohmann::json AlertBody(Store& store, std::int64_t seq) {
  auto stored = store.AlertsAfter(seq - 1, 1, "");
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  return nlohmann::json::parse(stored->front().body);
}

TEST_CASE("a schema 10 database's stories keep their sources in order and their waiting update") {
  TempDir dir;
  std::string path = dir.File("n.db");
  const std::int64_t t0 = 1'795'424'400;
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->RecordFetch(StoryFetched("wire", "a", 7, t0)).ok());
    REQUIRE((*store)->RecordFetch(StoryFetched("bbc", "b", 7, t0 + 60)).ok());  // waits
    REQUIRE((*store)->RecordFetch(StoryFetched("afp", "c", 7, t0 + 60)).ok());  // same second
  }
  // And the rows of a story whose items retention had pruned before the old rule reached it.
  ExecOn(path, std::string(kBackToSchema10) +
                   "INSERT INTO stories VALUES (9, NULL, 1795000000, 1795000000); "
                   "INSERT INTO story_sources VALUES (9, 'gone', 1795000000); "
                   "PRAGMA user_version = 10");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(UserVersion(path) == 11);
  CHECK(*(*store)->LastStoryId() == 7);  // story 9's rows are gone
  CHECK((*store)->NextStoryUpdateDue(600)->value() == t0 + 600);
  auto flushed = (*store)->FlushStoryUpdates(t0 + 600, 600);
  REQUIRE(flushed.ok());
  REQUIRE(flushed->size() == 1);
  nlohmann::json update = AlertBody(**store, flushed->front());
  CHECK(update["kind"] == "update");
  CHECK(update["item"]["id"] == "c");
  CHECK(update["story"]["sources"] == nlohmann::json{"wire", "bbc", "afp"});
  CHECK(update["story"]["first_seen"] == "2026-11-23T09:00:00Z");
  // A source that joins after the upgrade comes after them.
  auto seqs = (*store)->RecordFetch(StoryFetched("dpa", "d", 7, t0 + 1300));
  REQUIRE(seqs.ok());
  REQUIRE(seqs->size() == 1);
  CHECK(AlertBody(**store, seqs->front())["story"]["sources"] ==
        nlohmann::json{"wire", "bbc", "afp", "dpa"});
}

TEST_CASE("a schema 3 database gains webhook cursors and keeps its alerts") {
  TempDir dir;
  std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->RecordFetch(Fetched({MatchingItem("a", "truces")})).ok());
  }
  {
    // What newsmon before webhooks left behind: schema 3, no cursor table.
  }
  ExecOn(path,
         std::string(kBackToSchema4) + "; DROP TABLE webhook_cursors; PRAGMA user_version = 3");
  REQUIRE(UserVersion(path) == 3);
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK(UserVersion(path) == 11);
  CHECK(*(*store)->LastSeq() == 1);
  CHECK_FALSE((*store)->WebhookCursor("ops")->has_value());
  REQUIRE((*store)->SetWebhookCursor("ops", 1).ok());
  CHECK((*store)->WebhookCursor("ops")->value() == 1);
}

TEST_CASE("each database has a random identity of its own that reopening keeps") {
  TempDir dir;
  std::string first_id, path = dir.File("a.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    first_id = (*store)->DatabaseId();
  }
  CHECK(first_id.size() == 32);
  CHECK(first_id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK((*Store::Open(path))->DatabaseId() == first_id);
  CHECK((*Store::Open(dir.File("b.db")))->DatabaseId() != first_id);

  // A schema 5 database (before identities) gains one.
  ExecOn(path, kBackToSchema9 +
                   "ALTER TABLE items DROP COLUMN story_words; DROP TABLE database_identity; "
                   "PRAGMA user_version = 5");
  auto upgraded = Store::Open(path);
  REQUIRE(upgraded.ok());
  CHECK(UserVersion(path) == 11);
  CHECK((*upgraded)->DatabaseId().size() == 32);
}

}  // namespace
}  // namespace newsmon::testing
