// The labelled set of real news: pointers into the shared corpus resolve to the item's text,
// a corpus that changed under the labels is an error (never silently empty items), and the
// split by date and language puts every English item dated 2026-10-02 or later, every other one
// dated 2025-11-23 or later, out of reach of tuning.
#include <catch2/catch.hpp>

#include "classifiers/labelled_set.h"
#include "feeds/feed_parser.h"
#include "support/temp_dir.h"

namespace newsmon {
namespace {

using testing::TempDir;

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TEST_CASE("Corpus labels resolve to the item's text through the given cleaner", "[labels]") {
  TempDir dir;
  dir.Write("corpus/news-x/bbc/2025-03-01.json",
            R"([{"title": "First", "link": "https://a/1", "description": "one", "date": "x"},
                {"title": "Truce &amp; talks", "link": "https://a/2", "description": "<p>two</p>"}])");
  const std::string labels = dir.Write(
      "labels.jsonl",
      R"({"source": "news-x/bbc/2025-03-01.json", "index": 1, "link": "https://a/2", "date": "2025-03-01", "lang": "en", "threads": ["truces", "talks"], "decoy": "", "reason": "r"})"
      "\n\n"
      R"({"cite": {"repo": "o/r"}, "link": "https://u/1", "date": "2025-05-01", "lang": "uk", "title": "Перемир'я", "summary": "", "threads": []})"
      "\n");
  auto items = ReadLabelledItems(labels);
  REQUIRE(items.ok());
  REQUIRE(items->size() == 2);
  const LabelledItem& corpus_item = (*items)[0];
  CHECK(corpus_item.id == "news-x/bbc/2025-03-01.json#1");
  CHECK(corpus_item.corpus == "news-x");
  CHECK(corpus_item.threads == std::vector<std::string>{"talks", "truces"});
  CHECK(corpus_item.title.empty());
  CHECK((*items)[1].corpus == "news-uk");
  CHECK((*items)[1].id == "https://u/1");
  CHECK((*items)[1].title == "Перемир'я");

  auto read_json = [](std::function<std::string(std::string_view)> to_text) {
    return [to_text](const std::string& path) { return ReadJsonCorpusFile(path, to_text); };
  };
  REQUIRE(ResolveCorpusText(*items, dir.File("corpus"), read_json(HtmlToText)).ok());
  CHECK(corpus_item.title == "Truce & talks");
  CHECK(corpus_item.summary == "two");
  CHECK((*items)[1].title == "Перемир'я");  // inline text is left alone

