// The daemon's one wait (mosh's select.h idea): each part registers, under a name, the
// descriptors it waits on and its next deadline; every turn the loop asks all of them, blocks
// once (in the Waiter: the fetcher's curl_multi_poll, so curl's sockets are in the same
// wait) until a descriptor is ready or the earliest deadline comes, then runs every
// registration in the order they were added. Nothing polls: an idle daemon sleeps until the
// next deadline, at most `longest_wait`.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "core/wait_fd.h"

namespace newsmon {

struct Registration {
  std::string name;  // for messages and tests: "webhooks", "replay"
  // Asked before every wait; either may be empty.
  std::function<std::vector<WaitFd>()> fds;
  std::function<std::optional<Clock::TimePoint>()> deadline;
  // Runs after every wait, with this registration's descriptors (readable/writable set) and
  // the time after the wait. Runs whether or not anything of its own was ready: parts whose
  // descriptors are edge-triggered (ZeroMQ's ZMQ_FD) must look every time.
  std::function<void(std::span<const WaitFd> ready, Clock::TimePoint now)> run;
};

// When the loop is due back, readable from any thread (the metrics listener's /healthz): during
// a wait, when the wait ends; while the registrations run, when they began. A loop that is
// past due has stopped turning, e.g. on a document that takes seconds to parse.
class LoopProgress {
 public:
  void DueBack(Clock::TimePoint when) {
    due_back_.store(when.time_since_epoch().count(), std::memory_order_relaxed);
  }
  // How long past due the loop is at `now`; zero when it is not, or has not started.
  Clock::Duration Overdue(Clock::TimePoint now) const {
    const Clock::Duration::rep due = due_back_.load(std::memory_order_relaxed);
    if (due == kNotStarted) return Clock::Duration::zero();
    return std::max(now - Clock::TimePoint(Clock::Duration(due)), Clock::Duration::zero());
  }

 private:
  static constexpr Clock::Duration::rep kNotStarted =
      std::numeric_limits<Clock::Duration::rep>::min();
  std::atomic<Clock::Duration::rep> due_back_{kNotStarted};
};

class Loop {
 public:
  Loop(const Clock& clock, Waiter& waiter,
       std::chrono::milliseconds longest_wait = std::chrono::minutes(1))
      : clock_(clock), waiter_(waiter), longest_wait_(longest_wait) {}

  void Add(Registration registration) { registrations_.push_back(std::move(registration)); }

  // One turn: collect descriptors and deadlines, wait once, run every registration. Fails
  // only when the wait itself fails.
  Status Turn();

  // From the last turn: how long it waited (for tests and metrics) and when it began.
  std::chrono::milliseconds last_timeout() const { return last_timeout_; }
  std::optional<Clock::TimePoint> last_turn_start() const { return last_turn_start_; }
  // Where each turn reports when it is due back; another thread may hold and read it.
  const std::shared_ptr<LoopProgress>& progress() const { return progress_; }
  void ShareProgress(std::shared_ptr<LoopProgress> progress) { progress_ = std::move(progress); }

 private:
  std::chrono::milliseconds Timeout(Clock::TimePoint now) const;

  const Clock& clock_;
  Waiter& waiter_;
  std::chrono::milliseconds longest_wait_;
  std::vector<Registration> registrations_;
  std::chrono::milliseconds last_timeout_{0};
  std::optional<Clock::TimePoint> last_turn_start_;
  std::shared_ptr<LoopProgress> progress_ = std::make_shared<LoopProgress>();
};

}  // namespace newsmon
