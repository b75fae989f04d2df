// HTML fragments from feed descriptions to plain text.
//
// Hand-written rather than a library: the HTML parsers packaged for Debian (gumbo, lexbor,
// libxml2's HTML mode) build a full DOM and would be a new dependency for what is a
// tag-stripping pass over short fragments. What we need is narrow: drop tags, drop
// script/style bodies, decode character references (all HTML5 named references, numeric
// ones with the windows-1252 reading of 0x80-0x9F), collapse whitespace. UTF-8 validation
// uses ICU's U8_NEXT.
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "feeds/feed_parser.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon {
namespace feeds_internal {

namespace {

// Eight bytes at a time: true when none has its high bit set and none is zero, the common
// case of ASCII text (bit tricks from "Bit Twiddling Hacks", haszero).
bool IsAsciiWord(const std::uint8_t* bytes) {
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  constexpr std::uint64_t kLow = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  return ((word | ((word - kLow) & ~word)) & kHigh) == 0;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::int64_t length = static_cast<std::int64_t>(text.size());
  std::int64_t i = 0;
  while (i < length) {
    if (i + 8 <= length && IsAsciiWord(s + i)) {
      i += 8;
      continue;
    }
    if (s[i] < 0x80) {  // ASCII fast path
      if (s[i] == 0) return false;
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::int64_t length = static_cast<std::int64_t>(text.size());
  std::string out;
  out.reserve(text.size());
  std::int64_t i = 0;
  while (i < length) {
    const std::int64_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c <= 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else {
      out.append(text.data() + start, static_cast<std::size_t>(i - start));
    }
  }
  return out;
}

bool TruncateUtf8(std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return false;
  std::size_t cut = max_bytes;
  // Back off to the first byte of the sequence that would be split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return true;
}

}  // namespace feeds_internal

namespace {

struct NamedEntity {
  std::string_view name;  // without the ';'
  char32_t first;
  char32_t second;       // 0, or the second code point of a two-character reference
  bool needs_semicolon;  // false for the 106 legacy names browsers also take without ';'
                         // (which DecodeEntity still requires, see there)
};

// All 2,231 HTML5 named character references, sorted by name: generated once from the
// WHATWG list by feed_entities_gen.py (a table, not a library: ICU has no HTML entities).
constexpr NamedEntity kNamedEntities[] = {
#include "feeds/feed_entities.inc"
};

const NamedEntity* FindEntity(std::string_view name) {
  const auto it =
      std::lower_bound(std::begin(kNamedEntities), std::end(kNamedEntities), name,
                       [](const NamedEntity& e, std::string_view n) { return e.name < n; });
  return it == std::end(kNamedEntities) || it->name != name ? nullptr : &*it;
}

}  // namespace

namespace feeds_internal {

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool LookupHtmlEntity(std::string_view name, char32_t& first, char32_t& second) {
  const NamedEntity* entity = FindEntity(name);
  if (entity == nullptr) return false;
  first = entity->first;
  second = entity->second;
  return true;
}

}  // namespace feeds_internal

namespace {

using feeds_internal::AppendUtf8;
using feeds_internal::IsValidUtf8;
using feeds_internal::SanitizeUtf8;

// HTML5: numeric references to 0x80-0x9F mean the windows-1252 characters.
constexpr char32_t kWindows1252C1[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Decodes the character reference starting at s[i] == '&'. On success appends the text,
// moves i past the reference and returns true; otherwise leaves both alone.
bool DecodeEntity(std::string_view s, std::size_t& i, std::string& out) {
  std::size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    std::uint32_t value = 0;
    std::size_t digits = 0;
    while (j < s.size()) {
      const char c = s[j];
      int d;
      if (IsAsciiDigit(c)) {
        d = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        break;
      }
      if (value <= 0x10FFFF) value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      ++digits;
      ++j;
    }
    if (digits == 0) return false;
    if (j < s.size() && s[j] == ';') ++j;  // HTML tolerates a missing ';' after digits
    char32_t cp = value;
    if (cp >= 0x80 && cp <= 0x9F) cp = kWindows1252C1[cp - 0x80];
    if (cp == 0 && value != 0) {
      // unmapped C1 control: drop
    } else if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out += "\xEF\xBF\xBD";
    } else if (cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f') {
      out += ' ';
    } else if (cp < 0x20 || cp == 0x7F) {
      // control characters are not text: drop
    } else {
      AppendUtf8(out, cp);
    }
    i = j;
    return true;
  }
  // Named references need their ';' here, although HTML5 accepts 106 legacy names
  // without it ("&copy"): in feed text a bare "&copy=2" or "&amp" is far more often a URL
  // query or a literal than a reference.
  std::size_t k = j;
  while (k < s.size() && k - j < 32 && (IsAsciiAlpha(s[k]) || IsAsciiDigit(s[k]))) ++k;
  if (k == j || k >= s.size() || s[k] != ';') return false;
  const NamedEntity* entity = FindEntity(s.substr(j, k - j));
  if (entity == nullptr) return false;
  AppendUtf8(out, entity->first == 160 ? U' ' : entity->first);  // nbsp: a space in text
  if (entity->second != 0) AppendUtf8(out, entity->second);
  i = k + 1;
  return true;
}

// Character references decoded, everything else as it is.
std::string DecodeReferences(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&' && DecodeEntity(text, i, out)) continue;
    out += text[i++];
  }
  return out;
}

// Tags that sit inside a run of text; every other tag separates words.
bool IsInlineTag(std::string_view name) {
  static constexpr std::string_view kInline[] = {
      "a",     "abbr", "acronym", "b",      "bdi", "bdo", "big",  "cite", "code", "data", "del",
      "dfn",   "em",   "font",    "i",      "ins", "kbd", "mark", "nobr", "q",    "s",    "samp",
      "small", "span", "strike",  "strong", "sub", "sup", "time", "tt",   "u",    "var",  "wbr"};
  return std::find(std::begin(kInline), std::end(kInline), name) != std::end(kInline);
}

std::size_t FindCaseInsensitive(std::string_view haystack, std::string_view needle,
                                std::size_t from) {
  if (needle.empty() || haystack.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && AsciiLower(haystack[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

bool IsTagSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsNameChar(char c) { return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-' || c == ':'; }

// Whether s[j..], right after a tag name that no '>' follows, goes on as an attribute list
// (a space, a name, '='): a tag the generator cut off ("<a href=\"https://exa"), markup to
// drop with the rest. Prose after a '<' ("<half of the 2020 level") is text.
bool StartsAttributes(std::string_view s, std::size_t j) {
  std::size_t k = j;
  while (k < s.size() && IsTagSpace(s[k])) ++k;
  if (k == j) return false;
  const std::size_t name = k;
  while (k < s.size() && IsNameChar(s[k])) ++k;
  return k > name && k < s.size() && s[k] == '=';
}

// One pass: tags out (block tags become spaces), script/style bodies dropped, comments
// dropped, CDATA sections kept as text, character references decoded. Whitespace is left
// for the caller to collapse. A '<' that starts nothing (no letter, '/', '!' or '?' after
// it, or no '>' anywhere after it) is text, and a script or style that is not closed costs
// only its tag, never the text after it; only an unclosed comment and a tag cut off in its
// attributes still run to the end. Each search remembers what it found missing, so a
// fragment full of unclosed markup is still read in time linear in its length.
class TagStripper {
 public:
  explicit TagStripper(std::string_view s) : s_(s), last_gt_(s.rfind('>')) {
    out_.reserve(s.size());
  }

  std::string Run() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '&') {
        Reference();
      } else if (c == '<') {
        Markup();
      } else {
        Text();
      }
    }
    return std::move(out_);
  }

  // Whether tags in the output may be markup still: the input held no markup but a wrapping
  // div (Atom xhtml's, TypePad's around escaped HTML), so it was escaped HTML, or held CDATA,
  // whose content is HTML as it stands. Otherwise the input was HTML, and tags it escaped
  // are what its page shows as text ("a &lt;script&gt; tag").
  bool tags_may_be_markup() const { return !saw_markup_ || saw_cdata_; }

 private:
  static constexpr std::size_t npos = std::string_view::npos;

  bool GtAfter(std::size_t i) const { return last_gt_ != npos && last_gt_ > i; }

  void Literal() {
    out_ += '<';
    ++i_;
  }

  void Reference() {
    if (!DecodeEntity(s_, i_, out_)) {
      out_ += '&';
      ++i_;
    }
  }

  // The text up to the next reference or tag in one append: most of a fragment is text.
  void Text() {
    std::size_t stop = i_ + 1;
    while (stop < s_.size() && s_[stop] != '&' && s_[stop] != '<') ++stop;
    out_.append(s_.data() + i_, stop - i_);
    i_ = stop;
  }

  void Markup() {
    const std::string_view rest = s_.substr(i_);
    if (rest.starts_with("<![CDATA[")) return Cdata();
    if (rest.size() > 1 && (rest[1] == '!' || rest[1] == '?')) return Declaration(rest);
    Tag();
  }

  void Cdata() {
    saw_cdata_ = true;
    const std::size_t end = s_.find("]]>", i_ + 9);
    const std::size_t stop = end == npos ? s_.size() : end;
    out_.append(s_.substr(i_ + 9, stop - (i_ + 9)));
    i_ = end == npos ? s_.size() : end + 3;
  }

  // A comment, doctype or processing instruction. A comment with no "-->" ends at the next
  // '>' as a browser's bogus comment does, or with no '>' at the end, as HTML says.
  void Declaration(std::string_view rest) {
    const bool comment = rest.starts_with("<!--");
    if (!comment && !GtAfter(i_)) return Literal();  // "<!DOCTYPE" written as text
    saw_markup_ = true;
    if (comment && !comment_end_missing_) {
      const std::size_t end = s_.find("-->", i_ + 4);
      if (end != npos) {
        i_ = end + 3;
        return;
      }
      comment_end_missing_ = true;
    }
    i_ = GtAfter(i_) ? s_.find('>', i_) + 1 : s_.size();
  }

  void Tag() {
    const bool closing = i_ + 1 < s_.size() && s_[i_ + 1] == '/';
    std::size_t j = i_ + 1 + (closing ? 1 : 0);
    if (j >= s_.size() || !IsAsciiAlpha(s_[j])) return Literal();  // "a < b", "<3"
    std::string name;
    for (; j < s_.size() && IsNameChar(s_[j]); ++j) name += AsciiLower(s_[j]);
    if (!GtAfter(j - 1)) {
      if (!StartsAttributes(s_, j)) return Literal();
      saw_markup_ = true;
      i_ = s_.size();  // a tag cut off: the rest is markup, not text
      return;
    }
    const std::size_t end = TagEnd(j);
    saw_markup_ = saw_markup_ || name != "div";
    i_ = end + 1;
    const bool self_closing = s_[end - 1] == '/';
    const bool hidden = name == "script" || name == "style";
    if (hidden && !closing && !self_closing) SkipHidden(name);
    if (!hidden && !IsInlineTag(name)) out_ += ' ';
  }

  // The '>' ending a tag whose name ends before s_[j], which GtAfter has promised. Quoted
  // attribute values may hold '>'; once quotes have run past the last '>' they are not
  // trusted again, which keeps the scan linear.
  std::size_t TagEnd(std::size_t j) {
    for (std::size_t k = j; trust_quotes_ && k < s_.size(); ++k) {
      if (s_[k] == '>') return k;
      if (s_[k] != '"' && s_[k] != '\'') continue;
      k = s_.find(s_[k], k + 1);
      if (k == npos) break;
    }
    trust_quotes_ = false;
    return s_.find('>', j);
  }

  // Past the body and end tag of a script or style; without an end tag only the start tag
  // was dropped: the text after it is what a mention of "<script>" in prose goes on with.
  void SkipHidden(const std::string& name) {
    bool& missing = close_missing_[name == "script" ? 0 : 1];
    if (missing) return;
    const std::size_t end = FindCaseInsensitive(s_, "</" + name, i_);
    if (end == npos) {
      missing = true;
      return;
    }
    const std::size_t gt = s_.find('>', end);
    i_ = gt == npos ? s_.size() : gt + 1;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string out_;
  const std::size_t last_gt_;  // of the last '>', or npos
  bool saw_markup_ = false;    // but div tags
  bool saw_cdata_ = false;
  bool trust_quotes_ = true;
  bool comment_end_missing_ = false;
  bool close_missing_[2] = {false, false};  // no "</script", "</style" after where looked
};

}  // namespace

namespace feeds_internal {

bool ContainsHtmlTags(std::string_view text) {
  static constexpr std::string_view kTags[] = {
      "a",     "b",    "br",  "div", "em",         "h1",     "h2",     "h3",
      "h4",    "i",    "img", "li",  "ol",         "p",      "span",   "strong",
      "table", "td",   "tr",  "ul",  "blockquote", "figure", "iframe", "script",
      "style", "font", "hr",  "pre", "code",       "u",      "small"};
  for (std::size_t i = text.find('<'); i != std::string_view::npos; i = text.find('<', i + 1)) {
    std::size_t j = i + 1;
    if (j < text.size() && text[j] == '/') ++j;
    std::size_t k = j;
    std::string name;
    while (k < text.size() && k - j < 12 && (IsAsciiAlpha(text[k]) || IsAsciiDigit(text[k]))) {
      name += AsciiLower(text[k]);
      ++k;
    }
    if (name.empty() || k >= text.size()) continue;
    const char after = text[k];
    if (after != '>' && after != ' ' && after != '/' && after != '\t' && after != '\n') continue;
    if (std::find(std::begin(kTags), std::end(kTags), name) != std::end(kTags)) return true;
  }
  return false;
}

namespace {

// Bytes CollapseWhitespace copies as they are: not whitespace, not a control character, and
// not the 0xC2 that may start a no-break space.
bool IsPlainTextByte(unsigned char c) { return c > 0x20 && c != 0x7F && c != 0xC2; }

}  // namespace

std::string CollapseWhitespace(std::string_view text) {
  // Written through a pointer into a buffer of the input's size (the output is never longer:
  // each space it writes stands for at least one whitespace byte it read): appending byte by
  // byte or word by word was a fifth of parsing a feed.
  std::string out(text.size(), '\0');
  char* const begin = out.data();
  char* write = begin;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!IsPlainTextByte(c)) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') {
        continue;  // control characters are not text
      }
      if (c == 0x7F) continue;
      bool space = c <= 0x20;
      if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) {
        space = true;  // U+00A0 NO-BREAK SPACE
        ++i;
      }
      if (space) {
        pending_space = write != begin;
        continue;
      }
    }
    if (pending_space) *write++ = ' ';
    pending_space = false;
    *write++ = static_cast<char>(c);
  }
  out.resize(static_cast<std::size_t>(write - begin));
  return out;
}

