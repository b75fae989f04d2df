#include "daemon/daemon.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <atomic>
#include <csignal>

#include "core/time_format.h"
#include "daemon/pipeline.h"
#include "daemon/scheduler.h"
#include "daemon/unique_fd.h"
#include "feeds/fetcher.h"
#include "publishers/publisher.h"
#include "publishers/replay.h"
#include "store/store.h"

namespace newsmon {
namespace {

using Clock = Scheduler::Clock;
using std::chrono::milliseconds;

constexpr std::size_t kOutboxBatch = 1000;

struct FeedRuntime {
  int consecutive_failures = 0;
  bool in_flight = false;
};

class DaemonImpl final : public Daemon {
 public:
  DaemonImpl(Config config, std::unique_ptr<Store> store, std::unique_ptr<Fetcher> fetcher,
             std::unique_ptr<Publisher> publisher, std::unique_ptr<ReplayServer> replay,
             std::shared_ptr<const Classifier> classifier)
      : config_(std::move(config)),
        store_(std::move(store)),
        fetcher_(std::move(fetcher)),
        publisher_(std::move(publisher)),
        replay_(std::move(replay)),
        pipeline_(*store_, std::move(classifier)),
        feeds_(config_.feeds.size()),
        wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

  Status Run(int signal_fd) override {
    spdlog::info("newsmon running: {} feeds, {} threads, database {}, publishing on {}, "
                 "replay on {}",
                 config_.feeds.size(), config_.threads.size(), config_.database,
                 publisher_->endpoint(), config_.publish.replay_endpoint);
    DrainOutbox();  // alerts stored before a crash go out first
    Clock::time_point start = Clock::now();
    for (std::size_t i = 0; i < config_.feeds.size(); ++i) scheduler_.Schedule(i, start);
    next_heartbeat_ = start;
    while (!stop_requested_.load()) {
      if (Status s = Step(signal_fd); !s.ok()) return s;
    }
    spdlog::info("newsmon stopped");
    return Status::Ok();
  }

  void Stop() override {
    stop_requested_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(wake_fd_.get(), &one, sizeof one);
  }

 private:
  Status Step(int signal_fd) {
    Clock::time_point now = Clock::now();
    StartDueFetches(now);
    std::vector<WaitFd> fds = {{wake_fd_.get()}, {replay_->fd()}};
    if (signal_fd >= 0) fds.push_back({signal_fd});
    if (Status s = fetcher_->Wait(fds, TimeUntilNextDeadline(now)); !s.ok()) return s;
    if (signal_fd >= 0 && fds.back().readable) HandleSignal(signal_fd);
    replay_->ServePending();
    for (const FetchResponse& response : fetcher_->Collect()) HandleResponse(response);
    DrainOutbox();
    MaybeHeartbeat(Clock::now());
    return Status::Ok();
  }

  milliseconds TimeUntilNextDeadline(Clock::time_point now) const {
    Clock::time_point deadline = next_heartbeat_;
    if (auto due = scheduler_.NextDue()) deadline = std::min(deadline, *due);
    auto wait = std::chrono::ceil<milliseconds>(deadline - now);
    return std::clamp(wait, milliseconds(0), milliseconds(60'000));
  }

  void StartDueFetches(Clock::time_point now) {
    for (std::size_t index : scheduler_.PopDue(now)) {
      const FeedConfig& feed = config_.feeds[index];
      auto validators = store_->Validators(feed.name);
      FetchRequest request{feed.name, feed.url, "", ""};
      if (validators.ok()) {
        request.etag = validators->etag;
        request.last_modified = validators->last_modified;
      }
      feeds_[index].in_flight = true;
      spdlog::debug("feed '{}': fetching {}", feed.name, feed.url);
      fetcher_->Start(std::move(request));
    }
  }

  void HandleSignal(int signal_fd) {
    signalfd_siginfo info{};
    while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
        spdlog::info("received {}, stopping", strsignal(static_cast<int>(info.ssi_signo)));
        stop_requested_.store(true);
      } else if (info.ssi_signo == SIGHUP) {
        spdlog::warn("SIGHUP received: reloading the configuration is not supported yet; "
                     "restart newsmon to apply changes");
      }
    }
  }

