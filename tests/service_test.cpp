// newsmon as systemd runs it: sd_notify messages, reload on SIGHUP, log formats.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/bus.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

// The receiving end of sd_notify(3): a datagram socket the service manager would own.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~NotifySocket() { close(fd_); }

  // Waits for a datagram containing text; returns every datagram seen until then.
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      ssize_t size = recv(fd_, buffer, sizeof buffer, 0);
      if (size <= 0) continue;
      std::string message(buffer, static_cast<std::size_t>(size));
      received_.push_back(message);
      if (message.find(text) != std::string::npos) return true;
    }
    return false;
  }
  const std::vector<std::string>& received() const { return received_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

TEST_CASE("under systemd: READY, STATUS, WATCHDOG, and RELOADING then READY on SIGHUP") {
  TempDir dir;
  FeedServer server;
  Resource feed;
  feed.body = RssFeed({});
  server.Serve("/f.xml", feed);
  Config config = TestConfig(dir, {{"wire", server.Url("/f.xml")}});
  NotifySocket notify(dir.File("notify"));
  Process daemon({"run", "--config", config.path}, "",
                 {"NOTIFY_SOCKET=" + dir.File("notify"), "WATCHDOG_USEC=200000"});
  REQUIRE(notify.WaitFor("READY=1"));
  REQUIRE(notify.WaitFor("STATUS=1 feeds, 0 failing; last alert: none"));
  REQUIRE(notify.WaitFor("WATCHDOG=1"));
  REQUIRE(notify.WaitFor("WATCHDOG=1"));

  daemon.Signal(SIGHUP);
  REQUIRE(notify.WaitFor("RELOADING=1"));
  REQUIRE(notify.WaitFor("READY=1"));
  daemon.Signal(SIGTERM);
  REQUIRE(notify.WaitFor("STOPPING=1"));
  CHECK(daemon.Wait(2s) == 0);
  CHECK(daemon.Stderr().find("reloaded: 1 feeds, 1 threads") != std::string::npos);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

std::string RunBriefly(const TempDir& dir, const std::string& format,
                       const std::vector<std::string>& env = {}) {
  Config config = TestConfig(dir, QuietFeed(dir));
  Subscriber subscriber(config.publish.endpoint, {"sys."});
  std::vector<std::string> args = {"run", "--config", config.path};
  if (!format.empty()) args.insert(args.end(), {"--log-format", format});
  Process daemon(args, "", env);
  REQUIRE(subscriber.WaitConnected());
  daemon.Signal(SIGTERM);
  REQUIRE(daemon.Wait(2s) == 0);
  return daemon.Stderr();
}

TEST_CASE("the json log format writes one JSON object per line") {
  TempDir dir;
  auto lines = Lines(RunBriefly(dir, "json"));
  REQUIRE(lines.size() >= 2);
  for (const std::string& line : lines) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(entry.is_discarded());
    CHECK(entry["level"] == "info");
    CHECK(entry["time"].get<std::string>().back() == 'Z');
  }
  CHECK(nlohmann::json::parse(lines.front())["message"].get<std::string>().rfind("newsmon running",
                                                                                 0) == 0);
}

TEST_CASE("the journal log format prefixes syslog priorities and leaves time to journald") {
  TempDir dir;
  auto lines = Lines(RunBriefly(dir, "journal"));
  REQUIRE(lines.size() >= 2);
  CHECK(lines.front().rfind("<6>newsmon running", 0) == 0);
}

TEST_CASE("an unknown log format is refused") {
  Completed result =
      RunNewsmon({"run", "--config", SourcePath("config/demo.toml"), "--log-format", "xml"});
  CHECK(result.status == 1);
  CHECK(result.err == "unknown log format 'xml' (auto, text, journal or json)\n");
}

}  // namespace
}  // namespace newsmon::testing
