#include "tests/support/fixtures.h"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace newsmon::testing {

std::string RssFeed(const std::vector<FeedEntry>& entries) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
      "<title>Test Wire</title><link>https://example.org/</link>";
  for (const FeedEntry& entry : entries) {
    xml += "<item><guid>" + entry.guid + "</guid><title>" + entry.title +
           "</title><link>https://example.org/" + entry.guid + "</link><description>" +
           entry.description + "</description><pubDate>" + entry.pub_date + "</pubDate></item>";
  }
  return xml + "</channel></rss>\n";
}

Resource FeedResource(const std::vector<FeedEntry>& entries, const std::string& etag) {
  Resource resource;
  resource.body = RssFeed(entries);
  resource.etag = etag;
  if (!etag.empty()) resource.last_modified = "Mon, 23 Nov 2026 08:00:00 GMT";
  return resource;
}

Resource ErrorResource(int status) {
  Resource resource;
  resource.status = status;
  resource.body = "error " + std::to_string(status);
  return resource;
}

std::string WriteTrucesThread(const TempDir& dir) {
  return dir.Write("threads/truces.toml", R"toml([thread]
id = "truces"
title = "Truces"
threshold = 1.0

[[thread.terms]]
weight = 1.0
terms = ["ceasefire", "truce"]
)toml");
}

std::string TestConfigToml(const TempDir& dir,
                           const std::vector<std::pair<std::string, std::string>>& feeds,
                           const std::string& tail) {
  std::string toml =
      "database = \"newsmon.db\"\nallow_file_urls = true\n"
      "allow_private_addresses = true\ninterval = \"100ms\"\n"
      "thread_files = [\"threads/*.toml\"]\n\n[publish]\n"
      "endpoint = \"ipc://" +
      dir.File("bus") +
      "\"\n"
      "replay_endpoint = \"ipc://" +
      dir.File("replay") +
      "\"\n"
      "heartbeat = \"50ms\"\njoin_grace = \"1ms\"\n";
  for (const auto& [name, url] : feeds) {
    toml += "\n[[feed]]\nname = \"" + name + "\"\nurl = \"" + url + "\"\n";
  }
  return toml + tail;
}

Config TestConfig(const TempDir& dir, const std::vector<std::pair<std::string, std::string>>& feeds,
                  const std::string& tail) {
  WriteTrucesThread(dir);
  auto config = LoadConfig(dir.Write("newsmon.toml", TestConfigToml(dir, feeds, tail)));
  if (!config.ok()) throw std::runtime_error(config.status().message());
  return std::move(config).value();
}

std::vector<std::pair<std::string, std::string>> QuietFeed(const TempDir& dir) {
  return {{"quiet", "file://" + dir.Write("quiet.xml", RssFeed({}))}};
}

std::vector<FeedEntry> TruceItems(int count) {
  std::vector<FeedEntry> entries;
  for (int i = 0; i < count; ++i) {
    std::string id = "truce-" + std::to_string(i);
    entries.push_back({id, "Ceasefire report " + id, "The truce holds, says " + id});
  }
  return entries;
}

void RemoveDatabase(const TempDir& dir) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir.File(std::string("newsmon.db") + suffix));
  }
}

std::int64_t CountRows(const std::string& database, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  std::int64_t count = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

std::vector<std::int64_t> SeqsPrinted(const std::string& json_lines) {
  std::vector<std::int64_t> seqs;
  std::istringstream lines(json_lines);
  for (std::string line; std::getline(lines, line);) {
    seqs.push_back(nlohmann::json::parse(line)["seq"].get<std::int64_t>());
  }
  return seqs;
}

ClassifiedItem MatchingItem(const std::string& id, const std::string& thread) {
  ClassifiedItem classified;
  classified.item = {"wire", id, "Title " + id, "https://example.org/" + id, 1795424400, "text"};
  ThreadMatch match;
  match.thread = thread;
  match.score = 3;
  match.threshold = 2;
  match.evidence = {{"ceasefire", "title", 0, 3}};
  classified.matches = {match};
  return classified;
}

std::vector<FetchResponse> FetchAll(Fetcher& fetcher, const std::vector<FetchRequest>& requests) {
  using namespace std::chrono_literals;
  for (const FetchRequest& request : requests) fetcher.Start(request);
  std::vector<FetchResponse> done;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::vector<WaitFd> none;
  while (fetcher.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(fetcher.Wait(none, 100ms).ok());
    for (FetchResponse& response : fetcher.Collect()) done.push_back(std::move(response));
  }
  REQUIRE(fetcher.in_flight() == 0);
  REQUIRE(done.size() == requests.size());
  return done;
}

}  // namespace newsmon::testing
