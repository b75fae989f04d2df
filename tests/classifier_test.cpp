// Thread files, text normalisation and matching. Fast: no network, no files written.
#include "classifiers/classifier.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "classifiers/text_internal.h"
#include "feeds/feed_parser.h"

namespace Catch {
template <>
struct StringMaker<newsmon::MatchedTerm> {
  static std::string convert(const newsmon::MatchedTerm& hit) {
    return "{" + hit.term + " " + hit.field + ":" + std::to_string(hit.position) + " " +
           StringMaker<double>::convert(hit.weight) + "}";
  }
};
}  // namespace Catch

namespace newsmon {

bool operator==(const MatchedTerm& a, const MatchedTerm& b) {
  return a.term == b.term && a.field == b.field && a.position == b.position &&
         a.weight == Approx(b.weight);
}

namespace {

using Strings = std::vector<std::string>;

Strings Words(std::string_view text) { return text::Tokenize(text).Words(); }

ThreadDefinition Parse(std::string_view toml, const std::string& name = "t.toml") {
  auto thread = ParseThread(toml, name);
  INFO(thread.status().message());
  REQUIRE(thread.ok());
  return std::move(thread).value();
}

std::string ParseError(std::string_view toml, const std::string& name) {
  auto thread = ParseThread(toml, name);
  REQUIRE_FALSE(thread.ok());
  return thread.status().message();
}

std::shared_ptr<const Classifier> BuildFrom(std::vector<ThreadDefinition> threads) {
  auto classifier = Classifier::Build(std::move(threads));
  INFO(classifier.status().message());
  REQUIRE(classifier.ok());
  return classifier.value();
}

std::shared_ptr<const Classifier> BuildOne(std::string_view toml) {
  return BuildFrom({Parse(toml)});
}

// The terms of the only thread that matched, or {} when none did.
Strings Matched(const Classifier& classifier, std::string_view title,
                std::string_view summary = "") {
  std::vector<ThreadMatch> matches = classifier.Classify({title, summary});
  REQUIRE(matches.size() <= 1);
  return matches.empty() ? Strings{} : matches[0].MatchedTerms();
}

std::string Describe(const std::vector<MatchedTerm>& evidence) {
  std::string out;
  for (const MatchedTerm& hit : evidence) {
    out += hit.term + "@" + hit.field + ":" + std::to_string(hit.position) + "=" +
           std::to_string(hit.weight) + " ";
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* const kDefaultThreads[] = {
    NEWSMON_SOURCE_DIR "/config/threads/talks.toml",
    NEWSMON_SOURCE_DIR "/config/threads/truces.toml",
    NEWSMON_SOURCE_DIR "/config/threads/energy-strikes.toml",
};

std::shared_ptr<const Classifier> DefaultClassifier() {
  std::vector<ThreadDefinition> threads;
  for (const char* path : kDefaultThreads) {
    auto thread = LoadThreadFile(path);
    INFO(thread.status().message());
    REQUIRE(thread.ok());
    threads.push_back(std::move(thread).value());
  }
  return BuildFrom(std::move(threads));
}

Strings SortedThreads(const std::vector<ThreadMatch>& matches) {
  Strings ids;
  for (const ThreadMatch& match : matches) ids.push_back(match.thread);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string Join(const Strings& items) {
  std::string out = "[";
  for (const std::string& item : items) out += (out.size() > 1 ? "," : "") + item;
  return out + "]";
}

struct Labelled {
  std::string id, lang, title, summary;
  Strings threads;  // sorted
};

std::vector<Labelled> ReadLabelled() {
  std::ifstream in(NEWSMON_SOURCE_DIR "/tests/data/threads-labelled.jsonl");
  REQUIRE(in);
  std::vector<Labelled> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    INFO("threads-labelled.jsonl line " << number);
    nlohmann::json json = nlohmann::json::parse(line);
    Labelled item{json.at("id"), json.at("lang"), json.at("title"), json.at("summary"),
                  json.at("threads")};
    std::sort(item.threads.begin(), item.threads.end());
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Normalisation and tokenisation

TEST_CASE("Normalisation folds case for Latin and Cyrillic", "[classifier][text]") {
  CHECK(text::Normalize("Ceasefire CEASEFIRE") == "ceasefire ceasefire");
  CHECK(text::Normalize("ПЕРЕМИР’Я Україна ЇЖАК") == "перемир'я україна їжак");
  CHECK(Words("STRASSE Straße") == Strings{"strasse", "strasse"});
  CHECK(Words("Київ ЙОГО Їжак Ґанок") == Strings{"київ", "його", "їжак", "ґанок"});
}

TEST_CASE("Normalisation applies NFKC and strips accents sensibly", "[classifier][text]") {
  CHECK(Words("ﬁre ＫＹＩＶ ①") == Strings{"fire", "kyiv", "1"});
  CHECK(Words("Café Zürich Ñandú Αθήνα") == Strings{"cafe", "zurich", "nandu", "αθηνα"});
  // ё folds to е, й/ї/ў keep their marks, stress accents go.
  CHECK(Words("Ещё ЁЛКА всё") == Strings{"еще", "елка", "все"});
  CHECK(Words("Ўсход й ї") == Strings{"ўсход", "й", "ї"});
  CHECK(Words("перемИ\u0301р'я") == Strings{"перемиря"});
  // Decomposed input composes to the same word as precomposed input.
  CHECK(Words("и\u0306ого") == Words("його"));
  // Soft hyphens and zero-width characters vanish.
  CHECK(Words("cease\u00ADfire Ки\u200Dїв") == Strings{"ceasefire", "київ"});
}

TEST_CASE("Apostrophes join words; English possessives drop", "[classifier][text]") {
  CHECK(Words("перемир'я перемир’я перемирʼя перемир`я перемиря") == Strings(5, "перемиря"));
  CHECK(Words("Kyiv's Russia’s allies' don't") == Strings{"kyiv", "russia", "allies", "dont"});
  CHECK(Words("'quoted' words") == Strings{"quoted", "words"});
}

TEST_CASE("Tokens are runs of letters and digits", "[classifier][text]") {
  CHECK(Words("Talkshow, talks; U.S.-brokered 10,000 (2026)") ==
        Strings{"talkshow", "talks", "u", "s", "brokered", "10", "000", "2026"});
  CHECK(Words("a\xff"
              "b") == Strings{"a", "b"});  // invalid UTF-8 separates, never crashes
  CHECK(Words(" \t-- ... ").empty());
}

TEST_CASE("Hyphenated words also form one compound token", "[classifier][text]") {
  text::TokenizedText tokens = text::Tokenize("Cease-fire talks in Ivano-Frankivsk-Oblast");
  Strings seen;
  for (const text::Token& token : tokens.tokens) {
    seen.push_back(token.text + ":" + std::to_string(token.begin) + "-" +
                   std::to_string(token.end));
  }
  CHECK(seen == Strings{"cease:0-1", "ceasefire:0-2", "fire:1-2", "talks:2-3", "in:3-4",
                        "ivano:4-5", "ivanofrankivsk:4-6", "ivanofrankivskoblast:4-7",
                        "frankivsk:5-6", "frankivskoblast:5-7", "oblast:6-7"});
  CHECK(tokens.words == 7);
  CHECK(tokens.first_at == std::vector<int>{0, 2, 3, 4, 5, 8, 10, 11});
}

TEST_CASE("Terms compile to the word sequences they match", "[classifier][text]") {
  auto words = [](std::string_view term) {
    std::vector<Strings> variants;
    for (const auto& variant : text::CompileTerm(term).variants) {
      Strings out;
      for (const text::TermWord& word : variant)
        out.push_back(word.text + (word.prefix ? "*" : ""));
      variants.push_back(out);
    }
    return variants;
  };
  CHECK(words("Ceasefire") == std::vector<Strings>{{"ceasefire"}});
  CHECK(words("cease-fire*") == std::vector<Strings>{{"cease", "fire*"}, {"ceasefire*"}});
  CHECK(words("  Мирн*   УГОД* ") == std::vector<Strings>{{"мирн*", "угод*"}});
  CHECK(words("перемир'я") == std::vector<Strings>{{"перемиря"}});

  CHECK(text::CompileTerm("--").error == "term '--' has no letters or digits");
  CHECK(text::CompileTerm("").error == "term '' has no letters or digits");
  CHECK(text::CompileTerm("пере*мир").error ==
        "term 'пере*мир': '*' is only allowed at the end of a word");
  CHECK(text::CompileTerm("peace *").error ==
        "term 'peace *': '*' must directly follow a letter or digit");
  CHECK(text::CompileTerm("у*").error == "term 'у*': a prefix needs at least 2 letters before '*'");
}

// ---------------------------------------------------------------------------------------------
// Matching

TEST_CASE("Terms match whole tokens, prefixes and consecutive words", "[classifier][match]") {
  auto classifier = BuildOne(R"(
[thread]
id = "t"
title = "T"
threshold = 1
[[thread.terms]]
terms = ["talks", "удар*", "peace talks", "мирн* угод*", "перемир'я", "всё"]
)");
  const Classifier& c = *classifier;
  CHECK(Matched(c, "Talkshow host") == Strings{});
  CHECK(Matched(c, "TALKS begin") == Strings{"talks"});
  CHECK(Matched(c, "talks.") == Strings{"talks"});

  CHECK(Matched(c, "Удари по Києву") == Strings{"удар*"});
  CHECK(Matched(c, "п'ять ударів") == Strings{"удар*"});
  CHECK(Matched(c, "удар") == Strings{"удар*"});
  CHECK(Matched(c, "наудар") == Strings{});

  CHECK(Matched(c, "Peace Talks") == Strings{"peace talks", "talks"});
  CHECK(Matched(c, "peace and talks") == Strings{"talks"});
  CHECK(Matched(c, "talks peace") == Strings{"talks"});
  CHECK(Matched(c, "peace", "talks") == Strings{"talks"});  // a phrase never spans fields

  CHECK(Matched(c, "Мирної угоди не буде") == Strings{"мирн* угод*"});
  CHECK(Matched(c, "мирна і угода") == Strings{});
  CHECK(Matched(c, "ПЕРЕМИРʼЯ") == Strings{"перемир'я"});
  CHECK(Matched(c, "перемиря") == Strings{"перемир'я"});
  CHECK(Matched(c, "Все согласны") == Strings{"всё"});
}

TEST_CASE("Hyphenated terms match hyphenated, spaced and solid text", "[classifier][match]") {
  auto classifier = BuildOne(R"(
[thread]
id = "t"
title = "T"
threshold = 1
[[thread.terms]]
terms = ["cease-fire"]
[[thread.terms]]
terms = ["truce"]
[[thread.terms]]
terms = ["energytruce"]
)");
  const Classifier& c = *classifier;
  CHECK(Matched(c, "cease-fire") == Strings{"cease-fire"});
  CHECK(Matched(c, "Cease fire") == Strings{"cease-fire"});
  CHECK(Matched(c, "CEASEFIRE") == Strings{"cease-fire"});
  CHECK(Matched(c, "cease\u2011fire") == Strings{"cease-fire"});  // non-breaking hyphen
  CHECK(Matched(c, "cease the fire") == Strings{});
  // A one-word term matches the joined form of hyphenated text, but not spaced words.
  CHECK(Matched(c, "energy-truce") == Strings{"energytruce", "truce"});
  CHECK(Matched(c, "energy truce") == Strings{"truce"});
}

TEST_CASE("Score: distinct terms, title weight and threshold", "[classifier][score]") {
  auto classifier = BuildOne(R"(
[thread]
id = "truces"
title = "Truces"
threshold = 3
title_weight = 2

[[thread.terms]]
weight = 2
terms = ["truce*", "ceasefire"]

[[thread.terms]]
weight = 0.5
terms = ["pause"]
)");
  const Classifier& c = *classifier;

  std::vector<ThreadMatch> matches = c.Classify({"Truce agreed", ""});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].thread == "truces");
  CHECK(matches[0].score == Approx(4));
  CHECK(matches[0].threshold == Approx(3));
  CHECK(matches[0].evidence == std::vector<MatchedTerm>{{"truce*", "title", 0, 4}});

  CHECK(c.Classify({"", "A truce was agreed."}).empty());             // 2 < 3
  CHECK(c.Classify({"", "truce after truce, then truces"}).empty());  // one term counts once

  matches = c.Classify({"", "A truce and a ceasefire"});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].score == Approx(4));
  CHECK(matches[0].evidence ==
        std::vector<MatchedTerm>{{"truce*", "summary", 1, 2}, {"ceasefire", "summary", 4, 2}});

  // Counted once, at its best field; later hits are evidence worth 0.
  matches = c.Classify({"New truce", "The truce holds; the truce is fragile."});
  REQUIRE(matches.size() == 1);
  INFO(Describe(matches[0].evidence));
  CHECK(matches[0].score == Approx(4));
  CHECK(matches[0].evidence == std::vector<MatchedTerm>{{"truce*", "title", 1, 4},
                                                        {"truce*", "summary", 1, 0},
                                                        {"truce*", "summary", 4, 0}});

  // Exactly at the threshold matches: 0.5 × 2 + 2 = 3.
  matches = c.Classify({"Pause", "truce"});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].score == Approx(3));
  CHECK(c.Classify({"", "pause, ceasefire"}).empty());  // 2.5
}

