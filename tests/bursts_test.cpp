// Burst detection on exact times: a quiet thread that suddenly gets many new stories bursts
// once; a busy thread at its usual pace does not; too little history never bursts.
#include <catch2/catch.hpp>

#include "classifiers/bursts.h"

namespace newsmon {
namespace {

constexpr std::int64_t kDay = 86'400;
constexpr std::int64_t kStart = 1'795'000'000;

// A day of history, then `per_hour` stories an hour through it.
BurstDetector WithHistory(int stories_in_day) {
  BurstDetector detector;
  detector.SetHistoryStart(kStart);
  for (int i = 0; i < stories_in_day; ++i) {
    detector.Observe("energy-strikes", 1000 + i, kStart + (i + 1) * kDay / (stories_in_day + 1));
  }
  return detector;
}

// Ten stories in fifteen minutes after the day; the bursts reported along the way.
std::vector<Burst> TenStoriesInFifteenMinutes(BurstDetector& detector) {
  std::vector<Burst> bursts;
  for (int i = 0; i < 10; ++i) {
    const std::int64_t at = kStart + kDay + i * 90;
    detector.Observe("energy-strikes", i + 1, at);
    for (Burst& burst : detector.Check(at)) bursts.push_back(std::move(burst));
  }
  return bursts;
}

TEST_CASE("ten stories in fifteen minutes after a quiet day make one burst") {
  BurstDetector detector = WithHistory(2);
  std::vector<Burst> bursts = TenStoriesInFifteenMinutes(detector);
  REQUIRE(bursts.size() == 1);
  CHECK(bursts[0].thread == "energy-strikes");
  CHECK(bursts[0].stories == 5);  // reported as soon as the minimum is reached
  // Two stories seen, plus one, over the day before the window.
  CHECK(bursts[0].expected == Approx(3.0 / (kDay + 4 * 90 - 900) * 900));
  CHECK(bursts[0].p_value < 1e-6);
  CHECK(bursts[0].story_ids == std::vector<std::int64_t>{1, 2, 3, 4, 5});

  SECTION("a story seen again is not counted twice") {
    BurstDetector again = WithHistory(2);
    for (int i = 0; i < 10; ++i) again.Observe("energy-strikes", 1, kStart + kDay + i);
    CHECK(again.Check(kStart + kDay + 10).empty());
  }
  SECTION("and it can burst again only after a whole window") {
    CHECK(detector.Check(kStart + kDay + 899).empty());
    for (int i = 0; i < 6; ++i) detector.Observe("energy-strikes", 100 + i, kStart + kDay + 1300);
    CHECK(detector.Check(kStart + kDay + 1300).size() == 1);
  }
}

TEST_CASE("a busy thread at its usual pace does not burst") {
  BurstDetector detector = WithHistory(24 * 40);  // forty stories an hour all day
  CHECK(TenStoriesInFifteenMinutes(detector).empty());
}

TEST_CASE("without a day of history, or below the minimum, nothing bursts") {
  BurstDetector fresh;
  fresh.SetHistoryStart(kStart + kDay - 600);  // the daemon started ten minutes before
  CHECK(TenStoriesInFifteenMinutes(fresh).empty());

  BurstDetector strict = WithHistory(2);
  BurstRule rule;
  rule.min_stories = 11;
  strict.SetRules({{"energy-strikes", rule}});
  CHECK(TenStoriesInFifteenMinutes(strict).empty());

  BurstDetector off = WithHistory(2);
  rule = {};
  rule.enabled = false;
  off.SetRules({{"energy-strikes", rule}});
  CHECK(TenStoriesInFifteenMinutes(off).empty());
}

TEST_CASE("the Poisson tail") {
  CHECK(PoissonTail(0, 3.0) == 1.0);
  CHECK(PoissonTail(1, 2.0) == Approx(1 - std::exp(-2.0)));
  CHECK(PoissonTail(3, 1.0) == Approx(1 - std::exp(-1.0) * 2.5));
  CHECK(PoissonTail(10, 0.01) == Approx(std::pow(0.01, 10) / 3628800).epsilon(0.01));
  CHECK(PoissonTail(5, 0.0) == 0.0);
}

}  // namespace
}  // namespace newsmon
