// eval-threads: scores thread files against a labelled set.
//   eval-threads [--labelled FILE] [--min SCORE] [--quiet] [THREAD_FILE...]
// Defaults: the three default threads and tests/data/threads-labelled.jsonl. Prints precision,
// recall, F1 and the normalised TDT detection cost per thread, then every misclassified item
// with its evidence (unless --quiet). With --min, exits 1 when a thread's precision or recall
// is below SCORE.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "classifiers/classifier.h"
#include "classifiers/evaluation.h"

int main(int argc, char** argv) {
  using namespace newsmon;
  std::string labelled = NEWSMON_SOURCE_DIR "/tests/data/threads-labelled.jsonl";
  std::vector<std::string> files;
  double minimum = -1;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--labelled" && i + 1 < argc) {
      labelled = argv[++i];
    } else if (arg == "--min" && i + 1 < argc) {
      minimum = std::atof(argv[++i]);
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (arg == "--help" || arg == "-h" || arg.starts_with("--")) {
      std::fprintf(stderr, "usage: %s [--labelled FILE] [--min SCORE] [--quiet] [THREAD_FILE...]\n",
                   argv[0]);
      return arg.starts_with("--h") || arg == "-h" ? 0 : 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    for (const char* name : {"talks", "truces", "energy-strikes"}) {
      files.push_back(std::string(NEWSMON_SOURCE_DIR "/config/threads/") + name + ".toml");
    }
  }
  std::vector<ThreadDefinition> threads;
  for (const std::string& file : files) {
    auto thread = LoadThreadFile(file);
    if (!thread.ok()) {
      std::fprintf(stderr, "%s\n", thread.status().message().c_str());
      return 1;
    }
    threads.push_back(std::move(thread).value());
  }
  auto classifier = Classifier::Build(std::move(threads));
  if (!classifier.ok()) {
    std::fprintf(stderr, "%s\n", classifier.status().message().c_str());
    return 1;
  }
  auto items = ReadLabelledItems(labelled);
  if (!items.ok()) {
    std::fprintf(stderr, "%s\n", items.status().message().c_str());
    return 1;
  }
  Evaluation evaluation = Evaluate(**classifier, *items);
  std::fputs(FormatEvaluation(evaluation, !quiet).c_str(), stdout);
  if (minimum >= 0) {
    for (const ThreadScores& scores : evaluation.threads) {
      if (scores.precision < minimum || scores.recall < minimum) return 1;
    }
  }
  return 0;
}
