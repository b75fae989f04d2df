#include "daemon/config.h"

#include "daemon/feed_book.h"

#include <glob.h>

#include <toml++/toml.h>
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "core/bounded_read.h"
#include "core/toml_reader.h"
#include "publishers/email.h"
#include "publishers/email_message.h"
#include "publishers/metrics.h"
#include "publishers/webhook_formats.h"

namespace newsmon {
namespace {

namespace fs = std::filesystem;

using toml_reader::DurationBound;
using toml_reader::LineOf;
using toml_reader::MustBe;
using toml_reader::ParseDurationText;
using toml_reader::Problems;
using toml_reader::ReadBool;
using toml_reader::ReadDuration;
using toml_reader::ReadString;
using toml_reader::ReadStringArray;
using toml_reader::RejectUnknownKeys;
using toml_reader::TypeName;

using std::chrono::days;
using std::chrono::hours;

// The longest each duration may be: a value near 2^63 ms overflowed the clock and made the
// daemon poll, or publish heartbeats, in a tight loop. Written as they are shown.
constexpr DurationBound kIntervalBound{days(7), "7d"};    // interval, min_/max_interval
constexpr DurationBound kHeartbeatBound{hours(1), "1h"};  // subscribers notice a gap sooner
constexpr DurationBound kJoinGraceBound{std::chrono::minutes(1), "1m"};  // alerts wait for it
constexpr DurationBound kRetentionBound{days(3650), "3650d"};            // ten years
constexpr DurationBound kUpdateWindowBound{hours(24), "24h"};  // a story's updates, coalesced
constexpr DurationBound kDigestBound{days(1), "1d"};           // an e-mail digest's period
constexpr DurationBound kMailTimeoutBound{std::chrono::minutes(10), "10m"};  // one SMTP session

std::string ResolvePath(const std::string& path, const fs::path& folder) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (folder / path).lexically_normal().string();
}

void ReadCurve(const toml::table& publish, const fs::path& folder, Config& config,
               Problems& problems) {
  auto secret_file = ReadString(publish, "curve_secret_key", problems);
  auto clients_dir = ReadString(publish, "curve_authorized_keys", problems);
  if (!secret_file && !clients_dir) return;
  const toml::node& anchor =
      *publish.get(secret_file ? "curve_secret_key" : "curve_authorized_keys");
  if (!secret_file || !clients_dir) {
    return problems.Add(LineOf(anchor),
                        "CURVE needs both 'curve_secret_key' (the daemon's "
                        ".key_secret file) and 'curve_authorized_keys' (a "
                        "directory of client .key files) in [publish]");
  }
  CurveConfig curve;
  curve.secret_key_file = ResolvePath(*secret_file, folder);
  curve.authorized_keys_dir = ResolvePath(*clients_dir, folder);
  curve.secret_key_line = static_cast<std::uint32_t>(LineOf(*publish.get("curve_secret_key")));
  curve.authorized_keys_line =
      static_cast<std::uint32_t>(LineOf(*publish.get("curve_authorized_keys")));
  config.publish.curve = std::move(curve);
}

// The host of an http(s) URL: what lies between "://" and the path, without user and port.
std::string HostPart(const std::string& url) {
  std::string authority = url.substr(url.find("://") + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[')
    return authority.substr(0, authority.find(']'));
  return authority.substr(0, authority.find(':'));
}

// What a key that must be written as [[HEADER]] tables holds instead, for messages.
std::string NotTables(const toml::node& node, std::string_view header) {
  if (node.is_table()) return "a single [" + std::string(header) + "] table";
  if (const toml::array* array = node.as_array()) {
    return array->empty() ? "an empty array" : "an array of values";
  }
  return TypeName(node);
}

void ReadWebhookFormat(const toml::table& table, WebhookConfig& webhook, Problems& problems) {
  if (auto format = ReadString(table, "format", problems)) {
    if (!WebhookFormatNamed(*format)) {
      problems.Add(LineOf(*table.get("format")),
                   "unknown webhook format '" + *format +
                       "': use json, slack, discord, teams, ntfy or telegram");
    } else {
      webhook.format = *format;
    }
  }
  webhook.chat_id = ReadString(table, "chat_id", problems).value_or("");
  if (webhook.format == "telegram" && webhook.chat_id.empty()) {
    problems.Add(LineOf(table), "a telegram webhook needs 'chat_id' (the chat to post in)");
  }
}

int LineOfKey(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  return node ? LineOf(*node) : LineOf(table);
}

// A sink's name keys its mark in the store, and an e-mail sink's marks are "email:NAME" and
// "email:NAME:alert.THREAD": a webhook named "email:desk" would share the e-mail sink desk's
// mark, and an e-mail sink named "desk:alert.truces" desk's mark of truces. Only those names
// are refused; other names with ':' (say "ops:slack") collide with nothing and keep working.
void CheckSinkName(const toml::table& table, const std::string& kind, const std::string& name,
                   Problems& problems) {
  const bool collides =
      kind == "webhook" ? name.starts_with("email:") : name.find(":alert.") != std::string::npos;
  if (!collides) return;
  problems.Add(
      LineOfKey(table, "name"),
      kind + " name '" + name + "' would share another sink's mark (" +
          (kind == "webhook" ? "e-mail sinks' marks are 'email:NAME'"
                             : "an e-mail sink's thread marks are 'email:NAME:alert.THREAD'") +
          "); choose another 'name'");
}

void ReadWebhook(const toml::table& table, Config& config, Problems& problems) {
  RejectUnknownKeys(table, {"name", "url", "secret", "threads", "format", "chat_id"},
                    "[[publish.webhook]]", problems);
  WebhookConfig webhook;
  webhook.url = ReadString(table, "url", problems).value_or("");
  std::string scheme = webhook.url.substr(0, webhook.url.find("://"));
  if (webhook.url.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
    problems.Add(LineOf(table),
                 "[[publish.webhook]] needs a 'url' starting with http:// or "
                 "https://");
  }
  // Required, as for feeds: it keys the delivered mark, and a URL often carries a token
  // that does not belong in logs.
  webhook.name = ReadString(table, "name", problems).value_or("");
  if (webhook.name.empty()) {
    problems.Add(LineOf(table), "[[publish.webhook]] needs a 'name' (it keys what was delivered)");
  }
  CheckSinkName(table, "webhook", webhook.name, problems);
  webhook.secret = ReadString(table, "secret", problems).value_or("");
  ReadWebhookFormat(table, webhook, problems);
  for (auto& thread : ReadStringArray(table, "threads", problems)) {
    webhook.threads.push_back(std::move(thread.value));
  }
  for (const WebhookConfig& other : config.publish.webhooks) {
    if (other.name == webhook.name) {
      problems.Add(LineOf(table), "two webhooks named '" + webhook.name +
                                      "'; give each a "
                                      "distinct 'name'");
    }
  }
  config.publish.webhooks.push_back(std::move(webhook));
}

void ReadWebhooks(const toml::table& publish, Config& config, Problems& problems) {
  const toml::node* node = publish.get("webhook");
  if (!node) return;
  const toml::array* list = node->as_array();
  if (!list || !list->is_array_of_tables()) {
    return problems.Add(LineOf(*node),
                        "'webhook' must be written as [[publish.webhook]] tables, "
                        "not " +
                            NotTables(*node, "publish.webhook"));
  }
  for (const toml::node& entry : *list) ReadWebhook(*entry.as_table(), config, problems);
}

// A duration key with a least as well as a most; nullopt when absent or wrong (reported).
std::optional<std::chrono::milliseconds> ReadBoundedDuration(
    const toml::table& table, std::string_view key, std::chrono::milliseconds least,
    const char* least_written, DurationBound most, Problems& problems) {
  auto value = ReadDuration(table, key, most, problems);
  if (value && *value < least) {
    problems.Add(LineOf(*table.get(key)),
                 "'" + std::string(key) + "' must be at least \"" + least_written + "\"");
    return std::nullopt;
  }
  return value;
}

void ReadEmailUrl(const toml::table& table, EmailConfig& email, Problems& problems) {
  email.url = ReadString(table, "url", problems).value_or("");
  const auto scheme_end = email.url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : email.url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if ((scheme != "smtp" && scheme != "smtps") || HostPart(email.url).empty()) {
    return problems.Add(LineOfKey(table, "url"),
                        "[[publish.email]] needs a 'url' such as \"smtp://mail.example.org:587\" "
                        "or \"smtps://mail.example.org\"");
  }
  const std::string authority = email.url.substr(scheme_end + 3);
  if (authority.substr(0, authority.find_first_of("/?#")).find('@') != std::string::npos) {
    problems.Add(LineOfKey(table, "url"), "email '" + email.name +
                                              "': the url must not hold credentials; set "
                                              "'username' and 'password_file'");
  }
}

void ReadEmailAddresses(const toml::table& table, EmailConfig& email, Problems& problems) {
  const std::string sink = "email '" + email.name + "'";
  if (auto from = ReadString(table, "from", problems)) {
    email.from = *from;
    if (!IsMailAddress(*from)) {
      problems.Add(LineOfKey(table, "from"),
                   sink + ": 'from' must be an address such as \"newsmon@example.org\"");
    }
  } else if (!table.get("from")) {
    problems.Add(LineOf(table), sink + " needs 'from' (the sender's address)");
  }
  for (auto& [to, line] : ReadStringArray(table, "to", problems)) {
    if (!IsMailAddress(to)) problems.Add(line, sink + ": '" + to + "' is not an e-mail address");
    email.to.push_back(std::move(to));
  }
  if (email.to.empty() && !table.get("to")) {
    problems.Add(LineOf(table), sink + " needs 'to' (a list of at least one address)");
  } else if (email.to.empty()) {
    problems.Add(LineOfKey(table, "to"), sink + ": 'to' needs at least one address");
  }
}

void ReadEmailCredentials(const toml::table& table, const fs::path& folder, EmailConfig& email,
                          Problems& problems) {
  const std::string sink = "email '" + email.name + "'";
  email.username = ReadString(table, "username", problems).value_or("");
  email.password = ReadString(table, "password", problems).value_or("");
  email.password_file =
      ResolvePath(ReadString(table, "password_file", problems).value_or(""), folder);
  const bool password = table.get("password") || table.get("password_file");
  if (table.get("password") && table.get("password_file")) {
    problems.Add(LineOfKey(table, "password_file"),
                 sink + ": set 'password' or 'password_file', not both");
  } else if (email.username.empty() != !password) {
    const char* anchor = !email.username.empty() ? "username"
                         : table.get("password") ? "password"
                                                 : "password_file";
    problems.Add(LineOfKey(table, anchor),
                 sink + ": 'username' and a password ('password_file' or 'password') go together");
  }
  if (auto starttls = ReadBool(table, "starttls", problems)) {
    email.starttls = *starttls;
    if (email.url.starts_with("smtps://")) {
      problems.Add(LineOfKey(table, "starttls"),
                   sink + ": 'starttls' is for smtp:// urls; smtps:// is TLS from the start");
    }
  }
  if (!email.starttls && !email.username.empty() && !IsLoopbackHost(HostPart(email.url))) {
    problems.Add(LineOfKey(table, "starttls"),
                 sink +
                     ": credentials go only over TLS: keep starttls on, or use smtps:// "
                     "(a relay on loopback may do without)");
  }
}

void ReadEmail(const toml::table& table, const fs::path& folder, Config& config,
               Problems& problems) {
  RejectUnknownKeys(table,
                    {"name", "url", "from", "to", "threads", "starttls", "username", "password",
                     "password_file", "ca_file", "digest", "timeout"},
                    "[[publish.email]]", problems);
  EmailConfig email;
  // Required, as for webhooks: it keys the mailed mark.
  email.name = ReadString(table, "name", problems).value_or("");
  if (email.name.empty()) {
    problems.Add(LineOf(table), "[[publish.email]] needs a 'name' (it keys what was mailed)");
  }
  CheckSinkName(table, "email", email.name, problems);
  ReadEmailUrl(table, email, problems);
  ReadEmailAddresses(table, email, problems);
  ReadEmailCredentials(table, folder, email, problems);
  if (auto ca_file = ReadString(table, "ca_file", problems)) {
    email.ca_file = ResolvePath(*ca_file, folder);
    // Not left to the first message: a typo would otherwise show only as failing deliveries.
    if (Status s = CheckCaFile(email.ca_file); !s.ok()) {
      problems.Add(LineOfKey(table, "ca_file"), "email '" + email.name + "': " + s.message());
    }
  }
  for (auto& thread : ReadStringArray(table, "threads", problems)) {
    email.threads.push_back(std::move(thread.value));
  }
  if (auto digest = ReadBoundedDuration(table, "digest", std::chrono::minutes(1), "1m",
                                        kDigestBound, problems)) {
    email.digest = *digest;
  }
  if (auto timeout = ReadBoundedDuration(table, "timeout", std::chrono::seconds(1), "1s",
                                         kMailTimeoutBound, problems)) {
    email.timeout = *timeout;
  }
  for (const EmailConfig& other : config.publish.emails) {
    if (other.name == email.name) {
      problems.Add(LineOf(table),
                   "two e-mail sinks named '" + email.name + "'; give each a distinct 'name'");
    }
  }
  config.publish.emails.push_back(std::move(email));
}

void ReadEmails(const toml::table& publish, const fs::path& folder, Config& config,
                Problems& problems) {
  const toml::node* node = publish.get("email");
  if (!node) return;
  const toml::array* list = node->as_array();
  if (!list || !list->is_array_of_tables()) {
    return problems.Add(LineOf(*node), "'email' must be written as [[publish.email]] tables, not " +
                                           NotTables(*node, "publish.email"));
  }
  for (const toml::node& entry : *list) ReadEmail(*entry.as_table(), folder, config, problems);
}

// A ZeroMQ endpoint the daemon can bind: tcp://HOST:PORT (PORT a number or '*'), ipc://PATH
// or inproc://NAME. ZeroMQ would refuse anything else only when the daemon starts.
bool IsBindableEndpoint(const std::string& endpoint) {
  const auto scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos || scheme_end + 3 == endpoint.size()) return false;
  const std::string scheme = endpoint.substr(0, scheme_end);
  if (scheme == "ipc" || scheme == "inproc") return true;
  if (scheme != "tcp") return false;
  const std::string address = endpoint.substr(scheme_end + 3);
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string port = address.substr(colon + 1);
  if (port == "*") return true;
  int number = -1;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  return error == std::errc() && end == port.data() + port.size() && number >= 0 && number <= 65535;
}

// Where a tcp:// endpoint listens, as "HOST PORT", or the endpoint itself for the others.
// Hosts that mean every interface bind every port of the others.
std::pair<std::string, std::string> BindKey(const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return {endpoint, ""};
  const auto colon = endpoint.rfind(':');
  std::string host = endpoint.substr(6, colon - 6);
  if (host == "*" || host == "0.0.0.0" || host == "[::]") host = "*";
  return {host, endpoint.substr(colon + 1)};
}

void CheckEndpoints(const toml::table& publish, const Config& config, Problems& problems) {
  auto line_of = [&](std::string_view key) {
    const toml::node* node = publish.get(key);
    return node ? LineOf(*node) : LineOf(publish);
  };
  bool bindable = true;
  for (auto [key, endpoint] : {std::pair{"endpoint", &config.publish.endpoint},
                               std::pair{"replay_endpoint", &config.publish.replay_endpoint}}) {
    if (IsBindableEndpoint(*endpoint)) continue;
    bindable = false;
    problems.Add(line_of(key), "'" + std::string(key) +
                                   "' must be a ZeroMQ endpoint such as \"tcp://127.0.0.1:5556\" "
                                   "or \"ipc:///run/newsmon/bus\", not '" +
                                   *endpoint + "'");
  }
  if (!bindable) return;
  const auto [host, port] = BindKey(config.publish.endpoint);
  const auto [replay_host, replay_port] = BindKey(config.publish.replay_endpoint);
  const bool same_port = port == replay_port && port != "*" &&
                         (host == replay_host || host == "*" || replay_host == "*");
  if (config.publish.endpoint == config.publish.replay_endpoint || (!port.empty() && same_port)) {
    problems.Add(line_of(publish.get("replay_endpoint") ? "replay_endpoint" : "endpoint"),
                 "'endpoint' and 'replay_endpoint' cannot share " +
                     (port.empty() ? "'" + config.publish.endpoint + "'" : "port " + port) +
                     "; give each its own");
  }
}

void ReadPublish(const toml::table& root, const fs::path& folder, Config& config,
                 Problems& problems) {
  const toml::node* node = root.get("publish");
  if (!node) return;
  const toml::table* publish = node->as_table();
  if (!publish) return problems.Add(LineOf(*node), MustBe("publish", "a table", *node));
  RejectUnknownKeys(*publish,
                    {"endpoint", "replay_endpoint", "heartbeat", "join_grace", "curve_secret_key",
                     "curve_authorized_keys", "webhook", "email"},
                    "[publish]", problems);
  ReadCurve(*publish, folder, config, problems);
  ReadWebhooks(*publish, config, problems);
  ReadEmails(*publish, folder, config, problems);
  if (auto endpoint = ReadString(*publish, "endpoint", problems))
    config.publish.endpoint = *endpoint;
  if (auto replay = ReadString(*publish, "replay_endpoint", problems)) {
    config.publish.replay_endpoint = *replay;
  }
  if (auto heartbeat = ReadDuration(*publish, "heartbeat", kHeartbeatBound, problems)) {
    config.publish.heartbeat = *heartbeat;
  }
  if (auto grace = ReadDuration(*publish, "join_grace", kJoinGraceBound, problems)) {
    config.publish.join_grace = *grace;
  }
  CheckEndpoints(*publish, config, problems);
}

void ReadMetrics(const toml::table& root, Config& config, Problems& problems) {
  const toml::node* node = root.get("metrics");
  if (!node) return;
  const toml::table* metrics = node->as_table();
  if (!metrics) return problems.Add(LineOf(*node), MustBe("metrics", "a table", *node));
  RejectUnknownKeys(*metrics, {"enabled", "listen"}, "[metrics]", problems);
  config.metrics.enabled = ReadBool(*metrics, "enabled", problems).value_or(false);
  if (auto listen = ReadString(*metrics, "listen", problems)) {
    config.metrics.listen = *listen;
    // Checked here too, so check-config says so rather than the daemon when it starts.
    if (auto address = ParseListen(*listen); !address.ok()) {
      problems.Add(LineOf(*metrics->get("listen")), address.status().message());
    }
  }
}

void ReadStories(const toml::table& root, Config& config, Problems& problems) {
  const toml::node* node = root.get("stories");
  if (!node) return;
  const toml::table* stories = node->as_table();
  if (!stories) return problems.Add(LineOf(*node), MustBe("stories", "a table", *node));
  RejectUnknownKeys(*stories, {"enabled", "update_window"}, "[stories]", problems);
  config.stories.enabled = ReadBool(*stories, "enabled", problems).value_or(true);
  if (auto window = ReadDuration(*stories, "update_window", kUpdateWindowBound, problems)) {
    if (*window < std::chrono::seconds(1)) {
      problems.Add(LineOf(*stories->get("update_window")),
                   "'update_window' must be at least \"1s\"");
    } else {
      config.stories.update_window = *window;
    }
  }
}

// False when the URL is unusable, so that no other problem is reported about it.
bool CheckFeedUrl(const FeedConfig& feed, bool allow_file_urls, int line, Problems& problems) {
  auto scheme_end = feed.url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : feed.url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme == "http" || scheme == "https") {
    if (!HostPart(feed.url).empty()) return true;
    problems.Add(line, "feed '" + feed.name + "': URL '" + feed.url + "' has no host");
    return false;
  }
  if (scheme == "file") {
    if (!allow_file_urls) {
      problems.Add(line, "feed '" + feed.name +
                             "': file:// URLs need allow_file_urls = true at the top level");
    }
    return true;
  }
  problems.Add(line, "feed '" + feed.name + "': URL must start with http:// or https://");
  return false;
}

// "file://demo-feeds/a.xml" reads as relative to the config file, so a config and its
// local feeds can move together.
std::string ResolveFileUrl(const std::string& url, const fs::path& folder) {
  constexpr std::string_view kScheme = "file://";
  if (url.rfind(kScheme, 0) != 0 || url.size() == kScheme.size() || url[kScheme.size()] == '/') {
    return url;
  }
  return std::string(kScheme) + (folder / url.substr(kScheme.size())).lexically_normal().string();
}

void ReadFeed(const toml::table& table, int line, const fs::path& folder, Config& config,
              Problems& problems) {
  RejectUnknownKeys(table, {"name", "url", "interval"}, "[[feed]]", problems);
  FeedConfig feed;
  auto name = ReadString(table, "name", problems);
  auto url = ReadString(table, "url", problems);
  if (!name || name->empty()) return problems.Add(line, "[[feed]] needs a non-empty 'name'");
  if (!url || url->empty()) return problems.Add(line, "feed '" + *name + "' needs a 'url'");
  feed.name = *name;
  feed.written_url = *url;
  feed.url = ResolveFileUrl(*url, folder);
  feed.interval = ReadDuration(table, "interval", kIntervalBound, problems);
  bool duplicate = std::any_of(config.feeds.begin(), config.feeds.end(),
                               [&](const FeedConfig& other) { return other.name == feed.name; });
  if (duplicate) problems.Add(line, "feed name '" + feed.name + "' is used twice");
  const bool usable = CheckFeedUrl(feed, config.allow_file_urls, line, problems);
  auto interval = feed.interval ? feed.interval : config.default_interval;
  if (usable && interval && *interval < config.min_interval && !IsLocalFeed(feed.url)) {
    problems.Add(line, "feed '" + feed.name + "': interval is shorter than min_interval (" +
                           std::to_string(config.min_interval.count() / 1000) +
                           "s); lower min_interval (down to \"1s\") if the publisher agrees");
  }
  config.feeds.push_back(std::move(feed));
}

void ReadFeeds(const toml::table& root, const fs::path& folder, Config& config,
               Problems& problems) {
  const toml::node* node = root.get("feed");
  if (!node) return;
  const toml::array* feeds = node->as_array();
  if (!feeds) {
    return problems.Add(LineOf(*node), "'feed' must be written as [[feed]] tables, not " +
                                           NotTables(*node, "feed"));
  }
  for (const toml::node& entry : *feeds) {
    if (const toml::table* table = entry.as_table()) {
      ReadFeed(*table, LineOf(entry), folder, config, problems);
    } else {
      problems.Add(LineOf(entry), "each feed must be a [[feed]] table, not " + TypeName(entry));
    }
  }
}

std::vector<std::string> ExpandGlob(const std::string& pattern) {
  glob_t matches{};
  std::vector<std::string> paths;
  if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  return paths;  // glob sorts, so thread order is stable
}

void ReadThreads(const toml::table& root, const fs::path& folder, Config& config,
                 Problems& problems) {
  for (const auto& [pattern, line] : ReadStringArray(root, "thread_files", problems)) {
    std::vector<std::string> paths = ExpandGlob((folder / pattern).string());
    if (paths.empty()) problems.Add(line, "no thread file matches '" + pattern + "'");
    for (const std::string& path : paths) {
      auto thread = LoadThreadFile(path);
      if (thread.ok()) {
        config.threads.push_back(std::move(thread).value());
      } else {
        problems.AddFromOtherFile(thread.status());
      }
    }
  }
}

// After the threads are known: a misspelt thread id would otherwise silently send nothing.
template <typename Sink>
void CheckSinkThreads(const toml::table& root, std::string_view path, std::string_view kind,
                      const std::vector<Sink>& sinks, const Config& config, Problems& problems) {
  const toml::array* tables = root.at_path(path).as_array();
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    for (const std::string& thread : sinks[i].threads) {
      bool known = std::any_of(config.threads.begin(), config.threads.end(),
                               [&](const ThreadDefinition& t) { return t.id == thread; });
      if (!known && tables) {
        problems.Add(LineOf(*tables->get(i)), std::string(kind) + " '" + sinks[i].name +
                                                  "': no thread has the id '" + thread + "'");
      }
    }
  }
}

