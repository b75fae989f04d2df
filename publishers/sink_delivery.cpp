#include "publishers/sink_delivery.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/backoff.h"

namespace newsmon {

using std::chrono::milliseconds;

DeliveryRetries::DeliveryRetries(std::string who, std::string log_url, milliseconds min_backoff,
                                 milliseconds max_backoff, Random& random)
    : who_(std::move(who)),
      log_url_(std::move(log_url)),
      min_backoff_(min_backoff),
      max_backoff_(max_backoff),
      random_(random) {}

void DeliveryRetries::Failed(const Status& status, SinkClock::time_point now,
                             std::optional<std::chrono::seconds> retry_after) {
  ++attempt_;
  ++failed_attempts_;
  last_error_ = status.message();
  const milliseconds delay = Delay(retry_after);
  next_attempt_ = now + delay;
  if (failing_) {
    spdlog::debug("{}: still failing: {}; retrying in {} s", who_, last_error_,
                  FormatDelaySeconds(delay));
    return;
  }
  failing_ = true;
  spdlog::warn("{} ({}): failing: {}; retrying in {} s", who_, log_url_, last_error_,
               FormatDelaySeconds(delay));
}

void DeliveryRetries::Succeeded(SinkClock::time_point now) {
  attempt_ = 0;
  next_attempt_ = now;
  if (!failing_) return;
  failing_ = false;
  spdlog::info("{} recovered", who_);
}

milliseconds DeliveryRetries::Delay(std::optional<std::chrono::seconds> retry_after) {
  milliseconds delay = JitteredBackoff(
      {.first = min_backoff_, .cap = max_backoff_, .floor = min_backoff_}, attempt_, random_);
  if (retry_after) {
    // Clamped in seconds first: a receiver's "Retry-After: 10000000000000000" would overflow
    // the conversion to milliseconds.
    const auto cap = std::chrono::duration_cast<std::chrono::seconds>(max_backoff_);
    delay = std::max<milliseconds>(delay, std::min(*retry_after, cap));
  }
  return delay;
}

Result<std::int64_t> SinkMark::Initial(Store& store, const std::string& key) {
  auto stored = store.WebhookCursor(key);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return stored->value();
  auto last = store.LastSeq();
  if (!last.ok()) return last.status();
  if (Status s = store.SetWebhookCursor(key, *last); !s.ok()) return s;
  return *last;
}

void SinkMark::Save(std::int64_t seq) {
  if (seq == stored_) return;
  if (Status s = store_.SetWebhookCursor(key_, seq); !s.ok()) {
    if (!write_failing_) spdlog::warn("{}: cannot store its mark: {}", who_, s.message());
    write_failing_ = true;
    return;
  }
  write_failing_ = false;
  stored_ = seq;
}

std::string FormatDelaySeconds(milliseconds delay) {
  const double seconds = static_cast<double>(delay.count()) / 1000.0;
  return seconds >= 10 ? fmt::format("{:.0f}", seconds) : fmt::format("{:.1f}", seconds);
}

}  // namespace newsmon
