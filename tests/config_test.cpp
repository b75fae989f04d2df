#include <catch2/catch.hpp>

#include <filesystem>

#include "daemon/config.h"
#include "daemon/scheduler.h"
#include "daemon/shard.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("durations") {
  CHECK(ParseDuration("250ms") == 250ms);
  CHECK(ParseDuration("30s") == 30s);
  CHECK(ParseDuration("5m") == 5min);
  CHECK(ParseDuration("1h") == 1h);
  CHECK_FALSE(ParseDuration("5"));
  CHECK_FALSE(ParseDuration("m"));
  CHECK_FALSE(ParseDuration("5 minutes"));
}

TEST_CASE("a valid config resolves paths against its folder") {
  TempDir dir;
  WriteTrucesThread(dir);
  std::string path = dir.Write("n.toml", R"toml(database = "state/n.db"
allow_file_urls = true
thread_files = ["threads/*.toml"]
[publish]
endpoint = "tcp://127.0.0.1:7777"
[[feed]]
name = "local"
url = "file://feeds/a.xml"
interval = "30s"
[[feed]]
name = "web"
url = "https://example.org/rss"
)toml");
  auto config = LoadConfig(path);
  REQUIRE(config.ok());
  CHECK(config->database == dir.File("state/n.db"));
  CHECK(config->publish.endpoint == "tcp://127.0.0.1:7777");
  REQUIRE(config->feeds.size() == 2);
  CHECK(config->feeds[0].url == "file://" + dir.File("feeds/a.xml"));
  CHECK(config->feeds[0].interval == 30s);
  CHECK_FALSE(config->feeds[1].interval);
  REQUIRE(config->threads.size() == 1);
  CHECK(config->threads[0].id == "truces");
}

TEST_CASE("every config error is reported with file and line") {
  TempDir dir;
  std::string path = dir.Write("bad.toml", R"toml(database = 5
colour = "blue"
[[feed]]
name = "a"
url = "ftp://example.org/a"
[[feed]]
name = "a"
url = "https://example.org/b"
interval = "soon"
[[feed]]
name = "local"
url = "file:///tmp/x.xml"
thread_files = ["nothing/*.toml"]
)toml");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path + ":1: 'database' must be a string, not an integer\n" + path +
            ":2: unknown key 'colour'\n" + path +
            ":3: feed 'a': URL must start with http:// or https://\n" + path +
            ":6: feed name 'a' is used twice\n" + path +
            ":9: 'interval' must be a positive duration such as \"30s\", \"5m\" or \"1h\"\n" +
            path +
            ":10: feed 'local': file:// URLs need allow_file_urls = true at the top level\n" +
            path + ":13: unknown key 'thread_files' in [[feed]]");
}

TEST_CASE("a wrong type is named, and a misspelt key gets the nearest known one") {
  TempDir dir;
  std::string path = dir.Write("types.toml", R"toml(allow_file_urls = "yes"
max_per_host = 2.5
intervall = "5m"
interval = 30
thread_files = "threads/*.toml"
metrics = 1
[publish]
endpont = "tcp://127.0.0.1:7777"
heartbeat = 5
[[publish.webhook]]
name = "ops"
url = "https://hooks.example.org/x"
threads = ["talks", 7]
[[feed]]
name = 5
url = "https://example.org/rss"
ttl = 60
)toml");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path + ":1: 'allow_file_urls' must be true or false, not a string\n" + path +
            ":2: 'max_per_host' must be a whole number from 1 to 100, not a floating-point "
            "number\n" +
            path + ":3: unknown key 'intervall' (did you mean 'interval'?)\n" + path +
            ":4: 'interval' must be a positive duration such as \"30s\", \"5m\" or \"1h\", "
            "not an integer\n" +
            path + ":5: 'thread_files' must be an array of strings, not a string\n" + path +
            ":6: 'metrics' must be a table, not an integer\n" + path +
            ":8: unknown key 'endpont' in [publish] (did you mean 'endpoint'?)\n" + path +
            ":9: 'heartbeat' must be a positive duration such as \"30s\", \"5m\" or \"1h\", "
            "not an integer\n" +
            path + ":10: webhook 'ops': no thread has the id 'talks'\n" + path +
            ":13: 'threads' entries must be strings, not an integer\n" + path +
            ":14: [[feed]] needs a non-empty 'name'\n" + path +
            ":15: 'name' must be a string, not an integer\n" + path +
            ":17: unknown key 'ttl' in [[feed]]");
}

