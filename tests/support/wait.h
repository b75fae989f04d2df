#pragma once

#include <chrono>
#include <thread>

namespace newsmon::testing {

// Waits for a condition with a deadline instead of sleeping a fixed time and hoping.
// Checks often (5 ms) so a passing test costs only as long as the behaviour takes.
template <typename Predicate>
bool WaitUntil(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace newsmon::testing
