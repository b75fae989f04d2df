// RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 0.3/1.0 documents to ParsedFeed, with pugixml.
//
// pugixml has no namespace support, so elements are matched by local name plus the
// namespace URI their prefix is bound to (found by walking up the xmlns attributes).
// pugixml never loads DTDs or external entities and we add no entity expansion of our own:
// undeclared entities such as &nbsp; stay literal in the XML text and HtmlToText decodes
// them as HTML.
#include "feeds/feed_parser.h"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser_internal.h"

namespace newsmon {
namespace {

using feeds_internal::DecodeEntitiesToText;
using feeds_internal::IsValidUtf8;
using feeds_internal::ResolveUrl;
using feeds_internal::SanitizeUtf8;
using feeds_internal::TruncateUtf8;

constexpr std::string_view kAtom10Ns = "http://www.w3.org/2005/Atom";
constexpr std::string_view kAtom03Ns = "http://purl.org/atom/ns#";
constexpr std::string_view kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr std::string_view kRss10Ns = "http://purl.org/rss/1.0/";
constexpr std::string_view kRss090Ns = "http://my.netscape.com/rdf/simple/0.9/";
constexpr std::string_view kDcNs = "http://purl.org/dc/elements/1.1/";
constexpr std::string_view kContentNs = "http://purl.org/rss/1.0/modules/content/";
constexpr std::string_view kUndeclaredNs = "urn:newsmon:undeclared-prefix";

constexpr std::size_t kMaxItems = 1000;
constexpr std::size_t kMaxTitleBytes = 1024;
constexpr std::size_t kMaxSummaryBytes = 64 * 1024;
constexpr std::size_t kMaxUrlBytes = 8 * 1024;  // ids and links; longer ones are garbage
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

// Default flags minus whitespace conversion in attributes; no doctype, PI or comment nodes.
constexpr unsigned kParseFlags = pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

std::string_view LocalName(const char* qualified) {
  const std::string_view name = qualified;
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Namespace URI of an element's prefix, by the nearest xmlns declaration. Prefixes feeds
// often forget to declare fall back to their usual namespace.
std::string_view NamespaceOf(pugi::xml_node node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  const std::string_view prefix = colon == std::string_view::npos ? "" : name.substr(0, colon);
  const std::string attr = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
  for (pugi::xml_node p = node; p && p.type() == pugi::node_element; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute(attr.c_str())) return a.value();
  }
  if (prefix.empty()) return "";
  if (prefix == "dc") return kDcNs;
  if (prefix == "content") return kContentNs;
  if (prefix == "atom") return kAtom10Ns;
  if (prefix == "rdf") return kRdfNs;
  return kUndeclaredNs;
}

bool IsRssNs(std::string_view ns) {
  return ns.empty() || ns == kRss10Ns || ns == kRss090Ns ||
         ns == "http://channel.netscape.com/rdf/simple/0.9/" ||
         ns == "http://backend.userland.com/rss2" || ns == "http://backend.userland.com/rss";
}

bool HasElementChild(pugi::xml_node node) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element) return true;
  }
  return false;
}

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, std::size_t size) override {
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

// The element's content as source text: its text and CDATA joined, or, when it holds
// elements (unescaped HTML, Atom xhtml), the inner markup serialised.
std::string RawContent(pugi::xml_node node) {
  std::string out;
  if (!node) return out;
  if (!HasElementChild(node)) {
    for (pugi::xml_node c : node.children()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
    }
    return out;
  }
  StringWriter writer(out);
  for (pugi::xml_node c : node.children()) {
    c.print(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  }
  return out;
}

std::string CleanUtf8(std::string_view s) {
  return IsValidUtf8(s) ? std::string(s) : SanitizeUtf8(s);
}

// Atom text construct (title, summary, content) to plain text, by its type.
std::string AtomText(pugi::xml_node node) {
  if (!node) return std::string();
  const std::string type = Lower(TrimAscii(node.attribute("type").value()));
  const std::string mode = Lower(TrimAscii(node.attribute("mode").value()));  // Atom 0.3
  if (mode == "base64") return std::string();
  const std::string raw = RawContent(node);
  // type="text" is plain, but generators put escaped HTML ("&lt;a href=…") and entities
  // ("Putin&amp;#x27;s") in it anyway: HTML tags make it HTML, entities are decoded.
  const bool html = type == "html" || type.find("html") != std::string::npos || mode == "escaped" ||
                    HasElementChild(node) || feeds_internal::ContainsHtmlTags(raw);
  return html ? HtmlToText(raw) : DecodeEntitiesToText(raw);
}

std::string HexFnv1a(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

enum class Vocab { kRss, kAtom, kDc, kContent };

struct Counters {
  int titles_cut = 0;
  int summaries_cut = 0;
  int urls_cut = 0;
  int bad_dates = 0;
  std::string bad_date_example;
  int skipped_empty = 0;
};

class Reader {
 public:
  Reader(const ParseOptions& options, std::string_view atom_ns)
      : options_(options), atom_ns_(atom_ns) {}

  bool Is(pugi::xml_node n, Vocab vocab, std::string_view local) const {
    if (n.type() != pugi::node_element || LocalName(n.name()) != local) return false;
    const std::string_view ns = NamespaceOf(n);
    switch (vocab) {
      case Vocab::kRss:
        return IsRssNs(ns);
      case Vocab::kAtom:
        return ns == atom_ns_;
      case Vocab::kDc:
        return ns == kDcNs;
      case Vocab::kContent:
        return ns == kContentNs;
    }
    return false;
  }

  pugi::xml_node Child(pugi::xml_node parent, Vocab vocab, std::string_view local) const {
    for (pugi::xml_node c : parent.children()) {
      if (Is(c, vocab, local)) return c;
    }
    return pugi::xml_node();
  }

  std::vector<pugi::xml_node> Children(pugi::xml_node parent, Vocab vocab,
                                       std::string_view local) const {
    std::vector<pugi::xml_node> out;
    for (pugi::xml_node c : parent.children()) {
      if (Is(c, vocab, local)) out.push_back(c);
    }
    return out;
  }

  // options.base_url with every xml:base from the root down to `node` applied.
  std::string BaseFor(pugi::xml_node node) const {
    std::vector<const char*> bases;
    for (pugi::xml_node p = node; p && p.type() == pugi::node_element; p = p.parent()) {
      if (const pugi::xml_attribute a = p.attribute("xml:base")) bases.push_back(a.value());
    }
    std::string base = options_.base_url;
    for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
      std::string next = ResolveUrl(base, *it);
      if (!next.empty()) base = std::move(next);
    }
    return base;
  }

  std::string Url(pugi::xml_node context, std::string_view reference) const {
    return ResolveUrl(BaseFor(context), reference);
  }

  // First non-empty RSS <link>.
  std::string RssLink(pugi::xml_node parent) const {
    for (pugi::xml_node c : parent.children()) {
      if (!Is(c, Vocab::kRss, "link")) continue;
      std::string_view text = TrimAscii(c.child_value());
      if (text.empty()) text = TrimAscii(c.attribute("href").value());  // <link href=""/>
      if (!text.empty()) return Url(c, text);
    }
    return std::string();
  }

  // Atom link with rel="alternate" (or no rel), else the first link with an href.
  std::string AtomLink(pugi::xml_node parent, bool alternate_only) const {
    pugi::xml_node first;
    for (pugi::xml_node c : parent.children()) {
      if (!Is(c, Vocab::kAtom, "link") || TrimAscii(c.attribute("href").value()).empty()) continue;
      const std::string rel = Lower(TrimAscii(c.attribute("rel").value()));
      if (rel.empty() || rel == "alternate") return Url(c, c.attribute("href").value());
      if (!first) first = c;
    }
    if (!first || alternate_only) return std::string();
    return Url(first, first.attribute("href").value());
  }

  std::optional<Item> ReadRssItem(pugi::xml_node item) {
    Item out;
    pugi::xml_node title = Child(item, Vocab::kRss, "title");
    if (!title) title = Child(item, Vocab::kDc, "title");
    out.title = HtmlToText(RawContent(title));
    out.link = RssLink(item);
    if (out.link.empty()) out.link = AtomLinkInRss(item);
    const pugi::xml_node guid = Child(item, Vocab::kRss, "guid");
    const std::string guid_text(TrimAscii(RawContent(guid)));
    if (out.link.empty() && !guid_text.empty() &&
        Lower(TrimAscii(guid.attribute("isPermaLink").value())) != "false" &&
        (guid_text.starts_with("http://") || guid_text.starts_with("https://"))) {
      out.link = guid_text;
    }
    pugi::xml_node date = Child(item, Vocab::kRss, "pubDate");
    if (!date) date = Child(item, Vocab::kDc, "date");
    if (!date) date = AtomChildInRss(item, "published");
    if (!date) date = AtomChildInRss(item, "updated");
    const std::string raw_date(TrimAscii(RawContent(date)));
    out.summary = HtmlToText(RawContent(Child(item, Vocab::kRss, "description")));
    if (out.summary.empty())
      out.summary = HtmlToText(RawContent(Child(item, Vocab::kContent, "encoded")));

    std::string id = guid_text;
    if (id.empty()) {
      // RSS 1.0: rdf:about is the item's identifier, the guid of RDF.
      for (pugi::xml_attribute a : item.attributes()) {
        if (LocalName(a.name()) == "about") {
          id = std::string(TrimAscii(a.value()));
          break;
        }
      }
    }
    if (id.empty()) id = out.link;
    return Finish(std::move(out), std::move(id), raw_date);
  }

  std::optional<Item> ReadAtomEntry(pugi::xml_node entry) {
    Item out;
    out.title = AtomText(Child(entry, Vocab::kAtom, "title"));
    out.link = AtomLink(entry, /*alternate_only=*/false);
    std::string id(TrimAscii(RawContent(Child(entry, Vocab::kAtom, "id"))));
    if (id.empty()) id = out.link;
    std::string raw_date;
    // published, else updated; Atom 0.3 calls them issued / modified / created.
    for (const char* name : {"published", "issued", "updated", "modified", "created"}) {
      raw_date = std::string(TrimAscii(RawContent(Child(entry, Vocab::kAtom, name))));
      if (!raw_date.empty()) break;
    }
    out.summary = AtomText(Child(entry, Vocab::kAtom, "summary"));
    if (out.summary.empty()) out.summary = AtomText(Child(entry, Vocab::kAtom, "content"));
    return Finish(std::move(out), std::move(id), raw_date);
  }

  void AddWarnings(std::vector<std::string>& warnings) const {
    const auto add = [&](int count, const std::string& what) {
      if (count > 0) warnings.push_back(std::to_string(count) + " " + what);
    };
    add(counters_.titles_cut, "title(s) cut to " + std::to_string(kMaxTitleBytes) + " bytes");
    add(counters_.summaries_cut,
        "summary(ies) cut to " + std::to_string(kMaxSummaryBytes) + " bytes");
    add(counters_.urls_cut, "id(s) or link(s) cut to " + std::to_string(kMaxUrlBytes) + " bytes");
    add(counters_.bad_dates,
        "item date(s) not understood, e.g. '" + counters_.bad_date_example + "'");
    add(counters_.skipped_empty, "item(s) without title, link, id or text skipped");
  }

  void CountTitleCut() { ++counters_.titles_cut; }

 private:
  pugi::xml_node AtomChildInRss(pugi::xml_node item, std::string_view local) const {
    for (pugi::xml_node c : item.children()) {
      if (c.type() == pugi::node_element && LocalName(c.name()) == local &&
          NamespaceOf(c) == kAtom10Ns) {
        return c;
      }
    }
    return pugi::xml_node();
  }

  std::string AtomLinkInRss(pugi::xml_node item) const {
    for (pugi::xml_node c : item.children()) {
      if (c.type() != pugi::node_element || LocalName(c.name()) != "link" ||
          NamespaceOf(c) != kAtom10Ns) {
        continue;
      }
      const std::string rel = Lower(TrimAscii(c.attribute("rel").value()));
      const std::string_view href = TrimAscii(c.attribute("href").value());
      if ((rel.empty() || rel == "alternate") && !href.empty()) return Url(c, href);
    }
    return std::string();
  }

  std::optional<Item> Finish(Item item, std::string id, const std::string& raw_date) {
    if (!raw_date.empty()) {
      item.published = ParseFeedDate(raw_date);
      if (!item.published && counters_.bad_dates++ == 0) {
        counters_.bad_date_example = CleanUtf8(raw_date.substr(0, 64));
      }
    }
    if (item.title.empty() && item.link.empty() && item.summary.empty() && id.empty()) {
      ++counters_.skipped_empty;
      return std::nullopt;
    }
    if (id.empty()) {
      std::string key = item.title + '\x1f' + raw_date;
      if (item.title.empty() && raw_date.empty()) key += '\x1f' + item.summary;
      id = "hash:" + HexFnv1a(key);
    }
    item.id = CleanUtf8(id);
    item.link = CleanUtf8(item.link);
    if (TruncateUtf8(item.title, kMaxTitleBytes)) ++counters_.titles_cut;
    if (TruncateUtf8(item.summary, kMaxSummaryBytes)) ++counters_.summaries_cut;
    const bool id_cut = TruncateUtf8(item.id, kMaxUrlBytes);
    if (TruncateUtf8(item.link, kMaxUrlBytes) || id_cut) ++counters_.urls_cut;
    return item;
  }

  const ParseOptions& options_;
  std::string_view atom_ns_;
  Counters counters_;
};

enum class Kind { kNone, kRss, kRdf, kAtom };

Kind Classify(pugi::xml_node root) {
  if (!root) return Kind::kNone;
  const std::string_view local = LocalName(root.name());
  if (local == "rss") return Kind::kRss;
  if (local == "RDF") return Kind::kRdf;
  // Atom 1.0, 0.3, or a <feed> in no or some other namespace (pre-0.3 drafts).
  if (local == "feed") return Kind::kAtom;
  return Kind::kNone;
}

bool LooksLikeHtml(std::string_view text) {
  const std::string head = Lower(text.substr(0, 4096));
  return head.find("<html") != std::string::npos ||
         head.find("<!doctype html") != std::string::npos;
}

// Whether `item` was closed before the parser stopped at `error_offset`: a truncated or
// broken document leaves the last item half-read, and a half-read item is worse than none.
bool ClosedBefore(std::string_view text, pugi::xml_node item, std::size_t error_offset) {
  const std::ptrdiff_t start = item.offset_debug();
  if (start < 0) return true;  // unknown: keep it
  const std::string closing = "</" + std::string(item.name());
  const std::size_t pos = text.find(closing, static_cast<std::size_t>(start));
  return pos != std::string_view::npos && pos < error_offset;
}

Result<ParsedFeed> Parse(std::string_view body, const ParseOptions& options) {
  if (body.size() > kMaxBodyBytes) {
    return Status::Error("not parsed: the document is " + std::to_string(body.size()) +
                         " bytes, over the " + std::to_string(kMaxBodyBytes >> 20) + " MiB limit");
  }
  if (body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1F &&
      static_cast<unsigned char>(body[1]) == 0x8B) {
    return Status::Error("not a feed: the document is gzip-compressed data");
  }
  std::vector<std::string> encoding_warnings;
  const feeds_internal::DecodedBody decoded =
      feeds_internal::DecodeBody(body, options.content_type, encoding_warnings);
  const std::string_view text = decoded.utf8;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Error("not a feed: empty document");
  if (text[first] == '{' || text[first] == '[') {
    return Status::Error(text.find("jsonfeed.org") != std::string_view::npos
                             ? "not a feed: the document is a JSON Feed, which is not supported"
                             : "not a feed: the document is JSON");
  }

  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(text.data(), text.size(), kParseFlags, pugi::encoding_utf8);
  const bool xml_error = parsed.status != pugi::status_ok;
  const std::size_t error_offset = parsed.offset < 0 ? 0 : static_cast<std::size_t>(parsed.offset);
  const std::string xml_error_text =
      "XML error at offset " +
      std::to_string(error_offset + (decoded.converted ? 0 : decoded.offset_shift)) + ": " +
      parsed.description();

  const pugi::xml_node root = doc.document_element();
  const Kind kind = Classify(root);
  if (kind == Kind::kNone) {
    if ((root && Lower(LocalName(root.name())) == "html") || LooksLikeHtml(text)) {
      return Status::Error("not a feed: the document is an HTML page");
    }
    if (root) return Status::Error("not a feed: root element <" + std::string(root.name()) + ">");
    return Status::Error("not a feed: " + xml_error_text);
  }

  ParsedFeed feed;
  feed.warnings = std::move(encoding_warnings);
  Reader reader(options, kind == Kind::kAtom ? NamespaceOf(root) : kAtom10Ns);

  std::vector<pugi::xml_node> items;
  if (kind == Kind::kAtom) {
    feed.format = "atom";
    feed.title = AtomText(reader.Child(root, Vocab::kAtom, "title"));
    feed.link = reader.AtomLink(root, /*alternate_only=*/false);
    items = reader.Children(root, Vocab::kAtom, "entry");
  } else {
    feed.format = kind == Kind::kRss ? "rss" : "rdf";
    const pugi::xml_node channel = reader.Child(root, Vocab::kRss, "channel");
    pugi::xml_node title = reader.Child(channel, Vocab::kRss, "title");
    if (!title) title = reader.Child(channel, Vocab::kDc, "title");
    feed.title = HtmlToText(RawContent(title));
    feed.link = reader.RssLink(channel);
    // RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it. Accept both.
    items = reader.Children(kind == Kind::kRss ? channel : root, Vocab::kRss, "item");
    if (items.empty())
      items = reader.Children(kind == Kind::kRss ? root : channel, Vocab::kRss, "item");
  }
  if (TruncateUtf8(feed.title, kMaxTitleBytes)) reader.CountTitleCut();
  feed.link = CleanUtf8(feed.link);
  TruncateUtf8(feed.link, kMaxUrlBytes);

  if (xml_error) {
    bool dropped = false;
    if (!items.empty() && !ClosedBefore(text, items.back(), error_offset)) {
      items.pop_back();
      dropped = true;
    }
    if (items.empty()) return Status::Error(xml_error_text + " (no complete item before it)");
    feed.warnings.push_back(xml_error_text + "; kept the " + std::to_string(items.size()) +
                            " item(s) before it" +
                            (dropped ? " and dropped the incomplete one" : ""));
  }
  if (items.size() > kMaxItems) {
    feed.warnings.push_back("feed has " + std::to_string(items.size()) + " items; kept the first " +
                            std::to_string(kMaxItems));
    items.resize(kMaxItems);
  }
  feed.items.reserve(items.size());
  for (const pugi::xml_node node : items) {
    std::optional<Item> item =
        kind == Kind::kAtom ? reader.ReadAtomEntry(node) : reader.ReadRssItem(node);
    if (item) feed.items.push_back(std::move(*item));
  }
  reader.AddWarnings(feed.warnings);
  return feed;
}

}  // namespace

Result<ParsedFeed> ParseFeed(std::string_view body, const ParseOptions& options) {
  try {
    return Parse(body, options);
  } catch (const std::exception& e) {
    return Status::Error(std::string("feed parser failed: ") + e.what());
  } catch (...) {
    return Status::Error("feed parser failed");
  }
}

}  // namespace newsmon
