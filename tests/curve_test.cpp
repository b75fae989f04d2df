// CURVE on the bus: keys from `newsmon keygen`, the daemon admitting only authorised
// client keys (ZAP), and `newsmon tail` telling its user why it was refused.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "daemon/config.h"
#include "publishers/bus_context.h"
#include "publishers/curve.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

void KeyGen(const TempDir& dir, const std::string& name, const std::string& folder) {
  Completed keygen = RunNewsmon({"keygen", name, "--dir", dir.File(folder)});
  REQUIRE(keygen.status == 0);
}

// The test config with CURVE keys in [publish]: the daemon's pair in keys/, the
// authorised clients in clients/.
Config CurveConfig(const TempDir& dir, const std::string& feed_url) {
  WriteTrucesThread(dir);
  std::string toml = TestConfigToml(dir, {{"wire", feed_url}});
  toml.replace(toml.find("[publish]\n") + 10, 0,
               "curve_secret_key = \"keys/server.key_secret\"\n"
               "curve_authorized_keys = \"clients\"\n");
  auto config = LoadConfig(dir.Write("newsmon.toml", toml));
  REQUIRE(config.ok());
  return std::move(config).value();
}

// A refused tail says so as soon as the handshake fails, not after its replay request's 2 s
// timeout: an editor should not wait for alerts that cannot come. Starting the binary is not
// part of that wait, and under a sanitizer on a loaded machine it alone took hundreds of
// milliseconds (the test failed at a flat 1.9 s), so it is measured in the same run and added.
std::chrono::milliseconds SoonerThanReplayTimeout() {
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(RunNewsmon({"--version"}).status == 0);
  return std::chrono::milliseconds(1900) + std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - start);
}

std::size_t CountOf(const LogCapture& log, const std::string& text) {
  auto lines = log.Lines();
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(),
                    [&](const std::string& line) { return line.find(text) != std::string::npos; }));
}

std::vector<std::string> TailArgs(const Config& config, const TempDir& dir,
                                  const std::string& own_key) {
  std::vector<std::string> args = {"tail",
                                   "--endpoint",
                                   config.publish.endpoint,
                                   "--replay-endpoint",
                                   config.publish.replay_endpoint,
                                   "--since",
                                   "0",
                                   "--count",
                                   "1",
                                   "--json"};
  if (!own_key.empty()) {
    args.insert(args.end(),
                {"--curve-server-key", dir.File("keys/server.key"), "--curve-key", own_key});
  }
  return args;
}

