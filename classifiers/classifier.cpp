// The classifier: every term of every thread compiled into one index, so an item's text is
// normalised and tokenised once and each token costs a hash lookup (plus one per distinct
// prefix length) whatever the number of threads.
#include "classifiers/classifier.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "classifiers/text_internal.h"

namespace newsmon {
namespace {

enum class Kind : std::uint8_t { kScored, kRequired, kExcluded };

// One term of one group of one thread.
struct TermInfo {
  std::uint32_t thread = 0;
  Kind kind = Kind::kScored;
  std::uint32_t group = 0;  // index within the thread's groups of this kind
  double weight = 0;
  std::string text;  // as written in the thread file
};

// A distinct token sequence to look for, shared by every term that compiles to it.
struct Pattern {
  std::vector<text::TermWord> words;
  std::vector<std::uint32_t> terms;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using PatternIndex =
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>>;

struct Hit {
  std::uint32_t term;
  std::uint8_t field;  // 0 title, 1 summary
  int position;
};

constexpr const char* kFieldNames[] = {"title", "summary"};

class IndexedClassifier final : public Classifier {
 public:
  explicit IndexedClassifier(std::vector<ThreadDefinition> threads)
      : threads_(std::move(threads)) {}

  // Adds one thread's terms; they were validated before.
  void AddThread(std::uint32_t thread_index) {
    const ThreadDefinition& thread = threads_[thread_index];
    auto add_groups = [&](const std::vector<TermGroup>& groups, Kind kind) {
      for (std::uint32_t g = 0; g < groups.size(); ++g) {
        const TermGroup& group = groups[g];
        for (size_t t = 0; t < group.terms.size(); ++t) {
          const std::string& term = group.terms[t];
          // The same term twice in one group is one term.
          if (std::find(group.terms.begin(), group.terms.begin() + t, term) !=
              group.terms.begin() + t) {
            continue;
          }
          text::CompiledTerm compiled = text::CompileTerm(term);
          auto term_id = static_cast<std::uint32_t>(terms_.size());
          terms_.push_back(
              {thread_index, kind, g, kind == Kind::kScored ? group.weight : 0.0, term});
          for (std::vector<text::TermWord>& words : compiled.variants) {
            AddPattern(std::move(words), term_id);
          }
        }
      }
    };
    add_groups(thread.scored, Kind::kScored);
    add_groups(thread.required, Kind::kRequired);
    add_groups(thread.excluded, Kind::kExcluded);
  }

  void Finish() {
    for (const auto& [key, ids] : by_prefix_) prefix_lengths_.push_back(text::CodePoints(key));
    std::sort(prefix_lengths_.begin(), prefix_lengths_.end());
    prefix_lengths_.erase(std::unique(prefix_lengths_.begin(), prefix_lengths_.end()),
                          prefix_lengths_.end());
    dedupe_.clear();
  }

  std::vector<ThreadMatch> Classify(const Document& document) const override {
    std::vector<Hit> hits;
    FindHits(document.title, 0, hits);
    FindHits(document.summary, 1, hits);
    if (hits.empty()) return {};
    std::sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
      const std::uint32_t ta = terms_[a.term].thread, tb = terms_[b.term].thread;
      return std::tie(ta, a.field, a.position, a.term) < std::tie(tb, b.field, b.position, b.term);
    });
    hits.erase(std::unique(hits.begin(), hits.end(),
                           [](const Hit& a, const Hit& b) {
                             return a.term == b.term && a.field == b.field &&
                                    a.position == b.position;
                           }),
               hits.end());

    std::vector<ThreadMatch> matches;
    for (size_t begin = 0; begin < hits.size();) {
      size_t end = begin;
      const std::uint32_t thread = terms_[hits[begin].term].thread;
      while (end < hits.size() && terms_[hits[end].term].thread == thread) ++end;
      if (auto match = Evaluate(thread, hits.data() + begin, hits.data() + end)) {
        matches.push_back(std::move(*match));
      }
      begin = end;
    }
    return matches;
  }

  const std::vector<ThreadDefinition>& threads() const override { return threads_; }

