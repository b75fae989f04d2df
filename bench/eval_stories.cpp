// eval-stories: how well the story clusterer groups real items into the events readers saw.
//   eval-stories [--labels FILE] [--corpus DIR] [--threshold T] [--sweep] [--blind] [--errors]
// Feeds every item of the corpus folder the labelled items of tests/data/story-labels.jsonl
// come from (../shared/corpus) to one StoryClusterer in the order they were published, and
// compares its stories for the labelled items with the
// labelled ones: B-cubed precision and recall (Bagga & Baldwin 1998: per item, the share of
// its cluster that is its story, and of its story that is in its cluster) and pairwise ones
// (pairs of items put together rightly). Reports the training dates; --blind adds the blind
// ones (the newest third of the dates), tables only; --errors lists the training stories it
// split. --sweep prints the training figures for a
// range of thresholds, to choose one; never sweep on the blind dates. --baseline words,
// bigrams or simhash clusters with shingle Jaccard or SimHash instead (bench/story_baselines.h),
// --threshold then being theirs. --assignments prints every item's story, in arrival order:
// a change to the clusterer meant to keep its clusters is checked by comparing two runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/story_baselines.h"
#include "classifiers/labelled_set.h"
#include "classifiers/stories.h"
#include "core/time_format.h"
#include "feeds/feed_parser.h"

namespace {

using namespace newsmon;

struct Labelled {
  LabelledItem item;
  std::string story;  // the readers' story id
  std::int64_t cluster = 0;
};

struct Scores {
  std::size_t items = 0, stories = 0, clusters = 0;
  double b3_precision = 0, b3_recall = 0, pair_precision = 0, pair_recall = 0;
};

Result<std::vector<Labelled>> Load(const std::string& path, const std::string& corpus) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot read story labels");
  std::vector<Labelled> labelled;
  std::vector<LabelledItem> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_object() || !json.contains("story") || !json.contains("source")) {
      return Status::InvalidInput(path + ":" + std::to_string(number) +
                                  ": needs \"source\", \"index\" and \"story\"");
    }
    LabelledItem item;
    item.source = json["source"];
    item.index = json.value("index", -1);
    item.id = item.source + "#" + std::to_string(item.index);
    item.link = json.value("link", "");
    item.date = json.value("date", "");
    item.corpus = item.source.substr(0, item.source.find('/'));
    items.push_back(item);
    labelled.push_back({item, json["story"], 0});
  }
  Status resolved = ResolveCorpusText(
      items, corpus, [](const std::string& file) { return ReadJsonCorpusFile(file, HtmlToText); });
  if (!resolved.ok()) return resolved;
  AssignSplitsByThirds(items);  // the split its figures in docs/stories.md were judged on
  for (std::size_t i = 0; i < items.size(); ++i) labelled[i].item = items[i];
  return labelled;
}

// Every item of the labelled items' corpus folder, labelled or not, in publication order, as a
// running daemon would have met them: the unlabelled dates teach the clusterer which words are
// common before the labelled ones come (their stories expire in between).
void Cluster(std::vector<Labelled>& labelled, const std::string& corpus,
             std::unique_ptr<StoryClusterer> clusterer, bool print_assignments) {
  struct Arrival {
    std::int64_t when;
    StoryItem item;
    Labelled* labelled;
  };
  std::map<std::string, Labelled*> by_id;
  for (Labelled& l : labelled) by_id[l.item.id] = &l;
  std::vector<Arrival> arrivals;
  std::deque<CorpusEntry> texts;  // what the arrivals' views point into
  std::set<std::string> folders;
  for (const Labelled& l : labelled)
    folders.insert(l.item.source.substr(0, l.item.source.find('/')));
  for (const std::string& folder : folders) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(corpus + "/" + folder)) {
      if (entry.path().extension() != ".json") continue;
      auto items = ReadJsonCorpusFile(entry.path().string(), HtmlToText);
      if (!items.ok()) continue;  // a README or SOURCES file
      const std::string source = std::filesystem::relative(entry.path(), corpus).string();
      for (std::size_t i = 0; i < items->size(); ++i) {
        const CorpusEntry& e = texts.emplace_back(std::move((*items)[i]));
        auto found = by_id.find(source + "#" + std::to_string(i));
        arrivals.push_back({ParseFeedDate(e.published).value_or(0),
                            {e.title, e.summary, e.link, ParseFeedDate(e.published).value_or(0)},
                            found == by_id.end() ? nullptr : found->second});
      }
    }
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.when < b.when; });
  const auto start = std::chrono::steady_clock::now();
  for (Arrival& arrival : arrivals) {
    std::int64_t story = clusterer->Add(arrival.item).story;
    if (arrival.labelled) arrival.labelled->cluster = story;
    if (print_assignments) std::printf("%lld\n", static_cast<long long>(story));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "clustered %zu items in %.3f s (%.1f us per item)\n", arrivals.size(),
               seconds, 1e6 * seconds / static_cast<double>(arrivals.size()));
}

