// What every sink that delivers the outbox somewhere else (a webhook, an e-mail sink) does the
// same way, whatever it delivers: retrying a failed delivery with backoff and saying so once
// per change of state (DeliveryRetries), and keeping its delivered mark in the store
// (SinkMark). Internal to the publishers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "publishers/alert_sink.h"
#include "store/store.h"

namespace newsmon {

// The consecutive failures of a sink's next delivery and when to try it again: doubling from
// min_backoff with ±20 % jitter (so sinks that failed together do not retry together), within
// [min_backoff, max_backoff]; a server's Retry-After is a floor, itself capped at max_backoff.
// The first failure is a warning naming the sink and its URL, the next ones debug lines, and a
// success after failures says the sink recovered.
class DeliveryRetries {
 public:
  // who: the sink as logs name it ("webhook 'desk'"); log_url: its URL without secrets.
  DeliveryRetries(std::string who, std::string log_url, std::chrono::milliseconds min_backoff,
                  std::chrono::milliseconds max_backoff, Random& random);

  void Failed(const Status& status, SinkClock::time_point now,
              std::optional<std::chrono::seconds> retry_after = std::nullopt);
  void Succeeded(SinkClock::time_point now);

  SinkClock::time_point next_attempt() const { return next_attempt_; }
  bool failing() const { return failing_; }
  std::uint64_t failed_attempts() const { return failed_attempts_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::chrono::milliseconds Delay(std::optional<std::chrono::seconds> retry_after);

  std::string who_;
  std::string log_url_;
  std::chrono::milliseconds min_backoff_;
  std::chrono::milliseconds max_backoff_;
  Random& random_;
  SinkClock::time_point next_attempt_{};  // the end of the current backoff
  int attempt_ = 0;                       // consecutive failures
  std::uint64_t failed_attempts_ = 0;
  bool failing_ = false;
  std::string last_error_;
};

// A sink's delivered mark in the store, under `key`: every seq up to it was delivered or is
// not the sink's to deliver, so a restart resumes after it.
class SinkMark {
 public:
  // The stored mark. A sink new to the store starts at the outbox's last seq and records that
  // at once: otherwise alerts stored while it is down before its first delivery would be
  // skipped by the next start's new baseline.
  static Result<std::int64_t> Initial(Store& store, const std::string& key);

  // store must outlive the mark; `stored` is what Initial returned.
  SinkMark(Store& store, std::string key, std::string who, std::int64_t stored)
      : store_(store), key_(std::move(key)), who_(std::move(who)), stored_(stored) {}

  // Stores `seq` when it moved. A lost write is retried at the next call and logged once;
  // until it succeeds a restart delivers those alerts again (at least once).
  void Save(std::int64_t seq);

 private:
  Store& store_;
  std::string key_;
  std::string who_;
  std::int64_t stored_;
  bool write_failing_ = false;
};

// A delay in seconds as log lines give it: "0.5", "12".
std::string FormatDelaySeconds(std::chrono::milliseconds delay);

}  // namespace newsmon
