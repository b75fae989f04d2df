#include "daemon/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <set>

#include "core/ascii.h"
#include "core/time_format.h"
#include "core/unique_fd.h"
#include "daemon/burst_watch.h"
#include "daemon/feed_book.h"
#include "daemon/heartbeat.h"
#include "daemon/loop.h"
#include "daemon/outbox.h"
#include "daemon/parts.h"
#include "daemon/pipeline.h"
#include "daemon/publish_latency.h"
#include "daemon/retention.h"
#include "daemon/service_notifier.h"

namespace newsmon {
namespace {

// run --once waits this long after its last fetch for failing sinks before it exits.
constexpr std::chrono::milliseconds kWebhookPatience{std::chrono::seconds(30)};

std::string ShardLabel(const Config& config) { return config.shard ? config.shard->Label() : ""; }

std::string Headline(const nlohmann::json& alert) {
  if (alert.is_object() && alert.contains("burst") && alert["burst"].is_object()) {
    return "burst: " + std::to_string(alert["burst"].value("stories", 0)) + " new stories";
  }
  if (!alert.is_object() || !alert.contains("item")) return "";
  const auto& item = alert["item"];
  return "\"" + item.value("title", "") + "\" (" + item.value("feed", "") + ")";
}

class DaemonImpl final : public Daemon {
 public:
  DaemonImpl(Config config, ConfigOverrides overrides, Parts parts, Env& env)
      : env_(env),
        config_(std::move(config)),
        overrides_(std::move(overrides)),
        parts_(std::move(parts)),
        pipeline_(*parts_.store, parts_.classifier),
        feeds_(env.random),
        outbox_(*parts_.store, *parts_.publisher, env.clock, env.random),
        heartbeat_(
            *parts_.publisher, [this] { return HeartbeatSeqsNow(); }, parts_.store->DatabaseId(),
            env.clock, env.clock.Now(), ShardLabel(config_)),
        retention_(
            [this](std::int64_t cutoff, std::size_t batch) {
              return parts_.store->PruneItemsBefore(cutoff, batch);
            },
            env.clock),
        wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

  Status Run(int signal_fd) override {
    Clock::TimePoint start = env_.clock.Now();
    ReplaceFeeds(config_, start);
    spdlog::info(
        "newsmon running: {} feeds, {} threads, database {}, publishing on {}, "
        "replay on {}",
        feeds_.feeds().size(), config_.threads.size(), config_.database,
        parts_.publisher->endpoint(), config_.publish.replay_endpoint);
    LogShare(config_);
    if (&env_ == &Env::Default()) LogSeed();
    if (Status s = StartStories(); !s.ok()) return s;
    if (Status s = bursts_.Start(config_.threads, env_.clock.UnixSeconds()); !s.ok()) {
      return s.WithContext("cannot read the threads' story history: ");
    }
    SeedFeedMetrics();
    // What the store holds at start may have been written by a run that crashed before its
    // sync: one sync, and the sinks may deliver all of it.
    if (Status s = outbox_.SyncStored(); !s.ok()) {
      spdlog::error("outbox: cannot sync the stored alerts: {}; sinks wait for the next sync",
                    s.message());
    }
    for (AlertSink* sink : Sinks()) sink->Notify(outbox_.durable_through());
    parts_.ready->store(true);
    // Alerts stored before a crash, and the first poll's, wait for subscribers to (re)join.
    publish_from_ = start + config_.publish.join_grace;
    heartbeat_.Reschedule(publish_from_);
    next_watchdog_ = start;
    notifier_.Ready();
    Loop loop(env_.clock, *parts_.curl);
    loop.ShareProgress(parts_.progress);
    RegisterWithLoop(loop, signal_fd);
    if (overrides_.once) StartCycle();
    StartDueFetches(start);
    while (!stop_requested_.load() && !CycleComplete()) {
      if (Status s = loop.Turn(); !s.ok()) return s;
    }
    parts_.ready->store(false);
    notifier_.Stopping();
    spdlog::info("newsmon stopped");
    return Status::Ok();
  }

  // --once: the cycle waits for every feed that is not disabled to be fetched once.
  void StartCycle() {
    for (const FeedState& feed : feeds_.feeds()) {
      if (!feed.disabled) awaiting_.insert(feed.config.name);
    }
    if (awaiting_.empty()) EndCycle();
  }

