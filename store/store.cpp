#include "store/store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "store/sqlite.h"
#include "store/story_ledger.h"

namespace newsmon {
namespace {

// Each entry moves the schema from version i to i+1; never edit a released entry,
// append a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE feeds(
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  last_attempt INTEGER NOT NULL DEFAULT 0,
  last_success INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  consecutive_failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE items(
  id INTEGER PRIMARY KEY,
  feed TEXT NOT NULL,
  guid TEXT NOT NULL,
  title TEXT NOT NULL,
  link TEXT NOT NULL,
  published INTEGER,
  summary TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  UNIQUE(feed, guid)
);
CREATE TABLE matches(
  item INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  thread TEXT NOT NULL,
  score REAL NOT NULL,
  evidence TEXT NOT NULL,
  PRIMARY KEY(item, thread)
);
-- The outbox: alerts are written with their item and sent from here.
CREATE TABLE alerts(
  seq INTEGER PRIMARY KEY,
  thread TEXT NOT NULL,
  item INTEGER REFERENCES items(id) ON DELETE SET NULL,
  topic TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX alerts_unsent ON alerts(seq) WHERE sent_at IS NULL;
CREATE INDEX alerts_thread ON alerts(thread, seq);
)sql",
    R"sql(
ALTER TABLE feeds ADD COLUMN config_url TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN disabled TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN state_since INTEGER NOT NULL DEFAULT 0;
UPDATE feeds SET config_url = url;
)sql",
    R"sql(
ALTER TABLE feeds ADD COLUMN next_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN published_estimated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN updated_at INTEGER;
CREATE INDEX items_fetched ON items(fetched_at) WHERE pruned = 0;
CREATE INDEX alerts_created ON alerts(created_at);
)sql",
    R"sql(
-- One row per webhook sink: the last alert seq it delivered or skipped, so a restart
-- resumes there. Rows of sinks gone from the config are harmless and kept.
CREATE TABLE webhook_cursors(
  sink TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql",
    R"sql(
-- Stories (docs/stories.md): items of all feeds that report one event. Items stored before
-- this schema have no story, and their alerts stay as they were.
CREATE TABLE stories(
  id INTEGER PRIMARY KEY,
  first_item INTEGER REFERENCES items(id) ON DELETE SET NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX stories_last_seen ON stories(last_seen);
CREATE TABLE story_sources(
  story INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  feed TEXT NOT NULL,
  joined_at INTEGER NOT NULL,
  PRIMARY KEY(story, feed)
);
-- A story in a thread: when the thread last alerted about it, and the newest item of a new
-- source since then, whose `update` alert waits for the window.
CREATE TABLE story_threads(
  story INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  thread TEXT NOT NULL,
  last_alert_at INTEGER NOT NULL,
  pending_item INTEGER REFERENCES items(id) ON DELETE SET NULL,
  PRIMARY KEY(story, thread)
);
CREATE INDEX story_threads_pending ON story_threads(last_alert_at)
  WHERE pending_item IS NOT NULL;
-- What an item said before its feed changed it.
CREATE TABLE item_revisions(
  item INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  link TEXT NOT NULL,
  summary TEXT NOT NULL,
  replaced_at INTEGER NOT NULL
);
CREATE INDEX item_revisions_item ON item_revisions(item);
ALTER TABLE items ADD COLUMN story INTEGER;
ALTER TABLE matches ADD COLUMN threshold REAL NOT NULL DEFAULT 0;
ALTER TABLE matches ADD COLUMN via_story INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'new';
ALTER TABLE alerts ADD COLUMN story INTEGER;
)sql",
    R"sql(
-- The database's identity (Store::DatabaseId), in heartbeats and replay answers.
CREATE TABLE database_identity(id TEXT NOT NULL);
INSERT INTO database_identity(id) VALUES (lower(hex(randomblob(16))));
)sql",
    R"sql(
-- A story's rows (stories, story_sources) are written when it first matters, from the items
-- that carry its id (store/story_ledger.h).
CREATE INDEX IF NOT EXISTS items_story ON items(story) WHERE story IS NOT NULL;
)sql",
    R"sql(
-- The words the story clusterer read from each item (StoryAssignment::words), so a restart
-- rebuilds the open stories without analysing their text again. NULL for items stored
-- before, which are analysed as before.
ALTER TABLE items ADD COLUMN story_words TEXT;
)sql",
    R"sql(
-- When each thread began to be watched (Store::WatchThread): its burst baseline starts there,
-- so that a thread added to an old database does not take the time before it for silence.
-- Threads that alerted before this schema count, as before, from the database's first item.
CREATE TABLE IF NOT EXISTS thread_watch(thread TEXT PRIMARY KEY, since INTEGER NOT NULL)
  WITHOUT ROWID;
INSERT OR IGNORE INTO thread_watch(thread, since)
  SELECT DISTINCT thread, COALESCE((SELECT fetched_at FROM items ORDER BY id LIMIT 1), 0)
  FROM alerts;
)sql",
    R"sql(
-- The ItemIdentity (core/item.h) of each item of the feed's last document read, 8 bytes each,
-- little-endian: an item the next document gives another id is known by it
-- (Store::LastItemIdentities). NULL until a document is read with this schema.
ALTER TABLE feeds ADD COLUMN item_identities BLOB;
)sql",
    R"sql(
