// The one wait of the daemon: how long it blocks, who hears about which descriptor, and in
// which order the parts run; on a fake clock and a fake waiter that records what it was asked
// and "sleeps" by moving the clock.
#include <catch2/catch.hpp>

#include "daemon/loop.h"
#include "daemon/parts.h"

namespace newsmon {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

class FakeWaiter final : public Waiter {
 public:
  explicit FakeWaiter(FakeClock& clock) : clock_(clock) {}
  Status Wait(std::vector<WaitFd>& fds, milliseconds timeout) override {
    timeouts.push_back(timeout);
    asked.clear();
    for (WaitFd& fd : fds) {
      asked.push_back(fd.fd);
      fd.readable = std::find(ready.begin(), ready.end(), fd.fd) != ready.end();
    }
    if (!fail.ok()) return fail;
    clock_.Advance(ready.empty() ? timeout : 0ms);  // nothing ready: slept to the deadline
    return Status::Ok();
  }
  std::vector<milliseconds> timeouts;
  std::vector<int> asked;
  std::vector<int> ready;
  Status fail;

 private:
  FakeClock& clock_;
};

TEST_CASE("the loop waits until the earliest deadline, never longer than its limit") {
  FakeClock clock;
  FakeWaiter waiter(clock);
  Loop loop(clock, waiter, 60s);
  std::optional<Clock::TimePoint> a, b;
  loop.Add({"a", nullptr, [&] { return a; }, nullptr});
  loop.Add({"b", nullptr, [&] { return b; }, nullptr});
  REQUIRE(loop.Turn().ok());  // no deadline at all
  a = clock.Now() + 1500us;   // rounded up: waking early would only spin
  b = clock.Now() + 10s;
  REQUIRE(loop.Turn().ok());
  a = clock.Now() - 5s;  // overdue
  REQUIRE(loop.Turn().ok());
  a = b = clock.Now() + 2h;
  REQUIRE(loop.Turn().ok());
  CHECK(waiter.timeouts == std::vector<milliseconds>{60s, 2ms, 0ms, 60s});
}

TEST_CASE("each part hears about its own descriptors, in the order the parts were added") {
  FakeClock clock;
  FakeWaiter waiter(clock);
  Loop loop(clock, waiter);
  std::vector<std::string> log;
  auto part = [&](std::string name, std::vector<int> fds) {
    Registration registration;
    registration.name = name;
    registration.fds = [fds] {
      std::vector<WaitFd> wait;
      for (int fd : fds) wait.push_back({fd});
      return wait;
    };
    registration.run = [&log, name](std::span<const WaitFd> ready, Clock::TimePoint) {
      std::string line = name + ":";
      for (const WaitFd& fd : ready) line += " " + std::to_string(fd.fd) + (fd.readable ? "!" : "");
      log.push_back(line);
    };
    return registration;
  };
  loop.Add(part("wake", {3}));
  loop.Add(part("none", {}));
  loop.Add(part("sinks", {7, 8}));
  waiter.ready = {8};
  REQUIRE(loop.Turn().ok());
  CHECK(waiter.asked == std::vector<int>{3, 7, 8});
  CHECK(log == std::vector<std::string>{"wake: 3", "none:", "sinks: 7 8!"});
}

TEST_CASE("a failed wait is reported and runs nothing") {
  FakeClock clock;
  FakeWaiter waiter(clock);
  Loop loop(clock, waiter);
  int runs = 0;
  loop.Add({"x", nullptr, nullptr, [&](std::span<const WaitFd>, Clock::TimePoint) { ++runs; }});
  waiter.fail = Status::IoError("poll: interrupted");
  Status turned = loop.Turn();
  CHECK(turned.message() == "poll: interrupted");
  CHECK(runs == 0);
}

TEST_CASE("a periodic timer fires on time for a simulated day, without waiting for it") {
  FakeClock clock;
  FakeWaiter waiter(clock);
  Loop loop(clock, waiter);
  const auto start = clock.Now();
  Clock::TimePoint next_beat = start;
  std::vector<Clock::TimePoint> beats;
  loop.Add({"heartbeat", nullptr, [&] { return std::optional(next_beat); },
            [&](std::span<const WaitFd>, Clock::TimePoint now) {
              if (now < next_beat) return;
              beats.push_back(now);
              next_beat = now + 5s;
            }});
  while (clock.Now() - start < 24h) {
    if (Status turned = loop.Turn(); !turned.ok()) FAIL(turned.message());
  }
  CHECK(beats.size() == 24 * 3600 / 5 + 1);
  CHECK(beats[1] - beats[0] == 5s);
  CHECK(beats.back() - beats.front() == 24h);
}

TEST_CASE("a turn stuck in its work is past due, and /healthz says so after ten seconds") {
  FakeClock clock;
  FakeWaiter waiter(clock);
  Loop loop(clock, waiter);
  auto progress = std::make_shared<LoopProgress>();
  loop.ShareProgress(progress);
  CHECK(progress->Overdue(clock.Now()) == 0s);  // not started: nothing to be late for
  std::vector<Health> seen;
  Clock::Duration work = 0s;
  loop.Add({"parse", nullptr, [&] { return std::optional(clock.Now() + 30s); },
            [&](std::span<const WaitFd>, Clock::TimePoint) {
              clock.Advance(work);  // a slow document
              seen.push_back(DaemonHealth(true, *progress, clock.Now()));
            }});
  REQUIRE(loop.Turn().ok());
  // Waiting is not being stuck, however long the wait: due back when it ends.
  CHECK(progress->Overdue(clock.Now()) == 0s);
  work = 10s;
  REQUIRE(loop.Turn().ok());
  work = 21s;
  REQUIRE(loop.Turn().ok());
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].ready);
  CHECK(seen[1].ready);  // at the limit, not past it
  CHECK_FALSE(seen[2].ready);
  CHECK(seen[2].reason == "the main loop has not turned for 21 s");
  // The next turn's wait is on time again.
  work = 0s;
  REQUIRE(loop.Turn().ok());
  CHECK(DaemonHealth(true, *progress, clock.Now()).ready);
  CHECK_FALSE(DaemonHealth(false, *progress, clock.Now()).ready);  // starting or stopping
  CHECK(DaemonHealth(false, *progress, clock.Now()).reason.empty());
}

}  // namespace
}  // namespace newsmon
