#include "store/story_ledger.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "core/canonical_link.h"

namespace newsmon {
namespace {

// An alert names at most this many sources; source_count has them all. A story that twenty
// outlets carry is what an editor wants to see; a list of two hundred is noise in a message.
constexpr std::size_t kSourcesNamed = 50;

}  // namespace

Result<bool> StoryLedger::Join(std::int64_t story, std::int64_t item_row, const std::string& feed,
                               std::int64_t at, bool matters, bool first, bool same_article) {
  if (first) {
    if (!matters) return false;
    return WriteJoin(story, item_row, feed, at, /*same_article=*/false);
  }
  auto written = Written(story);
  if (!written.ok()) return written.status();
  if (!*written) {
    if (!matters) return false;
    if (Status s = Replay(story, item_row); !s.ok()) return s;
  }
  return WriteJoin(story, item_row, feed, at, same_article);
}

Status StoryLedger::Write(std::int64_t story) {
  auto written = Written(story);
  if (!written.ok()) return written.status();
  if (*written) return Status::Ok();
  return Replay(story, std::numeric_limits<std::int64_t>::max());
}

Result<bool> StoryLedger::Written(std::int64_t story) {
  auto stmt = db_.Prepare("SELECT 1 FROM story_ledger WHERE story = ?1 AND part = 0 AND name = ''");
  if (!stmt.ok()) return stmt.status();
  const bool written = stmt->Bind(1, story).Step();
  if (!stmt->status().ok()) return stmt->status();
  return written;
}

Status StoryLedger::Replay(std::int64_t story, std::int64_t before) {
  auto items = db_.Prepare(
      "SELECT id, feed, fetched_at, link FROM items WHERE story = ?1 AND id < ?2 ORDER BY id");
  if (!items.ok()) return items.status();
  items->Bind(1, story).Bind(2, before);
  std::vector<std::string> links;  // what the clusterer keeps of the story's (kStoryLinksKept)
  while (items->Step()) {
    std::string link = CanonicalLink(items->ColumnText(3));
    const bool same_article = std::find(links.begin(), links.end(), link) != links.end();
    if (!same_article && !link.empty() && links.size() < kStoryLinksKept) {
      links.push_back(std::move(link));
    }
    auto joined = WriteJoin(story, items->ColumnInt(0), items->ColumnText(1), items->ColumnInt(2),
                            same_article);
    if (!joined.ok()) return joined.status();
  }
  return items->status();
}

Result<bool> StoryLedger::WriteJoin(std::int64_t story, std::int64_t item_row,
                                    const std::string& feed, std::int64_t at, bool same_article) {
  auto start = db_.Prepare(
      "INSERT OR IGNORE INTO story_ledger(story, part, name, at, item) VALUES (?1, 0, '', ?3, ?2)");
  if (!start.ok()) return start.status();
  if (Status s = start->Bind(1, story).Bind(2, item_row).Bind(3, at).Run(); !s.ok()) return s;
  if (same_article) return false;
  auto source = db_.Prepare(
      "INSERT OR IGNORE INTO story_ledger(story, part, name, at, item) VALUES (?1, 1, ?2, ?3, ?4)");
  if (!source.ok()) return source.status();
  if (Status s = source->Bind(1, story).Bind(2, feed).Bind(3, at).Bind(4, item_row).Run();
      !s.ok()) {
    return s;
  }
  return db_.Changes() > 0;
}

Result<std::vector<std::string>> StoryLedger::Threads(std::int64_t story) {
  auto stmt = db_.Prepare("SELECT name FROM story_ledger WHERE story = ?1 AND part = 2");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, story);
  std::vector<std::string> threads;
  while (stmt->Step()) threads.push_back(stmt->ColumnText(0));
  if (!stmt->status().ok()) return stmt->status();
  return threads;
}

Result<StoryRef> StoryLedger::Ref(std::int64_t story) {
  StoryRef ref;
  ref.id = story;
  if (Status s = ReadHeadAndSources(story, ref); !s.ok()) return s;
  return ref;
}

