// Feed documents to ParsedFeed: RSS 0.90-0.94/2.0, RSS 1.0 (RDF) and 1.1, Atom 0.3/1.0
// (feeds and single-entry documents), CDF, and JSON Feed 1.0/1.1 (feed_json.cpp).
//
// The path of an XML body: DecodeBody (feed_encoding.cpp: BOM, Content-Type, declaration,
// uchardet) → ScanXml (feed_xml_scan.cpp: well-formedness check and repair) → pugixml →
// the readers below → FinishItems. Well-formedness problems become one "XML error ..."
// warning and the feed is read from the repaired document, as feedparser and gofeed do.
//
// pugixml has no namespace support, so elements are matched by local name plus the
// namespace URI their prefix is bound to (found by walking up the xmlns attributes).
// pugixml never loads DTDs or external entities; ScanXml expands only internal entities
// with plain-text values, within a size limit.
#include "feeds/feed_parser.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ascii.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon {
namespace {

using feeds_internal::DecodeEntitiesToText;
using feeds_internal::IsValidUtf8;
using feeds_internal::ItemDraft;
using feeds_internal::ResolveUrl;
using feeds_internal::SanitizeUtf8;
using feeds_internal::SchemeLength;
using feeds_internal::TruncateUtf8;

constexpr std::string_view kAtom10Ns = "http://www.w3.org/2005/Atom";
constexpr std::string_view kAtom03Ns = "http://purl.org/atom/ns#";
constexpr std::string_view kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr std::string_view kRss10Ns = "http://purl.org/rss/1.0/";
constexpr std::string_view kRss090Ns = "http://my.netscape.com/rdf/simple/0.9/";
constexpr std::string_view kRss11Ns = "http://purl.org/net/rss1.1#";
constexpr std::string_view kDcNs = "http://purl.org/dc/elements/1.1/";
constexpr std::string_view kDcTermsNs = "http://purl.org/dc/terms/";
constexpr std::string_view kContentNs = "http://purl.org/rss/1.0/modules/content/";
constexpr std::string_view kMediaNs = "http://search.yahoo.com/mrss/";
constexpr std::string_view kUndeclaredNs = "urn:newsmon:undeclared-prefix";

constexpr std::size_t kMaxTitleBytes = 1024;
constexpr std::size_t kMaxSummaryBytes = 64 * 1024;
constexpr std::size_t kMaxUrlBytes = 8 * 1024;  // ids and links; longer ones are garbage
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

// Default flags minus whitespace conversion in attributes; no doctype, PI or comment nodes.
// Whitespace-only text is kept: it is the space between the words of inline markup
// ("<b>Russia</b> <i>and</i>") and between CDATA sections, which became "Russiaand".
constexpr unsigned kParseFlags =
    pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol | pugi::parse_ws_pcdata;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && AsciiLower(a) == AsciiLower(b);
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
  if (prefix == "dcterms") return kDcTermsNs;
  if (prefix == "content") return kContentNs;
  if (prefix == "atom") return kAtom10Ns;
  if (prefix == "rdf") return kRdfNs;
  if (prefix == "media") return kMediaNs;
  return kUndeclaredNs;
}

bool IsRssNs(std::string_view ns) {
  return ns.empty() || ns == kRss10Ns || ns == kRss090Ns || ns == kRss11Ns ||
         ns == "http://channel.netscape.com/rdf/simple/0.9/" ||
         ns == "http://backend.userland.com/rss2" || ns == "http://backend.userland.com/rss" ||
         ns == "http://purl.org/rss/2.0/";
}