  void FeedFetchedInCycle(const std::string& name) {
    if (!overrides_.once || cycle_end_) return;
    awaiting_.erase(name);
    if (awaiting_.empty()) EndCycle();
  }

  // Every feed is in: updates of stories go out now rather than at their window's end.
  void EndCycle() {
    cycle_end_ = env_.clock.Now();
    if (config_.stories.enabled) {
      if (auto flushed = parts_.store->FlushStoryUpdates(env_.clock.UnixSeconds(), 0);
          !flushed.ok()) {
        spdlog::error("cannot store story updates: {}", flushed.status().message());
      }
      ScheduleStoryUpdates();
    }
  }

  // Done when everything stored is on the bus and every sink has it, or 30 s after the last
  // fetch for a sink that fails or holds a digest: its alerts wait, durable, for the next run.
  bool CycleComplete() {
    if (!overrides_.once || !cycle_end_ || !joined_) return false;
    auto unsent = parts_.store->UnsentCount();
    if (!unsent.ok() || *unsent > 0) return false;
    auto last = parts_.store->LastSeq();
    if (!last.ok()) return false;
    std::vector<std::string> behind;
    for (AlertSink* sink : Sinks()) {
      if (sink->state().cursor < *last) behind.push_back(sink->name());
    }
    if (!behind.empty() && env_.clock.Now() < *cycle_end_ + kWebhookPatience) return false;
    for (const std::string& name : behind) {
      spdlog::warn("sink '{}' has not delivered every alert; the next run goes on with them", name);
    }
    spdlog::info("one cycle done: {} feeds fetched, alerts published up to #{}",
                 feeds_.feeds().size(), *last);
    return true;
  }

  // The jitter of a run can be replayed with its seed; a seed that is not a number is refused.
  static void LogSeed() {
    const std::string seed = std::to_string(Env::DefaultSeed());
    const char* asked = std::getenv("NEWSMON_SEED");
    if (asked != nullptr && *asked != '\0' && seed != asked) {
      spdlog::warn("NEWSMON_SEED='{}' is not a whole number; the seed is {}", asked, seed);
    }
    spdlog::info("jitter seed {} (NEWSMON_SEED={} replays it)", seed, seed);
  }

  void Stop() override {
    stop_requested_.store(true);
    Wake();
  }

  void RequestReload() override {
    reload_requested_.store(true);
    Wake();
  }

 private:
  void Wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(wake_fd_.get(), &one, sizeof one);
  }

