// Feeds sharded over daemons (docs/scaling.md): each daemon polls only the feeds that hash
// to it, with its own database and seqs, and `newsmon tail` with an endpoint pair per shard
// shows every alert of all of them once, across a shard's restart and its own.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "daemon/shard.h"
#include "tests/support/bus.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kShards = 3;  // as issue 14 asks
constexpr std::size_t kFeedsPerShard = 2;

// One shard's daemon: a config of its own (the shared feeds, its shard, its database and
// bus) in a folder of its own.
struct ShardDir {
  TempDir dir;
  std::string config;
  std::string bus() const { return "ipc://" + dir.File("bus"); }
  std::string replay() const { return "ipc://" + dir.File("replay"); }
  std::string database() const { return dir.File("newsmon.db"); }
  std::int64_t Alerts() const { return CountRows(database(), "SELECT count(*) FROM alerts"); }
};

struct Feed {
  std::string name;
  std::string url;
  int slot = 0;  // 0-based: polled by shard slot + 1
  int items = 0;
};

// The server's feeds, kFeedsPerShard of them on each shard; which URL hashes where depends
// on the server's port, so names are drawn until every shard has its share.
std::vector<Feed> FeedsOnEveryShard(const FeedServer& server) {
  std::vector<Feed> feeds;
  std::map<int, std::size_t> per_slot;
  for (int i = 0; feeds.size() < kShards * kFeedsPerShard; ++i) {
    const std::string name = "f" + std::to_string(i);
    const std::string url = server.Url("/" + name + ".xml");
    const int slot = ShardSlot(url, kShards);
    if (per_slot[slot] == kFeedsPerShard) continue;
    ++per_slot[slot];
    feeds.push_back({name, url, slot});
  }
  return feeds;
}

std::string Title(const std::string& feed, int item) {
  return "Ceasefire report " + feed + "-" + std::to_string(item);
}

// Serves `count` items on the feed (the first ones it already had among them) and returns the
// titles of those that are new.
std::set<std::string> Grow(FeedServer& server, Feed& feed, int count) {
  std::vector<FeedEntry> entries;
  std::set<std::string> added;
  for (int i = 0; i < count; ++i) {
    entries.push_back(
        {feed.name + "-" + std::to_string(i), Title(feed.name, i), "The truce holds"});
    if (i >= feed.items) added.insert(Title(feed.name, i));
  }
  feed.items = count;
  server.Serve("/" + feed.name + ".xml", FeedResource(entries));
  return added;
}

void WriteConfig(ShardDir& shard, int number, const std::vector<Feed>& feeds) {
  WriteTrucesThread(shard.dir);
  std::vector<std::pair<std::string, std::string>> named;
  for (const Feed& feed : feeds) named.emplace_back(feed.name, feed.url);
  shard.config = shard.dir.Write("newsmon.toml", "shard = \"" + std::to_string(number) + "/" +
                                                     std::to_string(kShards) + "\"\n" +
                                                     TestConfigToml(shard.dir, named, kNoStories));
}

std::vector<nlohmann::json> Printed(const std::string& json_lines) {
  std::vector<nlohmann::json> alerts;
  std::istringstream lines(json_lines);
  for (std::string line; std::getline(lines, line);) alerts.push_back(nlohmann::json::parse(line));
  return alerts;
}

std::multiset<std::string> TitlesPrinted(const std::string& json_lines) {
  std::multiset<std::string> titles;
  for (const nlohmann::json& alert : Printed(json_lines)) titles.insert(alert["item"]["title"]);
  return titles;
}

std::multiset<std::string> AsMultiset(const std::set<std::string>& titles) {
  return {titles.begin(), titles.end()};
}

bool Polled(const ShardDir& shard, const Feed& feed) {
  return CountRows(shard.database(), "SELECT count(*) FROM feeds WHERE name = '" + feed.name +
                                         "' AND last_attempt > 0") == 1;
}

// The shard's daemon, once its bus is up: a replay request sent earlier could wait out tail's
// timeout on a loaded machine, and tail would then say so.
std::unique_ptr<Process> Run(const ShardDir& shard) {
  Subscriber heartbeats(shard.bus(), {"sys.heartbeat"});
  auto daemon =
      std::make_unique<Process>(std::vector<std::string>{"run", "--config", shard.config});
  REQUIRE(heartbeats.WaitConnected(20s));
  return daemon;
}

void Stop(Process& daemon) {
  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(10s) == 0);
}