TEST_CASE("Title weight below 1 credits the summary hit", "[classifier][score]") {
  auto classifier = BuildOne(R"(
[thread]
id = "t"
title = "T"
threshold = 1
title_weight = 0.5
[[thread.terms]]
weight = 2
terms = ["truce"]
)");
  std::vector<ThreadMatch> matches = classifier->Classify({"truce", "truce"});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].score == Approx(2));
  CHECK(matches[0].evidence ==
        std::vector<MatchedTerm>{{"truce", "title", 0, 0}, {"truce", "summary", 0, 2}});
}

TEST_CASE("Negative weights lower the score", "[classifier][score]") {
  auto classifier = BuildOne(R"(
[thread]
id = "strikes"
title = "Strikes"
threshold = 3
[[thread.terms]]
weight = 3
terms = ["strike*"]
[[thread.terms]]
weight = -2
terms = ["moratorium"]
)");
  const Classifier& c = *classifier;
  CHECK(c.Classify({"Strike moratorium agreed", ""}).empty());  // 6 - 4
  CHECK(c.Classify({"", "strike moratorium"}).empty());         // 3 - 2
  std::vector<ThreadMatch> matches = c.Classify({"Strike hits plant", "despite the moratorium"});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].score == Approx(4));
  CHECK(matches[0].evidence ==
        std::vector<MatchedTerm>{{"strike*", "title", 0, 6}, {"moratorium", "summary", 2, -2}});
}

