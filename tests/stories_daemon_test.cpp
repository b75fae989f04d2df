// Stories through the whole daemon, with feeds written for the test on a loopback server and a
// real subscriber: one event in five outlets is one `new` alert and a coalesced `update`; two
// strikes the same morning are two stories; a corrected headline is a revision, not news; ten
// stories in fifteen minutes after a quiet day are one `burst`.
#include <catch2/catch.hpp>

#include <ctime>
#include <set>
#include <thread>

#include "store/store.h"
#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

// Updates a second apart, so the test sees the coalescing without waiting ten minutes.
constexpr const char* kFastUpdates = "\n[stories]\nupdate_window = \"1s\"\n";

void WritePowerThread(const TempDir& dir) {
  dir.Write("threads/power.toml", R"toml([thread]
id = "power"
title = "Strikes on power plants"
threshold = 1.0

[[thread.terms]]
weight = 1.0
terms = ["power plant", "power station", "substation", "power"]
)toml");
}

std::string Rfc822(std::time_t when) {
  char text[64];
  std::tm tm{};
  gmtime_r(&when, &tm);
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

struct Outlet {
  std::string feed;
  FeedEntry entry;
};

// Serves every outlet's feed empty, starts the daemon and waits until the subscriber hears
// it, then serves the outlets' items: nothing is published before the subscriber listens.
class Newsroom {
 public:
  explicit Newsroom(const std::vector<std::string>& feeds, const std::string& tail = kFastUpdates) {
    std::vector<std::pair<std::string, std::string>> urls;
    for (const std::string& feed : feeds) {
      server_.Serve(Path(feed), FeedResource({}));
      urls.push_back({feed, server_.Url(Path(feed))});
    }
    WritePowerThread(dir_);
    config_ = TestConfig(dir_, urls, tail);
  }

  void Start() {
    subscriber_.emplace(config_.publish.endpoint, std::vector<std::string>{"alert.", "sys."});
    runner_.emplace(config_);
    REQUIRE(subscriber_->WaitConnected());
  }

  void Publish(const std::string& feed, const std::vector<FeedEntry>& entries) {
    server_.Serve(Path(feed), FeedResource(entries));
  }

  std::optional<nlohmann::json> NextAlert(std::chrono::milliseconds timeout = 10s) {
    auto message = subscriber_->ReceiveTopic("alert.", timeout);
    if (!message) return std::nullopt;
    return message->body;
  }

  // Waits for a heartbeat and returns its last_seq: every alert stored by then is counted.
  std::int64_t LastSeq() {
    auto beat = subscriber_->ReceiveTopic("sys.heartbeat", 5s);
    REQUIRE(beat);
    return beat->body["last_seq"].get<std::int64_t>();
  }

  std::int64_t Count(const std::string& sql) { return CountRows(config_.database, sql); }

  bool WaitForCount(const std::string& sql, std::int64_t wanted) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Count(sql) == wanted) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  const Config& config() const { return config_; }

 private:
  static std::string Path(const std::string& feed) { return "/" + feed + ".xml"; }

  TempDir dir_;
  FeedServer server_;
  Config config_;
  std::optional<Subscriber> subscriber_;
  std::optional<DaemonRunner> runner_;
};

const std::vector<Outlet> kKyivStrike = {
    {"wire",
     {"w1", "Russian drones hit Kyiv power plant, cutting electricity to thousands",
      "A thermal power plant in Kyiv was hit by Russian drones overnight."}},
    {"daily",
     {"d1", "Kyiv thermal power plant struck in overnight Russian drone attack",
      "Ukrenergo said emergency power cuts were in place in Kyiv."}},
    {"radio", {"r1", "Drone attack on Kyiv power plant leaves districts without electricity", ""}},
    {"agency",
     {"a1", "Ukraine says Russia targeted Kyiv power plant with drones overnight",
      "The attack on the plant damaged equipment, officials said."}},
    {"tv", {"t1", "Overnight strike damages power plant in Kyiv, Ukrenergo says", ""}},
};

