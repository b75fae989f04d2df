// The daemon's list of feeds and what it knows about each between polls: when it is due,
// whether a fetch is in flight, how many times in a row it failed and why. A reload
// replaces the list and keeps what it knew about feeds that stay.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "daemon/config.h"
#include "daemon/scheduler.h"

namespace newsmon {

struct FeedState {
  FeedConfig config;
  int failures = 0;
  std::string last_error;
  bool in_flight = false;
  Scheduler::Clock::time_point next_due{};
};

// What a fetch's outcome changed, so the log speaks when a feed's state changes and not
// on every failed poll.
enum class FeedChange { kNone, kStartedFailing, kErrorChanged, kRecovered };

class FeedBook {
 public:
  using Clock = Scheduler::Clock;

  // New feeds are due at now; feeds that stay keep their state and due time (brought
  // forward if their interval got shorter).
  void Replace(const std::vector<FeedConfig>& feeds, std::chrono::milliseconds default_interval,
               Clock::time_point now);
  // Marks the due feeds in flight and returns them.
  std::vector<FeedConfig> StartDue(Clock::time_point now);
  std::optional<Clock::time_point> NextDue() const { return scheduler_.NextDue(); }
  // Records a finished fetch and schedules the next one. Unknown names (a feed removed
  // while its fetch was in flight) are ignored.
  FeedChange Finish(const std::string& name, const Status& outcome, Clock::time_point now);

  const FeedState* Find(const std::string& name) const;
  std::size_t size() const { return feeds_.size(); }
  std::size_t failing() const;

 private:
  std::chrono::milliseconds IntervalOf(const FeedState& feed) const;
  FeedState* FindMutable(const std::string& name);

  std::vector<FeedState> feeds_;
  std::unordered_map<std::string, std::size_t> index_;  // name → position in feeds_
  std::chrono::milliseconds default_interval_{std::chrono::minutes(5)};
  Scheduler scheduler_;
};

}  // namespace newsmon
