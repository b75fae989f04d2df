// Durable state: feeds with their fetch state, items, thread matches, and the alert outbox.
// An alert's seq is assigned in the same transaction that stores its item, so the outbox
// never holds a gap and a crash never loses an accepted item or its alert.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/item.h"
#include "core/status.h"

namespace newsmon {

// Whether a feed is no longer fetched (a 410 Gone) and why. One type wherever the state
// travels (store, pipeline, feed book, status), so it cannot be a string in one place and a
// bool in another; nothing converts to it implicitly, so no string ("" included) becomes
// "disabled" by accident.
class Disabled {
 public:
  Disabled() = default;  // fetched
  static Disabled Because(std::string reason) { return Disabled(std::move(reason)); }
  // The feeds table's column: '' is "fetched".
  static Disabled FromStored(std::string reason) {
    return reason.empty() ? Disabled() : Disabled(std::move(reason));
  }

  explicit operator bool() const { return disabled_; }
  const std::string& reason() const { return reason_; }  // "" while fetched, as stored
  bool operator==(const Disabled&) const = default;

 private:
  explicit Disabled(std::string reason) : disabled_(true), reason_(std::move(reason)) {}
  bool disabled_ = false;
  std::string reason_;
};

inline constexpr const char* kGoneReason = "the server says the feed is gone (HTTP 410 Gone)";

struct FeedValidators {
  std::string etag;
  std::string last_modified;
};

// What the next fetch of a feed needs from the last one.
struct FeedFetchState {
  FeedValidators validators;
  std::string url;         // where to fetch: the config's URL, or where it moved (301/308)
  std::string config_url;  // the config's URL when url was recorded
  Disabled disabled;
  int consecutive_failures = 0;
  std::int64_t next_due = 0;  // Unix seconds (RecordNextDue); 0 when never recorded
};

struct ClassifiedItem {
  Item item;
  std::vector<ThreadMatch> matches;
  // The story the item joined or started (classifiers/stories.h); 0 when stories are not
  // tracked, and then every match alerts as `new`. Ignored for updated items: an item keeps
  // the story it was stored with.
  std::int64_t story = 0;
  // How close the item was to the story it joined (by its words, also when it joined by the
  // same link), 0 when it started the story. A near copy (kNearCopy or more) of its own
  // outlet's item brings nothing new.
  double story_similarity = 0;
  // The words the clusterer read (StoryAssignment::words), so that a restart rebuilds the
  // item's story from them instead of analysing its text again; empty stores none.
  std::string story_words = {};
  // It joined its story by the link of an item already in it (StoryAssignment::same_link):
  // the same article, so its feed is no new source (one outlet's article in two of its feeds).
  bool story_same_link = false;
  // ContentHash(item), when the caller has made it (the pipeline does, to tell updates);
  // empty: the store makes it.
  std::string content_hash = {};
};

inline constexpr double kNearCopy = 0.8;

// How stories turn matches into alerts (docs/alerts.md).
struct StoryRules {
  // At most one `update` alert per story and thread within this many seconds.
  std::int64_t update_window = 600;
  // Threads whose stories carry their members: an item that joins a story already in such a
  // thread is in the thread too, even without words of its own.
  std::vector<std::string> followed_threads;
};

// Everything learned from one fetch of one feed; stored in one transaction.
struct FetchRecord {
  std::string feed;
  std::string config_url;  // the URL in the config
  std::string moved_to;    // set when the feed moved permanently (301/308)
  Disabled disabled;       // set when the feed is gone for good (410)
  std::int64_t fetched_at = 0;
  Status status;              // why the fetch or parse failed; ok when it succeeded
  FeedValidators validators;  // to send next time; kept as they were when empty
  std::vector<ClassifiedItem> new_items;
  // Known ids whose title, link or text changed, classified afresh: stored as a revision;
  // a thread they newly match gets an `update` alert.
  std::vector<ClassifiedItem> updated_items;
  StoryRules story_rules;
  // Set when the document was read: the ItemIdentity of each of its items, kept for the
  // next (Store::LastItemIdentities).
  std::optional<std::vector<std::uint64_t>> item_identities;
};

// A stored item with a story, as a restart rebuilds the open stories from it. Views into the
// row being read: valid only while the callback that receives it runs.
struct StoredStoryItem {
  std::string_view title;
  std::string_view summary;
  std::string_view link;
  std::optional<std::int64_t> published;
  std::int64_t story = 0;
  std::int64_t fetched_at = 0;
  std::string_view words;  // ClassifiedItem::story_words; empty for items stored without
};

struct StoryEntry {
  std::string thread;
  std::int64_t story = 0;
  std::int64_t at = 0;
};

struct OutboxEntry {
  std::int64_t seq = 0;
  std::string topic;
  std::string body;  // alert JSON, as sent on the bus
};

struct FeedStatus {
  std::string name;
  std::string url;
  Disabled disabled;
  std::int64_t state_since = 0;  // when it last went from ok to failing or back
  std::int64_t next_due = 0;     // Unix seconds; 0 when not known
  std::int64_t last_attempt = 0;
  std::int64_t last_success = 0;
  std::string last_error;
  int consecutive_failures = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or migrates the schema. ":memory:" gives a private in-memory database. shard: the
  // "K/N" every alert it creates names (docs/scaling.md), or "" for a daemon that is not sharded.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, std::string shard = "");