  // The parts' registrations, in the order they run after each wait: the wake-up fd, then
  // signals (a SIGHUP sets reload_requested_), the webhook and e-mail sinks, a reload, the bus's
  // authenticator and replay (edge-triggered ZMQ_FDs: served every turn), finished fetches and
  // new ones, the outbox, and the timers (heartbeat, retention, watchdog).
  void RegisterWithLoop(Loop& loop, int signal_fd) {
    loop.Add({"wake", [this] { return std::vector<WaitFd>{{wake_fd_.get()}}; }, nullptr,
              [this](std::span<const WaitFd> ready, Clock::TimePoint) {
                if (ready[0].readable) DrainWakeFd();
              }});
    if (signal_fd >= 0) {
      loop.Add({"signals", [signal_fd] { return std::vector<WaitFd>{{signal_fd}}; }, nullptr,
                [this, signal_fd](std::span<const WaitFd> ready, Clock::TimePoint) {
                  if (ready[0].readable) HandleSignals(signal_fd);
                }});
    }
    loop.Add({"sinks", nullptr, [this] { return SinksDeadline(); },
              [this](std::span<const WaitFd>, Clock::TimePoint now) {
                for (AlertSink* sink : Sinks()) sink->Pump(now);
              }});
    loop.Add({"reload", nullptr, nullptr, [this](std::span<const WaitFd>, Clock::TimePoint) {
                if (reload_requested_.exchange(false)) Reload();
              }});
    loop.Add({"authenticator", [this] { return AuthenticatorFds(); }, nullptr,
              [this](std::span<const WaitFd>, Clock::TimePoint) {
                for (const std::string& refusal : parts_.bus->ServeAuthentication()) {
                  spdlog::warn("{}", refusal);
                }
              }});
    loop.Add({"replay", [this] { return std::vector<WaitFd>{{parts_.replay->fd()}}; },
              [this]() -> std::optional<Clock::TimePoint> {
                if (!parts_.replay->has_pending()) return std::nullopt;
                return env_.clock.Now();  // the rest of a flood, next turn
              },
              [this](std::span<const WaitFd>, Clock::TimePoint) {
                if (std::size_t served = parts_.replay->ServePending(outbox_.durable_through())) {
                  parts_.metrics->RecordReplayRequests(served);
                }
              }});
    // curl's own sockets are in the Waiter (the curl driver); here: what finished, what is due.
    loop.Add({"feeds", nullptr, [this] { return FeedsDeadline(); },
              [this](std::span<const WaitFd>, Clock::TimePoint now) {
                // Every response collected in this turn arrived by now; each waits behind the
                // ones before it, and that wait is part of what the latency shows.
                const Clock::TimePoint arrival = env_.clock.Now();
                for (const FetchResponse& response : parts_.fetcher->Collect()) {
                  HandleResponse(response, arrival);
                }
                StartDueFetches(now);
              }});
    loop.Add({"stories", nullptr, [this] { return next_story_update_; },
              [this](std::span<const WaitFd>, Clock::TimePoint now) {
                if (next_story_update_ && now >= *next_story_update_) FlushStoryUpdates();
              }});
    loop.Add({"outbox", nullptr, [this] { return OutboxDeadline(); },
              [this](std::span<const WaitFd>, Clock::TimePoint now) { Publish(now); }});
    // --once: wakes when its patience with failing sinks ends (Run checks after each turn).
    // Only until then: a deadline in the past made every turn a 0 ms wait, spinning a core
    // for as long as an alert could not be sent (a full disk, a locked database); after it
    // the outbox's and the sinks' own retries wake the loop.
    loop.Add({"once", nullptr,
              [this]() -> std::optional<Clock::TimePoint> {
                if (!cycle_end_) return std::nullopt;
                const Clock::TimePoint patience_end = *cycle_end_ + kWebhookPatience;
                if (env_.clock.Now() >= patience_end) return std::nullopt;
                return patience_end;
              },
              [](std::span<const WaitFd>, Clock::TimePoint) {}});
    loop.Add({"timers", nullptr, [this] { return NextTimer(); },
              [this](std::span<const WaitFd>, Clock::TimePoint now) { Tick(now); }});
  }

  // Stories are rebuilt from the store before the first fetch, so the first items after a
  // restart join the stories they belong to.
  Status StartStories() {
    if (!config_.stories.enabled) return Status::Ok();
    Status started = pipeline_.TrackStories(StoryClusterer::Create(), RulesOf(config_),
                                            env_.clock.UnixSeconds(), StoryOptions{}.window);
    if (!started.ok()) return started.WithContext("cannot rebuild the open stories: ");
    ScheduleStoryUpdates();
    return Status::Ok();
  }

  static StoryRules RulesOf(const Config& config) {
    return {std::chrono::duration_cast<std::chrono::seconds>(config.stories.update_window).count(),
            ThreadsFollowingStories(config.threads)};
  }

  void FlushStoryUpdates() {
    const std::int64_t window = RulesOf(config_).update_window;
    if (auto seqs = parts_.store->FlushStoryUpdates(env_.clock.UnixSeconds(), window); !seqs.ok()) {
      spdlog::error("cannot store story updates: {}", seqs.status().message());
      next_story_update_ = env_.clock.Now() + std::chrono::seconds(10);
      return;
    }
    ScheduleStoryUpdates();
  }

  // The next waiting update, as a point on the loop's clock.
  void ScheduleStoryUpdates() {
    next_story_update_.reset();
    if (!config_.stories.enabled) return;
    const std::int64_t window = RulesOf(config_).update_window;
    auto due = parts_.store->NextStoryUpdateDue(window);
    if (!due.ok()) {
      spdlog::error("cannot read waiting story updates: {}", due.status().message());
      next_story_update_ = env_.clock.Now() + std::chrono::seconds(10);
      return;
    }
    if (!*due) return;
    // No update waits longer than its window: a time far ahead (stored while the clock was
    // set decades ahead) overflowed the time point into the past, and the loop spun.
    next_story_update_ =
        env_.clock.Now() +
        std::chrono::seconds(std::clamp<std::int64_t>(**due - env_.clock.UnixSeconds(), 0,
                                                      std::max<std::int64_t>(window, 1)));
  }

