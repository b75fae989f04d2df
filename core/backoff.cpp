#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace newsmon {

std::chrono::milliseconds JitteredBackoff(const BackoffPolicy& policy, int failures,
                                          Random& random) {
  const double first = static_cast<double>(policy.first.count());
  const double cap = std::max(static_cast<double>(policy.cap.count()), first);
  // Doubling stops well before a double loses whole milliseconds; the cap is reached sooner.
  const double doubled = first * std::ldexp(1.0, std::clamp(failures - 1, 0, 40));
  const double jittered =
      std::min(doubled, cap) * random.Uniform(1.0 - policy.jitter, 1.0 + policy.jitter);
  const double floor = std::min(static_cast<double>(policy.floor.count()), cap);
  return std::chrono::milliseconds(std::llround(std::clamp(jittered, floor, cap)));
}

}  // namespace newsmon
