// Subscribers that were listening before the daemon (re)started: the join grace lets them
// reconnect before the first alert goes out, and `newsmon tail` fills from replay what it
// still missed, across restarts and a replaced database.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <zmq_addon.hpp>

#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::int64_t> ReceiveSeqs(Subscriber& subscriber, std::size_t count) {
  std::vector<std::int64_t> seqs;
  while (seqs.size() < count) {
    auto alert = subscriber.ReceiveTopic("alert.", 10s);
    if (!alert) break;
    seqs.push_back(alert->body["seq"].get<std::int64_t>());
  }
  return seqs;
}

// Seqs up to `seq` are stored and on the bus, so a tail started now cannot receive them live
// (it could receive one the daemon had stored and not yet sent).
bool OnTheBusUpTo(const Config& config, std::int64_t seq) {
  auto store = Store::Open(config.database);
  if (!store.ok()) return false;
  auto last = (*store)->LastSeq();
  auto unsent = (*store)->UnsentCount();
  return last.ok() && unsent.ok() && *last == seq && *unsent == 0;
}

TEST_CASE("a subscriber listening before the daemon starts gets every alert of the first poll") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource(TruceItems(3)));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  config.publish.join_grace = PublishConfig{}.join_grace;
  REQUIRE(config.publish.join_grace == 1s);
  // No replay, no heartbeat: a plain SUB socket, the common subscriber on a bus.
  Subscriber subscriber(config.publish.endpoint, {"alert."});
  {
    DaemonRunner daemon(config);
    CHECK(ReceiveSeqs(subscriber, 3) == std::vector<std::int64_t>{1, 2, 3});
  }
  server.Serve("/wire.xml", FeedResource(TruceItems(5)));
  DaemonRunner restarted(config);
  CHECK(ReceiveSeqs(subscriber, 2) == std::vector<std::int64_t>{4, 5});
}

// The config file with its join grace: the suite's default of 1 ms lets the first alerts
// out before a subscriber can have reconnected, which is what tail must then make up for.
std::string WriteConfig(const TempDir& dir, const std::string& url, const std::string& grace) {
  std::string toml = TestConfigToml(dir, {{"wire", url}}, kNoStories);
  const std::string fast = "join_grace = \"1ms\"";
  toml.replace(toml.find(fast), fast.size(), "join_grace = \"" + grace + "\"");
  return dir.Write("newsmon.toml", toml);
}

TEST_CASE("tail running across daemon restarts and a replaced database misses nothing") {
  TempDir dir;
  FeedServer server;
  WriteTrucesThread(dir);
  const std::string url = server.Url("/wire.xml");
  const std::string bus = "ipc://" + dir.File("bus"), replay = "ipc://" + dir.File("replay");
  const std::string config = WriteConfig(dir, url, "1s");
  Process tail({"tail", "--endpoint", bus, "--replay-endpoint", replay, "--json", "--count", "7"});
  auto printed = [&](std::size_t lines) {
    return WaitUntil([&] { return SeqsPrinted(tail.Stdout()).size() >= lines; }, 20s);
  };

  server.Serve("/wire.xml", FeedResource(TruceItems(2)));
  {
    Process daemon({"run", "--config", config});
    REQUIRE(printed(2));
    daemon.Signal(SIGTERM);
    REQUIRE(daemon.Wait(5s) == 0);
  }
  WriteConfig(dir, url, "1ms");  // from here on the grace cannot help: replay must
  server.Serve("/wire.xml", FeedResource(TruceItems(3)));
  {
    Process daemon({"run", "--config", config});
    REQUIRE(printed(3));
    daemon.Signal(SIGKILL);
    REQUIRE(daemon.Wait(5s) == 128 + SIGKILL);
  }
  RemoveDatabase(dir);
  server.Serve("/wire.xml", FeedResource(TruceItems(4)));
  Process daemon({"run", "--config", config});
  REQUIRE(tail.Wait(20s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{1, 2, 3, 1, 2, 3, 4});
  CHECK(tail.Stderr().find("newsmon tail: the daemon now serves another database (id ") !=
        std::string::npos);
  CHECK(tail.Stderr().find(
            "): its seqs number other alerts, so tail starts again from its first alert\n") !=
        std::string::npos);
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(5s) == 0);
}

