// Body bytes to UTF-8 before XML parsing. Conversion goes through ICU (ucnv) and the
// guess for undeclared legacy bytes through uchardet, so the XML scanner and pugixml always
// see valid UTF-8.
//
// Which encoding, in the order of RFC 7303 section 8 (XML media types):
//   1. a byte order mark (UTF-8, UTF-16, UTF-32), or the zero-byte pattern of "<" in
//      UTF-16/32 without one (XML 1.0 appendix F);
//   2. the charset parameter of an XML Content-Type (text/xml, application/xml,
//      application/*+xml, ...), which overrides the XML declaration;
//   3. the XML declaration's encoding;
//   4. the charset parameter of a non-XML Content-Type (text/html, text/plain: servers
//      mislabel feeds, so the document's own declaration is trusted more);
//   5. UTF-8; bytes that are not UTF-8 are then detected with uchardet.
// text/xml without a charset follows the declaration, as for application/xml: RFC 3023's
// US-ASCII default for it was dropped by RFC 7303 and no feed reader applies it to real
// feeds (feedparser still does; see docs/conformance.md).
//
// Deviations from the labels, all what browsers and feed readers do: ISO-8859-1 and
// US-ASCII are read as windows-1252 (WHATWG Encoding Standard); a body labelled with a
// single-byte or legacy charset that is valid UTF-8 with non-ASCII characters is read as
// UTF-8 (the label is practically always the mistake); and, as feedparser's
// convert_to_utf8 tries its candidates in turn, a label is passed over when the bytes show
// it wrong. A UTF-8 label on bytes that are mostly not UTF-8 gives way to the next label,
// then to uchardet; ISO-8859-1 or US-ASCII on an XML Content-Type (the default servers
// attach to every response: Apache's AddDefaultCharset, nginx's charset) gives way to a
// declaration naming another charset the bytes are valid in. Each time a warning says so.
//
// Warnings starting "encoding error" mean the bytes are not what the document says (not
// well-formed per XML 1.0 section 4.3.3); others are notes.
#include <uchardet.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon::feeds_internal {
namespace {

// Charset names arrive quoted and padded: charset="utf-8 ".
std::string_view TrimCharset(std::string_view s) { return Trim(s, " \t\"'\r\n"); }

// encoding="..." of an XML declaration at the very start of `text` (ASCII-compatible).
std::string DeclaredEncoding(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
    ++i;
  }
  if (text.substr(i, 5) != "<?xml") return std::string();
  const std::string_view decl = text.substr(i, 512);
  const std::string_view head = decl.substr(0, decl.find("?>"));
  const std::size_t enc = head.find("encoding");
  if (enc == std::string_view::npos) return std::string();
  std::size_t j = enc + 8;
  while (j < head.size() && (head[j] == ' ' || head[j] == '=' || head[j] == '\t')) ++j;
  if (j >= head.size() || (head[j] != '"' && head[j] != '\'')) return std::string();
  const char quote = head[j];
  const std::size_t close = head.find(quote, j + 1);
  if (close == std::string_view::npos) return std::string();
  return AsciiLower(TrimCharset(head.substr(j + 1, close - j - 1)));
}

struct ContentType {
  std::string media_type;  // lower case, no parameters
  std::string charset;     // lower case, unquoted; empty if none
};

// Hand-parsed: one header value, "type/subtype; charset=x; other=y" with optional quotes
// and spaces around '=' (curl hands us the raw header; no MIME library in the deps).
ContentType ParseContentType(std::string_view value) {
  ContentType out;
  const std::string lower = AsciiLower(value);
  const std::string_view v = lower;
  out.media_type = std::string(TrimCharset(v.substr(0, v.find(';'))));
  std::size_t pos = v.find(';');
  while (pos != std::string_view::npos) {
    std::string_view param = v.substr(pos + 1);
    const std::size_t next = param.find(';');
    param = param.substr(0, next);
    const std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && TrimCharset(param.substr(0, eq)) == "charset") {
      out.charset = std::string(TrimCharset(param.substr(eq + 1)));
    }
    pos = next == std::string_view::npos ? next : pos + 1 + next;
  }
  return out;
}

