// Retention: items fetched longer than `retention` ago lose their text and matches (their ids
// stay, so they never alert again). Pruned in batches so one pass never holds SQLite's write
// lock for long: after a full batch the next follows shortly, between other work; otherwise
// the next pass is a minute later, as it is after a store failure (logged each time: the disk
// is filling).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/env.h"
#include "core/status.h"

namespace newsmon {

class Retention {
 public:
  static constexpr std::size_t kBatch = 500;
  static constexpr std::chrono::milliseconds kEvery{std::chrono::minutes(1)};
  static constexpr std::chrono::milliseconds kNextBatch{100};

  // Store::PruneItemsBefore: prunes up to `batch` items fetched before `cutoff` (Unix
  // seconds) and says how many it pruned.
  using Prune = std::function<Result<std::size_t>(std::int64_t cutoff, std::size_t batch)>;

  // clock must outlive the retention. The first pass is due at once.
  Retention(Prune prune, const Clock& clock) : prune_(std::move(prune)), clock_(clock) {}

  Clock::TimePoint next() const { return next_; }

  // Prunes one batch when `now` has reached next(), with the cutoff `retention` (the
  // config's, which a reload may change) before the clock's wall time.
  void Tick(Clock::TimePoint now, std::chrono::milliseconds retention);

 private:
  Prune prune_;
  const Clock& clock_;
  Clock::TimePoint next_{};
};

}  // namespace newsmon
