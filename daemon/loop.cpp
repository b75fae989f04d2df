#include "daemon/loop.h"

#include <algorithm>

namespace newsmon {

std::chrono::milliseconds Loop::Timeout(Clock::TimePoint now) const {
  std::optional<Clock::TimePoint> earliest;
  for (const Registration& registration : registrations_) {
    if (!registration.deadline) continue;
    if (auto due = registration.deadline(); due && (!earliest || *due < *earliest)) earliest = due;
  }
  if (!earliest) return longest_wait_;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(*earliest - now);
  return std::clamp(wait, std::chrono::milliseconds(0), longest_wait_);
}

Status Loop::Turn() {
  const Clock::TimePoint start = clock_.Now();
  last_turn_start_ = start;
  std::vector<WaitFd> fds;
  std::vector<std::size_t> first_fd;  // per registration: where its descriptors begin in fds
  for (const Registration& registration : registrations_) {
    first_fd.push_back(fds.size());
    if (!registration.fds) continue;
    for (const WaitFd& fd : registration.fds()) fds.push_back(fd);
  }
  first_fd.push_back(fds.size());
  last_timeout_ = Timeout(start);
  progress_->DueBack(start + last_timeout_);
  if (Status waited = waiter_.Wait(fds, last_timeout_); !waited.ok()) return waited;
  const Clock::TimePoint now = clock_.Now();
  progress_->DueBack(now);
  for (std::size_t i = 0; i < registrations_.size(); ++i) {
    std::span<const WaitFd> own(fds.data() + first_fd[i], first_fd[i + 1] - first_fd[i]);
    if (registrations_[i].run) registrations_[i].run(own, now);
  }
  return Status::Ok();
}

}  // namespace newsmon
