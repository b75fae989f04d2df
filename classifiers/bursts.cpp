#include "classifiers/bursts.h"

#include <algorithm>
#include <cmath>

namespace newsmon {
namespace {

// A thread remembers at most this many stories: enough for a busy week of a busy thread; past
// it the oldest are dropped, and the baseline then starts after them.
constexpr std::size_t kMaxRemembered = 20'000;

}  // namespace

double PoissonTail(int k, double lambda) {
  if (k <= 0) return 1.0;
  if (lambda <= 0) return 0.0;
  // Below the mean the tail is large; 1 - CDF there, summed in the usual direction.
  if (k <= lambda) {
    double cdf = 0;
    for (int i = 0; i < k; ++i)
      cdf += std::exp(-lambda + i * std::log(lambda) - std::lgamma(i + 1));
    return std::max(0.0, 1.0 - cdf);
  }
  // Above the mean the terms fall fast: sum them from k until they stop mattering.
  double tail = 0;
  for (int i = k; i < k + 1000; ++i) {
    const double term = std::exp(-lambda + i * std::log(lambda) - std::lgamma(i + 1));
    tail += term;
    if (term < tail * 1e-12) break;
  }
  return std::min(1.0, tail);
}

void BurstDetector::Observe(const std::string& thread, std::int64_t story, std::int64_t at) {
  ThreadState& state = threads_[thread];
  if (!state.ids.insert(story).second) return;
  auto position = std::upper_bound(state.seen.begin(), state.seen.end(), at,
                                   [](std::int64_t t, const Seen& seen) { return t < seen.at; });
  state.seen.insert(position, {at, story});
  if (state.seen.size() > kMaxRemembered) {
    state.forgotten_through = std::max(state.forgotten_through, state.seen.front().at);
    state.ids.erase(state.seen.front().story);
    state.seen.erase(state.seen.begin());
  }
}

void BurstDetector::BurstAt(const std::string& thread, std::int64_t at) {
  ThreadState& state = threads_[thread];
  state.quiet_from = std::max(state.quiet_from, at + RuleOf(thread).window.count());
}

std::vector<Burst> BurstDetector::Check(std::int64_t now) {
  std::vector<Burst> bursts;
  for (auto& [thread, state] : threads_) {
    Burst burst;
    if (CheckThread(thread, state, now, burst)) bursts.push_back(std::move(burst));
  }
  return bursts;
}

const BurstRule& BurstDetector::RuleOf(const std::string& thread) const {
  static const BurstRule kDefault;
  auto found = rules_.find(thread);
  return found == rules_.end() ? kDefault : found->second;
}

bool BurstDetector::CheckThread(const std::string& thread, ThreadState& state, std::int64_t now,
                                Burst& out) {
  const BurstRule& rule = RuleOf(thread);
  const std::int64_t window = rule.window.count();
  // The baseline starts where the detector knows it: not before history or the thread's
  // watch, nor before the stories dropped for the cap (counted as silence, they made a busy
  // thread look quiet).
  const std::int64_t baseline_start = std::max({now - rule.baseline.count(), history_start_,
                                                state.watched_since, state.forgotten_through + 1});
  std::erase_if(state.seen, [&](const Seen& seen) {
    const bool forgotten = seen.at < now - rule.baseline.count();
    if (forgotten) state.ids.erase(seen.story);
    return forgotten;
  });
  // A quiet time more than a window ahead was set by a clock since put back: it is over.
  if (!rule.enabled || (now < state.quiet_from && state.quiet_from <= now + window)) return false;
  // Too little history to know what is usual: better no burst than one on every start-up.
  const std::int64_t span = now - window - baseline_start;
  if (span < window) return false;
  int recent = 0;
  int before = 0;
  for (const Seen& seen : state.seen) {
    if (seen.at > now) continue;
    if (seen.at > now - window) {
      ++recent;
    } else if (seen.at >= baseline_start) {
      ++before;
    }
  }
  if (recent < rule.min_stories) return false;
  // One story more than seen keeps a silent baseline from predicting exactly nothing.
  const double expected = (before + 1.0) / static_cast<double>(span) * static_cast<double>(window);
  const double p = PoissonTail(recent, expected);
  if (p > rule.p_value) return false;
  out = {thread, recent, expected, p, now - window, {}};
  for (const Seen& seen : state.seen) {
    if (seen.at > now - window && seen.at <= now) out.story_ids.push_back(seen.story);
  }
  state.quiet_from = now + window;
  return true;
}

}  // namespace newsmon
