// One fetched feed through parse → dedupe → classify → store. Publishing is the
// outbox's job afterwards, so a stored alert survives a crash before it is sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "classifiers/classifier.h"
#include "classifiers/stories.h"
#include "core/status.h"
#include "feeds/fetcher.h"
#include "store/store.h"

namespace newsmon {

struct IngestReport {
  Status status;  // why the feed could not be used; its state is recorded either way
  bool not_modified = false;
  bool moved = false;  // the feed moved permanently; its new URL is stored
  Disabled disabled;   // the feed is gone (410) and is no longer fetched
  std::size_t items_seen = 0;
  std::size_t new_items = 0;
  std::size_t updated_items = 0;
  std::optional<std::chrono::seconds> ttl;  // the feed's own <ttl>
  std::vector<std::int64_t> alert_seqs;
  std::vector<std::string> warnings;
};

class Pipeline {
 public:
  Pipeline(Store& store, std::shared_ptr<const Classifier> classifier)
      : store_(store), classifier_(std::move(classifier)) {}

  // Threads are swapped between two feeds, never in the middle of one.
  void SetClassifier(std::shared_ptr<const Classifier> classifier) {
    classifier_ = std::move(classifier);
  }

  // From now on every new item joins a story (docs/stories.md), and `rules` say how stories
  // alert. The stories open in the store within the clusterer's window are rebuilt first, so
  // a restart neither splits a story nor reuses an id. Without this call items have no story.
  Status TrackStories(std::unique_ptr<StoryClusterer> stories, StoryRules rules, std::int64_t now,
                      std::chrono::seconds window);
  void SetStoryRules(StoryRules rules) { story_rules_ = std::move(rules); }

  IngestReport Ingest(const FetchResponse& response, const std::string& config_url,
                      std::int64_t now);

 private:
  // Splits items into new ones (classified, with their story) and known ones whose content
  // changed (classified afresh). Returns how many were known under another id (RenamedItems).
  Result<std::size_t> SortItems(const std::string& feed, std::vector<Item> items, std::int64_t now,
                                FetchRecord& record);
  // links: each item's CanonicalLink, made once for its identity and its story.
  Result<std::vector<bool>> RenamedItems(const std::string& feed, const std::vector<Item>& items,
                                         const std::vector<std::string>& links,
                                         const std::unordered_map<std::string, std::string>& known,
                                         FetchRecord& record);
  StoryAssignment StoryOf(const Item& item, const Analysis& analysis,
                          const std::string& canonical_link, std::int64_t now);
  // items_read: the feed was parsed and its items sorted (not a failed fetch or a 304).
  IngestReport Record(FetchRecord record, IngestReport report, bool items_read = false);
  void RememberUnstoredStories(const FetchRecord& record, bool stored);

  Store& store_;
  std::shared_ptr<const Classifier> classifier_;
  std::unique_ptr<StoryClusterer> stories_;
  // By feed, then item id: the stories the clusterer gave items whose commit failed, reused
  // when the feed brings them again. Only feeds whose last commit failed have an entry.
  std::unordered_map<std::string, std::unordered_map<std::string, StoryAssignment>>
      unstored_stories_;
  StoryRules story_rules_;
};

// The threads whose stories carry their members (ThreadDefinition::follow_stories).
std::vector<std::string> ThreadsFollowingStories(const std::vector<ThreadDefinition>& threads);

}  // namespace newsmon
