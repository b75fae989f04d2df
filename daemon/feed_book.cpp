#include "daemon/feed_book.h"

#include <algorithm>

namespace newsmon {

void FeedBook::Replace(const std::vector<FeedConfig>& feeds,
                       std::chrono::milliseconds default_interval, Clock::time_point now) {
  std::vector<FeedState> replaced;
  for (const FeedConfig& config : feeds) {
    FeedState state;
    if (const FeedState* old = Find(config.name); old && old->config.url == config.url) {
      state = *old;
    } else {
      state.next_due = now;
    }
    state.config = config;
    replaced.push_back(std::move(state));
  }
  feeds_ = std::move(replaced);
  index_.clear();
  for (std::size_t i = 0; i < feeds_.size(); ++i) index_[feeds_[i].config.name] = i;
  default_interval_ = default_interval;
  scheduler_.Clear();
  for (std::size_t i = 0; i < feeds_.size(); ++i) {
    FeedState& feed = feeds_[i];
    if (feed.in_flight) continue;  // scheduled again when its fetch finishes
    feed.next_due = std::min(feed.next_due, now + IntervalOf(feed));
    scheduler_.Schedule(i, feed.next_due);
  }
}

std::vector<FeedConfig> FeedBook::StartDue(Clock::time_point now) {
  std::vector<FeedConfig> due;
  for (std::size_t index : scheduler_.PopDue(now)) {
    feeds_[index].in_flight = true;
    due.push_back(feeds_[index].config);
  }
  return due;
}

FeedChange FeedBook::Finish(const std::string& name, const Status& outcome,
                            Clock::time_point now) {
  FeedState* feed = FindMutable(name);
  if (!feed) return FeedChange::kNone;
  feed->in_flight = false;
  FeedChange change = FeedChange::kNone;
  if (outcome.ok()) {
    if (feed->failures > 0) change = FeedChange::kRecovered;
    feed->failures = 0;
    feed->last_error.clear();
    feed->next_due = now + IntervalOf(*feed);
  } else {
    change = feed->failures == 0                      ? FeedChange::kStartedFailing
             : feed->last_error != outcome.message() ? FeedChange::kErrorChanged
                                                      : FeedChange::kNone;
    ++feed->failures;
    feed->last_error = outcome.message();
    feed->next_due = now + BackoffDelay(IntervalOf(*feed), feed->failures);
  }
  scheduler_.Schedule(static_cast<std::size_t>(feed - feeds_.data()), feed->next_due);
  return change;
}

const FeedState* FeedBook::Find(const std::string& name) const {
  auto found = index_.find(name);
  return found == index_.end() ? nullptr : &feeds_[found->second];
}

FeedState* FeedBook::FindMutable(const std::string& name) {
  return const_cast<FeedState*>(std::as_const(*this).Find(name));
}

std::size_t FeedBook::failing() const {
  return static_cast<std::size_t>(std::count_if(
      feeds_.begin(), feeds_.end(), [](const FeedState& feed) { return feed.failures > 0; }));
}

std::chrono::milliseconds FeedBook::IntervalOf(const FeedState& feed) const {
  return feed.config.interval.value_or(default_interval_);
}

}  // namespace newsmon
