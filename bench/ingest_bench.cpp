// What stories cost at ingest: the real items of ../shared/corpus/news-2025 (about 2,700),
// written as RSS feeds of 50 items, go through the daemon's Pipeline (parse, dedupe,
// classify, store in a SQLite file, with and without stories) in publication order. Each mode
// runs on a fresh database several times, alternating; the table gives medians and the ratio
// with stories to without, measured in the same run. Each timed run ends by checkpointing
// what it wrote, so both modes pay for all of their writes.
//
//   ingest-bench [--corpus DIR] [--runs N] [--quick] [--only with|without] [--warm FEEDS]
//
// --only runs one mode, for instruction counts that do not vary with the machine's load:
//   valgrind --tool=callgrind --toggle-collect='*TimedIngest*'
//            build/bench/ingest-bench --runs 1 --only with
// --warm stores the first FEEDS feeds untimed, so the rest go into a populated database and a
// clusterer that knows the words of the hours before.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "bench/labelled_inputs.h"
#include "bench/xml_text.h"
#include "classifiers/labelled_set.h"
#include "classifiers/stories.h"
#include "daemon/pipeline.h"
#include "feeds/feed_parser.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace newsmon {
namespace {

namespace fs = std::filesystem;

using bench::XmlText;

struct Entry {
  CorpusEntry entry;
  std::int64_t published = 0;
};

std::vector<Entry> ReadCorpus(const std::string& root, std::size_t limit) {
  std::vector<Entry> entries;
  for (const auto& outlet : fs::directory_iterator(root)) {
    if (!outlet.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(outlet.path())) {
      if (file.path().extension() != ".json") continue;
      auto read = ReadJsonCorpusFile(file.path().string(), [](std::string_view html) {
        return std::string(html);  // the feed's own text, as a feed would carry it
      });
      if (!read.ok()) continue;
      for (CorpusEntry& entry : *read) {
        const std::int64_t published = ParseFeedDate(entry.published).value_or(0);
        entries.push_back({std::move(entry), published});
      }
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.published < b.published; });
  if (entries.size() > limit) entries.resize(limit);
  return entries;
}

// Feeds of `per_feed` consecutive items, as seven outlets' feeds would bring them.
std::vector<FetchResponse> AsFeeds(const std::vector<Entry>& entries, std::size_t per_feed) {
  std::vector<FetchResponse> feeds;
  for (std::size_t start = 0; start < entries.size(); start += per_feed) {
    std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>";
    for (std::size_t i = start; i < std::min(entries.size(), start + per_feed); ++i) {
      const CorpusEntry& e = entries[i].entry;
      xml += "<item><guid>" + XmlText(e.link) + "#" + std::to_string(i) + "</guid><title>" +
             XmlText(e.title) + "</title><link>" + XmlText(e.link) + "</link><description>" +
             XmlText(e.summary) + "</description><pubDate>" + XmlText(e.published) +
             "</pubDate></item>";
    }
    FetchResponse response;
    response.feed = "feed-" + std::to_string(feeds.size() % 7);
    response.url = response.effective_url = "https://example.org/" + response.feed;
    response.http_status = 200;
    response.body = xml + "</channel></rss>";
    response.content_type = "application/rss+xml";
    feeds.push_back(std::move(response));
  }
  return feeds;
}

// Forwards to the real clusterer and adds up the time spent in it, so the table can tell
// clustering apart from the story rows the store writes.
class TimedClusterer final : public StoryClusterer {
 public:
  TimedClusterer(std::unique_ptr<StoryClusterer> inner, double& seconds)
      : inner_(std::move(inner)), seconds_(seconds) {}

  StoryAssignment Add(const StoryItem& item) override {
    const auto start = std::chrono::steady_clock::now();
    StoryAssignment assignment = inner_->Add(item);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return assignment;
  }
  void Restore(const StoryItem& item, std::int64_t story) override { inner_->Restore(item, story); }
  void ReserveIdsThrough(std::int64_t id) override { inner_->ReserveIdsThrough(id); }
  std::size_t open_stories() const override { return inner_->open_stories(); }