TEST_CASE("a webhook's format must be one newsmon speaks, and telegram needs a chat") {
  TempDir dir;
  std::string path = dir.Write("formats.toml", R"toml([publish]
[[publish.webhook]]
name = "chat"
url = "https://hooks.example.org/x"
format = "mattermost"
[[publish.webhook]]
name = "tg"
url = "https://api.telegram.org/botTOKEN/sendMessage"
format = "telegram"
[[feed]]
name = "a"
url = "https://example.org/rss"
)toml");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path +
            ":5: unknown webhook format 'mattermost': use json, slack, discord, teams, ntfy or "
            "telegram\n" +
            path + ":6: a telegram webhook needs 'chat_id' (the chat to post in)");
}

TEST_CASE("an e-mail sink is read with its defaults, durations and password file") {
  TempDir dir;
  WriteTrucesThread(dir);
  std::string path = dir.Write("mail.toml", R"toml(thread_files = ["threads/*.toml"]
[publish]
[[publish.email]]
name = "desk"
url = "smtp://mail.example.org:587"
from = "newsmon@example.org"
to = ["night@example.org", "chief@example.org"]
threads = ["truces"]
username = "newsmon"
password_file = "secrets/smtp"
digest = "15m"
timeout = "30s"
[[publish.email]]
name = "relay"
url = "smtp://127.0.0.1:25"
starttls = false
from = "newsmon@example.org"
to = ["desk@example.org"]
[[feed]]
name = "a"
url = "https://example.org/rss"
)toml");
  auto config = LoadConfig(path);
  INFO(config.status().message());
  REQUIRE(config.ok());
  REQUIRE(config->publish.emails.size() == 2);
  const EmailConfig& desk = config->publish.emails[0];
  CHECK(desk.to == std::vector<std::string>{"night@example.org", "chief@example.org"});
  CHECK(desk.threads == std::vector<std::string>{"truces"});
  CHECK(desk.starttls);
  CHECK(desk.password_file == dir.File("secrets/smtp"));
  CHECK(desk.digest == 15min);
  CHECK(desk.timeout == 30s);
  const EmailConfig& relay = config->publish.emails[1];
  CHECK_FALSE(relay.starttls);
  CHECK(relay.digest == 0ms);
  CHECK(relay.timeout == 60s);
}

TEST_CASE("the e-mail example in docs/alerts.md is a valid config") {
  const std::string doc = ReadFile(SourcePath("docs/alerts.md"));
  std::size_t start = doc.find("```toml\n", doc.find("## E-mail"));
  REQUIRE(start != std::string::npos);
  start += 8;
  TempDir dir;
  WriteTrucesThread(dir);
  std::string path =
      dir.Write("mail.toml", "thread_files = [\"threads/*.toml\"]\n" +
                                 doc.substr(start, doc.find("```", start) - start) +
                                 "[[feed]]\nname = \"a\"\nurl = \"https://example.org/rss\"\n");
  auto config = LoadConfig(path);
  INFO(config.status().message());
  REQUIRE(config.ok());
  REQUIRE(config->publish.emails.size() == 1);
  CHECK(config->publish.emails[0].digest == 15min);
  CHECK(config->publish.emails[0].password_file == "/etc/newsmon/smtp-password");
}

TEST_CASE("e-mail settings that cannot work are config errors with their line") {
  TempDir dir;
  WriteTrucesThread(dir);
  std::string path = dir.Write("mail.toml", R"toml(thread_files = ["threads/*.toml"]
[publish]
[[publish.email]]
url = "https://mail.example.org"
from = "newsmon"
to = ["night@example.org", "Chief <chief@example.org>"]
digest = "30s"
[[publish.email]]
name = "desk"
url = "smtp://user:pw@mail.example.org"
starttls = false
to = []
username = "newsmon"
password = "x"
password_file = "secret"
threads = ["truce"]
timeout = "11m"
[[publish.email]]
name = "tls"
url = "smtps://mail.example.org"
from = "newsmon@example.org"
to = ["a@example.org"]
starttls = true
password = "x"
digest = "2d"
[[publish.email]]
name = "tls"
url = "smtp://mail.example.org"
from = "newsmon@example.org"
to = ["a@example.org"]
username = "newsmon"
smtp_port = 25
[[feed]]
name = "a"
url = "https://example.org/rss"
)toml");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path + ":3: [[publish.email]] needs a 'name' (it keys what was mailed)\n" + path +
            ":4: [[publish.email]] needs a 'url' such as \"smtp://mail.example.org:587\" or "
            "\"smtps://mail.example.org\"\n" +
            path + ":5: email '': 'from' must be an address such as \"newsmon@example.org\"\n" +
            path + ":6: email '': 'Chief <chief@example.org>' is not an e-mail address\n" + path +
            ":7: 'digest' must be at least \"1m\"\n" + path +
            ":8: email 'desk' needs 'from' (the sender's address)\n" + path +
            ":8: email 'desk': no thread has the id 'truce'\n" + path +
            ":10: email 'desk': the url must not hold credentials; set 'username' and "
            "'password_file'\n" +
            path +
            ":11: email 'desk': credentials go only over TLS: keep starttls on, or use smtps:// "
            "(a relay on loopback may do without)\n" +
            path + ":12: email 'desk': 'to' needs at least one address\n" + path +
            ":15: email 'desk': set 'password' or 'password_file', not both\n" + path +
            ":17: 'timeout' must be at most \"10m\"\n" + path +
            ":23: email 'tls': 'starttls' is for smtp:// urls; smtps:// is TLS from the start\n" +
            path +
            ":24: email 'tls': 'username' and a password ('password_file' or 'password') go "
            "together\n" +
            path + ":25: 'digest' must be at most \"1d\"\n" + path +
            ":26: two e-mail sinks named 'tls'; give each a distinct 'name'\n" + path +
            ":31: email 'tls': 'username' and a password ('password_file' or 'password') go "
            "together\n" +
            path + ":32: unknown key 'smtp_port' in [[publish.email]]");
}

TEST_CASE("a sink name that would share another sink's mark is refused, other ':' are fine") {
  TempDir dir;
  const std::string sinks = R"toml([publish]
[[publish.webhook]]
name = "email:desk"
url = "https://hooks.example.org/a"
[[publish.email]]
name = "desk:alert.truces"
url = "smtp://mail.example.org:587"
from = "newsmon@example.org"
to = ["night@example.org"]
)toml";
  const std::string feed = "[[feed]]\nname = \"a\"\nurl = \"https://example.org/rss\"\n";
  const std::string path = dir.Write("newsmon.toml", sinks + feed);
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path +
            ":3: webhook name 'email:desk' would share another sink's mark (e-mail sinks' marks "
            "are 'email:NAME'); choose another 'name'\n" +
            path +
            ":6: email name 'desk:alert.truces' would share another sink's mark (an e-mail "
            "sink's thread marks are 'email:NAME:alert.THREAD'); choose another 'name'");
  // A name an older version accepted and that collides with nothing still loads.
  auto fine = LoadConfig(dir.Write("fine.toml", R"toml([publish]
[[publish.webhook]]
name = "ops:slack"
url = "https://hooks.example.org/a"
)toml" + feed));
  INFO(fine.status().message());
  CHECK(fine.ok());
}

TEST_CASE("an e-mail sink's ca_file is resolved against the config's folder and checked") {
  TempDir dir;
  WriteTrucesThread(dir);
  dir.Write("tls/relay-ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  dir.Write("tls/relay.key", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n");
  const std::string sinks = R"toml(thread_files = ["threads/*.toml"]
[publish]
[[publish.email]]
name = "desk"
url = "smtp://mail.example.org:587"
from = "newsmon@example.org"
to = ["night@example.org"]
ca_file = "tls/relay-ca.pem"
)toml";
  const std::string feed = "[[feed]]\nname = \"a\"\nurl = \"https://example.org/rss\"\n";
  auto config = LoadConfig(dir.Write("good.toml", sinks + feed));
  INFO(config.status().message());
  REQUIRE(config.ok());
  CHECK(config->publish.emails[0].ca_file == dir.File("tls/relay-ca.pem"));

  std::string path = dir.Write("bad.toml", sinks + R"toml([[publish.email]]
name = "missing"
url = "smtps://mail.example.org"
from = "newsmon@example.org"
to = ["night@example.org"]
ca_file = "tls/missing.pem"
[[publish.email]]
name = "folder"
url = "smtps://mail.example.org"
from = "newsmon@example.org"
to = ["night@example.org"]
ca_file = "tls"
[[publish.email]]
name = "key"
url = "smtps://mail.example.org"
from = "newsmon@example.org"
to = ["night@example.org"]
ca_file = "tls/relay.key"
)toml" + feed);
  config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path + ":14: email 'missing': cannot read ca_file " + dir.File("tls/missing.pem") +
            ": No such file or directory\n" + path + ":20: email 'folder': ca_file " +
            dir.File("tls") + " is a directory, not a PEM file of certificates\n" + path +
            ":26: email 'key': ca_file " + dir.File("tls/relay.key") +
            " holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
}

TEST_CASE("a list of tables written as one table says which it is") {
  TempDir dir;
  std::string path = dir.Write("single.toml", R"toml([publish]
[publish.webhook]
name = "ops"
[feed]
name = "a"
)toml");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path +
            ":2: 'webhook' must be written as [[publish.webhook]] tables, not a single "
            "[publish.webhook] table\n" +
            path + ":4: 'feed' must be written as [[feed]] tables, not a single [feed] table");
  std::string values = dir.Write("values.toml", "feed = [\"https://example.org/rss\"]\n");
  CHECK(LoadConfig(values).status().message() ==
        values + ":1: each feed must be a [[feed]] table, not a string");
}

TEST_CASE("a thread file's problems follow the config's own") {
  TempDir dir;
  std::string thread = dir.Write("threads/bad.toml",
                                 "[thread]\nid = \"x\"\ntitle = 5\n"
                                 "[[thread.terms]]\nterms = [\"x\"]\n");
  std::string path =
      dir.Write("n.toml", "thread_files = [\"threads/*.toml\"]\ncolour = \"blue\"\n");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == StatusCode::kInvalidInput);
  CHECK(config.status().message() == path + ":2: unknown key 'colour'\n" + thread +
                                         ":3: 'title' must be a string, not an integer");
}

TEST_CASE("a TOML syntax error names the file and line") {
  TempDir dir;
  std::string path = dir.Write("syntax.toml", "database = \"a.db\"\n[[feed]\nname = 1\n");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().rfind(path + ":2: TOML syntax error: ", 0) == 0);
  CHECK(config.status().message().find('\n') == std::string::npos);
}

TEST_CASE("a directory or an empty file is no config, for check-config and for a reload") {
  TempDir dir;
  std::filesystem::create_directory(dir.File("conf.d"));
  auto folder = LoadConfig(dir.File("conf.d"));
  REQUIRE_FALSE(folder.ok());
  CHECK(folder.status().message() == dir.File("conf.d") + ": is a directory, not a config file");
  const std::string empty = dir.Write("empty.toml", "");
  auto nothing = LoadConfig(empty);
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.status().message() ==
        empty + ": the file is empty; see config/demo.toml for one that works");
  CHECK(nothing.status().code() == StatusCode::kInvalidInput);
}

TEST_CASE("every duration has a documented most, and numbers past 2^63 ms are too long") {
  CHECK_FALSE(ParseDuration("9223372036854775807d"));  // overflows: not a duration
  CHECK_FALSE(ParseDuration("99999999999999999999s"));
  TempDir dir;
  std::string path = dir.Write("long.toml", R"toml(interval = "110000d"
max_interval = "8d"
retention = "3651d"
[publish]
heartbeat = "110000d"
join_grace = "2m"
[[feed]]
name = "a"
url = "https://example.org/a"
interval = "9223372036854775807ms"
[[feed]]
name = "b"
url = "https://example.org/b"
interval = "99999999999999999999d"
)toml");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() == path + ":1: 'interval' must be at most \"7d\"\n" + path +
                                         ":2: 'max_interval' must be at most \"7d\"\n" + path +
                                         ":3: 'retention' must be at most \"3650d\"\n" + path +
                                         ":5: 'heartbeat' must be at most \"1h\"\n" + path +
                                         ":6: 'join_grace' must be at most \"1m\"\n" + path +
                                         ":10: 'interval' must be at most \"7d\"\n" + path +
                                         ":14: 'interval' must be at most \"7d\"");
  std::string at_most = dir.Write("most.toml", R"toml(interval = "7d"
max_interval = "7d"
retention = "3650d"
[publish]
heartbeat = "1h"
join_grace = "1m"
[[feed]]
name = "a"
url = "https://example.org/a"
)toml");
  auto most = LoadConfig(at_most);
  REQUIRE(most.ok());
  CHECK(most->publish.join_grace == std::chrono::minutes(1));
}

TEST_CASE("endpoints and the metrics address are checked where they are written") {
  TempDir dir;
  auto errors_of = [&](const std::string& publish, const std::string& more = "") {
    const std::string path = dir.Write("bad.toml", "[publish]\n" + publish + more +
                                                       "[[feed]]\nname = \"a\"\nurl = "
                                                       "\"https://example.org/a\"\n");
    return LoadConfig(path).status().message();
  };
  const std::string file = dir.File("bad.toml");
  CHECK(errors_of("endpoint = \"garbage\"\n") ==
        file +
            ":2: 'endpoint' must be a ZeroMQ endpoint such as \"tcp://127.0.0.1:5556\" or "
            "\"ipc:///run/newsmon/bus\", not 'garbage'");
  CHECK(errors_of("replay_endpoint = \"tcp://127.0.0.1:port\"\n") ==
        file +
            ":2: 'replay_endpoint' must be a ZeroMQ endpoint such as "
            "\"tcp://127.0.0.1:5556\" or \"ipc:///run/newsmon/bus\", not "
            "'tcp://127.0.0.1:port'");
  CHECK(errors_of("endpoint = \"tcp://127.0.0.1:7000\"\nreplay_endpoint = "
                  "\"tcp://127.0.0.1:7000\"\n") ==
        file + ":3: 'endpoint' and 'replay_endpoint' cannot share port 7000; give each its own");
  CHECK(errors_of("endpoint = \"tcp://*:7000\"\nreplay_endpoint = \"tcp://127.0.0.1:7000\"\n") ==
        file + ":3: 'endpoint' and 'replay_endpoint' cannot share port 7000; give each its own");
  CHECK(errors_of("replay_endpoint = \"tcp://127.0.0.1:5556\"\n") ==
        file + ":2: 'endpoint' and 'replay_endpoint' cannot share port 5556; give each its own");
  CHECK(errors_of("endpoint = \"ipc:///tmp/bus\"\nreplay_endpoint = \"ipc:///tmp/bus\"\n") ==
        file +
            ":3: 'endpoint' and 'replay_endpoint' cannot share 'ipc:///tmp/bus'; give each "
            "its own");
  CHECK(errors_of("", "[metrics]\nlisten = \"not an address\"\n") ==
        file +
            ":3: metrics listen address 'not an address': expected HOST:PORT, e.g. "
            "127.0.0.1:9464 or [::1]:9464");
  // Different hosts may share a port; any port may be picked for both.
  CHECK(LoadConfig(dir.Write("ok.toml",
                             "[publish]\nendpoint = \"tcp://127.0.0.1:7000\"\n"
                             "replay_endpoint = \"tcp://127.0.0.2:7000\"\n"
                             "[[feed]]\nname = \"a\"\nurl = \"https://example.org/a\"\n"))
            .ok());
}

TEST_CASE("a shard is K of N, checked where it is written") {
  TempDir dir;
  const std::string file = dir.File("bad.toml");
  auto errors_of = [&](const std::string& shard) {
    dir.Write("bad.toml", "database = \"n.db\"\nshard = " + shard +
                              "\n[[feed]]\nname = \"a\"\nurl = \"https://example.org/a\"\n");
    return LoadConfig(file).status().message();
  };
  const std::string expected =
      ":2: 'shard' must be \"K/N\": this daemon is shard K of N, with 1 <= K <= N <= 1024 "
      "(such as \"2/4\"), not '";
  CHECK(errors_of("\"3/2\"") == file + expected + "3/2'");
  CHECK(errors_of("\"0/2\"") == file + expected + "0/2'");
  CHECK(errors_of("\"1/2000\"") == file + expected + "1/2000'");
  CHECK(errors_of("\"2\"") == file + expected + "2'");
  CHECK(errors_of("\"1/-2\"") == file + expected + "1/-2'");
  CHECK(errors_of("\" 1/2\"") == file + expected + " 1/2'");
  CHECK(errors_of("2") == file + ":2: 'shard' must be a string, not an integer");
  auto config = LoadConfig(dir.Write("ok.toml",
                                     "shard = \"1024/1024\"\n[[feed]]\nname = \"a\"\n"
                                     "url = \"https://example.org/a\"\n"));
  REQUIRE(config.ok());
  CHECK(config->shard == Shard{1024, 1024});
  CHECK(config->shard->Label() == "1024/1024");
}

// Fixed values: a change of the function would move feeds between every deployment's shards.
TEST_CASE("the shard of a feed URL never changes") {
  CHECK(ShardSlot("https://example.org/rss", 2) == 1);
  CHECK(ShardSlot("https://example.org/rss", 3) == 0);
  CHECK(ShardSlot("https://example.org/rss", 4) == 3);
  CHECK(ShardSlot("https://example.org/rss", 1024) == 243);
  CHECK(ShardSlot("https://www.theguardian.com/world/rss", 1024) == 192);
  CHECK(ShardSlot("http://feeds.bbci.co.uk/news/world/rss.xml", 1024) == 279);
  CHECK(ShardSlot("file://demo-feeds/a.xml", 1024) == 677);
  CHECK(ShardSlot("anything", 1) == 0);
  CHECK(Owns(Shard{2, 2}, "https://example.org/rss"));
  CHECK_FALSE(Owns(Shard{1, 2}, "https://example.org/rss"));
}

TEST_CASE("a shard owns the feeds whose URL as written hashes to it") {
  TempDir dir;
  // Relative file:// URLs resolve against each config's folder, which differs between
  // machines: what is hashed is the URL as written.
  const std::string path = dir.Write("sub/n.toml", R"toml(shard = "2/2"
allow_file_urls = true
[[feed]]
name = "a"
url = "file://demo-feeds/a.xml"
[[feed]]
name = "rss"
url = "https://example.org/rss"
[[feed]]
name = "guardian"
url = "https://www.theguardian.com/world/rss"
)toml");
  auto config = LoadConfig(path);
  REQUIRE(config.ok());
  std::vector<std::string> owned;
  for (const FeedConfig& feed : OwnedFeeds(*config)) owned.push_back(feed.name);
  CHECK(owned == std::vector<std::string>{"a", "rss"});
  CHECK(DescribeShare(*config) == "shard 2/2 polls 2 of the 3 feeds");
  config->shard = Shard{3, 3};
  CHECK(OwnedFeeds(*config).empty());
  CHECK(DescribeShare(*config) ==
        "shard 3/3 polls none of the 3 feeds (their URLs hash to other shards): it only "
        "publishes heartbeats and answers replay");
  config->shard.reset();
  CHECK(OwnedFeeds(*config).size() == 3);
  CHECK(DescribeShare(*config).empty());
}

TEST_CASE("a URL without a host is a bad URL, not an interval problem") {
  TempDir dir;
  std::string path = dir.Write("bad.toml",
                               "interval = \"1s\"\n[[feed]]\nname = \"a\"\nurl = \"http://\"\n"
                               "[[feed]]\nname = \"b\"\nurl = \"https://user@:80/x\"\n");
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() == path + ":2: feed 'a': URL 'http://' has no host\n" + path +
                                         ":5: feed 'b': URL 'https://user@:80/x' has no host");
}

TEST_CASE("a config without feeds is read, but not run") {
  TempDir dir;
  WriteTrucesThread(dir);
  const std::string path = dir.Write("threads-only.toml", "thread_files = [\"threads/*.toml\"]\n");
  auto config = LoadConfig(path);
  REQUIRE(config.ok());  // classify, status and suggest-terms need no feeds
  Status runnable = RequireFeeds(*config);
  REQUIRE_FALSE(runnable.ok());
  CHECK(runnable.message() ==
        path + ": no [[feed]] tables: the daemon would watch nothing (see config/demo.toml)");
}

TEST_CASE("a missing config file is reported by name") {
  auto config = LoadConfig("/nonexistent/newsmon.toml");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message().find("/nonexistent/newsmon.toml") != std::string::npos);
  CHECK(config.status().code() == StatusCode::kNotFound);
}

TEST_CASE("the scheduler hands out feeds in due order") {
  Scheduler scheduler;
  auto t0 = Scheduler::Clock::time_point{};
  scheduler.Schedule(2, t0 + 3s);
  scheduler.Schedule(0, t0 + 1s);
  scheduler.Schedule(1, t0 + 1s);
  CHECK(scheduler.NextDue() == t0 + 1s);
  CHECK(scheduler.PopDue(t0).empty());
  CHECK(scheduler.PopDue(t0 + 2s) == std::vector<std::size_t>{0, 1});
  CHECK(scheduler.NextDue() == t0 + 3s);
}

TEST_CASE("the shipped configs are valid") {
  for (const char* name : {"config/demo.toml", "config/newsmon.toml"}) {
    auto config = LoadConfig(SourcePath(name));
    INFO(name << ": " << config.status().message());
    CHECK(config.ok());
  }
}

TEST_CASE("a retention shorter than a story stays open is refused while stories are on") {
  TempDir dir;
  const std::string feed = "\n[[feed]]\nname = \"a\"\nurl = \"https://example.org/a\"\n";
  std::string path = dir.Write("short.toml", "retention = \"36h\"\n" + feed);
  auto config = LoadConfig(path);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        path +
            ":1: 'retention' must be at least \"2d\" while [stories] is enabled: a story stays "
            "open for 36 h after its last report, and pruning it sooner makes its next report "
            "alert as new again");
  CHECK(LoadConfig(dir.Write("two.toml", "retention = \"2d\"\n" + feed)).ok());
  CHECK(LoadConfig(dir.Write("off.toml",
                             "retention = \"1h\"\n[stories]\nenabled = false\n" + feed))
            .ok());
}

}  // namespace
}  // namespace newsmon::testing