TEST_CASE("Require groups need a hit each; exclude groups veto", "[classifier][score]") {
  auto classifier = BuildOne(R"(
[thread]
id = "energy"
title = "Energy"
threshold = 2

[[thread.terms]]
weight = 2
terms = ["strike*", "substation*"]

[[thread.require]]
name = "attack"
terms = ["strike*", "drone*"]

[[thread.require]]
name = "energy"
terms = ["substation*", "power plant*"]

[[thread.exclude]]
terms = ["on strike", "lightning"]
)");
  const Classifier& c = *classifier;

  std::vector<ThreadMatch> matches = c.Classify({"Drone strike on substation", ""});
  REQUIRE(matches.size() == 1);
  INFO(Describe(matches[0].evidence));
  CHECK(matches[0].score == Approx(8));
  // Context hits are evidence worth 0; a term in a scored and a require group is one entry.
  CHECK(matches[0].evidence == std::vector<MatchedTerm>{{"drone*", "title", 0, 0},
                                                        {"strike*", "title", 1, 4},
                                                        {"substation*", "title", 3, 4}});

  CHECK(c.Classify({"Drones over power plants", "strike"}).size() == 1);
  CHECK(c.Classify({"Strike on bridge", ""}).empty());                // no energy hit
  CHECK(c.Classify({"Substation repaired", "substations"}).empty());  // no attack hit
  CHECK(c.Classify({"Workers at the power plant went on strike", ""}).empty());
  CHECK(c.Classify({"Strike hits substation", "Officials blamed lightning."}).empty());
}

