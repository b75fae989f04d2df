#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace newsmon {

// "2026-11-23T09:00:00Z"
std::string FormatRfc3339(std::int64_t unix_seconds);
std::int64_t UnixNow();
// The inverse of FormatRfc3339 for its own "YYYY-MM-DDTHH:MM:SSZ" form; 0 if it is not that.
std::int64_t ParseRfc3339(const std::string& text);

}  // namespace newsmon
