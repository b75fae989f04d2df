// How work grows with its input, for tests that hold code linear on input a stranger controls
// (tests/hostile_input_test.cpp, tests/html_text_test.cpp).
#pragma once

#include <time.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace newsmon::testing {

// CPU time of this thread, not the wall clock: what a linear algorithm keeps constant per
// byte, whatever else the machine runs (a full ctest -j2 beside a build made wall-clock
// ratios of milliseconds swing past the bound).
inline double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

inline double FastestSeconds(const std::function<void()>& run) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const double start = ThreadCpuSeconds();
    run();
    best = std::min(best, ThreadCpuSeconds() - start);
  }
  return best;
}

// How much longer one input ten times larger takes than ten inputs of size n: about 1 for
// linear work, 10 for quadratic. `make(n, k)` builds the k-th of ten different inputs of size
// n (the large one is k = 0): the same small input ten times would find caches (the stem
// cache, above all) warm that the large one cannot.
inline double GrowthOfTenfold(const std::function<std::string(int, int)>& make,
                              const std::function<void(const std::string&)>& consume, int n) {
  std::vector<std::string> smalls;
  for (int k = 0; k < 10; ++k) smalls.push_back(make(n, k));
  const std::string large = make(10 * n, 0);
  const double small_time = FastestSeconds([&] {
    for (const std::string& small : smalls) consume(small);
  });
  const double large_time = FastestSeconds([&] { consume(large); });
  return large_time / std::max(small_time, 1e-6);
}

// For inputs whose content does not vary with k.
inline double GrowthOfTenfold(const std::function<std::string(int)>& make,
                              const std::function<void(const std::string&)>& consume, int n) {
  return GrowthOfTenfold([&](int size, int) { return make(size); }, consume, n);
}

}  // namespace newsmon::testing
