// Text normalisation and tokenisation shared by thread terms and item text, so both sides
// of a comparison went through exactly the same steps. Internal to the classifier module
// (and its tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace newsmon::text {

// NFKC, full case folding (which also drops default-ignorable code points such as soft
// hyphens and zero-width joiners), combining accents stripped from Latin, Cyrillic and Greek
// letters except where they make a distinct letter (й, ї, ў keep theirs; ё becomes е), all
// apostrophe look-alikes mapped to U+0027. Returns UTF-8 (invalid input bytes become U+FFFD).
std::string Normalize(std::string_view utf8);

struct Token {
  std::string text;           // normalised, apostrophes removed, English possessive 's dropped
  int begin = 0;              // first word position covered
  int end = 0;                // one past the last word position covered
  bool hyphen_after = false;  // joined to the next word by a single hyphen ("cease-fire")
};

struct TokenizedText {
  // Sorted by (begin, end). For every word position p there is exactly one token with
  // begin == p and end == p + 1 (the word itself); words joined by hyphens also produce
  // compound tokens ("cease-fire" → "cease", "fire" and "ceasefire" spanning both).
  std::vector<Token> tokens;
  std::vector<int> first_at;  // index into tokens of the first token at each position, + end
  int words = 0;

  std::vector<std::string> Words() const;  // the one-position tokens, in order
};

// Normalises, segments into words (ICU word break rules, then split on any remaining
// punctuation inside a word) and adds hyphen compounds of up to kMaxCompoundWords words.
TokenizedText Tokenize(std::string_view utf8);

inline constexpr int kMaxCompoundWords = 4;
inline constexpr int kMinPrefixLetters = 2;

struct TermWord {
  std::string text;
  bool prefix = false;  // written with a trailing '*': matches any word starting with text
  bool operator==(const TermWord&) const = default;
  auto operator<=>(const TermWord&) const = default;
};

// A term from a thread file, compiled to the word sequences it matches. Whitespace separates
// the term's words; a '*' at the end of a word makes the (last) token of that word a prefix.
struct CompiledTerm {
  // One or two variants: the words as tokenised ("cease-fire" → cease, fire) and, when the
  // term has hyphenated words, the same with each hyphenated run joined (ceasefire).
  std::vector<std::vector<TermWord>> variants;
  std::string error;  // non-empty when the term is unusable: "term 'x' ..."
};

CompiledTerm CompileTerm(std::string_view term);

// Number of code points in a UTF-8 string.
int CodePoints(std::string_view utf8);

}  // namespace newsmon::text
