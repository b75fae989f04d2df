// Feed-to-publish latency: how long an alert waited between the response that brought its item
// and the alert going out on the bus (newsmon_feed_to_publish_seconds, docs/metrics.md). The
// daemon notes when each stored alert's response arrived; the outbox asks when it sends it.
// Alerts stored before this run started (a restart, a backlog behind a failing bus) or by the
// loop itself (coalesced story updates, bursts) have no arrival here: their latency counts from
// the alert's own detected_at, to the second.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/env.h"

namespace newsmon {

class PublishLatency {
 public:
  // Enough for any backlog a healthy outbox sees; past it the oldest arrivals are forgotten
  // (their alerts fall back to detected_at), so a bus that fails for days costs no memory.
  static constexpr std::size_t kMaxTracked = 100000;

  void Arrived(const std::vector<std::int64_t>& seqs, Clock::TimePoint arrival);

  // How long the alert `seq`, sent at `now`, waited since its response arrived; nullopt when
  // its arrival is unknown. Forgets the seq either way.
  std::optional<std::chrono::duration<double>> Published(std::int64_t seq, Clock::TimePoint now);

  std::size_t tracked() const { return arrivals_.size(); }

 private:
  std::map<std::int64_t, Clock::TimePoint> arrivals_;  // by seq: the oldest is the first
};

}  // namespace newsmon
