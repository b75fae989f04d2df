// Helpers shared by the feed parser's source files. Not part of the feeds API; tests may
// include it to check the pieces directly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace newsmon::feeds_internal {

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// `text` with every ill-formed UTF-8 sequence (and NUL) replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence. Returns true if
// anything was cut.
bool TruncateUtf8(std::string& text, std::size_t max_bytes);

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

}  // namespace newsmon::feeds_internal
