#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace newsmon {

// "2026-11-23T09:00:00Z"
std::string FormatRfc3339(std::int64_t unix_seconds);
std::int64_t UnixNow();

}  // namespace newsmon
