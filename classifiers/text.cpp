// Normalisation and word segmentation with ICU, stemming with Snowball (libstemmer): the one
// place where text becomes tokens, for thread terms and item text alike.
#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

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
    case 0x2032:  // PRIME, typed for one too
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

enum class Script : std::uint8_t { kOther, kLatin, kCyrillic };

// Range checks rather than uscript_getScript: this runs for every letter of every item.
Script ScriptOf(UChar32 c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return Script::kLatin;
  if (c < 0xC0) return Script::kOther;
  if (c <= 0x24F || (c >= 0x1E00 && c <= 0x1EFF)) {
    return c == 0xD7 || c == 0xF7 ? Script::kOther : Script::kLatin;
  }
  if (c >= 0x400 && c <= 0x52F) return Script::kCyrillic;
  return Script::kOther;
}

bool IsUkrainianOnly(UChar32 c) { return c == 0x456 || c == 0x457 || c == 0x454 || c == 0x491; }
bool IsRussianOnly(UChar32 c) { return c == 0x44B || c == 0x44D || c == 0x44A; }

void CountLetter(UChar32 c, LetterCounts& counts) {
  switch (ScriptOf(c)) {
    case Script::kLatin:
      ++counts.latin;
      break;
    case Script::kCyrillic:
      ++counts.cyrillic;
      counts.ukrainian_only += IsUkrainianOnly(c);
      counts.russian_only += IsRussianOnly(c);
      break;
    case Script::kOther:
      break;
  }
}

// The script of a normalised word: that of its first letter.
Script WordScript(std::string_view word) {
  for (int32_t i = 0; i < static_cast<int32_t>(word.size());) {
    UChar32 c;
    U8_NEXT(word.data(), i, static_cast<int32_t>(word.size()), c);
    if (c < 0) continue;
    Script script = ScriptOf(c);
    if (script != Script::kOther) return script;
    if (u_isalpha(c)) return Script::kOther;
  }
  return Script::kOther;
}

bool HasRussianOnlyLetter(std::string_view word) {
  for (int32_t i = 0; i < static_cast<int32_t>(word.size());) {
    UChar32 c;
    U8_NEXT(word.data(), i, static_cast<int32_t>(word.size()), c);
    if (IsRussianOnly(c)) return true;
  }
  return false;
}

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
  // The acute accent typed as an apostrophe ("об´єкт", "перемир´я"): NFKC would make it a
  // space and a combining accent, cutting the word in two and the accent a word of its own.
  // Before NFKC, so the table's entry for it (made by this function) is the same.
  source.findAndReplace(u"\u00B4", u"'");
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

// Normalised text as UTF-16, read as icu::UnicodeString reads it (charAt and char32At give
// U+FFFF past the end), so both paths below split words with the same code.
struct Utf16 {
  const char16_t* units = nullptr;
  int32_t length = 0;