  // Empty state for a feed never fetched.
  virtual Result<FeedFetchState> FetchState(const std::string& feed) = 0;
  // Which of ids are already stored for this feed (dedupe across restarts), each with its
  // ContentHash ("" when stored before hashes were kept).
  virtual Result<std::unordered_map<std::string, std::string>> KnownItemIds(
      const std::string& feed, const std::vector<std::string>& ids) = 0;
  // The ItemIdentity (core/item.h) of each item of the feed's last document read
  // (FetchRecord::item_identities), empty before one was: an item of the next document under
  // an id not stored but with one of these identities is that item under a new id.
  virtual Result<std::vector<std::uint64_t>> LastItemIdentities(const std::string& feed) = 0;
  // Returns the seqs of the alerts it created, in order.
  virtual Result<std::vector<std::int64_t>> RecordFetch(const FetchRecord& record) = 0;

  // Turns the story updates whose window has passed into `update` alerts (one per story and
  // thread, naming the newest item that joined). Returns their seqs.
  virtual Result<std::vector<std::int64_t>> FlushStoryUpdates(std::int64_t now,
                                                              std::int64_t update_window) = 0;
  // When the next waiting story update falls due (Unix seconds); nullopt when none waits.
  virtual Result<std::optional<std::int64_t>> NextStoryUpdateDue(std::int64_t update_window) = 0;
  // Calls `each` for the items with a story fetched at or after since, oldest first; of a
  // window of more than `limit` items (with a story or not), only for those among the newest
  // `limit`: to rebuild the open stories after a restart. One row at a time, as a
  // window of 500,000 items held at once cost 600 MiB (docs/performance.md). Also the
  // largest story id stored, so new ones never reuse an id.
  virtual Status ForEachStoryItemSince(std::int64_t since, std::size_t limit,
                                       const std::function<void(const StoredStoryItem&)>& each) = 0;
  virtual Result<std::int64_t> LastStoryId() = 0;
  // Stores a burst alert, its seq assigned and its stories (story_ids) described by their
  // first items, and returns the seq.
  virtual Result<std::int64_t> InsertBurstAlert(BurstAlert alert,
                                                const std::vector<std::int64_t>& story_ids) = 0;
  // The stories that entered a thread (their `new` alerts) created at or after since, oldest
  // first, leaving out those whose item was published more than `fresh_for` seconds before it
  // was detected (a backlog, not news): what the burst detector learns from on start-up.
  virtual Result<std::vector<StoryEntry>> StoryEntriesSince(std::int64_t since,
                                                            std::int64_t fresh_for) = 0;
  // When the database began to watch: the first item's fetch time; 0 for an empty one.
  virtual Result<std::int64_t> WatchingSince() = 0;
  // When `thread` began to be watched: recorded as `now` the first time a thread is asked
  // about (or as its first alert's time, if it has one), then kept across restarts. A burst
  // baseline starts no earlier.
  virtual Result<std::int64_t> WatchThread(const std::string& thread, std::int64_t now) = 0;
  // When `thread` last burst (its newest `burst` alert's creation); 0 when it never did.
  virtual Result<std::int64_t> LastBurstAt(const std::string& thread) = 0;
  // The previous versions of an item, oldest first (title, link, summary as they were).
  virtual Result<std::vector<Item>> Revisions(const std::string& feed, const std::string& id) = 0;

  // Makes every write committed so far survive a power loss, with one fsync. A commit alone
  // survives a crash of the process only (WAL, synchronous=NORMAL), so the outbox calls this
  // once before it publishes what a turn of the loop stored (group commit).
  virtual Status MakeDurable() = 0;
  // Random, made with the schema (migration 6) and never changed: seqs count the alerts of one
  // database, so subscribers compare it to notice a database that was replaced.
  virtual const std::string& DatabaseId() const = 0;

  virtual Result<std::vector<OutboxEntry>> UnsentAlerts(std::size_t limit) = 0;
  virtual Status MarkSent(std::int64_t seq, std::int64_t sent_at) = 0;
  virtual Result<std::int64_t> UnsentCount() = 0;
  // Alerts with seq > after_seq, oldest first; thread empty means all threads.
  virtual Result<std::vector<OutboxEntry>> AlertsAfter(std::int64_t after_seq, std::size_t limit,
                                                       const std::string& thread) = 0;
  virtual Result<std::int64_t> LastSeq() = 0;
  virtual Result<std::vector<FeedStatus>> Feeds() = 0;
  virtual Status RecordNextDue(const std::string& feed, std::int64_t next_due) = 0;
  // Alerts per thread created at or after since.
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> AlertCountsSince(
      std::int64_t since) = 0;
  // Forgets the text and matches of items fetched before cutoff, at most batch of them;
  // their ids stay so they never alert again. Returns how many it pruned.
  virtual Result<std::size_t> PruneItemsBefore(std::int64_t cutoff, std::size_t batch) = 0;
  virtual Result<std::int64_t> SizeBytes() = 0;
  // Items fetched at or after since (Unix seconds), oldest first: for dry runs of threads.
  virtual Result<std::vector<Item>> ItemsFetchedSince(std::int64_t since, std::size_t limit) = 0;
  // The last alert seq the webhook sink named sink delivered or skipped; nullopt for a sink
  // that has never stored one.
  virtual Result<std::optional<std::int64_t>> WebhookCursor(const std::string& sink) = 0;
  virtual Status SetWebhookCursor(const std::string& sink, std::int64_t seq) = 0;
};

}  // namespace newsmon
