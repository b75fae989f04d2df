// The parts of the daemon that exist once per process, opened from the config at start;
// the config and threads may be swapped underneath them by a reload.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "classifiers/classifier.h"
#include "core/curl_multi.h"
#include "core/env.h"
#include "core/status.h"
#include "daemon/config.h"
#include "feeds/fetcher.h"
#include "publishers/bus_context.h"
#include "publishers/metrics.h"
#include "publishers/publisher.h"
#include "publishers/replay.h"
#include "publishers/webhook.h"
#include "store/store.h"

namespace newsmon {

// Members are destroyed bottom-up, so each part is declared after what it uses.
struct Parts {
  std::unique_ptr<Store> store;
  // The one curl multi driver and the loop's Waiter; the sinks and the fetcher add to it.
  std::unique_ptr<CurlMulti> curl;
  std::vector<std::unique_ptr<WebhookSink>> webhooks;
  std::unique_ptr<Fetcher> fetcher;
  std::unique_ptr<BusContext> bus;  // before the sockets in it: they close first
  std::unique_ptr<Publisher> publisher;
  std::unique_ptr<ReplayServer> replay;
  std::shared_ptr<const Classifier> classifier;
  std::unique_ptr<Metrics> metrics = std::make_unique<Metrics>();
  // Read by the metrics listener's thread for /healthz.
  std::shared_ptr<std::atomic<bool>> ready = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<MetricsServer> metrics_server;  // after metrics: stopped before it goes
};

Result<Parts> OpenParts(const Config& config, Env& env);
// Also used by a reload that changed [[publish.webhook]].
Result<std::unique_ptr<WebhookSink>> OpenWebhook(const WebhookConfig& webhook, Store& store,
                                                 CurlMulti& curl, Env& env);

}  // namespace newsmon
