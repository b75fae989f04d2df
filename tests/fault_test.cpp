// Faults around the daemon, each against something real the test starts: a feed server that
// turns to garbage and back, a TLS server with a self-signed certificate, a host name that
// cannot resolve (rejected before any DNS query is sent), a host name whose address changes,
// another process holding the database's write lock, a damaged database file.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/fake_resolver.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

const FeedEntry kFirst{"truce-1", "Ceasefire agreed along the front", "Both sides confirmed."};
const FeedEntry kSecond{"truce-2", "Truce extended by a week", "Mediators announced it."};
const FeedEntry kThird{"truce-3", "Ceasefire holds in the south", "Quiet night reported."};

std::vector<std::int64_t> AlertSeqs(const std::vector<BusMessage>& messages) {
  std::vector<std::int64_t> seqs;
  for (const BusMessage& message : messages) {
    if (message.topic.rfind("alert.", 0) == 0) seqs.push_back(message.body["seq"]);
  }
  return seqs;
}

TEST_CASE("a feed that turns to garbage and back loses no item and repeats none") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({}, "\"v0\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner daemon(config);
  REQUIRE(subscriber.WaitConnected());
  server.Serve("/wire.xml", FeedResource({kFirst, kSecond}, "\"v1\""));
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 2; ++i) {
    auto alert = subscriber.ReceiveTopic("alert.", 10s);
    REQUIRE(alert);
    seqs.push_back(alert->body["seq"]);
  }

  Resource garbage;
  garbage.body = std::string("\x1f\x8b\x08\0garbage\xff\xfe<rss", 18) + std::string(2000, '\xc3');
  garbage.content_type = "application/rss+xml";
  garbage.etag = "\"garbage\"";
  server.Serve("/wire.xml", garbage);
  const std::size_t before = server.HitCount("/wire.xml");
  REQUIRE(server.WaitForHits("/wire.xml", before + 2));
  REQUIRE(log.WaitFor("feed 'wire' (" + server.Url("/wire.xml") +
                      "): not a feed: the document is gzip-compressed data"));

  server.Serve("/wire.xml", FeedResource({kFirst, kSecond, kThird}, "\"v3\""));
  auto third = subscriber.ReceiveTopic("alert.", 15s);
  REQUIRE(third);
  seqs.push_back(third->body["seq"]);
  CHECK(third->body["item"]["id"] == "truce-3");
  REQUIRE(log.WaitFor("feed 'wire' recovered"));
  // A few more polls of the same feed: nothing more.
  REQUIRE(server.WaitForHits("/wire.xml", server.HitCount("/wire.xml") + 2));
  REQUIRE(subscriber.WaitConnected());
  for (std::int64_t seq : AlertSeqs(subscriber.skipped())) seqs.push_back(seq);
  CHECK(seqs == std::vector<std::int64_t>{1, 2, 3});
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 3);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM items") == 3);
  // The garbage's ETag was never stored: the feed was asked for with the last good one.
  for (const Hit& hit : server.Hits("/wire.xml")) CHECK(hit.if_none_match != "\"garbage\"");
}

TEST_CASE("a feed cut off mid-document is asked for in full again, not with its validators") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({}, "\"v0\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner daemon(config);
  REQUIRE(subscriber.WaitConnected());
  // A generator that died half-way through the second item, under the version's ETag; then
  // the whole document under the same one, as a server that tags versions, not bytes, sends.
  Resource whole = FeedResource({kFirst, kSecond}, "\"v1\"");
  Resource cut = whole;
  cut.body.resize(cut.body.find(kSecond.title) + 5);
  server.Serve("/wire.xml", cut);
  auto first = subscriber.ReceiveTopic("alert.", 10s);
  REQUIRE(first);
  CHECK(first->body["item"]["id"] == kFirst.guid);
  server.Serve("/wire.xml", whole);
  // Asked with v1, the server would answer 304 for as long as the version lasts.
  auto second = subscriber.ReceiveTopic("alert.", 15s);
  REQUIRE(second);
  CHECK(second->body["item"]["id"] == kSecond.guid);
}

// A self-signed certificate for 127.0.0.1 made by the openssl command, as tests/feeds_h2_test.
struct Certificate {
  std::string key;
  std::string cert;
};

std::optional<Certificate> MakeCertificate(const TempDir& dir) {
  const std::string openssl = "/usr/bin/openssl";
  if (access(openssl.c_str(), X_OK) != 0) return std::nullopt;
  Certificate made{dir.File("key.pem"), dir.File("cert.pem")};
  auto child = Process::Program({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", made.key,
                                 "-out", made.cert, "-days", "1", "-subj", "/CN=localhost",
                                 "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"});
  if (child->Wait(30s) != 0) return std::nullopt;
  return made;
}