TEST_CASE("keygen writes a certificate pair that loads back and never overwrites it", "[curve]") {
  TempDir dir;
  Completed first = RunNewsmon({"keygen", "desk-1", "--dir", dir.File("keys")});
  REQUIRE(first.status == 0);
  auto secret = LoadCurveSecretCertificate(dir.File("keys/desk-1.key_secret"));
  auto shared = LoadCurveCertificate(dir.File("keys/desk-1.key"));
  REQUIRE(secret.ok());
  REQUIRE(shared.ok());
  CHECK(shared->public_key == secret->public_key);
  CHECK(shared->secret_key.empty());
  CHECK(first.out.find("public key " + secret->public_key) != std::string::npos);

  struct stat info {};
  REQUIRE(stat(dir.File("keys/desk-1.key_secret").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  Completed again = RunNewsmon({"keygen", "desk-1", "--dir", dir.File("keys")});
  CHECK(again.status == 1);
  CHECK(again.err == "newsmon keygen: cannot create " + dir.File("keys/desk-1.key_secret") +
                         ": File exists (remove it first to replace the key)\n");
  CHECK(LoadCurveSecretCertificate(dir.File("keys/desk-1.key_secret"))->secret_key ==
        secret->secret_key);
}

TEST_CASE("keygen with only one half of a pair present writes neither", "[curve]") {
  TempDir dir;
  for (const std::string kept : {"desk.key", "desk.key_secret"}) {
    const std::string other = kept == "desk.key" ? "desk.key_secret" : "desk.key";
    const std::string keys = dir.File("keys-" + other);
    REQUIRE(RunNewsmon({"keygen", "desk", "--dir", keys}).status == 0);
    const std::string before = ReadFile(keys + "/" + kept);
    REQUIRE(std::filesystem::remove(keys + "/" + other));
    Completed again = RunNewsmon({"keygen", "desk", "--dir", keys});
    CHECK(again.status == 1);
    CHECK(again.err == "newsmon keygen: cannot create " + keys + "/" + kept +
                           ": File exists (remove it first to replace the key)\n");
    CHECK(ReadFile(keys + "/" + kept) == before);
    std::vector<std::string> names;  // the other half not written, no temporary file left
    for (const auto& entry : std::filesystem::directory_iterator(keys)) {
      names.push_back(entry.path().filename().string());
    }
    CHECK(names == std::vector<std::string>{kept});
  }
}

TEST_CASE("CURVE settings that cannot work are config errors with their line", "[curve][config]") {
  TempDir dir;
  KeyGen(dir, "server", "keys");
  WriteTrucesThread(dir);
  std::string base = TestConfigToml(dir, {});
  auto check_config_with = [&](const std::string& lines) {
    std::string toml = base;
    toml.replace(toml.find("[publish]\n") + 10, 0, lines);
    return RunNewsmon({"check-config", "--config", dir.Write("bad.toml", toml)}).err;
  };
  const std::string file = dir.File("bad.toml");

  CHECK(check_config_with("curve_secret_key = \"keys/server.key_secret\"\n") ==
        file +
            ":8: CURVE needs both 'curve_secret_key' (the daemon's .key_secret file) and "
            "'curve_authorized_keys' (a directory of client .key files) in [publish]\n");
  CHECK(check_config_with("curve_secret_key = \"keys/server.key\"\n"
                          "curve_authorized_keys = \"keys\"\n") ==
        file + ":8: " + dir.File("keys/server.key") +
            " holds no secret-key: give the NAME.key_secret file, not the public NAME.key\n");
  REQUIRE(chmod(dir.File("keys/server.key_secret").c_str(), 0644) == 0);
  CHECK(check_config_with("curve_secret_key = \"keys/server.key_secret\"\n"
                          "curve_authorized_keys = \"keys\"\n") ==
        file + ":8: " + dir.File("keys/server.key_secret") +
            " is readable by every user on this host: chmod o-rwx it (0600, or 0640 for a group "
            "the daemon is in)\n");
  REQUIRE(chmod(dir.File("keys/server.key_secret").c_str(), 0640) == 0);
  CHECK(check_config_with("curve_secret_key = \"keys/server.key_secret\"\n"
                          "curve_authorized_keys = \"missing\"\n") ==
        file + ":9: cannot read authorised keys directory " + dir.File("missing") +
            ": No such file or directory\n");
}

TEST_CASE("commands other than run and check-config never read the CURVE keys", "[curve][config]") {
  TempDir dir;
  WriteTrucesThread(dir);
  std::string toml = TestConfigToml(dir, {});
  toml.replace(toml.find("[publish]\n") + 10, 0,
               "curve_secret_key = \"/run/credentials/newsmon.service/server.key_secret\"\n"
               "curve_authorized_keys = \"clients\"\n");
  std::string path = dir.Write("newsmon.toml", toml);
  // A secret key that only the service can read (here: absent) does not stop a dry run.
  Completed classify =
      RunNewsmon({"classify", "--config", path}, "{\"id\":\"a\",\"title\":\"Truce\"}\n");
  CHECK(classify.status == 0);
  CHECK(RunNewsmon({"check-config", "--config", path}).status == 1);
}

TEST_CASE("with CURVE the bus admits authorised keys only, and tail says why it was refused",
          "[curve][daemon]") {
  LogCapture log;
  TempDir dir;
  KeyGen(dir, "server", "keys");
  KeyGen(dir, "desk", "clients");
  KeyGen(dir, "intruder", "elsewhere");
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({{"truce-1", "Ceasefire agreed", "The truce holds."}}));
  Config config = CurveConfig(dir, server.Url("/wire.xml"));
  DaemonRunner daemon(config);

  SECTION("an authorised client replays and receives the alert") {
    Process tail(TailArgs(config, dir, dir.File("clients/desk.key_secret")));
    REQUIRE(tail.Wait(15s) == 0);
    auto alert = nlohmann::json::parse(tail.Stdout());
    CHECK(alert["seq"] == 1);
    CHECK(alert["item"]["id"] == "truce-1");
  }

  SECTION("a client whose key is not authorised is refused, and the daemon logs it") {
    const auto deadline = SoonerThanReplayTimeout();
    Process tail(TailArgs(config, dir, dir.File("elsewhere/intruder.key_secret")));
    REQUIRE(tail.Wait(deadline) == 2);
    CHECK(tail.Stdout().empty());
    CHECK(tail.Stderr().find("refused our key (ZAP status 400)") != std::string::npos);
    auto intruder = LoadCurveCertificate(dir.File("elsewhere/intruder.key"));
    CHECK(log.WaitFor("its key " + intruder->public_key +
                      " is not among the authorised client keys"));
  }

  SECTION("a client without CURVE gets nothing and is told why") {
    const auto deadline = SoonerThanReplayTimeout();
    Process tail(TailArgs(config, dir, ""));
    REQUIRE(tail.Wait(deadline) == 2);
    CHECK(tail.Stdout().empty());
    CHECK(tail.Stderr().find("one side uses CURVE and the other does not") != std::string::npos);
  }

  SECTION("a reload that turns CURVE off is refused until a restart: the bus stays closed") {
    std::string toml = TestConfigToml(dir, {{"wire", server.Url("/wire.xml")}});
    dir.Write("newsmon.toml", toml);
    daemon.Reload();
    REQUIRE(log.WaitFor("reloaded:"));
    CHECK(
        log.Contains("turning CURVE on or off, or a new curve_secret_key, takes effect after a "
                     "restart"));
    Process plaintext(TailArgs(config, dir, ""));
    CHECK(plaintext.Wait(15s) == 2);
    // The running key directory is still re-read on every reload.
    KeyGen(dir, "late", "clients");
    daemon.Reload();
    REQUIRE(WaitUntil([&] { return CountOf(log, "reloaded:") == 2; }, 10s));
    Process late(TailArgs(config, dir, dir.File("clients/late.key_secret")));
    CHECK(late.Wait(15s) == 0);
  }

  SECTION("a key added to the directory is admitted after a reload") {
    KeyGen(dir, "night-desk", "clients");
    daemon.Reload();
    REQUIRE(log.WaitFor("reloaded:"));
    Process tail(TailArgs(config, dir, dir.File("clients/night-desk.key_secret")));
    CHECK(tail.Wait(15s) == 0);
  }
}

TEST_CASE("the daemon warns when its bus is reachable from other hosts without CURVE",
          "[curve][daemon]") {
  LogCapture log;
  TempDir dir;
  Config config = TestConfig(dir, QuietFeed(dir));
  config.publish.endpoint = "tcp://0.0.0.0:*";
  DaemonRunner daemon(config);
  CHECK(log.WaitFor("tcp://0.0.0.0:* is reachable from other machines and CURVE is off"));
  CHECK_FALSE(log.Contains(config.publish.replay_endpoint + " is reachable"));
}

TEST_CASE("every endpoint but ipc, inproc and loopback tcp is exposed", "[curve]") {
  CHECK(IsExposedEndpoint("tcp://0.0.0.0:5556"));
  CHECK(IsExposedEndpoint("tcp://*:5556"));
  CHECK(IsExposedEndpoint("tcp://192.168.1.10:5556"));
  CHECK(IsExposedEndpoint("tcp://eth0:5556"));
  CHECK(IsExposedEndpoint("tcp://[::]:5556"));
  CHECK_FALSE(IsExposedEndpoint("tcp://127.0.0.1:5556"));
  CHECK_FALSE(IsExposedEndpoint("tcp://localhost:5556"));
  CHECK_FALSE(IsExposedEndpoint("tcp://[::1]:5556"));
  CHECK_FALSE(IsExposedEndpoint("ipc:///run/newsmon/bus"));
  CHECK(IsExposedEndpoint("epgm://eth0;239.192.1.1:5555"));
  CHECK(IsExposedEndpoint("ws://0.0.0.0:8080"));
  CHECK_FALSE(CurveCovers("epgm://eth0;239.192.1.1:5555"));
  CHECK(CurveCovers("tcp://0.0.0.0:5556"));
}

}  // namespace
}  // namespace newsmon::testing
