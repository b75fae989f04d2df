// sys.heartbeat on the bus: the last published and stored seqs, the database's id and the
// time, so a subscriber knows the daemon is alive, how far the outbox has got and which
// database the seqs count in (docs/alerts.md). The first is due at `first`, each
// next one `interval` after the last was due and sent; a clock that jumps past several
// intervals (a suspended machine) brings one heartbeat, not a burst. A failure to publish is
// logged when it starts and when it ends, not at every beat.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "publishers/publisher.h"

namespace newsmon {

class Heartbeat {
 public:
  // How far the outbox has got; a failure skips that beat's message, not the schedule.
  using Seqs = std::function<Result<HeartbeatSeqs>()>;

  // publisher and clock must outlive the heartbeat. shard: "K/N" for a daemon that is one of
  // several (docs/scaling.md), "" otherwise.
  Heartbeat(Publisher& publisher, Seqs seqs, std::string database_id, const Clock& clock,
            Clock::TimePoint first, std::string shard = "")
      : publisher_(publisher),
        seqs_(std::move(seqs)),
        database_id_(std::move(database_id)),
        shard_(std::move(shard)),
        clock_(clock),
        next_(first) {}

  Clock::TimePoint next() const { return next_; }
  // The next beat is due at `at` (the end of the daemon's join grace).
  void Reschedule(Clock::TimePoint at) { next_ = at; }

  // Publishes when `now` has reached next() and schedules the next one `interval` (the
  // config's, which a reload may change) later. True when a beat was due, sent or not: the
  // daemon refreshes its status line and gauges on the same rhythm.
  bool Tick(Clock::TimePoint now, std::chrono::milliseconds interval);

 private:
  Publisher& publisher_;
  Seqs seqs_;
  std::string database_id_;
  std::string shard_;
  const Clock& clock_;
  Clock::TimePoint next_;
  bool failing_ = false;
};

}  // namespace newsmon
