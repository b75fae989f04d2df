// Helpers shared by the feed parser's source files. Not part of the feeds API; tests may
// include it to check the pieces directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser.h"

namespace newsmon::feeds_internal {

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// `text` with every ill-formed UTF-8 sequence (and NUL) replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence. Returns true if
// anything was cut.
bool TruncateUtf8(std::string& text, std::size_t max_bytes);

// HTML5 named character reference `name` (without '&' and ';'): its one or two code
// points (`second` is 0 for one). False for names HTML5 does not define.
bool LookupHtmlEntity(std::string_view name, char32_t& first, char32_t& second);

// Appends code point `cp` as UTF-8.
void AppendUtf8(std::string& out, char32_t cp);

// Entities decoded and whitespace collapsed, but tags kept as text: for text that is
// declared plain (Atom type="text") yet often carries escaped entities anyway.
std::string DecodeEntitiesToText(std::string_view text);

// Whether `text` holds a tag with a well-known HTML name ("<p>", "</a>", "<br/>"). Prose
// like "x<y" or "<3" does not count.
bool ContainsHtmlTags(std::string_view text);

// Whitespace runs (ASCII and U+00A0) to one space, trimmed.
std::string CollapseWhitespace(std::string_view text);

// RFC 3986 reference resolution, simplified: absolute references are returned as they are,
// "//host/…", "/path", "?query", "#frag" and relative paths are resolved against `base`.
// An empty reference stays empty; with no usable base the reference is returned trimmed.
std::string ResolveUrl(std::string_view base, std::string_view reference);

// The body as UTF-8 for the XML parser. Honours a BOM (UTF-8/16/32), else the XML
// declaration's encoding, else the charset in `content_type`; converts with ICU. Adds a
// human-readable note to `warnings` when it had to guess or substitute.
struct DecodedBody {
  std::string utf8;
  std::size_t offset_shift = 0;  // bytes dropped from the front (BOM), for error offsets
  bool converted = false;        // offsets no longer match the original bytes
};
DecodedBody DecodeBody(std::string_view body, std::string_view content_type,
                       std::vector<std::string>& warnings);

// The well-formedness check and repair pass run before pugixml (feed_xml_scan.cpp). `text`
// is well-formed XML whatever the input was: undefined entities mapped, stray '&' and '<'
// escaped, mismatched end tags fixed, a truncated document closed; without the XML
// declaration, DOCTYPE, comments and processing instructions.
struct XmlScan {
  std::string text;
  std::vector<std::string> errors;    // the first few, "line N: what"
  std::size_t error_count = 0;        // all of them
  std::vector<std::size_t> unclosed;  // offsets in `text` of the '<' of elements the
                                      // document ended inside (a truncated document)
  // Set when the document exceeds a bound on the work it may cause (too many attributes on
  // one element): why it is refused. `text` is then incomplete and must not be read.
  std::string refused;
};
XmlScan ScanXml(std::string_view utf8);

// One item as a format reader found it, before the shared finishing step.
struct ItemDraft {
  Item item;                // title, link and summary set
  std::string id;           // guid, atom:id, JSON id; may be empty
  std::string raw_date;     // the date as written; may be empty
  std::string content_key;  // the item's source text, set only when title and date are
                            // empty: the hash id then keys on it
};

// ParseFeedDate, also telling whether the date's zone was an abbreviation it does not know
// and took for UTC (then up to half a day off: the parser warns).
std::optional<std::int64_t> ParseFeedDate(std::string_view text, bool& zone_guessed);

// A feed holds at most kMaxItems items. Most list the newest first; one that lists them
// oldest first (its last item dated after its first) keeps its last ones, or its new items
// would never be read.
inline constexpr std::size_t kMaxItems = 1000;
template <typename Items>
void KeepNewestEnd(Items& items, std::string_view first_date, std::string_view last_date,
                   std::vector<std::string>& warnings) {
  const std::string count = std::to_string(items.size());
  const auto first = newsmon::ParseFeedDate(first_date), last = newsmon::ParseFeedDate(last_date);
  if (first && last && *last > *first) {
    items.erase(items.begin(), items.end() - static_cast<std::ptrdiff_t>(kMaxItems));
    warnings.push_back("feed has " + count + " items, oldest first; kept the last " +
                       std::to_string(kMaxItems));
  } else {
    items.resize(kMaxItems);
    warnings.push_back("feed has " + count + " items; kept the first " + std::to_string(kMaxItems));
  }
}

// The common end of every format: item cap, dates (with the fetched_at fallback), ids
// (guid/atom:id, else the link, else a hash of title and date), field caps, and the
// content warnings. Appends to feed.items and feed.warnings.
void FinishItems(std::vector<ItemDraft> drafts, const ParseOptions& options, ParsedFeed& feed);

// JSON Feed 1.0 and 1.1 (feed_json.cpp). `text` is UTF-8 starting with '{' or '['.
Result<ParsedFeed> ParseJsonFeed(std::string_view text, const ParseOptions& options,
                                 std::vector<std::string> warnings);

// Length of "scheme:" at the start of `s`, or 0 (a relative reference).
std::size_t SchemeLength(std::string_view s);

}  // namespace newsmon::feeds_internal