  char16_t UnitAt(int32_t i) const { return i >= 0 && i < length ? units[i] : 0xFFFF; }
  UChar32 CodePointAt(int32_t i) const {
    if (i < 0 || i >= length) return 0xFFFF;
    UChar32 c;
    U16_GET(units, 0, i, length, c);
    return c;
  }
};

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
void SplitSegment(const Utf16& text, int32_t begin, int32_t end, std::vector<Word>& words,
                  LetterCounts& letters) {
  Word current;
  bool open = false;
  UChar32 last = 0;
  auto flush = [&] {
    if (!open) return;
    if (!words.empty() && words.back().end + 1 == current.begin &&
        IsHyphen(text.UnitAt(words.back().end))) {
      words.back().hyphen_after = true;
    }
    words.push_back(std::move(current));
    current = Word();
    open = false;
  };
  for (int32_t i = begin; i < end;) {
    UChar32 c = text.CodePointAt(i);
    int32_t next = i + U16_LENGTH(c);
    if (c == kApostrophe) {
      if (open && next < end && text.UnitAt(next) == u's') {
        bool word_ends = next + 1 >= end || !IsWordChar(text.CodePointAt(next + 1));
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
      CountLetter(c, letters);
      current.end = next;
      last = c;
    } else {
      flush();
    }
    i = next;
  }
  flush();
}

// The fast path: text made only of code points whose normalisation depends on nothing around
// them is normalised one code point at a time from a table, and split into words without ICU's
// break iterator. callgrind on the labelled set (docs/performance.md, "Classification"): the
// three ICU normalisers with their conversions and the break iterator were about half of the
// instructions of analysing an item, and almost every news item in Latin or Cyrillic script
// qualifies. Anything else (marks, CJK, emoji, invalid UTF-8) takes the ICU path, and
// tests/text_paths_test.cpp checks that both paths give the same tokens.

// What a normalised code point is to the word-break rules that matter here (UAX #29).
enum class BreakClass : std::uint8_t { kOther, kLetter, kNumeric };

BreakClass BreakClassOf(UChar32 c) {
  switch (u_getIntPropertyValue(c, UCHAR_WORD_BREAK)) {
    case U_WB_ALETTER:
      return BreakClass::kLetter;
    case U_WB_NUMERIC:
      return BreakClass::kNumeric;
    default:
      return BreakClass::kOther;
  }
}

// Word-break classes the table admits in normalised text. With no Extend, Format, ZWJ,
// Katakana, Hebrew letters, regional indicators or dictionary scripts, and every letter or
// digit an ALetter or Numeric, UAX #29 (and ICU's root rules) never break between two letters
// or digits (WB5, WB8-WB10), and the only boundaries that change words are those around an
// apostrophe (WB6/WB7, WB11/WB12): see SplitByTable.
bool AdmittedInTable(UChar32 c) {
  const int32_t wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
  if (IsWordChar(c)) return wb == U_WB_ALETTER || wb == U_WB_NUMERIC;
  switch (wb) {
    case U_WB_OTHER:
    case U_WB_CR:
    case U_WB_LF:
    case U_WB_NEWLINE:
    case U_WB_MIDLETTER:
    case U_WB_MIDNUM:
    case U_WB_MIDNUMLET:
    case U_WB_DOUBLE_QUOTE:
    case U_WB_EXTENDNUMLET:
    case U_WB_WSEGSPACE:
      return true;
    case U_WB_SINGLE_QUOTE:
      return c == kApostrophe;
    default:
      return false;
  }
}

struct TableEntry {
  std::uint8_t length = 0;  // UTF-16 units of the normalised form; kNotInTable: use ICU
  std::array<char16_t, 3> units{};
};

constexpr std::uint8_t kNotInTable = 0xFF;

// Whether NormalizeUnicode of a string made of `c` and other such code points is the
// concatenation of each one's own: each step (NFKC_Casefold, NFD, accent stripping, NFC) can
// be cut before the code point's part. Marks are never admitted: accent stripping looks back
// at the base letter.
bool NormalizesAlone(UChar32 c, const icu::Normalizer2& nfkc_cf, const icu::Normalizer2& nfd,
                     const icu::Normalizer2& nfc) {
  if (!u_isdefined(c) || U_IS_SURROGATE(c) || IsMark(c)) return false;
  if (!nfkc_cf.hasBoundaryBefore(c)) return false;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString folded = nfkc_cf.normalize(icu::UnicodeString(c), status);
  if (U_FAILURE(status)) return false;
  if (folded.isEmpty()) return true;  // ignorable: leaves nothing to interact with
  if (!nfd.hasBoundaryBefore(folded.char32At(0))) return false;
  const icu::UnicodeString decomposed = nfd.normalize(folded, status);
  if (U_FAILURE(status) || decomposed.isEmpty()) return false;
  UChar32 first = decomposed.char32At(0);
  if (IsMark(first)) return false;
  if (IsApostrophe(first)) first = kApostrophe;
  return nfc.hasBoundaryBefore(first);
}

TableEntry MakeEntry(UChar32 c, const icu::Normalizer2& nfkc_cf, const icu::Normalizer2& nfd,
                     const icu::Normalizer2& nfc) {
  TableEntry entry;
  entry.length = kNotInTable;
  if (!NormalizesAlone(c, nfkc_cf, nfd, nfc)) return entry;
  char utf8[U8_MAX_LENGTH];
  int32_t size = 0;
  U8_APPEND_UNSAFE(utf8, size, c);
  // The entry is what the ICU path itself makes of the code point alone.
  const icu::UnicodeString normalized = NormalizeUnicode(std::string_view(utf8, size));
  if (normalized.length() > static_cast<int32_t>(entry.units.size())) return entry;
  for (int32_t i = 0; i < normalized.length(); ++i) {
    const char16_t unit = normalized.charAt(i);
    if (U16_IS_SURROGATE(unit) || !AdmittedInTable(unit)) return entry;
    entry.units[static_cast<size_t>(i)] = unit;
  }
  entry.length = static_cast<std::uint8_t>(normalized.length());
  return entry;
}

// Latin, Greek, Cyrillic (with Armenian and Hebrew, which the checks mostly turn away) and
// general punctuation: what news in the languages the classifier knows is written in.
constexpr UChar32 kTableLowEnd = 0x600;
constexpr UChar32 kTablePunctuationBegin = 0x2000;
constexpr UChar32 kTablePunctuationEnd = 0x20D0;

class NormalizationTable {
 public:
  NormalizationTable() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status) || !nfkc_cf || !nfd || !nfc) return;  // all on the ICU path
    for (UChar32 c = 0; c < kTableLowEnd; ++c) low_[c] = MakeEntry(c, *nfkc_cf, *nfd, *nfc);
    for (UChar32 c = kTablePunctuationBegin; c < kTablePunctuationEnd; ++c) {
      punctuation_[c - kTablePunctuationBegin] = MakeEntry(c, *nfkc_cf, *nfd, *nfc);
    }
  }

  // Null for a code point the table does not hold.
  const TableEntry* Find(UChar32 c) const {
    const TableEntry* entry = nullptr;
    if (c < kTableLowEnd) {
      entry = &low_[c];
    } else if (c >= kTablePunctuationBegin && c < kTablePunctuationEnd) {
      entry = &punctuation_[c - kTablePunctuationBegin];
    }
    return entry && entry->length != kNotInTable ? entry : nullptr;
  }

 private:
  // Without ICU's data every entry stays kNotInTable.
  std::array<TableEntry, kTableLowEnd> low_ = MissingEntries<kTableLowEnd>();
  std::array<TableEntry, kTablePunctuationEnd - kTablePunctuationBegin> punctuation_ =
      MissingEntries<kTablePunctuationEnd - kTablePunctuationBegin>();

  template <size_t N>
  static std::array<TableEntry, N> MissingEntries() {
    std::array<TableEntry, N> entries;
    for (TableEntry& entry : entries) entry.length = kNotInTable;
    return entries;
  }
};

