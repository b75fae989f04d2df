// The feed book's rules about time, on a fake clock: backoff and its cap, Retry-After for a
// whole host, adaptive intervals and their floors. A day of polling runs in microseconds; the
// end-to-end versions against a real server are in politeness_test.cpp.
#include <catch2/catch.hpp>

#include <limits>

#include "core/env.h"
#include "daemon/feed_book.h"

namespace newsmon {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

FetchOutcome Ok(bool new_items = false) { return {Status::Ok(), {}, new_items, {}, {}}; }
FetchOutcome Failed(std::string why = "HTTP 500") {
  return {Status::Error(std::move(why)), {}, false, {}, {}};
}

const std::vector<FeedConfig> kFeeds = {{"a", "https://example.org/a", 10min},
                                        {"b", "https://example.org/b", 10min},
                                        {"c", "https://other.example/c", 10min}};

struct Book {
  explicit Book(double jitter_draw, PollingPolicy policy = {},
                const std::vector<FeedConfig>& feeds = kFeeds)
      : random(jitter_draw), book(random) {
    book.Replace(feeds, policy, clock.Now(), [](const FeedConfig&) { return StoredPoll{}; });
  }
  // Starts what is due now and finishes `name` with `outcome`; returns the delay to its next poll.
  milliseconds Poll(const std::string& name, const FetchOutcome& outcome) {
    book.StartDue(clock.Now());
    book.Finish(name, outcome, clock.Now());
    const auto due = book.Find(name)->next_due;
    auto delay = std::chrono::duration_cast<milliseconds>(due - clock.Now());
    clock.AdvanceTo(due);
    return delay;
  }

