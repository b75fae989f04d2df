// The well-formedness check and repair pass that runs before pugixml.
//
// Hand-written because neither half is available from the XML parser we use: pugixml is
// deliberately non-validating and lenient in ways that hide errors (it leaves undefined
// entities and stray '&' as text, ignores namespaces, duplicate attributes, control
// characters and "&#X41;"), yet strict where feeds need leniency (it stops at the first
// mismatched or missing end tag and keeps no DTD entities). Feed readers that survive the
// real world (feedparser's loose parser, gofeed's non-strict decoder) recover instead; this
// pass does the same once, as a single linear scan, and hands pugixml a document that is
// well-formed by construction:
//
//   * undefined entities: HTML5 names become numeric references, unknown names literal
//     text ("&amp;name;"); internal DTD entities with plain-text values are expanded;
//   * a '&' or '<' that starts no reference or tag is escaped;
//   * a mismatched end tag closes the open elements down to its match, or is dropped;
//   * elements still open at the end (a truncated document) are closed, and reported in
//     `unclosed` so the caller can drop a half-read item;
//   * duplicate attributes, attributes without a value or quotes, control characters and
//     stray text outside the root are dropped or fixed;
//   * comments, processing instructions, the XML declaration and the DOCTYPE are removed.
//
// Each repair is an error in `errors` (the document is not well-formed XML). Undeclared
// namespace prefixes are reported too but left as they are: the feed reader maps the
// common ones to their usual namespaces. Numeric references to 0x80-0x9F are rewritten to
// the windows-1252 characters browsers show for them (not an error: they are legal XML).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/ascii.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon::feeds_internal {
namespace {

constexpr std::size_t kMaxErrorsKept = 5;
constexpr std::size_t kMaxEntityExpansion = 1 << 20;  // bytes, all DTD entities together
constexpr int kMaxEntityDepth = 4;
// Real feeds declare a few namespaces on the root and give elements a handful of attributes;
// 160,000 attributes on one element are an attack, refused whole (docs/reliability.md).
constexpr std::size_t kMaxAttributes = 1000;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) {
  return IsAsciiAlpha(c) || c == '_' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c) || c == '-' || c == '.'; }