TEST_CASE("tail --since last starts again from the first alert of a database it has not seen") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource(TruceItems(2)));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  const std::string state = dir.Write("tail.state", "41 0123456789abcdef0123456789abcdef\n");
  DaemonRunner daemon(config);
  Completed tail = RunNewsmon({"tail", "--endpoint", config.publish.endpoint, "--replay-endpoint",
                               config.publish.replay_endpoint, "--since", "last", "--state", state,
                               "--json", "--count", "2"});
  CHECK(tail.status == 0);
  CHECK(SeqsPrinted(tail.out) == std::vector<std::int64_t>{1, 2});
  CHECK(tail.err.find("newsmon tail: the daemon now serves another database (id ") !=
        std::string::npos);
  CHECK(tail.err.find(", was 0123456789abcdef0123456789abcdef): its seqs number other alerts") !=
        std::string::npos);
  // The state now names the daemon's database, so the next run goes on from seq 2 there.
  std::istringstream kept(ReadFile(state));
  std::int64_t seq = 0;
  std::string id;
  kept >> seq >> id;
  CHECK(seq == 2);
  CHECK(id.size() == 32);
  CHECK(id != "0123456789abcdef0123456789abcdef");
}

TEST_CASE("tail --since last goes on from the end of a database restored from an older copy") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource(TruceItems(2)));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  std::string id;
  {
    auto store = Store::Open(config.database);
    REQUIRE(store.ok());
    id = (*store)->DatabaseId();
  }
  // Tail had shown up to seq 41 of this database; the copy put back ends at 2.
  const std::string state = dir.Write("tail.state", "41 " + id + "\n");
  DaemonRunner daemon(config);
  REQUIRE(WaitUntil([&] { return OnTheBusUpTo(config, 2); }));
  Process tail({"tail", "--endpoint", config.publish.endpoint, "--replay-endpoint",
                config.publish.replay_endpoint, "--since", "last", "--state", state, "--json",
                "--count", "1"});
  // Under load (ASan, -j 2) the first replay request can outlive its 2 s timeout: tail then
  // says so, rests 5 s and asks again at the next heartbeat.
  REQUIRE(WaitUntil([&] { return ReadFile(state).rfind("2 ", 0) == 0; }, 20s));
  server.Serve("/wire.xml", FeedResource(TruceItems(3)));
  REQUIRE(tail.Wait(20s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{3});
  const std::string rewound =
      "newsmon tail: the daemon's database ends at seq 2, before seq 41 that tail has shown: "
      "it was restored from an older copy, so tail goes on from seq 2\n";
  const std::string slow_replay = "newsmon tail: no answer from replay endpoint '" +
                                  config.publish.replay_endpoint +
                                  "'; showing live alerts only for now\n";
  CHECK((tail.Stderr() == rewound || tail.Stderr() == slow_replay + rewound));
}

