// Story clustering on items written for the test: one event in five outlets' words is one
// story; two strikes of the same morning are two; a link seen before is the same story; a
// story closes after its window.
#include <catch2/catch.hpp>

#include "classifiers/stories.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace newsmon {
namespace {

constexpr std::int64_t kMorning = 1'767'250'000;

TEST_CASE("the same report in five outlets' words is one story, another strike is another") {
  auto stories = StoryClusterer::Create();
  const std::vector<StoryItem> reports = {
      {"Russian drones hit Kyiv power plant, cutting electricity to thousands",
       "A thermal power plant in Kyiv was hit by Russian drones overnight.", "https://a.example/1",
       kMorning},
      {"Kyiv thermal power plant struck in overnight Russian drone attack",
       "Ukrenergo said emergency power cuts were in place in Kyiv.", "https://b.example/2",
       kMorning + 600},
      {"Drone attack on Kyiv power plant leaves districts without electricity", "",
       "https://c.example/3", kMorning + 1200},
      {"Ukraine says Russia targeted Kyiv power plant with drones overnight",
       "The attack on the plant damaged equipment, officials said.", "https://d.example/4",
       kMorning + 1800},
      {"Overnight strike damages power plant in Kyiv, Ukrenergo says", "", "https://e.example/5",
       kMorning + 2400},
  };
  std::vector<StoryAssignment> assigned;
  for (const StoryItem& item : reports) assigned.push_back(stories->Add(item));
  CHECK(assigned[0].started);
  for (std::size_t i = 1; i < assigned.size(); ++i) {
    INFO("report " << i << " similarity " << assigned[i].similarity);
    CHECK(assigned[i].story == assigned[0].story);
    CHECK_FALSE(assigned[i].started);
  }
  StoryAssignment odesa =
      stories->Add({"Russian missiles strike Odesa port, grain terminal on fire",
                    "Two people were injured when missiles hit the port overnight.",
                    "https://a.example/6", kMorning + 3000});
  CHECK(odesa.started);
  CHECK(odesa.story != assigned[0].story);
  CHECK(stories->open_stories() == 2);
}

TEST_CASE("the same link is the same story whatever the words, tracking parameters aside") {
  auto stories = StoryClusterer::Create();
  StoryAssignment first = stories->Add(
      {"Talks open in Geneva", "", "https://www.example.org/talks?utm_source=rss", kMorning});
  StoryAssignment again = stories->Add(
      {"Corrected: talks opened on Monday", "", "http://example.org/talks/#top", kMorning + 60});
  CHECK(again.story == first.story);
  CHECK(again.similarity > 0);
  CHECK(again.same_link);
  CHECK_FALSE(first.same_link);
  StoryAssignment rewrite = stories->Add(
      {"Corrected: talks opened on Monday", "", "https://other.example/geneva", kMorning + 120});
  CHECK(rewrite.story == first.story);
  CHECK_FALSE(rewrite.same_link);  // another outlet's words, not the article again
}

TEST_CASE("reports that share a live page's link are told from copies by their words") {
  // One live page for a whole night: each report joins its story by the link, but only a
  // copy is alike enough to be taken for one (kNearCopy, 0.8); with similarity 1 for any
  // shared link, the store took the second quake for a copy and alerted nothing.
  auto stories = StoryClusterer::Create();
  const char* live = "https://news.example/live/earthquakes";
  StoryAssignment chile =
      stories->Add({"Magnitude 7.1 earthquake strikes northern Chile",
                    "Tsunami warning issued for the Chilean coast.", live, kMorning});
  StoryAssignment copy =
      stories->Add({"Magnitude 7.1 earthquake strikes northern Chile",
                    "Tsunami warning issued for the Chilean coast.", live, kMorning + 60});
  StoryAssignment peru = stories->Add({"Magnitude 6.4 earthquake strikes southern Peru",
                                       "Buildings damaged in Arequipa.", live, kMorning + 600});
  CHECK(copy.story == chile.story);
  CHECK(copy.similarity > 0.99);
  CHECK(peru.story == chile.story);
  CHECK(peru.similarity > 0);
  CHECK(peru.similarity < 0.8);
}

TEST_CASE("a story with no new item within its window closes") {
  StoryOptions options;
  options.window = std::chrono::hours(36);
  auto stories = StoryClusterer::Create(options);
  const StoryItem item{"Zaporizhzhia nuclear plant loses off-site power again", "",
                       "https://a.example/z1", kMorning};
  StoryAssignment first = stories->Add(item);
  StoryItem later = item;
  later.link = "https://b.example/z2";
  later.published = kMorning + 35 * 3600;
  CHECK(stories->Add(later).story == first.story);  // within 36 h of the last item
  later.link = "https://c.example/z3";
  later.published = kMorning + 35 * 3600 + 37 * 3600;
  StoryAssignment reopened = stories->Add(later);
  CHECK(reopened.started);
  CHECK(stories->open_stories() == 1);
}

TEST_CASE("a story that keeps chaining takes no report past its maximum age") {
  StoryOptions options;
  options.max_age = std::chrono::hours(24 * 7);
  auto stories = StoryClusterer::Create(options);
  // A daily digest: the same words every morning, never 36 h apart, so the window never
  // closes the story; it would gather every morning's words for as long as the feed runs.
  std::vector<std::string> links;  // StoryItem views them
  for (int day = 0; day <= 9; ++day)
    links.push_back("https://digest.example/" + std::to_string(day));
  std::vector<StoryItem> days;
  for (int day = 0; day <= 9; ++day) {
    days.push_back({"Morning briefing: Zaporizhzhia nuclear plant, grid repairs, talks",
                    "What happened overnight.", links[static_cast<std::size_t>(day)],
                    kMorning + day * 86'400});
  }
  const StoryAssignment first = stories->Add(days[0]);
  for (int day = 1; day <= 7; ++day) {
    INFO("day " << day);
    CHECK(stories->Add(days[static_cast<std::size_t>(day)]).story == first.story);  // within a week
  }
  const StoryAssignment eighth = stories->Add(days[8]);
  CHECK(eighth.started);
  CHECK(eighth.story != first.story);
  CHECK(stories->Add(days[9]).story == eighth.story);
}

// A made-up word per number, letters only, so that each filler item has words of its own.
std::string Nonce(int n) {
  std::string word = "zq";
  for (int i = 0; i < 4; ++i, n /= 26) word += static_cast<char>('a' + n % 26);
  return word;
}

TEST_CASE("a story open across the halving of the word counts still gathers its reports") {
  auto stories = StoryClusterer::Create();
  const StoryAssignment first = stories->Add(
      {"Russian drones hit Kyiv power plant, cutting electricity to thousands",
       "A thermal power plant in Kyiv was hit by Russian drones overnight.", "https://a.example/1",
       kMorning});
  // More items than the counts are halved after (20,000), each a story of its own, all within
  // the window: the vocabulary is compacted and renumbered while the story is open.
  int started = 0;
  for (int i = 0; i < 20'500; ++i) {
    const std::string title = Nonce(2 * i) + " " + Nonce(2 * i + 1);
    const std::string link = "https://f.example/" + std::to_string(i);
    started += stories->Add({title, "", link, kMorning + 1 + i / 10}).started;
  }
  CHECK(started == 20'500);
  const StoryAssignment report = stories->Add(
      {"Kyiv thermal power plant struck in overnight Russian drone attack",
       "Ukrenergo said emergency power cuts were in place in Kyiv.", "https://b.example/2",
       kMorning + 3000});
  CHECK(report.story == first.story);
}

TEST_CASE("function words join no stories after the token cache outgrows its reserve") {
  auto stories = StoryClusterer::Create();
  // 20,000 tokens of made-up words, more than the cache holds before it grows (16,384).
  for (int i = 0; i < 10'000; ++i) {
    const std::string title = Nonce(2 * i) + " " + Nonce(2 * i + 1);
    stories->Add({title, "", "https://f.example/" + std::to_string(i), kMorning + i / 10});
  }
  // Read as words, these would share five rare ones.
  const StoryAssignment first = stories->Add(
      {"What they said about it and when", "", "https://a.example/1", kMorning + 1000});
  const StoryAssignment second =
      stories->Add({"Who said what about it and why", "", "https://b.example/2", kMorning + 1001});
  CHECK(first.started);
  CHECK(second.started);
  CHECK(second.story != first.story);
}

struct Stored {
  std::string title;
  std::string summary;
  std::string link;
  std::int64_t published = 0;
  StoryAssignment assigned = {};
};

// Real news (news-cited, 1,035 items) a minute apart, with made-up fillers after the first
// 600 so that the counts are halved and the vocabulary renumbered among the stored items.
std::vector<Stored> Timeline() {
  std::ifstream in(testing::SourcePath("tests/data/news-cited.jsonl"));
  std::vector<Stored> news;
  for (std::string line; std::getline(in, line);) {
    auto json = nlohmann::json::parse(line);
    news.push_back({json.value("title", ""), json.value("summary", ""), json.value("link", "")});
  }
  REQUIRE(news.size() > 1000);
  std::vector<Stored> timeline(news.begin(), news.begin() + 600);
  for (int i = 0; i < 19'500; ++i) {
    timeline.push_back({Nonce(2 * i) + " " + Nonce(2 * i + 1), "",
                        "https://f.example/" + std::to_string(i)});
  }
  timeline.insert(timeline.end(), news.begin() + 600, news.end());
  std::int64_t at = kMorning;
  for (Stored& item : timeline) item.published = at += item.link.starts_with("https://f.") ? 1 : 60;
  return timeline;
}

TEST_CASE("stories restored from their stored words are those restored from the text, exactly") {
  std::vector<Stored> timeline = Timeline();
  const std::size_t stored = timeline.size() - 335;
  auto original = StoryClusterer::Create();
  std::int64_t last_story = 0;
  for (std::size_t i = 0; i < stored; ++i) {
    Stored& item = timeline[i];
    item.assigned = original->Add({item.title, item.summary, item.link, item.published});
    REQUIRE_FALSE(item.assigned.words.empty());
    last_story = std::max(last_story, item.assigned.story);
  }
  auto from_words = StoryClusterer::Create();
  auto from_text = StoryClusterer::Create();
  for (std::size_t i = 0; i < stored; ++i) {
    const Stored& item = timeline[i];
    StoryItem restored{item.title, item.summary, item.link, item.published};
    from_text->Restore(restored, item.assigned.story);
    restored.words = item.assigned.words;
    // Words of another format or damaged are read from the text instead, item by item.
    if (i % 97 == 0) restored.words = "Zsome other format";
    // Kept in a string of its own: StoryItem only views its words.
    const std::string cut = item.assigned.words.substr(0, item.assigned.words.size() - 1);
    if (i % 89 == 0) restored.words = cut;
    from_words->Restore(restored, item.assigned.story);
  }
  CHECK(from_words->open_stories() == from_text->open_stories());
  int joined = 0;
  for (std::size_t i = stored; i < timeline.size(); ++i) {
    const Stored& item = timeline[i];
    const StoryAssignment a = from_words->Add({item.title, item.summary, item.link, item.published});
    const StoryAssignment b = from_text->Add({item.title, item.summary, item.link, item.published});
    INFO(item.title);
    CHECK(a.story == b.story);
    CHECK(a.started == b.started);
    CHECK(a.similarity == b.similarity);  // to the bit: the same sums in the same order
    CHECK(a.words == b.words);
    joined += !a.started && a.story <= last_story;
  }
  INFO(joined << " items joined stories open before the restart");
  CHECK(joined >= 10);
}

TEST_CASE("canonical links drop what only tracks the reader") {
  CHECK(CanonicalLink("https://WWW.Example.org/a/b/?utm_source=x&id=7&fbclid=y#c") ==
        "example.org/a/b?id=7");
  CHECK(CanonicalLink("http://example.org/a/b") == "example.org/a/b");
  CHECK(CanonicalLink("https://www.aljazeera.com/news/x?traffic_source=rss") ==
        "aljazeera.com/news/x");
  CHECK(CanonicalLink("  ").empty());
  CHECK(CanonicalLink("urn:uuid:1234") == "urn:uuid:1234");
}

// Stored story words outlive the binary that wrote them: a start reads them back instead of
// analysing the text (classifiers/stories.cpp, kWordsFormat). If the analysis changes (a new
// normalisation, stemmer or function word), words written before it no longer match what the
// new binary makes of new items, and stories split at the first restart after an upgrade,
// unless the format mark changes too, so that old words are ignored and the text analysed.
// This holds the words of a fixed set of items to tests/data/story-words.jsonl.
TEST_CASE("the stored story words change only with their format mark") {
  const std::string golden_path = testing::SourcePath("tests/data/story-words.jsonl");
  std::vector<nlohmann::json> items;
  std::ifstream in(testing::SourcePath("tests/data/threads-labelled.jsonl"));
  std::map<std::string, int> per_language;
  for (std::string line; std::getline(in, line);) {
    auto item = nlohmann::json::parse(line);
    if (per_language[item.value("lang", "")]++ < 12) items.push_back(item);
  }
  REQUIRE(items.size() == 36);  // English, Ukrainian and Russian
  auto clusterer = StoryClusterer::Create();
  std::vector<std::string> words;
  std::int64_t published = 1'780'000'000;
  for (const nlohmann::json& item : items) {
    const std::string title = item.value("title", ""), summary = item.value("summary", "");
    words.push_back(clusterer->Add({title, summary, "", published += 60}).words);
  }
  std::ifstream golden(golden_path);
  std::vector<std::pair<std::string, std::string>> expected;  // id, words
  for (std::string line; std::getline(golden, line);) {
    auto entry = nlohmann::json::parse(line);
    expected.emplace_back(entry["id"].get<std::string>(), entry["words"].get<std::string>());
  }
  const bool updating = std::getenv("NEWSMON_UPDATE_STORY_WORDS") != nullptr;
  auto write = [&] {
    std::ofstream out(golden_path);
    for (std::size_t i = 0; i < items.size(); ++i) {
      out << nlohmann::json{{"id", items[i]["id"]}, {"words", words[i]}}.dump() << "\n";
    }
  };
  if (updating && expected.empty()) return write();  // a first fixture, after removing it
  REQUIRE(expected.size() == words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    INFO("item " << items[i]["id"]);
    REQUIRE(expected[i].first == items[i]["id"]);  // the same items, in the same order
    REQUIRE(!words[i].empty());
    REQUIRE(!expected[i].second.empty());
    if (words[i] == expected[i].second) continue;
    if (words[i].front() == expected[i].second.front()) {
      FAIL("the words an item is clustered with changed under the same format mark: "
           "change kWordsFormat in classifiers/stories.cpp, then regenerate "
           "tests/data/story-words.jsonl (NEWSMON_UPDATE_STORY_WORDS=1 build/tests/stories_test)");
    }
    if (!updating) {
      FAIL("the format mark changed: regenerate tests/data/story-words.jsonl with "
           "NEWSMON_UPDATE_STORY_WORDS=1 build/tests/stories_test");
    }
  }
  if (updating) write();  // only when every change came with a new mark (checked above)
}

// Every 20,000 items the clusterer halves its word counts and drops the words nothing uses any
// more, renumbering the rest. The item being added at that moment must be placed with the new
// numbers: it once kept the old ones, so from the second compaction on (the first drops
// nothing) its story was filed under other words, or under ids past the end of the postings.
TEST_CASE("the item that triggers a compaction of the vocabulary is placed with the new ids") {
  auto clusterer = StoryClusterer::Create();
  std::int64_t published = 1'780'000'000;
  // Fillers of words used once, 10 s apart: their stories close after 36 h, and their words
  // are dropped at the second compaction.
  auto word = [](int n) {
    std::string text = "q";
    for (; n > 0; n /= 26) text += static_cast<char>('a' + n % 26);
    return text;
  };
  for (int i = 0; i < 39'999; ++i) {
    const std::string title = "Bulletin " + word(3 * i) + " " + word(3 * i + 1) + " " +
                              word(3 * i + 2);
    clusterer->Add({title, "", "", published += 10});
  }
  // The 40,000th item: the second compaction happens while it is added.
  StoryAssignment first = clusterer->Add(
      {"Drones hit Zaporizhzhia substation, Enerhodar loses power",
       "The Zaporizhzhia substation feeding Enerhodar was hit by drones overnight.", "",
       published += 10});
  CHECK(first.started);
  StoryAssignment second = clusterer->Add(
      {"Enerhodar without power after drones hit Zaporizhzhia substation",
       "Drones struck the substation that feeds Enerhodar, officials in Zaporizhzhia said.", "",
       published += 10});
  StoryAssignment third = clusterer->Add(
      {"Zaporizhzhia substation hit: Enerhodar loses power",
       "Enerhodar lost power when drones hit the Zaporizhzhia substation.", "", published += 10});
  CHECK(second.story == first.story);
  CHECK(third.story == first.story);

  // The same at a restart: the 40,000th item restored triggers the compaction.
  auto restarted = StoryClusterer::Create();
  published = 1'780'000'000;
  for (int i = 0; i < 39'999; ++i) {
    const std::string title = "Bulletin " + word(3 * i) + " " + word(3 * i + 1) + " " +
                              word(3 * i + 2);
    restarted->Restore({title, "", "", published += 10}, i + 1);
  }
  restarted->Restore({"Drones hit Zaporizhzhia substation, Enerhodar loses power",
                      "The Zaporizhzhia substation feeding Enerhodar was hit by drones overnight.",
                      "", published += 10},
                     40'000);
  StoryAssignment after_restart = restarted->Add(
      {"Enerhodar without power after drones hit Zaporizhzhia substation",
       "Drones struck the substation that feeds Enerhodar, officials in Zaporizhzhia said.", "",
       published += 10});
  CHECK(after_restart.story == 40'000);
}


// Some feeds give every item their home page as its link, or an address whose only difference
// is after '#'. The link alone once put all their reports in one story, and a feed's later
// reports in a story it already had alerted nothing.
TEST_CASE("a link shared by unrelated reports does not make them one story") {
  auto clusterer = StoryClusterer::Create();
  std::int64_t t = 1'780'000'000;
  StoryAssignment port = clusterer->Add({"Drones hit Odesa port grain terminal",
                                         "The grain terminal in Odesa port burned overnight.",
                                         "https://city.example.gov/#/news/1", t});
  StoryAssignment metro = clusterer->Add({"Kharkiv metro station flooded after storm",
                                          "Heavy rain flooded a Kharkiv metro station.",
                                          "https://city.example.gov/#/news/2", t += 600});
  StoryAssignment again = clusterer->Add({"Odesa port grain terminal burns after drone strike",
                                          "Drones set the Odesa port grain terminal on fire.",
                                          "https://www.city.example.gov/#/news/3", t += 600});
  CHECK(metro.story != port.story);
  CHECK(metro.started);
  CHECK(again.story == port.story);  // by its words, as any report would
  // The same article under the same link still joins its story whatever its similarity says.
  StoryAssignment republished = clusterer->Add(
      {"Odesa port terminal hit", "", "https://www.city.example.gov/#/news/1?utm_source=x",
       t += 600});
  CHECK(republished.story == port.story);
}

// Stories close in the order their items arrived; a backlog item (a feed added today with
// items from weeks ago) starts a story dated then, which must not take in today's reports.
TEST_CASE("a story started by an item from weeks ago takes in no report of today") {
  auto clusterer = StoryClusterer::Create();
  const std::int64_t today = 1'780'000'000;
  clusterer->Add({"Odesa port strike damages grain terminal", "", "", today});
  StoryAssignment old = clusterer->Add({"Kharkiv metro flooded after storm",
                                        "Heavy rain flooded a Kharkiv metro station.", "",
                                        today - 30 * 86'400});
  StoryAssignment fresh = clusterer->Add({"Kharkiv metro flooded again after storm",
                                          "Heavy rain flooded a Kharkiv metro station again.", "",
                                          today + 3600});
  CHECK(fresh.story != old.story);
  CHECK(fresh.started);
}


}  // namespace
}  // namespace newsmon
