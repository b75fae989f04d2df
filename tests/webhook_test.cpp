#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "core/curl_multi.h"
#include "core/env.h"
#include "core/version.h"
#include "feeds/fetcher.h"
#include "publishers/webhook.h"
#include "store/store.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace newsmon::testing {
namespace {

using std::chrono::milliseconds;

// Stores one item per (id, thread), each matching its thread: one alert each, in order.
void Seed(Store& store, const std::vector<std::pair<std::string, std::string>>& items) {
  FetchRecord record;
  record.feed = "wire";
  record.config_url = "https://example.org/feed";
  record.fetched_at = 1795424500;
  record.status = Status::Ok();
  for (const auto& [id, thread] : items) record.new_items.push_back(MatchingItem(id, thread));
  REQUIRE(store.RecordFetch(record).ok());
}

// Small timeouts and backoffs so failures and retries take milliseconds.
WebhookOptions FastOptions(const std::string& url) {
  WebhookOptions options;
  options.name = "ops";
  options.url = url;
  options.connect_timeout = milliseconds(2000);
  options.timeout = milliseconds(2000);
  options.min_backoff = milliseconds(50);
  options.max_backoff = milliseconds(2000);
  return options;
}

struct Opened {
  TempDir dir;
  std::unique_ptr<Store> store;
  Opened() {
    auto opened = Store::Open(dir.File("n.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }
};

std::unique_ptr<CurlMulti> NewDriver() {
  auto created = CurlMulti::Create();
  REQUIRE(created.ok());
  return std::move(created).value();
}

// A sink with a curl driver of its own that goes with it, as the daemon's driver goes at exit:
// its cached connection to the receiver closes then, so the receiver stops at once instead of
// waiting out its keep-alive (5 s per test with one driver kept for the whole file).
class SinkWithDriver final : public WebhookSink {
 public:
  SinkWithDriver(const WebhookOptions& options, Store& store, Env& env) : driver_(NewDriver()) {
    auto sink = WebhookSink::Create(options, store, *driver_, env);
    INFO(sink.status().message());
    REQUIRE(sink.ok());
    sink_ = std::move(sink).value();
  }
  CurlMulti& driver() { return *driver_; }
  std::optional<WebhookClock::time_point> NextDeadline() const override {
    return sink_->NextDeadline();
  }
  void Pump(WebhookClock::time_point now) override { sink_->Pump(now); }
  void Notify(std::int64_t durable_through) override { sink_->Notify(durable_through); }
  const std::string& name() const override { return sink_->name(); }
  WebhookState state() const override { return sink_->state(); }

 private:
  std::unique_ptr<CurlMulti> driver_;
  std::unique_ptr<WebhookSink> sink_;  // after driver_: leaves it before it is cleaned up
};

std::unique_ptr<SinkWithDriver> MakeSink(const WebhookOptions& options, Store& store,
                                         Env& env = Env::Default()) {
  return std::make_unique<SinkWithDriver>(options, store, env);
}

// Waits like the daemon's loop: in the sink's curl driver (or a Fetcher's Wait on it) until the
// sink's next deadline, then pumps the sink. The wait is capped so done() (which often depends on
// the receiver's thread) is checked often. On a FakeClock the loop keeps virtual time: it moves as
// the real time spent waiting on the receiver, and jumps to the sink's deadline when no POST is
// in flight, so a ten-minute backoff passes at once.
class Loop {
 public:
  Loop() = default;
  explicit Loop(Waiter& waiter) : waiter_(&waiter) {}
  explicit Loop(FakeClock& clock) : fake_(&clock) {}

  bool RunUntil(SinkWithDriver& sink, const std::function<bool()>& done,
                milliseconds timeout = std::chrono::seconds(10)) {
    auto give_up = WebhookClock::now() + timeout;
    while (!done()) {
      if (WebhookClock::now() >= give_up) return false;
      const bool idle = !sink.state().in_flight;
      std::vector<WaitFd> none;
      auto waited_from = WebhookClock::now();
      Waiter& waiter = waiter_ ? *waiter_ : sink.driver();
      REQUIRE(waiter.Wait(none, WaitTime(sink, idle)).ok());
      auto before = WebhookClock::now();
      if (fake_) {
        fake_->Advance(before - waited_from);
        if (auto deadline = sink.NextDeadline(); idle && deadline) fake_->AdvanceTo(*deadline);
      }
      sink.Pump(Now());
      longest_pump_ = std::max(longest_pump_, WebhookClock::now() - before);
      ++pumps_;
    }
    return true;
  }

  WebhookClock::duration longest_pump() const { return longest_pump_; }
  int pumps() const { return pumps_; }

 private:
  WebhookClock::time_point Now() const { return fake_ ? fake_->Now() : WebhookClock::now(); }

  milliseconds WaitTime(const WebhookSink& sink, bool idle) const {
    milliseconds cap(20);
    if (fake_ && idle) return milliseconds(sink.NextDeadline() ? 0 : cap.count());
    auto deadline = sink.NextDeadline();
    if (!deadline) return cap;
    auto left = std::chrono::ceil<milliseconds>(*deadline - Now());
    return std::clamp(left, milliseconds(0), cap);
  }

  Waiter* waiter_ = nullptr;  // else the sink's driver
  FakeClock* fake_ = nullptr;
  WebhookClock::duration longest_pump_{0};
  int pumps_ = 0;
};

WebhookReply Answer(int status) {
  WebhookReply reply;
  reply.status = status;
  return reply;
}

TEST_CASE("the signature is HMAC-SHA256 in lowercase hex (RFC 4231 test case 2)") {
  CHECK(WebhookSignature("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// A power loss takes back what was stored after the last sync: a sink delivering it would have
// told a receiver of an alert whose seq the database then gives to another one.
TEST_CASE("a sink delivers only what the outbox has synced, the rest after the next sync") {
  Opened db;
  WebhookReceiver receiver;
  auto sink = MakeSink(FastOptions(receiver.Url()), *db.store);
  Seed(*db.store, {{"a", "truces"}, {"b", "talks"}, {"c", "truces"}});
  sink->Notify(2);
  Loop loop;
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 2; }));
  // Given time, it does not go on to seq 3.
  CHECK_FALSE(loop.RunUntil(
      *sink, [&] { return sink->state().cursor == 3; }, milliseconds(300)));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 2});
  // Nor does it ask the loop to turn for it: a sink that had read all it may once made every
  // turn a 0 ms wait, a core spinning until the next alert.
  CHECK_FALSE(sink->NextDeadline());
  sink->Notify(2);  // as after a drain that synced nothing new, or at a start caught up
  CHECK_FALSE(sink->NextDeadline());
  sink->Notify(3);
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 3; }));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 2, 3});
  sink->Notify(3);
  CHECK_FALSE(sink->NextDeadline());
}

