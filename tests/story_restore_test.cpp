// A restart rebuilds the open stories from the words stored with each item (schema 8) rather
// than analysing the items' text again. These tests hold it to the old way: real news stored,
// the daemon's pipeline restarted on copies of that database, one restoring from the words,
// one from the text (the words removed, as an older newsmon left them), one from a schema 7
// file, and the same follow-up items must land in the same stories in all of them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/xml_text.h"
#include "classifiers/stories.h"
#include "daemon/pipeline.h"
#include "store/store.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kStart = 1'767'250'000;
constexpr std::int64_t kEvery = 100;  // seconds between items: 1,035 of them fit the window

struct NewsItem {
  std::string title;
  std::string summary;
  std::string link;
  std::int64_t published = 0;
};

// The 1,035 items of news-cited (real outlets, January 2026), a minute and a half apart.
std::vector<NewsItem> News() {
  std::ifstream in(SourcePath("tests/data/news-cited.jsonl"));
  std::vector<NewsItem> items;
  std::string line;
  while (std::getline(in, line)) {
    auto json = nlohmann::json::parse(line);
    const std::int64_t at = kStart + static_cast<std::int64_t>(items.size()) * kEvery;
    items.push_back({json.value("title", ""), json.value("summary", ""), json.value("link", ""), at});
  }
  REQUIRE(items.size() > 1000);
  return items;
}

std::string Rfc822(std::int64_t when) {
  const std::time_t t = when;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

// One outlet's fetch of items [begin, end).
FetchResponse Feed(const std::vector<NewsItem>& items, std::size_t begin, std::size_t end) {
  std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>";
  for (std::size_t i = begin; i < end; ++i) {
    const NewsItem& item = items[i];
    xml += "<item><guid>n" + std::to_string(i) + "</guid><title>" + bench::XmlText(item.title) +
           "</title><link>" + bench::XmlText(item.link) + "</link><description>" +
           bench::XmlText(item.summary) + "</description><pubDate>" + Rfc822(item.published) +
           "</pubDate></item>";
  }
  FetchResponse response;
  response.feed = "outlet-" + std::to_string(begin / 50 % 7);
  response.url = response.effective_url = "https://example.org/" + response.feed;
  response.http_status = 200;
  response.body = xml + "</channel></rss>";
  response.content_type = "application/rss+xml";
  return response;
}

// Starts a pipeline on the database as the daemon does (stories rebuilt), ingests items
// [begin, end) fetched at `now`, and returns each new item's story by guid.
std::map<std::string, std::int64_t> RunOn(const std::string& path,
                                          const std::vector<NewsItem>& items, std::size_t begin,
                                          std::size_t end, std::int64_t now) {
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  auto classifier = Classifier::Build({});
  REQUIRE(classifier.ok());
  Pipeline pipeline(**store, *classifier);
  REQUIRE(pipeline.TrackStories(StoryClusterer::Create(), {}, now, 36h).ok());
  for (std::size_t at = begin; at < end; at += 50) {
    IngestReport report = pipeline.Ingest(Feed(items, at, std::min(end, at + 50)), "u", now);
    REQUIRE(report.status.ok());
  }
  std::map<std::string, std::int64_t> stories;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT guid, story FROM items", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    stories[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] =
        sqlite3_column_int64(stmt, 1);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return stories;
}

void Exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::int64_t Count(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  const std::int64_t count = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

TEST_CASE("a restart from stored words puts the next items in the same stories as one from text") {
  const std::vector<NewsItem> items = News();
  const std::size_t stored = 700;
  TempDir dir;
  const std::string first = dir.File("first.db");
  const std::int64_t stored_at = items[stored - 1].published;
  RunOn(first, items, 0, stored, stored_at);  // closing the store checkpoints the WAL
  REQUIRE(Count(first, "SELECT COUNT(*) FROM items WHERE story_words IS NULL") == 0);
  const std::int64_t last_story = Count(first, "SELECT MAX(story) FROM items");

  const std::string from_words = dir.File("words.db");
  const std::string from_text = dir.File("text.db");
  const std::string from_schema7 = dir.File("schema7.db");
  for (const std::string& copy : {from_words, from_text, from_schema7}) {
    std::filesystem::copy_file(first, copy);
  }
  Exec(from_text, "UPDATE items SET story_words = NULL");
  Exec(from_schema7, (std::string(kBackToSchema10) +
                      "ALTER TABLE feeds DROP COLUMN item_identities; "
                      "ALTER TABLE items DROP COLUMN story_words; PRAGMA user_version = 7")
                         .c_str());

  const std::int64_t now = items.back().published;
  auto words = RunOn(from_words, items, stored, items.size(), now);
  auto text = RunOn(from_text, items, stored, items.size(), now);
  auto schema7 = RunOn(from_schema7, items, stored, items.size(), now);
  CHECK(words == text);
  CHECK(schema7 == text);
  // The follow-ups must have had restored stories to join for the comparison to mean much.
  std::size_t joined_restored = 0;
  for (std::size_t i = stored; i < items.size(); ++i) {
    const std::int64_t story = words.at("n" + std::to_string(i));
    if (story <= last_story) ++joined_restored;
  }
  INFO(joined_restored << " follow-ups joined a story open before the restart");
  CHECK(joined_restored >= 10);
}

}  // namespace
}  // namespace newsmon::testing
