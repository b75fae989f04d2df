// Body bytes to UTF-8 before XML parsing. All conversion goes through ICU (ucnv), so the
// XML parser always sees UTF-8 and its error offsets refer to a buffer we hold (the
// recovery of truncated feeds needs that).
#include <unicode/ucnv.h>
#include <unicode/unistr.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser_internal.h"

namespace newsmon::feeds_internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"' ||
                        s.front() == '\'' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' ||
                        s.back() == '\'' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// encoding="..." of an XML declaration at the start of the body (after whitespace).
std::string DeclaredEncoding(std::string_view body) {
  std::size_t i = 0;
  while (i < body.size() &&
         (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
    ++i;
  }
  if (body.substr(i, 5) != "<?xml") return std::string();
  const std::string_view decl = body.substr(i, 512);
  const std::size_t end = decl.find("?>");
  const std::string_view head = decl.substr(0, end);
  const std::size_t enc = head.find("encoding");
  if (enc == std::string_view::npos) return std::string();
  std::size_t j = enc + 8;
  while (j < head.size() && (head[j] == ' ' || head[j] == '=')) ++j;
  if (j >= head.size() || (head[j] != '"' && head[j] != '\'')) return std::string();
  const char quote = head[j];
  const std::size_t close = head.find(quote, j + 1);
  if (close == std::string_view::npos) return std::string();
  return Lower(Trim(head.substr(j + 1, close - j - 1)));
}

// charset parameter of a Content-Type header value.
std::string ContentTypeCharset(std::string_view content_type) {
  const std::string lower = Lower(content_type);
  const std::size_t pos = lower.find("charset=");
  if (pos == std::string::npos) return std::string();
  std::string_view value = std::string_view(lower).substr(pos + 8);
  value = value.substr(0, value.find(';'));
  return std::string(Trim(value));
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsUtf8Name(std::string_view name) { return name == "utf-8" || name == "utf8"; }

bool IsWideName(std::string_view name) {
  return name.starts_with("utf-16") || name.starts_with("utf16") || name.starts_with("utf-32") ||
         name.starts_with("utf32") || name.starts_with("ucs-2") || name.starts_with("ucs2") ||
         name.starts_with("ucs-4") || name == "u16" || name == "unicode";
}

// Converts with ICU; false when ICU does not know `charset`.
bool ConvertToUtf8(std::string_view bytes, const char* charset, std::string& out) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, decltype(&ucnv_close)> cnv(ucnv_open(charset, &status), &ucnv_close);
  if (U_FAILURE(status) || !cnv) return false;
  // The default callbacks substitute U+FFFD (or the charset's SUB) for invalid bytes.
  icu::UnicodeString text(bytes.data(), static_cast<std::int32_t>(bytes.size()), cnv.get(), status);
  if (U_FAILURE(status)) return false;
  out.clear();
  text.toUTF8String(out);
  if (!IsValidUtf8(out)) out = SanitizeUtf8(out);  // U+0000 from the source
  return true;
}

// The fallback for every 8-bit path: valid UTF-8, with bad bytes replaced.
DecodedBody AsUtf8(std::string_view body, std::size_t shift, std::vector<std::string>& warnings) {
  DecodedBody out;
  out.offset_shift = shift;
  if (IsValidUtf8(body)) {
    out.utf8.assign(body);
  } else {
    out.utf8 = SanitizeUtf8(body);
    out.converted = true;
    warnings.push_back("invalid UTF-8 bytes replaced with U+FFFD");
  }
  return out;
}

}  // namespace

DecodedBody DecodeBody(std::string_view body, std::string_view content_type,
                       std::vector<std::string>& warnings) {
  const auto b = [&](std::size_t i) -> unsigned {
    return i < body.size() ? static_cast<unsigned char>(body[i]) : 0x100;
  };

  // 1. Byte order mark, or the zero-byte pattern of "<?" in a wide encoding.
  const char* wide = nullptr;
  std::size_t bom = 0;
  if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) {
    bom = 3;  // UTF-8
  } else if (b(0) == 0x00 && b(1) == 0x00 && b(2) == 0xFE && b(3) == 0xFF) {
    wide = "UTF-32BE", bom = 4;
  } else if (b(0) == 0xFF && b(1) == 0xFE && b(2) == 0x00 && b(3) == 0x00) {
    wide = "UTF-32LE", bom = 4;
  } else if (b(0) == 0xFE && b(1) == 0xFF) {
    wide = "UTF-16BE", bom = 2;
  } else if (b(0) == 0xFF && b(1) == 0xFE) {
    wide = "UTF-16LE", bom = 2;
  } else if (b(0) == 0x00 && b(1) == 0x00 && b(2) == 0x00 && b(3) != 0x00 && b(3) < 0x80) {
    wide = "UTF-32BE";
  } else if (b(0) != 0x00 && b(0) < 0x80 && b(1) == 0x00 && b(2) == 0x00 && b(3) == 0x00) {
    wide = "UTF-32LE";
  } else if (b(0) == 0x00 && b(1) != 0x00 && b(1) < 0x80 && b(2) == 0x00) {
    wide = "UTF-16BE";
  } else if (b(0) != 0x00 && b(0) < 0x80 && b(1) == 0x00 && b(2) != 0x00 && b(3) == 0x00) {
    wide = "UTF-16LE";
  }
  if (wide != nullptr) {
    DecodedBody out;
    out.converted = true;
    if (ConvertToUtf8(body.substr(bom), wide, out.utf8)) return out;
  }
  if (bom == 3) return AsUtf8(body.substr(3), 3, warnings);  // a BOM beats any label

  // 2. The XML declaration, else the HTTP charset.
  std::string charset = DeclaredEncoding(body);
  const char* source = "the XML declaration";
  if (charset.empty()) {
    charset = ContentTypeCharset(content_type);
    source = "Content-Type";
  }
  if (charset.empty() || IsUtf8Name(charset) || IsAscii(body)) {
    return AsUtf8(body, 0, warnings);
  }
  if (IsWideName(charset)) {
    warnings.push_back(std::string("encoding '") + charset + "' in " + source +
                       " but the bytes are 8-bit; read as UTF-8");
    return AsUtf8(body, 0, warnings);
  }
  // Mislabelled feeds are common: a body that is valid UTF-8 with non-ASCII characters is
  // practically never legacy-encoded text, so the bytes win over the label.
  if (IsValidUtf8(body)) {
    warnings.push_back(std::string("encoding '") + charset + "' in " + source +
                       " but the body is valid UTF-8; read as UTF-8");
    return AsUtf8(body, 0, warnings);
  }
  // WHATWG Encoding Standard: these labels mean windows-1252 (its superset) in practice.
  std::string icu_name = charset;
  if (charset == "iso-8859-1" || charset == "iso8859-1" || charset == "latin1" ||
      charset == "latin-1" || charset == "l1" || charset == "us-ascii" || charset == "ascii" ||
      charset == "iso_8859-1" || charset == "cp819" || charset == "ibm819") {
    icu_name = "windows-1252";
  }
  DecodedBody out;
  out.converted = true;
  if (ConvertToUtf8(body, icu_name.c_str(), out.utf8)) return out;
  warnings.push_back(std::string("unknown encoding '") + charset + "' in " + source +
                     "; read as UTF-8");
  return AsUtf8(body, 0, warnings);
}

}  // namespace newsmon::feeds_internal
