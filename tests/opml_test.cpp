#include <catch2/catch.hpp>

#include "daemon/config.h"
#include "daemon/opml_import.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

const char* kOpml = R"(<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="War desk">
    <outline text="Kyiv Wire" title="Kyiv &quot;Wire&quot;" type="rss" xmlUrl="https://example.org/kyiv.xml"/>
    <outline text="Kyiv Wire" type="rss" xmlUrl="https://example.org/kyiv-2.xml"/>
  </outline>
  <outline text="No feed here" htmlUrl="https://example.org/"/>
  <outline text="Front" xmlUrl="https://example.org/front.atom"/>
</body></opml>)";

TEST_CASE("OPML outlines with an xmlUrl become uniquely named feeds, nested or not") {
  auto feeds = ParseOpml(kOpml);
  REQUIRE(feeds.ok());
  REQUIRE(feeds->size() == 3);
  CHECK((*feeds)[0].name == "Kyiv \"Wire\"");
  CHECK((*feeds)[1].name == "Kyiv Wire");
  CHECK((*feeds)[2].url == "https://example.org/front.atom");
  CHECK(FeedTablesToml({(*feeds)[0]}) ==
        "[[feed]]\nname = \"Kyiv \\\"Wire\\\"\"\nurl = \"https://example.org/kyiv.xml\"\n\n");
  CHECK(ParseOpml("<rss/>").status().message() == "not an OPML document (no <opml><body>)");
}

TEST_CASE("import-opml prints valid tables and --append adds only new feeds") {
  TempDir dir;
  std::string opml = dir.Write("subs.opml", kOpml);
  Completed printed = RunNewsmon({"import-opml", opml});
  REQUIRE(printed.status == 0);
  std::string config_path = dir.Write("n.toml",
                                      "min_interval = \"1m\"\n[[feed]]\nname = \"Front\"\n"
                                      "url = \"https://example.org/front.atom\"\n");
  Completed appended = RunNewsmon({"import-opml", opml, "--append", config_path});
  REQUIRE(appended.status == 0);
  CHECK(appended.out == "appended 2 feeds to " + config_path + " (1 already there)\n");
  auto config = LoadConfig(config_path);
  REQUIRE(config.ok());
  REQUIRE(config->feeds.size() == 3);
  CHECK(config->feeds[1].name == "Kyiv \"Wire\"");
  CHECK(config->feeds[2].url == "https://example.org/kyiv-2.xml");

  // Corpus OPML files from other projects' suites parse without trouble.
  std::string corpus = CorpusPath("feeds/feedvalidator/opml/clean/subscriptionList.opml");
  if (std::filesystem::exists(corpus)) {
    CHECK(RunNewsmon({"import-opml", corpus}).status == 0);
  } else {
    WARN("corpus missing: " << corpus);
  }
}

}  // namespace
}  // namespace newsmon::testing