TEST_CASE("tail without replay goes on from the end of a database restored under it") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource(TruceItems(1)));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  config.publish.join_grace = PublishConfig{}.join_grace;  // tail reconnects before alerts go
  {
    DaemonRunner daemon(config);
    REQUIRE(WaitUntil([&] { return OnTheBusUpTo(config, 1); }));
  }
  const std::string copy = dir.File("copy.db");
  std::filesystem::copy_file(config.database, copy);
  auto daemon = std::make_unique<DaemonRunner>(config);
  // Replay never answers: only heartbeats can tell tail that the database went back.
  const std::string state = dir.File("tail.state");
  Process tail({"tail", "--endpoint", config.publish.endpoint, "--replay-endpoint",
                "ipc://" + dir.File("no-replay"), "--state", state, "--json", "--count", "4"});
  const auto kept = [&](const std::string& seq) {
    return WaitUntil([&] { return ReadFile(state).rfind(seq + " ", 0) == 0; }, 20s);
  };
  REQUIRE(kept("1"));  // tail heard the daemon: it shows what comes next
  server.Serve("/wire.xml", FeedResource(TruceItems(3)));
  REQUIRE(kept("3"));

  daemon.reset();
  for (const char* log : {"-wal", "-shm"}) std::filesystem::remove(config.database + log);
  std::filesystem::copy_file(copy, config.database,
                             std::filesystem::copy_options::overwrite_existing);
  daemon = std::make_unique<DaemonRunner>(config);
  // The restored copy has not seen items 2 and 3: they are its alerts 2 and 3, new to tail.
  const bool ended = tail.Wait(20s).has_value();
  INFO(tail.Stdout() << tail.Stderr());
  REQUIRE(ended);
  CHECK(tail.Wait() == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{2, 3, 2, 3});
  CHECK(tail.Stderr() ==
        "newsmon tail: the daemon's database ends at seq 1, before seq 3 that tail has shown: "
        "it was restored from an older copy, so tail goes on from seq 1\n");
}

TEST_CASE("tail without a replay endpoint says so once and goes on showing live alerts") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource(TruceItems(2)));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  DaemonRunner daemon(config);
  REQUIRE(WaitUntil([&] { return OnTheBusUpTo(config, 2); }));
  const std::string nowhere = "ipc://" + dir.File("no-replay");
  // --since 0 wants seqs 1 and 2 from replay, and heartbeats say they exist: neither can fill
  // the gap, and asking again at every heartbeat would keep live alerts waiting.
  Process tail({"tail", "--endpoint", config.publish.endpoint, "--replay-endpoint", nowhere,
                "--since", "0", "--json", "--count", "1"});
  REQUIRE(WaitUntil([&] { return !tail.Stderr().empty(); }));
  server.Serve("/wire.xml", FeedResource(TruceItems(3)));
  REQUIRE(tail.Wait(20s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{3});
  CHECK(tail.Stderr() == "newsmon tail: no answer from replay endpoint '" + nowhere +
                             "'; showing live alerts only for now\n");
}

// A bus of our own: an XPUB that sees tail subscribe, and a ROUTER as the replay endpoint
// that can leave a request unanswered, as a daemon under load might.
class ScriptedBus {
 public:
  explicit ScriptedBus(const TempDir& dir)
      : pub_endpoint("ipc://" + dir.File("bus")), replay_endpoint("ipc://" + dir.File("replay")) {
    pub_.bind(pub_endpoint);
    replay_.bind(replay_endpoint);
  }

  // Until tail has subscribed to alerts and heartbeats.
  bool WaitSubscribed() {
    int subscriptions = 0;
    pub_.set(zmq::sockopt::rcvtimeo, 10000);
    zmq::message_t message;
    while (subscriptions < 2 && pub_.recv(message)) subscriptions += message.size() > 0;
    return subscriptions == 2;
  }

  void Publish(const std::string& topic, const nlohmann::json& body) {
    pub_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    pub_.send(zmq::buffer(body.dump()), zmq::send_flags::none);
  }

  // The next replay request's `since`, and a way to answer it (or not).
  std::optional<std::int64_t> NextRequest(std::chrono::milliseconds timeout = 10s) {
    replay_.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(replay_, std::back_inserter(frames))) return std::nullopt;
    peer_ = std::move(frames);
    return nlohmann::json::parse(peer_.back().to_string()).value("since", std::int64_t{0});
  }

  void Answer(const std::vector<nlohmann::json>& alerts, std::int64_t last_seq,
              const std::string& database_id = "db") {
    nlohmann::json reply = {
        {"alerts", alerts}, {"last_seq", last_seq}, {"database_id", database_id}};
    const std::string text = reply.dump();
    peer_.back().rebuild(text.data(), text.size());
    zmq::send_multipart(replay_, peer_);
  }

  const std::string pub_endpoint;
  const std::string replay_endpoint;

 private:
  zmq::context_t context_;
  zmq::socket_t pub_{context_, zmq::socket_type::xpub};
  zmq::socket_t replay_{context_, zmq::socket_type::router};
  std::vector<zmq::message_t> peer_;
};

