// Normalisation and word segmentation with ICU: the one place where text becomes tokens, for
// thread terms and item text alike.
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <memory>

#include "classifiers/text_internal.h"

namespace newsmon::text {
namespace {

constexpr UChar32 kApostrophe = 0x27;

bool IsApostrophe(UChar32 c) {
  switch (c) {
    case 0x27:    // APOSTROPHE
    case 0x60:    // GRAVE ACCENT, used as an apostrophe by some keyboards
    case 0x2B9:   // MODIFIER LETTER PRIME
    case 0x2BC:   // MODIFIER LETTER APOSTROPHE (the "correct" Ukrainian apostrophe)
    case 0x2018:  // LEFT SINGLE QUOTATION MARK
    case 0x2019:  // RIGHT SINGLE QUOTATION MARK (the usual typographic apostrophe)
      return true;
    default:
      return false;
  }
}

// NFKC maps U+2011 (non-breaking hyphen) to U+2010; soft hyphens are already gone.
bool IsHyphen(UChar32 c) { return c == 0x2D || c == 0x2010; }

bool IsWordChar(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0;
}

bool IsMark(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0; }

bool StripsAccents(UChar32 base) {
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(base, &status);
  return U_SUCCESS(status) &&
         (script == USCRIPT_LATIN || script == USCRIPT_CYRILLIC || script == USCRIPT_GREEK);
}

// Marks that make a letter of their own and must survive accent stripping.
bool KeepsMark(UChar32 base, UChar32 mark) {
  if (mark == 0x306) return base == 0x438 || base == 0x443;  // й, ў
  if (mark == 0x308) return base == 0x456;                   // ї (ё loses its dots)
  return false;
}

bool IsAscii(const icu::UnicodeString& text) {
  const char16_t* units = text.getBuffer();
  return std::all_of(units, units + text.length(), [](char16_t unit) { return unit < 0x80; });
}

icu::UnicodeString NormalizeUnicode(std::string_view utf8) {
  UErrorCode status = U_ZERO_ERROR;
  static const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  static const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  static const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  if (!nfkc_cf || !nfd || !nfc) return source.foldCase();  // no ICU data: fold at least

  status = U_ZERO_ERROR;
  icu::UnicodeString folded = nfkc_cf->normalize(source, status);
  if (U_FAILURE(status)) return source.foldCase();
  if (IsAscii(folded)) return folded.findAndReplace(u"`", u"'");  // nothing to strip

  icu::UnicodeString decomposed = nfd->normalize(folded, status);
  if (U_FAILURE(status)) return folded;
  std::u16string stripped;
  stripped.reserve(decomposed.length());
  UChar32 base = 0;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (IsMark(c)) {
      if (StripsAccents(base) && !KeepsMark(base, c)) continue;
    } else {
      base = c;
      if (IsApostrophe(c)) c = kApostrophe;
    }
    if (U_IS_BMP(c)) {
      stripped.push_back(static_cast<char16_t>(c));
    } else {
      stripped.push_back(U16_LEAD(c));
      stripped.push_back(U16_TRAIL(c));
    }
  }
  icu::UnicodeString result(stripped.data(), static_cast<int32_t>(stripped.size()));
  icu::UnicodeString composed = nfc->normalize(result, status);
  return U_SUCCESS(status) ? composed : result;
}

icu::BreakIterator* WordBreaker() {
  thread_local std::unique_ptr<icu::BreakIterator> breaker = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> created(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) created.reset();
    return created;
  }();
  return breaker.get();
}

struct Word {
  std::string text;   // UTF-8
  int32_t begin = 0;  // UTF-16 offsets of the first and one past the last word character
  int32_t end = 0;
  bool hyphen_after = false;
};

void AppendUtf8(std::string& out, UChar32 c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
    return;
  }
  char buffer[U8_MAX_LENGTH];
  int32_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, c);
  out.append(buffer, length);
}

// Splits one segment [begin, end) of the normalised text into words: runs of letters, marks
// and digits; apostrophes inside a run are dropped (перемир'я → перемиря) and an English
// possessive 's after a Latin letter is dropped (Kyiv's → kyiv).
void SplitSegment(const icu::UnicodeString& text, int32_t begin, int32_t end,
                  std::vector<Word>& words) {
  Word current;
  bool open = false;
  UChar32 last = 0;
  auto flush = [&] {
    if (!open) return;
    if (!words.empty() && words.back().end + 1 == current.begin &&
        IsHyphen(text.charAt(words.back().end))) {
      words.back().hyphen_after = true;
    }
    words.push_back(std::move(current));
    current = Word();
    open = false;
  };
  for (int32_t i = begin; i < end;) {
    UChar32 c = text.char32At(i);
    int32_t next = i + U16_LENGTH(c);
    if (c == kApostrophe) {
      if (open && next < end && text.charAt(next) == u's') {
        bool word_ends = next + 1 >= end || !IsWordChar(text.char32At(next + 1));
        UErrorCode status = U_ZERO_ERROR;
        if (word_ends && uscript_getScript(last, &status) == USCRIPT_LATIN) {
          current.end = next + 1;
          i = next + 1;
          continue;
        }
      }
      i = next;
      continue;
    }
    const bool word_char =
        c < 0x80 ? (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
                 : IsWordChar(c);
    if (word_char) {
      if (!open) {
        open = true;
        current.begin = i;
      }
      AppendUtf8(current.text, c);
      current.end = next;
      last = c;
    } else {
      flush();
    }
    i = next;
  }
  flush();
}

std::string ToUtf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

}  // namespace

