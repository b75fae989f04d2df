// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) to ParsedFeed, with
// nlohmann_json.
//
// Read: title, home_page_url; items[].id (a string, or a number in feeds written before
// 1.0 said "string"), url (else external_url), title, content_html / content_text /
// summary, date_published (else date_modified). Links resolve against the URL the body
// came from. Invalid JSON is an error; so is JSON without a JSON Feed "version" (the
// jsonfeed.org URL, or a bare "1.0"/"1.1" with an items array).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon::feeds_internal {
namespace {

using Json = nlohmann::json;

std::string StringField(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_number()) return it->dump();
  return std::string();
}

std::string Trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::string();
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

Result<ParsedFeed> ParseJsonFeed(std::string_view text, const ParseOptions& options,
                                 std::vector<std::string> warnings) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // what() ends with the text read so far ("; last read: '…'"): not for a log line.
    std::string what = e.what();
    what = what.substr(0, std::min(what.find("; last read"), std::size_t{200}));
    return Status::Error("not a feed: invalid JSON (" + what + ")");
  }
  if (!doc.is_object()) return Status::Error("not a feed: the document is JSON but not an object");
  const std::string version = StringField(doc, "version");
  const auto items_it = doc.find("items");
  const bool has_items = items_it != doc.end() && items_it->is_array();
  if (version.find("jsonfeed.org/version/") == std::string::npos) {
    // The version URL is what tells a JSON Feed from any other JSON with "items"; a bare
    // "1.0" / "1.1", which some generators write, is accepted with a note.
    if ((version != "1" && version != "1.0" && version != "1.1") || !has_items) {
      return Status::Error("not a feed: the document is JSON but not a JSON Feed");
    }
    warnings.push_back("JSON Feed version '" + version + "' is not the jsonfeed.org URL");
  }

  ParsedFeed feed;
  feed.format = "json";
  feed.warnings = std::move(warnings);
  feed.title = HtmlToText(StringField(doc, "title"));
  feed.link = ResolveUrl(options.base_url, StringField(doc, "home_page_url"));

  std::vector<ItemDraft> drafts;
  if (has_items) {
    int skipped = 0;
    for (const Json& entry : *items_it) {
      if (!entry.is_object()) {
        ++skipped;
        continue;
      }
      ItemDraft d;
      d.id = Trimmed(StringField(entry, "id"));
      d.item.title = HtmlToText(StringField(entry, "title"));
      std::string url = Trimmed(StringField(entry, "url"));
      if (url.empty()) url = Trimmed(StringField(entry, "external_url"));
      d.item.link = ResolveUrl(options.base_url, url);
      d.item.summary = HtmlToText(StringField(entry, "summary"));
      if (d.item.summary.empty()) d.item.summary = HtmlToText(StringField(entry, "content_html"));
      if (d.item.summary.empty()) {
        // Plain text by the spec, but generators put HTML there too (Google News' feeds, 100
        // of 100 items): its tags must not reach the editor.
        const std::string text = StringField(entry, "content_text");
        d.item.summary = ContainsHtmlTags(text) ? HtmlToText(text) : CollapseWhitespace(text);
      }
      d.raw_date = Trimmed(StringField(entry, "date_published"));
      if (d.raw_date.empty()) d.raw_date = Trimmed(StringField(entry, "date_modified"));
      if (d.item.title.empty() && d.raw_date.empty()) d.content_key = entry.dump();
      drafts.push_back(std::move(d));
    }
    if (skipped > 0) {
      feed.warnings.push_back("JSON error: " + std::to_string(skipped) +
                              " item(s) that are not objects skipped");
    }
  }
  FinishItems(std::move(drafts), options, feed);
  return feed;
}

}  // namespace newsmon::feeds_internal
