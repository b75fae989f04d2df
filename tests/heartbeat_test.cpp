// The heartbeat's schedule on a fake clock: a day of beats in milliseconds, through the
// daemon's Loop as the daemon schedules it.
#include "daemon/heartbeat.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "daemon/loop.h"

namespace newsmon {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

class RecordingPublisher final : public Publisher {
 public:
  Status Send(const std::string& topic, const std::string& body) override {
    if (!fail.ok()) return fail;
    sent.push_back({topic, body});
    return Status::Ok();
  }
  const std::string& endpoint() const override { return endpoint_; }
  std::vector<std::pair<std::string, std::string>> sent;
  Status fail;

 private:
  std::string endpoint_ = "inproc://test";
};

// Sleeps by moving the fake clock to the loop's deadline.
class SleepingWaiter final : public Waiter {
 public:
  explicit SleepingWaiter(FakeClock& clock) : clock_(clock) {}
  Status Wait(std::vector<WaitFd>&, milliseconds timeout) override {
    clock_.Advance(timeout);
    return Status::Ok();
  }

 private:
  FakeClock& clock_;
};

Heartbeat::Seqs Seq(std::int64_t seq) {
  return [seq] { return Result<HeartbeatSeqs>(HeartbeatSeqs{seq, seq}); };
}

TEST_CASE("a heartbeat at start, then one per interval: N intervals bring N more") {
  FakeClock clock;
  RecordingPublisher bus;
  Heartbeat heartbeat(bus, Seq(7), "db-1", clock, clock.Now());
  CHECK(heartbeat.Tick(clock.Now(), 5s));
  REQUIRE(bus.sent.size() == 1);
  CHECK(bus.sent[0].first == kHeartbeatTopic);
  CHECK(bus.sent[0].second == HeartbeatJson({7, 7}, "db-1", clock.UnixSeconds()));

  constexpr int kIntervals = 1000;
  for (int i = 0; i < kIntervals; ++i) {
    clock.Advance(5s - 1ms);
    CHECK_FALSE(heartbeat.Tick(clock.Now(), 5s));  // not due yet
    clock.Advance(1ms);
    CHECK(heartbeat.Tick(clock.Now(), 5s));
  }
  CHECK(bus.sent.size() == 1 + kIntervals);
  CHECK(bus.sent.back().second == HeartbeatJson({7, 7}, "db-1", clock.UnixSeconds()));
  CHECK(heartbeat.next() == clock.Now() + 5s);
}

TEST_CASE("through the daemon's loop, a day of 5 s heartbeats takes no real time") {
  FakeClock clock;
  SleepingWaiter waiter(clock);
  Loop loop(clock, waiter);
  RecordingPublisher bus;
  Heartbeat heartbeat(bus, Seq(0), "db-1", clock, clock.Now());
  loop.Add({"timers", nullptr, [&] { return std::optional(heartbeat.next()); },
            [&](std::span<const WaitFd>, Clock::TimePoint now) { heartbeat.Tick(now, 5s); }});
  const Clock::TimePoint start = clock.Now();
  while (clock.Now() - start < 24h) REQUIRE(loop.Turn().ok());
  CHECK(bus.sent.size() == 24 * 3600 / 5 + 1);  // the first at start, the last at 24 h
  CHECK(loop.last_timeout() == 5s);             // slept from beat to beat, no polling
}

TEST_CASE("a clock that jumps several intervals brings one heartbeat, not a burst") {
  FakeClock clock;
  RecordingPublisher bus;
  Heartbeat heartbeat(bus, Seq(3), "db-1", clock, clock.Now());
  CHECK(heartbeat.Tick(clock.Now(), 5s));
  clock.Advance(1h);  // a suspended laptop
  CHECK(heartbeat.Tick(clock.Now(), 5s));
  CHECK_FALSE(heartbeat.Tick(clock.Now(), 5s));
  CHECK(bus.sent.size() == 2);
  CHECK(heartbeat.next() == clock.Now() + 5s);
}

TEST_CASE("a new interval from a reload applies from the next beat") {
  FakeClock clock;
  RecordingPublisher bus;
  Heartbeat heartbeat(bus, Seq(1), "db-1", clock, clock.Now());
  CHECK(heartbeat.Tick(clock.Now(), 5s));
  clock.Advance(5s);
  CHECK(heartbeat.Tick(clock.Now(), 30s));
  CHECK(heartbeat.next() == clock.Now() + 30s);
}

TEST_CASE("a beat whose seq or publish fails still keeps the schedule") {
  FakeClock clock;
  RecordingPublisher bus;
  bool store_ok = false;
  Heartbeat heartbeat(
      bus,
      [&]() -> Result<HeartbeatSeqs> {
        if (!store_ok) return Status::Busy("database is locked");
        return HeartbeatSeqs{9, 9};
      },
      "db-1", clock, clock.Now());
  CHECK(heartbeat.Tick(clock.Now(), 5s));  // due, but nothing to say
  CHECK(bus.sent.empty());
  store_ok = true;
  bus.fail = Status::Error("queue full");
  clock.Advance(5s);
  CHECK(heartbeat.Tick(clock.Now(), 5s));
  CHECK(bus.sent.empty());
  bus.fail = Status::Ok();
  clock.Advance(5s);
  CHECK(heartbeat.Tick(clock.Now(), 5s));
  REQUIRE(bus.sent.size() == 1);
  CHECK(bus.sent[0].second == HeartbeatJson({9, 9}, "db-1", clock.UnixSeconds()));
}

}  // namespace
}  // namespace newsmon
