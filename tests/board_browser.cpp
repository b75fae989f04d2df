// The board in a real browser: Debian's headless Chromium, driven by chromedriver, loads the
// page, which fills itself from /events; the test waits on what the page shows. Without
// Chromium or chromedriver the whole executable exits 77, which CTest reports as skipped
// (SKIP_RETURN_CODE).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>

#include "tests/support/board_bus.h"
#include "tests/support/browser.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

std::string BoardUrl(RunningBoard& board) {
  return "http://127.0.0.1:" + std::to_string(board.port()) + "/";
}

bool Holds(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("Chromium shows replayed and live alerts and a title holding a script tag as text") {
  TempDir dir;
  FakeBus bus(dir);
  bus.Store(BoardAlert(1, "Ceasefire agreed along the southern front", 7));
  bus.Store(BoardAlert(2, "<script>document.title='owned'</script>Truce talks resume"));
  RunningBoard board(bus);
  Browser browser(dir);
  browser.Open(BoardUrl(board));
  const std::string replayed = "Truce talks resume";
  REQUIRE(browser.WaitForHtml([&](const std::string& html) { return Holds(html, replayed); }));
  bus.Publish(BoardAlert(3, "Live ceasefire monitors arrive", 9));
  // The matched term is highlighted, the rest of the title is text around it.
  const std::string live = "Live <mark>ceasefire</mark> monitors arrive";
  CHECK(browser.WaitForHtml([&](const std::string& html) { return Holds(html, live); }));
  const std::string html = browser.Html();
  INFO(html);
  CHECK(Holds(html, "<mark>Ceasefire</mark> agreed along the southern front"));
  CHECK(Holds(html, "&lt;script&gt;document.title='owned'&lt;/script&gt;Truce talks resume"));
  CHECK(browser.Title() == "newsmon board");
}

// Not run by CTest ("[.]"): writes docs/board.png from a night's worth of made-up alerts,
// `board_browser_test "[.screenshot]"`.
TEST_CASE("Screenshot of the board for docs/board.md", "[.screenshot]") {
  using nlohmann::json;
  TempDir dir;
  FakeBus bus(dir);
  auto alert = [](std::int64_t seq, const std::string& thread, const std::string& kind,
                  const std::string& feed, const std::string& title, const std::string& summary,
                  std::vector<std::string> matched, std::int64_t story,
                  std::vector<std::string> sources, const std::string& at) {
    json made = BoardAlert(seq, title, story);
    made["thread"] = thread;
    made["kind"] = kind;
    made["matched"] = matched;
    made["detected_at"] = at;
    made["item"]["feed"] = feed;
    made["item"]["summary"] = summary;
    made["item"]["published"] = at;
    made["story"]["sources"] = sources;
    made["story"]["source_count"] = sources.size();
    return made;
  };
  bus.Store(alert(
      1, "energy-strikes", "new", "kyiv-wire", "Missile strike hits Kharkiv thermal power plant",
      "Ukrenergo says the plant stopped after a night attack; repairs will take weeks.",
      {"strike", "power plant", "ukrenergo"}, 31, {"kyiv-wire"}, "2099-01-01T02:04:10Z"));
  bus.Store(
      alert(2, "truces", "new", "wire", "Ceasefire talks to resume in Istanbul",
            "Delegations are expected on Monday, a ceasefire on energy sites is on the table.",
            {"ceasefire"}, 32, {"wire"}, "2099-01-01T02:10:00Z"));
  bus.Store(alert(3, "energy-strikes", "update", "radio-svoboda",
                  "Kharkiv power plant burns after missile barrage",
                  "Firefighters at the thermal power plant; the city runs on generators.",
                  {"missile", "power plant"}, 31, {"kyiv-wire", "daily", "radio-svoboda"},
                  "2099-01-01T02:12:30Z"));
  bus.Store(alert(4, "truces", "new", "daily",
                  "<script>alert('feed text')</script> Truce monitors arrive",
                  "Markup from a feed stays text: <b>not bold</b>.", {"truce"}, 33, {"daily"},
                  "2099-01-01T02:14:00Z"));
  json burst = {{"schema", 2},
                {"seq", 5},
                {"kind", "burst"},
                {"thread", "energy-strikes"},
                {"burst",
                 {{"stories", 9},
                  {"expected", 0.4},
                  {"p_value", 2.9e-10},
                  {"window_start", "2099-01-01T02:00:00Z"}}},
                {"stories",
                 {{{"id", 31},
                   {"title", "Kharkiv thermal power plant burns after missile barrage"},
                   {"link", "https://example.org/31"},
                   {"feed", "kyiv-wire"},
                   {"first_seen", "2099-01-01T02:04:10Z"},
                   {"source_count", 3}},
                  {{"id", 34},
                   {"title", "Substation in Odesa region hit by drones"},
                   {"link", "https://example.org/34"},
                   {"feed", "daily"},
                   {"first_seen", "2099-01-01T02:09:00Z"},
                   {"source_count", 1}}}},
                {"detected_at", "2099-01-01T02:15:00Z"}};
  bus.Store(burst);
  RunningBoard board(bus);
  Browser browser(dir);
  browser.Open(BoardUrl(board));
  REQUIRE(browser.WaitForHtml(
      [](const std::string& html) { return Holds(html, "Substation in Odesa region"); }));
  browser.SavePng(SourcePath("docs/board.png"));
}

}  // namespace
}  // namespace newsmon::testing

int main(int argc, char** argv) {
  if (newsmon::testing::FindChromium().empty() || newsmon::testing::FindChromeDriver().empty()) {
    std::cout << "skipped: no chromium or chromedriver on PATH; install Debian's chromium and "
                 "chromium-driver to run the board's browser test\n";
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
