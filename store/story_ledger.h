// The store's bookkeeping of stories (internal to store/): which feeds reported a story, which
// threads it is in, and which `update` alert waits for its window, all in the rows of one
// table ordered by story (`story_ledger`, schema 11), so a commit writes few pages of it. Every
// call runs inside the caller's transaction, so a story's state and the alerts it causes
// commit together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/item.h"
#include "core/status.h"
#include "store/sqlite.h"

namespace newsmon {

// What a story's item means for one thread's alerts.
enum class StoryAlertDecision {
  kNew,        // the story was not in the thread: its first alert there
  kUpdateNow,  // a new source, and the thread's last alert of the story is a window old
  kPending,    // news within the window: the update waits (FlushStoryUpdates)
  kNone,       // nothing new (a near copy of an outlet's own item): stored, no alert
};

struct PendingStoryUpdate {
  std::int64_t story = 0;
  std::string thread;
  std::int64_t item_row = 0;
};

class StoryLedger {
 public:
  explicit StoryLedger(sqlite::Database& db) : db_(db) {}

  // Records that item_row of feed (stored with its story id, fetched at `at`) belongs to
  // story. A story's rows are written only once it matters (`matters`: the item is in a
  // thread), replaying the joins of its earlier items; most stories never alert, and their
  // rows would be written for nothing. Once written they are kept up to date with every item.
  // `first`: the item started the story, so nothing of it can be written yet (most items:
  // this spares them even the look-up). `same_article`: the item has the link of an item
  // already in the story (ClassifiedItem::story_same_link), so its feed is no new source: one
  // outlet's article in two of its feeds is one source. Replayed items are judged by the same
  // rule, from their stored links. Returns whether feed is a source the story did not have (false
  // when nothing is written).
  Result<bool> Join(std::int64_t story, std::int64_t item_row, const std::string& feed,
                    std::int64_t at, bool matters, bool first, bool same_article);
  // The threads the story has alerted in, by name.
  Result<std::vector<std::string>> Threads(std::int64_t story);
  Result<StoryRef> Ref(std::int64_t story);
  // Decides, and records, what item_row of story means for thread; `news`: the item brings a
  // new source or a report of its own (not a near copy).
  Result<StoryAlertDecision> Decide(std::int64_t story, const std::string& thread,
                                    std::int64_t item_row, std::int64_t at, bool news,
                                    std::int64_t update_window);
  Result<std::vector<PendingStoryUpdate>> DueUpdates(std::int64_t now, std::int64_t update_window,
                                                     std::size_t limit);
  Status MarkAlerted(std::int64_t story, const std::string& thread, std::int64_t at);
  // The story is in thread from now on (a revision made it match), alerted at `at`; its rows
  // are written first if they were not.
  Status Enter(std::int64_t story, const std::string& thread, std::int64_t at);
  Result<std::optional<std::int64_t>> NextDue(std::int64_t update_window);
  // The story by its first item, for a burst alert; id 0 when its rows are not stored.
  Result<BurstStory> Describe(std::int64_t story);
  // The largest story id with rows (0 for none).
  Result<std::int64_t> LastId();
  // Removes the rows of the stories that the next `batch` items fetched before `cutoff`
  // (the ones Store::PruneItemsBefore prunes next) belong to, when no item of them is newer.
  Status ForgetWithItemsBefore(std::int64_t cutoff, std::size_t batch);

 private:
  Result<bool> Written(std::int64_t story);
  Status ReadHeadAndSources(std::int64_t story, StoryRef& ref);
  // Writes the story's rows if they are not yet, from every item that carries its id.
  Status Write(std::int64_t story);
  // Replays the joins of the story's items stored before item `before`, oldest first, so its
  // rows are what writing them at each join would have left.
  Status Replay(std::int64_t story, std::int64_t before);
  Result<bool> WriteJoin(std::int64_t story, std::int64_t item_row, const std::string& feed,
                         std::int64_t at, bool same_article);

  sqlite::Database& db_;
};

}  // namespace newsmon