const NormalizationTable& Table() {
  static const NormalizationTable table;
  return table;
}

// NormalizeUnicode by the table; false (and `out` unspecified) when some code point is not in
// it or the UTF-8 is invalid.
bool NormalizeByTable(std::string_view utf8, std::u16string& out) {
  const NormalizationTable& table = Table();
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto size = static_cast<int32_t>(utf8.size());
  // Every code point takes at least one byte and gives at most three units, so whole entries
  // are stored through a pointer without a check per code point: with AddTokens's move, 6%
  // fewer instructions per item than std::u16string::append (docs/performance.md).
  out.resize(utf8.size() * std::tuple_size<decltype(TableEntry::units)>::value);
  char16_t* next = out.data();
  for (int32_t i = 0; i < size;) {
    UChar32 c = bytes[i];
    if (c < 0x80) {
      ++i;
    } else {
      U8_NEXT(bytes, i, size, c);
      if (c < 0) return false;
    }
    const TableEntry* entry = table.Find(c);
    if (!entry) return false;
    next[0] = entry->units[0];  // three stores, not a call to memmove
    next[1] = entry->units[1];
    next[2] = entry->units[2];
    next += entry->length;
  }
  out.resize(static_cast<size_t>(next - out.data()));
  return true;
}

// Whether the apostrophe at `at` keeps ICU from cutting the text around it: it stands alone
// between two letters or two digits ("don't", "1'000": UAX #29 WB6/WB7, WB11/WB12).
bool ApostropheJoins(const Utf16& text, int32_t at) {
  if (at == 0 || at + 1 >= text.length) return false;
  const BreakClass before = BreakClassOf(text.units[at - 1]);
  return before != BreakClass::kOther && before == BreakClassOf(text.units[at + 1]);
}