bool IsXmlMediaType(std::string_view type) {
  return type.find("xml") != std::string_view::npos;  // text/xml, application/atom+xml, ...
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsUtf8Name(std::string_view name) { return name == "utf-8" || name == "utf8"; }

bool IsWideName(std::string_view name) {
  return name.starts_with("utf-16") || name.starts_with("utf16") || name.starts_with("utf_16") ||
         name.starts_with("utf-32") || name.starts_with("utf32") || name.starts_with("utf_32") ||
         name.starts_with("ucs-2") || name.starts_with("ucs2") || name.starts_with("ucs-4") ||
         name.starts_with("ucs4") || name == "u16" || name == "u32" || name == "unicode" ||
         name == "iso-10646-ucs-2" || name == "iso-10646-ucs-4";
}

// WHATWG Encoding Standard: these labels mean windows-1252 (their superset) in practice.
bool IsLatin1Name(std::string_view charset) {
  static constexpr std::string_view kLatin1[] = {
      "iso-8859-1", "iso8859-1",   "iso_8859-1",    "latin1",   "latin-1",
      "l1",         "cp819",       "ibm819",        "us-ascii", "ascii",
      "iso-ir-100", "csisolatin1", "ansi_x3.4-1968"};
  for (std::string_view name : kLatin1) {
    if (charset == name) return true;
  }
  return false;
}

std::string IcuName(const std::string& charset) {
  if (IsLatin1Name(charset)) return "windows-1252";
  if (charset == "x-mac-cyrillic" || charset == "mac-cyrillic") return "x-mac-cyrillic";
  return charset;
}

// A charset label and where it came from ("Content-Type", "the XML declaration").
struct Label {
  std::string charset;  // lower case; empty when there is none
  std::string source;
};

std::string InvalidSequences(std::size_t errors, std::string_view charset) {
  return "encoding error: " + std::to_string(errors) + " byte sequence(s) invalid in " +
         std::string(charset) + " replaced with U+FFFD";
}

// Counts what ICU substitutes, then substitutes as the default callback does.
struct ErrorCount {
  std::size_t count = 0;
};

void CountingToUCallback(const void* context, UConverterToUnicodeArgs* args, const char* code_units,
                         int32_t length, UConverterCallbackReason reason, UErrorCode* status) {
  if (reason == UCNV_ILLEGAL || reason == UCNV_IRREGULAR || reason == UCNV_UNASSIGNED) {
    ++static_cast<ErrorCount*>(const_cast<void*>(context))->count;
  }
  UCNV_TO_U_CALLBACK_SUBSTITUTE(nullptr, args, code_units, length, reason, status);
}

// Converts with ICU; false when ICU does not know `charset`. `errors` counts the byte
// sequences that were not valid in it (each replaced with U+FFFD).
bool ConvertToUtf8(std::string_view bytes, const char* charset, std::string& out,
                   std::size_t& errors) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, decltype(&ucnv_close)> cnv(ucnv_open(charset, &status), &ucnv_close);
  if (U_FAILURE(status) || !cnv) return false;
  ErrorCount count;
  ucnv_setToUCallBack(cnv.get(), CountingToUCallback, &count, nullptr, nullptr, &status);
  if (U_FAILURE(status)) return false;
  icu::UnicodeString text(bytes.data(), static_cast<std::int32_t>(bytes.size()), cnv.get(), status);
  if (U_FAILURE(status)) return false;
  out.clear();
  text.toUTF8String(out);
  if (!IsValidUtf8(out)) out = SanitizeUtf8(out);  // U+0000 from the source
  errors = count.count;
  return true;
}

// uchardet's guess for bytes that are not UTF-8, lower case; empty when it has none.
std::string DetectCharset(std::string_view bytes) {
  std::unique_ptr<uchardet, decltype(&uchardet_delete)> ud(uchardet_new(), &uchardet_delete);
  if (!ud) return std::string();
  if (uchardet_handle_data(ud.get(), bytes.data(), bytes.size()) != 0) return std::string();
  uchardet_data_end(ud.get());
  const char* name = uchardet_get_charset(ud.get());
  return name == nullptr ? std::string() : AsciiLower(name);
}

DecodedBody FromUtf8(std::string_view body, std::size_t shift, std::vector<std::string>& warnings) {
  DecodedBody out;
  out.offset_shift = shift;
  if (IsValidUtf8(body)) {
    out.utf8.assign(body);
  } else {
    out.utf8 = SanitizeUtf8(body);
    out.converted = true;
    warnings.push_back("encoding error: invalid UTF-8 bytes replaced with U+FFFD");
  }
  return out;
}

