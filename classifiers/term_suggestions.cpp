#include "classifiers/term_suggestions.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "classifiers/text_internal.h"

namespace newsmon {
namespace {

// One occurrence of a candidate in an item: what is counted and how it was written.
struct Occurrence {
  std::string stems;
  std::string surface;
};

// The key the classifier would compare: the Snowball stem, or the word itself where there is
// no stemmer (Ukrainian, numbers).
const std::string& KeyOf(const text::Token& token) {
  return token.stem.empty() ? token.text : token.stem;
}

// The words of one field and the pairs of adjacent words. Hyphen compounds ("ceasefire" from
// "cease-fire") are left out: the pair "cease fire" already stands for them.
void AddFieldCandidates(const text::TokenizedText& field, std::vector<Occurrence>& out) {
  for (int position = 0; position < field.words; ++position) {
    const text::Token& word = field.tokens[static_cast<std::size_t>(field.first_at[position])];
    out.push_back({KeyOf(word), word.text});
    if (position + 1 == field.words) break;
    const text::Token& next = field.tokens[static_cast<std::size_t>(field.first_at[position + 1])];
    out.push_back({KeyOf(word) + " " + KeyOf(next), word.text + " " + next.text});
  }
}

// Tokenised and stemmed as Classifier does it: the language from the letters of title and
// summary together, so a word is stemmed the same way here and when the thread runs.
std::vector<Occurrence> ItemCandidates(const LabelledItem& item) {
  text::TokenizedText fields[2] = {text::Tokenize(item.title), text::Tokenize(item.summary)};
  text::LetterCounts letters = fields[0].letters;
  letters += fields[1].letters;
  const text::Language language = text::DetectLanguage(letters);
  std::vector<Occurrence> occurrences;
  for (text::TokenizedText& field : fields) {
    text::StemTokens(field, language);
    AddFieldCandidates(field, occurrences);
  }
  return occurrences;
}

struct Counts {
  int positives = 0;
  int negatives = 0;
  std::map<std::string, int> surfaces;  // in positive items, per occurrence
};

struct Tally {
  std::unordered_map<std::string, Counts> candidates;
  TermSuggestions result;
  double positive_total = 0;  // candidate occurrences, each counted once per item
  double negative_total = 0;
};

void CountItem(const LabelledItem& item, bool positive, Tally& tally) {
  std::set<std::string> seen;
  for (Occurrence& occurrence : ItemCandidates(item)) {
    Counts& counts = tally.candidates[occurrence.stems];
    if (positive) ++counts.surfaces[occurrence.surface];
    if (!seen.insert(std::move(occurrence.stems)).second) continue;
    (positive ? counts.positives : counts.negatives) += 1;
    (positive ? tally.positive_total : tally.negative_total) += 1;
  }
}

// Monroe, Colaresi & Quinn (2008), "Fightin' Words: Lexical Feature Selection and Evaluation
// for Identifying the Content of Political Conflict", Political Analysis 16(4), 372-403: the
// log-odds ratio of a candidate between positives and negatives with an informative Dirichlet
// prior, divided by its approximate standard deviation, sqrt(1/(y_pos + a_w) + 1/(y_neg + a_w)).
// With no background corpus of its own, the prior is both sets together: a_w is the
// candidate's count in positives and negatives, a_0 the size of both. That pulls a candidate
// seen in a handful of items well towards "no difference" and one seen in fifty hardly, so the
// top of the list is neither flukes of three items nor words common everywhere.
// Counts are per item (a candidate occurs in an item or not), so one long summary repeating a
// word does not outweigh other items. NaN when the odds are undefined (a set whose only
// candidate this is).
double ZScore(const Counts& counts, const Tally& tally) {
  const double prior = counts.positives + counts.negatives;
  const double prior_total = tally.positive_total + tally.negative_total;
  auto log_odds = [&](double count, double total) {
    const double rest = total + prior_total - count - prior;
    return rest > 0 ? std::log((count + prior) / rest) : std::nan("");
  };
  const double delta = log_odds(counts.positives, tally.positive_total) -
                       log_odds(counts.negatives, tally.negative_total);
  const double variance = 1 / (counts.positives + prior) + 1 / (counts.negatives + prior);
  return delta / std::sqrt(variance);
}

// The surface form written most often (ties: the first in byte order, so runs agree).
std::string MostFrequent(const std::map<std::string, int>& surfaces) {
  auto best = surfaces.begin();
  for (auto it = surfaces.begin(); it != surfaces.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best == surfaces.end() ? std::string() : best->first;
}

std::vector<TermSuggestion> Rank(const Tally& tally, const TermSuggestionOptions& options) {
  std::vector<TermSuggestion> ranked;
  for (const auto& [stems, counts] : tally.candidates) {
    // Never below 1: a candidate no positive has cannot be a term for the thread.
    if (counts.positives < std::max(options.min_positives, 1)) continue;
    const double z = ZScore(counts, tally);
    if (!(z > 0)) continue;  // also drops NaN
    ranked.push_back({MostFrequent(counts.surfaces), stems, counts.positives, counts.negatives, z});
  }
  std::sort(ranked.begin(), ranked.end(), [](const TermSuggestion& a, const TermSuggestion& b) {
    if (a.z != b.z) return a.z > b.z;
    if (a.positives != b.positives) return a.positives > b.positives;
    // Two stems can share a surface form ("пауза": Ukrainian, as written, and Russian, stem
    // "пауз"), and the candidates come out of a hash map: the stems make the order total.
    return std::tie(a.term, a.stems) < std::tie(b.term, b.stems);
  });
  if (ranked.size() > static_cast<std::size_t>(std::max(options.top, 0))) {
    ranked.resize(static_cast<std::size_t>(std::max(options.top, 0)));
  }
  return ranked;
}

}  // namespace

TermSuggestions SuggestTerms(const std::vector<LabelledItem>& items, std::string_view thread,
                             const TermSuggestionOptions& options) {
  Tally tally;
  for (const LabelledItem& item : items) {
    const bool positive =
        std::find(item.threads.begin(), item.threads.end(), thread) != item.threads.end();
    (positive ? tally.result.positives : tally.result.negatives) += 1;
    CountItem(item, positive, tally);
  }
  tally.result.terms = Rank(tally, options);
  return std::move(tally.result);
}

}  // namespace newsmon