// Words of text normalised by the table, cut where ICU's boundaries would change a word.
// Between two letters or digits ICU never breaks here (see AdmittedInTable); a boundary beside
// any other character but an apostrophe changes nothing, as that character ends the word
// anyway. So the text is cut only around apostrophes that do not join.
void SplitByTable(const std::u16string& normalized, std::vector<Word>& words,
                  LetterCounts& letters) {
  const Utf16 text{normalized.data(), static_cast<int32_t>(normalized.size())};
  int32_t begin = 0;
  for (int32_t i = 0; i < text.length; ++i) {
    if (text.units[i] != kApostrophe || ApostropheJoins(text, i)) continue;
    SplitSegment(text, begin, i, words, letters);
    begin = i + 1;  // the apostrophe, a segment of its own, holds no word
  }
  SplitSegment(text, begin, text.length, words, letters);
}

// Words of the normalised text between ICU's word boundaries (UAX #29 and ICU's dictionaries).
void SplitWithIcu(const icu::UnicodeString& normalized, std::vector<Word>& words,
                  LetterCounts& letters) {
  const Utf16 text{normalized.getBuffer(), normalized.length()};
  icu::BreakIterator* breaker = WordBreaker();
  if (!breaker) {
    SplitSegment(text, 0, text.length, words, letters);
    return;
  }
  breaker->setText(normalized);
  int32_t begin = breaker->first();
  for (int32_t end = breaker->next(); end != icu::BreakIterator::DONE;
       begin = end, end = breaker->next()) {
    SplitSegment(text, begin, end, words, letters);
  }
  breaker->setText(icu::UnicodeString());  // drop the reference to `normalized`
}

// Adds the word tokens and the hyphen compounds of up to kMaxCompoundWords words.
void AddTokens(std::vector<Word>& words, TokenizedText& result) {
  result.words = static_cast<int>(words.size());
  result.tokens.reserve(words.size() + words.size() / 4);
  result.first_at.reserve(words.size() + 1);
  for (size_t i = 0; i < words.size(); ++i) {
    result.first_at.push_back(static_cast<int>(result.tokens.size()));
    const int position = static_cast<int>(i);
    // The word's text moves into its token: later words' compounds read only later words.
    const size_t word_token = result.tokens.size();
    result.tokens.push_back(
        {std::move(words[i].text), position, position + 1, words[i].hyphen_after, {}});
    std::string compound;
    for (size_t j = i; j < words.size() && words[j].hyphen_after && j + 1 - i < kMaxCompoundWords;
         ++j) {
      if (compound.empty()) compound = result.tokens[word_token].text;
      compound += words[j + 1].text;
      result.tokens.push_back(
          {compound, position, static_cast<int>(j + 2), words[j + 1].hyphen_after, {}});
    }
  }
  result.first_at.push_back(static_cast<int>(result.tokens.size()));
}

std::string ToUtf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

}  // namespace

bool TakesFastPath(std::string_view utf8) {
  std::u16string normalized;
  return NormalizeByTable(utf8, normalized);
}

std::string Normalize(std::string_view utf8, Path path) {
  if (path == Path::kFast) {
    std::u16string normalized;
    if (NormalizeByTable(utf8, normalized)) {
      std::string out;
      icu::UnicodeString(false, normalized.data(), static_cast<int32_t>(normalized.size()))
          .toUTF8String(out);
      return out;
    }
  }
  return ToUtf8(NormalizeUnicode(utf8));
}