  FakeClock clock;
  FixedRandom random;
  FeedBook book;
};

TEST_CASE("failures back off by doubling from the interval up to max_backoff, jitter included") {
  Book mid(0.5);  // jitter factor exactly 1
  std::vector<milliseconds> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(mid.Poll("a", Failed()));
  // Near the 6 h cap the jitter is taken below it (5 h ± 20 %), so feeds that failed together
  // keep retrying apart.
  CHECK(delays == std::vector<milliseconds>{10min, 20min, 40min, 80min, 160min, 5h, 5h, 5h});

  Book high(1.0);  // the top of the ±20 % range: the cap still holds
  for (int i = 0; i < 7; ++i) high.Poll("a", Failed());
  CHECK(high.Poll("a", Failed()) == milliseconds(6h));

  Book low(0.0);  // the bottom: 20 % earlier
  CHECK(low.Poll("a", Failed()) == milliseconds(8min));

  // A success ends the backoff: the next poll is one interval away.
  CHECK(mid.Poll("a", Ok()) == milliseconds(10min));
  CHECK(mid.book.Find("a")->failures == 0);
}

TEST_CASE("a reload keeps a failing feed's backoff and brings a healthy one forward") {
  Book mid(0.5);
  // a fails at every poll, b and c succeed, until a has failed four times.
  while (mid.book.Find("a")->failures < 4) {
    for (const FeedConfig& feed : mid.book.StartDue(mid.clock.Now())) {
      mid.book.Finish(feed.name, feed.name == "a" ? Failed() : Ok(), mid.clock.Now());
    }
    if (mid.book.Find("a")->failures < 4) mid.clock.AdvanceTo(*mid.book.NextDue());
  }
  const auto failing_due = mid.book.Find("a")->next_due;
  REQUIRE(failing_due - mid.clock.Now() == 80min);
  std::vector<FeedConfig> shorter = kFeeds;
  for (FeedConfig& feed : shorter) feed.interval = 5min;
  mid.book.Replace(shorter, {}, mid.clock.Now(), [](const FeedConfig&) { return StoredPoll{}; });
  CHECK(mid.book.Find("a")->next_due == failing_due);
  // b and c, healthy, come forward to their new interval.
  CHECK(mid.book.Find("b")->next_due <= mid.clock.Now() + 5min);
  CHECK(mid.book.Find("c")->next_due <= mid.clock.Now() + 5min);
}

TEST_CASE("a feed removed and added back while its fetch runs waits for that fetch") {
  Book book(0.5);
  auto& feeds = book.book;
  auto none = [](const FeedConfig&) { return StoredPoll{}; };
  REQUIRE(feeds.StartDue(book.clock.Now()).size() == 3);
  feeds.Replace({kFeeds[1], kFeeds[2]}, {}, book.clock.Now(), none);  // a removed in flight
  SECTION("with the same URL: the fetch running is a's") {
    feeds.Replace(kFeeds, {}, book.clock.Now(), none);
    CHECK(feeds.Find("a")->in_flight);
    CHECK(feeds.FetchIsCurrent("a"));
    CHECK(feeds.Finish("a", Ok(), book.clock.Now()) == FeedChange::kNone);
    CHECK(feeds.Find("a")->next_due == book.clock.Now() + 10min);
  }
  SECTION("with a new URL: the old fetch's answer is dropped and the new URL fetched") {
    std::vector<FeedConfig> changed = kFeeds;
    changed[0].url = "https://example.org/a2";
    feeds.Replace(changed, {}, book.clock.Now(), none);
    CHECK(feeds.StartDue(book.clock.Now()).empty());  // not a second fetch of a beside the first
    CHECK_FALSE(feeds.FetchIsCurrent("a"));
    feeds.Abandon("a", book.clock.Now());
    const auto started = feeds.StartDue(book.clock.Now());
    REQUIRE(started.size() == 1);
    CHECK(started[0].url == "https://example.org/a2");
  }
}

TEST_CASE("a feed a 301 moved counts against the host it moved to") {
  PollingPolicy one_per_host;
  one_per_host.max_per_host = 1;
  const std::vector<FeedConfig> feeds = {{"a", "https://old.example/a", 10min},
                                         {"b", "https://new.example/b", 10min}};
  SECTION("moved while running") {
    Book book(0.5, one_per_host, feeds);
    REQUIRE(book.book.StartDue(book.clock.Now()).size() == 2);  // two hosts
    book.book.MovedTo("a", "https://new.example/a");
    book.book.Finish("a", Ok(), book.clock.Now());
    book.book.Finish("b", Ok(), book.clock.Now());
    book.clock.AdvanceTo(*book.book.NextDue());
    CHECK(book.book.StartDue(book.clock.Now()).size() == 1);  // one host now
  }
  SECTION("moved before a restart") {
    FakeClock clock;
    FixedRandom random(0.5);
    FeedBook book(random);
    book.Replace(feeds, one_per_host, clock.Now(), [](const FeedConfig& feed) {
      StoredPoll stored;
      if (feed.name == "a") stored.moved_to = "https://new.example/a";
      return stored;
    });
    CHECK(book.StartDue(clock.Now()).size() == 1);
  }
}

TEST_CASE("at start a feed the store has failing keeps its retry, within a day") {
  FakeClock clock;
  FixedRandom random(0.5);
  FeedBook book(random);
  const auto now = clock.Now();
  book.Replace(kFeeds, {}, now, [&](const FeedConfig& feed) {
    StoredPoll stored;
    if (feed.name == "a") stored = {Disabled(), 3, now + 2h, ""};        // backing off
    if (feed.name == "b") stored = {Disabled(), 1, now + 90 * 24h, ""};  // a clock that was wrong
    if (feed.name == "c") stored = {Disabled(), 0, now + 9min, ""};      // healthy: polled at start
    return stored;
  });
  CHECK(book.Find("a")->failures == 3);
  CHECK(book.Find("a")->next_due == now + 2h);
  CHECK(book.Find("b")->next_due == now + 24h);
  CHECK(book.Find("c")->failures == 0);
  CHECK(book.Find("c")->next_due == now);
  // A reload keeps what the book knows; what the store says counts only for feeds it did not.
  book.Replace(kFeeds, {}, now, [&](const FeedConfig&) {
    return StoredPoll{Disabled(), 9, {}, ""};
  });
  CHECK(book.Find("a")->failures == 3);
  CHECK(book.Find("c")->failures == 0);
}

TEST_CASE("a fetch in flight when a reload removes its feed or changes its URL is abandoned") {
  PollingPolicy one_per_host;
  one_per_host.max_per_host = 1;
  Book book(0.5, one_per_host);
  auto& feeds = book.book;
  REQUIRE(feeds.StartDue(book.clock.Now()).size() == 2);  // a, and c of another host
  CHECK(feeds.FetchIsCurrent("a"));
  // a removed, c given another URL, both while in flight.
  feeds.Replace({{"b", "https://example.org/b", 10min}, {"c", "https://other.example/c2", 10min}},
                one_per_host, book.clock.Now(), [](const FeedConfig&) { return StoredPoll{}; });
  CHECK_FALSE(feeds.FetchIsCurrent("a"));
  CHECK_FALSE(feeds.FetchIsCurrent("c"));
  CHECK(feeds.StartDue(book.clock.Now()).empty());  // b waits for a's host; c for its old fetch
  feeds.Abandon("a", book.clock.Now());
  feeds.Abandon("c", book.clock.Now());
  std::vector<std::string> started;
  for (const FeedConfig& feed : feeds.StartDue(book.clock.Now())) started.push_back(feed.url);
  CHECK(started == std::vector<std::string>{"https://example.org/b", "https://other.example/c2"});
  CHECK(feeds.FetchIsCurrent("b"));
  CHECK(feeds.FetchIsCurrent("c"));
}

TEST_CASE("a feed polled less often than max_backoff keeps its own rhythm when failing") {
  PollingPolicy policy;
  policy.max_backoff = 1h;
  Book middle(0.5, policy, {{"slow", "https://example.org/slow", 12h}});
  CHECK(middle.Poll("slow", Failed()) == milliseconds(12h));
  CHECK(middle.Poll("slow", Failed()) == milliseconds(12h));  // not doubled, not cut to 1 h
  Book low(0.0, policy, {{"slow", "https://example.org/slow", 12h}});
  CHECK(low.Poll("slow", Failed()) == milliseconds(576min));  // spread −20 % …
  Book high(1.0, policy, {{"slow", "https://example.org/slow", 12h}});
  CHECK(high.Poll("slow", Failed()) == milliseconds(864min));  // … and +20 %
}

TEST_CASE("a Retry-After of years pauses the host for a day at most") {
  Book book(0.5);
  const auto t0 = book.clock.Now();
  REQUIRE(book.book.StartDue(t0).size() == 3);
  FetchOutcome busy = Failed("HTTP 503");
  busy.retry_after = std::chrono::seconds(253'402'300'799LL);  // 9999-12-31: overflows in ns
  book.book.Finish("a", busy, t0);
  CHECK(book.book.Find("a")->next_due == t0 + 24h);
}

TEST_CASE("a Retry-After pauses every feed of the host until it has passed") {
  Book book(0.5);
  const auto t0 = book.clock.Now();
  REQUIRE(book.book.StartDue(t0).size() == 3);
  FetchOutcome busy = Failed("HTTP 429");
  busy.retry_after = std::chrono::seconds(3600);
  book.book.Finish("a", busy, t0);
  book.book.Finish("b", Ok(), t0);
  book.book.Finish("c", Ok(), t0);
  // a's pause outlasts its 10 min backoff, and b, of the same host, waits for it too; c, of
  // another host, does not.
  CHECK(book.book.Find("a")->next_due == t0 + 1h);
  CHECK(book.book.Find("b")->next_due == t0 + 1h);
  CHECK(book.book.Find("c")->next_due == t0 + 10min);
  book.clock.AdvanceTo(t0 + 10min);
  std::vector<FeedConfig> started = book.book.StartDue(book.clock.Now());
  REQUIRE(started.size() == 1);
  CHECK(started[0].name == "c");
  book.book.Finish("c", Ok(), book.clock.Now());
  book.clock.AdvanceTo(t0 + 1h);
  std::vector<std::string> names;
  for (const FeedConfig& feed : book.book.StartDue(book.clock.Now())) names.push_back(feed.name);
  CHECK(names == std::vector<std::string>{"c", "a", "b"});  // c fell due first, at t0 + 20 min
}

TEST_CASE("without an interval a feed is polled more often while it changes") {
  PollingPolicy policy;
  policy.min_interval = 2min;
  policy.max_interval = 30min;
  Book book(0.5, policy, {{"a", "https://example.org/a", std::nullopt}});
  std::vector<milliseconds> quiet;
  for (int i = 0; i < 16; ++i) quiet.push_back(book.Poll("a", Ok(false)));
  CHECK(quiet.front() == milliseconds(150s));  // 2 min × 1.25
  CHECK(quiet.back() == milliseconds(30min));  // grows to max_interval and stays
  CHECK(std::is_sorted(quiet.begin(), quiet.end()));
  CHECK(book.Poll("a", Ok(true)) == milliseconds(15min));  // new items: halved
  FetchOutcome cached = Ok(false);
  cached.max_age = std::chrono::seconds(48 * 3600);
  CHECK(book.Poll("a", cached) == milliseconds(24h));  // max-age is a floor, itself capped at a day
}

TEST_CASE("a max-age near 2^63 seconds is capped at a day, not overflowed") {
  Book book(0.5, {}, {{"a", "https://example.org/a", std::nullopt}});
  FetchOutcome cached = Ok(false);
  cached.max_age = std::chrono::seconds(std::numeric_limits<long>::max());  // what strtol gives
  CHECK(book.Poll("a", cached) == milliseconds(24h));
}

TEST_CASE("an error that differs only in its numbers is the same state, logged once") {
  Book book(0.5);
  const auto t0 = book.clock.Now();
  book.book.StartDue(t0);
  CHECK(book.book.Finish("a", Failed("Operation timed out after 60002 milliseconds"), t0) ==
        FeedChange::kStartedFailing);
  book.clock.AdvanceTo(book.book.Find("a")->next_due);
  book.book.StartDue(book.clock.Now());
  CHECK(book.book.Finish("a", Failed("Operation timed out after 60001 milliseconds"),
                         book.clock.Now()) == FeedChange::kNone);
  book.clock.AdvanceTo(book.book.Find("a")->next_due);
  book.book.StartDue(book.clock.Now());
  CHECK(book.book.Finish("a", Failed("HTTP 503"), book.clock.Now()) == FeedChange::kErrorChanged);
}

TEST_CASE("feed book: adaptive intervals, max-age, hosts and locality") {
  CHECK(HostOf("https://User@Example.org:8443/rss?x=1") == "example.org:8443");
  CHECK(HostOf("file:///tmp/a.xml").empty());
  CHECK(IsLocalFeed("file:///tmp/a.xml"));
  CHECK(IsLocalFeed("http://127.0.0.1:8080/a"));
  CHECK(IsLocalFeed("http://localhost/a"));
  CHECK_FALSE(IsLocalFeed("https://example.org/a"));
}

}  // namespace
}  // namespace newsmon