-- A story's rows in one B-tree, ordered by story (store/story_ledger.h): a commit that stores
-- items of a story in a thread wrote a page of each of seven B-trees (three tables, their
-- keys and indexes), now mostly one (docs/stories.md, session 14). `part` says what a row is:
-- 0 the story (at: first seen, item: its first item), 1 a source (name: the feed, at: when it
-- joined, item: the item that brought it), 2 a thread the story is in (name: the thread, at:
-- its last alert of the story, item: the newest item whose `update` waits). A story's last
-- sight is no longer kept: retention asks its items (Store::PruneItemsBefore).
CREATE TABLE story_ledger(
  story INTEGER NOT NULL,
  part INTEGER NOT NULL,
  name TEXT NOT NULL,
  at INTEGER NOT NULL,
  item INTEGER,
  PRIMARY KEY(story, part, name)
) WITHOUT ROWID;
CREATE INDEX story_ledger_pending ON story_ledger(at) WHERE part = 2 AND item IS NOT NULL;
INSERT INTO story_ledger(story, part, name, at, item)
  SELECT id, 0, '', first_seen, first_item FROM stories;
-- The item that brought a source orders sources that joined in the same second; before this
-- schema the row's own number did. The feed's first item of the story keeps that order, but
-- for a feed whose first item was a copy of an article already in the story (no source then)
-- and another feed that joined in the same second.
INSERT INTO story_ledger(story, part, name, at, item)
  SELECT story, 1, feed, joined_at,
         (SELECT MIN(i.id) FROM items i WHERE i.story = s.story AND i.feed = s.feed)
  FROM story_sources s;
INSERT INTO story_ledger(story, part, name, at, item)
  SELECT story, 2, thread, last_alert_at, pending_item FROM story_threads;
-- Retention now finds a story through its kept items (Store::PruneItemsBefore); rows of a
-- story whose items were all pruned already, which the old rule had yet to reach, would stay.
DELETE FROM story_ledger WHERE story NOT IN
  (SELECT story FROM items WHERE pruned = 0 AND story IS NOT NULL);
DROP TABLE story_threads;
DROP TABLE story_sources;
DROP TABLE stories;
-- The old tables' names, to read (an operator's queries, docs/stories.md).
CREATE VIEW stories AS SELECT story AS id, item AS first_item, at AS first_seen,
  (SELECT MAX(fetched_at) FROM items WHERE items.story = story_ledger.story) AS last_seen
  FROM story_ledger WHERE part = 0;
CREATE VIEW story_sources AS SELECT story, name AS feed, at AS joined_at, item
  FROM story_ledger WHERE part = 1;
CREATE VIEW story_threads AS SELECT story, name AS thread, at AS last_alert_at,
  item AS pending_item FROM story_ledger WHERE part = 2;
)sql",
};

// Little-endian whatever the machine, so that a database file moved to another keeps them.
std::string EncodeIdentities(const std::vector<std::uint64_t>& identities) {
  std::string bytes;
  bytes.reserve(8 * identities.size());
  for (std::uint64_t identity : identities) {
    for (int shift = 0; shift < 64; shift += 8) bytes += static_cast<char>(identity >> shift);
  }
  return bytes;
}

std::vector<std::uint64_t> DecodeIdentities(std::string_view bytes) {
  std::vector<std::uint64_t> identities;
  for (std::size_t at = 0; at + 8 <= bytes.size(); at += 8) {
    std::uint64_t identity = 0;
    for (int i = 7; i >= 0; --i) {
      identity =
          identity << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    }
    identities.push_back(identity);
  }
  return identities;
}