std::string DecodeEntitiesToText(std::string_view text) {
  std::string safe;
  if (!IsValidUtf8(text)) {
    safe = SanitizeUtf8(text);
    text = safe;
  }
  return CollapseWhitespace(DecodeReferences(text));
}

}  // namespace feeds_internal

namespace {

// Whether `text` shows markup as text ("<head>", "</x>", "<!--"): a code sample, an escaped
// XML dump. References it shows ("&lt;") are then meant as text too.
bool ShowsMarkup(std::string_view text) {
  for (std::size_t i = text.find('<'); i != std::string_view::npos; i = text.find('<', i + 1)) {
    const char next = i + 1 < text.size() ? text[i + 1] : ' ';
    if (IsAsciiAlpha(next) || next == '/' || next == '!' || next == '?') return true;
  }
  return false;
}

// References the first pass left, escaped twice ("Trump&amp;#039;s" in CDATA), decoded. HTML
// escaped three times (Reddit's, beside real tags) holds tags only now: those are stripped.
std::string DecodeAgain(std::string_view text) {
  std::string decoded = DecodeReferences(text);
  if (feeds_internal::ContainsHtmlTags(decoded)) decoded = TagStripper(decoded).Run();
  return decoded;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string safe;
  if (!IsValidUtf8(html)) {
    safe = SanitizeUtf8(html);
    html = safe;
  }
  TagStripper first(html);
  std::string text = first.Run();
  // What the first pass uncovered was escaped once more than its markup. Double-escaped HTML
  // ("&lt;p&gt;" in an RSS description) holds tags now: a second pass strips them.
  if (first.tags_may_be_markup() && feeds_internal::ContainsHtmlTags(text)) {
    return feeds_internal::CollapseWhitespace(TagStripper(text).Run());
  }
  if (text.find('&') != std::string::npos && !ShowsMarkup(text)) text = DecodeAgain(text);
  return feeds_internal::CollapseWhitespace(text);
}

}  // namespace newsmon