// The story's row and its sources are neighbours in the ledger: one range read. All of the
// sources are counted, and the first kSourcesNamed to join named, in the order they joined
// (the item that brought each orders those of one second). Sorted here rather than by ORDER
// BY: SQLite's sorter, set up for every alert, cost more than the rest of the alert's rows
// together (callgrind, docs/stories.md), and a story has at most one row per feed.
Status StoryLedger::ReadHeadAndSources(std::int64_t story, StoryRef& ref) {
  auto stmt =
      db_.Prepare("SELECT part, at, item, name FROM story_ledger WHERE story = ?1 AND part <= 1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, story);
  struct Source {
    std::int64_t joined_at, item;
    std::string feed;
  };
  std::vector<Source> sources;
  while (stmt->Step()) {
    if (stmt->ColumnInt(0) == 0) {
      ref.first_seen = stmt->ColumnInt(1);
      continue;
    }
    sources.push_back({stmt->ColumnInt(1), stmt->ColumnInt(2), stmt->ColumnText(3)});
  }
  if (!stmt->status().ok()) return stmt->status();
  const std::size_t named = std::min(sources.size(), kSourcesNamed);
  std::partial_sort(sources.begin(), sources.begin() + static_cast<std::ptrdiff_t>(named),
                    sources.end(), [](const Source& a, const Source& b) {
                      return std::tie(a.joined_at, a.item) < std::tie(b.joined_at, b.item);
                    });
  ref.source_count = static_cast<std::int64_t>(sources.size());
  for (std::size_t i = 0; i < named; ++i) ref.sources.push_back(std::move(sources[i].feed));
  return Status::Ok();
}

Result<StoryAlertDecision> StoryLedger::Decide(std::int64_t story, const std::string& thread,
                                               std::int64_t item_row, std::int64_t at, bool news,
                                               std::int64_t update_window) {
  auto state =
      db_.Prepare("SELECT at FROM story_ledger WHERE story = ?1 AND part = 2 AND name = ?2");
  if (!state.ok()) return state.status();
  state->Bind(1, story).Bind(2, thread);
  std::optional<std::int64_t> last_alert_at;
  if (state->Step()) last_alert_at = state->ColumnInt(0);
  if (!state->status().ok()) return state->status();
  if (!last_alert_at) {
    auto enter =
        db_.Prepare("INSERT INTO story_ledger(story, part, name, at) VALUES (?1, 2, ?2, ?3)");
    if (!enter.ok()) return enter.status();
    if (Status s = enter->Bind(1, story).Bind(2, thread).Bind(3, at).Run(); !s.ok()) return s;
    return StoryAlertDecision::kNew;
  }
  if (!news) return StoryAlertDecision::kNone;
  // A last alert "in the future" was stamped by a clock since put back: it is past.
  if (at - *last_alert_at >= update_window || *last_alert_at > at) {
    if (Status s = MarkAlerted(story, thread, at); !s.ok()) return s;
    return StoryAlertDecision::kUpdateNow;
  }
  auto wait =
      db_.Prepare("UPDATE story_ledger SET item = ?3 WHERE story = ?1 AND part = 2 AND name = ?2");
  if (!wait.ok()) return wait.status();
  if (Status s = wait->Bind(1, story).Bind(2, thread).Bind(3, item_row).Run(); !s.ok()) return s;
  return StoryAlertDecision::kPending;
}

Result<std::vector<PendingStoryUpdate>> StoryLedger::DueUpdates(std::int64_t now,
                                                                std::int64_t update_window,
                                                                std::size_t limit) {
  auto stmt = db_.Prepare(
      "SELECT story, name, item FROM story_ledger WHERE part = 2 AND item IS NOT NULL "
      "AND (at <= ?1 OR at > ?3) ORDER BY at LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  // After ?3 (now): stamped by a clock since put back, so due now, not in months.
  stmt->Bind(1, now - update_window).Bind(2, static_cast<std::int64_t>(limit)).Bind(3, now);
  std::vector<PendingStoryUpdate> due;
  while (stmt->Step()) due.push_back({stmt->ColumnInt(0), stmt->ColumnText(1), stmt->ColumnInt(2)});
  if (!stmt->status().ok()) return stmt->status();
  return due;
}

Status StoryLedger::MarkAlerted(std::int64_t story, const std::string& thread, std::int64_t at) {
  auto stmt = db_.Prepare(
      "UPDATE story_ledger SET at = ?3, item = NULL WHERE story = ?1 AND part = 2 AND name = ?2");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, story).Bind(2, thread).Bind(3, at).Run();
}

Status StoryLedger::Enter(std::int64_t story, const std::string& thread, std::int64_t at) {
  if (Status s = Write(story); !s.ok()) return s;  // a thread's row needs the story's rows
  auto stmt = db_.Prepare(
      "INSERT INTO story_ledger(story, part, name, at) VALUES (?1, 2, ?2, ?3) "
      "ON CONFLICT(story, part, name) DO UPDATE SET at = ?3, item = NULL");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, story).Bind(2, thread).Bind(3, at).Run();
}

