#include "daemon/commands.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time_format.h"
#include "core/unique_fd.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "feeds/feed_parser.h"
#include "publishers/curve.h"

namespace newsmon {
namespace {

// Signals are blocked before any thread starts (ZeroMQ's included) and read from a
// signalfd in the main loop, so no handler runs at an arbitrary point.
UniqueFd BlockSignalsIntoFd() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return UniqueFd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
}

// Each feed in flight holds a socket, and systemd's default soft limit (1,024) is far
// below thousands of feeds; curl and ZeroMQ poll rather than select(), so descriptors
// above 1,024 are safe to use. Raised before the fetcher sizes its connection budget.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("cannot raise the open-file limit");
}

Result<Config> LoadConfigOrPrint(const std::string& path) {
  auto config = LoadConfig(path);
  if (!config.ok()) std::cerr << config.status().message() << "\n";
  return config;
}

nlohmann::json OptionalTime(const std::optional<std::int64_t>& time) {
  if (!time) return nullptr;
  return FormatRfc3339(*time);
}

std::string Dump(const nlohmann::json& json, int indent = -1) {
  return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int RunDaemon(const RunOptions& options) {
  auto log_format = ParseLogFormat(options.log_format);
  if (!log_format.ok()) {
    std::cerr << log_format.status().message() << "\n";
    return 1;
  }
  // A write to a closed pipe or socket must fail with EPIPE, not end the daemon: its log on
  // a pipe whose reader quit (`newsmon run 2>&1 | less`, then q), a peer that went away.
  // systemd ignores SIGPIPE for its services; a daemon run by hand or by cron did not.
  std::signal(SIGPIPE, SIG_IGN);
  SetUpLogging(*log_format);
  UniqueFd signal_fd = BlockSignalsIntoFd();
  auto config = LoadConfig(options.config);
  if (!config.ok()) {
    spdlog::critical("invalid configuration:\n{}", config.status().message());
    return 1;
  }
  RaiseDescriptorLimit();
  ConfigOverrides overrides{options.database, options.publish, options.replay, options.once};
  auto daemon = Daemon::Create(std::move(config).value(), std::move(overrides));
  if (!daemon.ok()) {
    spdlog::critical("{}", daemon.status().message());
    return 1;
  }
  Status status = (*daemon)->Run(signal_fd.get());
  if (!status.ok()) {
    spdlog::critical("{}", status.message());
    return 1;
  }
  return 0;
}

int CheckConfig(const std::string& config_path) {
  auto config = LoadConfigOrPrint(config_path);
  if (!config.ok()) return 1;
  if (Status keys = LoadCurveKeys(*config); !keys.ok()) {
    std::cerr << keys.message() << "\n";
    return 1;
  }
  auto classifier = Classifier::Build(config->threads);
  if (!classifier.ok()) {
    std::cerr << classifier.status().message() << "\n";
    return 1;
  }
  // What `run` would refuse, check-config refuses: it is how an operator tries a config.
  if (Status feeds = RequireFeeds(*config); !feeds.ok()) {
    std::cerr << feeds.message() << "\n";
    return 1;
  }
  std::cout << config_path << ": ok (" << config->feeds.size() << " feeds, "
            << config->threads.size() << " threads)\n";
  if (config->shard) std::cout << DescribeShare(*config) << "\n";
  return 0;
}

int ParseFile(const std::string& path, const std::string& content_type) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::cerr << path << ": cannot open file\n";
    return 1;
  }
  std::stringstream body;
  body << file.rdbuf();
  auto parsed = ParseFeed(body.str(), {"file://" + path, content_type, UnixNow()});
  if (!parsed.ok()) {
    std::cerr << path << ": " << parsed.status().message() << "\n";
    return 1;
  }
  nlohmann::json items = nlohmann::json::array();
  for (const Item& item : parsed->items) {
    // The file's own date or null: the fetch-time fallback the daemon uses means nothing here.
    nlohmann::json published = item.published_estimated ? nullptr : OptionalTime(item.published);
    items.push_back({{"id", item.id},
                     {"title", item.title},
                     {"link", item.link},
                     {"published", published},
                     {"summary", item.summary}});
  }
  nlohmann::json out = {{"format", parsed->format},
                        {"title", parsed->title},
                        {"link", parsed->link},
                        {"items", items},
                        {"warnings", parsed->warnings}};
  std::cout << Dump(out, 2) << "\n";
  return 0;
}

int KeyGen(const std::string& name, const std::string& directory) {
  auto keys = GenerateCurveKeyPair();
  if (!keys.ok()) {
    std::cerr << "newsmon keygen: " << keys.status().message() << "\n";
    return 1;
  }
  auto written = WriteCurveCertificates(directory, name, *keys);
  if (!written.ok()) {
    std::cerr << "newsmon keygen: " << written.status().message() << "\n";
    return 1;
  }
  std::cout << "public key " << keys->public_key << "\n"
            << "wrote " << (*written)[0] << " (public: give it to the other side)\n"
            << "wrote " << (*written)[1] << " (secret: keep it, mode 0600)\n";
  return 0;
}

}  // namespace newsmon
