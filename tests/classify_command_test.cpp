// `newsmon classify`: stdin, --feed, --database/--since and --explain, through
// ClassifyCommand with string streams (no process, no network).
//
// classify_command.cpp belongs to the newsmon executable, not to a library the tests link, so
// it is compiled into this test directly.
#include "daemon/classify_command.h"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>
#include <sstream>

#include "core/time_format.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace newsmon {
namespace {

using json = nlohmann::json;
using testing::SourcePath;
using testing::TempDir;

struct Output {
  int status = 0;
  std::vector<json> lines;
  std::string err;
};

Output Run(const ClassifyOptions& options, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  Output result;
  result.status = ClassifyCommand(options, in, out, err);
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) result.lines.push_back(json::parse(line));
  result.err = err.str();
  return result;
}

ClassifyOptions Demo() {
  ClassifyOptions options;
  options.config = SourcePath("config/demo.toml");
  return options;
}

std::vector<std::string> ThreadIds(const json& line) {
  std::vector<std::string> ids;
  for (const json& thread : line.at("threads")) ids.push_back(thread.at("id"));
  return ids;
}

}  // namespace

TEST_CASE("classify from stdin keeps its line format, --explain adds the evidence", "[classify]") {
  const std::string input =
      "{\"id\": \"a\", \"title\": \"Russia and Ukraine agree 30-day ceasefire\", \"summary\": "
      "\"\"}\n\n"
      "{\"id\": 7, \"title\": \"Sunny weekend\"}\n";
  Output plain = Run(Demo(), input);
  REQUIRE(plain.status == 0);
  REQUIRE(plain.lines.size() == 2);
  CHECK(plain.lines[0]["id"] == "a");
  REQUIRE(ThreadIds(plain.lines[0]) == std::vector<std::string>{"truces"});
  const json& truce = plain.lines[0]["threads"][0];
  CHECK(truce.size() == 3);  // id, score, matched
  CHECK(truce["score"].get<double>() > 0);
  CHECK_FALSE(truce["matched"].empty());
  CHECK(plain.lines[1] == json{{"id", 7}, {"threads", json::array()}});
  CHECK(plain.err.empty());

  ClassifyOptions options = Demo();
  options.explain = true;
  Output explained = Run(options, input);
  REQUIRE(explained.status == 0);
  const json& thread = explained.lines[0]["threads"][0];
  CHECK(thread["threshold"].get<double>() > 0);
  REQUIRE_FALSE(thread["evidence"].empty());
  double credited = 0;
  for (const json& hit : thread["evidence"]) {
    CHECK(hit["field"] == "title");
    CHECK(hit["position"].get<int>() >= 0);
    CHECK(hit.contains("term"));
    credited += hit["weight"].get<double>();
  }
  CHECK(credited == Approx(thread["score"].get<double>()));
  CHECK(thread["score"].get<double>() >= thread["threshold"].get<double>());
  CHECK(explained.lines[0]["unmatched"].is_array());
  CHECK(explained.lines[1] ==
        json{{"id", 7}, {"threads", json::array()}, {"unmatched", json::array()}});

  // A near miss says why it did not match.
  Output near = Run(options, "{\"id\": \"n\", \"title\": \"Sudan truce holds\"}\n");
  REQUIRE(near.lines.size() == 1);
  CHECK(near.lines[0]["threads"].empty());
  json miss;
  for (const json& thread : near.lines[0]["unmatched"]) {
    if (thread["id"] == "truces") miss = thread;
  }
  REQUIRE(miss.is_object());
  CHECK(miss["reason"] ==
        "no hit of the [[thread.context]] group 'russia-ukraine' in the title or within 15 words "
        "of a scored term");
  CHECK(miss["score"].is_number());
  CHECK(miss["evidence"].size() >= 1);

  Output bad = Run(Demo(), "not json\n");
  CHECK(bad.status == 1);
  CHECK(bad.err == "stdin:1: not a JSON object\n");
}