TEST_CASE("alerts are posted in seq order with the outbox's body, headers and signature") {
  Opened db;
  WebhookReceiver receiver;
  WebhookOptions options = FastOptions(receiver.Url());
  options.secret = "s3cret";
  auto sink = MakeSink(options, *db.store);
  Seed(*db.store, {{"a", "truces"}, {"b", "talks"}, {"c", "truces"}});
  sink->Notify(kAllDurable);

  // Driven through a feed fetcher's Wait on the same driver: feeds and webhooks share it.
  auto fetcher = Fetcher::Create(FetchOptions{}, sink->driver());
  REQUIRE(fetcher.ok());
  Loop loop(**fetcher);
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 3; }));

  auto outbox = db.store->AlertsAfter(0, 10, "");
  REQUIRE(outbox.ok());
  std::vector<WebhookRequest> requests = receiver.Requests();
  REQUIRE(requests.size() == 3);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const WebhookRequest& request = requests[i];
    const OutboxEntry& alert = (*outbox)[i];
    CHECK(request.path == "/hook");
    CHECK(request.body == alert.body);
    CHECK(request.Seq() == alert.seq);
    CHECK(request.Header("x-newsmon-topic") == alert.topic);
    CHECK(request.Header("content-type") == "application/json");
    CHECK(request.Header("user-agent") == "newsmon/" NEWSMON_VERSION);
    CHECK(request.Header("x-newsmon-signature-256") ==
          "sha256=" + WebhookSignature("s3cret", request.body));
    CHECK(request.Header("x-newsmon-signature-256") !=
          "sha256=" + WebhookSignature("other", request.body));
  }
  CHECK(requests[1].Header("x-newsmon-topic") == "alert.talks");
  WebhookState state = sink->state();
  CHECK(state.delivered == 3);
  CHECK_FALSE(state.failing);
  CHECK_FALSE(state.in_flight);
  CHECK(db.store->WebhookCursor("ops")->value() == 3);
}

