// Tracked threads and the classifier that matches items against all of them at once.
// Thread files are TOML (see docs/threads.md); the classifier is immutable once built, so
// the daemon can swap a new one in between two items on reload.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/analysis.h"
#include "classifiers/bursts.h"
#include "core/item.h"
#include "core/status.h"

namespace newsmon {

// A list of terms from one [[thread.terms]], [[thread.require]], [[thread.exclude]] or
// [[thread.context]] table (docs/threads.md). A term is one or more words; '*' and '?' make a
// word a pattern ("перемир*", "organi?ation"); other words match by their Snowball stem where
// the language has a stemmer (English, Russian), else exactly.
struct TermGroup {
  std::string name;
  double weight = 1.0;             // scored groups only; never 0, negative lowers the score
  std::vector<std::string> terms;  // as written: "ceasefire", "peace talks", "перемир*"
  int line = 0;                    // where the group starts in its file, for messages
  std::vector<int> term_lines;     // line of each term; may be empty (then `line` is used)

  std::string lang;                 // "", "en", "uk" or "ru": only items in that language
  bool stem = true;                 // false: words without wildcards match exactly
  bool once = false;                // scored: the group adds its weight once, not per term
  std::vector<std::string> fields;  // "title", "summary"; empty means both
  // Proximity: with `near`, a hit of `terms` counts only when a hit of a `near` term starts
  // at most `within` words from it, in the same field. In a context group (no `near`),
  // `within` asks for a context hit in the title or within that many words of a scored hit.
  std::vector<std::string> near;
  std::vector<int> near_lines;  // like term_lines
  int within = 0;               // 0: no proximity condition
};

struct ThreadDefinition {
  std::string id;
  std::string title;
  std::string source;  // the file it came from
  int line = 0;        // line of `id` in `source`, for messages
  double threshold = 1.0;
  double title_weight = 2.0;        // multiplier for hits in the title
  double summary_weight = 1.0;      // multiplier for hits in the summary
  std::vector<TermGroup> scored;    // weighted terms: their weights add up to the score
  std::vector<TermGroup> required;  // each group must have at least one hit
  std::vector<TermGroup> excluded;  // any hit vetoes the thread
  std::vector<TermGroup> context;   // the setting: each group needs a hit (see `within`)
  // An item that joins a story already in this thread is in it too, through the story, even
  // without words of its own. Off by default: on the labelled real news it added 7 right and
  // 20 wrong items to the default threads in training, 1 right and 3 wrong blind, because a
  // story that chains day after day (a daily digest) carries its threads to unrelated items
  // (docs/stories.md).
  bool follow_stories = false;
  BurstRule burst;  // [thread.burst]: when its new stories come much faster than usual
};

// Bounds on the work one thread file may cause, since a reload compiles it on the daemon's one
// loop: each one exceeded is a problem like any other. The default threads are 21-36 KB with
// up to 1,222 terms of at most 58 bytes.
inline constexpr std::size_t kMaxThreadFileBytes = 1 << 20;
inline constexpr std::size_t kMaxThreadTerms = 20'000;  // "terms" and "near", @references expanded
inline constexpr std::size_t kMaxTermBytes = 200;

// Reads one thread file. On failure the Status message holds one line per problem,
// each "FILE:LINE: message".
Result<ThreadDefinition> LoadThreadFile(const std::string& path);
Result<ThreadDefinition> ParseThread(std::string_view toml_text, const std::string& source_name);

// How a thread fared against a document: its score, threshold and every hit (weight 0 for
// hits that earned nothing), and why it did not match.
struct ThreadExplanation {
  ThreadMatch match;
  bool matched = false;
  std::string reason;  // empty when matched: "excluded by 'on strike' ([[thread.exclude]] group
                       // 'labour')", "no hit of the [[thread.require]] group 'energy'", "score 4
                       // is below the threshold 5"
};

class Classifier {
 public:
  virtual ~Classifier() = default;

  // Fails on duplicate thread ids or terms that normalise to nothing; the Status message
  // then holds one "FILE:LINE: message" line per problem.
  static Result<std::shared_ptr<const Classifier>> Build(std::vector<ThreadDefinition> threads);

  // Every thread whose rules the document satisfies, in thread order. Safe to call from
  // several threads at once.
  std::vector<ThreadMatch> Classify(const Document& document) const {
    return Classify(Analysis(document));
  }
  // The same for a document already analysed (shared with the story clusterer).
  virtual std::vector<ThreadMatch> Classify(const Analysis& analysis) const = 0;
  // Every thread with at least one hit in the document, matched or not, in thread order: for
  // editors asking why an item did (not) match. Costs a little more than Classify.
  virtual std::vector<ThreadExplanation> Explain(const Document& document) const = 0;
  virtual const std::vector<ThreadDefinition>& threads() const = 0;
};

}  // namespace newsmon
