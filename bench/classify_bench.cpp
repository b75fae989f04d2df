// classify-bench: the cost of classifying as the number of threads grows.
//   classify-bench [--quick] [--seconds S] [--check] [--items FILE] [--analyse-passes N]
// Classifies a fixed item set (the labelled set, tests/data/threads-labelled.jsonl) against 3,
// 100 and 1,000 generated threads and prints items/s for each, the cost of tokenising alone
// and the ratio of the 1,000-thread cost to the 3-thread cost. With --check, exits 1 when
// that ratio exceeds 2. With --analyse-passes N, only analyses (tokenises and stems) every item
// N times and exits: a fixed amount of work, so that callgrind's instruction count divided by
// N times the items is the cost per item, whatever the load on the machine.
//
// The generated threads look like real ones: scored, require and exclude groups of about 50
// terms per thread in English, Ukrainian and Russian, a quarter with a proximity group; single
// words (stemmed), prefixes, two-word phrases and '?' patterns. Most words are made up, 4% are
// words of the items themselves, so the larger sets also produce more hits to evaluate.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "classifiers/analysis.h"
#include "classifiers/classifier.h"
#include "classifiers/evaluation.h"
#include "classifiers/text_internal.h"

namespace newsmon {
namespace {

using Clock = std::chrono::steady_clock;

class Generator {
 public:
  Generator(std::vector<std::string> real_words, unsigned seed)
      : real_(std::move(real_words)), random_(seed) {}

  std::vector<ThreadDefinition> Threads(int count) {
    std::vector<ThreadDefinition> threads;
    for (int i = 0; i < count; ++i) threads.push_back(Thread(i));
    return threads;
  }

 private:
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  std::string Synthetic(bool cyrillic) {
    static const char* const latin_c[] = {"b", "d", "k", "l", "m",  "n",  "p",  "r",
                                          "s", "t", "v", "z", "sh", "ch", "tr", "st"};
    static const char* const latin_v[] = {"a", "e", "i", "o", "u", "ai", "ou"};
    static const char* const cyr_c[] = {"б", "д", "к", "л", "м", "н", "п",  "р",
                                        "с", "т", "в", "з", "ш", "ч", "тр", "ст"};
    static const char* const cyr_v[] = {"а", "е", "и", "о", "у", "і", "я", "ы"};
    std::string word;
    for (int syllables = Uniform(2, 4); syllables > 0; --syllables) {
      word += cyrillic ? cyr_c[Uniform(0, 15)] : latin_c[Uniform(0, 15)];
      word += cyrillic ? cyr_v[Uniform(0, 7)] : latin_v[Uniform(0, 6)];
    }
    return word;
  }

  std::string Word(bool cyrillic) {
    if (!real_.empty() && Uniform(0, 99) < 4) return real_[Uniform(0, real_.size() - 1)];
    return Synthetic(cyrillic);
  }

  std::string Term(bool cyrillic) {
    const int kind = Uniform(0, 99);
    std::string word = Word(cyrillic);
    if (kind < 60) return word;
    if (kind < 80) {
      // A prefix of 4 to 7 letters.
      std::string prefix;
      int letters = 0;
      const int wanted = Uniform(4, 7);
      for (size_t i = 0; i < word.size() && letters < wanted; ++letters) {
        size_t next = i + 1;
        while (next < word.size() && (static_cast<unsigned char>(word[next]) & 0xC0) == 0x80) {
          ++next;
        }
        prefix += word.substr(i, next - i);
        i = next;
      }
      return prefix + "*";
    }
    if (kind < 95 || cyrillic || word.size() < 5) return word + " " + Word(cyrillic);
    return word.substr(0, 3) + "?" + word.substr(4);  // Latin: one byte per letter
  }

  TermGroup Group(int terms, double weight, const std::string& lang) {
    TermGroup group;
    group.weight = weight;
    group.lang = lang;
    for (int i = 0; i < terms; ++i) {
      const bool cyrillic = lang == "en" ? false : lang.empty() ? Uniform(0, 2) > 0 : true;
      group.terms.push_back(Term(cyrillic));
    }
    return group;
  }

  ThreadDefinition Thread(int index) {
    ThreadDefinition thread;
    thread.id = "gen-" + std::to_string(index);
    thread.title = "Generated thread " + std::to_string(index);
    thread.source = "generated";
    thread.line = 1;
    thread.threshold = 4;
    static const char* const languages[] = {"en", "uk", "ru"};
    thread.scored.push_back(Group(12, 3, ""));
    thread.scored.push_back(Group(12, 1, ""));
    thread.scored.push_back(Group(8, 2, languages[index % 3]));
    thread.required.push_back(Group(10, 0, ""));
    thread.excluded.push_back(Group(5, 0, ""));
    if (index % 4 == 0) {
      TermGroup near = Group(6, 2, "");
      near.near = Group(6, 0, "").terms;
      near.within = 6;
      thread.scored.push_back(near);
    }
    // A few terms that are invalid by construction ("ab?" patterns of too few letters) are
    // replaced rather than rejected.
    for (auto* groups : {&thread.scored, &thread.required, &thread.excluded}) {
      for (TermGroup& group : *groups) {
        for (auto* terms : {&group.terms, &group.near}) {
          for (std::string& term : *terms) {
            if (!text::CompileTerm(term).error.empty()) term = Synthetic(false);
          }
        }
      }
    }
    return thread;
  }