TEST_CASE("only alerts of the sink's threads are posted, the others advance its cursor") {
  Opened db;
  WebhookReceiver receiver;
  WebhookOptions options = FastOptions(receiver.Url());
  options.threads = {"truces", "energy-strikes"};
  auto sink = MakeSink(options, *db.store);
  Seed(*db.store, {{"a", "truces"}, {"b", "talks"}, {"c", "energy-strikes"}, {"d", "talks"}});
  sink->Notify(kAllDurable);

  Loop loop;
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 4; }));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 3});
  CHECK(receiver.Requests()[0].Header("x-newsmon-signature-256").empty());  // no secret
  CHECK(sink->state().delivered == 2);
  CHECK(db.store->WebhookCursor("ops")->value() == 4);
  CHECK_FALSE(sink->NextDeadline().has_value());  // drained: nothing to wake up for
}

// On a fake clock: the backoff between retries is exact and takes no real time.
struct FakeEnv {
  FakeEnv() = default;
  FakeEnv(const FakeEnv&) = delete;  // env refers to this object's clock and random source
  FakeEnv& operator=(const FakeEnv&) = delete;
  FakeClock clock;
  FixedRandom random{0.5};  // the middle of the ±20 % jitter: factor 1
  Env env{clock, random};
};

TEST_CASE("failures are retried with doubling gaps until delivered, skipping nothing") {
  Opened db;
  WebhookReceiver receiver;
  receiver.Script({Answer(500), Answer(500), Answer(500)});
  FakeEnv fake;
  WebhookOptions options = FastOptions(receiver.Url());
  options.min_backoff = std::chrono::seconds(1);
  options.max_backoff = std::chrono::minutes(10);
  auto sink = MakeSink(options, *db.store, fake.env);
  Seed(*db.store, {{"a", "truces"}, {"b", "truces"}});
  sink->Notify(kAllDurable);

  // After each failure the next attempt is due one backoff later: 1 s, 2 s, 4 s.
  Loop loop(fake.clock);
  std::vector<milliseconds> backoffs;
  for (std::uint64_t failures = 1; failures <= 3; ++failures) {
    REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().failed_attempts == failures; }));
    REQUIRE(sink->NextDeadline());
    backoffs.push_back(std::chrono::round<milliseconds>(*sink->NextDeadline() - fake.clock.Now()));
    if (failures == 1) {
      CHECK(sink->state().failing);
      CHECK(sink->state().last_error == "HTTP 500: scripted failure");
      CHECK(sink->state().cursor == 0);
    }
  }
  CHECK(backoffs ==
        std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(4000)});
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 2; }));
  CHECK_FALSE(sink->state().failing);

  // One more alert after the recovery: alert 1 must not come back.
  Seed(*db.store, {{"c", "truces"}});
  sink->Notify(kAllDurable);
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 3; }));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 1, 1, 1, 2, 3});
  CHECK(sink->state().failed_attempts == 3);
  CHECK(sink->state().delivered == 3);
}

TEST_CASE("the retry gap stops growing at max_backoff, jitter included") {
  Opened db;
  WebhookReceiver receiver;
  receiver.Script(std::vector<WebhookReply>(12, Answer(500)));
  FakeEnv fake;
  FixedRandom top(1.0);  // +20 %
  Env env{fake.clock, top};
  WebhookOptions options = FastOptions(receiver.Url());
  options.min_backoff = std::chrono::seconds(1);
  options.max_backoff = std::chrono::minutes(10);
  auto sink = MakeSink(options, *db.store, env);
  Seed(*db.store, {{"a", "truces"}});
  sink->Notify(kAllDurable);
  Loop loop(fake.clock);
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().failed_attempts == 12; }));
  REQUIRE(sink->NextDeadline());
  CHECK(std::chrono::round<milliseconds>(*sink->NextDeadline() - fake.clock.Now()) ==
        milliseconds(std::chrono::minutes(10)));
}

TEST_CASE("a Retry-After on 503 is honoured over a shorter backoff, up to max_backoff") {
  Opened db;
  WebhookReceiver receiver;
  WebhookReply busy = Answer(503);
  busy.retry_after = "120";
  WebhookReply very_busy = Answer(503);
  very_busy.retry_after = "10000000000000000";  // centuries, past what int64 ms holds: capped
  receiver.Script({busy, very_busy});
  FakeEnv fake;
  WebhookOptions options = FastOptions(receiver.Url());
  options.min_backoff = std::chrono::seconds(1);
  options.max_backoff = std::chrono::minutes(10);
  auto sink = MakeSink(options, *db.store, fake.env);
  Seed(*db.store, {{"a", "truces"}});
  sink->Notify(kAllDurable);

  Loop loop(fake.clock);
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().failed_attempts == 1; }));
  CHECK(std::chrono::round<milliseconds>(*sink->NextDeadline() - fake.clock.Now()) ==
        milliseconds(120'000));
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().failed_attempts == 2; }));
  CHECK(std::chrono::round<milliseconds>(*sink->NextDeadline() - fake.clock.Now()) ==
        milliseconds(600'000));
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 1; }));
  CHECK(receiver.Requests().size() == 3);
}