std::string ResolveDatabase(const std::string& database, const fs::path& folder) {
  if (database == ":memory:" || fs::path(database).is_absolute()) return database;
  return (folder / database).lexically_normal().string();
}

void ReadTopLevel(const toml::table& root, const fs::path& folder, Config& config,
                  Problems& problems) {
  RejectUnknownKeys(root,
                    {"database", "allow_file_urls", "allow_private_addresses", "interval",
                     "min_interval", "max_interval", "max_per_host", "retention", "shard",
                     "publish", "metrics", "stories", "feed", "thread_files"},
                    /*where=*/"", problems);
  config.allow_file_urls = ReadBool(root, "allow_file_urls", problems).value_or(false);
  config.allow_private_addresses =
      ReadBool(root, "allow_private_addresses", problems).value_or(false);
  config.default_interval = ReadDuration(root, "interval", kIntervalBound, problems);
  if (auto min = ReadDuration(root, "min_interval", kIntervalBound, problems)) {
    if (*min < std::chrono::seconds(1)) {
      problems.Add(LineOf(*root.get("min_interval")), "'min_interval' must be at least \"1s\"");
    } else {
      config.min_interval = *min;
    }
  }
  if (auto max = ReadDuration(root, "max_interval", kIntervalBound, problems))
    config.max_interval = *max;
  if (auto retention = ReadDuration(root, "retention", kRetentionBound, problems))
    config.retention = *retention;
  if (config.max_interval < config.min_interval) {
    problems.Add(LineOf(root.get("max_interval") ? *root.get("max_interval") : root),
                 "'max_interval' is shorter than 'min_interval'");
  }
  if (const toml::node* node = root.get("max_per_host")) {
    auto value = node->value<std::int64_t>();
    if (!value || *value < 1 || *value > 100) {
      const std::string expected = "a whole number from 1 to 100";
      problems.Add(LineOf(*node), value ? "'max_per_host' must be " + expected
                                        : MustBe("max_per_host", expected, *node));
    } else {
      config.max_per_host = static_cast<int>(*value);
    }
  }
  if (auto shard = ReadString(root, "shard", problems)) {
    auto parsed = ParseShard(*shard);
    if (parsed.ok()) {
      config.shard = *parsed;
    } else {
      problems.Add(LineOf(*root.get("shard")), parsed.status().message());
    }
  }
  config.database =
      ResolveDatabase(ReadString(root, "database", problems).value_or("newsmon.db"), folder);
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  return ParseDurationText(text).value;
}

