// The vocabulary every stage of the pipeline speaks: a feed item as parsed, a thread match
// with its evidence, and an alert as stored in the outbox and sent on the bus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsmon {

struct Item {
  std::string feed;   // config name of the feed; set by the pipeline, not the parser
  std::string id;     // guid / atom:id, else the link, else a hash of title and date
  std::string title;  // plain text
  std::string link;
  std::optional<std::int64_t> published;  // Unix seconds, UTC
  std::string summary;                    // plain text, tags stripped, entities decoded
  bool published_estimated = false;       // no usable date in the feed: published is fetched_at
};

struct ParsedFeed {
  std::string format;  // "rss", "rdf", "atom", "json" or "cdf"
  std::string title;
  std::string link;
  std::vector<Item> items;
  std::vector<std::string> warnings;
  std::optional<int> ttl_minutes;  // RSS <ttl>: how long the publisher asks us to cache it
  // The document ended before its root element closed (a transfer or a generator cut short):
  // what was read is kept, but its validators must not be, or the whole document would be
  // answered 304 and the items past the cut never read.
  bool cut_short = false;
};

// Identifies an item's content, so a known id with a new title or text is an update.
std::string ContentHash(const Item& item);

// What makes an item the one its feed's last document had when the feed gives it another id
// at each poll (a rotating guid, a tracking parameter in the link it is known by, a generation
// time in the hash of an item with neither): its canonical link, title, summary and the date
// the feed gave it, all the same. Text alone is not enough with a link (a live page gives one
// link and title to report after report), nor a link alone (some feeds give every item their
// home page), nor either without the date (an alert feed repeats its words for each new
// alert). 0 for an item with no link, title or summary. canonical_link is
// CanonicalLink(item.link) (core/canonical_link.h), which the pipeline computes once per item
// for this and for the story clusterer.
std::uint64_t ItemIdentity(const Item& item, std::string_view canonical_link);

// One hit of a thread's term in an item: what an editor needs to see why it matched.
struct MatchedTerm {
  std::string term;   // the term as written in the thread file
  std::string field;  // "title" or "summary"
  int position = 0;   // token index within the field
  double weight = 0;
};

struct ThreadMatch {
  std::string thread;
  double score = 0;
  double threshold = 0;
  std::vector<MatchedTerm> evidence;
  // Set when the item is in the thread through its story rather than its own words: the
  // story it joined was already in the thread (docs/stories.md). Its evidence is then empty.
  std::int64_t via_story = 0;

  // Distinct terms, in order of first appearance.
  std::vector<std::string> MatchedTerms() const;
};

// The story an item belongs to, as an alert reports it.
struct StoryRef {
  std::int64_t id = 0;
  std::int64_t first_seen = 0;       // Unix seconds: when its first item was stored
  std::vector<std::string> sources;  // feeds that reported it, in the order they did
  std::int64_t source_count = 0;     // sources may be cut short; this is the whole count
};

// new: the first item of a story in a thread; update: more sources joined the story, or an
// item's revision changed its threads; burst: a thread's new stories came much faster than
// usual (docs/alerts.md).
enum class AlertKind { kNew, kUpdate, kBurst };
const char* AlertKindName(AlertKind kind);

struct Alert {
  std::int64_t seq = 0;
  ThreadMatch match;
  Item item;
  std::int64_t detected_at = 0;  // Unix seconds, UTC
  AlertKind kind = AlertKind::kNew;
  std::optional<StoryRef> story;
  std::string shard;  // "K/N" of a daemon that is one of several (docs/scaling.md); "" otherwise
};

// 2: alerts carry kind and story; an alert is no longer always a new item (docs/alerts.md).
inline constexpr int kAlertSchema = 2;

// One story of a burst, as its first item told it.
struct BurstStory {
  std::int64_t id = 0;
  std::string title;
  std::string link;
  std::string feed;
  std::int64_t first_seen = 0;
  std::int64_t sources = 0;
};

struct BurstAlert {
  std::int64_t seq = 0;
  std::string thread;
  int stories = 0;      // new stories in the window
  double expected = 0;  // what the thread's baseline predicts for a window
  double p_value = 1;
  std::int64_t window_start = 0;  // Unix seconds
  std::vector<BurstStory> story_list;
  std::int64_t detected_at = 0;
  std::string shard;  // as Alert::shard
};

std::string AlertTopic(const std::string& thread);
std::string AlertToJson(const Alert& alert);
std::string AlertToJson(const BurstAlert& alert);

}  // namespace newsmon
