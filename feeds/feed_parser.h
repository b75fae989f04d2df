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

// RSS 0.90-0.94/2.0, RSS 1.0 (RDF) and 1.1, Atom 0.3/1.0 (feeds and entry documents),
// CDF and JSON Feed 1.0/1.1; ParsedFeed::format is "rss", "rdf", "atom", "cdf" or "json".
// Fails with a message a user can act on ("not a feed: the document is an HTML page")
// when nothing usable is in the body. Recoverable problems go to ParsedFeed::warnings:
// a document that is not well-formed is read leniently (what can be recovered, as
// feedparser and gofeed do) with one warning. Every item in the document is returned; an
// item without a usable date gets published = options.fetched_at (when non-zero) and
// published_estimated = true.
Result<ParsedFeed> ParseFeed(std::string_view body, const ParseOptions& options);

// Whether a ParsedFeed::warnings entry says the document itself is broken: not well-formed
// XML (a syntax error, an undefined entity, an undeclared namespace prefix, a truncated
// document), broken JSON Feed items, or bytes that are not in the document's encoding.
// Such warnings start with "XML error", "JSON error" or "encoding error"; the others are
// notes about content (a date not understood, a cap applied, a mislabelled charset).
bool IsWellFormednessWarning(std::string_view warning);

// HTML or text with entities to plain text: tags stripped, entities decoded, whitespace
// collapsed.
std::string HtmlToText(std::string_view html);

// RFC 822/1123 and RFC 3339 dates (and their common broken forms) to Unix seconds UTC.
std::optional<std::int64_t> ParseFeedDate(std::string_view text);

}  // namespace newsmon