TEST_CASE("one strike in five outlets is one new alert, then one update naming all five") {
  std::vector<std::string> feeds;
  for (const Outlet& outlet : kKyivStrike) feeds.push_back(outlet.feed);
  Newsroom newsroom(feeds);
  newsroom.Start();
  for (const Outlet& outlet : kKyivStrike) newsroom.Publish(outlet.feed, {outlet.entry});

  std::vector<nlohmann::json> alerts;
  while (alerts.empty() || alerts.back()["story"]["source_count"] != 5) {
    auto alert = newsroom.NextAlert();
    REQUIRE(alert);
    alerts.push_back(*alert);
  }
  CHECK(newsroom.LastSeq() == alerts.back()["seq"]);  // nothing more was stored
  CHECK(alerts.front()["kind"] == "new");
  CHECK(alerts.front()["thread"] == "power");
  const auto story = alerts.front()["story"]["id"];
  for (std::size_t i = 1; i < alerts.size(); ++i) {
    CHECK(alerts[i]["kind"] == "update");
    CHECK(alerts[i]["story"]["id"] == story);
  }
  // All five arrive within one window of the first, so their update is one (two at most when
  // a fetch straddles the window's end on a loaded machine).
  CHECK(alerts.size() <= 3);
  std::set<std::string> sources;
  for (const auto& source : alerts.back()["story"]["sources"]) sources.insert(source);
  CHECK(sources == std::set<std::string>(feeds.begin(), feeds.end()));
  CHECK(newsroom.Count("SELECT COUNT(DISTINCT story) FROM items") == 1);

  // What an editor watching `tail` reads: the update says so and names the sources.
  Completed tail = RunNewsmon({"tail", "--endpoint", newsroom.config().publish.endpoint,
                               "--replay-endpoint", newsroom.config().publish.replay_endpoint,
                               "--since", "0", "--count", std::to_string(alerts.size())});
  CHECK(tail.status == 0);
  CHECK(tail.out.find("#1  [power]  ") != std::string::npos);
  CHECK(tail.out.find("#2  UPDATE [power]  ") != std::string::npos);
  CHECK(tail.out.find("    5 sources: ") != std::string::npos);
}

// The shipped config reads BBC's world and Europe feeds, which carry many of the same articles:
// the second copy counted as a second source and sent an update naming BBC twice.
TEST_CASE("one outlet's article in two of its feeds is one source and sends no update") {
  Newsroom newsroom({"bbc-world", "bbc-europe", "wire"});
  newsroom.Start();
  const FeedEntry article = kKyivStrike[1].entry;
  newsroom.Publish("bbc-world", {article});
  newsroom.Publish("bbc-europe", {article});
  newsroom.Publish("wire", {kKyivStrike[0].entry});
  REQUIRE(newsroom.WaitForCount("SELECT COUNT(*) FROM items", 3));
  REQUIRE(newsroom.WaitForCount("SELECT COUNT(*) FROM story_threads WHERE pending_item IS NOT NULL",
                                0));

  std::vector<nlohmann::json> alerts;
  while (alerts.empty() || alerts.back()["story"]["source_count"] < 2) {
    auto alert = newsroom.NextAlert();
    REQUIRE(alert);
    alerts.push_back(*alert);
  }
  CHECK(newsroom.LastSeq() == alerts.back()["seq"]);  // nothing more was stored
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0]["kind"] == "new");
  CHECK(alerts[1]["kind"] == "update");
  CHECK(alerts[1]["story"]["source_count"] == 2);
  std::set<std::string> sources;
  for (const auto& source : alerts[1]["story"]["sources"]) sources.insert(source);
  CHECK(sources.count("wire") == 1);
  CHECK(sources.count("bbc-world") + sources.count("bbc-europe") == 1);
}

