// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) to ParsedFeed, with
// nlohmann_json.
//
// Read: title, home_page_url; items[].id (a string, or a number in feeds written before
// 1.0 said "string"), url (else external_url), title, content_html / content_text /
// summary, date_published (else date_modified). Links resolve against the URL the body
// came from. Invalid JSON is an error; so is JSON without a JSON Feed "version" (the
// jsonfeed.org URL, or a bare "1.0"/"1.1" with an items array). A document that ends early
// (its generator or a proxy cut it short) keeps its complete items, as a truncated XML feed
// does, with a warning; the item it ended inside is dropped.
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

// What the reader made of a JSON text.
struct JsonRead {
  Json document;
  std::string error;          // why the text is not JSON; empty when it is, or is cut short
  bool cut_short = false;     // the text ended inside the document: what came before is kept
  bool dropped_item = false;  // ... and it ended inside an element of the top-level "items"
  bool too_deep = false;      // values nested deeper than kMaxDepth were left out
};

// Builds the document as Json::parse does (nlohmann's own DOM builder is in its detail
// namespace, not its interface), for two things Json::parse cannot do: keep what came
// before the end of a cut-short text, and leave out what is nested deeper than kMaxDepth
// (nlohmann's dump() and copies recurse once per level, so an item of a million nested
// arrays overflowed the stack). Only containers that are still open are pointed to: a
// parent array grows only once its open child has closed, so the pointers stay valid.
class JsonReader final : public nlohmann::json_sax<Json> {
 public:
  // A JSON Feed is 3 levels deep, 5 with authors; extensions rarely add more than a few.
  static constexpr std::size_t kMaxDepth = 64;

  static JsonRead Read(std::string_view text) {
    // A text cut inside a string can end in a newline (rsparser's allthis-partial.json): it
    // is no sign of a complete document, so white space at the end does not count.
    const std::size_t end = text.find_last_not_of(" \t\r\n");
    text = text.substr(0, end == std::string_view::npos ? 0 : end + 1);
    JsonReader reader(text.size());
    Json::sax_parse(text.begin(), text.end(), &reader);
    reader.read_.dropped_item = reader.read_.cut_short && reader.DropItemReadInPart();
    reader.read_.document = std::move(reader.root_);
    return std::move(reader.read_);
  }

  bool null() override { return Put(nullptr); }
  bool boolean(bool value) override { return Put(value); }
  bool number_integer(number_integer_t value) override { return Put(value); }
  bool number_unsigned(number_unsigned_t value) override { return Put(value); }
  bool number_float(number_float_t value, const string_t&) override { return Put(value); }
  bool string(string_t& value) override { return Put(std::move(value)); }
  bool binary(binary_t&) override { return false; }  // JSON text has none
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    key_ = std::move(name);
    return true;
  }
  // nlohmann counts the read of the end of input as a character: an error past the last
  // one is the text ending early; any other is the text being wrong.
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    if (position > size_) {
      read_.cut_short = true;
      return false;
    }
    // what() ends with the text read so far ("; last read: '…'"): not for a log line.
    const std::string what = error.what();
    read_.error = what.substr(0, std::min(what.find("; last read"), std::size_t{200}));
    return false;
  }

 private:
  explicit JsonReader(std::size_t size) : size_(size) {}

  Json* Place(Json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_object()) return &(parent[key_] = std::move(value));
    parent.push_back(std::move(value));
    return &parent.back();
  }
  bool Put(Json value) {
    if (skipped_depth_ == 0) Place(std::move(value));
    return true;
  }
  bool Open(Json container) {
    if (skipped_depth_ > 0 || open_.size() == kMaxDepth) {
      ++skipped_depth_;
      read_.too_deep = true;
      return true;
    }
    open_.push_back(Place(std::move(container)));
    return true;
  }
  bool Close() {
    if (skipped_depth_ > 0) {
      --skipped_depth_;
    } else {
      open_.pop_back();
    }
    return true;
  }

  // Open at the end: the document, its "items" array and one of its elements.
  bool DropItemReadInPart() {
    if (open_.size() < 3 || !root_.is_object()) return false;
    const auto items = root_.find("items");
    if (items == root_.end() || !items->is_array() || open_[1] != &*items ||
        open_[2] != &items->back()) {
      return false;
    }
    items->erase(items->size() - 1);
    return true;
  }

  const std::size_t size_;
  JsonRead read_;
  Json root_;
  std::vector<Json*> open_;
  std::size_t skipped_depth_ = 0;
  std::string key_;
};

// Whether the document read is a JSON Feed, with the warnings that go with it.
Status CheckJsonFeed(const JsonRead& read, std::size_t size, std::vector<std::string>& warnings) {
  const Json& doc = read.document;
  // A cut-short text that does not show it is a JSON Feed before its end is just invalid.
  const Status invalid = Status::Error("not a feed: invalid JSON (the document ends early, after " +
                                       std::to_string(size) + " bytes)");
  if (!doc.is_object()) {
    return read.cut_short ? invalid
                          : Status::Error("not a feed: the document is JSON but not an object");
  }
  const std::string version = StringField(doc, "version");
  const auto items = doc.find("items");
  const bool has_items = items != doc.end() && items->is_array();
  // A generator that sorts its keys writes "version" after "items", so a cut-short text
  // shows what it is by the links only a JSON Feed's top level has.
  const bool cut_feed = read.cut_short && version.empty() && has_items &&
                        (doc.contains("feed_url") || doc.contains("home_page_url"));
  if (!cut_feed && version.find("jsonfeed.org/version/") == std::string::npos) {
    // The version URL is what tells a JSON Feed from any other JSON with "items"; a bare
    // "1.0" / "1.1", which some generators write, is accepted with a note.
    if ((version != "1" && version != "1.0" && version != "1.1") || !has_items) {
      return read.cut_short ? invalid
                            : Status::Error("not a feed: the document is JSON but not a JSON Feed");
    }
    warnings.push_back("JSON Feed version '" + version + "' is not the jsonfeed.org URL");
  }
  if (read.cut_short) {
    warnings.push_back("JSON error: the document ends early, after " + std::to_string(size) +
                       " bytes (truncated); recovered " +
                       std::to_string(has_items ? items->size() : 0) + " item(s)" +
                       (read.dropped_item ? " and dropped the incomplete last one" : ""));
  }
  if (read.too_deep) {
    warnings.push_back("JSON error: values nested deeper than " +
                       std::to_string(JsonReader::kMaxDepth) + " levels left out");
  }
  return Status::Ok();
}

}  // namespace

Result<ParsedFeed> ParseJsonFeed(std::string_view text, const ParseOptions& options,
                                 std::vector<std::string> warnings) {
  const JsonRead read = JsonReader::Read(text);
  if (!read.error.empty()) return Status::Error("not a feed: invalid JSON (" + read.error + ")");
  if (Status is_feed = CheckJsonFeed(read, text.size(), warnings); !is_feed.ok()) return is_feed;
  const Json& doc = read.document;
  const auto items_it = doc.find("items");
  const bool has_items = items_it != doc.end() && items_it->is_array();

  ParsedFeed feed;
  feed.format = "json";
  feed.cut_short =
      read.cut_short;  // so the pipeline keeps no validators of a document it did not get whole
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
