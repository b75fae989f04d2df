#include "daemon/retention.h"

#include <spdlog/spdlog.h>

namespace newsmon {

void Retention::Tick(Clock::TimePoint now, std::chrono::milliseconds retention) {
  if (now < next_) return;
  const std::int64_t cutoff =
      clock_.UnixSeconds() - std::chrono::duration_cast<std::chrono::seconds>(retention).count();
  auto pruned = prune_(cutoff, kBatch);
  if (!pruned.ok()) {
    spdlog::error("retention: {}", pruned.status().message());
    next_ = now + kEvery;
    return;
  }
  if (*pruned > 0) spdlog::debug("retention: pruned {} items", *pruned);
  next_ = now + (*pruned == kBatch ? kNextBatch : kEvery);
}

}  // namespace newsmon
