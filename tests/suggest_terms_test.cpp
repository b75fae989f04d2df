// `newsmon suggest-terms`: counts, ranking, the split rule, the "already matched" mark and the
// error messages, through SuggestTermsCommand with string streams on a labelled file written
// here (no corpus needed); one run of the executable checks the command line.
#include "daemon/suggest_terms_command.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "classifiers/term_suggestions.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace newsmon {
namespace {

using testing::TempDir;

// Two threads; `truce` already has "ceasefire" and nothing else.
constexpr const char* kTruceThread = R"([thread]
id = "truce"
title = "Truces"

[[thread.terms]]
terms = ["ceasefire"]
)";

constexpr const char* kEnergyThread = R"([thread]
id = "energy"
title = "Energy"

[[thread.terms]]
terms = ["substation"]
)";

// Undated lines are the written set; dated ones are split by date and language (these have no
// language, so they take the cut of every language but English: 2025-11-23 and later is blind).
// The blind items are the only ones with "prisoner swap".
constexpr const char* kLabels =
    R"({"id": "p1", "title": "Humanitarian pause agreed", "summary": "Both sides accept a ceasefire.", "threads": ["truce"]}
{"id": "p2", "title": "Humanitarian pauses extended", "summary": "Guns fall silent in the east.", "threads": ["truce"]}
{"id": "p3", "title": "Ceasefire holds", "summary": "A humanitarian pause was observed overnight.", "threads": ["energy", "truce"]}
{"id": "n1", "title": "Humanitarian aid arrives", "summary": "Trucks cross the border.", "threads": []}
{"id": "n2", "title": "Storm forces a pause in flights", "summary": "Airports reopen on Monday.", "threads": []}
{"id": "n3", "title": "Substation repaired in the east", "summary": "Power is back.", "threads": ["energy"]}

{"id": "t1", "date": "2025-01-01", "title": "Humanitarian pause begins", "summary": "Evacuation starts under the ceasefire.", "threads": ["truce"]}
{"id": "t2", "date": "2025-01-02", "title": "Markets rise", "summary": "Shares gain.", "threads": []}
{"id": "b1", "date": "2025-11-23", "title": "Prisoner swap during the truce", "summary": "", "threads": ["truce"]}
{"id": "b2", "date": "2025-11-23", "title": "Second prisoner swap", "summary": "", "threads": ["truce"]}
{"id": "b3", "date": "2025-11-23", "title": "Prisoner swap delayed", "summary": "", "threads": ["truce"]}
)";

struct Setup {
  TempDir dir;
  std::string config;
  std::string labels;
  Setup() {
    dir.Write("threads/truce.toml", kTruceThread);
    dir.Write("threads/energy.toml", kEnergyThread);
    config =
        dir.Write("newsmon.toml", "database = \":memory:\"\nthread_files = [\"threads/*.toml\"]\n");
    labels = dir.Write("labels.jsonl", kLabels);
  }
  SuggestTermsOptions Options(const std::string& thread = "truce") const {
    SuggestTermsOptions options;
    options.config = config;
    options.labels = {labels};
    options.thread = thread;
    return options;
  }
};

struct Output {
  int status = 0;
  std::string out;
  std::string err;
};

