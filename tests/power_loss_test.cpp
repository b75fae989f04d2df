// An alert a subscriber has seen survives a power loss: the real daemon runs on a SQLite VFS
// that keeps only what was synced (tests/support/power_loss_vfs.h, LevelDB's
// fault_injection_test for SQLite), the power is cut after publishing, the disk is put back as
// it was at the last syncs, and every seq published is still in the database with its body.
#include <catch2/catch.hpp>

#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/power_loss_vfs.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

std::vector<FeedEntry> TruceItems(int from, int to) {
  std::vector<FeedEntry> entries;
  for (int i = from; i < to; ++i) {
    std::string id = "truce-" + std::to_string(i);
    entries.push_back({id, "Ceasefire report " + id, "The truce holds, says " + id});
  }
  return entries;
}

std::vector<BusMessage> ReceiveAlerts(Subscriber& subscriber, std::size_t count) {
  std::vector<BusMessage> alerts;
  while (alerts.size() < count) {
    auto alert = subscriber.ReceiveTopic("alert.", 10s);
    if (!alert) break;
    alerts.push_back(*alert);
  }
  return alerts;
}

TEST_CASE("after a power loss every alert a subscriber saw is still in the database") {
  PowerLossVfs& disk = PowerLossVfs::Install();
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({}, "\"empty\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  auto daemon = std::make_unique<DaemonRunner>(config);
  REQUIRE(subscriber.WaitConnected());

  // Two polls' worth, so the second turn's alerts need a sync of their own.
  const int syncs_before = disk.syncs();
  server.Serve("/wire.xml", FeedResource(TruceItems(0, 3), "\"three\""));
  std::vector<BusMessage> seen = ReceiveAlerts(subscriber, 3);
  server.Serve("/wire.xml", FeedResource(TruceItems(0, 5), "\"five\""));
  for (const BusMessage& alert : ReceiveAlerts(subscriber, 2)) seen.push_back(alert);
  REQUIRE(seen.size() == 5);
  CHECK(disk.syncs() - syncs_before == 2);  // one per turn that published, not per alert

  disk.CutPower();
  daemon.reset();
  disk.RestoreDisk();

  auto store = Store::Open(config.database);
  REQUIRE(store.ok());
  auto stored = (*store)->AlertsAfter(0, 100, "");
  REQUIRE(stored.ok());
  REQUIRE(stored->size() >= seen.size());
  for (const BusMessage& alert : seen) {
    const auto seq = alert.body["seq"].get<std::int64_t>();
    INFO("seq " << seq);
    REQUIRE(seq <= static_cast<std::int64_t>(stored->size()));
    CHECK(nlohmann::json::parse(stored->at(static_cast<std::size_t>(seq - 1)).body) == alert.body);
  }
}

}  // namespace
}  // namespace newsmon::testing