std::vector<std::string> TokenizedText::Words() const {
  std::vector<std::string> words;
  for (const Token& token : tokens) {
    if (token.end == token.begin + 1) words.push_back(token.text);
  }
  return words;
}

TokenizedText Tokenize(std::string_view utf8, Path path) {
  // Kept per thread so that their capacity serves the next item, unless one huge item left
  // them large: that memory goes back.
  thread_local std::u16string normalized;
  thread_local std::vector<Word> words;
  constexpr size_t kKeptUnits = 64 * 1024;
  words.clear();
  TokenizedText result;
  if (path == Path::kFast && NormalizeByTable(utf8, normalized)) {
    SplitByTable(normalized, words, result.letters);
  } else {
    SplitWithIcu(NormalizeUnicode(utf8), words, result.letters);
  }
  AddTokens(words, result);
  if (normalized.capacity() > kKeptUnits) std::u16string().swap(normalized);
  if (words.capacity() > kKeptUnits / 4) std::vector<Word>().swap(words);
  return result;
}

int CodePoints(std::string_view utf8) {
  int count = 0;
  for (unsigned char c : utf8) count += (c & 0xC0) != 0x80;
  return count;
}

LetterCounts& LetterCounts::operator+=(const LetterCounts& other) {
  latin += other.latin;
  cyrillic += other.cyrillic;
  ukrainian_only += other.ukrainian_only;
  russian_only += other.russian_only;
  return *this;
}

Language LanguageFromCode(std::string_view code) {
  if (code == "en") return Language::kEnglish;
  if (code == "uk") return Language::kUkrainian;
  if (code == "ru") return Language::kRussian;
  return Language::kUnknown;
}

const char* LanguageCode(Language language) {
  switch (language) {
    case Language::kEnglish:
      return "en";
    case Language::kUkrainian:
      return "uk";
    case Language::kRussian:
      return "ru";
    case Language::kCyrillic:
      return "cyrillic";
    case Language::kUnknown:
      break;
  }
  return "unknown";
}

Language DetectLanguage(const LetterCounts& letters) {
  if (letters.cyrillic == 0 && letters.latin == 0) return Language::kUnknown;
  if (letters.latin >= letters.cyrillic) return Language::kEnglish;
  if (letters.ukrainian_only > letters.russian_only) return Language::kUkrainian;
  if (letters.russian_only > letters.ukrainian_only) return Language::kRussian;
  return Language::kCyrillic;
}

Stemmer StemmerForText(std::string_view word, Language language) {
  switch (WordScript(word)) {
    case Script::kLatin:
      return Stemmer::kEnglish;
    case Script::kCyrillic:
      return language == Language::kUkrainian ? Stemmer::kNone : Stemmer::kRussian;
    case Script::kOther:
      break;
  }
  return Stemmer::kNone;
}

Stemmer StemmerForTerm(std::string_view word, const TermOptions& options) {
  if (!options.stem) return Stemmer::kNone;
  switch (WordScript(word)) {
    case Script::kLatin:
      return Stemmer::kEnglish;
    case Script::kCyrillic:
      if (options.language == Language::kRussian) return Stemmer::kRussian;
      if (options.language == Language::kUkrainian) return Stemmer::kNone;
      return HasRussianOnlyLetter(word) ? Stemmer::kRussian : Stemmer::kNone;
    case Script::kOther:
      break;
  }
  return Stemmer::kNone;
}

