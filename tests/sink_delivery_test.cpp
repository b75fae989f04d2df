// What webhooks and e-mail sinks share: retries told once per change of state, a server's
// Retry-After capped, and the delivered mark a new sink records at once.
#include "publishers/sink_delivery.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/support/daemon_runner.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

std::size_t LinesWith(const LogCapture& log, const std::string& text) {
  const auto lines = log.Lines();
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
    return l.find(text) != std::string::npos;
  }));
}

TEST_CASE("a sink's failure is told once, retried with backoff, and its recovery told once") {
  LogCapture log;
  FixedRandom no_jitter(0.5);
  DeliveryRetries retries("webhook 'desk'", "https://example.org/hook", 1s, 60s, no_jitter);
  const SinkClock::time_point start{};

  retries.Failed(Status::Error("HTTP 500"), start);
  CHECK(retries.failing());
  CHECK(retries.next_attempt() == start + 1s);
  retries.Failed(Status::Error("HTTP 502"), start + 1s);
  CHECK(retries.next_attempt() == start + 1s + 2s);
  CHECK(LinesWith(log, "webhook 'desk' (https://example.org/hook): failing: HTTP 500; "
                       "retrying in 1.0 s") == 1);
  CHECK(LinesWith(log, "hook): failing: HTTP 502") == 0);  // a debug line, not a warning
  CHECK(retries.failed_attempts() == 2);
  CHECK(retries.last_error() == "HTTP 502");

  // A day's Retry-After waits the longest backoff, not a day.
  retries.Failed(Status::Error("HTTP 429"), start + 3s, std::chrono::seconds(86400));
  CHECK(retries.next_attempt() == start + 3s + 60s);

  retries.Succeeded(start + 63s);
  CHECK_FALSE(retries.failing());
  CHECK(retries.next_attempt() == start + 63s);
  CHECK(LinesWith(log, "webhook 'desk' recovered") == 1);
  retries.Failed(Status::Error("HTTP 500"), start + 64s);
  CHECK(retries.next_attempt() == start + 65s);  // the backoff starts again from the first
}

TEST_CASE("a sink new to the store starts at the outbox's end and records its mark at once") {
  TempDir dir;
  const std::string path = dir.File("n.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    auto initial = SinkMark::Initial(**store, "email:desk");
    REQUIRE(initial.ok());
    CHECK(*initial == 0);
    SinkMark mark(**store, "email:desk", "email 'desk'", *initial);
    mark.Save(5);
  }
  auto reopened = Store::Open(path);
  REQUIRE(reopened.ok());
  auto again = SinkMark::Initial(**reopened, "email:desk");
  REQUIRE(again.ok());
  CHECK(*again == 5);
}

}  // namespace
}  // namespace newsmon::testing