nlohmann::json AlertNumbered(std::int64_t seq) {
  return {{"schema", 2},
          {"seq", seq},
          {"kind", "new"},
          {"thread", "truces"},
          {"item", {{"title", "Ceasefire report " + std::to_string(seq)}}}};
}

// The bus is the daemon's, but a socket anyone local can bind or reach may carry other
// shapes; tail once ended on the first body that was JSON but not an object.
TEST_CASE("tail passes over bus messages that are not JSON objects and goes on") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--json", "--count", "1"});
  REQUIRE(bus.WaitSubscribed());
  bus.Publish("alert.truces", nlohmann::json::array({1, 2}));
  bus.Publish("sys.heartbeat", 5);
  bus.Publish("alert.truces", "a string");
  bus.Publish("alert.truces", AlertNumbered(1));
  REQUIRE(tail.Wait(20s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{1});
}

TEST_CASE("alerts tail missed while replay did not answer are shown once it answers again") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--since", "0", "--json", "--count", "3"});
  REQUIRE(bus.NextRequest() == 0);  // --since 0: the catch-up at start
  bus.Answer({}, 0);
  REQUIRE(bus.WaitSubscribed());
  bus.Publish("alert.truces", AlertNumbered(1));
  // A handshake that finished after the first answer makes tail confirm the database before
  // showing alert 1, as after any reconnection: answered as the daemon would.
  REQUIRE(WaitUntil(
      [&] {
        if (bus.NextRequest(20ms) == 0) bus.Answer({AlertNumbered(1)}, 1);
        return !SeqsPrinted(tail.Stdout()).empty();
      },
      10s));
  // Seqs 2 and 3 went out while tail was away: the heartbeat says so, and replay is silent.
  bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 3}, {"database_id", "db"}});
  REQUIRE(bus.NextRequest() == 1);  // left unanswered: tail gives up after its timeout
  // Heartbeats go on, one per 100 ms; after its retry interval tail asks for what it is owed.
  std::optional<std::int64_t> since;
  for (int beat = 0; beat < 150 && !since; ++beat) {
    bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 3}, {"database_id", "db"}});
    since = bus.NextRequest(100ms);
  }
  REQUIRE(since == 1);
  bus.Answer({AlertNumbered(2), AlertNumbered(3)}, 3);
  REQUIRE(tail.Wait(10s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{1, 2, 3});
}

// With --thread, the seqs of one thread have gaps (the other threads' alerts): each one made
// tail ask replay, and with replay silent each live alert waited its 2 s timeout.
TEST_CASE("tail --thread with replay silent shows live alerts without asking replay for each") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--thread", "truces", "--json", "--count", "4"});
  REQUIRE(bus.WaitSubscribed());
  bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 10}, {"database_id", "db"}});
  // Seq 11 was another thread's: tail asks once, replay does not answer, tail gives up.
  REQUIRE(WaitUntil([&] {
    bus.Publish("alert.truces", AlertNumbered(12));
    return bus.NextRequest(100ms) == 10;
  }));
  REQUIRE(WaitUntil([&] { return !tail.Stderr().empty(); }));
  for (std::int64_t seq : {14, 16, 18}) {
    bus.Publish("alert.truces", AlertNumbered(seq));
    CHECK_FALSE(bus.NextRequest(300ms));  // within the retry interval: no question asked
  }
  REQUIRE(tail.Wait(10s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{12, 14, 16, 18});
}