TEST_CASE("shards poll each feed once and tail shows every alert of all of them once") {
  FeedServer server;
  std::vector<Feed> feeds = FeedsOnEveryShard(server);
  std::set<std::string> expected;
  for (Feed& feed : feeds) expected.merge(Grow(server, feed, 2));
  std::vector<ShardDir> shards(kShards);
  for (int i = 0; i < kShards; ++i) WriteConfig(shards[i], i + 1, feeds);
  auto stored = [&] {
    std::int64_t alerts = 0;
    for (const ShardDir& shard : shards) alerts += shard.Alerts();
    return alerts;
  };
  TempDir own;
  const std::string state = own.File("tail.state");
  auto tail_args = [&](const std::string& since, std::size_t count) {
    std::vector<std::string> args = {"tail",    "--json", "--since", since,
                                     "--state", state,    "--count", std::to_string(count)};
    for (const ShardDir& shard : shards) {
      args.insert(args.end(), {"--endpoint", shard.bus(), "--replay-endpoint", shard.replay()});
    }
    return args;
  };

  std::vector<std::unique_ptr<Process>> daemons;
  for (const ShardDir& shard : shards) daemons.push_back(Run(shard));
  // The last shard is restarted below, with kFeedsPerShard + 1 more alerts.
  Process tail(tail_args("0", expected.size() + kFeedsPerShard + 1));
  REQUIRE(WaitUntil([&] { return TitlesPrinted(tail.Stdout()).size() >= expected.size(); }, 20s));
  CHECK(TitlesPrinted(tail.Stdout()) == AsMultiset(expected));
  // Each feed was fetched by its own shard only, and its alerts name that shard.
  for (const Feed& feed : feeds) {
    CAPTURE(feed.name, feed.slot);
    CHECK(server.HitCount("/" + feed.name + ".xml") >= 1);
    for (int slot = 0; slot < kShards; ++slot)
      CHECK(Polled(shards[slot], feed) == (slot == feed.slot));
  }
  for (const nlohmann::json& alert : Printed(tail.Stdout())) {
    const std::string feed = alert["item"]["feed"];
    const int slot = std::find_if(feeds.begin(), feeds.end(), [&](const Feed& f) {
                       return f.name == feed;
                     })->slot;
    CHECK(alert.value("shard", "") == std::to_string(slot + 1) + "/" + std::to_string(kShards));
  }
  CHECK(stored() == static_cast<std::int64_t>(expected.size()));

  // The last shard stops; its feeds grow meanwhile, and one of the first shard's. Restarted
  // with a join grace of 1 ms, it publishes before tail has reconnected: that shard's replay
  // fills the gap.
  const int last = kShards - 1;
  Stop(*daemons[last]);
  std::set<std::string> later;
  for (Feed& feed : feeds) {
    if (feed.slot == last) later.merge(Grow(server, feed, 3));
  }
  later.merge(Grow(
      server, *std::find_if(feeds.begin(), feeds.end(), [](const Feed& f) { return f.slot == 0; }),
      3));
  REQUIRE(later.size() == kFeedsPerShard + 1);
  daemons[last] = Run(shards[last]);
  REQUIRE(tail.Wait(20s) == 0);
  expected.merge(later);
  CHECK(TitlesPrinted(tail.Stdout()) == AsMultiset(expected));
  CHECK(tail.Stderr().empty());

  // The subscriber is away while every feed grows; started again from its state, it shows
  // exactly what it missed, each shard from its own seq.
  std::set<std::string> missed;
  for (Feed& feed : feeds) missed.merge(Grow(server, feed, feed.items + 1));
  const auto total = static_cast<std::int64_t>(expected.size() + missed.size());
  REQUIRE(WaitUntil([&] { return stored() == total; }, 20s));
  Process again(tail_args("last", missed.size()));
  REQUIRE(again.Wait(20s) == 0);
  CHECK(TitlesPrinted(again.Stdout()) == AsMultiset(missed));
  CHECK(again.Stderr().empty());
  // One line per shard: "SEQ DATABASE_ID ENDPOINT".
  std::istringstream kept(ReadFile(state));
  for (const ShardDir& shard : shards) {
    std::int64_t seq = 0;
    std::string id, endpoint;
    kept >> seq >> id >> endpoint;
    CHECK(seq == shard.Alerts());
    CHECK(id.size() == 32);
    CHECK(endpoint == shard.bus());
  }
  for (auto& daemon : daemons) Stop(*daemon);
}