TEST_CASE("Many threads share one index and keep their order", "[classifier][match]") {
  auto classifier = BuildFrom({
      Parse(R"(
[thread]
id = "b-second-alphabetically"
title = "B"
threshold = 1
[[thread.terms]]
terms = ["russia*", "ceasefire"]
)",
            "b.toml"),
      Parse(R"(
[thread]
id = "a"
title = "A"
threshold = 1
[[thread.terms]]
weight = 5
terms = ["russia*", "talks"]
[[thread.exclude]]
terms = ["football"]
)",
            "a.toml"),
  });
  REQUIRE(classifier->threads().size() == 2);
  CHECK(classifier->threads()[0].id == "b-second-alphabetically");
  CHECK(classifier->threads()[1].source == "a.toml");

  std::vector<ThreadMatch> matches = classifier->Classify({"Russian talks", "ceasefire"});
  REQUIRE(matches.size() == 2);
  CHECK(matches[0].thread == "b-second-alphabetically");
  CHECK(matches[0].evidence ==
        std::vector<MatchedTerm>{{"russia*", "title", 0, 2}, {"ceasefire", "summary", 0, 1}});
  CHECK(matches[1].thread == "a");
  CHECK(matches[1].score == Approx(20));

  matches = classifier->Classify({"Russian football", ""});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].thread == "b-second-alphabetically");
  CHECK(classifier->Classify({"", ""}).empty());
}

