// The Python subscriber in docs/alerts.md, run as written against the real daemon, so the
// documented protocol and the daemon cannot drift apart. Needs Debian's python3-zmq.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";

// The first ```python block after `heading` in docs/alerts.md.
std::string PythonBlockAfter(const std::string& heading) {
  std::ifstream file(std::string(NEWSMON_SOURCE_DIR) + "/docs/alerts.md");
  std::stringstream text;
  text << file.rdbuf();
  std::string doc = text.str();
  std::size_t start = doc.find("```python\n", doc.find(heading));
  if (start == std::string::npos) return "";
  start += 10;
  return doc.substr(start, doc.find("```", start) - start);
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool PyZmqAvailable() {
  auto check = Process::Program({kPython, "-c", "import zmq"});
  return check->Wait(20s) == 0;
}

TEST_CASE("the documented pyzmq subscriber catches up through replay, then follows live") {
  if (!PyZmqAvailable()) {
    WARN("skipping: " << kPython << " cannot import zmq (Debian package python3-zmq)");
    return;
  }
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource({{"truce-1", "Ceasefire agreed", "The truce holds."}}));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}});
  DaemonRunner daemon(config);
  // Stored before the client exists, so it can only come through replay.
  REQUIRE(WaitUntil(
      [&] {
        return RunNewsmon({"status", "--config", config.path}).out.find("last alert seq 1\n") !=
               std::string::npos;
      },
      10s));

  std::string example = PythonBlockAfter("## Example subscriber (Python, pyzmq)");
  REQUIRE_FALSE(example.empty());
  ReplaceAll(example, "tcp://127.0.0.1:5556", config.publish.endpoint);
  ReplaceAll(example, "tcp://127.0.0.1:5557", config.publish.replay_endpoint);
  auto client = Process::Program({kPython, "-u", dir.Write("subscriber.py", example)});

  REQUIRE(WaitUntil(
      [&] { return client->Stdout().find("1 truces Ceasefire agreed\n") != std::string::npos; },
      15s));
  server.Serve("/wire.xml", FeedResource({{"truce-1", "Ceasefire agreed", "The truce holds."},
                                          {"truce-2", "Truce violated overnight", "Shelling."}}));
  REQUIRE(WaitUntil(
      [&] {
        return client->Stdout().find("2 truces Truce violated overnight\n") != std::string::npos;
      },
      15s));
  CHECK(client->Stdout() == "1 truces Ceasefire agreed\n2 truces Truce violated overnight\n");
}

}  // namespace
}  // namespace newsmon::testing
