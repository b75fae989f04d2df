// Text normalisation, tokenisation and stemming shared by thread terms and item text, so both
// sides of a comparison went through exactly the same steps. Internal to the classifier module
// (and its tests and benchmarks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newsmon::text {

// How text becomes tokens. kFast normalises and splits text made of code points that
// normalise on their own (Latin, Greek, Cyrillic, common punctuation) by a table built from
// ICU, without ICU's normalisers and break iterator, and caches stems; kIcu always takes ICU's
// normalisers and word break iterator and calls Snowball for every word. Both give the same
// tokens: kIcu is the reference the tests hold kFast to.
enum class Path : std::uint8_t { kFast, kIcu };

// Whether Path::kFast normalises and splits this text without ICU (for tests and benchmarks).
bool TakesFastPath(std::string_view utf8);

// NFKC, full case folding (which also drops default-ignorable code points such as soft
// hyphens and zero-width joiners), combining accents stripped from Latin, Cyrillic and Greek
// letters except where they make a distinct letter (й, ї, ў keep theirs; ё becomes е), all
// apostrophe look-alikes mapped to U+0027. Returns UTF-8 (invalid input bytes become U+FFFD).
std::string Normalize(std::string_view utf8, Path path = Path::kFast);

// The languages the classifier tells apart. Latin-script text counts as English (the only
// Latin-script language with term lists and a stemmer so far); Cyrillic text is Ukrainian or
// Russian by the letters only one of them uses (і ї є ґ versus ы э ъ), else kCyrillic.
enum class Language : std::uint8_t { kUnknown, kEnglish, kUkrainian, kRussian, kCyrillic };

// "en", "uk", "ru"; kUnknown for anything else.
Language LanguageFromCode(std::string_view code);
const char* LanguageCode(Language language);  // "en", "uk", "ru", "cyrillic", "unknown"

// Letters seen while tokenising, for language detection.
struct LetterCounts {
  int latin = 0;
  int cyrillic = 0;
  int ukrainian_only = 0;  // і ї є ґ
  int russian_only = 0;    // ы э ъ (ё is folded to е before counting)
  LetterCounts& operator+=(const LetterCounts& other);
};

Language DetectLanguage(const LetterCounts& letters);

struct Token {
  std::string text;           // normalised, apostrophes removed, English possessive 's dropped
  int begin = 0;              // first word position covered
  int end = 0;                // one past the last word position covered
  bool hyphen_after = false;  // joined to the next word by a single hyphen ("cease-fire")
  std::string stem;           // Snowball stem (see Stem()); empty until StemTokens, or no stemmer
};

struct TokenizedText {
  // Sorted by (begin, end). For every word position p there is exactly one token with
  // begin == p and end == p + 1 (the word itself); words joined by hyphens also produce
  // compound tokens ("cease-fire" → "cease", "fire" and "ceasefire" spanning both).
  std::vector<Token> tokens;
  std::vector<int> first_at;  // index into tokens of the first token at each position, + end
  int words = 0;
  LetterCounts letters;

  std::vector<std::string> Words() const;  // the one-position tokens, in order
};

// Normalises, segments into words (ICU word break rules, then split on any remaining
// punctuation inside a word) and adds hyphen compounds of up to kMaxCompoundWords words.
TokenizedText Tokenize(std::string_view utf8, Path path = Path::kFast);

// Which Snowball stemmer applies to a word. Ukrainian has none in Snowball (libstemmer 2.2):
// thread files cover its inflection with prefixes ("перемир*") or explicit word lists.
enum class Stemmer : std::uint8_t { kNone, kEnglish, kRussian };

// The stemmer for a normalised word of an item in `language`: English for Latin-script words,
// Russian for Cyrillic words unless the item is Ukrainian; none for words without letters.
Stemmer StemmerForText(std::string_view word, Language language);

// Snowball stem of a normalised word (libstemmer; one stemmer per thread and language, so
// this is safe to call from several threads). Returns `word` unchanged for kNone.
std::string Stem(std::string_view word, Stemmer stemmer, Path path = Path::kFast);

// Fills Token::stem for every token of an item written in `language`.
void StemTokens(TokenizedText& text, Language language, Path path = Path::kFast);

// Title and summary of one item, tokenised and stemmed in the language of both together
// (what classifiers/analysis.h hands around).
struct AnalysedText {
  TokenizedText title;
  TokenizedText summary;
  Language language = Language::kUnknown;
};

AnalysedText Analyse(std::string_view title, std::string_view summary, Path path = Path::kFast);

inline constexpr int kMaxCompoundWords = 4;
inline constexpr int kMinPrefixLetters = 2;

// How one word of a term matches one token of the text.
enum class WordMatch : std::uint8_t {
  kExact,    // token text equals the word
  kStem,     // token stem equals the word (which holds the stem)
  kPrefix,   // token text starts with the word ("удар*")
  kPattern,  // token text matches the word as a pattern: '?' one letter, '*' any letters
};

struct TermWord {
  std::string text;
  WordMatch match = WordMatch::kExact;
  bool operator==(const TermWord&) const = default;
  auto operator<=>(const TermWord&) const = default;
};

// The literal start of a kPrefix or kPattern word, before its first wildcard.
std::string_view LiteralHead(const TermWord& word);

// Whether a normalised token matches a term word.
bool WordMatches(const TermWord& word, const Token& token);

struct TermOptions {
  Language language = Language::kUnknown;  // the group's `lang`; kUnknown: guess per word
  bool stem = true;                        // match by stem where the language has a stemmer
};

// A term from a thread file, compiled to the word sequences it matches. Whitespace separates
// the term's words; '*' (any letters) and '?' (one letter) make a word a pattern, after at
// least kMinPrefixLetters letters. Words without wildcards match by their stem when
// options.stem is set and the word's language has a stemmer (see StemmerForTerm), else exactly.
struct CompiledTerm {
  // One or two variants: the words as tokenised ("cease-fire" → cease, fire) and, when the
  // term has hyphenated words, the same with each hyphenated run joined (ceasefire).
  std::vector<std::vector<TermWord>> variants;
  std::string error;  // non-empty when the term is unusable: "term 'x' ..."
};

CompiledTerm CompileTerm(std::string_view term, const TermOptions& options = {});

// The stemmer for a normalised word of a term: English for Latin-script words; Russian for
// Cyrillic words of a Russian group, or of a group without `lang` when the word has a letter
// only Russian uses; none otherwise (Ukrainian, or Cyrillic that could be either).
Stemmer StemmerForTerm(std::string_view word, const TermOptions& options);

// Number of code points in a UTF-8 string.
int CodePoints(std::string_view utf8);

}  // namespace newsmon::text
