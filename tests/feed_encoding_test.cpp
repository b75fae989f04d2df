// Which charset a feed is read in when its labels disagree with each other or with its bytes:
// a server's default charset against the document's declaration, a UTF-8 label on legacy
// bytes. What the editor sees is the title as the publisher wrote it, and a warning saying
// which label was passed over.
#include <unicode/ucnv.h>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser.h"
#include "feeds/feed_parser_internal.h"

using newsmon::IsWellFormednessWarning;
using newsmon::ParsedFeed;
using newsmon::ParseFeed;
using newsmon::ParseOptions;
using Warnings = std::vector<std::string>;

namespace {

// A real item of a Russian regional site that still serves windows-1251 (Novosti Donbassa,
// August 2025), as the site's feed carries it.
constexpr std::string_view kChannel = "Новости Донбасса";
constexpr std::string_view kTitle = "Сможет ли Россия запускать тысячи «Шахедов» каждую ночь";
// KOI8-R has no «».
constexpr std::string_view kKoi8Title = "Сможет ли Россия запускать тысячи Шахедов";

std::string FromUtf8(std::string_view utf8, const char* charset) {
  std::string out(utf8.size() * 2 + 16, '\0');
  UErrorCode status = U_ZERO_ERROR;
  const int32_t length =
      ucnv_convert(charset, "UTF-8", out.data(), static_cast<int32_t>(out.size()), utf8.data(),
                   static_cast<int32_t>(utf8.size()), &status);
  REQUIRE(U_SUCCESS(status));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

// The feed in `charset`, its XML declaration saying `declared` (none when empty).
std::string Feed(const char* charset, std::string_view declared, std::string_view title = kTitle) {
  const std::string declaration =
      declared.empty() ? ""
                       : "<?xml version=\"1.0\" encoding=\"" + std::string(declared) + "\"?>\n";
  const std::string utf8 = "<rss version=\"2.0\"><channel><title>" + std::string(kChannel) +
                           "</title><link>https://novosti.dn.ua/</link><item><title>" +
                           std::string(title) + "</title><description>" + std::string(title) +
                           "</description></item></channel></rss>";
  return declaration + FromUtf8(utf8, charset);
}

ParsedFeed MustParse(std::string_view body, std::string_view content_type) {
  auto result = ParseFeed(body, {"", std::string(content_type), 0});
  INFO("error: " << result.status().message());
  REQUIRE(result.ok());
  REQUIRE(result->items.size() == 1);
  return std::move(result).value();
}

bool AnyWellFormednessWarning(const ParsedFeed& feed) {
  for (const std::string& warning : feed.warnings) {
    if (IsWellFormednessWarning(warning)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("A server's UTF-8 label on windows-1251 bytes gives way to the XML declaration",
          "[feeds][encoding]") {
  // nginx's `charset utf-8;` labels every response; the document says what it is.
  const ParsedFeed feed =
      MustParse(Feed("windows-1251", "windows-1251"), "application/rss+xml; charset=utf-8");
  CHECK(feed.title == kChannel);
  CHECK(feed.items[0].title == kTitle);
  CHECK(feed.items[0].summary == kTitle);
  CHECK(feed.warnings == Warnings{"encoding 'utf-8' in Content-Type but the bytes are not UTF-8; "
                                  "read as windows-1251 (the XML declaration)"});
  // The document is consistent: a note about the server, as for a mislabelled charset.
  CHECK_FALSE(AnyWellFormednessWarning(feed));
}

TEST_CASE("A server's default ISO-8859-1 or US-ASCII gives way to a declaration that fits",
          "[feeds][encoding]") {
  // Apache's AddDefaultCharset: read as Latin-1 every title was "Ñìîæåò ëè Ðîññèÿ ...".
  for (const char* header : {"text/xml; charset=ISO-8859-1", "application/xml; charset=us-ascii"}) {
    INFO(header);
    const ParsedFeed feed = MustParse(Feed("windows-1251", "windows-1251"), header);
    CHECK(feed.title == kChannel);
    CHECK(feed.items[0].title == kTitle);
    REQUIRE(feed.warnings.size() == 1);
    CHECK(feed.warnings[0].ends_with(
        "in Content-Type but 'windows-1251' in the XML declaration; read as windows-1251"));
  }
  const ParsedFeed koi8 =
      MustParse(Feed("koi8-r", "koi8-r", kKoi8Title), "text/xml; charset=iso-8859-1");
  CHECK(koi8.items[0].title == kKoi8Title);
  CHECK(koi8.warnings == Warnings{"encoding 'iso-8859-1' in Content-Type but 'koi8-r' in the XML "
                                  "declaration; read as koi8-r"});
}

TEST_CASE("A declaration saying UTF-8 on windows-1251 bytes gives way to uchardet",
          "[feeds][encoding]") {
  const ParsedFeed feed = MustParse(Feed("windows-1251", "utf-8"), "");
  CHECK(feed.title == kChannel);
  CHECK(feed.items[0].title == kTitle);
  CHECK(feed.warnings == Warnings{"encoding error: 'utf-8' in the XML declaration but the bytes "
                                  "are not UTF-8; read as windows-1251 (detected)"});
  // Content-Type and declaration both wrong: still uchardet, naming the label it passed over.
  const ParsedFeed both = MustParse(Feed("windows-1251", "utf-8"), "text/xml; charset=utf-8");
  CHECK(both.items[0].title == kTitle);
  CHECK(both.warnings == Warnings{"encoding error: 'utf-8' in Content-Type but the bytes are not "
                                  "UTF-8; read as windows-1251 (detected)"});
  // A text/html charset comes after the declaration, and is tried before a guess.
  const ParsedFeed html = MustParse(Feed("windows-1251", "utf-8"), "text/html; charset=cp1251");
  CHECK(html.items[0].title == kTitle);
  CHECK(html.warnings == Warnings{"encoding 'utf-8' in the XML declaration but the bytes are not "
                                  "UTF-8; read as cp1251 (Content-Type)"});
}

TEST_CASE("A server default against a declaration that does not fit: the default, with a note",
          "[feeds][encoding]") {
  // Latin-1 bytes under a UTF-8 declaration they contradict: ISO-8859-1 was right.
  const std::string body =
      "<?xml version='1.0' encoding='utf-8'?><rss version=\"2.0\"><channel>"
      "<title>Le Monde</title><item><title>Caf\xE9 cr\xE8me \xE0 "
      "l'\xE9t\xE9</title></item></channel></rss>";
  const ParsedFeed feed = MustParse(body, "text/xml; charset=ISO-8859-1");
  CHECK(feed.items[0].title == "Café crème à l'été");
  CHECK(feed.warnings == Warnings{"encoding 'iso-8859-1' in Content-Type but 'utf-8' in the XML "
                                  "declaration, which does not decode these bytes; read as "
                                  "iso-8859-1"});
}

TEST_CASE("Labels that agree with the bytes read as before, without warnings",
          "[feeds][encoding]") {
  SECTION("correctly labelled feeds") {
    CHECK(MustParse(Feed("windows-1251", "windows-1251"), "").warnings.empty());
    const ParsedFeed both =
        MustParse(Feed("windows-1251", "windows-1251"), "text/xml; charset=windows-1251");
    CHECK(both.items[0].title == kTitle);
    CHECK(both.warnings.empty());
    const ParsedFeed utf8 = MustParse(Feed("UTF-8", "utf-8"), "text/xml; charset=utf-8");
    CHECK(utf8.items[0].title == kTitle);
    CHECK(utf8.warnings.empty());
  }
  SECTION("a specific Content-Type charset still beats the declaration") {
    const ParsedFeed feed = MustParse(Feed("koi8-r", "windows-1251", kKoi8Title),
                                      "application/rss+xml; charset=koi8-r");
    CHECK(feed.items[0].title == kKoi8Title);
    CHECK(feed.warnings.empty());
  }
  SECTION("a BOM beats every label") {
    const ParsedFeed feed =
        MustParse("\xEF\xBB\xBF" + Feed("UTF-8", "windows-1251"), "text/xml; charset=iso-8859-1");
    CHECK(feed.items[0].title == kTitle);
    CHECK(feed.warnings.empty());
  }
  SECTION("valid UTF-8 under a Latin-1 label and another declaration is read as UTF-8") {
    const ParsedFeed feed = MustParse(Feed("UTF-8", "windows-1251"), "text/xml; charset=latin1");
    CHECK(feed.items[0].title == kTitle);
    CHECK(feed.warnings == Warnings{"encoding 'latin1' in Content-Type but the body is valid "
                                    "UTF-8; read as UTF-8"});
  }
}

TEST_CASE("A few bad bytes in a UTF-8 document are U+FFFD, not a reason to read it otherwise",
          "[feeds][encoding]") {
  // UTF-8 Cyrillic with two stray Latin-1 bytes, under a stale windows-1251 declaration:
  // reading it all as windows-1251 would garble every title to save two characters.
  std::string body = Feed("UTF-8", "windows-1251");
  body.insert(body.find("</description>"), " \xE9\xE0");
  const ParsedFeed feed = MustParse(body, "text/xml; charset=utf-8");
  CHECK(feed.items[0].title == kTitle);
  CHECK(feed.items[0].summary == std::string(kTitle) + " \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(feed.warnings == Warnings{"encoding error: invalid UTF-8 bytes replaced with U+FFFD"});
  // Too few non-UTF-8 sequences to tell an encoding from damage: replaced, as before.
  const ParsedFeed short_one = MustParse(
      "<?xml version='1.0' encoding='utf-8'?><rss><channel><item><title>a \xCC\xE8\xF0 b"
      "</title></item></channel></rss>",
      "application/rss+xml; charset=utf-8");
  CHECK(short_one.items[0].title == "a \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD b");
}
