#include "daemon/publish_latency.h"

namespace newsmon {

void PublishLatency::Arrived(const std::vector<std::int64_t>& seqs, Clock::TimePoint arrival) {
  for (std::int64_t seq : seqs) arrivals_.insert_or_assign(seq, arrival);
  while (arrivals_.size() > kMaxTracked) arrivals_.erase(arrivals_.begin());
}

std::optional<std::chrono::duration<double>> PublishLatency::Published(std::int64_t seq,
                                                                       Clock::TimePoint now) {
  auto found = arrivals_.find(seq);
  if (found == arrivals_.end()) return std::nullopt;
  std::chrono::duration<double> waited = now - found->second;
  arrivals_.erase(found);
  return waited;
}

}  // namespace newsmon
