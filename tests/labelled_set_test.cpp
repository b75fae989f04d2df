// The labelled set of real news: pointers into the shared corpus resolve to the item's text,
// a corpus that changed under the labels is an error (never silently empty items), and the
// split by date puts the latest third of each corpus's dates out of reach of tuning.
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

TEST_CASE("The latest third of each corpus's dates is the blind split", "[labels]") {
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
  const std::vector<std::string> cuts = AssignSplits(items);
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
  CHECK(AssignSplits(month) == std::vector<std::string>{"c: blind from 2025-07-20, 2 of 4 dates"});
  CHECK(month[3].split == Split::kBlind);
}

}  // namespace
}  // namespace newsmon
