// The fast path of text analysis (a normalisation table, word splitting without ICU's break
// iterator, a stem cache) against the plain ICU and Snowball path it replaces: every token,
// stem, count and language must be the same. Reads ../shared/corpus when it is there.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "classifiers/labelled_set.h"
#include "classifiers/text_internal.h"
#include "feeds/feed_parser.h"
#include "support/temp_dir.h"

namespace newsmon {
namespace {

namespace fs = std::filesystem;

// Every field of a tokenised text on one line, so a difference shows where it is.
std::string Describe(const text::TokenizedText& tokens) {
  std::ostringstream out;
  out << "words=" << tokens.words << " letters=" << tokens.letters.latin << "/"
      << tokens.letters.cyrillic << "/" << tokens.letters.ukrainian_only << "/"
      << tokens.letters.russian_only << " first_at=";
  for (int at : tokens.first_at) out << at << ",";
  for (const text::Token& token : tokens.tokens) {
    out << " [" << token.text << " " << token.begin << "-" << token.end
        << (token.hyphen_after ? " -" : "") << " stem=" << token.stem << "]";
  }
  return out.str();
}

std::string Describe(const text::AnalysedText& analysed) {
  return std::string("language=") + text::LanguageCode(analysed.language) +
         " title: " + Describe(analysed.title) + " summary: " + Describe(analysed.summary);
}

// Checks both paths on one text, as a title and as a summary beside it; returns whether they
// agreed (so that loops over thousands of texts stop at the first difference).
bool SamePaths(const std::string& title, const std::string& summary) {
  INFO("title: " << title);
  INFO("summary: " << summary);
  const std::string fast = Describe(text::Analyse(title, summary, text::Path::kFast));
  const std::string icu = Describe(text::Analyse(title, summary, text::Path::kIcu));
  CHECK(fast == icu);
  const std::string fast_normal = text::Normalize(title, text::Path::kFast);
  const std::string icu_normal = text::Normalize(title, text::Path::kIcu);
  CHECK(fast_normal == icu_normal);
  return fast == icu && fast_normal == icu_normal;
}

// splitmix64: the same strings on every standard library.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  std::uint64_t state_;
};

// Pieces that take the fast path and pieces that send a text to ICU, and the characters the
// word-break rules treat specially (apostrophes, hyphens, digits' separators, ':' and '_').
const std::vector<std::string> kPieces = {
    "a",      "b",      "s",      "S",      "K",      "z",      "e",          "1",      "9",
    "0",      " ",      "'",      "`",      "\u2019", "\u2018", "\u02BC",     "\u02B9", "-",
    "\u2010", "\u2011", "\u2014", ".",      ",",      ":",      ";",          "_",      "\"",
    "\u00AB", "\u00BB", "(",      "?",      "!",      "/",      "@",          "#",      "%",
    "&",      "\u0451", "\u0401", "\u0439", "\u0419", "\u0457", "\u0456",     "\u0454", "\u0491",
    "\u044B", "\u044D", "\u044A", "\u0438", "\u0443", "\u0306", "\u0301",     "\u0308", "\u00E9",
    "\u00C9", "\u00DF", "\u1E9E", "\u00B5", "\u0130", "\u0131", "\uFB01",     "\u00BD", "\u00B2",
    "\u00AD", "\u200B", "\u200D", "\u00A0", "\t",     "\n",     "\r",         "\u20AC", "\u03C9",
    "\u03A3", "\u03C2", "\u0410", "\u042F", "\u4E00", "\u4E2D", "\U0001F600", "\xFF",   "\u01C4",
    "\u01C5", "\uFF21", "\uFF11", "\u00AA", "\u0149", "\u01F0", "\u0374",     "\u05D0", "\u0660",
    "\u2024", "\u00B7", "\u2027", "\u0387", "\u2044", "\u30A2"};

std::string RandomText(Random& random, size_t max_pieces) {
  std::string text;
  for (size_t n = 1 + random.Below(max_pieces); n > 0; --n)
    text += kPieces[random.Below(kPieces.size())];
  return text;
}

// Code points below U+10000 only.
std::string Utf8(char32_t c) {
  if (c < 0x80) return std::string(1, static_cast<char>(c));
  if (c < 0x800) {
    return {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
  }
  return {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
          static_cast<char>(0x80 | (c & 0x3F))};
}

// All strings of up to `length` characters from `alphabet`.
void AllStrings(const std::string& alphabet, size_t length, std::vector<std::string>& out,
                const std::string& prefix = "") {
  if (!prefix.empty()) out.push_back(prefix);
  if (prefix.size() == length) return;
  for (char c : alphabet) AllStrings(alphabet, length, out, prefix + c);
}

TEST_CASE("Fast and ICU text paths agree on hand-written edge cases", "[text][paths]") {
  const std::vector<std::string> texts = {
      "",
      "Ceasefire talks resume in Geneva",
      "Kyiv's mayor, the UN's envoy and Russia's 'special operation'",
      "don't can't won't o'clock rock'n'roll '90s 1990's 1'000'000 a'1 1'a x''y y' 'z",
      "ПЕРЕМИР’Я в Україні, м'ясо, пам`ять, об'єкт, сім'ї, ʼя",
      "об´єкт, перемир´я, ´quoted´, a´, ´ alone, мʼ′я",
      "cease-fire, cease‐fire, cease‑fire — half-hearted, long-term-peace-deal-talks-now",
      "3.5%, 1,000,000, 12:30, 2025-12-10, 3,5 млн, $4.2bn, €10, 1/2, ½, x², H₂O",
      "https://example.org/news/2025/12/ceasefire?id=42&lang=en#top user@example.com",
      "Emoji 😀👍🏽 and flags 🇺🇦🇷🇺 and ❤️ between words",
      "Ёлка, ёжик, ЁЖ, йод, Йошкар-Ола, їжак, Ґанок, ўзбек",
      "北京 中国 東京 日本語のテキスト 한국어 ไทย",
      "Cafe\u0301 nai\u0308ve e\u0301te\u0301 Z\u030C and a lone \u0301 mark",
      "ＦＵＬＬ－ＷＩＤＴＨ　ｌｅｔｔｅｒｓ　１２３",
      "ﬁnal ﬂight oﬃce ﬀ Ǆ ǅ ǆ",
      "İstanbul ISTANBUL ıi I",
      "Straße STRASSE Maß ẞ",
      "soft\u00ADhyphen zero\u200Bwidth joiner\u200Dhere no\u00A0break",
      "tab\tnew\nline\r\ncarriage\x0B\x0C feed",
      "Ελληνικά ΣΟΦΟΣ σοφος ς",
      "invalid \xFF\xFE bytes \xC3 and \xE2\x80 cut",
      "under_score snake_case_word __init__ x_1",
      "colon:word a:b 1:2 a.b.c 1.2.3 a,b 1,2 a;b",
      "«Кремль» заявил: \"переговоры\" — (не) ведутся!",
      "Apostrophes at ends: ' 'quoted' words' and 's alone and a's",
      "µ ª º ŉ ǰ ʹ ʼ",
  };
  for (const std::string& text : texts) {
    SamePaths(text, "");
    SamePaths("", text);
  }
}

TEST_CASE("Fast and ICU text paths agree on every short ASCII string of word-break classes",
          "[text][paths]") {
  // A letter, 's', a digit and the punctuation UAX #29 has rules for: every boundary case.
  std::vector<std::string> texts;
  AllStrings("as1'-.:_, ", 4, texts);
  for (const std::string& text : texts) {
    if (!SamePaths(text, "")) break;
  }
}

TEST_CASE("Fast and ICU text paths agree on random mixed text", "[text][paths]") {
  Random random(20261205);
  for (int i = 0; i < 30000; ++i) {
    if (!SamePaths(RandomText(random, 12), RandomText(random, 24))) break;
  }
}

TEST_CASE("Fast and ICU text paths agree on random text the table takes", "[text][paths]") {
  std::vector<std::string> pieces;
  for (const std::string& piece : kPieces) {
    if (text::TakesFastPath(piece)) pieces.push_back(piece);
  }
  REQUIRE(pieces.size() > 50);
  Random random(5);
  for (int i = 0; i < 30000; ++i) {
    std::string title;
    for (size_t n = 1 + random.Below(16); n > 0; --n) title += pieces[random.Below(pieces.size())];
    REQUIRE(text::TakesFastPath(title));
    if (!SamePaths(title, RandomText(random, 8))) break;
  }
}

TEST_CASE("Fast and ICU text paths agree on every code point of the table's ranges",
          "[text][paths]") {
  // Each code point alone, between letters, between digits and after an apostrophe.
  for (char32_t c = 1; c < 0x2100; c = c == 0x5FF ? 0x2000 : c + 1) {
    const std::string piece = Utf8(c);
    INFO("U+" << std::hex << static_cast<std::uint32_t>(c));
    if (!SamePaths(piece, "a" + piece + "b a'" + piece + "'s 1" + piece + "2 " + piece + "'t")) {
      break;
    }
  }
}

TEST_CASE("Fast and ICU text paths agree on real news in English and Russian", "[text][paths]") {
  const fs::path corpus = testing::CorpusPath("");
  if (!fs::exists(corpus / "news-2025") || !fs::exists(corpus / "news-ru")) {
    WARN("shared corpus missing: " << corpus.string()
                                   << " has no news-2025 or news-ru; skipping the real texts");
    return;
  }
  int items = 0;
  int fast = 0;
  for (const char* folder : {"news-2025", "news-ru"}) {
    for (const auto& entry : fs::recursive_directory_iterator(corpus / folder)) {
      if (entry.path().extension() != ".json") continue;
      // As the daemon sees it (HTML to text) and as the feed wrote it (entities and tags).
      auto html = ReadJsonCorpusFile(entry.path().string(), HtmlToText);
      auto raw = ReadJsonCorpusFile(entry.path().string(),
                                    [](std::string_view text) { return std::string(text); });
      REQUIRE(html.ok());
      REQUIRE(raw.ok());
      for (const auto* file : {&*html, &*raw}) {
        for (const CorpusEntry& item : *file) {
          ++items;
          fast += text::TakesFastPath(item.title) && text::TakesFastPath(item.summary);
          if (!SamePaths(item.title, item.summary)) return;
        }
      }
    }
  }
  // Most real items must take the fast path, or this test compares ICU with itself.
  INFO(fast << " of " << items << " items on the fast path");
  CHECK(items > 5000);
  CHECK(fast * 10 > items * 8);
}

TEST_CASE("Cached stems are Snowball's, also once the cache is full", "[text][paths]") {
  Random random(7);
  std::vector<std::string> words;
  for (int i = 0; i < 20000; ++i) {
    std::string word;
    for (size_t n = 2 + random.Below(10); n > 0; --n) word += "aeioustrnldg"[random.Below(12)];
    words.push_back(word);
  }
  words.push_back(std::string(200, 'a') + "ing");  // longer than the cache keeps
  for (int pass = 0; pass < 2; ++pass) {
    for (const std::string& word : words) {
      const std::string cached = text::Stem(word, text::Stemmer::kEnglish, text::Path::kFast);
      const std::string snowball = text::Stem(word, text::Stemmer::kEnglish, text::Path::kIcu);
      if (cached != snowball) {
        FAIL(word << ": cached " << cached << ", Snowball " << snowball);
      }
    }
  }
  CHECK(text::Stem("переговорами", text::Stemmer::kRussian) ==
        text::Stem("переговорами", text::Stemmer::kRussian, text::Path::kIcu));
}

}  // namespace
}  // namespace newsmon
