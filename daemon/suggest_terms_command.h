// `newsmon suggest-terms`: proposes terms for one thread from labelled examples, for an editor
// to review and paste into a `terms = [...]` list (docs/threads.md, "Learning terms from
// examples").
//   --config FILE      the threads, as the daemon loads them
//   --labels FILE      labelled items (docs/labelling.md), repeatable; lines with "source"
//                      take their text from --corpus DIR (required then)
//   --thread ID        the thread to learn for: items labelled with it are the positives,
//                      all others the negatives
//   --top N, --min-count N   print at most N terms (30), each seen in >= N positives (3)
//   --all-splits       also learn from the blind split (never, if it is to measure the thread)
// Only the training split and the undated (written) items are used by default: terms learnt
// from the blind split would make its figures flatter the rules (docs/labelling.md, "Split").
// Output on stdout, one header comment, then one line per term, best first:
//   # thread 'talks': 160 positives, 3177 negatives (training split)
//   "putin",             # 36 of 160 positives, 45 of 3177 negatives, z 4.3 (already ...)
//   "european leaders",  # 7 of 160 positives, 2 of 3177 negatives, z 2.5
// "(already matched by the thread)" means the thread's rules have a hit on the term alone (for
// a phrase: on either of its words).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace newsmon {

struct SuggestTermsOptions {
  std::string config;
  std::vector<std::string> labels;
  std::optional<std::string> corpus;  // the shared corpus's folder (../shared/corpus)
  std::string thread;
  int top = 30;
  int min_count = 3;  // positive items a term must occur in
  bool all_splits = false;
};

// Returns the exit status: 0; 1 on errors (printed to `err`, naming the file or the option to
// fix); 2 on invalid options.
int SuggestTermsCommand(const SuggestTermsOptions& options, std::ostream& out, std::ostream& err);
int SuggestTermsCommand(const SuggestTermsOptions& options);

}  // namespace newsmon