void ConfigOverrides::ApplyTo(Config& config) const {
  if (database) config.database = *database;
  if (publish) config.publish.endpoint = *publish;
  if (replay) config.publish.replay_endpoint = *replay;
}

Status RequireFeeds(const Config& config) {
  if (!config.feeds.empty()) return Status::Ok();
  return Status::InvalidInput(config.path +
                              ": no [[feed]] tables: the daemon would watch nothing (see "
                              "config/demo.toml)");
}

std::vector<FeedConfig> OwnedFeeds(const Config& config) {
  if (!config.shard) return config.feeds;
  std::vector<FeedConfig> owned;
  for (const FeedConfig& feed : config.feeds) {
    if (Owns(*config.shard, feed.ShardKey())) owned.push_back(feed);
  }
  return owned;
}

std::string DescribeShare(const Config& config) {
  if (!config.shard) return "";
  const std::string shard = "shard " + config.shard->Label();
  const std::string all = std::to_string(config.feeds.size());
  if (const std::size_t owned = OwnedFeeds(config).size(); owned > 0) {
    return shard + " polls " + std::to_string(owned) + " of the " + all + " feeds";
  }
  // Not an error: with few feeds and many shards some shard may own none, and adding feeds
  // should not depend on which shard they fall to.
  return shard + " polls none of the " + all +
         " feeds (their URLs hash to other shards): it only publishes heartbeats and answers "
         "replay";
}