// A database restored from an older copy while replay was silent: once tail's rest is over,
// heartbeats behind its cursor make it ask replay, which says where the copy ends.
TEST_CASE("tail asks replay again after its rest when heartbeats fall behind what it has shown") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--since", "41", "--json", "--count", "1"});
  REQUIRE(bus.NextRequest() == 41);  // left unanswered: tail gives up after its timeout
  REQUIRE(bus.WaitSubscribed());
  std::optional<std::int64_t> since;
  for (int beat = 0; beat < 150 && !since; ++beat) {
    bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 2}, {"database_id", "db"}});
    since = bus.NextRequest(100ms);
  }
  REQUIRE(since == 41);
  bus.Answer({}, 2);
  REQUIRE(bus.NextRequest() == 2);  // tail goes on from the copy's end
  bus.Answer({}, 2);
  bus.Publish("alert.truces", AlertNumbered(3));
  REQUIRE(tail.Wait(10s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{3});
  CHECK(tail.Stderr() == "newsmon tail: no answer from replay endpoint '" + bus.replay_endpoint +
                             "'; showing live alerts only for now\n"
                             "newsmon tail: the daemon's database ends at seq 2, before seq 41 "
                             "that tail has shown: it was restored from an older copy, so tail "
                             "goes on from seq 2\n");
}

// Replay timed out when nothing was owed yet: later heartbeats must still make tail ask.
TEST_CASE("tail asks replay again after its rest when a later heartbeat shows alerts it missed") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--since", "41", "--json", "--count", "2"});
  REQUIRE(bus.NextRequest() == 41);  // left unanswered
  REQUIRE(bus.WaitSubscribed());
  REQUIRE(WaitUntil([&] { return !tail.Stderr().empty(); }));
  // Heartbeats at tail's own seq past its rest (5 s): nothing owed, nothing to ask.
  for (int beat = 0; beat < 70; ++beat) {
    bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 41}, {"database_id", "db"}});
    REQUIRE_FALSE(bus.NextRequest(100ms));
  }
  // Then 42 and 43 go out where tail does not hear them.
  std::optional<std::int64_t> since;
  for (int beat = 0; beat < 50 && !since; ++beat) {
    bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 43}, {"database_id", "db"}});
    since = bus.NextRequest(100ms);
  }
  REQUIRE(since == 41);
  bus.Answer({AlertNumbered(42), AlertNumbered(43)}, 43);
  REQUIRE(tail.Wait(10s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{42, 43});
}

}  // namespace
}  // namespace newsmon::testing

namespace newsmon::testing {
namespace {

std::string ReadFileText(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Seqs 2 and 3 owed (replay silent) while 4 is shown live: a tail stopped then must ask for
// 2 and 3 when it starts again, so --state keeps where they begin, not the seq shown last.
TEST_CASE("tail --state keeps where the alerts it owes begin while replay is silent") {
  TempDir dir;
  ScriptedBus bus(dir);
  const std::string state = dir.File("tail.state");
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--since", "0", "--state", state, "--json", "--count", "10"});
  REQUIRE(bus.NextRequest() == 0);
  bus.Answer({AlertNumbered(1)}, 1);
  REQUIRE(bus.WaitSubscribed());
  REQUIRE(WaitUntil([&] { return SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{1}; }));
  bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 3}, {"database_id", "db"}});
  REQUIRE(bus.NextRequest() == 1);  // left unanswered
  bus.Publish("alert.truces", AlertNumbered(4));
  REQUIRE(WaitUntil(
      [&] {
        return SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{1, 4};
      },
      20s));
  CHECK(ReadFileText(state) == "1 db\n");
}

// Two daemons, one of them silent while tail ran: its line in --state stays as it was, so the
// next tail goes on from there. It was written back as "0 -", and that daemon's alerts were
// shown again from its first.
TEST_CASE("tail --state keeps the line of a daemon it did not hear from") {
  TempDir dir, dir_a, dir_b;
  ScriptedBus a(dir_a), b(dir_b);
  const std::string silent_line = "7 dbB " + b.pub_endpoint + "\n";
  const std::string state = dir.Write("tail.state", "5 dbA " + a.pub_endpoint + "\n" + silent_line);
  Process tail({"tail", "--endpoint", a.pub_endpoint, "--replay-endpoint", a.replay_endpoint,
                "--endpoint", b.pub_endpoint, "--replay-endpoint", b.replay_endpoint, "--state",
                state, "--json", "--count", "1"});
  REQUIRE(a.WaitSubscribed());
  a.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 6}, {"database_id", "dbA"}});
  a.Publish("alert.truces", AlertNumbered(7));
  REQUIRE(tail.Wait(20s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{7});
  CHECK(ReadFileText(state) == "7 dbA " + a.pub_endpoint + "\n" + silent_line);
}