bool IsMediaNs(std::string_view ns) {
  return ns == kMediaNs || ns == "http://search.yahoo.com/mrss" ||
         ns == "http://tools.search.yahoo.com/mrss/";
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

// The children of `node` serialised as markup (for HTML text held as XML elements).
std::string InnerXml(pugi::xml_node node) {
  std::string out;
  StringWriter writer(out);
  for (pugi::xml_node c : node.children()) {
    c.print(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  }
  return out;
}

// The element's content as source text: its text and CDATA joined, or, when it holds
// elements (unescaped HTML, Atom xhtml), the inner markup serialised.
std::string RawContent(pugi::xml_node node) {
  std::string out;
  if (!node) return out;
  if (HasElementChild(node)) return InnerXml(node);
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

std::string CleanUtf8(std::string_view s) {
  return IsValidUtf8(s) ? std::string(s) : SanitizeUtf8(s);
}

// RFC 4648 base64 (Atom 0.3 mode="base64"). Hand-written: a dozen lines, and no library
// in the dependency set offers it without a new link dependency.
std::string DecodeBase64(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else {
      continue;  // padding, whitespace
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return CleanUtf8(out);
}

// Plain text of `raw` declared plain: entities still decoded (generators double-escape),
// and it is read as HTML when it holds HTML tags anyway.
std::string PlainOrHtml(std::string_view raw) {
  return feeds_internal::ContainsHtmlTags(raw) ? HtmlToText(raw) : DecodeEntitiesToText(raw);
}

// Atom text construct (title, summary, content) to plain text, by its type.
std::string AtomText(pugi::xml_node node) {
  if (!node) return std::string();
  const std::string type = AsciiLower(TrimAscii(node.attribute("type").value()));
  const std::string mode = AsciiLower(TrimAscii(node.attribute("mode").value()));  // Atom 0.3
  const bool html_type = type.find("html") != std::string::npos;
  if (mode == "base64") {
    const std::string decoded = DecodeBase64(RawContent(node));
    return html_type ? HtmlToText(decoded) : PlainOrHtml(decoded);
  }
  if (type == "xhtml" || type == "application/xhtml+xml") {
    // The content is the xhtml div's content, as HTML (RFC 4287 section 3.1.1.3).
    for (pugi::xml_node c : node.children()) {
      if (c.type() != pugi::node_element) continue;
      if (LocalName(c.name()) == "div") return HtmlToText(InnerXml(c));
      break;
    }
    return HtmlToText(RawContent(node));
  }
  if (html_type || mode == "escaped" || HasElementChild(node)) return HtmlToText(RawContent(node));
  return PlainOrHtml(RawContent(node));
}

enum class Vocab { kRss, kAtom, kDc, kDcTerms, kContent, kMedia };

class Reader {
 public:
  // rss_ns: the namespace of an <rss> root, whatever it is: feeds declare ones no spec names
  // (feedparser accepts "http://blogs.law.harvard.edu/tech/rss"), and their items were all
  // passed over.
  Reader(const ParseOptions& options, std::string_view atom_ns, std::string_view rss_ns = {})
      : options_(options), atom_ns_(atom_ns), rss_ns_(rss_ns) {}

  // RSS element names are matched case-insensitively (feeds write <TiTlE>; iTunes and
  // feedparser accept it).
  bool Is(pugi::xml_node n, Vocab vocab, std::string_view local) const {
    if (n.type() != pugi::node_element) return false;
    const std::string_view name = LocalName(n.name());
    if (vocab == Vocab::kRss ? !EqualsIgnoreCase(name, local) : name != local) return false;
    const std::string_view ns = NamespaceOf(n);
    switch (vocab) {
      case Vocab::kRss:
        return IsRssNs(ns) || (!rss_ns_.empty() && ns == rss_ns_);
      case Vocab::kAtom:
        return ns == atom_ns_;
      case Vocab::kDc:
        return ns == kDcNs;
      case Vocab::kDcTerms:
        return ns == kDcTermsNs;
      case Vocab::kContent:
        return ns == kContentNs;
      case Vocab::kMedia:
        return IsMediaNs(ns);
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

  // Child in Atom 1.0 or 0.3, for atom:* inside RSS.
  pugi::xml_node AtomChild(pugi::xml_node parent, std::string_view local) const {
    for (pugi::xml_node c : parent.children()) {
      if (c.type() != pugi::node_element || LocalName(c.name()) != local) continue;
      const std::string_view ns = NamespaceOf(c);
      if (ns == kAtom10Ns || ns == kAtom03Ns) return c;
    }
    return pugi::xml_node();
  }

  // media:title / media:description / media:player of an item: its own, else inside
  // media:group or media:content (Media RSS allows all three places).
  pugi::xml_node MediaChild(pugi::xml_node item, std::string_view local, int depth = 0) const {
    if (const pugi::xml_node direct = Child(item, Vocab::kMedia, local)) return direct;
    if (depth >= 2) return pugi::xml_node();
    for (pugi::xml_node c : item.children()) {
      if (Is(c, Vocab::kMedia, "group") || Is(c, Vocab::kMedia, "content")) {
        if (const pugi::xml_node found = MediaChild(c, local, depth + 1)) return found;
      }
    }
    return pugi::xml_node();
  }

  // The document's base: the URL it came from, else its own rel="self" link (Atom feeds
  // without a base URI determine it from there).
  void SetDocumentBase(pugi::xml_node feed_element) {
    document_base_ = options_.base_url;
    if (!document_base_.empty() || !feed_element) return;
    for (pugi::xml_node c : feed_element.children()) {
      if (c.type() != pugi::node_element || LocalName(c.name()) != "link") continue;
      const std::string_view ns = NamespaceOf(c);
      if (ns != kAtom10Ns && ns != kAtom03Ns && ns != atom_ns_) continue;
      if (AsciiLower(TrimAscii(c.attribute("rel").value())) != "self") continue;
      const std::string_view href = TrimAscii(c.attribute("href").value());
      if (SchemeLength(href) > 0) document_base_ = std::string(href);
      return;
    }
  }

  // The document base with every xml:base from the root down to `node` applied.
  std::string BaseFor(pugi::xml_node node) const {
    std::vector<const char*> bases;
    for (pugi::xml_node p = node; p && p.type() == pugi::node_element; p = p.parent()) {
      if (const pugi::xml_attribute a = p.attribute("xml:base")) bases.push_back(a.value());
    }
    std::string base = document_base_;
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
      // All its text, not the first node's: with whitespace kept, a CDATA link's first node
      // is the line break before it.
      const std::string content = RawContent(c);
      std::string_view text = TrimAscii(content);
      if (text.empty()) text = TrimAscii(c.attribute("href").value());  // <link href=""/>
      if (!text.empty()) return Url(c, text);
    }
    return std::string();
  }

  // The alternate link (rel="alternate" or none), preferring an HTML one when there are
  // several; else the first link with an href. Atom 1.0 or 0.3 in RSS when `in_rss`.
  std::string AtomLink(pugi::xml_node parent, bool in_rss) const {
    pugi::xml_node alternate, html, first;
    for (pugi::xml_node c : parent.children()) {
      if (c.type() != pugi::node_element || LocalName(c.name()) != "link") continue;
      const std::string_view ns = NamespaceOf(c);
      if (in_rss ? (ns != kAtom10Ns && ns != kAtom03Ns) : ns != atom_ns_) continue;
      if (TrimAscii(c.attribute("href").value()).empty()) continue;
      const std::string rel = AsciiLower(TrimAscii(c.attribute("rel").value()));
      if (rel.empty() || rel == "alternate") {
        if (!alternate) alternate = c;
        const std::string type = AsciiLower(TrimAscii(c.attribute("type").value()));
        if (!html && type.find("html") != std::string::npos) html = c;
      }
      if (!first && rel != "self") first = c;
    }
    pugi::xml_node chosen = html ? html : alternate;
    if (!chosen && !in_rss) chosen = first;
    if (!chosen) return std::string();
    return Url(chosen, TrimAscii(chosen.attribute("href").value()));
  }

  // The first of `candidates` that is present and non-empty, as trimmed text.
  static std::string FirstText(std::initializer_list<pugi::xml_node> candidates) {
    for (pugi::xml_node n : candidates) {
      if (!n) continue;
      std::string text(TrimAscii(RawContent(n)));
      if (!text.empty()) return text;
    }
    return std::string();
  }

  static std::string ContentKey(pugi::xml_node item) {
    std::string key;
    StringWriter writer(key);
    item.print(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
    return key;
  }

  ItemDraft ReadRssItem(pugi::xml_node item) const {
    ItemDraft d;
    Item& out = d.item;
    pugi::xml_node title = Child(item, Vocab::kRss, "title");
    if (!title || TrimAscii(RawContent(title)).empty()) {
      if (pugi::xml_node dc = Child(item, Vocab::kDc, "title")) title = dc;
    }
    out.title = HtmlToText(RawContent(title));
    if (out.title.empty()) out.title = HtmlToText(RawContent(MediaChild(item, "title")));

    out.link = RssLink(item);
    if (out.link.empty()) out.link = AtomLink(item, /*in_rss=*/true);
    const pugi::xml_node guid = Child(item, Vocab::kRss, "guid");
    const std::string guid_text(TrimAscii(RawContent(guid)));
    if (out.link.empty() && !guid_text.empty() &&
        AsciiLower(TrimAscii(guid.attribute("isPermaLink").value())) != "false" &&
        (guid_text.starts_with("http://") || guid_text.starts_with("https://"))) {
      out.link = guid_text;
    }
    if (out.link.empty()) {
      if (const pugi::xml_node player = MediaChild(item, "player")) {
        const std::string_view url = TrimAscii(player.attribute("url").value());
        if (!url.empty()) out.link = Url(player, url);
      }
    }

    d.raw_date = FirstText({Child(item, Vocab::kRss, "pubDate"), Child(item, Vocab::kDc, "date"),
                            Child(item, Vocab::kDcTerms, "issued"),
                            Child(item, Vocab::kDcTerms, "created"), AtomChild(item, "published"),
                            AtomChild(item, "issued"), Child(item, Vocab::kDcTerms, "modified"),
                            AtomChild(item, "updated"), AtomChild(item, "modified")});

    out.summary = HtmlToText(RawContent(Child(item, Vocab::kRss, "description")));
    if (out.summary.empty())
      out.summary = HtmlToText(RawContent(Child(item, Vocab::kContent, "encoded")));
    if (out.summary.empty()) out.summary = HtmlToText(RawContent(MediaChild(item, "description")));

    d.id = guid_text;
    if (d.id.empty()) {
      // RSS 1.0/1.1: rdf:about is the item's identifier, the guid of RDF.
      for (pugi::xml_attribute a : item.attributes()) {
        if (LocalName(a.name()) == "about") {
          d.id = std::string(TrimAscii(a.value()));
          break;
        }
      }
    }
    if (out.title.empty() && d.raw_date.empty()) d.content_key = ContentKey(item);
    return d;
  }

  ItemDraft ReadAtomEntry(pugi::xml_node entry) const {
    ItemDraft d;
    Item& out = d.item;
    out.title = AtomText(Child(entry, Vocab::kAtom, "title"));
    if (out.title.empty()) out.title = HtmlToText(RawContent(MediaChild(entry, "title")));
    out.link = AtomLink(entry, /*in_rss=*/false);
    const pugi::xml_node id_node = Child(entry, Vocab::kAtom, "id");
    d.id = std::string(TrimAscii(RawContent(id_node)));
    // A relative id (invalid Atom, but written) resolves like a link, as feedparser does.
    if (!d.id.empty() && SchemeLength(d.id) == 0 &&
        (d.id.find('/') != std::string::npos || d.id.starts_with('.'))) {
      d.id = Url(id_node, d.id);
    }
    // published, else updated; Atom 0.3 calls them issued / modified / created.
    d.raw_date =
        FirstText({Child(entry, Vocab::kAtom, "published"), Child(entry, Vocab::kAtom, "issued"),
                   Child(entry, Vocab::kDc, "date"), Child(entry, Vocab::kAtom, "updated"),
                   Child(entry, Vocab::kAtom, "modified"), Child(entry, Vocab::kAtom, "created")});
    out.summary = AtomText(Child(entry, Vocab::kAtom, "summary"));
    if (out.summary.empty()) out.summary = AtomText(Child(entry, Vocab::kAtom, "content"));
    if (out.summary.empty()) out.summary = HtmlToText(RawContent(MediaChild(entry, "description")));
    if (out.title.empty() && d.raw_date.empty()) d.content_key = ContentKey(entry);
    return d;
  }

  // Channel Definition Format (Microsoft, 1997): <CHANNEL HREF=… LASTMOD=…><TITLE>,
  // <ABSTRACT>, <ITEM HREF=…>. Element and attribute names are case-insensitive.
  ItemDraft ReadCdfItem(pugi::xml_node item) const {
    ItemDraft d;
    d.item.title = HtmlToText(RawContent(Child(item, Vocab::kRss, "title")));
    d.item.summary = HtmlToText(RawContent(Child(item, Vocab::kRss, "abstract")));
    const std::string href(TrimAscii(CdfAttribute(item, "href")));
    if (!href.empty()) d.item.link = Url(item, href);
    d.raw_date = std::string(TrimAscii(CdfAttribute(item, "lastmod")));
    if (d.item.title.empty() && d.raw_date.empty()) d.content_key = ContentKey(item);
    return d;
  }

  static std::string_view CdfAttribute(pugi::xml_node node, std::string_view name) {
    for (pugi::xml_attribute a : node.attributes()) {
      if (EqualsIgnoreCase(a.name(), name)) return a.value();
    }
    return std::string_view();
  }

 private:
  const ParseOptions& options_;
  std::string_view atom_ns_;
  std::string_view rss_ns_;
  std::string document_base_;
};

enum class Kind { kNone, kRss, kRdf, kRss11, kAtom, kAtomEntry, kCdf };

Kind Classify(pugi::xml_node root) {
  if (!root) return Kind::kNone;
  const std::string_view local = LocalName(root.name());
  const std::string_view ns = NamespaceOf(root);
  if (EqualsIgnoreCase(local, "rss")) return Kind::kRss;
  if (local == "RDF") return Kind::kRdf;
  // Atom 1.0, 0.3, or a <feed> in no or some other namespace (pre-0.3 drafts).
  if (local == "feed") return Kind::kAtom;
  if (local == "entry" && (ns == kAtom10Ns || ns == kAtom03Ns)) return Kind::kAtomEntry;
  if (local == "Channel" && ns == kRss11Ns) return Kind::kRss11;
  if (EqualsIgnoreCase(local, "channel") && ns.empty()) return Kind::kCdf;
  return Kind::kNone;
}

bool LooksLikeHtml(std::string_view text) {
  const std::string head = AsciiLower(text.substr(0, 4096));
  return head.find("<html") != std::string::npos ||
         head.find("<!doctype html") != std::string::npos;
}

// Loads ScanXml's output, which is well-formed by construction. Should pugixml still object,
// that is one more XML error and the feed is read from what pugixml did read.
void LoadScanned(feeds_internal::XmlScan& scan, pugi::xml_document& doc) {
  const pugi::xml_parse_result parsed =
      doc.load_buffer(scan.text.data(), scan.text.size(), kParseFlags, pugi::encoding_utf8);
  if (parsed.status != pugi::status_ok && parsed.status != pugi::status_no_document_element) {
    ++scan.error_count;
    if (scan.errors.empty()) scan.errors.push_back(std::string("parser: ") + parsed.description());
  }
}

// Why a document whose root is no feed element is not a feed.
Status NotAFeed(pugi::xml_node root, std::string_view text, const feeds_internal::XmlScan& scan) {
  if ((root && AsciiLower(LocalName(root.name())) == "html") || LooksLikeHtml(text)) {
    return Status::Error("not a feed: the document is an HTML page");
  }
  const std::string problem =
      scan.errors.empty() ? std::string() : "; not well-formed XML (" + scan.errors[0] + ")";
  if (root) {
    return Status::Error("not a feed: root element <" + std::string(root.name()) + ">" + problem);
  }
  return Status::Error("not a feed: no XML document element" + problem);
}

// RSS 0.9x-2.0 and RSS 1.0 (RDF): the channel's fields; returns the item elements.
std::vector<pugi::xml_node> ReadRssChannel(Kind kind, pugi::xml_node root, Reader& reader,
                                           ParsedFeed& feed) {
  feed.format = kind == Kind::kRss ? "rss" : "rdf";
  const pugi::xml_node channel = reader.Child(root, Vocab::kRss, "channel");
  reader.SetDocumentBase(channel);
  pugi::xml_node title = reader.Child(channel, Vocab::kRss, "title");
  if (!title) title = reader.Child(channel, Vocab::kDc, "title");
  feed.title = HtmlToText(RawContent(title));
  feed.link = reader.RssLink(channel);
  if (feed.link.empty()) feed.link = reader.AtomLink(channel, /*in_rss=*/true);
  if (long ttl =
          std::strtol(RawContent(reader.Child(channel, Vocab::kRss, "ttl")).c_str(), nullptr, 10);
      ttl > 0) {
    feed.ttl_minutes = static_cast<int>(std::min(ttl, 24L * 60));
  }
  // RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it. Accept both.
  std::vector<pugi::xml_node> items =
      reader.Children(kind == Kind::kRss ? channel : root, Vocab::kRss, "item");
  if (items.empty())
    items = reader.Children(kind == Kind::kRss ? root : channel, Vocab::kRss, "item");
  return items;
}

// The feed's own fields (format, title, link, ttl) and its document base; returns the item
// elements in document order.
std::vector<pugi::xml_node> ReadFeedElement(Kind kind, pugi::xml_node root, Reader& reader,
                                            ParsedFeed& feed) {
  switch (kind) {
    case Kind::kAtom:
      feed.format = "atom";
      reader.SetDocumentBase(root);
      feed.title = AtomText(reader.Child(root, Vocab::kAtom, "title"));
      feed.link = reader.AtomLink(root, /*in_rss=*/false);
      return reader.Children(root, Vocab::kAtom, "entry");
    case Kind::kAtomEntry:  // an Atom entry document (RFC 4287 section 4.1.2): one item
      feed.format = "atom";
      reader.SetDocumentBase(root);
      return {root};
    case Kind::kCdf: {
      feed.format = "cdf";
      reader.SetDocumentBase(pugi::xml_node());
      feed.title = HtmlToText(RawContent(reader.Child(root, Vocab::kRss, "title")));
      const std::string href(TrimAscii(Reader::CdfAttribute(root, "href")));
      if (!href.empty()) feed.link = reader.Url(root, href);
      return reader.Children(root, Vocab::kRss, "item");
    }
    case Kind::kRss11:
      feed.format = "rdf";  // RSS 1.1 is RSS 1.0 without the RDF boilerplate
      reader.SetDocumentBase(root);
      feed.title = HtmlToText(RawContent(reader.Child(root, Vocab::kRss, "title")));
      feed.link = reader.RssLink(root);
      return reader.Children(reader.Child(root, Vocab::kRss, "items"), Vocab::kRss, "item");
    case Kind::kRss:
    case Kind::kRdf:
      return ReadRssChannel(kind, root, reader, feed);
    case Kind::kNone:
      break;
  }
  return {};
}

// A truncated document: an item the document ended inside is half-read, and a half-read
// item is worse than none. Returns whether the last item was dropped.
bool DropHalfReadItem(const feeds_internal::XmlScan& scan, std::vector<pugi::xml_node>& items) {
  if (scan.unclosed.empty() || items.empty()) return false;
  const std::ptrdiff_t name_offset = items.back().offset_debug();
  if (name_offset > 0 &&
      std::find(scan.unclosed.begin(), scan.unclosed.end(),
                static_cast<std::size_t>(name_offset - 1)) != scan.unclosed.end()) {
    items.pop_back();
    return true;
  }
  return false;
}

// The one warning for every well-formedness error the scan repaired.
std::string XmlErrorWarning(const feeds_internal::XmlScan& scan, std::size_t recovered,
                            bool dropped) {
  std::string warning = "XML error at " + scan.errors.front();
  if (scan.error_count > 1) {
    warning += " (and " + std::to_string(scan.error_count - 1) + " more)";
  }
  warning += "; recovered " + std::to_string(recovered) + " item(s)";
  if (dropped) warning += " and dropped the incomplete last one";
  return warning;
}

std::vector<ItemDraft> ReadItems(Kind kind, const Reader& reader,
                                 const std::vector<pugi::xml_node>& items);

void CapItems(Kind kind, const Reader& reader, std::vector<pugi::xml_node>& items,
              std::vector<std::string>& warnings) {
  if (items.size() <= feeds_internal::kMaxItems) return;
  const std::vector<ItemDraft> ends = ReadItems(kind, reader, {items.front(), items.back()});
  feeds_internal::KeepNewestEnd(items, ends[0].raw_date, ends[1].raw_date, warnings);
}

std::vector<ItemDraft> ReadItems(Kind kind, const Reader& reader,
                                 const std::vector<pugi::xml_node>& items) {
  std::vector<ItemDraft> drafts;
  drafts.reserve(items.size());
  for (const pugi::xml_node node : items) {
    switch (kind) {
      case Kind::kAtom:
      case Kind::kAtomEntry:
        drafts.push_back(reader.ReadAtomEntry(node));
        break;
      case Kind::kCdf:
        drafts.push_back(reader.ReadCdfItem(node));
        break;
      default:
        drafts.push_back(reader.ReadRssItem(node));
    }
  }
  return drafts;
}

Result<ParsedFeed> ParseXml(std::string_view text, const ParseOptions& options,
                            std::vector<std::string> warnings) {
  feeds_internal::XmlScan scan = feeds_internal::ScanXml(text);
  if (!scan.refused.empty()) return Status::Error("not parsed: " + scan.refused);
  pugi::xml_document doc;
  LoadScanned(scan, doc);
  const pugi::xml_node root = doc.document_element();
  const Kind kind = Classify(root);
  if (kind == Kind::kNone) return NotAFeed(root, text, scan);

  ParsedFeed feed;
  feed.warnings = std::move(warnings);
  const std::string_view atom_ns =
      kind == Kind::kAtom || kind == Kind::kAtomEntry ? NamespaceOf(root) : kAtom10Ns;
  Reader reader(options, atom_ns, kind == Kind::kRss ? NamespaceOf(root) : std::string_view());
  std::vector<pugi::xml_node> items = ReadFeedElement(kind, root, reader, feed);
  const bool dropped = DropHalfReadItem(scan, items);
  feed.cut_short = !scan.unclosed.empty();
  if (scan.error_count > 0) feed.warnings.push_back(XmlErrorWarning(scan, items.size(), dropped));
  CapItems(kind, reader, items, feed.warnings);
  feeds_internal::FinishItems(ReadItems(kind, reader, items), options, feed);
  return feed;
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
  std::vector<std::string> warnings;
  const feeds_internal::DecodedBody decoded =
      feeds_internal::DecodeBody(body, options.content_type, warnings);
  const std::string_view text = decoded.utf8;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Error("not a feed: empty document");
  if (text[first] == '{' || text[first] == '[') {
    return feeds_internal::ParseJsonFeed(text.substr(first), options, std::move(warnings));
  }
  return ParseXml(text, options, std::move(warnings));
}

}  // namespace

namespace feeds_internal {
namespace {

// A date of news: not a placeholder (0, the Unix epoch, a CMS's 1900) and not in the future
// beyond a misdeclared zone or a clock a little ahead; a typo'd year (2052) would pin the
// item on top of every list and outlive any retention.
bool Plausible(std::int64_t published, std::int64_t fetched_at) {
  constexpr std::int64_t k1995 = 788'918'400;
  constexpr std::int64_t kDay = 86'400;
  return published >= k1995 && (fetched_at == 0 || published <= fetched_at + kDay);
}

// What tells apart items of one feed that share an id: only what the feed says, so that it is
// stable across polls.
std::string IdentityKey(const Item& item, const ItemDraft& draft) {
  std::string key = item.title + '\x1f' + draft.raw_date;
  if (item.title.empty() && draft.raw_date.empty()) key += '\x1f' + draft.content_key;
  return key;
}

// Items of one feed that share an id while saying different things (a podcast's one link for
// every episode, a CMS that gives every item the section's guid) get their title and date
// added to it: under the one id, the pipeline took each later item for a revision of the
// first, and all but one were never stored. Items that repeat one another keep their id.
// Returns how many ids were changed.
int TellApartSharedIds(std::vector<Item>& items, std::size_t first,
                       const std::vector<std::string>& keys) {
  struct Seen {
    const std::string* key;
    bool differs = false;
  };
  std::unordered_map<std::string_view, Seen> by_id;
  for (std::size_t i = first; i < items.size(); ++i) {
    auto [seen, inserted] = by_id.try_emplace(items[i].id, Seen{&keys[i - first]});
    if (!inserted && *seen->second.key != keys[i - first]) seen->second.differs = true;
  }
  std::vector<bool> shared(items.size() - first);
  for (std::size_t i = first; i < items.size(); ++i) shared[i - first] = by_id[items[i].id].differs;
  by_id.clear();  // its keys view the ids changed below
  int changed = 0;
  for (std::size_t i = first; i < items.size(); ++i) {
    if (!shared[i - first]) continue;
    const std::string suffix = "#" + Hex64(Fnv1a(keys[i - first]));
    TruncateUtf8(items[i].id, kMaxUrlBytes - suffix.size());
    items[i].id += suffix;
    ++changed;
  }
  return changed;
}

}  // namespace

void FinishItems(std::vector<ItemDraft> drafts, const ParseOptions& options, ParsedFeed& feed) {
  if (drafts.size() > kMaxItems) {
    const std::string first_date = drafts.front().raw_date, last_date = drafts.back().raw_date;
    KeepNewestEnd(drafts, first_date, last_date, feed.warnings);
  }
  int titles_cut = 0, summaries_cut = 0, urls_cut = 0, bad_dates = 0, implausible_dates = 0;
  int zones_guessed = 0;
  std::string bad_date_example, implausible_date_example, zone_guessed_example;
  if (TruncateUtf8(feed.title, kMaxTitleBytes)) ++titles_cut;
  feed.title = CleanUtf8(feed.title);
  feed.link = CleanUtf8(feed.link);
  TruncateUtf8(feed.link, kMaxUrlBytes);

  const std::size_t first_item = feed.items.size();
  std::vector<std::string> identity_keys;
  identity_keys.reserve(drafts.size());
  feed.items.reserve(feed.items.size() + drafts.size());
  for (ItemDraft& d : drafts) {
    Item item = std::move(d.item);
    item.link = CleanUtf8(item.link);
    if (!d.raw_date.empty()) {
      bool zone_guessed = false;
      item.published = ParseFeedDate(d.raw_date, zone_guessed);
      if (zone_guessed && item.published && zones_guessed++ == 0)
        zone_guessed_example = CleanUtf8(d.raw_date.substr(0, 64));
      if (item.published && !Plausible(*item.published, options.fetched_at)) {
        item.published.reset();
        if (implausible_dates++ == 0)
          implausible_date_example = CleanUtf8(d.raw_date.substr(0, 64));
      } else if (!item.published && bad_dates++ == 0) {
        bad_date_example = CleanUtf8(d.raw_date.substr(0, 64));
      }
    }
    if (!item.published && options.fetched_at != 0) {
      item.published = options.fetched_at;
      item.published_estimated = true;
    }
    std::string id = std::string(TrimAscii(d.id));
    if (id.empty()) id = item.link;
    identity_keys.push_back(IdentityKey(item, d));
    if (id.empty()) id = "hash:" + Hex64(Fnv1a(identity_keys.back()));
    item.id = CleanUtf8(id);
    item.title = CleanUtf8(item.title);
    item.summary = CleanUtf8(item.summary);
    if (TruncateUtf8(item.title, kMaxTitleBytes)) ++titles_cut;
    if (TruncateUtf8(item.summary, kMaxSummaryBytes)) ++summaries_cut;
    const bool id_cut = TruncateUtf8(item.id, kMaxUrlBytes);
    if (TruncateUtf8(item.link, kMaxUrlBytes) || id_cut) ++urls_cut;
    feed.items.push_back(std::move(item));
  }

  const int ids_shared = TellApartSharedIds(feed.items, first_item, identity_keys);

  const auto add = [&](int count, const std::string& what) {
    if (count > 0) feed.warnings.push_back(std::to_string(count) + " " + what);
  };
  add(ids_shared,
      "item(s) share their id with an item that says something else; told apart by "
      "title and date");
  add(titles_cut, "title(s) cut to " + std::to_string(kMaxTitleBytes) + " bytes");
  add(summaries_cut, "summary(ies) cut to " + std::to_string(kMaxSummaryBytes) + " bytes");
  add(urls_cut, "id(s) or link(s) cut to " + std::to_string(kMaxUrlBytes) + " bytes");
  add(bad_dates, "item date(s) not understood, e.g. '" + bad_date_example + "'");
  add(zones_guessed,
      "item date(s) with a time zone not known, read as UTC (up to half a day off), e.g. '" +
          zone_guessed_example + "'");
  add(implausible_dates,
      "item date(s) before 1995 or more than a day ahead, read as the fetch "
      "time, e.g. '" +
          implausible_date_example + "'");
}

}  // namespace feeds_internal

bool IsWellFormednessWarning(std::string_view warning) {
  return warning.starts_with("XML error") || warning.starts_with("JSON error") ||
         warning.starts_with("encoding error");
}

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