  // A transfer that could not start is done at once: collected next turn, without sleeping.
  std::optional<Clock::TimePoint> FeedsDeadline() const {
    if (parts_.fetcher->has_finished()) return env_.clock.Now();
    return feeds_.NextDue();
  }

  // Every sink the outbox feeds: the webhooks, then the e-mail sinks.
  std::vector<AlertSink*> Sinks() const {
    std::vector<AlertSink*> sinks;
    for (const auto& sink : parts_.webhooks) sinks.push_back(sink.get());
    for (const auto& sink : parts_.emails) sinks.push_back(sink.get());
    return sinks;
  }

  std::optional<Clock::TimePoint> SinksDeadline() const {
    std::optional<Clock::TimePoint> earliest;
    for (AlertSink* sink : Sinks()) {
      if (auto due = sink->NextDeadline(); due && (!earliest || *due < *earliest)) earliest = due;
    }
    return earliest;
  }

  std::vector<WaitFd> AuthenticatorFds() const {
    if (parts_.bus->authenticator_fd() < 0) return {};
    return {{parts_.bus->authenticator_fd()}};
  }

  Clock::TimePoint NextTimer() const {
    Clock::TimePoint deadline = std::min(heartbeat_.next(), retention_.next());
    if (notifier_.watchdog_interval()) deadline = std::min(deadline, next_watchdog_);
    return deadline;
  }

  static void LogShare(const Config& config) {
    if (!config.shard) return;
    if (OwnedFeeds(config).empty()) return spdlog::warn("{}", DescribeShare(config));
    spdlog::info("{}", DescribeShare(config));
  }

  // A feed the store knows as gone stays disabled until the config gives it a new URL; one it
  // knows as failing keeps its backoff (FeedBook::Replace).
  void ReplaceFeeds(const Config& config, Clock::TimePoint now) {
    const std::int64_t unix_now = env_.clock.UnixSeconds();
    feeds_.Replace(OwnedFeeds(config), PolicyOf(config), now, [&](const FeedConfig& feed) {
      StoredPoll stored;
      auto state = parts_.store->FetchState(feed.name);
      if (!state.ok() || state->config_url != feed.url) return stored;
      stored.disabled = state->disabled;
      stored.failures = state->consecutive_failures;
      if (!state->url.empty() && state->url != feed.url) stored.moved_to = state->url;
      // Compared in seconds before any conversion: a stored value is anything a file held.
      if (state->next_due > unix_now && state->next_due - unix_now < 7 * 24 * 3600) {
        stored.due = now + std::chrono::seconds(state->next_due - unix_now);
      }
      return stored;
    });
    for (const FeedState& feed : feeds_.feeds()) {
      if (feed.disabled) {
        spdlog::warn("feed '{}' stays disabled: {}", feed.config.name, feed.disabled.reason());
      }
    }
  }

  void StartDueFetches(Clock::TimePoint now) {
    for (const FeedConfig& feed : feeds_.StartDue(now)) {
      FetchRequest request{feed.name, feed.url, "", ""};
      // What the store knows of the feed holds for the URL the config named then: another URL
      // is asked afresh (a site's feeds may share an ETag, and a 304 would hide the new one's
      // items), and a 301/308 of the old one no longer applies.
      if (auto state = parts_.store->FetchState(feed.name);
          state.ok() && state->config_url == feed.url) {
        request.etag = state->validators.etag;
        request.last_modified = state->validators.last_modified;
        if (!state->url.empty()) request.url = state->url;
      }
      spdlog::debug("feed '{}': fetching {}", feed.name, UrlForLog(request.url));
      parts_.fetcher->Start(std::move(request));
    }
  }

  void DrainWakeFd() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto got = read(wake_fd_.get(), &count, sizeof count);
  }

