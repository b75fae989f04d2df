// The seam for time and chance, the one backoff rule every retry uses, and Status kinds.
#include <catch2/catch.hpp>

#include "core/backoff.h"
#include "core/env.h"
#include "core/status.h"

namespace newsmon {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_CASE("a fake clock moves only when told, wall and monotonic time together") {
  FakeClock clock(1'000'000);
  const auto start = clock.Now();
  CHECK(clock.UnixSeconds() == 1'000'000);
  clock.Advance(90s);
  CHECK(clock.Now() - start == 90s);
  CHECK(clock.UnixSeconds() == 1'000'090);
  clock.AdvanceTo(start);  // never backwards
  CHECK(clock.Now() - start == 90s);
}

TEST_CASE("a seeded source repeats its draws, so a run can be replayed") {
  SeededRandom a(42), b(42), c(43);
  std::vector<double> first, second, other;
  for (int i = 0; i < 5; ++i) {
    first.push_back(a.Next());
    second.push_back(b.Next());
    other.push_back(c.Next());
  }
  CHECK(first == second);
  CHECK(first != other);
  for (double x : first) CHECK((x >= 0 && x < 1));
  CHECK(a.seed() == 42);
}

TEST_CASE("backoff doubles per failure and holds its cap at the top of the jitter") {
  BackoffPolicy policy{.first = 1min, .cap = 6h};
  FixedRandom middle(0.5), top(1.0), bottom(0.0);  // factors 1, 1.2 and 0.8
  CHECK(JitteredBackoff(policy, 1, middle) == milliseconds(1min));
  CHECK(JitteredBackoff(policy, 2, middle) == milliseconds(2min));
  CHECK(JitteredBackoff(policy, 4, middle) == milliseconds(8min));
  CHECK(JitteredBackoff(policy, 0, middle) == milliseconds(1min));  // as after one failure
  CHECK(JitteredBackoff(policy, 1, top) == milliseconds(72s));      // +20 %
  CHECK(JitteredBackoff(policy, 1, bottom) == milliseconds(48s));   // −20 %
  // At the limit: 6 h + 20 % would be 7.2 h; the cap applies after the jitter.
  CHECK(JitteredBackoff(policy, 9, top) == milliseconds(256min) * 6 / 5);  // under the cap
  CHECK(JitteredBackoff(policy, 10, top) == milliseconds(6h));
  CHECK(JitteredBackoff(policy, 1000, top) == milliseconds(6h));
  // At the cap the spread is taken below it: 6 h / 1.2 ± 20 %, from 4 h to 6 h.
  CHECK(JitteredBackoff(policy, 1000, bottom) == milliseconds(240min));
  CHECK(JitteredBackoff(policy, 1000, middle) == milliseconds(300min));
}

TEST_CASE("retries at the cap stay spread out instead of piling up on it") {
  BackoffPolicy policy{.first = 1min, .cap = 6h};
  SeededRandom random(7);
  int on_the_cap = 0;
  milliseconds shortest = 6h, longest{0};
  for (int i = 0; i < 1000; ++i) {
    milliseconds delay = JitteredBackoff(policy, 50, random);
    on_the_cap += delay == milliseconds(6h);
    shortest = std::min(shortest, delay);
    longest = std::max(longest, delay);
  }
  CHECK(on_the_cap <= 1);
  CHECK(shortest >= milliseconds(4h));
  CHECK(shortest < milliseconds(4h + 10min));
  CHECK(longest <= milliseconds(6h));
  CHECK(longest > milliseconds(6h - 10min));
}

TEST_CASE("no draw exceeds the cap, at any failure count, for feeds and webhooks alike") {
  // Every failure count from the first through the doublings that cross the cap (where the
  // +20 % used to push past it) to counts whose doubling would overflow, many draws each.
  SeededRandom random(20260101);
  for (const BackoffPolicy& policy :
       {BackoffPolicy{.first = 1min, .cap = 6h}, BackoffPolicy{.first = 10min, .cap = 6h},
        BackoffPolicy{.first = 1s, .cap = 10min, .floor = 1s}}) {
    milliseconds longest{0};
    for (int failures : {1, 5, 8, 9, 10, 11, 12, 16, 63, 64, 65, 1000, 1'000'000}) {
      for (int draw = 0; draw < 2000; ++draw) {
        milliseconds delay = JitteredBackoff(policy, failures, random);
        REQUIRE(delay <= policy.cap);
        REQUIRE(delay >= policy.floor);
        longest = std::max(longest, delay);
      }
    }
    CHECK(longest > policy.cap - policy.cap / 100);  // the limit is reached, not just kept
  }
}

TEST_CASE("backoff never goes below its floor nor shortens a first delay above the cap") {
  FixedRandom bottom(0.0), top(1.0);
  CHECK(JitteredBackoff({.first = 1s, .cap = 10min, .floor = 1s}, 1, bottom) == milliseconds(1s));
  // A part whose own rhythm is slower than the cap keeps it, spread both ways.
  CHECK(JitteredBackoff({.first = 12h, .cap = 6h}, 3, top) == milliseconds(864min));
  CHECK(JitteredBackoff({.first = 12h, .cap = 6h}, 3, bottom) == milliseconds(576min));
}

}  // namespace
}  // namespace newsmon

namespace newsmon {
namespace {

TEST_CASE("a Status keeps its kind through added context") {
  Status busy = Status::Busy("database is locked").WithContext("feed 'bbc': ");
  CHECK(busy.code() == StatusCode::kBusy);
  CHECK(busy.message() == "feed 'bbc': database is locked");
  CHECK(StatusCodeName(busy.code()) == std::string("busy"));
  CHECK(Status::Ok().WithContext("x: ").ok());
  CHECK(Status::Error("x").code() == StatusCode::kFailed);
  CHECK(Status::NotFound("x").code() == StatusCode::kNotFound);
  Result<int> failed = Status::InvalidInput("a.toml:3: bad");
  CHECK(failed.status().code() == StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace newsmon