Status LoadCurveKeys(Config& config) {
  if (!config.publish.curve) return Status::Ok();
  CurveConfig& curve = *config.publish.curve;
  auto at = [&](std::uint32_t line) { return config.path + ":" + std::to_string(line) + ": "; };
  auto server = LoadCurveSecretCertificate(curve.secret_key_file);
  if (!server.ok()) return Status::Error(at(curve.secret_key_line) + server.status().message());
  auto clients = LoadCurvePublicKeys(curve.authorized_keys_dir);
  if (!clients.ok()) {
    return Status::Error(at(curve.authorized_keys_line) + clients.status().message());
  }
  curve.server = *server;
  curve.authorized_clients = *clients;
  return Status::Ok();
}

// Pruning deletes a story's rows with its items' text; a story still open (36 h after its
// last item, docs/stories.md) would then alert again as new with its next report.
void CheckRetentionAgainstStories(const toml::table& root, const Config& config,
                                  Problems& problems) {
  const toml::node* node = root.get("retention");
  if (node == nullptr || !config.stories.enabled || config.retention >= days(2)) return;
  problems.Add(LineOf(*node),
               "'retention' must be at least \"2d\" while [stories] is enabled: a story stays "
               "open for 36 h after its last report, and pruning it sooner makes its next "
               "report alert as new again");
}