  std::vector<std::string> real_;
  std::mt19937 random_;
};

struct Run {
  double build_ms = 0;
  double items_per_second = 0;
  long matches = 0;
};

template <typename Work>
double ItemsPerSecond(const std::vector<LabelledItem>& items, double seconds, Work work) {
  for (const LabelledItem& item : items) work(item);  // warm-up
  long done = 0;
  const Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    for (const LabelledItem& item : items) work(item);
    done += static_cast<long>(items.size());
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return done / elapsed;
}

Run Measure(std::vector<ThreadDefinition> threads, const std::vector<LabelledItem>& items,
            double seconds) {
  Run run;
  const Clock::time_point start = Clock::now();
  auto classifier = Classifier::Build(std::move(threads));
  run.build_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!classifier.ok()) {
    std::fprintf(stderr, "%s\n", classifier.status().message().c_str());
    std::exit(1);
  }
  const Classifier& c = **classifier;
  long matches = 0;
  run.items_per_second = ItemsPerSecond(items, seconds, [&](const LabelledItem& item) {
    matches += static_cast<long>(c.Classify({item.title, item.summary}).size());
  });
  run.matches = matches;
  return run;
}

size_t CountTerms(const std::vector<ThreadDefinition>& threads) {
  size_t terms = 0;
  for (const ThreadDefinition& thread : threads) {
    for (const auto* groups :
         {&thread.scored, &thread.required, &thread.excluded, &thread.context}) {
      for (const TermGroup& group : *groups) terms += group.terms.size() + group.near.size();
    }
  }
  return terms;
}

// Analysis is what every item pays for before any thread is looked at (classifiers/analysis.h).
void AnalysePasses(const std::vector<LabelledItem>& items, int passes) {
  std::size_t tokens = 0;
  for (int pass = 0; pass < passes; ++pass) {
    for (const LabelledItem& item : items) {
      Analysis analysis({item.title, item.summary});
      tokens += analysis.text().title.tokens.size() + analysis.text().summary.tokens.size();
    }
  }
  std::printf("%d passes over %zu items: %zu analyses, %zu tokens\n", passes, items.size(),
              passes * items.size(), tokens);
}

}  // namespace
}  // namespace newsmon

int main(int argc, char** argv) {
  using namespace newsmon;
  std::string items_path = NEWSMON_SOURCE_DIR "/tests/data/threads-labelled.jsonl";
  double seconds = 1.0;
  bool check = false;
  int analyse_passes = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      seconds = 0.05;
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--items" && i + 1 < argc) {
      items_path = argv[++i];
    } else if (arg == "--analyse-passes" && i + 1 < argc) {
      analyse_passes = std::atoi(argv[++i]);
    } else if (arg == "--check") {
      check = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--seconds S] [--check] [--items FILE] "
                   "[--analyse-passes N]\n",
                   argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  auto items = ReadLabelledItems(items_path);
  if (!items.ok()) {
    std::fprintf(stderr, "%s\n", items.status().message().c_str());
    return 1;
  }
  if (analyse_passes > 0) {
    AnalysePasses(*items, analyse_passes);
    return 0;
  }
  std::set<std::string> vocabulary;
  for (const LabelledItem& item : *items) {
    for (const std::string* field : {&item.title, &item.summary}) {
      for (const std::string& word : text::Tokenize(*field).Words()) {
        if (text::CodePoints(word) >= 5) vocabulary.insert(word);
      }
    }
  }
  std::printf("%zu items (%s), %zu distinct item words of 5+ letters, %.2f s per run\n",
              items->size(), items_path.c_str(), vocabulary.size(), seconds);

  const double tokenize_rate = ItemsPerSecond(*items, seconds, [](const LabelledItem& item) {
    for (const std::string* field : {&item.title, &item.summary}) {
      text::TokenizedText tokens = text::Tokenize(*field);
      text::StemTokens(tokens, text::DetectLanguage(tokens.letters));
    }
  });
  std::printf("%-22s %8s %9s %10s %9s %8s\n", "threads", "terms", "build ms", "items/s", "us/item",
              "matches");
  std::printf("%-22s %8s %9s %10.0f %9.1f %8s\n", "(tokenise + stem only)", "-", "-", tokenize_rate,
              1e6 / tokenize_rate, "-");

  std::vector<ThreadDefinition> defaults;
  for (const char* name : {"talks", "truces", "energy-strikes"}) {
    auto thread =
        LoadThreadFile(std::string(NEWSMON_SOURCE_DIR "/config/threads/") + name + ".toml");
    if (!thread.ok()) {
      std::fprintf(stderr, "%s\n", thread.status().message().c_str());
      return 1;
    }
    defaults.push_back(std::move(thread).value());
  }
  const size_t default_terms = CountTerms(defaults);
  Run run = Measure(std::move(defaults), *items, seconds);
  std::printf("%-22s %8zu %9.1f %10.0f %9.1f %8ld\n", "3 (the default threads)", default_terms,
              run.build_ms, run.items_per_second, 1e6 / run.items_per_second, run.matches);

  std::vector<std::string> real(vocabulary.begin(), vocabulary.end());
  double rates[3] = {};
  const int counts[3] = {3, 100, 1000};
  for (int i = 0; i < 3; ++i) {
    std::vector<ThreadDefinition> threads = Generator(real, 20260301).Threads(counts[i]);
    const size_t terms = CountTerms(threads);
    run = Measure(std::move(threads), *items, seconds);
    rates[i] = run.items_per_second;
    std::printf("%-22d %8zu %9.1f %10.0f %9.1f %8ld\n", counts[i], terms, run.build_ms,
                run.items_per_second, 1e6 / run.items_per_second, run.matches);
  }
  const double ratio = rates[0] / rates[2];
  std::printf("cost ratio 1000 threads / 3 threads: %.2f (must stay within 2.00)\n", ratio);
  return check && ratio > 2.0 ? 1 : 0;
}