TEST_CASE("classify --feed classifies a feed file's items", "[classify]") {
  ClassifyOptions options = Demo();
  options.feed = SourcePath("config/demo-feeds/kyiv-wire.xml");
  Output result = Run(options);
  REQUIRE(result.status == 0);
  REQUIRE(result.lines.size() >= 5);
  std::map<std::string, std::vector<std::string>> by_id;
  for (const json& line : result.lines) {
    CHECK(line.contains("title"));
    by_id[line["id"]] = ThreadIds(line);
  }
  CHECK(by_id["kyiv-wire:2026-03-02:talks-en-istanbul"] == std::vector<std::string>{"talks"});
  CHECK(by_id["kyiv-wire:2026-03-02:neg-labour-strike"].empty());
  CHECK(result.err.find("6 items classified: energy-strikes 1, talks 1, truces 1, no thread 3") !=
        std::string::npos);

  options.feed = "/nonexistent/feed.xml";
  Output missing = Run(options);
  CHECK(missing.status == 1);
  CHECK(missing.err == "/nonexistent/feed.xml: cannot open feed file\n");
}

TEST_CASE("classify --database --since re-runs the threads over stored items", "[classify]") {
  TempDir dir;
  const std::string path = dir.File("news.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    auto record = [](std::int64_t fetched_at, const std::string& id, const std::string& title) {
      FetchRecord fetch;
      fetch.feed = "wire";
      fetch.fetched_at = fetched_at;
      fetch.status = Status::Ok();
      ClassifiedItem classified;
      classified.item.feed = "wire";
      classified.item.id = id;
      classified.item.title = title;
      fetch.new_items.push_back(classified);
      return fetch;
    };
    const std::int64_t now = UnixNow();
    REQUIRE((*store)->RecordFetch(record(now - 30 * 86400, "old", "Ukraine truce agreed")).ok());
    REQUIRE(
        (*store)->RecordFetch(record(now - 3600, "new", "Russia and Ukraine agree truce")).ok());
    REQUIRE((*store)->RecordFetch(record(now - 60, "none", "Kyiv metro opens late")).ok());
  }
  ClassifyOptions options = Demo();
  options.database = path;
  options.since = "7d";
  options.explain = true;
  Output result = Run(options);
  REQUIRE(result.status == 0);
  REQUIRE(result.lines.size() == 2);
  CHECK(result.lines[0]["id"] == "new");
  CHECK(result.lines[0]["feed"] == "wire");
  CHECK(ThreadIds(result.lines[0]) == std::vector<std::string>{"truces"});
  CHECK(result.lines[0]["threads"][0].contains("evidence"));
  CHECK(result.lines[1]["id"] == "none");
  CHECK(ThreadIds(result.lines[1]).empty());
  CHECK(result.err.find("2 items classified: energy-strikes 0, talks 0, truces 1, no thread 1") !=
        std::string::npos);

  options.since.reset();  // --database alone: everything stored
  CHECK(Run(options).lines.size() == 3);

  options.database = dir.File("missing.db");
  Output missing = Run(options);
  CHECK(missing.status == 1);
  CHECK(missing.err == dir.File("missing.db") + ": no such database\n");
  CHECK_FALSE(std::filesystem::exists(dir.File("missing.db")));
}

TEST_CASE("classify rejects conflicting or malformed options", "[classify]") {
  ClassifyOptions options = Demo();
  options.feed = SourcePath("config/demo-feeds/kyiv-wire.xml");
  options.since = "7d";
  CHECK(Run(options).status == 2);

  options = Demo();
  options.since = "last week";
  Output bad = Run(options);
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--since must be a duration") != std::string::npos);

  options = Demo();
  options.config = "/nonexistent/newsmon.toml";
  CHECK(Run(options).status == 1);
}

}  // namespace newsmon