TEST_CASE("two strikes the same morning are two stories, each alerted as new") {
  Newsroom newsroom({"wire", "daily"});
  newsroom.Start();
  newsroom.Publish("wire", {kKyivStrike[0].entry});
  newsroom.Publish("daily", {{"b1", "Missiles hit Burshtyn power station in the west, DTEK says",
                              "Two turbines of the coal-fired station in Ivano-Frankivsk region "
                              "were destroyed."}});
  auto first = newsroom.NextAlert();
  auto second = newsroom.NextAlert();
  REQUIRE(first);
  REQUIRE(second);
  CHECK((*first)["kind"] == "new");
  CHECK((*second)["kind"] == "new");
  CHECK((*first)["story"]["id"] != (*second)["story"]["id"]);
  CHECK(newsroom.LastSeq() == 2);
}

TEST_CASE("a corrected headline is stored as a revision and alerts nobody, a dropped item stays") {
  Newsroom newsroom({"wire"});
  newsroom.Start();
  FeedEntry report = kKyivStrike[0].entry;
  newsroom.Publish("wire", {report});
  auto alert = newsroom.NextAlert();
  REQUIRE(alert);
  CHECK((*alert)["kind"] == "new");
  // The feed adds an item and leaves the report as it was: the report is no revision.
  const FeedEntry weather = {"x1", "Frost expected across the north tonight", ""};
  newsroom.Publish("wire", {report, weather});
  REQUIRE(newsroom.WaitForCount("SELECT COUNT(*) FROM items", 2));
  CHECK(newsroom.Count("SELECT COUNT(*) FROM item_revisions") == 0);

  report.title = "Russian drones hit Kyiv power plant, cutting electricity to 100,000 homes";
  newsroom.Publish("wire", {report});
  REQUIRE(newsroom.WaitForCount("SELECT COUNT(*) FROM item_revisions", 1));
  CHECK(newsroom.LastSeq() == 1);
  CHECK(newsroom.Count("SELECT COUNT(*) FROM items WHERE title LIKE '%100,000 homes'") == 1);

  // The feed drops the item: it stays stored, and nothing is sent about it.
  const FeedEntry next = {"b1", "Missiles hit Burshtyn power station in the west, DTEK says", ""};
  newsroom.Publish("wire", {next});
  auto later = newsroom.NextAlert();
  REQUIRE(later);
  CHECK((*later)["kind"] == "new");
  CHECK((*later)["item"]["id"] == next.guid);
  CHECK(newsroom.Count("SELECT COUNT(*) FROM items WHERE guid = 'w1' AND title <> ''") == 1);
}

// Ten different events: each names another city, plant and consequence.
const std::vector<std::pair<std::string, std::string>> kTenPowerEvents = {
    {"Kharkiv thermal power plant burns after missile barrage", "Firefighters worked until dawn."},
    {"Substation near Odesa knocked out by Shahed drones", "Trolleybuses stopped in the south."},
    {"Dnipro hydroelectric power dam struck again", "Turbine hall damaged; water levels watched."},
    {"Lviv substation hit in rare western attack", "Trams idle across the old town."},
    {"Poltava gas-fired power unit set ablaze", "Naftogaz reports a pressure drop."},
    {"Chernihiv combined heat and power plant destroyed", "Radiators cold in 40,000 flats."},
    {"Sumy power station loses both boilers", "Generators now run the hospital."},
    {"Zhytomyr grid operator reports power cable yard shelled", "Repair crews wait for clearance."},
    {"Rivne nuclear power plant cuts output after line damage", "IAEA inspectors informed."},
    {"Kherson power plant shelled from across the Dnipro", "Evacuation of the left bank halted."},
};

std::vector<FeedEntry> TenPowerEntries(std::int64_t published) {
  std::vector<FeedEntry> entries;
  for (std::size_t i = 0; i < kTenPowerEvents.size(); ++i) {
    entries.push_back({"p" + std::to_string(i), kTenPowerEvents[i].first, kTenPowerEvents[i].second,
                       Rfc822(published)});
  }
  return entries;
}