  void HandleSignals(int signal_fd) {
    signalfd_siginfo info{};
    while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      int signal = static_cast<int>(info.ssi_signo);
      if (signal == SIGTERM || signal == SIGINT) {
        spdlog::info("received {}, stopping", strsignal(signal));
        stop_requested_.store(true);
      } else if (signal == SIGHUP) {
        reload_requested_.store(true);
      }
    }
  }

  // A valid new config replaces feeds and threads between two feeds' ingestion; an
  // invalid one is logged and the daemon keeps running on the old one.
  void Reload() {
    notifier_.Reloading();
    spdlog::info("reloading {}", config_.path);
    auto fresh = LoadConfig(config_.path);
    if (fresh.ok()) KeepRunningCurve(*fresh);
    Status keys = fresh.ok() ? RequireFeeds(*fresh) : fresh.status();
    if (keys.ok()) keys = LoadCurveKeys(*fresh);
    auto classifier = keys.ok() ? Classifier::Build(fresh->threads)
                                : Result<std::shared_ptr<const Classifier>>(keys);
    if (!classifier.ok()) {
      spdlog::error("reload rejected, still running the previous configuration:\n{}",
                    classifier.status().message());
    } else {
      Apply(std::move(fresh).value(), *classifier);
    }
    notifier_.Ready();
  }

  void Apply(Config fresh, std::shared_ptr<const Classifier> classifier) {
    overrides_.ApplyTo(fresh);
    WarnAboutRestartOnlySettings(fresh);
    fresh.shard = config_.shard;  // its heartbeats and replay answers name it
    pipeline_.SetClassifier(std::move(classifier));
    pipeline_.SetStoryRules(RulesOf(fresh));
    bursts_.SetThreads(fresh.threads, env_.clock.UnixSeconds());
    for (const FeedConfig& old : config_.feeds) {
      bool kept = std::any_of(fresh.feeds.begin(), fresh.feeds.end(),
                              [&](const FeedConfig& feed) { return feed.name == old.name; });
      if (!kept) parts_.metrics->RemoveFeed(old.name);
    }
    ReplaceFeeds(fresh, env_.clock.Now());
    if (fresh.publish.curve)
      parts_.bus->SetAuthorizedClients(fresh.publish.curve->authorized_clients);
    if (fresh.publish.webhooks != config_.publish.webhooks &&
        !ReplaceSinks(config_.publish.webhooks, fresh.publish.webhooks, parts_.webhooks,
                      [this](const WebhookConfig& webhook) {
                        return OpenWebhook(webhook, *parts_.store, *parts_.curl, env_);
                      })) {
      fresh.publish.webhooks = config_.publish.webhooks;  // so the next reload tries again
    }
    if (fresh.publish.emails != config_.publish.emails &&
        !ReplaceSinks(config_.publish.emails, fresh.publish.emails, parts_.emails,
                      [this](const EmailConfig& email) {
                        return OpenEmail(email, *parts_.store, *parts_.curl, env_);
                      })) {
      fresh.publish.emails = config_.publish.emails;
    }
    for (AlertSink* sink : Sinks()) sink->Notify(outbox_.durable_through());
    fresh.database = config_.database;
    fresh.stories.enabled = config_.stories.enabled;
    fresh.publish.endpoint = config_.publish.endpoint;
    fresh.publish.replay_endpoint = config_.publish.replay_endpoint;
    config_ = std::move(fresh);
    spdlog::info("reloaded: {} feeds, {} threads", feeds_.feeds().size(), config_.threads.size());
    LogShare(config_);
  }

  // The bus's sockets take CURVE and the server key when they bind, so a reload can only
  // change which clients are admitted; anything else waits for a restart, and until then
  // the config keeps saying what actually runs.
  void KeepRunningCurve(Config& fresh) const {
    const auto& running = config_.publish.curve;
    auto& wanted = fresh.publish.curve;
    bool same_key = running && wanted && running->secret_key_file == wanted->secret_key_file;
    if (running.has_value() != wanted.has_value() || (running && !same_key)) {
      spdlog::warn(
          "turning CURVE on or off, or a new curve_secret_key, takes effect after a "
          "restart; a reload only re-reads curve_authorized_keys");
    }
    if (!running) {
      wanted.reset();
    } else if (!same_key) {
      std::string clients = wanted ? wanted->authorized_keys_dir : running->authorized_keys_dir;
      std::uint32_t line = wanted ? wanted->authorized_keys_line : running->authorized_keys_line;
      wanted = running;
      wanted->authorized_keys_dir = clients;
      wanted->authorized_keys_line = line;
    }
  }

  // Sinks whose settings did not change keep running (their transfer in flight, backoff and
  // waiting digests); new or changed ones start from their stored mark. Nothing changes if one
  // cannot open.
  template <typename SinkConfig, typename Sink, typename Open>
  static bool ReplaceSinks(const std::vector<SinkConfig>& running_configs,
                           const std::vector<SinkConfig>& wanted,
                           std::vector<std::unique_ptr<Sink>>& running, Open open) {
    auto unchanged = [&](const SinkConfig& config) -> std::unique_ptr<Sink>* {
      if (std::find(running_configs.begin(), running_configs.end(), config) ==
          running_configs.end()) {
        return nullptr;
      }
      for (auto& sink : running) {
        if (sink && sink->name() == config.name) return &sink;
      }
      return nullptr;
    };
    std::vector<std::unique_ptr<Sink>> sinks;
    for (const SinkConfig& config : wanted) {
      if (unchanged(config)) {
        sinks.push_back(nullptr);  // taken below, once every new one has opened
        continue;
      }
      auto sink = open(config);
      if (!sink.ok()) {
        spdlog::error("reload: sinks unchanged: {}", sink.status().message());
        return false;
      }
      sinks.push_back(std::move(sink).value());
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (!sinks[i]) sinks[i] = std::move(*unchanged(wanted[i]));
    }
    running = std::move(sinks);
    return true;
  }

  void WarnAboutRestartOnlySettings(const Config& fresh) const {
    if (fresh.database != config_.database || fresh.publish.endpoint != config_.publish.endpoint ||
        fresh.publish.replay_endpoint != config_.publish.replay_endpoint ||
        fresh.allow_file_urls != config_.allow_file_urls ||
        fresh.stories.enabled != config_.stories.enabled || fresh.shard != config_.shard) {
      spdlog::warn(
          "changes to database, endpoints, shard, allow_file_urls or [stories] enabled take "
          "effect after a restart");
    }
  }

  void HandleResponse(const FetchResponse& response, Clock::TimePoint arrival) {
    if (!feeds_.FetchIsCurrent(response.feed)) {
      // A reload removed the feed, or gave it another URL, while it was being fetched: the
      // answer is for a URL the config no longer names. Its host's place is freed (held, no
      // other feed of that host would be fetched again), and the feed's new URL is due now.
      feeds_.Abandon(response.feed, env_.clock.Now());
      return;
    }
    std::string config_url = feeds_.Find(response.feed)->config.url;
    IngestReport report = pipeline_.Ingest(response, config_url, env_.clock.UnixSeconds());
    publish_latency_.Arrived(report.alert_seqs, arrival);
    FeedFetchedInCycle(response.feed);
    if (report.new_items > 0 && config_.stories.enabled) ScheduleStoryUpdates();
    for (const std::string& warning : report.warnings) {
      spdlog::warn("feed '{}': {}", response.feed, warning);
    }
    if (report.moved) {
      feeds_.MovedTo(response.feed, response.effective_url);
      spdlog::warn(
          "feed '{}' moved permanently to {}; fetching it there from now on (update "
          "the config to silence this)",
          response.feed, UrlForLog(response.effective_url));
    }
    // The feed's <ttl> and the server's max-age are both "do not ask again before".
    auto cache_floor = response.max_age;
    if (report.ttl && (!cache_floor || *report.ttl > *cache_floor)) cache_floor = report.ttl;
    FetchOutcome outcome{report.status, report.disabled, report.new_items > 0, response.retry_after,
                         cache_floor};
    if (response.retry_after) {
      spdlog::warn("feed '{}': server asks to retry after {} s; pausing its host", response.feed,
                   response.retry_after->count());
    }
    FeedChange change = feeds_.Finish(response.feed, outcome, env_.clock.Now());
    LogOutcome(response.feed, response.url, report, change);
    RecordNextDue(response.feed);
    RecordFetchMetrics(response, report);
    // An alert goes out as soon as it is stored, not after the rest of the turn's feeds: its
    // sync costs one fsync per feed that raised alerts (a few in a thousand), while the
    // alerts of a thousand feeds collected at once would otherwise wait for all of them.
    if (!report.alert_seqs.empty() && joined_) DrainOutbox();
  }

  void RecordFetchMetrics(const FetchResponse& response, const IngestReport& report) {
    using Outcome = Metrics::FetchOutcome;
    Outcome outcome = !report.status.ok()   ? Outcome::kError
                      : report.not_modified ? Outcome::kNotModified
                                            : Outcome::kOk;
    parts_.metrics->RecordFetch(response.feed, outcome, response.body.size(), response.duration);
    parts_.metrics->RecordItems(response.feed, report.new_items, report.updated_items);
    if (report.status.ok())
      parts_.metrics->SetFeedLastSuccess(response.feed, env_.clock.UnixSeconds());
  }

  void SeedFeedMetrics() {
    auto stored = parts_.store->Feeds();
    if (!stored.ok()) return;
    for (const FeedStatus& feed : *stored) {
      if (feed.last_success > 0 && feeds_.Find(feed.name)) {
        parts_.metrics->SetFeedLastSuccess(feed.name, feed.last_success);
      }
    }
  }

  // For `newsmon status`, which reads the database while the daemon runs, and for a restart,
  // which keeps a failing feed's retry (FeedBook::Replace).
  void RecordNextDue(const std::string& name) {
    const FeedState* feed = feeds_.Find(name);
    if (!feed || feed->disabled) return;
    auto from_now =
        std::chrono::duration_cast<std::chrono::seconds>(feed->next_due - env_.clock.Now());
    if (Status s = parts_.store->RecordNextDue(name, env_.clock.UnixSeconds() + from_now.count());
        !s.ok()) {
      // `newsmon status` reads it, and a restart for a failing feed's retry; this run polls
      // the feed on time all the same.
      spdlog::debug("feed '{}': cannot record its next poll: {}", name, s.message());
    }
  }

  void LogOutcome(const std::string& name, const std::string& url, const IngestReport& report,
                  FeedChange change) {
    switch (change) {
      case FeedChange::kDisabled:
        spdlog::error(
            "feed '{}' ({}) disabled: the server says it is gone (HTTP 410); change "
            "its URL or remove it from the config",
            name, UrlForLog(url));
        return;
      case FeedChange::kStartedFailing:
      case FeedChange::kErrorChanged:
        spdlog::error("feed '{}' ({}): {}", name, UrlForLog(url), report.status.message());
        return;
      case FeedChange::kRecovered:
        spdlog::info("feed '{}' recovered", name);
        break;
      case FeedChange::kNone:
        if (!report.status.ok()) {
          spdlog::debug("feed '{}' still failing: {}", name, report.status.message());
          return;
        }
    }
    spdlog::debug("feed '{}': {} items, {} new, {} updated, {} alerts{}", name, report.items_seen,
                  report.new_items, report.updated_items, report.alert_seqs.size(),
                  report.not_modified ? " (not modified)" : "");
  }

  std::optional<Clock::TimePoint> OutboxDeadline() const {
    if (!joined_) return publish_from_;
    return outbox_.NextRetry();
  }

  // The first message of a run is a heartbeat, so subscribers learn which database the seqs
  // that follow count in before they see one.
  void Publish(Clock::TimePoint now) {
    if (now < publish_from_) return;
    if (!joined_) {
      joined_ = true;
      heartbeat_.Tick(now, config_.publish.heartbeat);
    }
    DrainOutbox();
  }

  // A burst found while sending goes out in the same call: it is stored, then drained.
  void DrainOutbox() {
    for (int pass = 0; pass < 2; ++pass) {
      OutboxDrain drain = outbox_.Drain();
      if (drain.pending) {
        for (AlertSink* sink : Sinks()) sink->Notify(outbox_.durable_through());
      }
      for (const OutboxEntry& entry : drain.sent) {
        // Parsed once here for the log line, the metrics and the burst detector.
        auto alert = nlohmann::json::parse(entry.body, nullptr, false);
        spdlog::info("alert #{} {} {}", entry.seq, entry.topic, Headline(alert));
        RecordAlertMetrics(entry, alert);
        bursts_.Observe(alert);
        last_alert_ = entry.topic + " #" + std::to_string(entry.seq);
      }
      if (drain.sent.empty() || bursts_.StoreBursts(env_.clock.UnixSeconds()) == 0) return;
    }
  }

  void RecordAlertMetrics(const OutboxEntry& entry, const nlohmann::json& alert) {
    auto waited = publish_latency_.Published(entry.seq, env_.clock.Now());
    if (!alert.is_object()) return;
    parts_.metrics->RecordAlert(entry.topic.substr(entry.topic.find('.') + 1),
                                alert.value("kind", "new"));
    if (waited) {
      parts_.metrics->RecordPublishLatency(*waited);
      return;
    }
    std::int64_t detected = ParseRfc3339(alert.value("detected_at", ""));
    if (detected > 0)
      parts_.metrics->RecordPublishLatency(
          std::chrono::seconds(env_.clock.UnixSeconds() - detected));
  }

  void UpdateGauges() {
    parts_.metrics->SetFeedsInBackoff(feeds_.failing());
    if (auto unsent = parts_.store->UnsentCount(); unsent.ok()) {
      parts_.metrics->SetOutboxBacklog(static_cast<std::size_t>(*unsent));
    }
    if (auto size = parts_.store->SizeBytes(); size.ok()) {
      parts_.metrics->SetDatabaseBytes(static_cast<std::uint64_t>(*size));
    }
    UpdateWebhookGauges();
  }

  // What replay answers (stored and on disk, as ReplayReply's last_seq), so a subscriber
  // can tell a database restored from an older copy from a heartbeat, when replay cannot say.
  Result<HeartbeatSeqs> HeartbeatSeqsNow() {
    auto published = outbox_.PublishedThrough();
    if (!published.ok()) return published.status();
    auto stored = parts_.store->LastSeq();
    if (!stored.ok()) return stored.status();
    const std::int64_t replayable = std::min(*stored, outbox_.durable_through());
    return HeartbeatSeqs{*published, std::max(*published, replayable)};
  }

  void UpdateWebhookGauges() {
    auto last_seq = parts_.store->LastSeq();
    if (!last_seq.ok()) return;
    parts_.metrics->SetWebhooks(GaugesOf(parts_.webhooks, *last_seq));
    parts_.metrics->SetEmailSinks(GaugesOf(parts_.emails, *last_seq));
  }

  template <typename Sinks>
  static std::vector<Metrics::SinkGauges> GaugesOf(const Sinks& sinks, std::int64_t last_seq) {
    std::vector<Metrics::SinkGauges> gauges;
    for (const auto& sink : sinks) {
      SinkState state = sink->state();
      gauges.push_back({sink->name(), last_seq - state.cursor, state.failing});
    }
    return gauges;
  }

  void Tick(Clock::TimePoint now) {
    if (joined_ && heartbeat_.Tick(now, config_.publish.heartbeat)) {
      notifier_.Status(StatusLine());
      UpdateGauges();
    }
    retention_.Tick(now, config_.retention);
    if (auto interval = notifier_.watchdog_interval(); interval && now >= next_watchdog_) {
      next_watchdog_ = now + *interval;
      notifier_.WatchdogPing();
    }
  }

  std::string StatusLine() const {
    return std::to_string(feeds_.feeds().size()) + " feeds, " + std::to_string(feeds_.failing()) +
           " failing; last alert: " + (last_alert_.empty() ? "none" : last_alert_);
  }

  Env& env_;
  Config config_;
  ConfigOverrides overrides_;
  Parts parts_;
  Pipeline pipeline_;
  FeedBook feeds_;
  Outbox outbox_;
  BurstWatch bursts_{*parts_.store};
  Heartbeat heartbeat_;
  Retention retention_;
  ServiceNotifier notifier_;
  UniqueFd wake_fd_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  std::set<std::string> awaiting_;             // --once: feeds not yet fetched
  std::optional<Clock::TimePoint> cycle_end_;  // --once: when the last of them was
  Clock::TimePoint publish_from_;              // the end of the join grace
  bool joined_ = false;                        // the grace is over: publishing
  Clock::TimePoint next_watchdog_;
  std::optional<Clock::TimePoint> next_story_update_;
  std::string last_alert_;
  PublishLatency publish_latency_;
};

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Create(Config config, ConfigOverrides overrides, Env& env) {
  overrides.ApplyTo(config);
  if (Status s = RequireFeeds(config); !s.ok()) return s;
  if (Status s = LoadCurveKeys(config); !s.ok()) return s;
  auto parts = OpenParts(config, env);
  if (!parts.ok()) return parts.status();
  return std::unique_ptr<Daemon>(std::make_unique<DaemonImpl>(
      std::move(config), std::move(overrides), std::move(parts).value(), env));
}

}  // namespace newsmon
