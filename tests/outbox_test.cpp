// The outbox when the store fails under it (a full disk): an alert already on the bus is not
// sent again, later alerts wait for its mark, retries back off, the failure is logged once.
// A real SQLite store behind a fault-injecting decorator (LevelDB's fault_injection_test
// idea), a publisher that records, and a fake clock.
#include <catch2/catch.hpp>

#include <functional>

#include "daemon/outbox.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/fixtures.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

// Forwards everything to a real store; MarkSent fails while `full` is set, as on a full disk,
// and MakeDurable while `sync_fails` is (a failing disk).
class FaultyStore final : public ForwardingStore {
 public:
  explicit FaultyStore(Store& real) : ForwardingStore(real) {}
  bool full = false;
  bool sync_fails = false;
  int mark_attempts = 0;
  int syncs = 0;
  std::function<void()> on_sync;

  Status MakeDurable() override {
    ++syncs;
    if (on_sync) on_sync();
    if (sync_fails) return Status::IoError("disk I/O error");
    return real_.MakeDurable();
  }

  Status MarkSent(std::int64_t seq, std::int64_t sent_at) override {
    ++mark_attempts;
    if (full) return Status::IoError("database or disk is full");
    return real_.MarkSent(seq, sent_at);
  }
};

class RecordingPublisher final : public Publisher {
 public:
  Status Send(const std::string&, const std::string& body) override {
    bodies.push_back(body);
    return Status::Ok();
  }
  const std::string& endpoint() const override { return endpoint_; }
  std::vector<std::string> bodies;

 private:
  std::string endpoint_ = "inproc://recorded";
};

FetchRecord MatchingFetch(const std::string& feed, const std::vector<std::string>& ids) {
  FetchRecord record;
  record.feed = feed;
  record.config_url = "https://example.org/" + feed;
  record.fetched_at = 1'795'424'500;
  for (const std::string& id : ids) record.new_items.push_back(MatchingItem(feed + id, "truces"));
  return record;
}

TEST_CASE("a turn's alerts of several feeds are made durable with one sync before any is sent") {
  LogCapture log;
  TempDir dir;
  auto opened = Store::Open(dir.File("n.db"));
  REQUIRE(opened.ok());
  FaultyStore store(**opened);
  RecordingPublisher publisher;
  FakeClock clock;
  FixedRandom random(0.5);
  Outbox outbox(store, publisher, clock, random);
  std::vector<std::size_t> sent_at_sync;
  store.on_sync = [&] { sent_at_sync.push_back(publisher.bodies.size()); };

  for (const char* feed : {"a", "b", "c"})
    REQUIRE(store.RecordFetch(MatchingFetch(feed, {"1", "2"})).ok());
  CHECK(outbox.Drain().sent.size() == 6);
  CHECK(sent_at_sync == std::vector<std::size_t>{0});  // one sync, before the first send

  CHECK(outbox.Drain().sent.empty());  // nothing new: no sync
  CHECK(store.syncs == 1);

  SECTION("an alert that cannot be made durable is not sent, nor announced to webhooks") {
    store.sync_fails = true;
    REQUIRE(store.RecordFetch(MatchingFetch("d", {"1"})).ok());
    OutboxDrain refused = outbox.Drain();
    CHECK(refused.sent.empty());
    CHECK_FALSE(refused.pending);
    CHECK(publisher.bodies.size() == 6);
    CHECK(log.Contains(
        "outbox: cannot make alerts durable before sending them: disk I/O error; retrying "
        "with backoff, later alerts wait"));
    store.sync_fails = false;
    clock.AdvanceTo(*outbox.NextRetry());
    REQUIRE(outbox.Drain().sent.size() == 1);
    CHECK(store.syncs == 3);
  }
}

TEST_CASE("a backlog larger than a batch asks the loop to drain again at once") {
  TempDir dir;
  auto opened = Store::Open(dir.File("n.db"));
  REQUIRE(opened.ok());
  RecordingPublisher publisher;
  FakeClock clock;
  FixedRandom random(0.5);
  Outbox outbox(**opened, publisher, clock, random);
  std::vector<std::string> ids;
  for (int i = 0; i < 1500; ++i) ids.push_back(std::to_string(i));
  REQUIRE((*opened)->RecordFetch(MatchingFetch("a", ids)).ok());
  CHECK(outbox.Drain().sent.size() == 1000);
  REQUIRE(outbox.NextRetry());
  CHECK(*outbox.NextRetry() <= clock.Now());  // due now, not at the next heartbeat
  CHECK(outbox.Drain().sent.size() == 500);
  CHECK_FALSE(outbox.NextRetry());  // nothing left: nothing to wake for
}

TEST_CASE("a store that cannot mark alerts sent causes no resend flood and no lost alert") {
  LogCapture log;
  TempDir dir;
  auto opened = Store::Open(dir.File("n.db"));
  REQUIRE(opened.ok());
  FaultyStore store(**opened);
  FetchRecord record;
  record.feed = "wire";
  record.config_url = "https://example.org/feed";
  record.fetched_at = 1'795'424'500;
  record.status = Status::Ok();
  for (const char* id : {"a", "b", "c"}) record.new_items.push_back(MatchingItem(id, "truces"));
  REQUIRE(store.RecordFetch(record).ok());

  RecordingPublisher publisher;
  FakeClock clock;
  FixedRandom random(0.5);
  Outbox outbox(store, publisher, clock, random);

  store.full = true;
  OutboxDrain first = outbox.Drain();
  REQUIRE(first.sent.size() == 1);  // #1 went out; its mark failed; #2 and #3 wait
  CHECK(outbox.failing());
  // Thirty seconds of a busy loop calling Drain every 10 ms: retries follow the backoff
  // (1, 2, 4, 8 s apart, then 16), #1 is never sent again, nothing later goes out.
  const auto start = clock.Now();
  while (clock.Now() - start < 30s) {
    CHECK(outbox.Drain().sent.empty());
    clock.Advance(10ms);
  }
  CHECK(publisher.bodies.size() == 1);
  CHECK(store.mark_attempts == 1 + 4);  // the first try, then retries at 1, 3, 7 and 15 s
  const std::vector<std::string> lines = log.Lines();
  auto errors = std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("outbox: cannot mark alert #1 sent") != std::string::npos;
  });
  CHECK(errors == 1);

  store.full = false;
  clock.AdvanceTo(*outbox.NextRetry());
  OutboxDrain recovered = outbox.Drain();
  REQUIRE(recovered.sent.size() == 2);
  CHECK(recovered.sent[0].seq == 2);
  CHECK(recovered.sent[1].seq == 3);
  CHECK_FALSE(outbox.failing());
  CHECK(publisher.bodies.size() == 3);  // each alert once
  CHECK(*store.UnsentCount() == 0);
  CHECK(log.Contains("outbox: sending again after"));
}

}  // namespace
}  // namespace newsmon::testing