// Replay silent while alerts after seq 30 were owed, then the daemon comes back on another
// database: what tail owes now is that database's alerts from its first, not from seq 30 (a
// seq past all of them, so tail asked for nothing and missed them).
TEST_CASE("tail that owed alerts when the database was replaced asks for the new one's first") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--since", "30", "--json", "--count", "2"});
  REQUIRE(bus.NextRequest() == 30);
  bus.Answer({}, 30);
  REQUIRE(bus.WaitSubscribed());
  const auto heartbeat = [&](std::int64_t last, const std::string& id) {
    bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", last}, {"database_id", id}});
  };
  // A handshake finished after the first answer: tail confirms the database once more.
  heartbeat(30, "db");
  if (auto since = bus.NextRequest(2s)) {
    REQUIRE(since == 30);
    bus.Answer({}, 30);
  }
  heartbeat(32, "db");
  REQUIRE(bus.NextRequest() == 30);  // left unanswered: 31 and 32 are owed
  heartbeat(2, "db2");               // the daemon is back on another database
  // After its retry interval tail asks for what it owes, from the new database's start.
  std::optional<std::int64_t> since;
  for (int beat = 0; beat < 150 && !since; ++beat) {
    heartbeat(2, "db2");
    since = bus.NextRequest(100ms);
  }
  REQUIRE(since == 0);
  bus.Answer({AlertNumbered(1), AlertNumbered(2)}, 2, "db2");
  REQUIRE(tail.Wait(10s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{1, 2});
}

// A bus peer that is not the daemon (anyone local may bind its endpoint while it is down)
// sends fields of other types, and a hostile feed's title carries terminal controls.
TEST_CASE("tail shows feed text without terminal controls and passes over ill-typed alerts") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--count", "2"});
  REQUIRE(bus.WaitSubscribed());
  bus.Publish("sys.heartbeat", {{"schema", 2}, {"last_seq", 0}, {"database_id", "db"}});
  bus.Publish("alert.truces", {{"seq", "1"}, {"item", {{"title", 5}}}});
  nlohmann::json hostile = AlertNumbered(1);
  // U+009B (a C1 "escape sequence" start), then "2J": clear the screen; U+202E reverses text.
  hostile["item"]["title"] = "Ceasefire \u009b2J report \u202e\u001b[31m";
  bus.Publish("alert.truces", hostile);
  bus.Publish("alert.truces", AlertNumbered(2));
  REQUIRE(tail.Wait(20s) == 0);
  const std::string out = tail.Stdout();
  CHECK(out.find("Ceasefire \xEF\xBF\xBD"
                 "2J report \xEF\xBF\xBD\xEF\xBF\xBD[31m") != std::string::npos);
  CHECK(out.find("\xC2\x9B") == std::string::npos);
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(out.find("Ceasefire report 2") != std::string::npos);
}

// A replay server gone wrong answers a full page that does not move on: tail printed it and
// asked again, for ever (50,000 lines in 3 s).
TEST_CASE("tail stops paging when a replay answer does not move on") {
  TempDir dir;
  ScriptedBus bus(dir);
  Process tail({"tail", "--endpoint", bus.pub_endpoint, "--replay-endpoint", bus.replay_endpoint,
                "--since", "5", "--json", "--count", "1"});
  REQUIRE(bus.NextRequest() == 5);
  bus.Answer(std::vector<nlohmann::json>(1000, AlertNumbered(3)), 5);
  REQUIRE(bus.WaitSubscribed());
  bus.Publish("alert.truces", AlertNumbered(6));
  REQUIRE(tail.Wait(20s) == 0);
  CHECK(SeqsPrinted(tail.Stdout()) == std::vector<std::int64_t>{6});
}

}  // namespace
}  // namespace newsmon::testing
