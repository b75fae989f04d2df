// How long to wait before retrying something that failed: a feed, a webhook. One rule for all
// of them, so the promise in the README ("capped at 6 h") holds for every retry.
#pragma once

#include <chrono>

#include "core/env.h"

namespace newsmon {

struct BackoffPolicy {
  std::chrono::milliseconds first{1000};                 // the delay after the first failure
  std::chrono::milliseconds cap{std::chrono::hours(6)};  // never longer, jitter included
  std::chrono::milliseconds floor{0};                    // never shorter, jitter included
  double jitter = 0.2;  // ±fraction, so parts that failed together do not retry together
};

// first·2^(failures−1), spread by ±jitter, never above the cap (jitter included: near the cap
// the spread is taken below it, so retries stay spread out) nor below the floor. A `first` at
// or above the cap (a feed polled every 12 h) is spread around itself and never shortened to
// the cap. failures < 1 counts as 1.
std::chrono::milliseconds JitteredBackoff(const BackoffPolicy& policy, int failures,
                                          Random& random);

}  // namespace newsmon
