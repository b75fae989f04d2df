// Tracked threads and the classifier that matches items against all of them at once.
// Thread files are TOML (see docs/threads.md); the classifier is immutable once built, so
// the daemon can swap a new one in between two items on reload.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/item.h"
#include "core/status.h"

namespace newsmon {

// A list of terms from one [[thread.terms]], [[thread.require]] or [[thread.exclude]] table.
// A term is one or more words; a trailing '*' makes its last word a prefix.
struct TermGroup {
  std::string name;
  double weight = 1.0;             // scored groups only; never 0, negative lowers the score
  std::vector<std::string> terms;  // as written: "ceasefire", "peace talks", "перемир*"
  int line = 0;                    // where the group starts in its file, for messages
  std::vector<int> term_lines;     // line of each term; may be empty (then `line` is used)
};

struct ThreadDefinition {
  std::string id;
  std::string title;
  std::string source;  // the file it came from
  int line = 0;        // line of `id` in `source`, for messages
  double threshold = 1.0;
  double title_weight = 2.0;        // multiplier for hits in the title
  std::vector<TermGroup> scored;    // weighted terms: their weights add up to the score
  std::vector<TermGroup> required;  // each group must have at least one hit
  std::vector<TermGroup> excluded;  // any hit vetoes the thread
};

// Reads one thread file. On failure the Status message holds one line per problem,
// each "FILE:LINE: message".
Result<ThreadDefinition> LoadThreadFile(const std::string& path);
Result<ThreadDefinition> ParseThread(std::string_view toml_text, const std::string& source_name);

struct Document {
  std::string_view title;
  std::string_view summary;
};

class Classifier {
 public:
  virtual ~Classifier() = default;

  // Fails on duplicate thread ids or terms that normalise to nothing; the Status message
  // then holds one "FILE:LINE: message" line per problem.
  static Result<std::shared_ptr<const Classifier>> Build(std::vector<ThreadDefinition> threads);

  // Every thread whose rules the document satisfies, in thread order. Safe to call from
  // several threads at once.
  virtual std::vector<ThreadMatch> Classify(const Document& document) const = 0;
  virtual const std::vector<ThreadDefinition>& threads() const = 0;
};

}  // namespace newsmon