// ---------------------------------------------------------------------------------------------
// Thread files

TEST_CASE("A thread file parses into its definition", "[classifier][parse]") {
  ThreadDefinition thread = Parse(R"(# comment
[thread]
id = "truces"
title = "Truces and ceasefires"
threshold = 3.5
title_weight = 3

[[thread.terms]]
name = "core"
weight = 3
terms = [
  "ceasefire",
  "перемир*",
]

[[thread.require]]
name = "war"
terms = ["ukrain*"]

[[thread.exclude]]
terms = ["football"]
)",
                                  "truces.toml");
  CHECK(thread.id == "truces");
  CHECK(thread.title == "Truces and ceasefires");
  CHECK(thread.source == "truces.toml");
  CHECK(thread.line == 3);
  CHECK(thread.threshold == 3.5);
  CHECK(thread.title_weight == 3);
  REQUIRE(thread.scored.size() == 1);
  CHECK(thread.scored[0].name == "core");
  CHECK(thread.scored[0].weight == 3);
  CHECK(thread.scored[0].line == 8);
  CHECK(thread.scored[0].terms == Strings{"ceasefire", "перемир*"});
  CHECK(thread.scored[0].term_lines == std::vector<int>{12, 13});
  REQUIRE(thread.required.size() == 1);
  CHECK(thread.required[0].name == "war");
  CHECK(thread.required[0].terms == Strings{"ukrain*"});
  REQUIRE(thread.excluded.size() == 1);
  CHECK(thread.excluded[0].terms == Strings{"football"});

  // Defaults: threshold 1, title weight 2, group weight 1.
  ThreadDefinition minimal =
      Parse("[thread]\nid = \"m\"\ntitle = \"M\"\n[[thread.terms]]\nterms = [\"x\"]\n");
  CHECK(minimal.threshold == 1);
  CHECK(minimal.title_weight == 2);
  CHECK(minimal.scored[0].weight == 1);
}

TEST_CASE("Thread file errors are all reported as FILE:LINE: message", "[classifier][parse]") {
  CHECK(ParseError(R"([thread]
id = "Bad_Id"
title = 5
treshold = 2
title_weight = "high"

[[thread.terms]]
wieght = 3
weight = "3"
terms = []

[[thread.require]]
weight = 1
terms = ["ok", 7, "--", "пере*мир"]

[[thread.exclude]]
name = "x"
)",
                   "bad.toml") ==
        "bad.toml:2: invalid id 'Bad_Id': use lowercase letters a-z, digits 0-9 and '-'\n"
        "bad.toml:3: 'title' must be a string, not an integer\n"
        "bad.toml:4: unknown key 'treshold' in [thread] (did you mean 'threshold'?)\n"
        "bad.toml:5: 'title_weight' must be a number, not a string\n"
        "bad.toml:8: unknown key 'wieght' in [[thread.terms]] (did you mean 'weight'?)\n"
        "bad.toml:9: 'weight' must be a number, not a string\n"
        "bad.toml:10: 'terms' must not be empty\n"
        "bad.toml:13: unknown key 'weight' in [[thread.require]]\n"
        "bad.toml:14: terms must be strings, not an integer\n"
        "bad.toml:14: term '--' has no letters or digits\n"
        "bad.toml:14: term 'пере*мир': '*' is only allowed at the end of a word\n"
        "bad.toml:16: [[thread.exclude]] has no 'terms' list");
}