 private:
  std::unique_ptr<StoryClusterer> inner_;
  double& seconds_;
};

// Not inlined, so that callgrind can count the timed feeds alone:
//   valgrind --tool=callgrind --toggle-collect='*TimedIngest*' ingest-bench --runs 1 --only with
[[gnu::noinline]] IngestReport TimedIngest(Pipeline& pipeline, const FetchResponse& feed,
                                           std::int64_t now) {
  return pipeline.Ingest(feed, feed.url, now);
}

// CPU time of the whole process, whatever threads libraries start.
double ProcessCpuSeconds() {
  timespec cpu{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  return static_cast<double>(cpu.tv_sec) + 1e-9 * static_cast<double>(cpu.tv_nsec);
}

struct Timing {
  double wall = 0;
  double cpu = 0;
};

// Copies what the write-ahead log still holds into the database file, inside the timed
// span: every run then pays for all it wrote. Without it a run paid only for the checkpoints
// its log happened to reach (one per 1,000 pages) and left the rest unpaid, so a mode that
// wrote a little more could pay for a whole checkpoint more, or one less (docs/stories.md).
void CheckpointWhatWasWritten(const std::string& database) {
  auto db = sqlite::Database::Open(database);
  Status checkpointed = db.ok() ? db->Exec("PRAGMA wal_checkpoint(TRUNCATE)") : db.status();
  if (!checkpointed.ok()) {
    std::fprintf(stderr, "%s\n", checkpointed.message().c_str());
    std::exit(1);
  }
}

Timing IngestTiming(const std::vector<FetchResponse>& feeds,
                    std::shared_ptr<const Classifier> classifier, bool stories,
                    const std::string& database, double& clustering_seconds, std::size_t warm) {
  fs::remove(database);
  fs::remove(database + "-wal");
  fs::remove(database + "-shm");
  auto store = Store::Open(database);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    std::exit(1);
  }
  Pipeline pipeline(**store, classifier);
  const std::int64_t now = 1'767'000'000;
  if (stories) {
    if (Status s = pipeline.TrackStories(
            std::make_unique<TimedClusterer>(StoryClusterer::Create(), clustering_seconds), {}, now,
            std::chrono::hours(36));
        !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::exit(1);
    }
  }
  // The first `warm` feeds are stored untimed: a running daemon ingests into a populated
  // database with a clusterer that already knows the words of the last hours.
  for (std::size_t i = 0; i < warm; ++i) {
    if (!pipeline.Ingest(feeds[i], feeds[i].url, now).status.ok()) std::exit(1);
  }
  if (warm > 0) CheckpointWhatWasWritten(database);  // the timed span pays for its own writes
  clustering_seconds = 0;
  const double cpu_start = ProcessCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = warm; i < feeds.size(); ++i) {
    const FetchResponse& feed = feeds[i];
    IngestReport report = TimedIngest(pipeline, feed, now);
    if (!report.status.ok()) {
      std::fprintf(stderr, "%s\n", report.status.message().c_str());
      std::exit(1);
    }
  }
  CheckpointWhatWasWritten(database);
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          ProcessCpuSeconds() - cpu_start};
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace
}  // namespace newsmon