Result<Config> LoadConfig(const std::string& path) {
  // A directory or an empty file parses as an empty TOML table: a config with nothing in it,
  // which a SIGHUP would then quietly swap in for the running one.
  std::error_code error_code;
  if (fs::is_directory(path, error_code)) {
    return Status::InvalidInput(path + ": is a directory, not a config file");
  }
  Problems problems(path);
  auto text = ReadFileAtMost(path, kMaxConfigFileBytes);
  if (!text.ok() && text.status().code() == StatusCode::kInvalidInput) {
    problems.Add(1, text.status().message() + "; a config file may have at most " +
                        DescribeBytes(kMaxConfigFileBytes));
    return problems.ToStatus();
  }
  if (!text.ok()) return text.status().WithContext(path + ": cannot read config file: ");
  if (text->empty()) {
    return Status::InvalidInput(path +
                                ": the file is empty; see config/demo.toml for one that "
                                "works");
  }
  toml::table root;
  try {
    root = toml::parse(*text, std::string_view(path));
  } catch (const toml::parse_error& error) {
    problems.AddSyntaxError(error);
    return problems.ToStatus();
  }
  Config config;
  config.path = path;
  fs::path folder = fs::absolute(path).parent_path();
  ReadTopLevel(root, folder, config, problems);
  ReadPublish(root, folder, config, problems);
  ReadMetrics(root, config, problems);
  ReadStories(root, config, problems);
  CheckRetentionAgainstStories(root, config, problems);
  ReadFeeds(root, folder, config, problems);
  ReadThreads(root, folder, config, problems);
  CheckSinkThreads(root, "publish.webhook", "webhook", config.publish.webhooks, config, problems);
  CheckSinkThreads(root, "publish.email", "email", config.publish.emails, config, problems);
  if (!problems.empty()) return problems.ToStatus();
  return config;
}

}  // namespace newsmon