  REQUIRE(ResolveCorpusText(*items, dir.File("corpus"), read_json(Upper)).ok());
  CHECK(corpus_item.title == "TRUCE &AMP; TALKS");
}

TEST_CASE("A corpus that no longer fits its labels is an error naming the item", "[labels]") {
  TempDir dir;
  dir.Write("corpus/c/f.json", R"([{"title": "T", "link": "https://moved"}])");
  auto label = [&](int index) {
    LabelledItem item;
    item.id = "c/f.json#" + std::to_string(index);
    item.source = "c/f.json";
    item.index = index;
    item.link = "https://a/1";
    return std::vector<LabelledItem>{item};
  };
  auto read = [](const std::string& path) { return ReadJsonCorpusFile(path, HtmlToText); };
  auto moved = label(0);
  Status status = ResolveCorpusText(moved, dir.File("corpus"), read);
  CHECK(status.message() ==
        "c/f.json#0: the corpus item's link is https://moved, the label's https://a/1 (has the "
        "corpus changed?)");
  auto beyond = label(3);
  CHECK(ResolveCorpusText(beyond, dir.File("corpus"), read).message() ==
        "c/f.json#3: no such item in " + dir.File("corpus") + "/c/f.json");
  auto absent = label(0);
  absent[0].source = "c/gone.json";
  CHECK(ResolveCorpusText(absent, dir.File("corpus"), read).message() ==
        "c/f.json#0: " + dir.File("corpus") + "/c/gone.json: cannot read corpus file");
}

TEST_CASE("English items are blind from 2026-10-02 and all others from 2025-11-23", "[labels]") {
  std::vector<LabelledItem> items;
  auto add = [&](std::string corpus, std::string lang, std::string date) {
    LabelledItem item;
    item.corpus = std::move(corpus);
    item.lang = std::move(lang);
    item.date = std::move(date);
    items.push_back(item);
  };
  add("news-2025", "en", "2025-09-05");  // blind under the first cut (latest third): training
  add("news-2025", "en", "2025-11-23");  // blind under the second cut: training now
  add("news-cited", "en", "2026-03-27");
  add("news-cited-2", "en", "2026-03-28");  // blind under the third cut, run once: training now
  add("news-cited-3", "en", "2026-10-01");
  add("news-cited-3", "en", "2026-09");     // September 2026 without a day: the 31st, before
  add("news-cited-4", "en", "2026-10-02");  // any corpus, also one the code has never heard of
  add("news-cited-4", "en", "2026-10");     // October 2026 without a day: after the cut
  add("news-ru", "ru", "2025-11-22");
  add("news-ru", "ru", "2025-11-23");  // Ukrainian and Russian keep the second cut
  add("news-ru", "lv", "2025-10-13");  // any other language too
  add("news-ru", "", "2026-01-04");    // and an item without a language
  add("news-uk", "uk", "2025-11");     // November 2025 without a day: its last day, after the cut
  add("news-uk", "uk", "2025-10");
  add("news", "en", "2026-07-31");  // news: blind from its old cut of 2026-07-31 until this one
  add("news", "en", "2026-10-09");
  add("written", "en", "");  // undated: in no split
  const std::vector<std::string> cuts = AssignSplits(items);
  CHECK(cuts ==
        std::vector<std::string>{
            "blind from 2026-10-02 in English, from 2025-11-23 in Ukrainian, Russian and any "
            "other language, in every corpus",
            "news (en): blind from 2026-10-02, 1 of 2 items, 1 of 2 dates",
            "news-2025 (en): blind from 2026-10-02, 0 of 2 items, 0 of 2 dates",
            "news-cited (en): blind from 2026-10-02, 0 of 1 items, 0 of 1 dates",
            "news-cited-2 (en): blind from 2026-10-02, 0 of 1 items, 0 of 1 dates",
            "news-cited-3 (en): blind from 2026-10-02, 0 of 2 items, 0 of 2 dates",
            "news-cited-4 (en): blind from 2026-10-02, 2 of 2 items, 2 of 2 dates",
            "news-ru (?, lv, ru): blind from 2025-11-23, 2 of 4 items, 2 of 4 dates",
            "news-uk (uk): blind from 2025-11-23, 1 of 2 items, 1 of 2 dates"});
  std::string splits;
  for (const LabelledItem& item : items) splits += SplitName(item.split)[0];
  CHECK(splits == "ttttttbbtbtbbttbw");
}

TEST_CASE("The story labels keep the old split: the latest third of each corpus's dates",
          "[labels]") {
  std::vector<LabelledItem> items;
  auto add = [&](std::string corpus, std::string date) {
    LabelledItem item;
    item.corpus = std::move(corpus);
    item.date = std::move(date);
    items.push_back(item);
  };
  for (const char* date : {"2025-01-05", "2025-02-01", "2025-02-01", "2025-03-01", "2025-04-01",
                           "2025-05-01", "2025-06-01"}) {
    add("a", date);
  }
  add("b", "2025-07");  // a month only: it counts as the month's last day
  add("b", "2025-07-02");
  add("b", "2025-08-01");
  add("written", "");
  const std::vector<std::string> cuts = AssignSplitsByThirds(items);
  CHECK(cuts == std::vector<std::string>{"a: blind from 2025-05-01, 2 of 6 dates",
                                         "b: blind from 2025-08-01, 1 of 3 dates"});
  std::string splits;
  for (const LabelledItem& item : items) splits += SplitName(item.split)[0];
  CHECK(splits == "tttttbbttbw");

  // A cut inside a month puts that month's undated items after it, not before.
  std::vector<LabelledItem> month;
  for (const char* date : {"2025-07-01", "2025-07-10", "2025-07-20", "2025-07"}) {
    LabelledItem item;
    item.corpus = "c";
    item.date = date;
    month.push_back(item);
  }
  CHECK(AssignSplitsByThirds(month) ==
        std::vector<std::string>{"c: blind from 2025-07-20, 2 of 4 dates"});
  CHECK(month[3].split == Split::kBlind);
}

}  // namespace
}  // namespace newsmon
