// The parts of the daemon that exist once per process, opened from the config at start;
// the config and threads may be swapped underneath them by a reload.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "classifiers/classifier.h"
#include "core/curl_multi.h"
#include "core/env.h"
#include "core/status.h"
#include "daemon/config.h"
#include "daemon/loop.h"
#include "feeds/fetcher.h"
#include "publishers/bus_context.h"
#include "publishers/email.h"
#include "publishers/metrics.h"
#include "publishers/publisher.h"
#include "publishers/replay.h"
#include "publishers/webhook.h"
#include "store/database_lock.h"
#include "store/store.h"

namespace newsmon {

// Members are destroyed bottom-up, so each part is declared after what it uses.
struct Parts {
  std::optional<DatabaseLock> database_lock;  // first: held until everything else is closed
  std::unique_ptr<Store> store;
  // The one curl multi driver and the loop's Waiter; the sinks and the fetcher add to it.
  std::unique_ptr<CurlMulti> curl;
  std::vector<std::unique_ptr<WebhookSink>> webhooks;
  std::vector<std::unique_ptr<EmailSink>> emails;
  std::unique_ptr<Fetcher> fetcher;
  std::unique_ptr<BusContext> bus;  // before the sockets in it: they close first
  std::unique_ptr<Publisher> publisher;
  std::unique_ptr<ReplayServer> replay;
  std::shared_ptr<const Classifier> classifier;
  std::unique_ptr<Metrics> metrics = std::make_unique<Metrics>();
  // Read by the metrics listener's thread for /healthz: up and serving, and turning.
  std::shared_ptr<std::atomic<bool>> ready = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<LoopProgress> progress = std::make_shared<LoopProgress>();
  std::unique_ptr<MetricsServer> metrics_server;  // after metrics: stopped before it goes
};

// How long the loop may be past due before /healthz says it is stuck: ten times a slow
// turn (a 16 MiB feed parses in about a second), and well inside a 30 s WatchdogSec.
inline constexpr std::chrono::seconds kLoopStallLimit{10};

// /healthz: not ready before the loop starts and after it stops, nor while it is more than
// kLoopStallLimit past due ("the main loop has not turned for 21 s").
Health DaemonHealth(bool ready, const LoopProgress& progress, Clock::TimePoint now);

Result<Parts> OpenParts(const Config& config, Env& env);
// Also used by a reload that changed [[publish.webhook]].
Result<std::unique_ptr<WebhookSink>> OpenWebhook(const WebhookConfig& webhook, Store& store,
                                                 CurlMulti& curl, Env& env);
// Also used by a reload that changed [[publish.email]]; reads its password_file.
Result<std::unique_ptr<EmailSink>> OpenEmail(const EmailConfig& email, Store& store,
                                             CurlMulti& curl, Env& env);

}  // namespace newsmon