Scores Score(const std::vector<Labelled>& all, Split split) {
  std::vector<const Labelled*> items;
  for (const Labelled& l : all) {
    if (l.item.split == split) items.push_back(&l);
  }
  Scores scores;
  scores.items = items.size();
  std::map<std::string, int> story_size;
  std::map<std::int64_t, int> cluster_size;
  std::map<std::pair<std::string, std::int64_t>, int> both;
  for (const Labelled* l : items) {
    ++story_size[l->story];
    ++cluster_size[l->cluster];
    ++both[{l->story, l->cluster}];
  }
  scores.stories = story_size.size();
  scores.clusters = cluster_size.size();
  double true_pairs = 0, cluster_pairs = 0, story_pairs = 0;
  for (const Labelled* l : items) {
    const double common = both[{l->story, l->cluster}];
    scores.b3_precision += common / cluster_size[l->cluster];
    scores.b3_recall += common / story_size[l->story];
  }
  for (const auto& [key, n] : both) true_pairs += n * (n - 1) / 2.0;
  for (const auto& [key, n] : cluster_size) cluster_pairs += n * (n - 1) / 2.0;
  for (const auto& [key, n] : story_size) story_pairs += n * (n - 1) / 2.0;
  if (!items.empty()) {
    scores.b3_precision /= static_cast<double>(items.size());
    scores.b3_recall /= static_cast<double>(items.size());
  }
  scores.pair_precision = cluster_pairs == 0 ? 1 : true_pairs / cluster_pairs;
  scores.pair_recall = story_pairs == 0 ? 1 : true_pairs / story_pairs;
  return scores;
}

// The training stories the clusterer split, with their items' clusters and titles.
void PrintSplitStories(const std::vector<Labelled>& all) {
  std::map<std::string, std::vector<const Labelled*>> stories;
  for (const Labelled& l : all) {
    if (l.item.split == Split::kTraining) stories[l.story].push_back(&l);
  }
  for (const auto& [story, items] : stories) {
    std::set<std::int64_t> clusters;
    for (const Labelled* l : items) clusters.insert(l->cluster);
    if (clusters.size() < 2) continue;
    std::printf("\n%s: %zu items in %zu clusters\n", story.c_str(), items.size(), clusters.size());
    for (const Labelled* l : items) {
      std::printf("  [%lld] %s\n", static_cast<long long>(l->cluster), l->item.title.c_str());
    }
  }
}

double F1(double p, double r) { return p + r == 0 ? 0 : 2 * p * r / (p + r); }

void Print(const char* label, double threshold, const Scores& s) {
  std::printf("%-9s %5.2f %5zu %6zu %8zu   %6.3f %6.3f %6.3f   %6.3f %6.3f %6.3f\n", label,
              threshold, s.items, s.stories, s.clusters, s.b3_precision, s.b3_recall,
              F1(s.b3_precision, s.b3_recall), s.pair_precision, s.pair_recall,
              F1(s.pair_precision, s.pair_recall));
}

}  // namespace

int main(int argc, char** argv) {
  std::string labels = NEWSMON_SOURCE_DIR "/tests/data/story-labels.jsonl";
  std::string corpus = NEWSMON_SOURCE_DIR "/../shared/corpus";
  StoryOptions options;
  std::optional<bench::StoryBaseline> baseline;
  bool sweep = false, blind = false, errors = false, assignments = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--labels" && i + 1 < argc)
      labels = argv[++i];
    else if (arg == "--corpus" && i + 1 < argc)
      corpus = argv[++i];
    else if (arg == "--threshold" && i + 1 < argc)
      options.threshold = std::atof(argv[++i]);
    else if (arg == "--sweep")
      sweep = true;
    else if (arg == "--blind")
      blind = true;
    else if (arg == "--errors")
      errors = true;
    else if (arg == "--assignments")
      assignments = true;
    else if (arg == "--baseline" && i + 1 < argc && std::string(argv[i + 1]) == "words")
      baseline = bench::StoryBaseline::kWordJaccard, ++i;
    else if (arg == "--baseline" && i + 1 < argc && std::string(argv[i + 1]) == "bigrams")
      baseline = bench::StoryBaseline::kBigramJaccard, ++i;
    else if (arg == "--baseline" && i + 1 < argc && std::string(argv[i + 1]) == "simhash")
      baseline = bench::StoryBaseline::kSimHash, ++i;
    else {
      std::fprintf(stderr,
                   "usage: %s [--labels FILE] [--corpus DIR] [--threshold T] [--sweep] "
                   "[--blind] [--errors] [--assignments] [--baseline words|bigrams|simhash]\n",
                   argv[0]);
      return arg == "--help" ? 0 : 2;
    }
  }
  if (!std::filesystem::is_directory(corpus)) {
    std::printf("story evaluation skipped: no corpus at %s (--corpus DIR)\n", corpus.c_str());
    return 0;
  }
  auto labelled = Load(labels, corpus);
  if (!labelled.ok()) {
    std::fprintf(stderr, "%s\n", labelled.status().message().c_str());
    return 1;
  }
  std::printf("%-9s %5s %5s %6s %8s   %6s %6s %6s   %6s %6s %6s\n", "split", "thr", "items",
              "stories", "clusters", "B3 P", "B3 R", "B3 F1", "pair P", "pair R", "pair F1");
  std::vector<double> thresholds = {options.threshold};
  if (sweep) thresholds = {0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6};
  if (sweep && baseline == bench::StoryBaseline::kSimHash) {
    thresholds = {2, 4, 6, 8, 10, 12, 14, 16, 18};
  } else if (sweep && baseline) {
    thresholds = {0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6};
  }
  for (double threshold : thresholds) {
    options.threshold = threshold;
    Cluster(*labelled, corpus,
            baseline ? bench::CreateBaselineClusterer(*baseline, threshold)
                     : StoryClusterer::Create(options),
            assignments);
    Print("training", threshold, Score(*labelled, Split::kTraining));
    if (blind && !sweep) Print("blind", threshold, Score(*labelled, Split::kBlind));
  }
  if (errors && !sweep) PrintSplitStories(*labelled);
  return 0;
}
