// What the daemon's loop sees of a sink that delivers the outbox somewhere else (a webhook, an
// e-mail sink): when it must run, and a way to move it on. A sink runs on the loop's thread,
// hands its transfers to the one curl driver (core/curl_multi.h) and never waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace newsmon {

using SinkClock = std::chrono::steady_clock;  // the time points of newsmon::Clock

// For metrics and status; a snapshot.
struct SinkState {
  std::int64_t cursor = 0;      // last seq delivered or skipped
  std::uint64_t delivered = 0;  // alerts delivered since the sink was created
  std::uint64_t failed_attempts = 0;
  bool failing = false;    // the last attempt failed; cleared by a success
  std::string last_error;  // why the last failed attempt failed
  bool in_flight = false;
};

class AlertSink {
 public:
  virtual ~AlertSink() = default;

  // When Pump() must run although the driver has nothing for it: the end of a backoff, a
  // digest falling due, or a time already past when there is outbox work to do. nullopt: only
  // a finished transfer matters (the driver's Wait() returns for it).
  virtual std::optional<SinkClock::time_point> NextDeadline() const = 0;
  // Moves the sink on: a finished transfer (the cursor is stored on success), and the next
  // one when idle. Call it after each wait in the driver. Never waits.
  virtual void Pump(SinkClock::time_point now) = 0;
  // Alerts up to `durable_through` are stored and synced to the disk: the next Pump() reads
  // the outbox again, up to there and never past the highest seq it was given, so a sink
  // does not deliver an alert a power loss could still take back (the bus waits for the same
  // sync: daemon/outbox.h). Cheap; call it after every drain of the outbox. Without it a
  // drained sink does not read the outbox, nor a new one at all.
  virtual void Notify(std::int64_t durable_through) = 0;

  virtual const std::string& name() const = 0;
  virtual SinkState state() const = 0;
};

}  // namespace newsmon