// cpp-httplib's SSLServer with that certificate, serving one feed at /feed.xml.
class TlsFeedServer {
 public:
  explicit TlsFeedServer(const Certificate& certificate)
      : server_(certificate.cert.c_str(), certificate.key.c_str()) {
    if (!server_.is_valid()) throw std::runtime_error("SSLServer rejected the certificate");
    server_.Get("/feed.xml", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(RssFeed({kFirst}), "application/rss+xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("SSLServer cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TlsFeedServer() {
    server_.stop();
    thread_.join();
  }
  TlsFeedServer(const TlsFeedServer&) = delete;
  TlsFeedServer& operator=(const TlsFeedServer&) = delete;
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/feed.xml"; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_CASE("a feed whose server's certificate is self-signed fails with a message naming it") {
  TempDir dir;
  std::optional<Certificate> certificate = MakeCertificate(dir);
  if (!certificate) {
    WARN("skipping: no /usr/bin/openssl to make a certificate (Debian package openssl)");
    return;
  }
  TlsFeedServer server(*certificate);
  LogCapture log;
  Config config = TestConfig(dir, {{"self-signed", server.Url()}});
  DaemonRunner daemon(config);
  CHECK(log.WaitFor("feed 'self-signed' (" + server.Url() +
                    "): the server's TLS certificate is not trusted: SSL certificate problem: "
                    "self-signed certificate"));
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM items") == 0);
}

TEST_CASE("a feed whose host name does not resolve fails with a message naming it") {
  LogCapture log;
  TempDir dir;
  // A label over DNS's 63 bytes: the resolver refuses it without sending a query, so the test
  // needs no network and sends nothing to the machine's name server.
  const std::string host = std::string(70, 'n') + ".invalid";
  WriteTrucesThread(dir);
  std::string toml = TestConfigToml(dir, {{"nowhere", "http://" + host + "/feed.xml"}});
  // A remote host is polled no faster than min_interval, at least 1 s.
  const std::string fast = "interval = \"100ms\"";
  toml.replace(toml.find(fast), fast.size(), "interval = \"1s\"\nmin_interval = \"1s\"");
  auto config = LoadConfig(dir.Write("newsmon.toml", toml));
  REQUIRE(config.ok());
  DaemonRunner daemon(*config);
  CHECK(log.WaitFor("feed 'nowhere' (http://" + host + "/feed.xml): cannot resolve host '" + host +
                    "': no such name, or no name server could be reached"));
}

// A feed host whose DNS answer changes while the daemon polls it: the old address keeps
// serving (a server being migrated away from, holding connections open as busy servers do),
// the new one serves one item more. The name is answered by tests/support/fake_resolver.h
// through the C library's getaddrinfo, so curl's own DNS cache and connection reuse decide
// when the new address is used. The test's address lifetime is 1 s instead of 60.
TEST_CASE("a feed host whose address changes is followed there, with nothing lost or repeated") {
  LogCapture log;
  TempDir dir;
  FeedServer old_address(FeedServerOptions{.address = "127.0.0.1", .long_keep_alive = true});
  FeedServer new_address(FeedServerOptions{.address = "127.0.0.2", .port = old_address.port()});
  const std::string host = "wire.newsmon-test.invalid";  // never sent to a name server
  ScopedHostAddress resolved(host, "127.0.0.1");
  const std::string url = "http://" + host + ":" + std::to_string(old_address.port()) + "/w.xml";
  old_address.Serve("/w.xml", FeedResource({}, "\"v0\""));
  new_address.Serve("/w.xml", FeedResource({kFirst, kSecond, kThird}, "\"v3\""));

  WriteTrucesThread(dir);
  std::string toml = TestConfigToml(dir, {{"wire", url}}, kNoStories);
  // A host that is not loopback by name is polled no faster than min_interval, at least 1 s.
  const std::string fast = "interval = \"100ms\"";
  toml.replace(toml.find(fast), fast.size(), "interval = \"1s\"\nmin_interval = \"1s\"");
  auto config = LoadConfig(dir.Write("newsmon.toml", toml));
  REQUIRE(config.ok());
  SystemClock clock;
  SeededRandom random(13);
  Env env{clock, random, std::chrono::seconds(1)};
  Subscriber subscriber(config->publish.endpoint, {"alert.", "sys."});
  DaemonRunner daemon(*config, env);
  REQUIRE(subscriber.WaitConnected());
  old_address.Serve("/w.xml", FeedResource({kFirst, kSecond}, "\"v1\""));
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 2; ++i) {
    auto alert = subscriber.ReceiveTopic("alert.", 10s);
    REQUIRE(alert);
    seqs.push_back(alert->body["seq"]);
  }
  // A few polls at the old address, over the connection it keeps open.
  REQUIRE(old_address.WaitForHits("/w.xml", old_address.HitCount("/w.xml") + 3));

  resolved.MoveTo("127.0.0.2");
  auto third = subscriber.ReceiveTopic("alert.", 15s);
  REQUIRE(third);
  CHECK(third->body["item"]["id"] == "truce-3");
  seqs.push_back(third->body["seq"]);
  // The new address is where the feed is polled from now on; the old one hears no more.
  const std::size_t old_hits = old_address.HitCount("/w.xml");
  REQUIRE(new_address.WaitForHits("/w.xml", new_address.HitCount("/w.xml") + 3));
  CHECK(old_address.HitCount("/w.xml") == old_hits);
  REQUIRE(subscriber.WaitConnected());
  for (std::int64_t seq : AlertSeqs(subscriber.skipped())) seqs.push_back(seq);
  CHECK(seqs == std::vector<std::int64_t>{1, 2, 3});
  CHECK(CountRows(config->database, "SELECT COUNT(*) FROM alerts") == 3);
  CHECK(CountRows(config->database, "SELECT COUNT(*) FROM items") == 3);
  CHECK_FALSE(log.Contains("feed 'wire' (" + url + "):"));  // no error on the way
}

// Holds the database's write lock from another process until it is killed.
std::unique_ptr<Process> LockDatabase(const std::string& path) {
  auto locker = Process::Program({"/usr/bin/python3", "-c",
                                  "import sqlite3, sys, time\n"
                                  "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                                  "db.execute('BEGIN IMMEDIATE')\n"
                                  "print('locked', flush=True)\n"
                                  "time.sleep(60)\n",
                                  path});
  REQUIRE(WaitUntil([&] { return locker->Stdout() == "locked\n"; }));
  return locker;
}

TEST_CASE(
    "while another process holds the database lock the daemon keeps turning and stores later") {
  LogCapture log;
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({}, "\"empty\""));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  REQUIRE(Store::Open(config.database).ok());  // as any earlier run leaves it
  std::unique_ptr<Process> locker;
  SECTION("a lock taken before the daemon starts: it starts all the same") {
    locker = LockDatabase(config.database);
  }
  SECTION("a lock taken while it runs") {}
  Subscriber subscriber(config.publish.endpoint, {"alert.", "sys."});
  DaemonRunner daemon(config);
  REQUIRE(subscriber.WaitConnected());

  if (!locker) locker = LockDatabase(config.database);
  server.Serve("/wire.xml", FeedResource({kFirst}, "\"v1\""));
  REQUIRE(log.WaitFor("feed 'wire' (" + server.Url("/wire.xml") +
                      "): cannot store: the database is locked by another process; "
                      "retrying with the feed's next poll"));
  // Heartbeats every 50 ms go on: waiting for the lock does not hold the loop.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) REQUIRE(subscriber.ReceiveTopic("sys.heartbeat", 1s));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(AlertSeqs(subscriber.skipped()).empty());

  locker->Signal(SIGKILL);
  REQUIRE(locker->Wait(5s));
  auto alert = subscriber.ReceiveTopic("alert.", 15s);
  REQUIRE(alert);
  CHECK(alert->body["seq"] == 1);
  CHECK(alert->body["item"]["id"] == "truce-1");
  REQUIRE(log.WaitFor("feed 'wire' recovered"));
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 1);
}