// Reads `body` as `charset` (a label from the document or the server). `source` names
// where the label came from, for the messages.
DecodedBody FromCharset(std::string_view body, const std::string& charset,
                        const std::string& source, std::vector<std::string>& warnings);

// uchardet's guess for bytes that are not UTF-8, read with ICU.
struct Guess {
  DecodedBody body;
  std::string charset;
  std::size_t errors = 0;  // byte sequences invalid in `charset`, replaced with U+FFFD
};

// Nullopt when uchardet has no guess, or one that names UTF-8 or ASCII (which the bytes are
// not), or one ICU does not know.
std::optional<Guess> Detect(std::string_view body) {
  Guess guess;
  guess.charset = DetectCharset(body);
  if (guess.charset.empty() || IsUtf8Name(guess.charset) || guess.charset == "ascii") {
    return std::nullopt;
  }
  guess.body.converted = true;
  if (!ConvertToUtf8(body, IcuName(guess.charset).c_str(), guess.body.utf8, guess.errors)) {
    return std::nullopt;
  }
  return guess;
}

// No usable label: UTF-8 if it is, else uchardet's guess (an error: XML without a
// declaration must be UTF-8 or UTF-16).
DecodedBody Undeclared(std::string_view body, std::vector<std::string>& warnings) {
  if (IsValidUtf8(body)) return FromUtf8(body, 0, warnings);
  std::optional<Guess> guess = Detect(body);
  if (!guess) return FromUtf8(body, 0, warnings);
  warnings.push_back("encoding error: no encoding declared and the bytes are not UTF-8; read as " +
                     guess->charset + " (detected)");
  if (guess->errors > 0) warnings.push_back(InvalidSequences(guess->errors, guess->charset));
  return std::move(guess->body);
}

bool IsKnownCharset(const std::string& charset) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* cnv = ucnv_open(IcuName(charset).c_str(), &status);
  if (cnv != nullptr) ucnv_close(cnv);
  return U_SUCCESS(status) && cnv != nullptr;
}

DecodedBody FromCharset(std::string_view body, const std::string& charset,
                        const std::string& source, std::vector<std::string>& warnings) {
  if (IsUtf8Name(charset)) return FromUtf8(body, 0, warnings);
  if (!IsWideName(charset) && !IsKnownCharset(charset)) {
    warnings.push_back("encoding error: unknown encoding '" + charset + "' in " + source);
    return Undeclared(body, warnings);
  }
  if (IsAscii(body)) return FromUtf8(body, 0, warnings);
  if (IsWideName(charset)) {
    // Wide bodies were caught by their byte pattern; these bytes are 8-bit.
    warnings.push_back("encoding error: '" + charset + "' in " + source +
                       " but the bytes are not UTF-16/32; read as UTF-8");
    return Undeclared(body, warnings);
  }
  if (IsValidUtf8(body)) {
    warnings.push_back("encoding '" + charset + "' in " + source +
                       " but the body is valid UTF-8; read as UTF-8");
    return FromUtf8(body, 0, warnings);
  }
  DecodedBody out;
  out.converted = true;
  std::size_t errors = 0;
  if (ConvertToUtf8(body, IcuName(charset).c_str(), out.utf8, errors)) {
    if (errors > 0) warnings.push_back(InvalidSequences(errors, charset));
    return out;
  }
  warnings.push_back("encoding error: unknown encoding '" + charset + "' in " + source);
  return Undeclared(body, warnings);
}

// Whether bytes labelled UTF-8 are really in another encoding: most of their non-ASCII
// sequences are not UTF-8, and there are enough of them to tell. A few stray bytes in UTF-8
// text are damage, better replaced with U+FFFD than taken as a reason to read every other
// character as something else.
bool MostlyNotUtf8(std::string_view body) {
  constexpr std::size_t kFewestToTell = 4;
  const auto* s = reinterpret_cast<const std::uint8_t*>(body.data());
  const std::int64_t length = static_cast<std::int64_t>(body.size());
  std::size_t valid = 0, invalid = 0;
  for (std::int64_t i = 0; i < length;) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(s, i, length, c);
    ++(c < 0 ? invalid : valid);
  }
  return invalid >= kFewestToTell && invalid > valid;
}

