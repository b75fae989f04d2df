// Stories: items of all feeds that report one event, grouped as they arrive, so an editor
// hears of an event once and then how many sources confirm it (docs/stories.md).
//
// Each item becomes a weighted set of the words of its title and lead (normalised and
// stemmed as the classifier does; function words dropped), weighted by how rare each word has
// been in the items seen so far (inverse document frequency, learnt online). It joins the
// recent story whose word weights it shares most (cosine similarity against the story's
// centroid) if that reaches the threshold, else it starts a story. Wire copies and rewrites
// share the rare words of the event (names, places, numbers), while two strikes on the same
// morning share only the common ones. The same canonical link is the same story whatever the
// words. Candidate stories come from an index of rare words, and only stories active within
// the window are kept, so the work per item stays bounded however long the daemon runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "classifiers/analysis.h"
#include "core/canonical_link.h"  // CanonicalLink, which decides which items are one article

namespace newsmon {

struct StoryOptions {
  // An item joins a story when its cosine similarity to the story reaches this. Chosen on the
  // training dates of tests/data/story-labels.jsonl for precision: a wrong merge hides a new
  // event from the editor, a wrong split only sends one alert too many (docs/stories.md).
  double threshold = 0.25;
  // Stories with no new item for this long are closed: a later item starts a new story.
  std::chrono::seconds window{std::chrono::hours(36)};
  // Nor does a story take items for longer than this after its first: an event is reported
  // within days, and a story that chains for longer (a daily digest) is closed, so that none
  // grows without end. A later report starts a new story (and alerts as `new` again).
  std::chrono::seconds max_age{std::chrono::hours(24 * 7)};
  // Words of the lead (summary) taken after the title: the lead says what happened, the rest
  // is background that other stories share.
  int lead_words = 40;
};

// Views: the clusterer keeps nothing of an item's text after Add or Restore returns.
struct StoryItem {
  std::string_view title;
  std::string_view summary;
  std::string_view link;
  std::int64_t published = 0;  // Unix seconds; items should come roughly in time order
  // Title and summary already analysed (the pipeline's, shared with the classifier); when
  // null the clusterer analyses them itself.
  const Analysis* analysis = nullptr;
  // CanonicalLink(link), when the caller has it already (the pipeline's, which identifies the
  // item by it too); when null the clusterer makes it.
  const std::string* canonical_link = nullptr;
  // For Restore: the words Add read from this item (StoryAssignment::words, as stored). When
  // set and readable, title and summary are not analysed again: analysing every item of the
  // window was nearly all of what a start with stories cost (docs/performance.md).
  std::string_view words = {};
};

struct StoryAssignment {
  std::int64_t story = 0;  // ids count from 1 in the order stories start
  bool started = false;    // the item started the story
  // To the story it joined, also when by the same link (1 when there are no words to
  // compare); 0 when started.
  double similarity = 0;
  // The item's words as the clusterer read them (stems and title/lead weights, in the order
  // read), to store with the item and hand back to Restore as StoryItem::words. Empty when
  // they cannot be written down (a stem holding the separator); Restore then analyses.
  std::string words = {};
  // Joined by its canonical link, which an item of the story already had: that article again,
  // in another feed or a later version (a live page), so no new source whatever its words.
  bool same_link = false;
};

class StoryClusterer {
 public:
  virtual ~StoryClusterer() = default;
  static std::unique_ptr<StoryClusterer> Create(const StoryOptions& options = {});

  virtual StoryAssignment Add(const StoryItem& item) = 0;
  // After a restart: puts a stored item back into the story the store says it belongs to
  // (starting that story under its id if needed), learning its words as Add does but without
  // deciding anything, so that the stories open before the restart stay open.
  virtual void Restore(const StoryItem& item, std::int64_t story) = 0;
  // New stories get ids above `id` (the largest one the store holds).
  virtual void ReserveIdsThrough(std::int64_t id) = 0;
  virtual std::size_t open_stories() const = 0;  // stories still inside the window
};

}  // namespace newsmon
