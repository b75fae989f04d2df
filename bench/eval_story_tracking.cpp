// Does story-level tracking help? The labelled real news of tests/data, fed in the order it
// was published to one StoryClusterer, as the daemon does: an item is in a thread by its own
// words, or (with tracking) because the story it joins already had an item in that thread.
// Prints precision and recall per thread with and without tracking, per split.
//
//   eval-story-tracking [--labelled FILE]... [--corpus DIR] [--blind] [--errors]
//                       [--min-similarity S]
//
// --errors lists, for the training split, the items tracking added (right and wrong). The
// blind split prints tables only: decide on training, then look at blind once.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/labelled_inputs.h"
#include "classifiers/stories.h"
#include "daemon/labelled_news.h"
#include "feeds/feed_parser.h"

namespace newsmon {
namespace {

struct Options {
  std::vector<std::string> labelled = bench::DefaultLabelFiles();
  std::string corpus = NEWSMON_SOURCE_DIR "/../shared/corpus";
  bool blind = false;
  bool errors = false;
  double min_similarity = 0;  // tracking only for items that joined at least this close
};

struct Prediction {
  const LabelledItem* item = nullptr;
  std::set<std::string> own;
  std::set<std::string> via_story;  // added by tracking only
  std::int64_t story = 0;
};

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  void Add(bool predicted, bool labelled) {
    tp += predicted && labelled;
    fp += predicted && !labelled;
    fn += !predicted && labelled;
  }
  double precision() const { return tp + fp == 0 ? 1.0 : double(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : double(tp) / (tp + fn); }
};

// Publication time, else the labelled date at noon, else 0 (undated items go first).
std::int64_t WhenPublished(const LabelledItem& item) {
  if (auto parsed = ParseFeedDate(item.published)) return *parsed;
  if (item.date.size() >= 10) {
    if (auto day = ParseFeedDate(item.date.substr(0, 10) + "T12:00:00Z")) return *day;
  }
  return 0;
}

std::vector<Prediction> Predict(const Classifier& classifier,
                                const std::vector<LabelledItem>& items, double min_similarity) {
  std::vector<const LabelledItem*> order;
  for (const LabelledItem& item : items) order.push_back(&item);
  std::stable_sort(order.begin(), order.end(), [](const LabelledItem* a, const LabelledItem* b) {
    return WhenPublished(*a) < WhenPublished(*b);
  });
  auto clusterer = StoryClusterer::Create();
  std::map<std::int64_t, std::set<std::string>> story_threads;
  std::vector<Prediction> predictions;
  for (const LabelledItem* item : order) {
    Prediction prediction{item, {}, {}, 0};
    for (const ThreadMatch& match : classifier.Classify({item->title, item->summary})) {
      prediction.own.insert(match.thread);
    }
    const std::int64_t when = WhenPublished(*item);
    const StoryAssignment joined = clusterer->Add({item->title, item->summary, item->link, when});
    prediction.story = joined.story;
    std::set<std::string>& threads = story_threads[prediction.story];
    for (const std::string& thread : threads) {
      if (!prediction.own.contains(thread) && joined.similarity >= min_similarity) {
        prediction.via_story.insert(thread);
      }
    }
    threads.insert(prediction.own.begin(), prediction.own.end());
    predictions.push_back(std::move(prediction));
  }
  return predictions;
}

bool Labelled(const LabelledItem& item, const std::string& thread) {
  return std::find(item.threads.begin(), item.threads.end(), thread) != item.threads.end();
}

void Report(const std::vector<Prediction>& predictions, const std::vector<std::string>& threads,
            Split split, const char* languages) {
  std::printf("\n-- %s split, %s languages --\n%-16s %7s %7s %7s | %7s %7s %7s  %s\n",
              SplitName(split), languages, "thread", "P", "R", "TP", "P+st", "R+st", "TP+st",
              "added right/wrong");
  for (const std::string& thread : threads) {
    Counts alone, tracked;
    int right = 0, wrong = 0;
    for (const Prediction& p : predictions) {
      const LabelledItem& item = *p.item;
      if (item.split != split) continue;
      const bool en = item.lang == "en";
      if (std::string(languages) == "en" ? !en : std::string(languages) == "uk+ru" && en) {
        continue;
      }
      const bool truth = Labelled(item, thread);
      const bool own = p.own.contains(thread);
      const bool via = p.via_story.contains(thread);
      alone.Add(own, truth);
      tracked.Add(own || via, truth);
      if (via) (truth ? right : wrong)++;
    }
    std::printf("%-16s %7.2f %7.2f %7d | %7.2f %7.2f %7d  %d/%d\n", thread.c_str(),
                alone.precision(), alone.recall(), alone.tp, tracked.precision(), tracked.recall(),
                tracked.tp, right, wrong);
  }
}

void ListAdded(const std::vector<Prediction>& predictions) {
  std::printf("\n-- training items tracking put in a thread --\n");
  for (const Prediction& p : predictions) {
    if (p.item->split != Split::kTraining) continue;
    for (const std::string& thread : p.via_story) {
      std::printf("%s %s story %lld: %s [%s]\n", Labelled(*p.item, thread) ? "RIGHT" : "WRONG",
                  thread.c_str(), static_cast<long long>(p.story), p.item->title.c_str(),
                  p.item->id.c_str());
    }
  }
}

bool ParseArguments(int argc, char** argv, Options& options) {
  bool own_labels = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--labelled" && i + 1 < argc) {
      if (!own_labels) options.labelled.clear();
      own_labels = true;
      options.labelled.push_back(argv[++i]);
    } else if (arg == "--corpus" && i + 1 < argc) {
      options.corpus = argv[++i];
    } else if (arg == "--blind") {
      options.blind = true;
    } else if (arg == "--errors") {
      options.errors = true;
    } else if (arg == "--min-similarity" && i + 1 < argc) {
      options.min_similarity = std::stod(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--labelled FILE]... [--corpus DIR] [--blind] [--errors] "
                   "[--min-similarity S]\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace newsmon

int main(int argc, char** argv) {
  using namespace newsmon;
  Options options;
  if (!ParseArguments(argc, argv, options)) return 2;
  if (!std::filesystem::is_directory(options.corpus)) {
    std::printf("skipped: no corpus at %s (--corpus DIR)\n", options.corpus.c_str());
    return 77;
  }
  auto classifier = bench::LoadClassifier(bench::DefaultThreadFiles());
  auto news = LoadLabelledNews(options.labelled, options.corpus);
  if (!classifier.ok() || !news.ok()) {
    std::fprintf(stderr, "%s\n",
                 (classifier.ok() ? news.status() : classifier.status()).message().c_str());
    return 1;
  }
  const std::vector<Prediction> predictions =
      Predict(**classifier, news->items, options.min_similarity);
  const std::vector<std::string> threads = {"talks", "truces", "energy-strikes"};
  std::printf("%zu labelled items in publication order through one story clusterer\n",
              predictions.size());
  for (const char* languages : {"all", "en", "uk+ru"}) {
    Report(predictions, threads, Split::kTraining, languages);
  }
  if (options.blind) {
    for (const char* languages : {"all", "en", "uk+ru"}) {
      Report(predictions, threads, Split::kBlind, languages);
    }
  }
  if (options.errors) ListAdded(predictions);
  return 0;
}
