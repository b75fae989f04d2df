// The whole cycle a user pays for, timed from outside as a user would run it, against the
// tools people use (issue 14's harness; docs/performance.md).
//
// Generates N feeds (bench/generated_feeds.h), serves them with nginx from Debian on loopback
// (ETag, Last-Modified, gzip), and times `newsmon run --config GEN.toml --once` on a temp
// database: cold (empty database), warm (every feed answers 304) and with 10% of the feeds
// changed, and once more with stories turned off (what clustering costs in a whole cycle).
// newsboat (`-x reload`), Python feedparser (8 threads, conditional GET) and curl
// (--parallel, the floor) do the same work in the same run, printed as ratios to newsmon.
// Then the parse path alone on the generated set and on ../shared/corpus, the database size
// per 100,000 items, and newsmon run as a service (bench/service_scenario.h): its first cycle,
// feed-to-publish latency and idle CPU.
//
//   cycle-bench [--feeds N] [--runs R] [--peer-runs P] [--no-peers] [--floor-only] [--quick]
//               [--keep] [--idle-seconds S] [--newsmon PATH] [--corpus DIR] [--seed S]
// Exit 77 (skipped) when nginx is missing.
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_process.h"
#include "bench/generated_feeds.h"
#include "bench/service_scenario.h"
#include "feeds/feed_parser.h"

namespace newsmon::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSkipped = 77;

struct Options {
  int feeds = 1000;
  int runs = 5;
  int peer_runs = 3;
  bool peers = true;
  bool floor_only = false;  // of the peers, curl alone: newsboat takes minutes at 10,000
  bool keep = false;
  double idle_seconds = 60;  // the service scenario's quiet period
  std::uint64_t seed = 14;
  std::string newsmon = NEWSMON_BINARY;
  std::string corpus = NEWSMON_SOURCE_DIR "/../shared/corpus";
};

std::string Load() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return "load " + one + " " + five + " " + fifteen;
}

// The temp directory of one run: feeds, nginx's prefix, databases, logs.
class TempDir {
 public:
  explicit TempDir(bool keep) : keep_(keep) {
    std::string pattern = (fs::temp_directory_path() / "cycle-bench.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (keep_) {
      std::printf("kept %s\n", path_.c_str());
    } else {
      fs::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
  bool keep_;
};

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

// The first column of the first row of `sql` on a database file; -1 when it cannot be read.
std::int64_t QueryCount(const std::string& database, const std::string& sql) {
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(database.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  if (opened != SQLITE_OK) return -1;
  std::int64_t count = -1;
  sqlite3_exec(
      db.get(), sql.c_str(),
      [](void* out, int, char** values, char**) {
        *static_cast<std::int64_t*>(out) = values[0] ? std::atoll(values[0]) : 0;
        return 0;
      },
      &count, nullptr);
  return count;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A database or cache and its SQLite companions, copied so every warm or changed run starts
// from the same state the cold run left.
void CopyState(const std::string& from, const std::string& to) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ignored;
    fs::remove(to + suffix, ignored);
    if (fs::exists(from + suffix)) fs::copy_file(from + suffix, to + suffix);
  }
}

void RemoveState(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
    std::error_code ignored;
    fs::remove(path + suffix, ignored);
  }
}

// --- The tools under test: each keeps its state (database, cache, ETags) in one file.

struct Run {
  Measurement m;
  std::string check;  // what it did, or why the run does not count ("FAILED: ...")
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual std::string name() const = 0;
  virtual std::string state() const = 0;
  virtual Run Cycle(const std::string& log) = 0;
  // A peer runs --peer-runs times; newsmon in any configuration runs --runs times.
  virtual bool peer() const { return true; }
  // After the cold run: what warm and changed runs start from.
  virtual void SaveBase() { CopyState(state(), state() + ".base"); }
  virtual void RestoreBase() { CopyState(state() + ".base", state()); }
  virtual void Reset() { RemoveState(state()); }
};

class Newsmon final : public Tool {
 public:
  Newsmon(const TempDir& dir, const std::string& binary, const std::string& config,
          const std::string& name = "newsmon")
      : name_(name), database_(dir.File(name + ".db")), binary_(binary), config_(config) {}
  std::string name() const override { return name_; }
  bool peer() const override { return false; }
  std::string state() const override { return database_; }
  Run Cycle(const std::string& log) override {
    Run run{
        RunMeasured({binary_, "run", "--config", config_, "--once", "--database", database_}, log),
        ""};
    const std::int64_t items = QueryCount(database_, "SELECT COUNT(*) FROM items");
    const std::int64_t alerts = QueryCount(database_, "SELECT COUNT(*) FROM alerts");
    run.check = run.m.status == 0
                    ? std::to_string(items) + " items stored, " + std::to_string(alerts) + " alerts"
                    : "FAILED: exit " + std::to_string(run.m.status) + ", see " + log;
    return run;
  }