std::string Normalize(std::string_view utf8) { return ToUtf8(NormalizeUnicode(utf8)); }

std::vector<std::string> TokenizedText::Words() const {
  std::vector<std::string> words;
  for (const Token& token : tokens) {
    if (token.end == token.begin + 1) words.push_back(token.text);
  }
  return words;
}

TokenizedText Tokenize(std::string_view utf8) {
  icu::UnicodeString text = NormalizeUnicode(utf8);
  std::vector<Word> words;
  if (icu::BreakIterator* breaker = WordBreaker()) {
    breaker->setText(text);
    int32_t begin = breaker->first();
    for (int32_t end = breaker->next(); end != icu::BreakIterator::DONE;
         begin = end, end = breaker->next()) {
      SplitSegment(text, begin, end, words);
    }
    breaker->setText(icu::UnicodeString());  // drop the reference to `text`
  } else {
    SplitSegment(text, 0, text.length(), words);
  }

  TokenizedText result;
  result.words = static_cast<int>(words.size());
  result.tokens.reserve(words.size() + words.size() / 4);
  result.first_at.reserve(words.size() + 1);
  for (size_t i = 0; i < words.size(); ++i) {
    result.first_at.push_back(static_cast<int>(result.tokens.size()));
    const int position = static_cast<int>(i);
    result.tokens.push_back({words[i].text, position, position + 1, words[i].hyphen_after});
    std::string compound;
    for (size_t j = i; j < words.size() && words[j].hyphen_after && j + 1 - i < kMaxCompoundWords;
         ++j) {
      if (compound.empty()) compound = words[i].text;
      compound += words[j + 1].text;
      result.tokens.push_back(
          {compound, position, static_cast<int>(j + 2), words[j + 1].hyphen_after});
    }
  }
  result.first_at.push_back(static_cast<int>(result.tokens.size()));
  return result;
}

int CodePoints(std::string_view utf8) {
  int count = 0;
  for (unsigned char c : utf8) count += (c & 0xC0) != 0x80;
  return count;
}

CompiledTerm CompileTerm(std::string_view term) {
  CompiledTerm compiled;
  const std::string quoted = "term '" + std::string(term) + "'";
  std::vector<TermWord> split;
  std::vector<TermWord> joined;
  bool hyphenated = false;
  // Words of the term are separated by white space; each may end with '*'.
  size_t at = 0;
  while (at < term.size()) {
    size_t begin = term.find_first_not_of(" \t\r\n", at);
    if (begin == std::string_view::npos) break;
    size_t end = std::min(term.find_first_of(" \t\r\n", begin), term.size());
    at = end;
    std::string_view chunk = term.substr(begin, end - begin);
    const size_t star = chunk.find('*');
    const bool prefix = star != std::string_view::npos;
    if (prefix && star + 1 != chunk.size()) {
      compiled.error = quoted + ": '*' is only allowed at the end of a word";
      return compiled;
    }
    if (prefix) chunk.remove_suffix(1);
    TokenizedText tokens = Tokenize(chunk);
    if (prefix) {
      icu::UnicodeString rest = NormalizeUnicode(chunk);
      if (tokens.words == 0 || !IsWordChar(rest.char32At(rest.length() - 1))) {
        compiled.error = quoted + ": '*' must directly follow a letter or digit";
        return compiled;
      }
    }
    bool joining = false;
    for (const Token& token : tokens.tokens) {
      if (token.end != token.begin + 1) continue;
      split.push_back({token.text, false});
      if (joining) {
        joined.back().text += token.text;
      } else {
        joined.push_back({token.text, false});
      }
      joining = token.hyphen_after;
      hyphenated = hyphenated || token.hyphen_after;
    }
    if (prefix) {
      split.back().prefix = joined.back().prefix = true;
      if (CodePoints(split.back().text) < kMinPrefixLetters) {
        compiled.error = quoted + ": a prefix needs at least " + std::to_string(kMinPrefixLetters) +
                         " letters before '*'";
        return compiled;
      }
    }
  }
  if (split.empty()) {
    compiled.error = quoted + " has no letters or digits";
    return compiled;
  }
  compiled.variants.push_back(std::move(split));
  if (hyphenated) compiled.variants.push_back(std::move(joined));
  return compiled;
}

}  // namespace newsmon::text