TEST_CASE("a state file of one position (one endpoint's) counts for the first shard") {
  FeedServer server;
  std::vector<Feed> feeds = FeedsOnEveryShard(server);
  std::set<std::string> expected;
  for (Feed& feed : feeds) expected.merge(Grow(server, feed, 1));
  std::vector<ShardDir> shards(kShards);
  std::vector<std::unique_ptr<Process>> daemons;
  for (int i = 0; i < kShards; ++i) {
    WriteConfig(shards[i], i + 1, feeds);
    daemons.push_back(Run(shards[i]));
  }
  TempDir own;
  const std::string state = own.Write("tail.state", "41 0123456789abcdef0123456789abcdef\n");
  std::vector<std::string> args = {"tail",    "--json", "--since", "last",
                                   "--state", state,    "--count", std::to_string(expected.size())};
  for (const ShardDir& shard : shards) {
    args.insert(args.end(), {"--endpoint", shard.bus(), "--replay-endpoint", shard.replay()});
  }
  Process tail(args);
  REQUIRE(tail.Wait(20s) == 0);
  // Seq 41 of another database: the first shard is shown from its first alert, the others,
  // new to the file, too.
  CHECK(TitlesPrinted(tail.Stdout()) == AsMultiset(expected));
  CHECK(tail.Stderr().find("newsmon tail: the daemon at " + shards[0].bus() +
                           " now serves another database (id ") != std::string::npos);
  std::istringstream lines(ReadFile(state));
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) ++count;
  CHECK(count == shards.size());
  for (auto& daemon : daemons) Stop(*daemon);
}

TEST_CASE("a shard says how many feeds it polls, and names itself on the bus") {
  FeedServer server;
  std::vector<Feed> feeds = FeedsOnEveryShard(server);
  ShardDir shard;
  WriteConfig(shard, 2, feeds);
  Completed checked = RunNewsmon({"check-config", "--config", shard.config});
  CHECK(checked.status == 0);
  CHECK(checked.out ==
        shard.config + ": ok (6 feeds, 1 threads)\nshard 2/3 polls 2 of the 6 feeds\n");

  Subscriber subscriber(shard.bus(), {"sys.heartbeat"});
  Process daemon({"run", "--config", shard.config});
  auto heartbeat = subscriber.Receive(10s);
  REQUIRE(heartbeat);
  CHECK(heartbeat->body.value("shard", "") == "2/3");
  zmq::context_t context;
  zmq::socket_t replay(context, zmq::socket_type::req);
  replay.set(zmq::sockopt::rcvtimeo, 10000);
  replay.connect(shard.replay());
  replay.send(zmq::str_buffer("{\"since\": 0}"));
  zmq::message_t answer;
  REQUIRE(replay.recv(answer));
  CHECK(nlohmann::json::parse(answer.to_string()).value("shard", "") == "2/3");
  Stop(daemon);
  CHECK(daemon.Stderr().find("shard 2/3 polls 2 of the 6 feeds") != std::string::npos);
}

TEST_CASE("a shard that owns none of the feeds runs, and warns") {
  TempDir dir;
  WriteTrucesThread(dir);
  // Both URLs hash to slot 0 of 3 (config_test fixes their slots): shard 3 owns neither.
  std::string toml = TestConfigToml(dir, {{"rss", "https://example.org/rss"},
                                          {"guardian", "https://www.theguardian.com/world/rss"}});
  // Feeds of the open web may not be polled every 100 ms.
  const std::string fast = "interval = \"100ms\"";
  toml.replace(toml.find(fast), fast.size(), "interval = \"5m\"");
  const std::string config = dir.Write("newsmon.toml", "shard = \"3/3\"\n" + toml);
  Completed checked = RunNewsmon({"check-config", "--config", config});
  CHECK(checked.status == 0);
  CHECK(checked.out == config +
                           ": ok (2 feeds, 1 threads)\nshard 3/3 polls none of the 2 feeds (their "
                           "URLs hash to other shards): it only publishes heartbeats and answers "
                           "replay\n");
  Subscriber subscriber("ipc://" + dir.File("bus"), {"sys.heartbeat"});
  Process daemon({"run", "--config", config});
  REQUIRE(subscriber.Receive(10s));
  Stop(daemon);
  CHECK(daemon.Stderr().find("shard 3/3 polls none of the 2 feeds") != std::string::npos);
}

TEST_CASE("tail wants one replay endpoint per endpoint, each once") {
  Completed unpaired = RunNewsmon({"tail", "--endpoint", "ipc:///tmp/a", "--endpoint",
                                   "ipc:///tmp/b", "--replay-endpoint", "ipc:///tmp/ra"});
  CHECK(unpaired.status == 1);
  CHECK(unpaired.err ==
        "newsmon tail: give one --replay-endpoint per --endpoint, in the same order (2 "
        "--endpoint, 1 --replay-endpoint)\n");
  Completed twice =
      RunNewsmon({"tail", "--endpoint", "ipc:///tmp/a", "--endpoint", "ipc:///tmp/a",
                  "--replay-endpoint", "ipc:///tmp/ra", "--replay-endpoint", "ipc:///tmp/rb"});
  CHECK(twice.status == 1);
  CHECK(twice.err ==
        "newsmon tail: 'ipc:///tmp/a' is given twice: each shard has endpoints of its own\n");
}

}  // namespace
}  // namespace newsmon::testing