// XML 1.0 Char production.
bool IsXmlChar(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// HTML5: numeric references to 0x80-0x9F mean the windows-1252 characters.
constexpr char32_t kWindows1252C1[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

void AppendCharRef(std::string& out, char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  for (char32_t v = cp; v > 0 || digits.empty(); v >>= 4)
    digits.insert(digits.begin(), kHex[v & 0xF]);
  out += "&#x";
  out += digits;
  out += ';';
}

// Text for XML output: '&', '<', '>' and both quotes escaped.
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
}

struct OpenElement {
  std::string name;
  std::size_t out_offset;     // of its '<' in the output
  std::size_t prefixes_size;  // size of the prefix scope before its declarations
};

// Names in scope, innermost last, with a count per name so that asking whether one is in
// scope costs one hash lookup however deep the document nests: a linear search per end tag or
// per prefixed name made nesting and many declarations quadratic.
class ScopedNames {
 public:
  std::size_t size() const { return names_.size(); }
  const std::string& back() const { return names_.back(); }
  bool contains(std::string_view name) const { return counts_.count(std::string(name)) > 0; }
  void push(std::string name) {
    ++counts_[name];
    names_.push_back(std::move(name));
  }
  void resize(std::size_t size) {
    while (names_.size() > size) {
      auto it = counts_.find(names_.back());
      if (--it->second == 0) counts_.erase(it);
      names_.pop_back();
    }
  }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::size_t> counts_;
};

// A start tag as read: its name, its repaired text up to the closing '>' and its attributes.
struct ScannedTag {
  std::string name;
  std::string text;                          // "<name a=\"v\"", without "/>" or ">"
  std::vector<std::string_view> attr_names;  // views of the input, in order
  std::unordered_set<std::string_view> attr_set;
  bool complete = false;  // its end was found before the end of the document
  bool self_closing = false;
};

class Scanner {
 public:
  explicit Scanner(std::string_view in) : in_(in) { out_.reserve(in.size() + in.size() / 16); }

  XmlScan Run() {
    Prolog();
    while (i_ < in_.size() && result_.refused.empty()) {
      const char c = in_[i_];
      if (c == '<') {
        Markup();
      } else if (c == '&') {
        Reference(/*in_attribute=*/false, out_);
      } else {
        Text();
      }
    }
    if (!stack_.empty()) {
      Error(in_.size(), {"the document ends inside <", stack_.back().name, "> (truncated)"});
      while (!stack_.empty()) {
        result_.unclosed.push_back(stack_.back().out_offset);
        Close();
      }
    }
    if (!root_seen_) Error(in_.size(), "no root element");
    result_.text = std::move(out_);
    return std::move(result_);
  }

 private:
  // ---- errors ----------------------------------------------------------------------------
  void Error(std::size_t at, std::string_view what) { Error(at, {what}); }
  // The message in pieces, joined only for the few errors kept: a message that quotes a name
  // from the input must not cost its length on each of a million repeats.
  void Error(std::size_t at, std::initializer_list<std::string_view> pieces) {
    ++result_.error_count;
    if (result_.errors.size() >= kMaxErrorsKept) return;
    std::string message = "line " + std::to_string(LineOf(at)) + ": ";
    for (std::string_view piece : pieces) message += piece;
    result_.errors.push_back(std::move(message));
  }

  std::size_t LineOf(std::size_t at) {
    // Errors are few and come in order: count newlines incrementally.
    at = std::min(at, in_.size());
    if (at < line_pos_) line_pos_ = 0, line_ = 1;
    line_ +=
        static_cast<std::size_t>(std::count(in_.begin() + static_cast<std::ptrdiff_t>(line_pos_),
                                            in_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    line_pos_ = at;
    return line_;
  }

  bool StartsWith(std::string_view s) const { return in_.substr(i_).starts_with(s); }

  // ---- prolog ----------------------------------------------------------------------------
  void Prolog() {
    if (StartsWith("<?xml") && i_ + 5 < in_.size() && IsSpace(in_[i_ + 5])) {
      const std::size_t end = in_.find("?>", i_);
      i_ = end == std::string_view::npos ? in_.size() : end + 2;
      if (end == std::string_view::npos) Error(0, "unterminated XML declaration");
    }
  }

  // ---- text ------------------------------------------------------------------------------
  void Text() {
    const std::size_t start = i_;
    while (i_ < in_.size() && in_[i_] != '<' && in_[i_] != '&') ++i_;
    const std::string_view text = in_.substr(start, i_ - start);
    if (stack_.empty()) {
      if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        Error(start, root_seen_ ? "text after the root element" : "text before the root element");
      }
      return;  // whitespace (or dropped text) outside the root
    }
    AppendChars(start, text, out_);
  }

  // Copies text, dropping characters XML does not allow (C0 controls, U+FFFE, U+FFFF).
  void AppendChars(std::size_t start, std::string_view text, std::string& out) {
    std::size_t done = 0;
    for (std::size_t k = 0; k < text.size(); ++k) {
      const unsigned char c = static_cast<unsigned char>(text[k]);
      bool bad = c < 0x20 && c != '\t' && c != '\n' && c != '\r';
      std::size_t len = 1;
      if (c == 0xEF && k + 2 < text.size() && static_cast<unsigned char>(text[k + 1]) == 0xBF &&
          (static_cast<unsigned char>(text[k + 2]) == 0xBE ||
           static_cast<unsigned char>(text[k + 2]) == 0xBF)) {
        bad = true;
        len = 3;
      }
      if (!bad) continue;
      out.append(text.substr(done, k - done));
      if (!bad_char_reported_) {
        Error(start + k, "character not allowed in XML (U+" + Hex(c == 0xEF ? 0xFFFE : c) + ")");
        bad_char_reported_ = true;
      } else {
        ++result_.error_count;
      }
      k += len - 1;
      done = k + 1;
    }
    out.append(text.substr(done));
  }

  static std::string Hex(unsigned v) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string s;
    for (int shift = 12; shift >= 0; shift -= 4) s += kHex[(v >> shift) & 0xF];
    return s;
  }

  // ---- references ------------------------------------------------------------------------
  // At in_[i_] == '&'. Appends the repaired reference to `out` and moves past it.
  void Reference(bool in_attribute, std::string& out) {
    const std::size_t start = i_;
    if (!in_attribute && stack_.empty()) {
      Error(start, "reference outside the root element");
      ++i_;
      return;
    }
    std::size_t j = i_ + 1;
    if (j < in_.size() && in_[j] == '#') {
      ++j;
      bool hex = false;
      if (j < in_.size() && (in_[j] == 'x' || in_[j] == 'X')) {
        hex = true;
        if (in_[j] == 'X') Error(start, "'&#X' instead of '&#x'");
        ++j;
      }
      std::uint32_t value = 0;
      const std::size_t digits_start = j;
      while (j < in_.size() &&
             (IsDigit(in_[j]) || (hex && std::isxdigit(static_cast<unsigned char>(in_[j]))))) {
        const char c = in_[j];
        const std::uint32_t d = IsDigit(c) ? static_cast<std::uint32_t>(c - '0')
                                           : static_cast<std::uint32_t>((c | 0x20) - 'a' + 10);
        if (value <= 0x10FFFF) value = value * (hex ? 16 : 10) + d;
        ++j;
      }
      if (j == digits_start) {
        Error(start, "'&' not followed by a reference");
        out += "&amp;";
        ++i_;
        return;
      }
      if (j >= in_.size() || in_[j] != ';') {
        Error(start, "character reference without ';'");
      } else {
        ++j;
      }
      i_ = j;
      char32_t cp = value;
      if (cp >= 0x80 && cp <= 0x9F) cp = kWindows1252C1[cp - 0x80];
      if (!IsXmlChar(cp)) {
        Error(start, "reference to a character not allowed in XML");
        cp = 0xFFFD;
      }
      AppendCharRef(out, cp);
      return;
    }
    std::size_t k = j;
    while (k < in_.size() && k - j < 64 && IsNameChar(in_[k])) ++k;
    if (k == j || !IsNameStart(in_[j]) || k >= in_.size() || in_[k] != ';') {
      Error(start, "'&' not followed by a reference (write &amp;)");
      out += "&amp;";
      ++i_;
      return;
    }
    const std::string_view name = in_.substr(j, k - j);
    i_ = k + 1;
    if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") {
      out += '&';
      out += name;
      out += ';';
      return;
    }
    if (const auto it = entities_.find(std::string(name)); it != entities_.end()) {
      std::string value;
      if (!ExpandEntity(name, 0, value)) {
        Error(start, {"entity &", name, "; expands too far"});
      }
      if (in_attribute) {
        std::replace_if(
            value.begin(), value.end(), [](char c) { return IsSpace(c); }, ' ');
      }
      AppendEscaped(out, value);
      return;
    }
    char32_t first = 0, second = 0;
    const bool html = LookupHtmlEntity(name, first, second);
    // With an external DTD (or parameter entities) the entity may be declared where a
    // non-validating parser does not look: not a well-formedness error then (XML 1.0 4.1,
    // WFC Entity Declared). The Netscape RSS 0.91 DTD declares the HTML Latin-1 set.
    if (!external_dtd_) Error(start, {"undefined entity &", name, ";"});
    if (html) {
      AppendCharRef(out, first);
      if (second != 0) AppendCharRef(out, second);
    } else {
      out += "&amp;";
      out += name;
      out += ';';
    }
  }

  // Replacement text of an internal entity, with character references and nested entities
  // expanded. False when the depth or total size limit stops it (billion laughs).
  bool ExpandEntity(std::string_view name, int depth, std::string& out) {
    const auto it = entities_.find(std::string(name));
    if (it == entities_.end()) return true;
    if (depth > kMaxEntityDepth) return false;
    const std::string& value = it->second;
    for (std::size_t p = 0; p < value.size();) {
      if (expanded_bytes_ > kMaxEntityExpansion) return false;
      if (value[p] != '&') {
        out += value[p++];
        ++expanded_bytes_;
        continue;
      }
      const std::size_t semi = value.find(';', p);
      if (semi == std::string::npos) {
        out += value[p++];
        continue;
      }
      const std::string_view ref = std::string_view(value).substr(p + 1, semi - p - 1);
      p = semi + 1;
      if (ref.starts_with('#')) {
        const bool hex = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X');
        std::uint32_t v = 0;
        for (char c : ref.substr(hex ? 2 : 1)) {
          if (v > 0x10FFFF) break;
          if (IsDigit(c)) {
            v = v * (hex ? 16 : 10) + static_cast<std::uint32_t>(c - '0');
          } else if (hex && std::isxdigit(static_cast<unsigned char>(c))) {
            v = v * 16 + static_cast<std::uint32_t>((c | 0x20) - 'a' + 10);
          }
        }
        AppendUtf8(out, IsXmlChar(v) ? v : 0xFFFD);
      } else if (ref == "amp") {
        out += '&';
      } else if (ref == "lt") {
        out += '<';
      } else if (ref == "gt") {
        out += '>';
      } else if (ref == "quot") {
        out += '"';
      } else if (ref == "apos") {
        out += '\'';
      } else if (!ExpandEntity(ref, depth + 1, out)) {
        return false;
      }
    }
    return true;
  }

  // ---- markup ----------------------------------------------------------------------------
  void Markup() {
    if (StartsWith("<!--")) return Comment();
    if (StartsWith("<![CDATA[")) return Cdata();
    if (StartsWith("<!DOCTYPE") || StartsWith("<!doctype")) return Doctype();
    if (StartsWith("<?")) return ProcessingInstruction();
    if (StartsWith("</")) return EndTag();
    if (i_ + 1 < in_.size() && IsNameStart(in_[i_ + 1])) return StartTag();
    if (StartsWith("<!")) {
      Error(i_, "unknown markup declaration");
      const std::size_t end = in_.find('>', i_);
      i_ = end == std::string_view::npos ? in_.size() : end + 1;
      return;
    }
    Error(i_, "'<' not starting a tag (write &lt;)");
    if (!stack_.empty()) out_ += "&lt;";
    ++i_;
  }

  void Comment() {
    const std::size_t start = i_;
    const std::size_t end = in_.find("-->", i_ + 4);
    if (end == std::string_view::npos) {
      Error(start, "unterminated comment");
      i_ = in_.size();
      return;
    }
    if (in_.substr(i_ + 4, end - i_ - 4).find("--") != std::string_view::npos ||
        in_[end - 1] == '-') {
      Error(start, "'--' inside a comment");
    }
    i_ = end + 3;
  }

  void Cdata() {
    const std::size_t start = i_;
    const std::size_t end = in_.find("]]>", i_ + 9);
    const std::size_t stop = end == std::string_view::npos ? in_.size() : end;
    if (end == std::string_view::npos) Error(start, "unterminated CDATA section");
    if (stack_.empty()) {
      Error(start, "CDATA section outside the root element");
    } else {
      out_ += "<![CDATA[";
      AppendChars(start + 9, in_.substr(start + 9, stop - start - 9), out_);
      out_ += "]]>";
    }
    i_ = end == std::string_view::npos ? in_.size() : end + 3;
  }

  void ProcessingInstruction() {
    const std::size_t start = i_;
    std::size_t j = i_ + 2;
    while (j < in_.size() && IsNameChar(in_[j])) ++j;
    if (AsciiLower(in_.substr(i_ + 2, j - i_ - 2)) == "xml") {
      Error(start, "XML declaration not at the start of the document");
    }
    const std::size_t end = in_.find("?>", i_ + 2);
    if (end == std::string_view::npos) Error(start, "unterminated processing instruction");
    i_ = end == std::string_view::npos ? in_.size() : end + 2;
  }

  // <!DOCTYPE name ExternalID? [internal subset]? >
  void Doctype() {
    const std::size_t start = i_;
    if (root_seen_ || doctype_seen_) Error(start, "DOCTYPE in the wrong place");
    doctype_seen_ = true;
    std::size_t j = i_ + 9;
    // Up to '[' or '>' outside quotes.
    while (j < in_.size() && in_[j] != '>' && in_[j] != '[') {
      if (in_[j] == '"' || in_[j] == '\'') {
        const std::size_t close = in_.find(in_[j], j + 1);
        j = close == std::string_view::npos ? in_.size() : close + 1;
      } else {
        ++j;
      }
    }
    const std::string head = AsciiLower(in_.substr(i_ + 9, std::min(j, in_.size()) - i_ - 9));
    if (head.find("system") != std::string::npos || head.find("public") != std::string::npos) {
      external_dtd_ = true;
    }
    if (j < in_.size() && in_[j] == '[') {
      j = InternalSubset(j + 1);
      while (j < in_.size() && in_[j] != '>') ++j;
    }
    if (j >= in_.size()) {
      Error(start, "unterminated DOCTYPE");
      i_ = in_.size();
      return;
    }
    i_ = j + 1;
  }

  // Reads the internal subset from `j`; records internal general entities. Returns the
  // position of the closing ']' (or the end).
  std::size_t InternalSubset(std::size_t j) {
    while (j < in_.size()) {
      const char c = in_[j];
      if (c == ']') return j + 1;
      if (c == '%') {  // parameter entity reference: declarations we cannot see
        external_dtd_ = true;
        ++j;
        continue;
      }
      if (in_.substr(j).starts_with("<!--")) {
        const std::size_t end = in_.find("-->", j + 4);
        j = end == std::string_view::npos ? in_.size() : end + 3;
        continue;
      }
      if (c == '<') {
        const std::size_t decl_end = DeclarationEnd(j);
        const std::string_view decl = in_.substr(j, decl_end - j);
        if (decl.starts_with("<!ENTITY")) EntityDeclaration(decl.substr(8));
        j = decl_end;
        continue;
      }
      ++j;
    }
    return j;
  }

  // End of a markup declaration starting at `j` ('>' outside quotes, exclusive end).
  std::size_t DeclarationEnd(std::size_t j) const {
    while (j < in_.size() && in_[j] != '>') {
      if (in_[j] == '"' || in_[j] == '\'') {
        const std::size_t close = in_.find(in_[j], j + 1);
        j = close == std::string_view::npos ? in_.size() : close + 1;
      } else {
        ++j;
      }
    }
    return std::min(j + 1, in_.size());
  }

  void EntityDeclaration(std::string_view decl) {
    std::size_t p = 0;
    while (p < decl.size() && IsSpace(decl[p])) ++p;
    if (p < decl.size() && decl[p] == '%') {
      external_dtd_ = true;  // a parameter entity: may declare anything
      return;
    }
    const std::size_t name_start = p;
    while (p < decl.size() && IsNameChar(decl[p])) ++p;
    const std::string name(decl.substr(name_start, p - name_start));
    while (p < decl.size() && IsSpace(decl[p])) ++p;
    if (name.empty() || p >= decl.size()) return;
    if (decl[p] == '"' || decl[p] == '\'') {
      const std::size_t close = decl.find(decl[p], p + 1);
      if (close == std::string_view::npos) return;
      std::string value(decl.substr(p + 1, close - p - 1));
      // Values with markup would need a real DTD processor: they expand to nothing.
      if (value.find('<') != std::string::npos) value.clear();
      entities_.emplace(name, std::move(value));  // the first declaration binds
    } else {
      entities_.emplace(name, std::string());  // external entity: not fetched, empty
    }
  }

  void EndTag() {
    const std::size_t start = i_;
    std::size_t j = i_ + 2;
    while (j < in_.size() && IsNameChar(in_[j])) ++j;
    const std::string name(in_.substr(i_ + 2, j - i_ - 2));
    while (j < in_.size() && IsSpace(in_[j])) ++j;
    if (j >= in_.size()) {
      i_ = in_.size();  // "</rss" at the end: reported as truncation below
      return;
    }
    if (in_[j] != '>') {
      Error(start, {"malformed end tag </", name, ">"});
      const std::size_t gt = in_.find('>', j);
      const std::size_t lt = in_.find('<', j);
      j = gt == std::string_view::npos || (lt != std::string_view::npos && lt < gt) ? j - 1 : gt;
    }
    i_ = j + 1;
    if (name.empty()) {
      Error(start, "end tag without a name");
      return;
    }
    if (!open_names_.contains(name)) {
      Error(start, {"end tag </", name, "> matches no open element"});
      return;
    }
    // Search the open elements from the innermost one: each one passed is closed, so all
    // searches together cost no more than the elements opened.
    std::size_t match = stack_.size();
    for (std::size_t k = stack_.size(); k-- > 0;) {
      if (stack_[k].name == name) {
        match = k;
        break;
      }
    }
    if (match == stack_.size()) {
      Error(start, {"end tag </", name, "> matches no open element"});
      return;
    }
    if (match + 1 != stack_.size()) {
      Error(start, {"end tag </", name, "> closes <", stack_.back().name, ">"});
    }
    while (stack_.size() > match) Close();
  }

  void Close() {
    out_ += "</";
    out_ += stack_.back().name;
    out_ += '>';
    prefixes_.resize(stack_.back().prefixes_size);
    open_names_.resize(stack_.size() - 1);
    stack_.pop_back();
    if (stack_.empty()) root_closed_ = true;
  }

  void StartTag() {
    const std::size_t start = i_;
    std::size_t j = i_ + 1;
    while (j < in_.size() && IsNameChar(in_[j])) ++j;
    ScannedTag tag;
    tag.name = std::string(in_.substr(i_ + 1, j - i_ - 1));
    if (root_closed_) {
      Error(start, "element after the root element");
    }
    tag.text = "<" + tag.name;
    const std::size_t prefixes_before = prefixes_.size();
    i_ = ReadAttributes(j, tag);
    if (!tag.complete) {
      // The document ends inside the tag: drop the partial tag (reported as truncation).
      prefixes_.resize(prefixes_before);
      if (stack_.empty()) Error(start, {"the document ends inside <", tag.name, ">"});
      return;
    }
    CheckPrefix(start, tag.name, /*element=*/true);
    for (std::string_view attr : tag.attr_names) CheckPrefix(start, attr, /*element=*/false);
    if (root_closed_) {  // dropped, with whatever it holds
      prefixes_.resize(prefixes_before);
      if (!tag.self_closing) SkipElement(tag.name);
      return;
    }
    Open(tag, prefixes_before);
  }

  // Reads a start tag's attributes from `j` to its end ('>' or "/>", or a stray '<');
  // returns the position after it.
  std::size_t ReadAttributes(std::size_t j, ScannedTag& tag) {
    while (j < in_.size()) {
      const std::size_t ws = j;
      while (j < in_.size() && IsSpace(in_[j])) ++j;
      if (j >= in_.size()) break;
      if (in_[j] == '>') {
        tag.complete = true;
        return j + 1;
      }
      if (in_[j] == '/' && j + 1 < in_.size() && in_[j + 1] == '>') {
        tag.self_closing = tag.complete = true;
        return j + 2;
      }
      if (in_[j] == '<') {  // "<a <b>": the tag never closed
        Error(j, {"'<' inside the tag <", tag.name, ">"});
        tag.complete = true;
        return j;
      }
      if (!IsNameStart(in_[j])) {
        Error(j, {"unexpected character in the tag <", tag.name, ">"});
        ++j;
        continue;
      }
      if (ws == j) Error(j, {"attributes of <", tag.name, "> not separated by space"});
      if (!ReadAttribute(j, tag)) break;
    }
    return j;
  }

  // Reads the attribute whose name starts at `j` and moves `j` past it; false when the
  // document ends inside it.
  bool ReadAttribute(std::size_t& j, ScannedTag& tag) {
    const std::size_t attr_start = j;
    while (j < in_.size() && IsNameChar(in_[j])) ++j;
    const std::string_view attr = in_.substr(attr_start, j - attr_start);
    while (j < in_.size() && IsSpace(in_[j])) ++j;
    std::string value;
    if (j < in_.size() && in_[j] == '=') {
      ++j;
      if (!ReadAttributeValue(j, tag.name, value)) return false;
    } else {
      Error(attr_start, {"attribute '", attr, "' without a value in <", tag.name, ">"});
      AppendEscaped(value, attr);
    }
    return AddAttribute(attr_start, attr, value, tag);
  }

  // Reads an attribute value after its '=' (at `j`, or after white space) and moves `j`
  // past it; false when the document ends inside it.
  bool ReadAttributeValue(std::size_t& j, const std::string& tag_name, std::string& value) {
    while (j < in_.size() && IsSpace(in_[j])) ++j;
    if (j >= in_.size()) return false;
    if (in_[j] == '"' || in_[j] == '\'') {
      const char quote = in_[j];
      const std::size_t close = in_.find(quote, j + 1);
      if (close == std::string_view::npos) {
        j = in_.size();
        return false;
      }
      value = AttributeValue(j + 1, close);
      j = close + 1;
      return true;
    }
    Error(j, {"attribute value without quotes in <", tag_name, ">"});
    const std::size_t value_start = j;
    while (j < in_.size() && !IsSpace(in_[j]) && in_[j] != '>' &&
           !(in_[j] == '/' && j + 1 < in_.size() && in_[j + 1] == '>')) {
      ++j;
    }
    value = AttributeValue(value_start, j);
    return true;
  }

  // Adds an attribute to the tag's text unless the tag has one of that name already. False
  // when the tag has too many: the document is refused.
  bool AddAttribute(std::size_t at, std::string_view attr, const std::string& value,
                    ScannedTag& tag) {
    if (!tag.attr_set.insert(attr).second) {
      Error(at, {"duplicate attribute '", attr, "' in <", tag.name, ">"});
      return true;
    }
    if (tag.attr_names.size() == kMaxAttributes) {
      result_.refused = "<" + Shortened(tag.name) + "> at line " + std::to_string(LineOf(at)) +
                        " has more than " + std::to_string(kMaxAttributes) + " attributes";
      return false;
    }
    tag.attr_names.push_back(attr);
    if (attr.starts_with("xmlns:")) prefixes_.push(std::string(attr.substr(6)));
    if ((attr == "xmlns" || attr.starts_with("xmlns:")) &&
        value.find_first_of(" \t\r\n") != std::string::npos) {
      Error(at, {"namespace name with white space is not a URI: ", attr});
    }
    tag.text += ' ';
    tag.text += attr;
    tag.text += "=\"";
    tag.text += value;
    tag.text += '"';
    return true;
  }

  // A name from the input for a log line: at most 64 bytes, cut at a character boundary.
  static std::string Shortened(std::string_view name) {
    constexpr std::size_t kShown = 64;
    if (name.size() <= kShown) return std::string(name);
    std::size_t cut = kShown;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    return std::string(name.substr(0, cut)) + "...";
  }

  // Writes a complete start tag inside the root; a self-closing one is closed at once.
  void Open(const ScannedTag& tag, std::size_t prefixes_before) {
    root_seen_ = true;
    const std::size_t offset = out_.size();
    out_ += tag.text;
    if (tag.self_closing) {
      out_ += "/>";
      prefixes_.resize(prefixes_before);
      if (stack_.empty()) root_closed_ = true;
      return;
    }
    out_ += '>';
    stack_.push_back({tag.name, offset, prefixes_before});
    open_names_.push(tag.name);
  }

  // After a dropped start tag outside the root: skip to its end tag, if any.
  void SkipElement(const std::string& name) {
    const std::size_t end = in_.find("</" + name, i_);
    if (end == std::string_view::npos) {
      i_ = in_.size();
      return;
    }
    const std::size_t gt = in_.find('>', end);
    i_ = gt == std::string_view::npos ? in_.size() : gt + 1;
  }

  // An attribute value from in_[from, to): references repaired, '<' escaped.
  std::string AttributeValue(std::size_t from, std::size_t to) {
    std::string value;
    const std::size_t saved = i_;
    i_ = from;
    while (i_ < to) {
      const char c = in_[i_];
      if (c == '&') {
        Reference(/*in_attribute=*/true, value);
        if (i_ > to) i_ = to;  // a reference never spans the closing quote
        continue;
      }
      if (c == '<') {
        Error(i_, "'<' in an attribute value");
        value += "&lt;";
      } else if (c == '"') {
        value += "&quot;";
      } else {
        const std::size_t run = i_;
        while (i_ < to && in_[i_] != '&' && in_[i_] != '<' && in_[i_] != '"') ++i_;
        AppendChars(run, in_.substr(run, i_ - run), value);
        continue;
      }
      ++i_;
    }
    i_ = saved;
    return value;
  }

  void CheckPrefix(std::size_t at, std::string_view qname, bool element) {
    const std::size_t colon = qname.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view prefix = qname.substr(0, colon);
    if (prefix == "xml" || (!element && prefix == "xmlns")) return;
    if (prefixes_.contains(prefix)) return;
    Error(at, {"undeclared namespace prefix '", prefix, "'"});
  }

  std::string_view in_;
  std::size_t i_ = 0;
  std::string out_;
  XmlScan result_;
  std::vector<OpenElement> stack_;
  ScopedNames open_names_;  // of stack_
  ScopedNames prefixes_;    // declared prefixes in scope, innermost last
  std::map<std::string, std::string> entities_;
  std::size_t expanded_bytes_ = 0;
  bool external_dtd_ = false;
  bool doctype_seen_ = false;
  bool root_seen_ = false;
  bool root_closed_ = false;
  bool bad_char_reported_ = false;
  std::size_t line_pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

XmlScan ScanXml(std::string_view utf8) { return Scanner(utf8).Run(); }

}  // namespace newsmon::feeds_internal
