#pragma once

#include <limits>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "feeds/fetcher.h"
#include "store/store.h"
#include "tests/support/feed_server.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {

// Undoes schema 11 (a story's rows in one table, store/story_ledger.h) by hand: the tables of
// schemas 5 to 10, with the same rows, for tests of older databases.
inline constexpr const char* kBackToSchema10 =
    "DROP VIEW story_threads; DROP VIEW story_sources; DROP VIEW stories; "
    "CREATE TABLE stories(id INTEGER PRIMARY KEY, first_item INTEGER REFERENCES items(id) "
    "ON DELETE SET NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL); "
    "CREATE INDEX stories_last_seen ON stories(last_seen); "
    "CREATE TABLE story_sources(story INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE, "
    "feed TEXT NOT NULL, joined_at INTEGER NOT NULL, PRIMARY KEY(story, feed)); "
    "CREATE TABLE story_threads(story INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE, "
    "thread TEXT NOT NULL, last_alert_at INTEGER NOT NULL, pending_item INTEGER REFERENCES "
    "items(id) ON DELETE SET NULL, PRIMARY KEY(story, thread)); "
    "CREATE INDEX story_threads_pending ON story_threads(last_alert_at) "
    "WHERE pending_item IS NOT NULL; "
    "INSERT INTO stories SELECT story, item, at, COALESCE((SELECT MAX(fetched_at) FROM items "
    "WHERE items.story = story_ledger.story), at) FROM story_ledger WHERE part = 0; "
    "INSERT INTO story_sources SELECT story, name, at FROM story_ledger WHERE part = 1 "
    "ORDER BY story, at, item; "
    "INSERT INTO story_threads SELECT story, name, at, item FROM story_ledger WHERE part = 2; "
    "DROP TABLE story_ledger; ";

struct FeedEntry {
  std::string guid;
  std::string title;
  std::string description;
  std::string pub_date = "Mon, 23 Nov 2026 08:00:00 GMT";
};

// A small RSS 2.0 document with these items.
std::string RssFeed(const std::vector<FeedEntry>& entries);

// A feed document served with optional ETag (and a fixed Last-Modified when it has one).
Resource FeedResource(const std::vector<FeedEntry>& entries, const std::string& etag = "");
// A failing response: status and a short body.
Resource ErrorResource(int status);

// A thread file matching "ceasefire"/"truce" (id "truces") written into dir.
std::string WriteTrucesThread(const TempDir& dir);

// The TOML of TestConfig, for tests that rewrite the file (reload).
// `tail` is appended as it is: tables of its own such as "[stories]\nenabled = false\n".
std::string TestConfigToml(const TempDir& dir,
                           const std::vector<std::pair<std::string, std::string>>& feeds,
                           const std::string& tail = "");

// A config for tests: database and ipc:// bus endpoint inside dir, fast heartbeat and
// polling, no join grace to speak of (1 ms), the given feeds (name, url).
Config TestConfig(const TempDir& dir, const std::vector<std::pair<std::string, std::string>>& feeds,
                  const std::string& tail = "");

// For tests of delivery that feed many look-alike items: without stories each alerts as
// `new`, instead of joining one story.
inline constexpr const char* kNoStories = "\n[stories]\nenabled = false\n";

// For a sink's own tests: every stored alert counts as synced (AlertSink::Notify).
inline constexpr std::int64_t kAllDurable = std::numeric_limits<std::int64_t>::max();

// One feed that exists and never has items (a file:// RSS document in dir), for tests about
// anything but feeds: the daemon refuses to run without a feed.
std::vector<std::pair<std::string, std::string>> QuietFeed(const TempDir& dir);

// `count` items of one feed, each matching the truces thread: "Ceasefire report truce-N".
std::vector<FeedEntry> TruceItems(int count);

// Deletes TestConfig's database with its WAL and shared-memory files: a replaced database.
void RemoveDatabase(const TempDir& dir);

// The first column of the first row `sql` gives on the database file, opened read-only
// beside the daemon; -1 when there is none.
std::int64_t CountRows(const std::string& database, const std::string& sql);

// The seqs of the alerts `newsmon tail --json` printed, one JSON object a line.
std::vector<std::int64_t> SeqsPrinted(const std::string& json_lines);

// An item of feed "wire" that matched `thread` on "ceasefire", ready for RecordFetch.
ClassifiedItem MatchingItem(const std::string& id, const std::string& thread);

// Starts every request at once (one burst on the multi handle) and waits, at most 20 s,
// for all of them to finish.
std::vector<FetchResponse> FetchAll(Fetcher& fetcher, const std::vector<FetchRequest>& requests);

}  // namespace newsmon::testing