TEST_CASE("a database that needs migrating while another process holds its lock is refused") {
  TempDir dir;
  const std::string path = dir.File("newsmon.db");
  REQUIRE(Store::Open(path).ok());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TABLE database_identity; PRAGMA user_version = 5", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto locker = LockDatabase(path);
  auto store = Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message() ==
        "database '" + path + "': migration to schema 6: database is locked");
}

std::string Bytes(const std::string& path) { return ReadFile(path); }

TEST_CASE("a damaged database is refused at start and left byte for byte as it was") {
  TempDir dir;
  Config config = TestConfig(dir, QuietFeed(dir));
  {
    auto store = Store::Open(config.database);
    REQUIRE(store.ok());
    FetchRecord record;
    record.feed = "wire";
    record.config_url = "https://example.org/wire";
    record.new_items = {MatchingItem("a", "truces")};
    REQUIRE((*store)->RecordFetch(record).ok());
  }
  std::string damaged = Bytes(config.database);
  REQUIRE(damaged.size() >= 3 * 4096);
  std::string expected_cause;
  SECTION("its header") {
    damaged.replace(0, 16, "no database here");
    expected_cause = "file is not a database";
  }
  SECTION("its pages after the first") {
    damaged.replace(4096, damaged.size() - 4096, std::string(damaged.size() - 4096, '\x5a'));
    expected_cause = "database disk image is malformed";
  }
  std::ofstream(config.database, std::ios::binary | std::ios::trunc) << damaged;

  Completed run = RunNewsmon({"run", "--config", config.path});
  CHECK(run.status == 1);
  CHECK(run.err.find("database '" + config.database + "': " + expected_cause +
                     ": the file is damaged or is not a newsmon database; newsmon leaves it as "
                     "it is: restore it from a backup, or move it away to start a new one") !=
        std::string::npos);
  CHECK(Bytes(config.database) == damaged);
}

}  // namespace
}  // namespace newsmon::testing