int main(int argc, char** argv) {
  using namespace newsmon;
  std::string corpus = NEWSMON_SOURCE_DIR "/../shared/corpus/news-2025";
  // Fifteen: on a machine shared with others a run of either mode varies by a tenth or more,
  // and five runs left the ratio moving by ±0.05 from one invocation to the next.
  int runs = 15;
  std::size_t limit = 1'000'000;
  bool run_without = true, run_with = true;
  std::size_t warm = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--corpus" && i + 1 < argc) {
      corpus = argv[++i];
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--only" && i + 1 < argc && (std::string(argv[i + 1]) == "with" ||
                                                    std::string(argv[i + 1]) == "without")) {
      run_with = std::string(argv[++i]) == "with";
      run_without = !run_with;
    } else if (arg == "--warm" && i + 1 < argc) {
      warm = static_cast<std::size_t>(std::max(0, std::atoi(argv[++i])));
    } else if (arg == "--quick") {
      runs = 1;
      limit = 300;
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--corpus DIR] [--runs N] [--quick] [--only with|without] [--warm FEEDS]\n",
          argv[0]);
      return 2;
    }
  }
  if (!fs::is_directory(corpus)) {
    std::printf("skipped: no corpus at %s (--corpus DIR)\n", corpus.c_str());
    return 77;
  }
  auto classifier = bench::LoadClassifier(bench::DefaultThreadFiles());
  if (!classifier.ok()) {
    std::fprintf(stderr, "%s\n", classifier.status().message().c_str());
    return 1;
  }
  const std::vector<Entry> entries = ReadCorpus(corpus, limit);
  const std::vector<FetchResponse> feeds = AsFeeds(entries, 50);
  if (warm >= feeds.size()) {
    std::fprintf(stderr, "--warm %zu leaves none of the %zu feeds to time\n", warm, feeds.size());
    return 2;
  }
  // One file per process: two runs at once (a smoke test beside a manual run) must not share it.
  const std::string database =
      (fs::temp_directory_path() / ("newsmon-ingest-bench-" + std::to_string(getpid()) + ".db"))
          .string();
  // AsFeeds puts 50 items in each feed, the last one the rest.
  const std::size_t timed_items = entries.size() - std::min(entries.size(), 50 * warm);
  std::vector<double> without, with, without_cpu, with_cpu, clustering;
  for (int run = 0; run < runs; ++run) {
    double unused = 0, clustered = 0;
    if (run_without) {
      const Timing t = IngestTiming(feeds, *classifier, false, database, unused, warm);
      without.push_back(t.wall);
      without_cpu.push_back(t.cpu);
    }
    if (run_with) {
      const Timing t = IngestTiming(feeds, *classifier, true, database, clustered, warm);
      with.push_back(t.wall);
      with_cpu.push_back(t.cpu);
    }
    clustering.push_back(clustered);
  }
  fs::remove(database);
  fs::remove(database + "-wal");
  fs::remove(database + "-shm");
  const auto items = static_cast<double>(timed_items);
  std::printf(
      "%zu items in %zu feeds of 50 (%zu timed, after %zu feeds stored untimed), SQLite "
      "file, median of %d runs\n",
      entries.size(), feeds.size(), timed_items, warm, runs);
  std::printf("%-22s %10s %12s %10s %14s\n", "mode", "seconds", "items/s", "us/item",
              "CPU us/item");
  for (auto [name, times, cpu] : {std::tuple{"without stories", &without, &without_cpu},
                                  {"with stories", &with, &with_cpu}}) {
    if (times->empty()) continue;
    const double seconds = Median(*times);
    std::printf("%-22s %10.3f %12.0f %10.1f %14.1f\n", name, seconds, items / seconds,
                1e6 * seconds / items, 1e6 * Median(*cpu) / items);
  }
  if (with.empty()) return 0;
  const double clustered = Median(clustering);
  std::printf("%-22s %10.3f %12s %10.1f\n", "  of which clustering", clustered, "",
              1e6 * clustered / items);
  if (!without.empty()) {
    std::printf("ratio with/without: %.2f (target <= 1.20); in CPU time %.2f\n",
                Median(with) / Median(without), Median(with_cpu) / Median(without_cpu));
    // Each run's two modes ran back to back: their ratio shows how much the machine moved
    // under the figure above (a wide spread says: run again, or compare builds in turn).
    std::vector<double> paired;
    for (std::size_t i = 0; i < with.size(); ++i) paired.push_back(with[i] / without[i]);
    std::sort(paired.begin(), paired.end());
    std::printf("each run's ratio: median %.2f, middle half %.2f to %.2f\n", Median(paired),
                paired[paired.size() / 4], paired[(3 * paired.size()) / 4]);
  }
  return 0;
}