 private:
  std::string name_, database_, binary_, config_;
};

class Newsboat final : public Tool {
 public:
  Newsboat(const TempDir& dir, const std::string& binary, const std::string& urls)
      : dir_(dir), binary_(binary), urls_(urls), cache_(dir.File("newsboat/cache.db")) {
    fs::create_directories(dir.File("newsboat/home"));
    // reload-threads 8: the same concurrency as the feedparser peer; newsboat's default is 1.
    std::ofstream(dir.File("newsboat/config")) << "reload-threads 8\n";
  }
  std::string name() const override { return "newsboat"; }
  std::string state() const override { return cache_; }
  Run Cycle(const std::string& log) override {
    Run run{RunMeasured({binary_, "-x", "reload", "-u", urls_, "-c", cache_, "-C",
                         dir_.File("newsboat/config")},
                        log, {"HOME=" + dir_.File("newsboat/home")}),
            ""};
    const std::int64_t items = QueryCount(cache_, "SELECT COUNT(*) FROM rss_item");
    run.check = run.m.status == 0 ? std::to_string(items) + " items cached"
                                  : "FAILED: exit " + std::to_string(run.m.status) + ", see " + log;
    return run;
  }

 private:
  const TempDir& dir_;
  std::string binary_, urls_, cache_;
};

class Feedparser final : public Tool {
 public:
  Feedparser(const TempDir& dir, const std::string& python, const std::string& urls)
      : python_(python), urls_(urls), state_(dir.File("feedparser-state.json")) {}
  std::string name() const override { return "feedparser"; }
  std::string state() const override { return state_; }
  Run Cycle(const std::string& log) override {
    const auto before = fs::exists(log) ? fs::file_size(log) : 0;
    Run run{
        RunMeasured({python_, NEWSMON_SOURCE_DIR "/bench/cycle_feedparser.py", urls_, state_}, log),
        ""};
    std::string said = ReadFile(log).substr(before);
    if (!said.empty() && said.back() == '\n') said.pop_back();
    run.check = run.m.status == 0 ? said : "FAILED: " + said + ", see " + log;
    return run;
  }

