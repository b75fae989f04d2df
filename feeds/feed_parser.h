// Turns the bytes of one feed document into items. Knows nothing of HTTP or storage:
// the fetcher hands it a body, the pipeline hands its items on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/item.h"
#include "core/status.h"

namespace newsmon {

struct ParseOptions {
  std::string base_url;      // the URL the body came from; relative links resolve against it
  std::string content_type;  // as the server sent it, may be empty
  std::int64_t fetched_at = 0;
};

// Fails with a message a user can act on ("not a feed: the document is an HTML page")
// when nothing usable is in the body. Recoverable problems go to ParsedFeed::warnings.
Result<ParsedFeed> ParseFeed(std::string_view body, const ParseOptions& options);

// HTML or text with entities to plain text: tags stripped, entities decoded, whitespace
// collapsed.
std::string HtmlToText(std::string_view html);

// RFC 822/1123 and RFC 3339 dates (and their common broken forms) to Unix seconds UTC.
std::optional<std::int64_t> ParseFeedDate(std::string_view text);

}  // namespace newsmon