// `body` read as `charset` when that is an 8-bit or multi-byte charset ICU knows and every
// byte sequence is valid in it: the test a label the other one contradicts must pass.
std::optional<DecodedBody> DecodesCleanly(std::string_view body, const std::string& charset) {
  if (charset.empty() || IsUtf8Name(charset) || IsWideName(charset)) return std::nullopt;
  DecodedBody out;
  out.converted = true;
  std::size_t errors = 0;
  if (!ConvertToUtf8(body, IcuName(charset).c_str(), out.utf8, errors) || errors > 0) {
    return std::nullopt;
  }
  return out;
}

// `label` says UTF-8 but the bytes are mostly something else. `other` (the declaration
// after the Content-Type, or the reverse) is a note when it fits: the document is right,
// only the label that beat it is not. uchardet's guess is an error: nothing said what the
// bytes are. With neither, UTF-8 with U+FFFD, as without this step.
DecodedBody FromContradictedUtf8(std::string_view body, const Label& label, const Label& other,
                                 std::vector<std::string>& warnings) {
  const std::string said =
      "'" + label.charset + "' in " + label.source + " but the bytes are not UTF-8; read as ";
  if (std::optional<DecodedBody> out = DecodesCleanly(body, other.charset)) {
    warnings.push_back("encoding " + said + other.charset + " (" + other.source + ")");
    return std::move(*out);
  }
  std::optional<Guess> guess = Detect(body);
  if (!guess) return FromUtf8(body, 0, warnings);
  warnings.push_back("encoding error: " + said + guess->charset + " (detected)");
  if (guess->errors > 0) warnings.push_back(InvalidSequences(guess->errors, guess->charset));
  return std::move(guess->body);
}

// `body` by its first label; `other` is the next one, possibly empty.
DecodedBody FromLabels(std::string_view body, const Label& label, const Label& other,
                       std::vector<std::string>& warnings) {
  if (IsUtf8Name(label.charset) && !IsValidUtf8(body) && MostlyNotUtf8(body)) {
    return FromContradictedUtf8(body, label, other, warnings);
  }
  return FromCharset(body, label.charset, label.source, warnings);
}

// An XML Content-Type's charset beats the declaration (RFC 7303), except a server default
// (ISO-8859-1, US-ASCII) against a declaration that names another charset the bytes are
// valid in: that declaration was written for these bytes, the default for none in
// particular. Only bytes that are neither ASCII nor UTF-8 read differently by the two.
DecodedBody FromXmlContentType(std::string_view body, const Label& header, const Label& declaration,
                               std::vector<std::string>& warnings) {
  if (!IsLatin1Name(header.charset) || declaration.charset.empty() ||
      IcuName(declaration.charset) == IcuName(header.charset) || IsValidUtf8(body)) {
    return FromLabels(body, header, declaration, warnings);
  }
  const std::string disagree = "encoding '" + header.charset + "' in Content-Type but '" +
                               declaration.charset + "' in the XML declaration";
  if (std::optional<DecodedBody> out = DecodesCleanly(body, declaration.charset)) {
    warnings.push_back(disagree + "; read as " + declaration.charset);
    return std::move(*out);
  }
  warnings.push_back(disagree + ", which does not decode these bytes; read as " + header.charset);
  return FromCharset(body, header.charset, header.source, warnings);
}

}  // namespace

DecodedBody DecodeBody(std::string_view body, std::string_view content_type,
                       std::vector<std::string>& warnings) {
  const auto b = [&](std::size_t i) -> unsigned {
    return i < body.size() ? static_cast<unsigned char>(body[i]) : 0x100;
  };

  // 1. Byte order mark, or the zero-byte pattern of "<" in a wide encoding.
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
    std::size_t errors = 0;
    if (ConvertToUtf8(body.substr(bom), wide, out.utf8, errors)) {
      if (errors > 0) warnings.push_back(InvalidSequences(errors, wide));
      return out;
    }
  }
  if (bom == 3) {  // a BOM beats any label
    DecodedBody out = FromUtf8(body.substr(3), 3, warnings);
    return out;
  }

  // 2.-5. Labels.
  const ContentType type = ParseContentType(content_type);
  const Label header{type.charset, "Content-Type"};
  const Label declaration{DeclaredEncoding(body), "the XML declaration"};
  if (!header.charset.empty() && IsXmlMediaType(type.media_type)) {
    return FromXmlContentType(body, header, declaration, warnings);
  }
  if (!declaration.charset.empty()) return FromLabels(body, declaration, header, warnings);
  if (!header.charset.empty()) return FromLabels(body, header, Label(), warnings);
  return Undeclared(body, warnings);
}

}  // namespace newsmon::feeds_internal