 private:
  void AddPattern(std::vector<text::TermWord> words, std::uint32_t term_id) {
    auto [it, inserted] = dedupe_.try_emplace(words, static_cast<std::uint32_t>(patterns_.size()));
    if (inserted) {
      const text::TermWord& first = words.front();
      (first.prefix ? by_prefix_ : by_first_word_)[first.text].push_back(it->second);
      patterns_.push_back({std::move(words), {}});
    }
    std::vector<std::uint32_t>& terms = patterns_[it->second].terms;
    if (std::find(terms.begin(), terms.end(), term_id) == terms.end()) terms.push_back(term_id);
  }

  // Whether words[index..] of the pattern follow at word position `position`.
  static bool MatchesFrom(const Pattern& pattern, size_t index, const text::TokenizedText& text,
                          int position) {
    if (index == pattern.words.size()) return true;
    if (position >= text.words) return false;
    const text::TermWord& word = pattern.words[index];
    for (int k = text.first_at[position]; k < text.first_at[position + 1]; ++k) {
      const text::Token& token = text.tokens[k];
      if (word.prefix ? token.text.starts_with(word.text) : token.text == word.text) {
        if (MatchesFrom(pattern, index + 1, text, token.end)) return true;
      }
    }
    return false;
  }

  void FindHits(std::string_view field_text, std::uint8_t field, std::vector<Hit>& hits) const {
    if (field_text.empty()) return;
    const text::TokenizedText text = text::Tokenize(field_text);
    auto try_patterns = [&](const std::vector<std::uint32_t>& ids, const text::Token& token) {
      for (std::uint32_t id : ids) {
        const Pattern& pattern = patterns_[id];
        if (!MatchesFrom(pattern, 1, text, token.end)) continue;
        for (std::uint32_t term : pattern.terms) hits.push_back({term, field, token.begin});
      }
    };
    for (const text::Token& token : text.tokens) {
      if (auto it = by_first_word_.find(token.text); it != by_first_word_.end()) {
        try_patterns(it->second, token);
      }
      if (prefix_lengths_.empty()) continue;
      // Probe every prefix length that some pattern uses, at code point boundaries.
      const std::string& word = token.text;
      size_t bytes = 0;
      int code_points = 0;
      for (int length : prefix_lengths_) {
        while (code_points < length && bytes < word.size()) {
          ++bytes;
          while (bytes < word.size() && (static_cast<unsigned char>(word[bytes]) & 0xC0) == 0x80) {
            ++bytes;
          }
          ++code_points;
        }
        if (code_points < length) break;
        if (auto it = by_prefix_.find(std::string_view(word).substr(0, bytes));
            it != by_prefix_.end()) {
          try_patterns(it->second, token);
        }
      }
    }
  }

  // Hits of one thread, sorted by field (title first), position, term.
  std::optional<ThreadMatch> Evaluate(std::uint32_t thread_index, const Hit* begin,
                                      const Hit* end) const {
    const ThreadDefinition& thread = threads_[thread_index];
    std::vector<bool> required(thread.required.size(), false);
    // For each scored term: the hit that earns its credit, the first in the field with the
    // larger multiplier (so a negative weight also counts most in the title).
    std::unordered_map<std::uint32_t, const Hit*> credited;
    const double multipliers[] = {thread.title_weight, 1.0};
    for (const Hit* hit = begin; hit != end; ++hit) {
      const TermInfo& term = terms_[hit->term];
      switch (term.kind) {
        case Kind::kExcluded:
          return std::nullopt;
        case Kind::kRequired:
          required[term.group] = true;
          break;
        case Kind::kScored: {
          auto [it, inserted] = credited.try_emplace(hit->term, hit);
          if (!inserted && multipliers[hit->field] > multipliers[it->second->field]) {
            it->second = hit;
          }
          break;
        }
      }
    }
    if (std::find(required.begin(), required.end(), false) != required.end()) return std::nullopt;

    ThreadMatch match;
    match.thread = thread.id;
    match.threshold = thread.threshold;
    size_t run = 0;  // first evidence entry at the current field and position
    for (const Hit* hit = begin; hit != end; ++hit) {
      const TermInfo& term = terms_[hit->term];
      double weight = 0;
      if (auto it = credited.find(hit->term); it != credited.end() && it->second == hit) {
        weight = term.weight * multipliers[hit->field];
        match.score += weight;
      }
      if (hit == begin || hit[-1].field != hit->field || hit[-1].position != hit->position) {
        run = match.evidence.size();
      }
      // The same term in several groups (say scored and required) is one piece of evidence.
      auto same = std::find_if(match.evidence.begin() + run, match.evidence.end(),
                               [&](const MatchedTerm& e) { return e.term == term.text; });
      if (same != match.evidence.end()) {
        same->weight += weight;
      } else {
        match.evidence.push_back({term.text, kFieldNames[hit->field], hit->position, weight});
      }
    }
    // Tolerate rounding: 0.1 + 0.2 must reach a threshold of 0.3.
    if (match.score + 1e-9 < thread.threshold) return std::nullopt;
    return match;
  }

