// The feed-to-publish clock on a fake clock: what an alert waited, and what is forgotten.
#include "daemon/publish_latency.h"

#include <catch2/catch.hpp>

namespace newsmon {
namespace {

using namespace std::chrono_literals;

TEST_CASE("an alert's latency runs from its response's arrival to its publishing") {
  FakeClock clock;
  PublishLatency latency;
  const Clock::TimePoint arrival = clock.Now();
  latency.Arrived({7, 8}, arrival);
  clock.Advance(3ms);
  CHECK(latency.Published(7, clock.Now()) == std::chrono::duration<double>(0.003));
  clock.Advance(2ms);
  CHECK(latency.Published(8, clock.Now()) == std::chrono::duration<double>(0.005));
  // Each seq is counted once: a second send of #7 (after a restart of the bus) has no arrival.
  CHECK_FALSE(latency.Published(7, clock.Now()));
  CHECK(latency.tracked() == 0);
}

TEST_CASE("alerts stored before this run have no arrival") {
  FakeClock clock;
  PublishLatency latency;
  CHECK_FALSE(latency.Published(1, clock.Now()));
}

TEST_CASE("a bus down for days forgets the oldest arrivals, not memory") {
  FakeClock clock;
  PublishLatency latency;
  std::vector<std::int64_t> seqs;
  for (std::int64_t seq = 1; seq <= static_cast<std::int64_t>(PublishLatency::kMaxTracked) + 5;
       ++seq) {
    seqs.push_back(seq);
  }
  latency.Arrived(seqs, clock.Now());
  CHECK(latency.tracked() == PublishLatency::kMaxTracked);
  CHECK_FALSE(latency.Published(5, clock.Now()));
  CHECK(latency.Published(6, clock.Now()));
  CHECK(latency.Published(static_cast<std::int64_t>(PublishLatency::kMaxTracked) + 5,
                          clock.Now()));
}

}  // namespace
}  // namespace newsmon
