#include "bench/service_scenario.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include "bench/bench_process.h"

namespace newsmon::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Bucket {
  double upper = 0;  // +Inf as infinity
  double cumulative = 0;
};

struct Scrape {
  double fetches = 0;
  double published = 0;  // the latency histogram's count: alerts sent on the bus
  std::vector<Bucket> buckets;
};

double ValueAfter(const std::string& line) { return std::strtod(line.c_str() + line.rfind(' '), nullptr); }

Scrape ParseExposition(const std::string& text) {
  Scrape scrape;
  const std::string bucket = "newsmon_feed_to_publish_seconds_bucket{le=\"";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("newsmon_fetches_total{", 0) == 0) {
      scrape.fetches += ValueAfter(line);
    } else if (line.rfind("newsmon_feed_to_publish_seconds_count ", 0) == 0) {
      scrape.published = ValueAfter(line);
    } else if (line.rfind(bucket, 0) == 0) {
      const std::string le = line.substr(bucket.size(), line.find('"', bucket.size()) - bucket.size());
      const double upper =
          le == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(le.c_str(), nullptr);
      scrape.buckets.push_back({upper, ValueAfter(line)});
    }
  }
  return scrape;
}

// As Prometheus's histogram_quantile: linear within the bucket that holds the rank; a rank in
// the +Inf bucket gets the highest finite bound.
double Quantile(double q, const std::vector<Bucket>& buckets) {
  if (buckets.empty() || buckets.back().cumulative <= 0) return 0;
  const double rank = q * buckets.back().cumulative;
  double lower = 0, below = 0;
  for (const Bucket& b : buckets) {
    if (b.cumulative >= rank) {
      if (b.upper == std::numeric_limits<double>::infinity()) return lower;
      if (b.cumulative == below) return b.upper;
      return lower + (b.upper - lower) * (rank - below) / (b.cumulative - below);
    }
    lower = b.upper;
    below = b.cumulative;
  }
  return lower;
}

double MaxBound(const std::vector<Bucket>& buckets) {
  double below = 0;
  for (const Bucket& b : buckets) {
    if (b.cumulative == buckets.back().cumulative && b.cumulative > below) return b.upper;
    below = b.cumulative;
  }
  return 0;
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

// -1 when the database cannot be read yet (the daemon is creating it).
long Count(const std::string& database, const char* sql) {
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(database.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  if (opened != SQLITE_OK) return -1;
  sqlite3_busy_timeout(db.get(), 1000);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &statement, nullptr) != SQLITE_OK) return -1;
  long count = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
  sqlite3_finalize(statement);
  return count;
}

// The daemon logs "metrics on http://127.0.0.1:PORT/metrics" once its listener is bound.
int MetricsPort(const std::string& log) {
  std::ifstream in(log);
  const std::string marker = "metrics on http://127.0.0.1:";
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(marker);
    if (at != std::string::npos) return std::atoi(line.c_str() + at + marker.size());
  }
  return 0;
}

bool Exited(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == pid;
}

// user + system seconds of a running process, from /proc/PID/stat (fields 14 and 15).
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // the name may hold spaces
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long PeakRssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

void Stop(pid_t pid) {
  kill(pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!Exited(pid)) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Polls until every feed was fetched once and every stored alert is on the bus (and in the
// histogram). Returns the scrape that showed it, or an error.
std::pair<Scrape, std::string> AwaitCycle(pid_t pid, const std::string& database, int feeds,
                                          const std::string& log) {
  const auto deadline = Clock::now() + std::chrono::minutes(30);
  int port = 0;
  while (Clock::now() < deadline) {
    if (Exited(pid)) return {{}, "newsmon exited during its first cycle, see " + log};
    if (port == 0) port = MetricsPort(log);
    if (port != 0) {
      httplib::Client client("127.0.0.1", port);
      if (auto response = client.Get("/metrics"); response && response->status == 200) {
        Scrape scrape = ParseExposition(response->body);
        const long stored = Count(database, "SELECT COUNT(*) FROM alerts");
        if (scrape.fetches >= feeds && stored >= 0 && scrape.published == stored) {
          return {scrape, ""};
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {{}, "newsmon did not finish its first cycle in 30 minutes, see " + log};
}

}  // namespace

ServiceFigures RunService(const std::string& newsmon, const std::string& config,
                          const std::string& database, int feeds, double idle_seconds,
                          const std::string& log) {
  ServiceFigures figures;
  const auto start = Clock::now();
  const pid_t pid = SpawnLogged({newsmon, "run", "--config", config, "--database", database}, log);
  auto [scrape, error] = AwaitCycle(pid, database, feeds, log);
  if (!error.empty()) {
    Stop(pid);
    figures.error = error;
    return figures;
  }
  figures.cycle_wall = std::chrono::duration<double>(Clock::now() - start).count();
  figures.alerts = static_cast<long>(scrape.published);
  figures.p50 = Quantile(0.5, scrape.buckets);
  figures.p99 = Quantile(0.99, scrape.buckets);
  figures.max_bound = MaxBound(scrape.buckets);
  const double cpu_before = CpuSeconds(pid);
  const auto idle_start = Clock::now();
  // A measured window, not a wait for a condition: nothing is due in it.
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_seconds));
  figures.idle_cpu = CpuSeconds(pid) - cpu_before;
  figures.idle_seconds = std::chrono::duration<double>(Clock::now() - idle_start).count();
  figures.rss_kib = PeakRssKib(pid);
  Stop(pid);
  return figures;
}

}  // namespace newsmon::bench