  std::vector<ThreadDefinition> threads_;
  std::vector<TermInfo> terms_;
  std::vector<Pattern> patterns_;
  PatternIndex by_first_word_;       // patterns by their first word, when it is exact
  PatternIndex by_prefix_;           // patterns by their first word, when it is a prefix
  std::vector<int> prefix_lengths_;  // distinct code point lengths of by_prefix_ keys, ascending
  std::map<std::vector<text::TermWord>, std::uint32_t> dedupe_;  // build only
};

std::string Where(const ThreadDefinition& thread, int line) {
  return (thread.source.empty() ? std::string("<thread>") : thread.source) + ":" +
         std::to_string(line) + ": ";
}

void CheckThread(const ThreadDefinition& thread, std::vector<std::string>& problems) {
  if (thread.id.empty()) problems.push_back(Where(thread, thread.line) + "thread has no id");
  if (!std::isfinite(thread.threshold) || thread.threshold <= 0) {
    problems.push_back(Where(thread, thread.line) + "thread '" + thread.id +
                       "': 'threshold' must be a number greater than 0");
  }
  if (!std::isfinite(thread.title_weight) || thread.title_weight <= 0) {
    problems.push_back(Where(thread, thread.line) + "thread '" + thread.id +
                       "': 'title_weight' must be a number greater than 0");
  }
  for (const auto* groups : {&thread.scored, &thread.required, &thread.excluded}) {
    for (const TermGroup& group : *groups) {
      if (groups == &thread.scored && (!std::isfinite(group.weight) || group.weight == 0)) {
        problems.push_back(Where(thread, group.line) + "'weight' must be a number other than 0");
      }
      if (group.terms.empty())
        problems.push_back(Where(thread, group.line) + "'terms' must not be empty");
      for (size_t t = 0; t < group.terms.size(); ++t) {
        text::CompiledTerm compiled = text::CompileTerm(group.terms[t]);
        if (compiled.error.empty()) continue;
        int line = t < group.term_lines.size() ? group.term_lines[t] : group.line;
        problems.push_back(Where(thread, line) + compiled.error);
      }
    }
  }
}

}  // namespace

Result<std::shared_ptr<const Classifier>> Classifier::Build(std::vector<ThreadDefinition> threads) {
  std::vector<std::string> problems;
  std::unordered_map<std::string, const ThreadDefinition*> seen;
  for (const ThreadDefinition& thread : threads) {
    CheckThread(thread, problems);
    if (thread.id.empty()) continue;
    auto [it, inserted] = seen.try_emplace(thread.id, &thread);
    if (!inserted) {
      const ThreadDefinition& first = *it->second;
      problems.push_back(Where(thread, thread.line) + "duplicate thread id '" + thread.id +
                         "' (also defined in " + first.source + ":" + std::to_string(first.line) +
                         ")");
    }
  }
  if (!problems.empty()) {
    std::string joined;
    for (const std::string& problem : problems) joined += (joined.empty() ? "" : "\n") + problem;
    return Status::Error(joined);
  }

  auto classifier = std::make_shared<IndexedClassifier>(std::move(threads));
  for (std::uint32_t i = 0; i < classifier->threads().size(); ++i) classifier->AddThread(i);
  classifier->Finish();
  return std::shared_ptr<const Classifier>(std::move(classifier));
}

}  // namespace newsmon
