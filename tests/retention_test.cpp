// Retention's schedule and cutoff on a fake clock: which items a pass prunes and when the next
// pass comes, without waiting a minute (or 90 days).
#include "daemon/retention.h"

#include <catch2/catch.hpp>

#include <deque>
#include <utility>
#include <vector>

#include "daemon/loop.h"

namespace newsmon {
namespace {

using namespace std::chrono_literals;

// Stands in for Store::PruneItemsBefore: records each call, answers from a script (0 when
// the script is used up).
struct PruneLog {
  std::vector<std::pair<std::int64_t, std::size_t>> calls;  // cutoff, batch
  std::deque<Result<std::size_t>> answers;

  Retention::Prune Fn() {
    return [this](std::int64_t cutoff, std::size_t batch) -> Result<std::size_t> {
      calls.emplace_back(cutoff, batch);
      if (answers.empty()) return std::size_t{0};
      Result<std::size_t> answer = answers.front();
      answers.pop_front();
      return answer;
    };
  }
};

constexpr std::chrono::milliseconds kNinetyDays = 24h * 90;
constexpr std::int64_t kNinetyDaysSeconds = 90 * 24 * 3600;

TEST_CASE("a pass prunes what was fetched before now minus retention, once a minute") {
  FakeClock clock;
  PruneLog store;
  Retention retention(store.Fn(), clock);
  const std::int64_t start = clock.UnixSeconds();
  retention.Tick(clock.Now(), kNinetyDays);  // the first pass comes at once
  clock.Advance(59s);
  retention.Tick(clock.Now(), kNinetyDays);  // not yet
  clock.Advance(1s);
  retention.Tick(clock.Now(), kNinetyDays);
  clock.Advance(24h);  // a day later: one pass, with a cutoff a day later
  retention.Tick(clock.Now(), kNinetyDays);
  using Call = std::pair<std::int64_t, std::size_t>;
  CHECK(store.calls ==
        std::vector<Call>{{start - kNinetyDaysSeconds, Retention::kBatch},
                          {start + 60 - kNinetyDaysSeconds, Retention::kBatch},
                          {start + 60 + 86400 - kNinetyDaysSeconds, Retention::kBatch}});
  CHECK(retention.next() == clock.Now() + 1min);
}

TEST_CASE("the cutoff follows a retention changed by a reload") {
  FakeClock clock;
  PruneLog store;
  Retention retention(store.Fn(), clock);
  retention.Tick(clock.Now(), 1h);
  clock.Advance(1min);
  retention.Tick(clock.Now(), 2h);
  REQUIRE(store.calls.size() == 2);
  CHECK(store.calls[0].first == clock.UnixSeconds() - 60 - 3600);
  CHECK(store.calls[1].first == clock.UnixSeconds() - 7200);
}

TEST_CASE(
    "a full batch is followed by the next 100 ms later, a failed pass by one a minute later") {
  FakeClock clock;
  PruneLog store;
  store.answers = {Retention::kBatch, Retention::kBatch, std::size_t{3},
                   Status::Busy("database is locked")};
  Retention retention(store.Fn(), clock);
  retention.Tick(clock.Now(), kNinetyDays);
  CHECK(retention.next() == clock.Now() + 100ms);
  clock.Advance(100ms);
  retention.Tick(clock.Now(), kNinetyDays);
  CHECK(retention.next() == clock.Now() + 100ms);
  clock.Advance(100ms);
  retention.Tick(clock.Now(), kNinetyDays);  // 3: the backlog is gone
  CHECK(retention.next() == clock.Now() + 1min);
  clock.Advance(1min);
  retention.Tick(clock.Now(), kNinetyDays);  // the store fails
  CHECK(retention.next() == clock.Now() + 1min);
  CHECK(store.calls.size() == 4);
}

TEST_CASE("through the daemon's loop, a day of retention is 1,440 passes and no real time") {
  FakeClock clock;
  struct Sleeper final : Waiter {
    explicit Sleeper(FakeClock& c) : clock(c) {}
    Status Wait(std::vector<WaitFd>&, std::chrono::milliseconds timeout) override {
      clock.Advance(timeout);
      return Status::Ok();
    }
    FakeClock& clock;
  } waiter(clock);
  Loop loop(clock, waiter);
  PruneLog store;
  Retention retention(store.Fn(), clock);
  loop.Add(
      {"retention", nullptr, [&] { return std::optional(retention.next()); },
       [&](std::span<const WaitFd>, Clock::TimePoint now) { retention.Tick(now, kNinetyDays); }});
  const Clock::TimePoint start = clock.Now();
  while (clock.Now() - start < 24h) REQUIRE(loop.Turn().ok());
  CHECK(store.calls.size() == 24 * 60 + 1);
  CHECK(store.calls.back().first == clock.UnixSeconds() - kNinetyDaysSeconds);
}

}  // namespace
}  // namespace newsmon
