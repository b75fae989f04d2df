#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/time_format.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "publishers/email.h"
#include "store/store.h"

namespace newsmon {
namespace {

std::string Ago(std::int64_t then, std::int64_t now) {
  if (then == 0) return "never";
  std::int64_t seconds = now - then;
  if (seconds < 120) return std::to_string(seconds) + "s ago";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m ago";
  if (seconds < 172800) return std::to_string(seconds / 3600) + "h ago";
  return std::to_string(seconds / 86400) + "d ago";
}

std::string Until(std::int64_t when, std::int64_t now) {
  if (when == 0) return "-";
  if (when <= now) return "now";
  std::int64_t seconds = when - now;
  if (seconds < 120) return "in " + std::to_string(seconds) + "s";
  if (seconds < 7200) return "in " + std::to_string(seconds / 60) + "m";
  return "in " + std::to_string(seconds / 3600) + "h";
}

std::string StateOf(const FeedStatus& feed, std::int64_t now) {
  if (feed.disabled) return "disabled since " + FormatRfc3339(feed.state_since);
  if (feed.consecutive_failures > 0) {
    return "failing x" + std::to_string(feed.consecutive_failures) + " since " +
           Ago(feed.state_since, now);
  }
  return "ok";
}

void PrintFeeds(const Config& config, const std::vector<FeedStatus>& stored, std::int64_t now) {
  std::map<std::string, const FeedStatus*> by_name;
  for (const FeedStatus& feed : stored) by_name[feed.name] = &feed;
  std::cout << std::left << std::setw(24) << "FEED" << std::setw(30) << "STATE" << std::setw(14)
            << "LAST SUCCESS" << std::setw(10) << "NEXT"
            << "LAST ERROR\n";
  for (const FeedConfig& configured : OwnedFeeds(config)) {  // a shard shows its own
    std::cout << std::setw(24) << configured.name;
    auto found = by_name.find(configured.name);
    if (found == by_name.end()) {
      std::cout << "never fetched\n";
      continue;
    }
    const FeedStatus& feed = *found->second;
    std::string error = feed.disabled ? feed.disabled.reason() : feed.last_error;
    std::cout << std::setw(30) << StateOf(feed, now) << std::setw(14) << Ago(feed.last_success, now)
              << std::setw(10) << (!feed.disabled ? Until(feed.next_due, now) : "-") << error
              << "\n";
  }
}

// How far each sink got; "behind" counts alerts of every thread after its mark, so alerts of
// threads it does not follow (or, for an e-mail digest, alerts waiting for their digest) may be
// among them. `sinks`: each sink's name and the key of its mark in the store.
void PrintSinkMarks(const std::string& title,
                    const std::vector<std::pair<std::string, std::string>>& sinks, Store& store,
                    std::int64_t last_seq) {
  if (sinks.empty()) return;
  std::cout << "\n" << std::left << std::setw(24) << title << "DELIVERED UP TO   BEHIND\n";
  for (const auto& [name, key] : sinks) {
    auto cursor = store.WebhookCursor(key);
    std::cout << std::setw(24) << name;
    if (!cursor.ok() || !*cursor) {
      std::cout << "not started\n";
      continue;
    }
    std::cout << std::setw(18) << ("#" + std::to_string(**cursor)) << (last_seq - **cursor) << "\n";
  }
}

void PrintSinks(const Config& config, Store& store, std::int64_t last_seq) {
  std::vector<std::pair<std::string, std::string>> webhooks, emails;
  for (const WebhookConfig& webhook : config.publish.webhooks) {
    webhooks.emplace_back(webhook.name, webhook.name);
  }
  for (const EmailConfig& email : config.publish.emails) {
    emails.emplace_back(email.name, EmailMarkKey(email.name));
  }
  PrintSinkMarks("WEBHOOK", webhooks, store, last_seq);
  PrintSinkMarks("EMAIL", emails, store, last_seq);
}

}  // namespace

int ShowStatus(const std::string& config_path, const std::optional<std::string>& database) {
  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  std::string path = database.value_or(config->database);
  if (path != ":memory:" && !std::filesystem::exists(path)) {
    std::cerr << "no database at " << path << " yet: has newsmon run with this config?\n";
    return 1;
  }
  auto store = Store::Open(path);
  if (!store.ok()) {
    std::cerr << store.status().message() << "\n";
    return 1;
  }
  std::int64_t now = UnixNow();
  auto feeds = (*store)->Feeds();
  auto counts = (*store)->AlertCountsSince(now - 86400);
  auto last_seq = (*store)->LastSeq();
  if (!feeds.ok() || !counts.ok() || !last_seq.ok()) {
    std::cerr << "cannot read " << path << "\n";
    return 1;
  }
  std::cout << "database " << path << ", last alert seq " << *last_seq << "\n\n";
  PrintFeeds(*config, *feeds, now);
  std::cout << "\nALERTS IN THE LAST 24 H\n";
  for (const ThreadDefinition& thread : config->threads) {
    std::int64_t count = 0;
    for (const auto& [id, n] : *counts) count += id == thread.id ? n : 0;
    std::cout << std::setw(24) << thread.id << count << "\n";
  }
  PrintSinks(*config, **store, *last_seq);
  return 0;
}

}  // namespace newsmon
