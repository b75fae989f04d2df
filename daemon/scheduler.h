// Which feed is due next. The loop asks for the nearest deadline and sleeps until then
// (mosh's select idea): nothing polls, so an idle daemon uses no CPU.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <queue>
#include <vector>

namespace newsmon {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;  // the time points of newsmon::Clock (core/env.h)

  void Schedule(std::size_t feed, Clock::time_point due) { queue_.push({due, feed}); }
  // Feeds due at or before now, earliest first; they leave the schedule until rescheduled.
  std::vector<std::size_t> PopDue(Clock::time_point now);
  std::optional<Clock::time_point> NextDue() const;
  void Clear() { queue_ = {}; }
  std::size_t size() const { return queue_.size(); }

 private:
  struct Entry {
    Clock::time_point due;
    std::size_t feed;
    bool operator>(const Entry& other) const {
      return due != other.due ? due > other.due : feed > other.feed;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
};

}  // namespace newsmon
