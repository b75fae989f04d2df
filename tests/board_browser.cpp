// The board in a real browser: Debian's headless Chromium loads the page, which fills
// itself from /events. Chromium's --dump-dom waits for the network to go quiet, which an
// open event stream never does, so the test stops the board once the alerts have had their
// time to arrive; the DOM is then what an editor would have seen. Without Chromium the
// whole executable exits 77, which CTest reports as skipped (SKIP_RETURN_CODE).
#define CATCH_CONFIG_RUNNER
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/support/board_bus.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

std::string FindChromium() {
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string directory; std::getline(path, directory, ':');) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = directory + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

// Loads the board in Chromium, publishing `live` while the page is open, and returns the
// DOM it ended with.
std::string BrowseBoard(FakeBus& bus, RunningBoard& board, const nlohmann::json& live,
                        const TempDir& profile) {
  const std::string url = "http://127.0.0.1:" + std::to_string(board.port()) + "/";
  auto browser = Process::Program({FindChromium(), "--headless", "--disable-gpu", "--no-sandbox",
                                   "--user-data-dir=" + profile.File("chromium"),
                                   "--virtual-time-budget=3000", "--dump-dom", url});
  std::this_thread::sleep_for(2s);  // the page is loaded and has the replayed alerts
  bus.Publish(live);
  std::this_thread::sleep_for(1s);  // a live alert shows within a second
  board.process().Signal(SIGTERM);
  REQUIRE(browser->Wait(30s).has_value());
  return browser->Stdout();
}

TEST_CASE("Chromium shows replayed and live alerts and a title holding a script tag as text") {
  TempDir dir;
  FakeBus bus(dir);
  bus.Store(BoardAlert(1, "Ceasefire agreed along the southern front", 7));
  bus.Store(BoardAlert(2, "<script>document.title='owned'</script>Truce talks resume"));
  RunningBoard board(bus);
  const std::string dom =
      BrowseBoard(bus, board, BoardAlert(3, "Live ceasefire monitors arrive", 9), dir);
  INFO(dom);
  CHECK(dom.find("<title>newsmon board</title>") != std::string::npos);
  // The matched term is highlighted, the rest of the title is text around it.
  CHECK(dom.find("<mark>Ceasefire</mark> agreed along the southern front") != std::string::npos);
  CHECK(dom.find("&lt;script&gt;document.title='owned'&lt;/script&gt;Truce talks resume") !=
        std::string::npos);
  CHECK(dom.find("Live <mark>ceasefire</mark> monitors arrive") != std::string::npos);
  CHECK(dom.find("owned</title>") == std::string::npos);
}

}  // namespace
}  // namespace newsmon::testing

int main(int argc, char** argv) {
  if (newsmon::testing::FindChromium().empty()) {
    std::cout << "skipped: no chromium on PATH; install Debian's chromium to run the board's "
                 "browser test\n";
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
