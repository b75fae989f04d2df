// The daemon's configuration file (TOML): feeds, the bus, the database and the thread
// files. Every problem is reported as "FILE:LINE: message" so an operator can fix it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "classifiers/classifier.h"
#include "core/status.h"
#include "daemon/shard.h"
#include "publishers/curve.h"

namespace newsmon {

struct FeedConfig {
  std::string name;
  std::string url;
  std::optional<std::chrono::milliseconds> interval;  // unset: the default interval
  // As written in the file, before a relative file:// URL is resolved: what shards hash, so
  // that every shard's config, wherever it lies, puts the feed on the same shard.
  std::string written_url = {};
  const std::string& ShardKey() const { return written_url.empty() ? url : written_url; }
};

// CURVE on the bus: where the daemon's key pair and the admitted clients' keys are, and,
// once LoadCurveKeys() has read them, the keys. Only the daemon and check-config read
// them, so `status` or `classify` work for users who may not read the secret key.
struct CurveConfig {
  std::string secret_key_file;      // a NAME.key_secret written by `newsmon keygen`
  std::string authorized_keys_dir;  // the clients' NAME.key files
  std::uint32_t secret_key_line = 0;
  std::uint32_t authorized_keys_line = 0;
  CurveKeyPair server;
  std::vector<std::string> authorized_clients;
};

struct WebhookConfig {
  std::string name;  // the key of its delivered mark
  std::string url;
  std::string secret;                // signs each body (HMAC-SHA256); empty: unsigned
  std::vector<std::string> threads;  // empty: every thread
  std::string format = "json";       // json, slack, discord, teams, ntfy, telegram
  std::string chat_id;               // telegram only
  bool operator==(const WebhookConfig&) const = default;
};

// An e-mail sink (publishers/email.h); docs/alerts.md, "E-mail".
struct EmailConfig {
  std::string name;  // the key of its mailed mark
  std::string url;   // smtp://HOST[:PORT] or smtps://HOST[:PORT]
  std::string from;
  std::vector<std::string> to;
  std::vector<std::string> threads;  // empty: every thread
  bool starttls = true;              // smtp:// only: STARTTLS required
  std::string username;              // empty: no AUTH
  std::string password;
  // Resolved against the config's folder and read when the sink opens, so commands that read
  // the config for its threads or database do not need to read the secret.
  std::string password_file;
  // Resolved likewise; checked readable (CheckCaFile) when the config is read, for a relay
  // with an internal CA. Empty: the system's CAs.
  std::string ca_file;
  std::chrono::milliseconds digest{0};  // 0: one message per alert
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  bool operator==(const EmailConfig&) const = default;
};

struct PublishConfig {
  std::string endpoint = "tcp://127.0.0.1:5556";
  std::string replay_endpoint = "tcp://127.0.0.1:5557";
  std::chrono::milliseconds heartbeat{5000};
  // Nothing is published this long after the bind, so subscribers that were connected to the
  // daemon before it (re)started have reconnected (ZeroMQ retries every 100 ms) and see the
  // first alerts.
  std::chrono::milliseconds join_grace{1000};
  std::optional<CurveConfig> curve;
  std::vector<WebhookConfig> webhooks;
  std::vector<EmailConfig> emails;
};

// Stories (docs/stories.md): items of all feeds that report one event, alerted once per
// thread as `new`, then as coalesced `update`s when more sources join.
struct StoriesConfig {
  bool enabled = true;  // false: every matching item alerts as `new`, as before stories
  std::chrono::milliseconds update_window{std::chrono::minutes(10)};
};

struct MetricsConfig {
  bool enabled = false;
  std::string listen = "127.0.0.1:9464";
};

struct Config {
  std::string path;      // the file it was read from
  std::string database;  // resolved against the config file's folder
  // Set: this daemon polls only the feeds that hash to it (docs/scaling.md); restart-only.
  std::optional<Shard> shard;
  bool allow_file_urls = false;
  bool allow_private_addresses = false;
  // Set: every feed without its own interval is polled this often. Unset: each adapts to
  // how often it changes, within [min_interval, max_interval].
  std::optional<std::chrono::milliseconds> default_interval;
  std::chrono::milliseconds min_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds max_interval{std::chrono::hours(1)};
  int max_per_host = 2;                                              // requests in flight per host
  std::chrono::milliseconds retention{std::chrono::hours(24 * 90)};  // items' text and matches
  PublishConfig publish;
  MetricsConfig metrics;
  StoriesConfig stories;
  std::vector<FeedConfig> feeds;
  std::vector<ThreadDefinition> threads;
};

// Command-line flags that win over the file, also after a reload.
struct ConfigOverrides {
  std::optional<std::string> database;
  std::optional<std::string> publish;
  std::optional<std::string> replay;
  // `run --once`: fetch every feed once, store and publish what they bring, then return.
  bool once = false;
  void ApplyTo(Config& config) const;
};

// More than any list of feeds needs (10,000 feeds take about 1.5 MB); what is read of a
// config, so one naming /dev/zero or a huge file costs no more (core/bounded_read.h).
inline constexpr std::size_t kMaxConfigFileBytes = 16 << 20;

// On failure the Status message holds one "FILE:LINE: message" line per problem found.
Result<Config> LoadConfig(const std::string& path);
// What `run`, a reload and check-config need beyond a readable config: at least one feed.
// (`classify`, `status` and `suggest-terms` read a config for its threads or database only.)
Status RequireFeeds(const Config& config);
// The feeds this daemon polls: all of them, or with a shard those whose written URL it owns.
std::vector<FeedConfig> OwnedFeeds(const Config& config);
// "shard 2/4 polls 3 of the 12 feeds" (or "polls none of", which is allowed), or "" for an
// unsharded config: for the daemon's log and check-config.
std::string DescribeShare(const Config& config);

// Reads the CURVE keys a loaded config names (nothing without CURVE); errors are
// "FILE:LINE: message" like LoadConfig's.
Status LoadCurveKeys(Config& config);

// "250ms", "30s", "5m", "1h", "1d".
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace newsmon