namespace {

sb_stemmer* ThreadStemmer(Stemmer stemmer) {
  // A Snowball stemmer keeps state between calls, so each thread has its own.
  struct Stemmers {
    std::array<sb_stemmer*, 3> by_kind{};
    ~Stemmers() {
      for (sb_stemmer* stemmer : by_kind) sb_stemmer_delete(stemmer);
    }
  };
  thread_local Stemmers stemmers;
  sb_stemmer*& slot = stemmers.by_kind[static_cast<size_t>(stemmer)];
  if (!slot) slot = sb_stemmer_new(stemmer == Stemmer::kEnglish ? "english" : "russian", nullptr);
  return slot;
}

std::string StemUncached(std::string_view word, Stemmer stemmer) {
  sb_stemmer* snowball = ThreadStemmer(stemmer);
  if (!snowball) return std::string(word);  // out of memory: fall back to the word itself
  const sb_symbol* stemmed = sb_stemmer_stem(
      snowball, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (!stemmed) return std::string(word);
  return std::string(reinterpret_cast<const char*>(stemmed),
                     static_cast<size_t>(sb_stemmer_length(snowball)));
}

// Recent stems per thread and stemmer, direct-mapped: a word's slot is its hash, and a new
// word takes the slot over. News repeats a few thousand words, so most lookups hit (measured in
// docs/performance.md); memory stays at kSlots slots of words up to kMaxWordBytes, whatever
// vocabulary a feed brings.
class StemCache {
 public:
  static constexpr size_t kSlots = 4096;
  static constexpr size_t kMaxWordBytes = 32;

  std::string Stem(std::string_view word, Stemmer stemmer) {
    if (word.size() > kMaxWordBytes) return StemUncached(word, stemmer);
    if (slots_.empty()) slots_.resize(kSlots);  // only for the stemmers a thread uses
    Slot& slot = slots_[std::hash<std::string_view>()(word) % kSlots];
    if (!slot.used || slot.word != word) {
      slot.word.assign(word);
      slot.stem = StemUncached(word, stemmer);
      slot.used = true;
    }
    return slot.stem;
  }

 private:
  struct Slot {
    std::string word;
    std::string stem;
    bool used = false;
  };
  std::vector<Slot> slots_;
};

}  // namespace

std::string Stem(std::string_view word, Stemmer stemmer, Path path) {
  if (stemmer == Stemmer::kNone || word.empty()) return std::string(word);
  if (path == Path::kIcu) return StemUncached(word, stemmer);
  thread_local std::array<StemCache, 3> caches;
  return caches[static_cast<size_t>(stemmer)].Stem(word, stemmer);
}

void StemTokens(TokenizedText& text, Language language, Path path) {
  for (Token& token : text.tokens) {
    Stemmer stemmer = StemmerForText(token.text, language);
    if (stemmer == Stemmer::kNone) {
      token.stem.clear();
    } else {
      token.stem = Stem(token.text, stemmer, path);
    }
  }
}

AnalysedText Analyse(std::string_view title, std::string_view summary, Path path) {
  AnalysedText analysed{Tokenize(title, path), Tokenize(summary, path), Language::kUnknown};
  LetterCounts letters = analysed.title.letters;
  letters += analysed.summary.letters;
  analysed.language = DetectLanguage(letters);
  StemTokens(analysed.title, analysed.language, path);
  StemTokens(analysed.summary, analysed.language, path);
  return analysed;
}

std::string_view LiteralHead(const TermWord& word) {
  std::string_view text = word.text;
  if (word.match == WordMatch::kPattern) return text.substr(0, text.find_first_of("?*"));
  return text;
}

namespace {

// '?' is one code point, '*' any number (including none). Hand-written because fnmatch(3)
// reads multibyte characters by the process locale, and tokens are always UTF-8.
bool GlobMatches(std::string_view pattern, std::string_view text) {
  auto next = [](std::string_view s, size_t at) {
    ++at;
    while (at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) ++at;
    return at;
  };
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      p = next(pattern, p);
      t = next(text, t);
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p;
      t = star_t = next(text, star_t);
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool WordMatches(const TermWord& word, const Token& token) {
  switch (word.match) {
    case WordMatch::kExact:
      return token.text == word.text;
    case WordMatch::kStem:
      return !token.stem.empty() && token.stem == word.text;
    case WordMatch::kPrefix:
      return token.text.starts_with(word.text);
    case WordMatch::kPattern:
      return token.text.starts_with(LiteralHead(word)) && GlobMatches(word.text, token.text);
  }
  return false;
}

namespace {

// A word of a term with '?' or a '*' before its end: one word of letters and digits, each
// piece between wildcards normalised like text. Returns the pattern or an error.
std::string CompilePattern(std::string_view chunk, const std::string& quoted, std::string& error) {
  std::string pattern;
  size_t at = 0;
  bool first = true;
  while (true) {
    const size_t wildcard = chunk.find_first_of("?*", at);
    std::string_view piece = chunk.substr(
        at, wildcard == std::string_view::npos ? std::string_view::npos : wildcard - at);
    if (!piece.empty()) {
      TokenizedText tokens = Tokenize(piece);
      icu::UnicodeString normalized = NormalizeUnicode(piece);
      if (tokens.tokens.size() != 1 || !IsWordChar(normalized.char32At(0)) ||
          !IsWordChar(normalized.char32At(normalized.length() - 1))) {
        error = quoted + ": a word with a wildcard inside must be one word of letters and digits";
        return {};
      }
      pattern += tokens.tokens[0].text;
    }
    if (first && wildcard != std::string_view::npos) {
      const char symbol[] = {'\'', chunk[wildcard], '\'', 0};
      if (pattern.empty()) {
        error = quoted + ": " + symbol + " must directly follow a letter or digit";
        return {};
      }
      if (CodePoints(pattern) < kMinPrefixLetters) {
        error = quoted + ": a " + (chunk[wildcard] == '*' ? "prefix" : "wildcard") +
                " needs at least " + std::to_string(kMinPrefixLetters) + " letters before " +
                symbol;
        return {};
      }
    }
    first = false;
    if (wildcard == std::string_view::npos) break;
    pattern += chunk[wildcard];
    at = wildcard + 1;
  }
  return pattern;
}

}  // namespace

CompiledTerm CompileTerm(std::string_view term, const TermOptions& options) {
  CompiledTerm compiled;
  const std::string quoted = "term '" + std::string(term) + "'";
  std::vector<TermWord> split;
  std::vector<TermWord> joined;
  bool hyphenated = false;
  // Words of the term are separated by white space; each may end with '*' or hold wildcards.
  size_t at = 0;
  while (at < term.size()) {
    size_t begin = term.find_first_not_of(" \t\r\n", at);
    if (begin == std::string_view::npos) break;
    size_t end = std::min(term.find_first_of(" \t\r\n", begin), term.size());
    at = end;
    std::string_view chunk = term.substr(begin, end - begin);
    const size_t wildcard = chunk.find_first_of("?*");
    const bool prefix = wildcard != std::string_view::npos && wildcard + 1 == chunk.size() &&
                        chunk[wildcard] == '*';
    if (wildcard != std::string_view::npos && !prefix) {
      std::string pattern = CompilePattern(chunk, quoted, compiled.error);
      if (!compiled.error.empty()) return compiled;
      split.push_back({pattern, WordMatch::kPattern});
      joined.push_back({pattern, WordMatch::kPattern});
      continue;
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
      split.push_back({token.text, WordMatch::kExact});
      if (joining) {
        joined.back().text += token.text;
      } else {
        joined.push_back({token.text, WordMatch::kExact});
      }
      joining = token.hyphen_after;
      hyphenated = hyphenated || token.hyphen_after;
    }
    if (prefix) {
      split.back().match = joined.back().match = WordMatch::kPrefix;
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
  auto stem_words = [&](std::vector<TermWord>& words) {
    for (TermWord& word : words) {
      if (word.match != WordMatch::kExact) continue;
      Stemmer stemmer = StemmerForTerm(word.text, options);
      if (stemmer == Stemmer::kNone) continue;
      word.text = Stem(word.text, stemmer);
      word.match = WordMatch::kStem;
    }
  };
  stem_words(split);
  compiled.variants.push_back(std::move(split));
  if (hyphenated) {
    stem_words(joined);
    compiled.variants.push_back(std::move(joined));
  }
  return compiled;
}

}  // namespace newsmon::text