  std::size_t FeedIndex(const std::string& name) const {
    for (std::size_t i = 0; i < config_.feeds.size(); ++i) {
      if (config_.feeds[i].name == name) return i;
    }
    return config_.feeds.size();
  }

  void HandleResponse(const FetchResponse& response) {
    std::size_t index = FeedIndex(response.feed);
    if (index == config_.feeds.size()) return;
    IngestReport report = pipeline_.Ingest(response, UnixNow());
    LogReport(config_.feeds[index], report);
    FeedRuntime& runtime = feeds_[index];
    runtime.in_flight = false;
    runtime.consecutive_failures = report.status.ok() ? 0 : runtime.consecutive_failures + 1;
    milliseconds interval = config_.feeds[index].interval.value_or(config_.default_interval);
    milliseconds delay = runtime.consecutive_failures == 0
                             ? interval
                             : BackoffDelay(interval, runtime.consecutive_failures);
    scheduler_.Schedule(index, Clock::now() + delay);
  }

  void LogReport(const FeedConfig& feed, const IngestReport& report) {
    for (const std::string& warning : report.warnings) {
      spdlog::warn("feed '{}': {}", feed.name, warning);
    }
    if (!report.status.ok()) {
      spdlog::error("feed '{}' ({}): {}", feed.name, feed.url, report.status.message());
    } else if (report.not_modified) {
      spdlog::debug("feed '{}': not modified", feed.name);
    } else {
      spdlog::debug("feed '{}': {} items, {} new, {} alerts", feed.name, report.items_seen,
                    report.new_items, report.alert_seqs.size());
    }
  }

  void DrainOutbox() {
    auto pending = store_->UnsentAlerts(kOutboxBatch);
    if (!pending.ok()) {
      spdlog::error("outbox: {}", pending.status().message());
      return;
    }
    for (const OutboxEntry& entry : *pending) {
      if (Status s = publisher_->Send(entry.topic, entry.body); !s.ok()) {
        spdlog::warn("alert #{} not sent yet: {}", entry.seq, s.message());
        return;
      }
      spdlog::info("alert #{} {} {}", entry.seq, entry.topic, Headline(entry.body));
      if (Status s = store_->MarkSent(entry.seq, UnixNow()); !s.ok()) {
        spdlog::error("outbox: {}", s.message());
        return;
      }
    }
  }

  static std::string Headline(const std::string& body);

  void MaybeHeartbeat(Clock::time_point now) {
    if (now < next_heartbeat_) return;
    next_heartbeat_ = now + config_.publish.heartbeat;
    auto last = store_->LastSeq();
    if (!last.ok()) return;
    publisher_->Send(kHeartbeatTopic, HeartbeatJson(*last, UnixNow()));
  }

  Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<ReplayServer> replay_;
  Pipeline pipeline_;
  Scheduler scheduler_;
  std::vector<FeedRuntime> feeds_;
  UniqueFd wake_fd_;
  std::atomic<bool> stop_requested_{false};
  Clock::time_point next_heartbeat_;
};

std::string DaemonImpl::Headline(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return "";
  const auto& item = json["item"];
  return "\"" + item.value("title", "") + "\" (" + item.value("feed", "") + ")";
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Create(Config config) {
  auto classifier = Classifier::Build(config.threads);
  if (!classifier.ok()) return classifier.status();
  auto store = Store::Open(config.database);
  if (!store.ok()) return store.status();
  FetchOptions fetch_options;
  fetch_options.allow_file_urls = config.allow_file_urls;
  auto fetcher = Fetcher::Create(fetch_options);
  if (!fetcher.ok()) return fetcher.status();
  auto publisher = Publisher::Bind({config.publish.endpoint});
  if (!publisher.ok()) return publisher.status();
  auto replay = ReplayServer::Bind(config.publish.replay_endpoint, **store);
  if (!replay.ok()) return replay.status();
  return std::unique_ptr<Daemon>(std::make_unique<DaemonImpl>(
      std::move(config), std::move(store).value(), std::move(fetcher).value(),
      std::move(publisher).value(), std::move(replay).value(), std::move(classifier).value()));
}

}  // namespace newsmon
