#include "daemon/heartbeat.h"

#include <spdlog/spdlog.h>

namespace newsmon {

bool Heartbeat::Tick(Clock::TimePoint now, std::chrono::milliseconds interval) {
  if (now < next_) return false;
  next_ = now + interval;
  auto seqs = seqs_();
  if (!seqs.ok()) return true;
  Status sent = publisher_.Send(kHeartbeatTopic,
                                HeartbeatJson(*seqs, database_id_, clock_.UnixSeconds(), shard_));
  if (!sent.ok() && !failing_) {
    spdlog::warn("cannot publish the heartbeat: {}", sent.message());
  } else if (sent.ok() && failing_) {
    spdlog::info("heartbeats are published again");
  }
  failing_ = !sent.ok();
  return true;
}

}  // namespace newsmon
