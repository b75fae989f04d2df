// The vocabulary every stage of the pipeline speaks: a feed item as parsed, a thread match
// with its evidence, and an alert as stored in the outbox and sent on the bus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
};

// Identifies an item's content, so a known id with a new title or text is an update.
std::string ContentHash(const Item& item);

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

  // Distinct terms, in order of first appearance.
  std::vector<std::string> MatchedTerms() const;
};

struct Alert {
  std::int64_t seq = 0;
  ThreadMatch match;
  Item item;
  std::int64_t detected_at = 0;  // Unix seconds, UTC
};

inline constexpr int kAlertSchema = 1;

std::string AlertTopic(const std::string& thread);
std::string AlertToJson(const Alert& alert);

}  // namespace newsmon