 private:
  std::string python_, urls_, state_;
};

// The floor: curl fetching every URL once, 50 at a time, decompressing; its state is each
// URL's ETag from the cold run, sent as If-None-Match on the warm and changed runs.
class Curl final : public Tool {
 public:
  Curl(const TempDir& dir, const std::string& binary, std::vector<std::string> urls)
      : dir_(dir), binary_(binary), urls_(std::move(urls)), etags_(dir.File("curl-etags")) {}
  std::string name() const override { return "curl"; }
  std::string state() const override { return etags_; }
  Run Cycle(const std::string& log) override {
    const std::string config = WriteConfig();
    const std::string out = dir_.File("curl-out");
    std::error_code ignored;
    fs::remove(out, ignored);
    Run run{RunMeasured({binary_, "-K", config}, out), ""};
    std::map<std::string, int> codes;
    std::ofstream etags(etags_ + ".new");
    std::istringstream lines(ReadFile(out));
    for (std::string line; std::getline(lines, line);) {
      // "CODE URL ETAG" as write-out prints it; anything else is curl's complaint.
      std::istringstream fields(line);
      std::string code, url, etag;
      if (!(fields >> code >> url) || code.size() != 3 ||
          !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      std::getline(fields, etag);
      ++codes[code];
      if (!etag.empty()) etag.erase(0, 1);  // the space after the URL
      etags << url << '\t' << etag << '\n';
    }
    etags.close();
    if (!fs::exists(etags_)) fs::rename(etags_ + ".new", etags_);
    std::ofstream(log, std::ios::app) << ReadFile(out);
    std::string said;
    for (const auto& [code, count] : codes)
      said += "HTTP " + code + " x" + std::to_string(count) + " ";
    const bool ok = run.m.status == 0 && codes["000"] == 0;
    run.check = ok ? said : "FAILED: exit " + std::to_string(run.m.status) + " " + said;
    return run;
  }

 private:
  // curl's config file (`-K`, https://curl.se/docs/manpage.html#-K): one group per URL,
  // separated by `next`, so each can carry its own If-None-Match; parallel is global.
  std::string WriteConfig() const {
    std::map<std::string, std::string> known;
    std::istringstream saved(ReadFile(etags_));
    for (std::string line; std::getline(saved, line);) {
      const auto tab = line.find('\t');
      if (tab != std::string::npos && tab + 1 < line.size()) {
        known[line.substr(0, tab)] = line.substr(tab + 1);
      }
    }
    const std::string path = dir_.File("curl.conf");
    std::ofstream conf(path);
    // no-progress-meter: --parallel draws its meter on stderr even when silent.
    conf << "parallel\nparallel-max = 50\nno-progress-meter\n";
    for (const std::string& url : urls_) {
      if (&url != &urls_.front()) conf << "next\n";  // a trailing one would want another URL
      conf << "url = \"" << url << "\"\noutput = \"/dev/null\"\ncompressed\nsilent\n"
           << "write-out = \"%{http_code} %{url_effective} %header{etag}\\n\"\n";
      if (auto it = known.find(url); it != known.end()) {
        std::string etag = it->second;
        for (std::size_t at = etag.find('"'); at != std::string::npos;
             at = etag.find('"', at + 2)) {
          etag.insert(at, "\\");
        }
        conf << "header = \"If-None-Match: " << etag << "\"\n";
      }
    }
    return path;
  }

  const TempDir& dir_;
  std::string binary_;
  std::vector<std::string> urls_;
  std::string etags_;
};

// --- Scenarios

struct Stats {
  std::vector<Measurement> runs;
  std::string check;
  bool failed = false;
};

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

template <typename Field>
double MedianOf(const Stats& stats, Field field) {
  std::vector<double> values;
  for (const Measurement& m : stats.runs) values.push_back(static_cast<double>(field(m)));
  return Median(values);
}

enum class Scenario { kCold, kWarm, kChanged };

const char* ScenarioName(Scenario scenario) {
  switch (scenario) {
    case Scenario::kCold:
      return "cold";
    case Scenario::kWarm:
      return "warm (all 304)";
    case Scenario::kChanged:
      return "10% changed";
  }
  return "";
}

// Puts a tool's state where the scenario starts: nothing (cold) or what the cold run left.
void Prepare(Tool& tool, Scenario scenario) {
  if (scenario == Scenario::kCold) {
    tool.Reset();
  } else {
    tool.RestoreBase();
  }
}

void PrintRow(const std::string& scenario, const std::string& tool, const Stats& stats,
              const Stats* reference) {
  if (stats.runs.empty()) return;
  const double wall = MedianOf(stats, [](const Measurement& m) { return m.wall; });
  const double cpu = MedianOf(stats, [](const Measurement& m) { return m.cpu; });
  const double rss = MedianOf(stats, [](const Measurement& m) { return m.rss_kib; }) / 1024;
  std::string ratio = "";
  if (reference != nullptr && reference != &stats && !reference->runs.empty()) {
    const double base = MedianOf(*reference, [](const Measurement& m) { return m.wall; });
    char text[32];
    std::snprintf(text, sizeof text, "%.2fx", wall / base);
    ratio = text;
  }
  std::printf("%-16s %-11s %8.3f %8.3f %8.1f %9s  %zu  %s\n", scenario.c_str(), tool.c_str(), wall,
              cpu, rss, ratio.c_str(), stats.runs.size(), stats.check.c_str());
}

// Every scenario runs each tool in turn, run by run, so drifting load on a shared machine
// falls on all of them alike.
bool RunCycles(std::vector<std::unique_ptr<Tool>>& tools, const FeedSet& set,
               const Options& options, const TempDir& dir) {
  std::printf("\n%-16s %-11s %8s %8s %8s %9s  %s  %s\n", "scenario", "tool", "wall s", "cpu s",
              "rss MiB", "vs newsmon", "n", "what it did (last run)");
  bool ok = true;
  for (Scenario scenario : {Scenario::kCold, Scenario::kWarm, Scenario::kChanged}) {
    std::vector<Stats> stats(tools.size());
    for (int r = 0; r < options.runs; ++r) {
      if (scenario == Scenario::kChanged) RewriteChangedFeeds(set, options.seed, 1);
      for (std::size_t t = 0; t < tools.size(); ++t) {
        if (tools[t]->peer() && r >= options.peer_runs) continue;
        Tool& tool = *tools[t];
        Prepare(tool, scenario);
        const std::string log = dir.File(tool.name() + ".log");
        Run run = tool.Cycle(log);
        stats[t].check = run.check;
        if (run.check.rfind("FAILED", 0) == 0) stats[t].failed = true;
        stats[t].runs.push_back(run.m);
        if (scenario == Scenario::kCold) tool.SaveBase();
      }
      if (scenario == Scenario::kChanged) RewriteChangedFeeds(set, options.seed, 0);
    }
    const std::string label = std::string(ScenarioName(scenario));
    for (std::size_t t = 0; t < tools.size(); ++t) {
      PrintRow(t == 0 ? label : "", tools[t]->name(), stats[t], &stats[0]);
      if (stats[t].failed) ok = false;  // a peer that is there but fails is the harness's bug
    }
    std::printf("%-16s (%s)\n", "", Load().c_str());
    std::fflush(stdout);
  }
  return ok;
}

// --- Parse throughput: the library path the daemon uses, one core, documents in memory.

struct Parsed {
  std::uint64_t bytes = 0, items = 0, failed = 0;
  double seconds = 0;
};

Parsed ParseAll(const std::vector<std::string>& documents) {
  Parsed parsed;
  const auto start = Clock::now();
  for (const std::string& body : documents) {
    parsed.bytes += body.size();
    auto feed = ParseFeed(body, ParseOptions{});
    if (feed.ok()) {
      parsed.items += feed->items.size();
    } else {
      ++parsed.failed;
    }
  }
  parsed.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return parsed;
}

void PrintParse(const std::string& what, const std::vector<std::string>& documents, int runs) {
  std::vector<Parsed> all;
  for (int r = 0; r < runs; ++r) all.push_back(ParseAll(documents));
  std::sort(all.begin(), all.end(),
            [](const Parsed& a, const Parsed& b) { return a.seconds < b.seconds; });
  const Parsed& median = all[all.size() / 2];
  std::printf("parse %-34s %6zu docs %8.1f MB %8.1f MB/s %10.0f items/s (%llu failed; %s)\n",
              what.c_str(), documents.size(), median.bytes / 1e6,
              median.bytes / 1e6 / median.seconds, median.items / median.seconds,
              static_cast<unsigned long long>(median.failed), Load().c_str());
}

std::vector<std::string> ReadDocuments(const fs::path& root, bool corpus) {
  std::vector<std::string> documents;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    const bool feed_file = ext == ".xml" || ext == ".atom" || ext == ".rss" || ext == ".rdf";
    // JSON under corpus/feeds is JSON Feed; under news-2025 it is not a feed at all.
    if (feed_file || (corpus && ext == ".json")) documents.push_back(ReadFile(entry.path()));
  }
  return documents;
}

void ParseThroughput(const FeedSet& set, const Options& options) {
  std::printf("\n");
  PrintParse("generated set (" + std::to_string(set.feeds.size()) + " feeds)",
             ReadDocuments(fs::path(set.root) / "feeds", false), options.runs);
  const fs::path corpus(options.corpus);
  if (!fs::exists(corpus / "feeds")) {
    std::printf("parse ../shared/corpus: skipped, %s is missing\n", options.corpus.c_str());
    return;
  }
  std::vector<std::string> documents = ReadDocuments(corpus / "feeds", true);
  if (fs::exists(corpus / "news")) {
    for (std::string& doc : ReadDocuments(corpus / "news", false))
      documents.push_back(std::move(doc));
  }
  PrintParse("../shared/corpus (feeds/, news/)", documents, options.runs);
}

// --- Set-up

// service: the config of the service scenario, with /metrics on loopback and an interval no
// feed comes due in while the daemon is watched.
// stories: false turns story clustering off, to show what it costs in a whole cycle.
std::string NewsmonConfig(const TempDir& dir, const FeedSet& set, const NginxServer& nginx,
                          bool service = false, bool stories = true) {
  const std::string name = service ? "service" : stories ? "newsmon" : "no-stories";
  std::ostringstream toml;
  // join_grace: by default a run waits 1 s after binding for subscribers to (re)join before it
  // publishes, and --once waits for that too; nothing subscribes here, and the cycle, not
  // the grace, is measured (docs/performance.md says what the default adds).
  toml << "database = \"" << dir.File(name + ".db") << "\"\n"
       << "allow_private_addresses = true\n"
       << (service ? "interval = \"1d\"\n" : "")
       << "thread_files = [\"" << NEWSMON_SOURCE_DIR << "/config/threads/*.toml\"]\n\n"
       << "[publish]\nendpoint = \"ipc://" << dir.File(name + ".bus") << "\"\n"
       << "replay_endpoint = \"ipc://" << dir.File(name + ".replay") << "\"\n"
       << "join_grace = \"1ms\"\n";
  if (service) toml << "\n[metrics]\nenabled = true\nlisten = \"127.0.0.1:0\"\n";
  if (!stories) toml << "\n[stories]\nenabled = false\n";
  for (const GeneratedFeed& feed : set.feeds) {
    toml << "\n[[feed]]\nname = \"f" << feed.index << "\"\nurl = \""
         << nginx.Url(feed.host, feed.path) << "\"\n";
  }
  const std::string path =
      dir.File(service ? "SERVICE.toml" : stories ? "GEN.toml" : "GEN-no-stories.toml");
  std::ofstream(path) << toml.str();
  return path;
}

std::vector<std::unique_ptr<Tool>> MakeTools(const Options& options, const TempDir& dir,
                                             const std::string& config,
                                             const std::string& config_without_stories,
                                             const std::vector<std::string>& urls) {
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(std::make_unique<Newsmon>(dir, options.newsmon, config));
  // What stories cost in a whole cycle (issue 12's budget), beside bench/ingest-bench's
  // pipeline-only figure; left out of the large --floor-only run, where it would double the time.
  if (!options.floor_only) {
    tools.push_back(
        std::make_unique<Newsmon>(dir, options.newsmon, config_without_stories, "no-stories"));
  }
  if (!options.peers) return tools;
  const std::string urls_file = dir.File("urls");
  {
    std::ofstream out(urls_file);
    for (const std::string& url : urls) out << url << '\n';
  }
  if (options.floor_only) {
    if (auto curl = FindProgram("curl")) tools.push_back(std::make_unique<Curl>(dir, *curl, urls));
    return tools;
  }
  if (auto newsboat = FindProgram("newsboat")) {
    tools.push_back(std::make_unique<Newsboat>(dir, *newsboat, urls_file));
  } else {
    std::printf("peer newsboat: skipped, not installed (apt-get install newsboat)\n");
  }
  // Debian's python3, where python3-feedparser lives (a pyenv's python3 may be first on PATH).
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (RunMeasured({python, "-c", "import feedparser"}, dir.File("probe.log")).status == 0) {
    tools.push_back(std::make_unique<Feedparser>(dir, python, urls_file));
  } else {
    std::printf(
        "peer feedparser: skipped, python3 cannot import it (apt-get install "
        "python3-feedparser)\n");
  }
  if (auto curl = FindProgram("curl")) {
    tools.push_back(std::make_unique<Curl>(dir, *curl, urls));
  } else {
    std::printf("peer curl: skipped, not installed\n");
  }
  return tools;
}

// Extrapolated from the cold run's file, which holds the items of one cycle and their
// matches, alerts and stories: a linear estimate, not a measurement at 100,000 items.
void DatabaseSize(const TempDir& dir) {
  const std::string base = dir.File("newsmon.db.base");
  if (!fs::exists(base)) return;
  std::uint64_t bytes = fs::file_size(base);
  if (fs::exists(base + "-wal")) bytes += fs::file_size(base + "-wal");
  const std::int64_t items = QueryCount(base, "SELECT COUNT(*) FROM items");
  if (items <= 0) return;
  std::printf(
      "\ndatabase after the cold cycle: %.1f MB for %lld items -> %.0f MB per 100,000 "
      "items (extrapolated linearly)\n",
      bytes / 1e6, static_cast<long long>(items), bytes / 1e6 * 100000.0 / items);
}

bool Service(const Options& options, const TempDir& dir, const std::string& config) {
  std::printf("\nservice (newsmon run, /metrics on loopback, %s):\n", Load().c_str());
  const ServiceFigures f = RunService(options.newsmon, config, dir.File("service.db"),
                                      options.feeds, options.idle_seconds, dir.File("service.log"));
  if (!f.error.empty()) {
    std::printf("  FAILED: %s\n", f.error.c_str());
    return false;
  }
  std::printf("  first cycle (start-up included): %.2f s wall, %ld alerts\n", f.cycle_wall,
              f.alerts);
  std::printf(
      "  feed-to-publish (response collected -> alert on the bus): p50 %.2f ms, p99 %.2f ms, "
      "slowest <= %g s\n",
      f.p50 * 1e3, f.p99 * 1e3, f.max_bound);
  std::printf("  idle: %.3f s CPU in %.1f s = %.3f%% of a core; peak RSS %.1f MiB\n",
              f.idle_cpu, f.idle_seconds, 100.0 * f.idle_cpu / f.idle_seconds,
              f.rss_kib / 1024.0);
  return true;
}

Options ParseOptionsOrDie(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--feeds" && has_value) {
      options.feeds = std::atoi(argv[++i]);
    } else if (arg == "--runs" && has_value) {
      options.runs = std::atoi(argv[++i]);
    } else if (arg == "--peer-runs" && has_value) {
      options.peer_runs = std::atoi(argv[++i]);
    } else if (arg == "--newsmon" && has_value) {
      options.newsmon = argv[++i];
    } else if (arg == "--corpus" && has_value) {
      options.corpus = argv[++i];
    } else if (arg == "--seed" && has_value) {
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--no-peers") {
      options.peers = false;
    } else if (arg == "--floor-only") {
      options.floor_only = true;
    } else if (arg == "--idle-seconds" && has_value) {
      options.idle_seconds = std::atof(argv[++i]);
    } else if (arg == "--keep") {
      options.keep = true;
    } else if (arg == "--quick") {
      options.feeds = 20;
      options.runs = options.peer_runs = 1;
      options.idle_seconds = 1;
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--feeds N] [--runs R] [--peer-runs P] [--no-peers] [--floor-only] [--quick] "
          "[--keep] [--idle-seconds S] [--newsmon PATH] [--corpus DIR] [--seed S]\n",
          argv[0]);
      std::exit(2);
    }
  }
  if (options.feeds < 1 || options.runs < 1 || options.peer_runs < 1 ||
      !(options.idle_seconds > 0)) {
    std::fprintf(stderr,
                 "cycle-bench: --feeds, --runs, --peer-runs and --idle-seconds must be positive\n");
    std::exit(2);
  }
  options.peer_runs = std::min(options.peer_runs, options.runs);
  return options;
}

