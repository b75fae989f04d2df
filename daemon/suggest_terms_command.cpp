#include "daemon/suggest_terms_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "classifiers/classifier.h"
#include "classifiers/labelled_set.h"
#include "classifiers/term_suggestions.h"
#include "daemon/config.h"
#include "daemon/labelled_news.h"

namespace newsmon {
namespace {

Result<std::shared_ptr<const Classifier>> LoadClassifier(const std::string& config_path) {
  auto config = LoadConfig(config_path);
  if (!config.ok()) return config.status();
  return Classifier::Build(std::move(config->threads));
}

Status CheckThread(const Classifier& classifier, const std::string& thread,
                   const std::string& config_path) {
  std::string known;
  for (const ThreadDefinition& definition : classifier.threads()) {
    if (definition.id == thread) return Status::Ok();
    known += (known.empty() ? "" : ", ") + definition.id;
  }
  if (known.empty()) known = "none";
  return Status::Error("suggest-terms: no thread '" + thread + "' in " + config_path +
                       "; its threads are: " + known);
}

// Corpus lines carry no text of their own; without the corpus they would be counted as empty
// items, so say which file needs it instead.
Status CheckCorpusGiven(const std::vector<std::string>& label_files) {
  for (const std::string& path : label_files) {
    auto items = ReadLabelledItems(path);
    if (!items.ok()) return items.status();
    const bool points_into_corpus =
        std::any_of(items->begin(), items->end(),
                    [](const LabelledItem& item) { return !item.source.empty(); });
    if (points_into_corpus) {
      return Status::Error("suggest-terms: " + path +
                           ": labels with \"source\" take their text from a corpus; name its "
                           "folder with --corpus DIR (the shared corpus is ../shared/corpus "
                           "beside the clone)");
    }
  }
  return Status::Ok();
}

Result<LabelledNews> LoadLabels(const SuggestTermsOptions& options) {
  if (!options.corpus) {
    Status given = CheckCorpusGiven(options.labels);
    if (!given.ok()) return given;
  }
  return LoadLabelledNews(options.labels, options.corpus.value_or(""));
}

// The items to learn from. The blind split only with --all-splits: rules tuned on it can no
// longer be judged by it (docs/labelling.md, "Split").
std::vector<LabelledItem> Select(std::vector<LabelledItem> items, bool all_splits) {
  if (all_splits) return items;
  std::erase_if(items, [](const LabelledItem& item) { return item.split == Split::kBlind; });
  return items;
}

// "training split and written set": the parts that contributed at least one item.
std::string SplitsUsed(const std::vector<LabelledItem>& items, bool all_splits) {
  std::vector<std::string> names;
  for (Split split : {Split::kTraining, Split::kBlind, Split::kWritten}) {
    if (std::none_of(items.begin(), items.end(),
                     [&](const LabelledItem& item) { return item.split == split; })) {
      continue;
    }
    names.push_back(std::string(SplitName(split)) + (split == Split::kWritten ? " set" : " split"));
  }
  std::string joined;
  for (std::size_t i = 0; i < names.size(); ++i) {
    joined += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  if (all_splits) joined += "; --all-splits: the blind split no longer measures these terms";
  return joined;
}

// Whether the thread's rules already have a hit on the term on its own.
bool AlreadyMatched(const Classifier& classifier, const std::string& thread,
                    const std::string& term) {
  for (const ThreadExplanation& explanation : classifier.Explain({term, ""})) {
    if (explanation.match.thread == thread && !explanation.match.evidence.empty()) return true;
  }
  return false;
}

// Characters as a terminal shows them, so Cyrillic terms line up with Latin ones.
std::size_t Width(const std::string& utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A TOML basic string. Terms are words and spaces, but a quote or backslash must not break
// the pasted list.
std::string Quoted(const std::string& term) {
  std::string quoted = "\"";
  for (char c : term) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\",";
}

// "1 positive", "7 positives".
std::string Items(int count, const char* kind) {
  return std::to_string(count) + " " + kind + (count == 1 ? "" : "s");
}

std::string Comment(const TermSuggestion& term, const TermSuggestions& all) {
  char z[32];
  std::snprintf(z, sizeof z, "%.1f", term.z);
  return "# " + std::to_string(term.positives) + " of " + Items(all.positives, "positive") + ", " +
         std::to_string(term.negatives) + " of " + Items(all.negatives, "negative") + ", z " + z;
}

void Print(const TermSuggestions& suggestions, const Classifier& classifier,
           const SuggestTermsOptions& options, const std::string& splits, std::ostream& out) {
  out << "# thread '" << options.thread << "': " << Items(suggestions.positives, "positive") << ", "
      << Items(suggestions.negatives, "negative") << " (" << splits << ")\n";
  if (suggestions.terms.empty()) {
    out << "# no term occurs in at least " << options.min_count
        << " positives and more often in them than in the negatives\n";
    return;
  }
  std::size_t width = 0;
  for (const TermSuggestion& term : suggestions.terms) {
    width = std::max(width, Width(Quoted(term.term)));
  }
  for (const TermSuggestion& term : suggestions.terms) {
    const std::string quoted = Quoted(term.term);
    out << quoted << std::string(width - Width(quoted) + 2, ' ') << Comment(term, suggestions);
    if (AlreadyMatched(classifier, options.thread, term.term)) {
      out << " (already matched by the thread)";
    }
    out << "\n";
  }
}

Status NothingToLearn(const std::vector<LabelledItem>& items, const SuggestTermsOptions& options) {
  if (items.empty()) {
    return Status::Error(std::string("suggest-terms: the labelled files hold no items") +
                         (options.all_splits ? "" : " outside the blind split"));
  }
  return Status::Error("suggest-terms: no item of the " + SplitsUsed(items, false) +
                       " is labelled '" + options.thread + "': nothing to learn from");
}

int Fail(const Status& status, std::ostream& err) {
  err << status.message() << "\n";
  return 1;
}

}  // namespace

int SuggestTermsCommand(const SuggestTermsOptions& options, std::ostream& out, std::ostream& err) {
  if (options.top < 1 || options.min_count < 1) {
    err << "suggest-terms: --top and --min-count must be at least 1\n";
    return 2;
  }
  if (options.labels.empty()) {
    err << "suggest-terms: name at least one labelled file with --labels FILE\n";
    return 2;
  }
  auto classifier = LoadClassifier(options.config);
  if (!classifier.ok()) return Fail(classifier.status(), err);
  Status known = CheckThread(**classifier, options.thread, options.config);
  if (!known.ok()) return Fail(known, err);
  auto news = LoadLabels(options);
  if (!news.ok()) return Fail(news.status(), err);

  const std::vector<LabelledItem> items = Select(std::move(news->items), options.all_splits);
  TermSuggestions suggestions =
      SuggestTerms(items, options.thread, {options.top, options.min_count});
  if (suggestions.positives == 0) return Fail(NothingToLearn(items, options), err);
  Print(suggestions, **classifier, options, SplitsUsed(items, options.all_splits), out);
  return 0;
}

int SuggestTermsCommand(const SuggestTermsOptions& options) {
  return SuggestTermsCommand(options, std::cout, std::cerr);
}

}  // namespace newsmon