TEST_CASE("Thread file structure errors", "[classifier][parse]") {
  CHECK(ParseError("[thread]\nid = \"x\ntitle = \"X\"\n", "syntax.toml") ==
        "syntax.toml:2: TOML syntax error: Error while parsing string: unescaped control "
        "characters other than TAB (U+0009) are explicitly prohibited");
  CHECK(ParseError("[thread]\nid = \"x\"\nid = \"y\"\n", "twice.toml") ==
        "twice.toml:3: TOML syntax error: Error while parsing key-value pair: cannot redefine "
        "existing string 'id'");
  CHECK(ParseError("", "empty.toml") == "empty.toml:1: missing [thread] table");
  CHECK(ParseError("id = \"x\"\n[threads]\n", "top.toml") ==
        "top.toml:1: unknown top-level key 'id' (a thread file holds one [thread] table)\n"
        "top.toml:1: missing [thread] table\n"
        "top.toml:2: unknown top-level key 'threads' (a thread file holds one [thread] table)");
  CHECK(ParseError("[[thread]]\nid = \"a\"\n", "many.toml") ==
        "many.toml:1: 'thread' must be a single [thread] table, not an array (one thread per "
        "file)");
  CHECK(ParseError("\n[thread]\nthreshold = 0\ntitle_weight = -1\n", "missing.toml") ==
        "missing.toml:2: missing 'id' in [thread]\n"
        "missing.toml:2: missing 'title' in [thread]\n"
        "missing.toml:2: [thread] needs at least one [[thread.terms]] group\n"
        "missing.toml:3: 'threshold' must be a number greater than 0\n"
        "missing.toml:4: 'title_weight' must be a number greater than 0");
  CHECK(ParseError("[thread]\nid = \"x\"\ntitle = \"X\"\nterms = [\"truce\"]\n", "flat.toml") ==
        "flat.toml:4: 'terms' must be an array of tables ([[thread.terms]]), not an array of "
        "values");
  CHECK(ParseError("[thread]\nid = \"x\"\ntitle = \" \"\n[[thread.terms]]\nweight = 0\n"
                   "terms = \"truce\"\n",
                   "values.toml") ==
        "values.toml:3: 'title' must not be empty\n"
        "values.toml:5: 'weight' must be a number other than 0\n"
        "values.toml:6: 'terms' must be an array of strings, not a string");
  CHECK(ParseError("[thread]\nid = \"x\"\ntitle = \"X\"\n[[thread.terms]]\nterms = [\"peace *\", "
                   "\"у*\"]\n",
                   "stars.toml") ==
        "stars.toml:5: term 'peace *': '*' must directly follow a letter or digit\n"
        "stars.toml:5: term 'у*': a prefix needs at least 2 letters before '*'");
}

TEST_CASE("LoadThreadFile reports unreadable files", "[classifier][parse]") {
  auto thread = LoadThreadFile("/nonexistent/threads/x.toml");
  REQUIRE_FALSE(thread.ok());
  CHECK(thread.status().message() ==
        "/nonexistent/threads/x.toml: cannot read thread file: No such file or directory");
}

TEST_CASE("Build rejects duplicate ids and naming both files", "[classifier][parse]") {
  const char* toml =
      "\n[thread]\nid = \"talks\"\ntitle = \"T\"\n[[thread.terms]]\nterms = [\"x\"]\n";
  auto classifier = Classifier::Build({Parse(toml, "a.toml"), Parse(toml, "b.toml")});
  REQUIRE_FALSE(classifier.ok());
  CHECK(classifier.status().message() ==
        "b.toml:3: duplicate thread id 'talks' (also defined in a.toml:3)");
}

