#include "daemon/parts.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "daemon/feed_book.h"

namespace newsmon {
namespace {

void WarnIfExposed(const std::string& endpoint, bool curve) {
  if (curve || !IsExposedEndpoint(endpoint)) return;
  spdlog::warn(
      "{} is reachable from other machines and CURVE is off: anyone who can connect "
      "reads every alert. Set curve_secret_key and curve_authorized_keys in [publish] "
      "(keys from 'newsmon keygen'), or bind to 127.0.0.1",
      endpoint);
}

Status OpenBus(const Config& config, Parts& parts) {
  std::optional<CurveServerOptions> curve;
  if (config.publish.curve) {
    curve =
        CurveServerOptions{config.publish.curve->server, config.publish.curve->authorized_clients};
  }
  for (const std::string& endpoint : {config.publish.endpoint, config.publish.replay_endpoint}) {
    if (curve && !CurveCovers(endpoint)) {
      return Status::Error(endpoint +
                           ": CURVE does not secure multicast or udp transports; "
                           "use tcp:// with CURVE, or turn CURVE off");
    }
  }
  auto bus = BusContext::Create(curve);
  if (!bus.ok()) return bus.status();
  parts.bus = std::move(bus).value();
  auto publisher = Publisher::Bind({config.publish.endpoint}, *parts.bus);
  if (!publisher.ok()) return publisher.status();
  parts.publisher = std::move(publisher).value();
  auto replay = ReplayServer::Bind(config.publish.replay_endpoint, *parts.store, *parts.bus,
                                   config.shard ? config.shard->Label() : "");
  if (!replay.ok()) return replay.status();
  parts.replay = std::move(replay).value();
  WarnIfExposed(config.publish.endpoint, parts.bus->curve());
  WarnIfExposed(config.publish.replay_endpoint, parts.bus->curve());
  if (parts.bus->curve()) {
    spdlog::info("bus: CURVE on, {} authorised client keys from {}",
                 config.publish.curve->authorized_clients.size(),
                 config.publish.curve->authorized_keys_dir);
  }
  return Status::Ok();
}

// The first line of the file: an editor's trailing newline is not part of the password.
Result<std::string> ReadPasswordFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IoError("cannot read password_file " + path);
  std::string password;
  std::getline(file, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) return Status::InvalidInput("password_file " + path + " is empty");
  return password;
}

std::string Joined(const std::vector<std::string>& words) {
  std::string joined;
  for (const std::string& word : words) joined += (joined.empty() ? "" : ", ") + word;
  return joined;
}

}  // namespace

Result<Parts> OpenParts(const Config& config, Env& env) {
  Parts parts;
  auto classifier = Classifier::Build(config.threads);
  if (!classifier.ok()) return classifier.status();
  parts.classifier = *classifier;
  auto lock = DatabaseLock::Acquire(config.database);
  if (!lock.ok()) return lock.status();
  parts.database_lock = std::move(lock).value();
  auto store = Store::Open(config.database, config.shard ? config.shard->Label() : "");
  if (!store.ok()) return store.status();
  parts.store = std::move(store).value();
  auto curl = CurlMulti::Create(env.address_lifetime);
  if (!curl.ok()) return curl.status();
  parts.curl = std::move(curl).value();
  for (const WebhookConfig& webhook : config.publish.webhooks) {
    auto sink = OpenWebhook(webhook, *parts.store, *parts.curl, env);
    if (!sink.ok()) return sink.status();
    parts.webhooks.push_back(std::move(sink).value());
  }
  for (const EmailConfig& email : config.publish.emails) {
    auto sink = OpenEmail(email, *parts.store, *parts.curl, env);
    if (!sink.ok()) return sink.status();
    parts.emails.push_back(std::move(sink).value());
  }
  FetchOptions fetch_options;
  fetch_options.allow_file_urls = config.allow_file_urls;
  fetch_options.allow_private_addresses = config.allow_private_addresses;
  auto fetcher = Fetcher::Create(fetch_options, *parts.curl);
  if (!fetcher.ok()) return fetcher.status();
  parts.fetcher = std::move(fetcher).value();
  if (Status s = OpenBus(config, parts); !s.ok()) return s;
  if (config.metrics.enabled) {
    auto server =
        MetricsServer::Start(config.metrics.listen, *parts.metrics,
                             [ready = parts.ready, progress = parts.progress, &clock = env.clock] {
                               return DaemonHealth(ready->load(), *progress, clock.Now());
                             });
    if (!server.ok()) return server.status();
    parts.metrics_server = std::move(server).value();
    spdlog::info("metrics on http://{}/metrics", parts.metrics_server->address());
  }
  return parts;
}

Health DaemonHealth(bool ready, const LoopProgress& progress, Clock::TimePoint now) {
  if (!ready) return {false, ""};
  const Clock::Duration overdue = progress.Overdue(now);
  if (overdue <= kLoopStallLimit) return {true, ""};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(overdue).count();
  return {false, "the main loop has not turned for " + std::to_string(seconds) + " s"};
}

Result<std::unique_ptr<WebhookSink>> OpenWebhook(const WebhookConfig& webhook, Store& store,
                                                 CurlMulti& curl, Env& env) {
  WebhookOptions options;
  options.name = webhook.name;
  options.url = webhook.url;
  options.secret = webhook.secret;
  options.threads = webhook.threads;
  options.format = WebhookFormatNamed(webhook.format).value_or(WebhookFormat::kJson);
  options.chat_id = webhook.chat_id;
  auto sink = WebhookSink::Create(options, store, curl, env);
  if (!sink.ok()) return sink.status().WithContext("webhook '" + webhook.name + "': ");
  std::string threads;
  for (const std::string& thread : webhook.threads)
    threads += (threads.empty() ? "" : ", ") + thread;
  // The host only: webhook URLs often carry a token in their path or query.
  spdlog::info("webhook '{}' posts {} alerts to {}", webhook.name,
               threads.empty() ? "all" : threads, HostOf(webhook.url));
  return sink;
}

Result<std::unique_ptr<EmailSink>> OpenEmail(const EmailConfig& email, Store& store,
                                             CurlMulti& curl, Env& env) {
  EmailOptions options;
  options.name = email.name;
  options.url = email.url;
  options.from = email.from;
  options.to = email.to;
  options.threads = email.threads;
  options.starttls = email.starttls;
  options.username = email.username;
  options.password = email.password;
  options.ca_file = email.ca_file;
  options.digest = email.digest;
  options.timeout = email.timeout;
  if (!email.password_file.empty()) {
    auto password = ReadPasswordFile(email.password_file);
    if (!password.ok()) return password.status().WithContext("email '" + email.name + "': ");
    options.password = *password;
  }
  auto sink = EmailSink::Create(options, store, curl, env);
  if (!sink.ok()) return sink;
  const std::string every =
      email.digest.count() == 0
          ? "each"
          : "a digest every " + std::to_string(email.digest.count() / 60000) + " min of";
  // Neither the username nor the password: the host is enough to tell sinks apart.
  spdlog::info("email '{}' mails {} {} alert to {} through {}", email.name, every,
               email.threads.empty() ? "every thread's" : Joined(email.threads) + "'s",
               Joined(email.to), HostOf(email.url));
  return sink;
}

}  // namespace newsmon