int Main(int argc, char** argv) {
  const Options options = ParseOptionsOrDie(argc, argv);
  const auto nginx_binary = FindProgram("nginx");
  if (!nginx_binary) {
    std::printf("cycle-bench: skipped, nginx is not installed (apt-get install nginx-light)\n");
    return kSkipped;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a long run shows its rows as they come
  std::printf("cycle-bench: %s\n", Load().c_str());
  TempDir dir(options.keep);
  const auto generating = Clock::now();
  const FeedSet set = GenerateFeeds(dir.File("www"), options.feeds, options.seed);
  std::printf("%d feeds (RSS 2.0 and Atom, %d items each), %.1f MB of XML, generated in %.2f s\n",
              options.feeds, kItemsPerFeed, set.bytes / 1e6,
              std::chrono::duration<double>(Clock::now() - generating).count());
  const int hosts = (options.feeds + kFeedsPerHost - 1) / kFeedsPerHost;
  NginxServer nginx(*nginx_binary, dir.File("nginx"), set.root, hosts);
  std::printf("nginx on %d loopback hosts (127.3.x.y:%d), %d feeds each, gzip, ETag\n", hosts,
              nginx.port(), kFeedsPerHost);
  std::vector<std::string> urls;
  for (const GeneratedFeed& feed : set.feeds) urls.push_back(nginx.Url(feed.host, feed.path));
  const std::string config = NewsmonConfig(dir, set, nginx);
  auto tools =
      MakeTools(options, dir, config, NewsmonConfig(dir, set, nginx, false, false), urls);
  std::printf("newsmon: %d runs per scenario, peers: %d; medians\n", options.runs,
              options.peer_runs);
  const bool ok = RunCycles(tools, set, options, dir);
  DatabaseSize(dir);
  ParseThroughput(set, options);
  const bool served = Service(options, dir, NewsmonConfig(dir, set, nginx, true));
  std::printf("cycle-bench: %s\n", Load().c_str());
  return ok && served ? 0 : 1;
}

}  // namespace
}  // namespace newsmon::bench

int main(int argc, char** argv) {
  try {
    return newsmon::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cycle-bench: %s\n", e.what());
    return 1;
  }
}