TEST_CASE("Build validates definitions made in code", "[classifier][parse]") {
  ThreadDefinition thread;
  thread.id = "code";
  thread.title = "Code";
  thread.source = "memory";
  thread.line = 1;
  thread.scored.push_back({"", 1.0, {"ok", "--"}, 7, {}});
  thread.required.push_back({"", 0.0, {"fine", "*"}, 9, {10, 11}});
  auto classifier = Classifier::Build({thread});
  REQUIRE_FALSE(classifier.ok());
  CHECK(classifier.status().message() ==
        "memory:7: term '--' has no letters or digits\n"
        "memory:11: term '*': '*' must directly follow a letter or digit");
}

// ---------------------------------------------------------------------------------------------
// The default threads, the labelled set and the demo feeds

TEST_CASE("The default thread files load", "[classifier][defaults]") {
  auto classifier = DefaultClassifier();
  Strings ids;
  for (const ThreadDefinition& thread : classifier->threads()) ids.push_back(thread.id);
  CHECK(ids == Strings{"talks", "truces", "energy-strikes"});
}

TEST_CASE("Every labelled item is classified as labelled", "[classifier][defaults]") {
  auto classifier = DefaultClassifier();
  std::vector<Labelled> items = ReadLabelled();
  CHECK(items.size() >= 60);

  std::set<std::string> ids;
  std::map<std::string, int> languages;
  std::map<std::string, int> positives;
  int negatives = 0;
  Strings failures;
  for (const Labelled& item : items) {
    CHECK(ids.insert(item.id).second);
    ++languages[item.lang];
    for (const std::string& thread : item.threads) ++positives[thread];
    negatives += item.threads.empty();
    std::vector<ThreadMatch> matches = classifier->Classify({item.title, item.summary});
    Strings got = SortedThreads(matches);
    if (got != item.threads) {
      std::string failure = item.id + ": expected " + Join(item.threads) + ", got " + Join(got);
      for (const ThreadMatch& match : matches) {
        failure += "\n    " + match.thread + " score " + std::to_string(match.score) + ": " +
                   Describe(match.evidence);
      }
      failures.push_back(failure);
    }
  }
  for (const std::string& failure : failures) UNSCOPED_INFO(failure);
  CHECK(failures.empty());
  CHECK(languages["en"] >= 10);
  CHECK(languages["uk"] >= 10);
  CHECK(languages["ru"] >= 10);
  CHECK(positives["talks"] >= 10);
  CHECK(positives["truces"] >= 10);
  CHECK(positives["energy-strikes"] >= 10);
  CHECK(negatives >= 20);
}

TEST_CASE("Demo feed items are labelled and classify as labelled", "[classifier][defaults][demo]") {
  auto classifier = DefaultClassifier();
  std::map<std::string, Labelled> by_title;
  for (Labelled& item : ReadLabelled()) {
    if (item.id.starts_with("demo-")) by_title[item.title] = std::move(item);
  }
  std::map<std::string, int> matched;
  int negatives = 0;
  size_t total = 0;
  for (const char* name : {"kyiv-wire.xml", "frontline.atom", "world-desk.xml"}) {
    INFO("config/demo-feeds/" << name);
    auto feed = ParseFeed(ReadFile(std::string(NEWSMON_SOURCE_DIR "/config/demo-feeds/") + name),
                          ParseOptions{});
    INFO(feed.status().message());
    REQUIRE(feed.ok());
    CHECK(!feed->title.empty());
    CHECK(feed->link.starts_with("https://example.org/"));
    CHECK(feed->items.size() >= 5);
    total += feed->items.size();
    for (const Item& item : feed->items) {
      INFO(item.id << ": " << item.title);
      CHECK(item.link.starts_with("https://example.org/"));
      REQUIRE(item.published.has_value());
      CHECK(*item.published >= 1767225600);  // 2026-01-01
      auto labelled = by_title.find(item.title);
      REQUIRE(labelled != by_title.end());
      CHECK(Words(item.summary) == Words(labelled->second.summary));
      Strings got = SortedThreads(classifier->Classify({item.title, item.summary}));
      CHECK(got == labelled->second.threads);
      for (const std::string& thread : got) ++matched[thread];
      negatives += got.empty();
    }
  }
  CHECK(total == by_title.size());
  CHECK(matched["talks"] >= 2);
  CHECK(matched["truces"] >= 2);
  CHECK(matched["energy-strikes"] >= 2);
  CHECK(negatives >= 4);
}

}  // namespace newsmon