TEST_CASE("a redirect is a failure that names where it points, and is not followed") {
  Opened db;
  WebhookReceiver receiver;
  WebhookReply moved = Answer(301);
  moved.location = receiver.Url("/elsewhere");
  receiver.Script({moved});
  auto sink = MakeSink(FastOptions(receiver.Url()), *db.store);
  Seed(*db.store, {{"a", "truces"}});
  sink->Notify(kAllDurable);

  Loop loop;
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().failing; }));
  CHECK(sink->state().last_error ==
        "HTTP 301 redirect to " + receiver.Url("/elsewhere") +
            "; webhooks do not follow redirects: set the url to where it points");
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 1; }));
  for (const WebhookRequest& request : receiver.Requests()) CHECK(request.path == "/hook");
}

TEST_CASE("a restarted sink resumes after the last alert it delivered") {
  Opened db;
  WebhookReceiver receiver;
  Loop loop;
  {
    auto sink = MakeSink(FastOptions(receiver.Url()), *db.store);
    Seed(*db.store, {{"a", "truces"}, {"b", "truces"}});
    sink->Notify(kAllDurable);
    REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 2; }));
  }
  Seed(*db.store, {{"c", "truces"}, {"d", "talks"}});
  auto sink = MakeSink(FastOptions(receiver.Url()), *db.store);
  sink->Notify(kAllDurable);  // as the daemon does at start
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 4; }));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 2, 3, 4});

  // Another name is another sink, with a cursor of its own.
  WebhookOptions other = FastOptions(receiver.Url("/other"));
  other.name = "archive";
  auto archive = MakeSink(other, *db.store);
  CHECK(archive->state().cursor == 4);
}

TEST_CASE("a new sink on a database with alerts starts at its last seq") {
  Opened db;
  Seed(*db.store, {{"a", "truces"}, {"b", "truces"}});
  WebhookReceiver receiver;
  auto sink = MakeSink(FastOptions(receiver.Url()), *db.store);
  CHECK(sink->state().cursor == 2);
  // Recorded at once, so a restart before the first delivery keeps this starting point.
  CHECK(db.store->WebhookCursor("ops")->value() == 2);

  Seed(*db.store, {{"c", "truces"}});
  sink->Notify(kAllDurable);
  Loop loop;
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 3; }));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{3});
}

TEST_CASE("a hanging receiver never blocks Pump, and its timeout leads to a retry") {
  Opened db;
  WebhookReceiver receiver;  // releases the hanging request when the test ends
  WebhookReply hang;
  hang.hang = true;
  receiver.Script({hang});
  WebhookOptions options = FastOptions(receiver.Url());
  options.timeout = milliseconds(300);
  auto sink = MakeSink(options, *db.store);
  Seed(*db.store, {{"a", "truces"}});
  sink->Notify(kAllDurable);

  Loop loop;
  REQUIRE(loop.RunUntil(*sink, [&] { return sink->state().cursor == 1; }));
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 1});
  CHECK(sink->state().failed_attempts == 1);
  CHECK(loop.pumps() > 5);  // the loop kept turning while the first request hung
  // Well under the 300 ms a blocking POST would take, with room for a loaded CI machine.
  CHECK(loop.longest_pump() < milliseconds(150));
}

TEST_CASE("Create refuses a URL that is not http or https, naming it") {
  Opened db;
  auto driver = NewDriver();
  WebhookOptions options = FastOptions("ftp://example.org/hook");
  auto sink = WebhookSink::Create(options, *db.store, *driver);
  REQUIRE_FALSE(sink.ok());
  CHECK(sink.status().message() ==
        "webhook 'ops': url 'ftp://example.org/hook' must start with http:// or https://");

  options.url = "http://";
  auto no_host = WebhookSink::Create(options, *db.store, *driver);
  REQUIRE_FALSE(no_host.ok());
  CHECK(
      no_host.status().message().starts_with("webhook 'ops': url 'http://' is not a valid URL: "));

  options = FastOptions("https://hooks.example.org/x");
  options.min_backoff = milliseconds(5000);
  options.max_backoff = milliseconds(1000);
  CHECK(WebhookSink::Create(options, *db.store, *driver).status().message() ==
        "webhook 'ops': min_backoff must be positive and at most max_backoff");
  CHECK_FALSE(db.store->WebhookCursor("ops")->has_value());  // nothing recorded when refused
}

}  // namespace
}  // namespace newsmon::testing