Result<std::optional<std::int64_t>> StoryLedger::NextDue(std::int64_t update_window) {
  auto stmt = db_.Prepare("SELECT MIN(at) FROM story_ledger WHERE part = 2 AND item IS NOT NULL");
  if (!stmt.ok()) return stmt.status();
  std::optional<std::int64_t> due;
  if (stmt->Step() && !stmt->ColumnIsNull(0)) due = stmt->ColumnInt(0) + update_window;
  if (!stmt->status().ok()) return stmt->status();
  return due;
}

Result<BurstStory> StoryLedger::Describe(std::int64_t story) {
  auto stmt = db_.Prepare(
      "SELECT s.story, i.title, i.link, i.feed, s.at, "
      "(SELECT COUNT(*) FROM story_ledger WHERE story = s.story AND part = 1) "
      "FROM story_ledger s LEFT JOIN items i ON i.id = s.item "
      "WHERE s.story = ?1 AND s.part = 0 AND s.name = ''");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, story);
  BurstStory described;
  if (stmt->Step()) {
    described = {stmt->ColumnInt(0),  stmt->ColumnText(1), stmt->ColumnText(2),
                 stmt->ColumnText(3), stmt->ColumnInt(4),  stmt->ColumnInt(5)};
  }
  if (!stmt->status().ok()) return stmt->status();
  return described;
}

Result<std::int64_t> StoryLedger::LastId() {
  auto stmt = db_.Prepare("SELECT COALESCE(MAX(story), 0) FROM story_ledger");
  if (!stmt.ok()) return stmt.status();
  const std::int64_t id = stmt->Step() ? stmt->ColumnInt(0) : 0;
  if (!stmt->status().ok()) return stmt->status();
  return id;
}

// Found through the pruned items' story ids, so that no index of a story's last sight is
// written with every story. "Newer" is judged by the story's last stored item, one step back
// along items(story) whatever the story's size (asking for any item at or after the cutoff
// walked all of them, pruned ones too, for each pruned item: a batch of a story of 20,000 items
// took 0.84 s); after a clock was put back it may be older than an earlier item, and the
// story's rows then go early, to be written again if an item joins it.
Status StoryLedger::ForgetWithItemsBefore(std::int64_t cutoff, std::size_t batch) {
  auto stmt = db_.Prepare(
      "DELETE FROM story_ledger WHERE story IN (SELECT DISTINCT pruned.story FROM items pruned "
      "WHERE pruned.id IN (SELECT id FROM items WHERE pruned = 0 AND fetched_at < ?1 "
      "ORDER BY fetched_at LIMIT ?2) AND pruned.story IS NOT NULL AND (SELECT "
      "newest.fetched_at FROM items newest WHERE newest.story = pruned.story ORDER BY "
      "newest.id DESC LIMIT 1) < ?1)");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, cutoff).Bind(2, static_cast<std::int64_t>(batch)).Run();
}

}  // namespace newsmon
