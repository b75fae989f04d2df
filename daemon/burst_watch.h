// The daemon's side of burst alerts (classifiers/bursts.h): learns from every `new` story
// alert that goes out, asks the detector after each, and stores a `burst` alert in the outbox
// when a thread bursts. On start-up it relearns the baseline from the stored alerts.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "classifiers/bursts.h"
#include "classifiers/classifier.h"
#include "core/status.h"
#include "store/store.h"

namespace newsmon {

// An item published this long before it was detected is a backlog (a feed seen for the first
// time, or again after downtime), not news breaking now: it does not count towards a burst.
inline constexpr std::int64_t kFreshFor = 3 * 3600;

class BurstWatch {
 public:
  explicit BurstWatch(Store& store) : store_(store) {}

  Status Start(const std::vector<ThreadDefinition>& threads, std::int64_t now);
  // The threads of a (re)loaded config; one seen for the first time is watched from `now`.
  void SetThreads(const std::vector<ThreadDefinition>& threads, std::int64_t now);
  // A published alert body; only fresh `new` alerts of stories count.
  void Observe(const nlohmann::json& alert);
  // Stores a burst alert for each thread bursting at `now`; returns how many it stored.
  std::size_t StoreBursts(std::int64_t now);

 private:
  Store& store_;
  BurstDetector detector_;
};

}  // namespace newsmon
