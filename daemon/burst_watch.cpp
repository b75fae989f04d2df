#include "daemon/burst_watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/time_format.h"

namespace newsmon {

Status BurstWatch::Start(const std::vector<ThreadDefinition>& threads, std::int64_t now) {
  SetThreads(threads, now);
  auto since = store_.WatchingSince();
  if (!since.ok()) return since.status();
  detector_.SetHistoryStart(*since == 0 ? now : *since);
  std::chrono::seconds longest{0};
  for (const ThreadDefinition& thread : threads) longest = std::max(longest, thread.burst.baseline);
  auto entries = store_.StoryEntriesSince(now - longest.count(), kFreshFor);
  if (!entries.ok()) return entries.status();
  for (const StoryEntry& entry : *entries) detector_.Observe(entry.thread, entry.story, entry.at);
  // A surge reported before the restart is not reported again after it: a deploy or a
  // crash loop would repeat its burst alert for as long as the surge is in the window.
  for (const ThreadDefinition& thread : threads) {
    auto last = store_.LastBurstAt(thread.id);
    if (!last.ok()) return last.status();
    if (*last > 0) detector_.BurstAt(thread.id, *last);
  }
  return Status::Ok();
}

void BurstWatch::SetThreads(const std::vector<ThreadDefinition>& threads, std::int64_t now) {
  std::map<std::string, BurstRule> rules;
  for (const ThreadDefinition& thread : threads) rules[thread.id] = thread.burst;
  detector_.SetRules(std::move(rules));
  for (const ThreadDefinition& thread : threads) {
    auto since = store_.WatchThread(thread.id, now);
    if (!since.ok()) {
      // Only a thread new to the database needs the write (another process holding the
      // lock, a full disk): watched from now in this run, and recorded at the next start.
      spdlog::warn("cannot record when thread '{}' began to be watched: {}", thread.id,
                   since.status().message());
    }
    detector_.SetWatchedSince(thread.id, since.ok() ? *since : now);
  }
}

void BurstWatch::Observe(const nlohmann::json& alert) {
  if (!alert.is_object() || alert.value("kind", "") != "new") return;
  const auto story = alert.find("story");
  if (story == alert.end() || !story->is_object()) return;
  const std::int64_t detected = ParseRfc3339(alert.value("detected_at", ""));
  const auto item = alert.find("item");
  if (item != alert.end() && item->is_object()) {
    const auto published = item->find("published");
    if (published != item->end() && published->is_string() &&
        ParseRfc3339(published->get<std::string>()) < detected - kFreshFor) {
      return;
    }
  }
  detector_.Observe(alert.value("thread", ""), story->value("id", std::int64_t{0}), detected);
}

std::size_t BurstWatch::StoreBursts(std::int64_t now) {
  std::size_t stored = 0;
  for (const Burst& burst : detector_.Check(now)) {
    BurstAlert alert;
    alert.thread = burst.thread;
    alert.stories = burst.stories;
    alert.expected = burst.expected;
    alert.p_value = burst.p_value;
    alert.window_start = burst.window_start;
    alert.detected_at = now;
    auto seq = store_.InsertBurstAlert(std::move(alert), burst.story_ids);
    if (!seq.ok()) {
      spdlog::error("cannot store the burst of thread '{}': {}", burst.thread,
                    seq.status().message());
      continue;
    }
    spdlog::warn("thread '{}' bursts: {} new stories since {} where {:.2f} were expected",
                 burst.thread, burst.stories, FormatRfc3339(burst.window_start), burst.expected);
    ++stored;
  }
  return stored;
}

}  // namespace newsmon