TEST_CASE("ten stories in fifteen minutes after a quiet day make one burst alert") {
  const auto& events = kTenPowerEvents;
  Newsroom newsroom({"wire"});
  const std::int64_t now = std::time(nullptr);
  {
    // A quiet day behind: the daemon has watched for a day and seen one story in the thread.
    auto store = Store::Open(newsroom.config().database);
    REQUIRE(store.ok());
    ClassifiedItem old = MatchingItem("yesterday", "power");
    old.story = 1;
    FetchRecord record;
    record.feed = "wire";
    record.config_url = "https://example.org/wire";
    record.fetched_at = now - 86'400;
    record.new_items = {old};
    REQUIRE((*store)->RecordFetch(record).ok());
    REQUIRE((*store)->MarkSent(1, now - 86'400).ok());
  }
  newsroom.Start();
  newsroom.Publish("wire", TenPowerEntries(now));

  std::vector<nlohmann::json> bursts;
  std::set<std::int64_t> stories;
  while (stories.size() < events.size() || bursts.empty()) {
    auto alert = newsroom.NextAlert();
    REQUIRE(alert);
    if ((*alert)["kind"] == "burst") {
      bursts.push_back(*alert);
    } else {
      CHECK((*alert)["kind"] == "new");
      stories.insert((*alert)["story"]["id"].get<std::int64_t>());
    }
  }
  CHECK(newsroom.LastSeq() == static_cast<std::int64_t>(events.size() + 1 + 1));
  REQUIRE(bursts.size() == 1);
  CHECK(bursts[0]["thread"] == "power");
  CHECK(bursts[0]["burst"]["stories"].get<int>() >= 5);
  CHECK(bursts[0]["burst"]["expected"].get<double>() < 0.1);
  CHECK(bursts[0]["stories"].size() == bursts[0]["burst"]["stories"].get<std::size_t>());
  CHECK(bursts[0]["stories"][0].contains("title"));

  Completed tail = RunNewsmon({"tail", "--endpoint", newsroom.config().publish.endpoint,
                               "--replay-endpoint", newsroom.config().publish.replay_endpoint,
                               "--since", "0", "--count", std::to_string(events.size() + 2)});
  CHECK(tail.status == 0);
  CHECK(tail.out.find("BURST [power]  ") != std::string::npos);
  CHECK(tail.out.find("new stories since ") != std::string::npos);
}

TEST_CASE("a thread added to a database watched for a month does not burst on its first stories") {
  Newsroom newsroom({"wire"});
  const std::int64_t now = std::time(nullptr);
  {
    // The database has watched other threads for a month: the new thread's month of "silence"
    // behind it made its first ten stories a burst.
    auto store = Store::Open(newsroom.config().database);
    REQUIRE(store.ok());
    FetchRecord record;
    record.feed = "wire";
    record.config_url = "https://example.org/wire";
    record.fetched_at = now - 30 * 86'400;
    record.new_items = {MatchingItem("a month ago", "elections")};
    REQUIRE((*store)->RecordFetch(record).ok());
    REQUIRE((*store)->MarkSent(1, now - 30 * 86'400).ok());
  }
  newsroom.Start();
  newsroom.Publish("wire", TenPowerEntries(now));

  std::set<std::int64_t> stories;
  while (stories.size() < kTenPowerEvents.size()) {
    auto alert = newsroom.NextAlert();
    REQUIRE(alert);
    CHECK((*alert)["kind"] == "new");
    stories.insert((*alert)["story"]["id"].get<std::int64_t>());
  }
  CHECK(newsroom.LastSeq() == static_cast<std::int64_t>(kTenPowerEvents.size() + 1));
  CHECK(newsroom.Count("SELECT COUNT(*) FROM alerts WHERE kind = 'burst'") == 0);
}

}  // namespace
}  // namespace newsmon::testing
