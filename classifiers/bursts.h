// Bursts: a thread whose new stories suddenly come much faster than they usually do, as when
// a wave of strikes hits the grid in one night. The Europe Media Monitor flags such jumps
// against each topic's own history; here, per thread, the number of stories that entered the
// thread within the recent window is compared with what the thread's rate over its baseline
// predicts, by the Poisson probability of seeing that many or more. Work and memory per thread
// are bounded by the baseline's stories (capped), not by how long the daemon runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace newsmon {

// Per thread, in its thread file's [thread.burst] (docs/threads.md).
struct BurstRule {
  bool enabled = true;
  std::chrono::seconds window{std::chrono::minutes(15)};  // "recent"
  std::chrono::seconds baseline{std::chrono::days(7)};    // the history it is compared with
  int min_stories = 5;     // fewer new stories are never a burst, however quiet the thread was
  double p_value = 0.001;  // how improbable the count must be under the baseline rate
};

struct Burst {
  std::string thread;
  int stories = 0;      // new stories within the window
  double expected = 0;  // how many the baseline rate predicts for a window
  double p_value = 1;   // Poisson probability of `stories` or more
  std::int64_t window_start = 0;
  std::vector<std::int64_t> story_ids;  // the stories in the window, oldest first
};

// P(X >= k) for X ~ Poisson(lambda).
double PoissonTail(int k, double lambda);

class BurstDetector {
 public:
  // Threads without a rule get the default one.
  void SetRules(std::map<std::string, BurstRule> rules) { rules_ = std::move(rules); }

  // Story `story` entered `thread` at `at` (Unix seconds); a story already seen in the thread
  // is not counted twice. Stories older than the thread's baseline are forgotten.
  void Observe(const std::string& thread, std::int64_t story, std::int64_t at);

  // The threads bursting at `now`. A thread reports a burst once; it can burst again after a
  // whole window without one.
  std::vector<Burst> Check(std::int64_t now);

  // When history starts: before it, the baseline is unknown rather than quiet. Set to the
  // oldest time the store was asked about on start-up.
  void SetHistoryStart(std::int64_t at) { history_start_ = at; }
  // When `thread` began to be watched (Store::WatchThread): its baseline starts no earlier. A
  // thread added to a database that watched others for a month has no month of silence
  // behind it.
  void SetWatchedSince(const std::string& thread, std::int64_t at) {
    threads_[thread].watched_since = at;
  }

  // `thread` burst at `at` (a stored burst alert, on start-up): it reports no other until a
  // window after, as if this detector had reported it.
  void BurstAt(const std::string& thread, std::int64_t at);

 private:
  struct Seen {
    std::int64_t at = 0;
    std::int64_t story = 0;
  };
  struct ThreadState {
    std::vector<Seen> seen;       // by time; at most kMaxRemembered
    std::set<std::int64_t> ids;   // the stories of `seen`
    std::int64_t quiet_from = 0;  // a burst was reported; the next may come after this
    std::int64_t forgotten_through = 0;  // the newest story dropped for the cap
    std::int64_t watched_since = 0;
  };
  const BurstRule& RuleOf(const std::string& thread) const;
  bool CheckThread(const std::string& thread, ThreadState& state, std::int64_t now, Burst& out);

  std::map<std::string, BurstRule> rules_;
  std::map<std::string, ThreadState> threads_;
  std::int64_t history_start_ = 0;
};

}  // namespace newsmon
