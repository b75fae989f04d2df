#include "core/time_format.h"

#include <chrono>
#include <ctime>

#include "core/env.h"

namespace newsmon {

std::string FormatRfc3339(std::int64_t unix_seconds) {
  std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::int64_t ParseRfc3339(const std::string& text) {
  std::tm utc{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  if (!end || *end != '\0') return 0;
  return static_cast<std::int64_t>(timegm(&utc));
}

std::int64_t UnixNow() { return Env::Default().clock.UnixSeconds(); }

}  // namespace newsmon
