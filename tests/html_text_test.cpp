// Feed text to plain text (HtmlToText): a '<' or an unclosed <script> in prose must not cut
// the rest of a title away, and text escaped once more than its markup (double-escaped
// references, also inside CDATA) must read as the publisher wrote it. Every pass is linear in
// the text, whatever markup is left unclosed.
#include <time.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include "feeds/feed_parser.h"
#include "tests/support/growth.h"

namespace fs = std::filesystem;
using newsmon::HtmlToText;
using newsmon::ParsedFeed;
using newsmon::ParseFeed;

namespace {

ParsedFeed MustParse(std::string_view body) {
  auto result = ParseFeed(body, {});
  INFO("error: " << result.status().message());
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string Rss(std::string_view items) {
  return "<rss version=\"2.0\"><channel><title>T</title><link>https://x.example/</link>" +
         std::string(items) + "</channel></rss>";
}

// About 1 for linear work, about 10 for quadratic (tests/support/growth.h).
double GrowthOfTenfold(const std::function<std::string(int)>& make, int n) {
  return newsmon::testing::GrowthOfTenfold(
      make, [](const std::string& text) { HtmlToText(text); }, n);
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

}  // namespace

TEST_CASE("A '<' that starts no tag is text", "[feeds][html]") {
  CHECK(HtmlToText("Turnout <half of 2020 level as polls close") ==
        "Turnout <half of 2020 level as polls close");
  CHECK(HtmlToText("Officials said turnout was <half of the 2020 level, and counting continues "
                   "overnight in all 16 regions.") ==
        "Officials said turnout was <half of the 2020 level, and counting continues overnight in "
        "all 16 regions.");
  CHECK(HtmlToText("<p>Turnout <b>fell</b></p> to <half") == "Turnout fell to <half");
  CHECK(HtmlToText("<!DOCTYPE ~") == "<!DOCTYPE ~");
  CHECK(HtmlToText("if a<b and b<c") == "if a<b and b<c");
  // A comment is markup, even unclosed: to "-->", else the next '>', else the end.
  CHECK(HtmlToText("sa<!-- -- nonwhitespace >fe") == "safe");
  CHECK(HtmlToText("safe<!--") == "safe");
  // A tag the generator cut off in its attributes is still markup, dropped with the rest.
  CHECK(HtmlToText("Summary cut here <a href=\"https://example.org/ne") == "Summary cut here");
  CHECK(HtmlToText("Summary cut here <img src=x") == "Summary cut here");
}

TEST_CASE("An RSS title escaping a '<' keeps the words after it", "[feeds][html]") {
  const ParsedFeed feed = MustParse(
      Rss("<item><title>Turnout &lt;half of 2020 level as polls close</title>"
          "<description>Officials said turnout was &lt;half of the 2020 level.</description>"
          "</item>"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Turnout <half of 2020 level as polls close");
  CHECK(feed.items[0].summary == "Officials said turnout was <half of the 2020 level.");
}

TEST_CASE("A script or style without its end tag drops only the tag", "[feeds][html]") {
  CHECK(HtmlToText("Hackers hide card skimmers in <script> tags on 300 shops") ==
        "Hackers hide card skimmers in tags on 300 shops");
  CHECK(HtmlToText("<p>Inline <STYLE> blocks break the layout</p><p>More</p>") ==
        "Inline blocks break the layout More");
  // Closed ones still lose their bodies; an unclosed one before them does not change that.
  CHECK(HtmlToText("a <script> b <style>p { color: red }</style>c") == "a b c");
  CHECK(HtmlToText("<script>var x = 1;</script>Text<style>p {}</style>!") == "Text!");
}

TEST_CASE("Escaped tags inside HTML are text and double escapes are stripped",
          "[feeds][html]") {
  // The description is HTML and shows "<script>" as a word.
  CHECK(HtmlToText("<p>Attackers injected a malicious &lt;script&gt; tag into checkout pages, "
                   "researchers said on Friday. The flaw affects 300 shops.</p>") ==
        "Attackers injected a malicious <script> tag into checkout pages, researchers said on "
        "Friday. The flaw affects 300 shops.");
  // Escaped once more than it should be: the markup is the escaped tags, stripped.
  CHECK(HtmlToText("&lt;p&gt;Talks resumed &lt;b&gt;in Doha&lt;/b&gt;&lt;/p&gt;next") ==
        "Talks resumed in Doha next");
  // TypePad wraps escaped HTML in Atom's xhtml div: the div is no sign of HTML.
  CHECK(HtmlToText("<div xmlns=\"http://www.w3.org/1999/xhtml\">Example &lt;b&gt;Atom&lt;/b&gt;"
                   "</div>") == "Example Atom");
  // HTML in a CDATA section beside real markup is markup (ROME's issue137 feed).
  CHECK(HtmlToText("<img src=\"t.jpg\" /><![CDATA[<p>MOE will be <a href=\"/p\">building</a> "
                   "11 schools</p>]]>") == "MOE will be building 11 schools");
  // Escaped three times beside real tags (Reddit's): tags only once references are decoded.
  CHECK(HtmlToText(
            "&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;&amp;lt;p&amp;gt;Hey Reddit!"
            "&amp;lt;/p&amp;gt;&amp;lt;/div&amp;gt; submitted by <a href=\"/u\">vonwong</a>") ==
        "Hey Reddit! submitted by vonwong");
  // ... where an unclosed script keeps the text after it.
  CHECK(HtmlToText("&lt;p&gt;Skimmers hide in &lt;script&gt; tags on 300 shops&lt;/p&gt;") ==
        "Skimmers hide in tags on 300 shops");
  const ParsedFeed feed = MustParse(
      Rss("<item><title>Hackers hide card skimmers in &lt;script&gt; tags on 300 shops</title>"
          "<description>&lt;p&gt;Attackers injected a malicious &amp;lt;script&amp;gt; tag into "
          "checkout pages.&lt;/p&gt;</description></item>"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Hackers hide card skimmers in tags on 300 shops");
  CHECK(feed.items[0].summary ==
        "Attackers injected a malicious <script> tag into checkout pages.");
}

TEST_CASE("References escaped twice are decoded, also where no tag is left", "[feeds][html]") {
  CHECK(HtmlToText("Trump&amp;#039;s peace plan: what&amp;#8217;s in it") ==
        "Trump's peace plan: what\xE2\x80\x99s in it");
  CHECK(HtmlToText("<p>Kyiv&amp;#039;s allies met in M&amp;#252;nchen &amp;amp; Paris.</p>") ==
        "Kyiv's allies met in M\xC3\xBCnchen & Paris.");
  CHECK(HtmlToText("&amp;quot;Peace&amp;quot; &amp;ndash; at a price") ==
        "\"Peace\" \xE2\x80\x93 at a price");
  // An ampersand escaped once, or twice, is one ampersand; a bare one stays.
  CHECK(HtmlToText("AT&amp;T") == "AT&T");
  CHECK(HtmlToText("AT&amp;amp;T") == "AT&T");
  CHECK(HtmlToText("AT&T and R&D; Q&amp;A") == "AT&T and R&D; Q&A");
  // A '<' that references spell out twice is a character, not a tag to strip.
  CHECK(HtmlToText("<p>Turnout &amp;lt;half</p>") == "Turnout <half");
  // Text that shows markup (a code sample) shows references too: "&lt;" is what it says.
  CHECK(HtmlToText("<pre>&lt;a href=\"?a=1&amp;amp;b=2\"&gt;</pre>") ==
        "<a href=\"?a=1&amp;b=2\">");
}

TEST_CASE("CDATA titles and summaries escaped twice read as the publisher wrote them",
          "[feeds][html]") {
  const ParsedFeed feed = MustParse(
      Rss("<item><title><![CDATA[Trump&amp;#039;s peace plan: what&amp;#8217;s in it]]></title>"
          "<description><![CDATA[<p>Kyiv&amp;#039;s allies met in M&amp;#252;nchen &amp;amp; "
          "Paris.</p>]]></description></item>"
          "<item><title>Trump&amp;#039;s peace plan: what&amp;#8217;s in it</title>"
          "<description>&lt;p&gt;Kyiv&amp;amp;#039;s allies met in M&amp;amp;#252;nchen "
          "&amp;amp;amp; Paris.&lt;/p&gt;</description></item>"
          "<item><title><![CDATA[AT&amp;T and Verizon]]></title></item>"));
  REQUIRE(feed.items.size() == 3);
  for (int i = 0; i < 2; ++i) {
    INFO("item " << i);
    CHECK(feed.items[i].title == "Trump's peace plan: what\xE2\x80\x99s in it");
    CHECK(feed.items[i].summary == "Kyiv's allies met in M\xC3\xBCnchen & Paris.");
  }
  CHECK(feed.items[2].title == "AT&T and Verizon");
}

TEST_CASE("Corpus: a windows-1251 quote with references escaped inside CDATA",
          "[feeds][html][corpus]") {
  const fs::path file = fs::path(NEWSMON_SOURCE_DIR) /
                        "../shared/corpus/feeds/miniflux/parser/testdata/encoding_WINDOWS-1251.xml";
  if (!fs::exists(file)) {
    WARN("corpus missing: " << file.string() << " (skipping)");
    return;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  const ParsedFeed feed = MustParse(body.str());
  const newsmon::Item* quote = nullptr;
  for (const newsmon::Item& item : feed.items) {
    if (item.title == "Цитата #17370") quote = &item;
  }
  REQUIRE(quote != nullptr);
  CHECK(quote->summary.find("Таволга, или Лаба\xCC\x81зник (лат. Filip\xC3\xA9ndula) — род") !=
        std::string::npos);
  CHECK(quote->summary.find('&') == std::string::npos);
}

TEST_CASE("Unclosed markup costs time linear in the text", "[feeds][html][hostile]") {
  // Each piece repeated: every search for an end that is not there must be made once, not once
  // per piece.
  const auto check = [](std::string_view piece, std::string_view tail) {
    INFO("repeated: " << piece);
    CHECK(GrowthOfTenfold([&](int n) { return Repeat(piece, n) + std::string(tail); }, 20'000) < 4);
  };
  check("<script>x ", ">");       // no end tag after any of them
  check("<style>x <!--y> ", "");  // nor a "-->"
  check("<a'>' ", "");            // quotes hide every '>' from the first tag
  check("<b x <i y ", "");        // no '>' at all
  check("&lt;script&gt;x ", "");  // the first, escaped for the second pass
}