Output Run(const SuggestTermsOptions& options) {
  std::ostringstream out, err;
  Output result;
  result.status = SuggestTermsCommand(options, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

}  // namespace

TEST_CASE("suggest-terms prints the top terms of the training split and written set",
          "[suggest-terms]") {
  Setup setup;
  Output result = Run(setup.Options());
  CHECK(result.err == "");
  CHECK(result.status == 0);
  // "humanitarian pause": 4 of 4 positives, none of the negatives. With 58 and 50 candidate
  // occurrences and the prior a_w = 4 (its count in both), a_0 = 108:
  // log(8/158) - log(4/154) = 0.668, sd sqrt(1/8 + 1/4) = 0.612, z 1.09. "pauses" (p2) counts
  // as "pause" (one stem), and "pause", the form written more often, is the one printed. The
  // blind items' "prisoner swap" is not there. Ties of z go to the term with more positives,
  // then in byte order.
  CHECK(result.out ==
        "# thread 'truce': 4 positives, 4 negatives (training split and written set)\n"
        "\"humanitarian pause\",  # 4 of 4 positives, 0 of 4 negatives, z 1.1\n"
        "\"ceasefire\",           # 3 of 4 positives, 0 of 4 negatives, z 0.9 (already matched "
        "by the thread)\n"
        "\"humanitarian\",        # 4 of 4 positives, 1 of 4 negatives, z 0.7\n"
        "\"pause\",               # 4 of 4 positives, 1 of 4 negatives, z 0.7\n");

  SuggestTermsOptions options = setup.Options();
  options.top = 1;
  CHECK(Run(options).out ==
        "# thread 'truce': 4 positives, 4 negatives (training split and written set)\n"
        "\"humanitarian pause\",  # 4 of 4 positives, 0 of 4 negatives, z 1.1\n");

  options = setup.Options();
  options.min_count = 5;
  CHECK(Run(options).out ==
        "# thread 'truce': 4 positives, 4 negatives (training split and written set)\n"
        "# no term occurs in at least 5 positives and more often in them than in the "
        "negatives\n");
}

TEST_CASE("suggest-terms learns from the blind split only with --all-splits", "[suggest-terms]") {
  Setup setup;
  SuggestTermsOptions options = setup.Options();
  options.all_splits = true;
  Output result = Run(options);
  CHECK(result.err == "");
  CHECK(result.status == 0);
  CHECK(result.out ==
        "# thread 'truce': 7 positives, 4 negatives (training split, blind split and written "
        "set; --all-splits: the blind split no longer measures these terms)\n"
        "\"humanitarian pause\",  # 4 of 7 positives, 0 of 4 negatives, z 0.9\n"
        "\"ceasefire\",           # 3 of 7 positives, 0 of 4 negatives, z 0.8 (already matched "
        "by the thread)\n"
        "\"prisoner\",            # 3 of 7 positives, 0 of 4 negatives, z 0.8\n"
        "\"prisoner swap\",       # 3 of 7 positives, 0 of 4 negatives, z 0.8\n"
        "\"swap\",                # 3 of 7 positives, 0 of 4 negatives, z 0.8\n"
        "\"humanitarian\",        # 4 of 7 positives, 1 of 4 negatives, z 0.5\n"
        "\"pause\",               # 4 of 7 positives, 1 of 4 negatives, z 0.5\n");

  // Only blind dates: nothing is left to learn from without --all-splits.
  TempDir dir;
  options = setup.Options();
  options.labels = {dir.Write(
      "blind.jsonl", R"({"id": "a", "date": "2025-12-01", "title": "Truce", "threads": ["truce"]}
)")};
  Output blind = Run(options);
  CHECK(blind.status == 1);
  CHECK(blind.out == "");
  CHECK(blind.err == "suggest-terms: the labelled files hold no items outside the blind split\n");
  options.all_splits = true;
  CHECK(Run(options).out ==
        "# thread 'truce': 1 positive, 0 negatives (blind split; --all-splits: the blind split "
        "no longer measures these terms)\n"
        "# no term occurs in at least 3 positives and more often in them than in the "
        "negatives\n");

  // Labelled items, none of them with the thread.
  options = setup.Options("energy");
  options.labels = {dir.Write("other.jsonl", R"({"id": "a", "title": "Truce", "threads": ["truce"]}
)")};
  Output none = Run(options);
  CHECK(none.status == 1);
  CHECK(none.err ==
        "suggest-terms: no item of the written set is labelled 'energy': nothing to "
        "learn from\n");
}

TEST_CASE("suggest-terms counts words by the classifier's stems, and Ukrainian words as written",
          "[suggest-terms]") {
  auto item = [](std::string title, std::vector<std::string> threads) {
    LabelledItem labelled;
    labelled.title = std::move(title);
    labelled.threads = std::move(threads);
    return labelled;
  };
  const std::vector<LabelledItem> items = {
      item("Гуманітарна пауза в Харкові", {"truce"}),
      item("Гуманітарну паузу продовжено", {"truce"}),
      item("Гуманітарна пауза скінчилася", {"truce"}),
      item("Гуманітарна пауза тримається", {"truce"}),
      item("Гуманитарная пауза в Харькове", {"truce"}),
      item("Гуманитарной паузы не будет", {"truce"}),
      item("Гуманитарная пауза объявлена", {"truce"}),
      item("Ціни на хліб", {}),
  };
  TermSuggestions suggestions = SuggestTerms(items, "truce", {30, 3});
  CHECK(suggestions.positives == 7);
  CHECK(suggestions.negatives == 1);
  std::vector<std::string> stems, terms;
  for (const TermSuggestion& term : suggestions.terms) {
    stems.push_back(term.stems);
    terms.push_back(term.term);
  }
  // Russian words meet by their Snowball stem (гуманитарн), Ukrainian ones only as written:
  // "гуманітарну паузу" (1 item) stays below --min-count. All have 3 positives and no negative,
  // so the same z: in order of the term, then of the stems.
  CHECK(stems == std::vector<std::string>{"гуманитарн", "гуманитарн пауз", "гуманітарна",
                                          "гуманітарна пауза", "пауз", "пауза"});
  CHECK(terms == std::vector<std::string>{"гуманитарная", "гуманитарная пауза", "гуманітарна",
                                          "гуманітарна пауза", "пауза", "пауза"});
}

TEST_CASE("suggest-terms errors name what to fix", "[suggest-terms]") {
  Setup setup;
  Output unknown = Run(setup.Options("peace"));
  CHECK(unknown.status == 1);
  CHECK(unknown.out == "");
  CHECK(unknown.err == "suggest-terms: no thread 'peace' in " + setup.config +
                           "; its threads are: energy, truce\n");

  SuggestTermsOptions options = setup.Options();
  options.labels = {setup.labels, setup.dir.File("missing.jsonl")};
  Output missing = Run(options);
  CHECK(missing.status == 1);
  CHECK(missing.err == setup.dir.File("missing.jsonl") + ": cannot read labelled items\n");

  options.labels = {
      setup.labels,
      setup.dir.Write("corpus-labels.jsonl",
                      R"({"source": "news-2025/wire/2025-01-01.json", "index": 0, "threads": []})"
                      "\n")};
  Output corpus = Run(options);
  CHECK(corpus.status == 1);
  CHECK(corpus.err == "suggest-terms: " + setup.dir.File("corpus-labels.jsonl") +
                          ": labels with \"source\" take their text from a corpus; name its "
                          "folder with --corpus DIR (the shared corpus is ../shared/corpus beside "
                          "the clone)\n");

  options = setup.Options();
  options.top = 0;
  Output top = Run(options);
  CHECK(top.status == 2);
  CHECK(top.err == "suggest-terms: --top and --min-count must be at least 1\n");
}

TEST_CASE("newsmon suggest-terms takes --labels more than once", "[suggest-terms]") {
  Setup setup;
  // The same items in two files: the positives and the negatives.
  std::istringstream lines(kLabels);
  std::string positives, negatives;
  for (std::string line; std::getline(lines, line);) {
    (line.find("\"truce\"]") != std::string::npos ? positives : negatives) += line + "\n";
  }
  const std::string first = setup.dir.Write("positives.jsonl", positives);
  const std::string second = setup.dir.Write("negatives.jsonl", negatives);
  testing::Completed result =
      testing::RunNewsmon({"suggest-terms", "--config", setup.config, "--labels", first, "--labels",
                           second, "--thread", "truce", "--top", "2"});
  CHECK(result.err == "");
  CHECK(result.status == 0);
  CHECK(result.out ==
        "# thread 'truce': 4 positives, 4 negatives (training split and written set)\n"
        "\"humanitarian pause\",  # 4 of 4 positives, 0 of 4 negatives, z 1.1\n"
        "\"ceasefire\",           # 3 of 4 positives, 0 of 4 negatives, z 0.9 (already matched "
        "by the thread)\n");

  testing::Completed help = testing::RunNewsmon({"suggest-terms", "--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("the blind split is kept for") != std::string::npos);
}

}  // namespace newsmon
