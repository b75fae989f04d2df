#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace newsmon {

std::chrono::milliseconds JitteredBackoff(const BackoffPolicy& policy, int failures,
                                          Random& random) {
  const double first = static_cast<double>(policy.first.count());
  const double cap = static_cast<double>(policy.cap.count());
  const double floor = static_cast<double>(policy.floor.count());
  const double spread = random.Uniform(1.0 - policy.jitter, 1.0 + policy.jitter);
  // A first delay at or above the cap (a feed polled every 12 h) is the part's own rhythm:
  // jittered around it, never shortened to the cap.
  if (first >= cap) return std::chrono::milliseconds(std::llround(std::max(first * spread, floor)));
  // Doubling stops well before a double loses whole milliseconds; the cap is reached sooner.
  const double doubled = first * std::ldexp(1.0, std::clamp(failures - 1, 0, 40));
  // The jitter stays inside the cap rather than being cut off by it: clamping after the jitter
  // would put half of all long retries exactly on the cap, and parts that failed together
  // would retry together.
  const double base = std::min(doubled, cap / (1.0 + policy.jitter));
  return std::chrono::milliseconds(
      std::llround(std::clamp(base * spread, std::min(floor, cap), cap)));
}

}  // namespace newsmon
