#include "daemon/scheduler.h"

#include <algorithm>

namespace newsmon {

std::vector<std::size_t> Scheduler::PopDue(Clock::time_point now) {
  std::vector<std::size_t> due;
  while (!queue_.empty() && queue_.top().due <= now) {
    due.push_back(queue_.top().feed);
    queue_.pop();
  }
  return due;
}

std::optional<Scheduler::Clock::time_point> Scheduler::NextDue() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.top().due;
}

}  // namespace newsmon