std::string EvidenceJson(const ThreadMatch& match) {
  nlohmann::json evidence = nlohmann::json::array();
  for (const MatchedTerm& hit : match.evidence) {
    evidence.push_back({{"term", hit.term},
                        {"field", hit.field},
                        {"position", hit.position},
                        {"weight", hit.weight}});
  }
  return evidence.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<MatchedTerm> EvidenceFromJson(const std::string& text) {
  std::vector<MatchedTerm> evidence;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return evidence;
  for (const auto& hit : parsed) {
    if (!hit.is_object()) continue;
    evidence.push_back({hit.value("term", ""), hit.value("field", ""), hit.value("position", 0),
                        hit.value("weight", 0.0)});
  }
  return evidence;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool HasThread(const std::vector<ThreadMatch>& matches, const std::string& thread) {
  return std::any_of(matches.begin(), matches.end(),
                     [&](const ThreadMatch& match) { return match.thread == thread; });
}

// A story update or a revision has no row to wait in: it alerts at most this many per flush,
// and the rest on the next turn of the loop.
constexpr std::size_t kFlushBatch = 100;

std::string HashOf(const ClassifiedItem& classified) {
  return classified.content_hash.empty() ? ContentHash(classified.item) : classified.content_hash;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::Database db, std::string shard)
      : db_(std::move(db)), shard_(std::move(shard)), stories_(db_) {}

  Status Initialise() {
    // WAL lets readers (status, replay) run beside the writer; NORMAL sync is durable
    // across process crashes, and MakeDurable (one fsync per turn that publishes) across
    // power loss: FULL would fsync every commit, several per turn.
    // auto_vacuum only takes effect on a database without tables, i.e. a new one (older
    // databases keep full-file reuse of free pages), and setting it writes the header, so it
    // is set only there: a damaged file must be refused before anything is written to it.
    auto fresh = HasNoTables();
    if (!fresh.ok()) return fresh.status();
    if (*fresh) {
      if (Status s = db_.Exec("PRAGMA auto_vacuum=INCREMENTAL"); !s.ok()) return s;
    }
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
      if (Status s = db_.Exec(pragma); !s.ok()) return s;
    }
    if (Status s = Migrate(); !s.ok()) return s;
    return ReadDatabaseId();
  }

  Status MakeDurable() override { return db_.SyncLog(); }
  const std::string& DatabaseId() const override { return database_id_; }

  Result<FeedFetchState> FetchState(const std::string& feed) override {
    auto stmt = db_.Prepare(
        "SELECT etag, last_modified, url, config_url, disabled, consecutive_failures, next_due "
        "FROM feeds WHERE name = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, feed);
    FeedFetchState state;
    if (stmt->Step()) {
      state = {{stmt->ColumnText(0), stmt->ColumnText(1)},
               stmt->ColumnText(2),
               stmt->ColumnText(3),
               Disabled::FromStored(stmt->ColumnText(4)),
               static_cast<int>(std::clamp<std::int64_t>(stmt->ColumnInt(5), 0, 1'000'000)),
               stmt->ColumnInt(6)};
    }
    if (!stmt->status().ok()) return stmt->status();
    return state;
  }

  Result<std::unordered_map<std::string, std::string>> KnownItemIds(
      const std::string& feed, const std::vector<std::string>& ids) override {
    auto stmt = db_.Prepare("SELECT content_hash FROM items WHERE feed = ?1 AND guid = ?2");
    if (!stmt.ok()) return stmt.status();
    sqlite::ReadTransaction snapshot(db_);
    std::unordered_map<std::string, std::string> known;
    for (const std::string& id : ids) {
      stmt->Bind(1, feed).Bind(2, id);
      if (stmt->Step()) known[id] = stmt->ColumnText(0);
      if (!stmt->status().ok()) return stmt->status();
      stmt->Reset();
    }
    return known;
  }

  Result<std::vector<std::uint64_t>> LastItemIdentities(const std::string& feed) override {
    auto stmt = db_.Prepare("SELECT item_identities FROM feeds WHERE name = ?1");
    if (!stmt.ok()) return stmt.status();
    std::vector<std::uint64_t> identities;
    if (stmt->Bind(1, feed).Step()) identities = DecodeIdentities(stmt->ColumnBlob(0));
    if (!stmt->status().ok()) return stmt->status();
    return identities;
  }

  Result<std::vector<std::int64_t>> RecordFetch(const FetchRecord& record) override {
    sqlite::Transaction transaction(db_);
    if (!transaction.begin_status().ok()) return transaction.begin_status();
    if (Status s = UpdateFeed(record); !s.ok()) return s;
    std::vector<std::int64_t> seqs;
    for (const ClassifiedItem& classified : record.new_items) {
      if (Status s = InsertItem(classified, record, seqs); !s.ok()) return s;
    }
    for (const ClassifiedItem& updated : record.updated_items) {
      if (Status s = UpdateItem(updated, record.fetched_at, seqs); !s.ok()) return s;
    }
    if (Status s = transaction.Commit(); !s.ok()) return s;
    return seqs;
  }

  Result<std::vector<std::int64_t>> FlushStoryUpdates(std::int64_t now,
                                                      std::int64_t update_window) override {
    sqlite::Transaction transaction(db_);
    if (!transaction.begin_status().ok()) return transaction.begin_status();
    auto due = stories_.DueUpdates(now, update_window, kFlushBatch);
    if (!due.ok()) return due.status();
    std::vector<std::int64_t> seqs;
    for (const PendingStoryUpdate& update : *due) {
      if (Status s = AlertPendingUpdate(update, now, seqs); !s.ok()) return s;
    }
    if (Status s = transaction.Commit(); !s.ok()) return s;
    return seqs;
  }

  Result<std::optional<std::int64_t>> NextStoryUpdateDue(std::int64_t update_window) override {
    return stories_.NextDue(update_window);
  }

  Status ForEachStoryItemSince(
      std::int64_t since, std::size_t limit,
      const std::function<void(const StoredStoryItem&)>& each) override {
    // The newest `limit` items, handed over oldest first: the first item left out, counted
    // from the newest, marks where they begin. Items without a story count too, so that the
    // count reads only the index (2 ms for 50,000 items; with the story checked in each row,
    // 20 ms). Sorting the newest ones back into order in SQL would hold them all in its
    // sorter, text included.
    std::int64_t after_fetched = std::numeric_limits<std::int64_t>::min(), after_id = 0;
    // A limit SQLite cannot hold (OFFSET is signed) is no limit.
    if (limit < static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      auto cut = db_.Prepare(
          "SELECT fetched_at, id FROM items WHERE fetched_at >= ?1 AND pruned = 0 "
          "ORDER BY fetched_at DESC, id DESC LIMIT 1 OFFSET ?2");
      if (!cut.ok()) return cut.status();
      cut->Bind(1, since).Bind(2, static_cast<std::int64_t>(limit));
      if (cut->Step()) {
        after_fetched = cut->ColumnInt(0);
        after_id = cut->ColumnInt(1);
      } else if (!cut->status().ok()) {
        return cut->status();
      }
    }
    auto stmt = db_.Prepare(
        "SELECT story, fetched_at, published, link, story_words, title, summary FROM items "
        "WHERE story IS NOT NULL AND fetched_at >= ?1 AND pruned = 0 "
        "AND (fetched_at, id) > (?2, ?3) ORDER BY fetched_at, id");
    if (!stmt.ok()) return stmt.status();
    // Seeking from the cut rather than from `since` skips the items before it in the index.
    stmt->Bind(1, std::max(since, after_fetched)).Bind(2, after_fetched).Bind(3, after_id);
    while (stmt->Step()) {
      StoredStoryItem item;
      item.story = stmt->ColumnInt(0);
      item.fetched_at = stmt->ColumnInt(1);
      item.published = stmt->ColumnOptionalInt(2);
      item.link = stmt->ColumnView(3);
      item.words = stmt->ColumnView(4);
      // The text too, without a copy: words of a format the clusterer no longer reads are
      // ignored and the text analysed instead.
      item.title = stmt->ColumnView(5);
      item.summary = stmt->ColumnView(6);
      each(item);
    }
    return stmt->status();
  }

  Result<std::int64_t> LastStoryId() override {
    auto written = stories_.LastId();
    if (!written.ok()) return written.status();
    // Items too: a story whose rows were never written has its id only there.
    auto stmt = db_.Prepare("SELECT COALESCE(MAX(story), 0) FROM items WHERE story IS NOT NULL");
    if (!stmt.ok()) return stmt.status();
    const std::int64_t in_items = stmt->Step() ? stmt->ColumnInt(0) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return std::max(*written, in_items);
  }

  Result<std::int64_t> InsertBurstAlert(BurstAlert alert,
                                        const std::vector<std::int64_t>& story_ids) override {
    sqlite::Transaction transaction(db_);
    if (!transaction.begin_status().ok()) return transaction.begin_status();
    auto last = LastSeq();
    if (!last.ok()) return last.status();
    alert.seq = *last + 1;
    alert.shard = shard_;
    for (std::int64_t story : story_ids) {
      auto described = stories_.Describe(story);
      if (!described.ok()) return described.status();
      if (described->id != 0) alert.story_list.push_back(std::move(described).value());
    }
    auto insert = db_.Prepare(
        "INSERT INTO alerts(seq, thread, item, topic, body, created_at, kind) "
        "VALUES (?1, ?2, NULL, ?3, ?4, ?5, 'burst')");
    if (!insert.ok()) return insert.status();
    Status s = insert->Bind(1, alert.seq)
                   .Bind(2, alert.thread)
                   .Bind(3, AlertTopic(alert.thread))
                   .Bind(4, AlertToJson(alert))
                   .Bind(5, alert.detected_at)
                   .Run();
    if (!s.ok()) return s;
    if (Status c = transaction.Commit(); !c.ok()) return c;
    return alert.seq;
  }

  Result<std::vector<StoryEntry>> StoryEntriesSince(std::int64_t since,
                                                    std::int64_t fresh_for) override {
    // The item's publication time is in the alert's JSON; null (no date) counts as fresh.
    auto stmt = db_.Prepare(
        "SELECT thread, story, created_at FROM alerts WHERE kind = 'new' AND story IS NOT NULL "
        "AND created_at >= ?1 AND (json_extract(body, '$.item.published') IS NULL OR "
        "unixepoch(json_extract(body, '$.item.published')) >= created_at - ?2) ORDER BY seq");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, since).Bind(2, fresh_for);
    std::vector<StoryEntry> entries;
    while (stmt->Step()) {
      entries.push_back({stmt->ColumnText(0), stmt->ColumnInt(1), stmt->ColumnInt(2)});
    }
    if (!stmt->status().ok()) return stmt->status();
    return entries;
  }

  Result<std::int64_t> WatchingSince() override {
    // The first item's, by rowid: MIN(fetched_at) read the whole table at every start (the
    // fetched_at index holds only unpruned items, and items are never deleted).
    auto stmt =
        db_.Prepare("SELECT COALESCE((SELECT fetched_at FROM items ORDER BY id LIMIT 1), 0)");
    if (!stmt.ok()) return stmt.status();
    std::int64_t since = stmt->Step() ? stmt->ColumnInt(0) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return since;
  }

  Result<std::int64_t> WatchThread(const std::string& thread, std::int64_t now) override {
    // Read first: a known thread needs no write, so a start while another process holds the
    // write lock still knows every known thread's watch.
    auto known = WatchedSince(thread);
    if (!known.ok() || known->has_value())
      return known.ok() ? **known : Result<std::int64_t>(known.status());
    // A thread without a row yet but with alerts was watched from its first alert at least
    // (a database written by hand or by a test); through alerts_thread (thread, seq).
    auto record = db_.Prepare(
        "INSERT OR IGNORE INTO thread_watch(thread, since) VALUES (?1, MIN(?2, COALESCE("
        "(SELECT created_at FROM alerts WHERE thread = ?1 ORDER BY seq LIMIT 1), ?2)))");
    if (!record.ok()) return record.status();
    if (Status s = record->Bind(1, thread).Bind(2, now).Run(); !s.ok()) return s;
    auto since = WatchedSince(thread);
    if (!since.ok()) return since.status();
    return since->value_or(now);
  }

  Result<std::optional<std::int64_t>> WatchedSince(const std::string& thread) {
    auto stmt = db_.Prepare("SELECT since FROM thread_watch WHERE thread = ?1");
    if (!stmt.ok()) return stmt.status();
    std::optional<std::int64_t> since;
    if (stmt->Bind(1, thread).Step()) since = stmt->ColumnInt(0);
    if (!stmt->status().ok()) return stmt->status();
    return since;
  }

  Result<std::int64_t> LastBurstAt(const std::string& thread) override {
    // Through alerts_thread (thread, seq): the thread's alerts, newest first.
    auto stmt = db_.Prepare(
        "SELECT created_at FROM alerts WHERE thread = ?1 AND kind = 'burst' ORDER BY seq DESC "
        "LIMIT 1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, thread);
    const std::int64_t at = stmt->Step() ? stmt->ColumnInt(0) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return at;
  }

  Result<std::vector<Item>> Revisions(const std::string& feed, const std::string& id) override {
    auto stmt = db_.Prepare(
        "SELECT r.title, r.link, r.summary FROM item_revisions r JOIN items i ON i.id = r.item "
        "WHERE i.feed = ?1 AND i.guid = ?2 ORDER BY r.rowid");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, feed).Bind(2, id);
    std::vector<Item> revisions;
    while (stmt->Step()) {
      Item revision;
      revision.feed = feed;
      revision.id = id;
      revision.title = stmt->ColumnText(0);
      revision.link = stmt->ColumnText(1);
      revision.summary = stmt->ColumnText(2);
      revisions.push_back(std::move(revision));
    }
    if (!stmt->status().ok()) return stmt->status();
    return revisions;
  }

  Result<std::vector<OutboxEntry>> UnsentAlerts(std::size_t limit) override {
    auto stmt = db_.Prepare(
        "SELECT seq, topic, body FROM alerts WHERE sent_at IS NULL ORDER BY seq LIMIT ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, static_cast<std::int64_t>(limit));
    return ReadEntries(*stmt);
  }

  Status MarkSent(std::int64_t seq, std::int64_t sent_at) override {
    auto stmt = db_.Prepare("UPDATE alerts SET sent_at = ?2 WHERE seq = ?1");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, seq).Bind(2, sent_at).Run();
  }

  Result<std::vector<OutboxEntry>> AlertsAfter(std::int64_t after_seq, std::size_t limit,
                                               const std::string& thread) override {
    // Two statements, not `(?3 = '' OR thread = ?3)`: SQLite plans before the value is bound,
    // so that form walked every alert after `since` for a rare thread (alerts are kept
    // forever), where alerts(thread, seq) finds them directly.
    auto stmt = thread.empty()
                    ? db_.Prepare("SELECT seq, topic, body FROM alerts WHERE seq > ?1 "
                                  "ORDER BY seq LIMIT ?2")
                    : db_.Prepare("SELECT seq, topic, body FROM alerts WHERE thread = ?3 AND "
                                  "seq > ?1 ORDER BY seq LIMIT ?2");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, after_seq).Bind(2, static_cast<std::int64_t>(limit));
    if (!thread.empty()) stmt->Bind(3, thread);
    return ReadEntries(*stmt);
  }

  Result<std::int64_t> UnsentCount() override {
    auto stmt = db_.Prepare("SELECT COUNT(*) FROM alerts WHERE sent_at IS NULL");
    if (!stmt.ok()) return stmt.status();
    std::int64_t count = stmt->Step() ? stmt->ColumnInt(0) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return count;
  }

  Result<std::int64_t> LastSeq() override {
    auto stmt = db_.Prepare("SELECT COALESCE(MAX(seq), 0) FROM alerts");
    if (!stmt.ok()) return stmt.status();
    std::int64_t seq = stmt->Step() ? stmt->ColumnInt(0) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return seq;
  }

  Result<std::vector<FeedStatus>> Feeds() override {
    auto stmt = db_.Prepare(
        "SELECT name, url, disabled, state_since, next_due, last_attempt, last_success, "
        "last_error, consecutive_failures FROM feeds ORDER BY name");
    if (!stmt.ok()) return stmt.status();
    std::vector<FeedStatus> feeds;
    while (stmt->Step()) {
      feeds.push_back({stmt->ColumnText(0), stmt->ColumnText(1),
                       Disabled::FromStored(stmt->ColumnText(2)), stmt->ColumnInt(3),
                       stmt->ColumnInt(4), stmt->ColumnInt(5), stmt->ColumnInt(6),
                       stmt->ColumnText(7), static_cast<int>(stmt->ColumnInt(8))});
    }
    if (!stmt->status().ok()) return stmt->status();
    return feeds;
  }

  Status RecordNextDue(const std::string& feed, std::int64_t next_due) override {
    auto stmt = db_.Prepare("UPDATE feeds SET next_due = ?2 WHERE name = ?1");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, feed).Bind(2, next_due).Run();
  }

  Result<std::vector<std::pair<std::string, std::int64_t>>> AlertCountsSince(
      std::int64_t since) override {
    auto stmt = db_.Prepare(
        "SELECT thread, COUNT(*) FROM alerts WHERE created_at >= ?1 GROUP BY thread "
        "ORDER BY thread");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, since);
    std::vector<std::pair<std::string, std::int64_t>> counts;
    while (stmt->Step()) counts.emplace_back(stmt->ColumnText(0), stmt->ColumnInt(1));
    if (!stmt->status().ok()) return stmt->status();
    return counts;
  }

  Result<std::size_t> PruneItemsBefore(std::int64_t cutoff, std::size_t batch) override {
    sqlite::Transaction transaction(db_);
    if (!transaction.begin_status().ok()) return transaction.begin_status();
    // Alerts keep their JSON; an item keeps (feed, guid) so it is never alerted again.
    // Stories and revisions go with the items' text; the last statement counts the items.
    if (Status s = stories_.ForgetWithItemsBefore(cutoff, batch); !s.ok()) return s;
    const char* kPrune[] = {
        "DELETE FROM item_revisions WHERE item IN (SELECT id FROM items WHERE pruned = 0 AND "
        "fetched_at < ?1 ORDER BY fetched_at LIMIT ?2)",
        "DELETE FROM matches WHERE item IN (SELECT id FROM items WHERE pruned = 0 AND "
        "fetched_at < ?1 ORDER BY fetched_at LIMIT ?2)",
        "UPDATE items SET title = '', link = '', summary = '', story_words = NULL, pruned = 1 "
        "WHERE id IN (SELECT id FROM items WHERE pruned = 0 AND fetched_at < ?1 "
        "ORDER BY fetched_at LIMIT ?2)"};
    std::size_t pruned = 0;
    for (const char* sql : kPrune) {
      auto stmt = db_.Prepare(sql);
      if (!stmt.ok()) return stmt.status();
      if (Status s = stmt->Bind(1, cutoff).Bind(2, static_cast<std::int64_t>(batch)).Run();
          !s.ok()) {
        return s;
      }
      pruned = static_cast<std::size_t>(db_.Changes());
    }
    if (Status s = transaction.Commit(); !s.ok()) return s;
    // Best effort: the rows are gone either way; the vacuum only hands free pages back to the
    // file system, and the next pass tries again.
    if (pruned > 0) static_cast<void>(db_.Exec("PRAGMA incremental_vacuum(1000)"));
    return pruned;
  }

  Result<std::int64_t> SizeBytes() override {
    auto stmt =
        db_.Prepare("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    if (!stmt.ok()) return stmt.status();
    std::int64_t size = stmt->Step() ? stmt->ColumnInt(0) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return size;
  }

  Result<std::vector<Item>> ItemsFetchedSince(std::int64_t since, std::size_t limit) override {
    auto stmt = db_.Prepare(
        "SELECT feed, guid, title, link, published, summary, published_estimated FROM items "
        "WHERE fetched_at >= ?1 "
        "AND pruned = 0 ORDER BY fetched_at, id LIMIT ?2");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, since).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<Item> items;
    while (stmt->Step()) items.push_back(ReadItem(*stmt));
    if (!stmt->status().ok()) return stmt->status();
    return items;
  }

  Result<std::optional<std::int64_t>> WebhookCursor(const std::string& sink) override {
    auto stmt = db_.Prepare("SELECT seq FROM webhook_cursors WHERE sink = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, sink);
    std::optional<std::int64_t> seq;
    if (stmt->Step()) seq = stmt->ColumnInt(0);
    if (!stmt->status().ok()) return stmt->status();
    return seq;
  }

  Status SetWebhookCursor(const std::string& sink, std::int64_t seq) override {
    auto stmt = db_.Prepare(
        "INSERT INTO webhook_cursors(sink, seq, updated_at) "
        "VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER)) "
        "ON CONFLICT(sink) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, sink).Bind(2, seq).Run();
  }

 private:
  Status Migrate() {
    auto version = UserVersion();
    if (!version.ok()) return version.status();
    return MigrateFrom(*version);
  }

  // Its statement is done before the migrations run: a migration that drops a table fails
  // ("database table is locked") while any statement of the connection is still active,
  // since dropping moves pages in an auto-vacuum database.
  Result<int> UserVersion() {
    auto stmt = db_.Prepare("PRAGMA user_version");
    if (!stmt.ok()) return stmt.status();
    const int version = stmt->Step() ? static_cast<int>(stmt->ColumnInt(0)) : 0;
    if (!stmt->status().ok()) return stmt->status();
    return version;
  }

  Status MigrateFrom(int version) {
    constexpr int kLatest = static_cast<int>(std::size(kMigrations));
    if (version > kLatest) {
      return Status::Error("database schema version " + std::to_string(version) +
                           " is newer than this newsmon understands (" + std::to_string(kLatest) +
                           "); upgrade newsmon");
    }
    for (; version < kLatest; ++version) {
      sqlite::Transaction transaction(db_);
      if (!transaction.begin_status().ok()) {
        return transaction.begin_status().WithContext("migration to schema " +
                                                      std::to_string(version + 1) + ": ");
      }
      if (Status s = db_.Exec(kMigrations[version]); !s.ok()) {
        return s.WithContext("migration to schema " + std::to_string(version + 1) + ": ");
      }
      // PRAGMA takes no bound parameters; the value is our own integer, not data.
      std::string set_version = "PRAGMA user_version = " + std::to_string(version + 1);
      if (Status s = db_.Exec(set_version.c_str()); !s.ok()) return s;
      if (Status s = transaction.Commit(); !s.ok()) return s;
    }
    return Status::Ok();
  }

  // Reads the schema, so it also tells a file that is no database before anything is written.
  Result<bool> HasNoTables() {
    auto tables = db_.Prepare("SELECT COUNT(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    const bool none = tables->Step() && tables->ColumnInt(0) == 0;
    if (!tables->status().ok()) return tables->status();
    return none;
  }

  Status ReadDatabaseId() {
    auto stmt = db_.Prepare("SELECT id FROM database_identity");
    if (!stmt.ok()) return stmt.status();
    if (stmt->Step()) database_id_ = stmt->ColumnText(0);
    if (!stmt->status().ok()) return stmt->status();
    if (database_id_.empty()) return Status::Error("the database has no identity row");
    return Status::Ok();
  }

  Status UpdateFeed(const FetchRecord& r) {
    // ?2 config URL, ?8 where it moved (or ''), ?9 why it is disabled (or ''). Validators
    // and the count of failures belong to the config URL they were given for (SET reads the
    // row as it was).
    auto stmt = db_.Prepare(R"sql(
INSERT INTO feeds(name, url, config_url, etag, last_modified, last_attempt, last_success,
                  last_error, consecutive_failures, disabled, state_since, item_identities)
VALUES (?1, COALESCE(NULLIF(?8, ''), ?2), ?2, ?3, ?4, ?5, CASE WHEN ?6 THEN ?5 ELSE 0 END, ?7,
        CASE WHEN ?6 THEN 0 ELSE 1 END, ?9, ?5, ?10)
ON CONFLICT(name) DO UPDATE SET
  item_identities = COALESCE(?10, item_identities),
  url = CASE WHEN ?8 <> '' THEN ?8 WHEN config_url <> ?2 THEN ?2 ELSE url END,
  config_url = ?2,
  disabled = ?9,
  state_since = CASE WHEN (consecutive_failures = 0) <> (?6 <> 0) OR disabled <> ?9 THEN ?5
                     ELSE state_since END,
  etag = CASE WHEN ?6 AND (?3 <> '' OR ?4 <> '') THEN ?3 WHEN config_url <> ?2 THEN ''
              ELSE etag END,
  last_modified = CASE WHEN ?6 AND (?3 <> '' OR ?4 <> '') THEN ?4 WHEN config_url <> ?2 THEN ''
                       ELSE last_modified END,
  last_attempt = ?5,
  last_success = CASE WHEN ?6 THEN ?5 ELSE last_success END,
  last_error = ?7,
  consecutive_failures = CASE WHEN ?6 THEN 0 WHEN config_url <> ?2 THEN 1
                              ELSE consecutive_failures + 1 END
)sql");
    if (!stmt.ok()) return stmt.status();
    if (r.item_identities) {
      stmt->BindBlob(10, EncodeIdentities(*r.item_identities));
    } else {
      stmt->BindNull(10);
    }
    return stmt->Bind(1, r.feed)
        .Bind(2, r.config_url)
        .Bind(3, r.validators.etag)
        .Bind(4, r.validators.last_modified)
        .Bind(5, r.fetched_at)
        .Bind(6, std::int64_t{r.status.ok()})
        .Bind(7, r.status.ok() ? std::string() : r.status.message())
        .Bind(8, r.moved_to)
        .Bind(9, r.disabled.reason())
        .Run();
  }

  // A changed item keeps its alerts (it was news once, not twice) and its old text as a
  // revision; only a thread it did not match before alerts, as an `update`.
  Status UpdateItem(const ClassifiedItem& updated, std::int64_t fetched_at,
                    std::vector<std::int64_t>& seqs) {
    const Item& item = updated.item;
    auto row = db_.Prepare(
        "SELECT id, COALESCE(story, 0) FROM items WHERE feed = ?1 AND guid = ?2 AND pruned = 0");
    if (!row.ok()) return row.status();
    row->Bind(1, item.feed).Bind(2, item.id);
    if (!row->Step()) return row->status();  // pruned meanwhile: nothing left to revise
    const std::int64_t item_row = row->ColumnInt(0);
    const std::int64_t story = row->ColumnInt(1);
    if (Status s = KeepRevision(item_row, fetched_at); !s.ok()) return s;
    if (Status s = OverwriteItem(item_row, updated, fetched_at); !s.ok()) return s;
    auto before = MatchedThreads(item_row);
    if (!before.ok()) return before.status();
    for (const ThreadMatch& match : updated.matches) {
      if (Contains(*before, match.thread)) continue;
      if (Status s = InsertMatch(item_row, match); !s.ok()) return s;
      if (story != 0) {
        if (Status s = stories_.Enter(story, match.thread, fetched_at); !s.ok()) return s;
      }
      AlertFacts facts{item_row, story, AlertKind::kUpdate, fetched_at};
      if (Status s = InsertAlert(facts, item, match, seqs); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status KeepRevision(std::int64_t item_row, std::int64_t replaced_at) {
    auto stmt = db_.Prepare(
        "INSERT INTO item_revisions(item, title, link, summary, replaced_at) "
        "SELECT id, title, link, summary, ?2 FROM items WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, item_row).Bind(2, replaced_at).Run();
  }

  Status OverwriteItem(std::int64_t item_row, const ClassifiedItem& updated,
                       std::int64_t fetched_at) {
    const Item& item = updated.item;
    auto stmt = db_.Prepare(
        "UPDATE items SET title = ?2, link = ?3, summary = ?4, content_hash = ?5, "
        "updated_at = ?6 WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, item_row)
        .Bind(2, item.title)
        .Bind(3, item.link)
        .Bind(4, item.summary)
        .Bind(5, HashOf(updated))
        .Bind(6, fetched_at)
        .Run();
  }

  Result<std::vector<std::string>> MatchedThreads(std::int64_t item_row) {
    auto stmt = db_.Prepare("SELECT thread FROM matches WHERE item = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, item_row);
    std::vector<std::string> threads;
    while (stmt->Step()) threads.push_back(stmt->ColumnText(0));
    if (!stmt->status().ok()) return stmt->status();
    return threads;
  }

  Status InsertItem(const ClassifiedItem& classified, const FetchRecord& record,
                    std::vector<std::int64_t>& seqs) {
    const Item& item = classified.item;
    auto insert = db_.Prepare(
        "INSERT OR IGNORE INTO items(feed, guid, title, link, published, summary, fetched_at, "
        "published_estimated, content_hash, story, story_words) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULLIF(?10, 0), NULLIF(?11, ''))");
    if (!insert.ok()) return insert.status();
    Status s = insert->Bind(1, item.feed)
                   .Bind(2, item.id)
                   .Bind(3, item.title)
                   .Bind(4, item.link)
                   .Bind(5, item.published)
                   .Bind(6, item.summary)
                   .Bind(7, record.fetched_at)
                   .Bind(8, std::int64_t{item.published_estimated})
                   .Bind(9, HashOf(classified))
                   .Bind(10, classified.story)
                   .Bind(11, classified.story_words)
                   .Run();
    if (!s.ok()) return s;
    if (db_.Changes() == 0) return Status::Ok();  // already stored: never alert twice
    const std::int64_t item_row = db_.LastInsertRowid();
    if (classified.story == 0) {
      for (const ThreadMatch& match : classified.matches) {
        if (Status m = InsertMatch(item_row, match); !m.ok()) return m;
        AlertFacts facts{item_row, 0, AlertKind::kNew, record.fetched_at};
        if (Status m = InsertAlert(facts, item, match, seqs); !m.ok()) return m;
      }
      return Status::Ok();
    }
    return InsertStoryItem(classified, item_row, record, seqs);
  }

  Status InsertStoryItem(const ClassifiedItem& classified, std::int64_t item_row,
                         const FetchRecord& record, std::vector<std::int64_t>& seqs) {
    const std::int64_t story = classified.story;
    auto matches = WithStoryMatches(classified, record.story_rules);
    if (!matches.ok()) return matches.status();
    // Only an item that started its story has similarity 0: joining takes at least the
    // clusterer's threshold.
    auto new_source = stories_.Join(story, item_row, classified.item.feed, record.fetched_at,
                                    /*matters=*/!matches->empty(),
                                    /*first=*/classified.story_similarity == 0,
                                    /*same_article=*/classified.story_same_link);
    if (!new_source.ok()) return new_source.status();
    for (const ThreadMatch& match : *matches) {
      if (Status s = InsertMatch(item_row, match); !s.ok()) return s;
      // A further report of an outlet already in the story is news too, unless it is a near
      // copy or in the thread only through the story.
      const bool news =
          *new_source || (match.via_story == 0 && classified.story_similarity < kNearCopy);
      auto decision = stories_.Decide(story, match.thread, item_row, record.fetched_at, news,
                                      record.story_rules.update_window);
      if (!decision.ok()) return decision.status();
      if (*decision != StoryAlertDecision::kNew && *decision != StoryAlertDecision::kUpdateNow) {
        continue;
      }
      AlertKind kind = *decision == StoryAlertDecision::kNew ? AlertKind::kNew : AlertKind::kUpdate;
      AlertFacts facts{item_row, story, kind, record.fetched_at};
      if (Status s = InsertAlert(facts, classified.item, match, seqs); !s.ok()) return s;
    }
    return Status::Ok();
  }

  // The item's own matches, and the followed threads its story is in that its words miss.
  Result<std::vector<ThreadMatch>> WithStoryMatches(const ClassifiedItem& classified,
                                                    const StoryRules& rules) {
    std::vector<ThreadMatch> matches = classified.matches;
    if (rules.followed_threads.empty()) return matches;  // the usual case: one query less
    auto threads = stories_.Threads(classified.story);
    if (!threads.ok()) return threads.status();
    for (const std::string& thread : *threads) {
      if (HasThread(matches, thread) || !Contains(rules.followed_threads, thread)) continue;
      ThreadMatch via_story;
      via_story.thread = thread;
      via_story.via_story = classified.story;
      matches.push_back(std::move(via_story));
    }
    return matches;
  }

  Status InsertMatch(std::int64_t item_row, const ThreadMatch& match) {
    auto insert = db_.Prepare(
        "INSERT OR REPLACE INTO matches(item, thread, score, evidence, threshold, via_story) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!insert.ok()) return insert.status();
    return insert->Bind(1, item_row)
        .Bind(2, match.thread)
        .Bind(3, match.score)
        .Bind(4, EvidenceJson(match))
        .Bind(5, match.threshold)
        .Bind(6, match.via_story)
        .Run();
  }

  // A waiting update names the newest item that joined, with what matched it then.
  Status AlertPendingUpdate(const PendingStoryUpdate& update, std::int64_t now,
                            std::vector<std::int64_t>& seqs) {
    if (Status s = stories_.MarkAlerted(update.story, update.thread, now); !s.ok()) return s;
    auto stmt = db_.Prepare(
        "SELECT i.feed, i.guid, i.title, i.link, i.published, i.summary, i.published_estimated, "
        "m.score, m.threshold, m.evidence, m.via_story FROM items i JOIN matches m "
        "ON m.item = i.id AND m.thread = ?2 WHERE i.id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, update.item_row).Bind(2, update.thread);
    if (!stmt->Step()) return stmt->status();  // its item is gone: nothing to name
    Item item = ReadItem(*stmt);
    ThreadMatch match{update.thread, stmt->ColumnDouble(7), stmt->ColumnDouble(8),
                      EvidenceFromJson(stmt->ColumnText(9)), stmt->ColumnInt(10)};
    AlertFacts facts{update.item_row, update.story, AlertKind::kUpdate, now};
    return InsertAlert(facts, item, match, seqs);
  }

  struct AlertFacts {
    std::int64_t item_row = 0;
    std::int64_t story = 0;  // 0: an item stored without a story
    AlertKind kind = AlertKind::kNew;
    std::int64_t at = 0;
  };

  Status InsertAlert(const AlertFacts& facts, const Item& item, const ThreadMatch& match,
                     std::vector<std::int64_t>& seqs) {
    auto last = LastSeq();
    if (!last.ok()) return last.status();
    Alert alert{*last + 1, match, item, facts.at, facts.kind, std::nullopt, shard_};
    if (facts.story != 0) {
      auto story = stories_.Ref(facts.story);
      if (!story.ok()) return story.status();
      alert.story = std::move(story).value();
    }
    auto insert_alert = db_.Prepare(
        "INSERT INTO alerts(seq, thread, item, topic, body, created_at, kind, story) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, 0))");
    if (!insert_alert.ok()) return insert_alert.status();
    Status s = insert_alert->Bind(1, alert.seq)
                   .Bind(2, match.thread)
                   .Bind(3, facts.item_row)
                   .Bind(4, AlertTopic(match.thread))
                   .Bind(5, AlertToJson(alert))
                   .Bind(6, facts.at)
                   .Bind(7, std::string_view(AlertKindName(facts.kind)))
                   .Bind(8, facts.story)
                   .Run();
    if (s.ok()) seqs.push_back(alert.seq);
    return s;
  }

  // Columns 0-6: feed, guid, title, link, published, summary, published_estimated.
  static Item ReadItem(const sqlite::Statement& stmt) {
    return {stmt.ColumnText(0),    stmt.ColumnText(1),        stmt.ColumnText(2),
            stmt.ColumnText(3),    stmt.ColumnOptionalInt(4), stmt.ColumnText(5),
            stmt.ColumnInt(6) != 0};
  }

  static Result<std::vector<OutboxEntry>> ReadEntries(sqlite::Statement& stmt) {
    std::vector<OutboxEntry> entries;
    while (stmt.Step()) {
      entries.push_back({stmt.ColumnInt(0), stmt.ColumnText(1), stmt.ColumnText(2)});
    }
    if (!stmt.status().ok()) return stmt.status();
    return entries;
  }

  sqlite::Database db_;
  std::string shard_;  // named in every alert it creates
  StoryLedger stories_;
  std::string database_id_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, std::string shard) {
  auto db = sqlite::Database::Open(path);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<SqliteStore>(std::move(db).value(), std::move(shard));
  if (Status s = store->Initialise(); !s.ok()) {
    return s.WithContext("database '" + path + "': ");
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace newsmon
