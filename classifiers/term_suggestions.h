// Terms for a thread learnt from labelled examples: the words and two-word phrases that set the
// items labelled with the thread apart from the other items, for an editor to review before
// any of them goes into a thread file (`newsmon suggest-terms`, docs/threads.md).
//
// Candidates are the words (by stem) and pairs of adjacent words in one field of the title and
// summary, tokenised and stemmed exactly as the classifier does, so a suggested term matches
// what was counted. Each is counted once per item (in how many positive and negative items it
// occurs), and ranked by the z-score of its log-odds ratio with an informative Dirichlet prior
// (Monroe, Colaresi & Quinn 2008), which keeps rare candidates from topping the list on two or
// three lucky items.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/labelled_set.h"

namespace newsmon {

struct TermSuggestion {
  // The form most often written in the positive items, normalised as the classifier sees it
  // (lowercase, accents and apostrophes gone): "peace plans", "переговори".
  std::string term;
  std::string stems;  // what was counted: the stems, space-separated ("peac plan")
  int positives = 0;  // positive items with it in the title or summary
  int negatives = 0;  // negative items with it
  double z = 0;       // > 0: more typical of the positives than of the negatives
};

struct TermSuggestionOptions {
  int top = 30;           // most suggestions returned
  int min_positives = 3;  // fewer positive items than this is an anecdote, not a pattern
};

struct TermSuggestions {
  int positives = 0;                  // items labelled with the thread
  int negatives = 0;                  // all other items
  std::vector<TermSuggestion> terms;  // z > 0 only, highest z first; ties: more positives,
                                      // then by term and stems
};

// Learns from every item given: choosing the split (never the blind one when tuning) is the
// caller's job. An item is positive when `thread` is among its threads.
TermSuggestions SuggestTerms(const std::vector<LabelledItem>& items, std::string_view thread,
                             const TermSuggestionOptions& options = {});

}  // namespace newsmon
