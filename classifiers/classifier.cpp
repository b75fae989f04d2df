// The classifier: every term of every thread compiled into one index, so an item's text is
// normalised, tokenised and stemmed once and each token costs two probes (by text and by stem)
// plus one per distinct prefix length, whatever the number of threads. bench/classify-bench
// measures it: 1,000 threads cost under twice what 3 do, the difference being cache misses in
// the larger index, and tokenising and stemming take a third of the time per item. That leaves
// little for an Aho-Corasick automaton or Vectorscan to win, and they would still need the
// tokens for stems, wildcards and word positions, so the index stays a hash index (not
// measured against them).
#include "classifiers/classifier.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "classifiers/analysis.h"
#include "classifiers/hits.h"
#include "classifiers/text_internal.h"
#include "core/ascii.h"

namespace newsmon {
namespace {

enum class Kind : std::uint8_t { kScored, kRequired, kExcluded, kContext };

constexpr std::uint8_t kTitleBit = 1, kSummaryBit = 2;

// One group of one thread, as the matcher needs it.
struct GroupInfo {
  std::uint32_t thread = 0;
  Kind kind = Kind::kScored;
  std::uint32_t index = 0;  // within the thread's groups of this kind
  double weight = 0;        // scored groups only
  int within = 0;
  bool has_near = false;
  std::uint8_t fields = kTitleBit | kSummaryBit;
  text::Language language = text::Language::kUnknown;  // `lang`
  bool once = false;
};

// One term of one group: a term of its `terms` list or, when partner is set, of `near`.
struct TermInfo {
  std::uint32_t group = 0;
  bool partner = false;
  text::Language language = text::Language::kUnknown;  // the group's `lang`
  std::string text;                                    // as written in the thread file
  // The term whose credit this one earns: itself, or the first of its group that compiles to
  // the same words ("violate" and "violation" are one stem). Forms of one word may be listed
  // freely (docs/threads.md), and each earned the group's weight again at each further
  // occurrence of the word.
  std::uint32_t credit_term = 0;
};

// A distinct token sequence to look for, shared by every term that compiles to it.
struct Pattern {
  std::vector<text::TermWord> words;
  std::vector<std::uint32_t> terms;
  std::uint32_t first_target = 0;  // its terms in IndexedClassifier::targets_, from Finish
};

// What a hit on a pattern is for, one per term, copied side by side from the term and its
// group so that a hit reads one array rather than two tables of larger records.
struct Target {
  std::uint32_t term = 0;
  std::uint32_t thread = 0;
  text::Language language = text::Language::kUnknown;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using PatternIndex =
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>>;

// An evaluation's outcome so far; the first reason a thread fails is the one reported.
struct Verdict {
  explicit Verdict(bool explaining) : explain(explaining) {}

  ThreadExplanation result;
  bool explain;

  // Records why the thread fails and returns whether to stop: only an explanation goes on.
  bool Fail(std::string reason) {
    if (result.reason.empty()) result.reason = std::move(reason);
    return !explain;
  }
};

// For each scored term (or group, for a group counted once): the hit that earns its credit,
// the first in the field with the larger multiplier (so a negative weight also counts most
// in the title). Few entries: a linear search will do.
using Credits = std::vector<std::pair<std::uint64_t, const Hit*>>;

// What one thread's qualifying hits amount to, before scoring.
struct Tally {
  explicit Tally(size_t require_groups) : required(require_groups, false) {}

  std::vector<bool> required;  // per require group: whether it has a hit
  std::vector<const Hit*> context_hits;
  std::vector<const Hit*> positive_hits;  // qualifying hits of positive scored terms
  Credits credited;
};

constexpr const char* kFieldNames[] = {"title", "summary"};

// Whether a group written for `wanted` applies to an item detected as `item`.
bool LanguageFits(text::Language wanted, text::Language item) {
  using text::Language;
  switch (wanted) {
    case Language::kUnknown:
      return true;
    case Language::kEnglish:
      return item == Language::kEnglish || item == Language::kUnknown;
    case Language::kUkrainian:
    case Language::kRussian:
      return item == wanted || item == Language::kCyrillic || item == Language::kUnknown;
    case Language::kCyrillic:
      break;
  }
  return true;
}

std::uint8_t FieldBits(const std::vector<std::string>& fields) {
  if (fields.empty()) return kTitleBit | kSummaryBit;
  std::uint8_t bits = 0;
  for (const std::string& field : fields) bits |= field == "title" ? kTitleBit : kSummaryBit;
  return bits;
}

// Keys of the three indexes also go into one bitset (a Bloom filter with one hash function),
// so the many probes that find nothing (most words, most prefix lengths) cost a hash computed
// incrementally over the word and one bit test in a table that stays in cache, rather than a
// std::hash of each prefix and a walk through a large hash table. This keeps the cost per word
// nearly flat from 3 to 1,000 threads.
enum class IndexKind : std::uint64_t { kExact = 1, kStem = 2, kPrefix = 3 };

constexpr std::uint64_t HashSeed(IndexKind kind) {
  return kFnvOffsetBasis ^ (static_cast<std::uint64_t>(kind) * 0x9e3779b97f4a7c15ULL);
}

constexpr std::uint64_t HashStep(std::uint64_t hash, unsigned char byte) {
  return Fnv1aStep(hash, byte);
}

std::uint64_t Hash(IndexKind kind, std::string_view key) {
  std::uint64_t hash = HashSeed(kind);
  for (unsigned char byte : key) hash = HashStep(hash, byte);
  return hash;
}

class KeyFilter {
 public:
  void Reset(size_t keys) {
    size_t bits = 1 << 12;
    while (bits < keys * 16) bits <<= 1;  // about 1 false positive in 16
    words_.assign(bits / 64, 0);
    mask_ = bits - 1;
  }
  void Add(std::uint64_t hash) {
    const std::uint64_t bit = Mix(hash) & mask_;
    words_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  bool MayContain(std::uint64_t hash) const {
    const std::uint64_t bit = Mix(hash) & mask_;
    return (words_[bit / 64] >> (bit % 64)) & 1;
  }

 private:
  static std::uint64_t Mix(std::uint64_t hash) {
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    return hash ^ (hash >> 33);
  }
  std::vector<std::uint64_t> words_;
  std::uint64_t mask_ = 0;
};

// Pattern ids by index kind and key, in one open-addressing table probed with the hash the
// KeyFilter was probed with. With 1,000 threads, std::unordered_map's bucket, node and key
// string were each a cache miss per probe, and the part of the cost that grows with the
// number of threads is cache misses (docs/performance.md, "Classification").
class KeyIndex {
 public:
  void Add(IndexKind kind, std::string_view key, std::uint64_t hash,
           const std::vector<std::uint32_t>& ids) {
    entries_.push_back({hash, Store(kind, key), static_cast<std::uint32_t>(key.size() + 1),
                        static_cast<std::uint32_t>(ids_.size()),
                        static_cast<std::uint32_t>(ids.size())});
    ids_.insert(ids_.end(), ids.begin(), ids.end());
  }

  // After the last Add.
  void Finish() {
    size_t size = 16;
    while (size < 2 * entries_.size()) size <<= 1;
    slots_.assign(size, Slot{});
    for (const Slot& entry : entries_) {
      size_t i = entry.hash & (size - 1);
      while (slots_[i].id_count != 0) i = (i + 1) & (size - 1);
      slots_[i] = entry;
    }
    std::vector<Slot>().swap(entries_);  // `= {}` would keep the capacity
  }

  // The pattern ids of the key; empty when there are none.
  std::pair<const std::uint32_t*, const std::uint32_t*> Find(IndexKind kind,
                                                             std::string_view key,
                                                             std::uint64_t hash) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.id_count == 0) return {nullptr, nullptr};
      if (slot.hash == hash && slot.key_size == key.size() + 1 &&
          keys_[slot.key] == static_cast<char>(kind) &&
          std::string_view(keys_).substr(slot.key + 1, key.size()) == key) {
        const std::uint32_t* ids = ids_.data() + slot.ids;
        return {ids, ids + slot.id_count};
      }
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t key = 0;       // in keys_: the kind as one byte, then the key
    std::uint32_t key_size = 0;  // with the kind's byte
    std::uint32_t ids = 0;       // first in ids_
    std::uint32_t id_count = 0;  // 0: an empty slot (every key has a pattern)
  };

  std::uint32_t Store(IndexKind kind, std::string_view key) {
    const auto at = static_cast<std::uint32_t>(keys_.size());
    keys_ += static_cast<char>(kind);
    keys_ += key;
    return at;
  }

  std::vector<Slot> entries_;  // build only
  std::vector<Slot> slots_;    // a power of two, at most half full
  std::string keys_;
  std::vector<std::uint32_t> ids_;
};

class IndexedClassifier final : public Classifier {
 public:
  explicit IndexedClassifier(std::vector<ThreadDefinition> threads)
      : threads_(std::move(threads)) {}

  // Adds one thread's terms; they were validated before.
  void AddThread(std::uint32_t thread_index) {
    const ThreadDefinition& thread = threads_[thread_index];
    auto add_terms = [&](const std::vector<std::string>& terms, std::uint32_t group_id,
                         const TermGroup& group, bool partner) {
      const text::TermOptions options{text::LanguageFromCode(group.lang), group.stem};
      std::unordered_set<std::string_view> seen;  // a search of the list made 80k terms take 4 s
      std::map<std::vector<std::vector<text::TermWord>>, std::uint32_t> credit_terms;
      for (const std::string& term : terms) {
        // The same term twice in one list is one term.
        if (!seen.insert(term).second) continue;
        text::CompiledTerm compiled = text::CompileTerm(term, options);
        auto term_id = static_cast<std::uint32_t>(terms_.size());
        const std::uint32_t credit_term =
            credit_terms.emplace(compiled.variants, term_id).first->second;
        terms_.push_back({group_id, partner, options.language, term, credit_term});
        for (std::vector<text::TermWord>& words : compiled.variants) {
          AddPattern(std::move(words), term_id);
        }
      }
    };
    auto add_groups = [&](const std::vector<TermGroup>& groups, Kind kind) {
      for (std::uint32_t g = 0; g < groups.size(); ++g) {
        const TermGroup& group = groups[g];
        auto group_id = static_cast<std::uint32_t>(groups_.size());
        groups_.push_back({thread_index, kind, g, kind == Kind::kScored ? group.weight : 0.0,
                           group.within, !group.near.empty(), FieldBits(group.fields),
                           text::LanguageFromCode(group.lang), group.once});
        if (kind == Kind::kRequired) required_groups_.back().push_back(group_id);
        if (kind == Kind::kContext) context_groups_.back().push_back(group_id);
        add_terms(group.terms, group_id, group, false);
        add_terms(group.near, group_id, group, true);
      }
    };
    required_groups_.emplace_back();
    context_groups_.emplace_back();
    add_groups(thread.scored, Kind::kScored);
    add_groups(thread.required, Kind::kRequired);
    add_groups(thread.excluded, Kind::kExcluded);
    add_groups(thread.context, Kind::kContext);
  }

  void Finish() {
    filter_.Reset(by_exact_.size() + by_stem_.size() + by_prefix_.size());
    for (auto [kind, index] : {std::pair{IndexKind::kExact, &by_exact_},
                               {IndexKind::kStem, &by_stem_}, {IndexKind::kPrefix, &by_prefix_}}) {
      for (const auto& [key, ids] : *index) {
        const std::uint64_t hash = Hash(kind, key);
        filter_.Add(hash);
        index_.Add(kind, key, hash, ids);
        if (kind == IndexKind::kPrefix) prefix_lengths_.push_back(text::CodePoints(key));
      }
      *index = PatternIndex();  // `= {}` would keep the buckets
    }
    index_.Finish();
    std::sort(prefix_lengths_.begin(), prefix_lengths_.end());
    prefix_lengths_.erase(std::unique(prefix_lengths_.begin(), prefix_lengths_.end()),
                          prefix_lengths_.end());
    for (Pattern& pattern : patterns_) {
      pattern.first_target = static_cast<std::uint32_t>(targets_.size());
      for (std::uint32_t term : pattern.terms) {
        const TermInfo& info = terms_[term];
        targets_.push_back({term, groups_[info.group].thread, info.language});
      }
    }
    dedupe_.clear();
  }

  std::vector<ThreadMatch> Classify(const Analysis& analysis) const override {
    std::vector<ThreadMatch> matches;
    Run(analysis.text(), false,
        [&](ThreadExplanation&& explanation) { matches.push_back(std::move(explanation.match)); });
    return matches;
  }

  std::vector<ThreadExplanation> Explain(const Document& document) const override {
    std::vector<ThreadExplanation> explanations;
    Run(Analysis(document).text(), true,
        [&](ThreadExplanation&& explanation) { explanations.push_back(std::move(explanation)); });
    return explanations;
  }

  const std::vector<ThreadDefinition>& threads() const override { return threads_; }

 private:
  // Finds every hit in the document and evaluates each thread that has one, in thread order.
  template <typename Sink>
  void Run(const text::AnalysedText& analysed, bool explain, Sink sink) const {
    const text::Language language = analysed.language;
    std::vector<Hit> hits;
    FindHits(analysed.title, 0, language, hits);
    FindHits(analysed.summary, 1, language, hits);
    if (hits.empty()) return;
    SortUniqueHits(hits);
    for (size_t begin = 0; begin < hits.size();) {
      size_t end = begin;
      const std::uint32_t thread = hits[begin].thread;
      while (end < hits.size() && hits[end].thread == thread) ++end;
      auto result = Evaluate(thread, hits.data() + begin, hits.data() + end, language, explain);
      if (result && (explain || result->matched)) sink(std::move(*result));
      begin = end;
    }
  }

  void AddPattern(std::vector<text::TermWord> words, std::uint32_t term_id) {
    auto [it, inserted] = dedupe_.try_emplace(words, static_cast<std::uint32_t>(patterns_.size()));
    if (inserted) {
      const text::TermWord& first = words.front();
      switch (first.match) {
        case text::WordMatch::kExact:
          by_exact_[first.text].push_back(it->second);
          break;
        case text::WordMatch::kStem:
          by_stem_[first.text].push_back(it->second);
          break;
        case text::WordMatch::kPrefix:
        case text::WordMatch::kPattern:
          by_prefix_[std::string(text::LiteralHead(first))].push_back(it->second);
          break;
      }
      patterns_.push_back({std::move(words), {}});
    }
    // Term ids only grow and a term adds all its variants at once, so a repeat is the last one.
    std::vector<std::uint32_t>& terms = patterns_[it->second].terms;
    if (terms.empty() || terms.back() != term_id) terms.push_back(term_id);
  }

  // Whether words[index..] of the pattern follow at word position `position`.
  static bool MatchesFrom(const Pattern& pattern, size_t index, const text::TokenizedText& text,
                          int position) {
    if (index == pattern.words.size()) return true;
    if (position >= text.words) return false;
    const text::TermWord& word = pattern.words[index];
    for (int k = text.first_at[position]; k < text.first_at[position + 1]; ++k) {
      const text::Token& token = text.tokens[k];
      if (text::WordMatches(word, token) && MatchesFrom(pattern, index + 1, text, token.end)) {
        return true;
      }
    }
    return false;
  }

  // Every term hit in one field: each token costs one lookup by text, one by stem and one per
  // distinct prefix length in use, whatever the number of threads.
  void FindHits(const text::TokenizedText& text, std::uint8_t field, text::Language language,
                std::vector<Hit>& hits) const {
    auto try_patterns = [&](IndexKind kind, std::string_view key, std::uint64_t hash,
                            const text::Token& token) {
      const auto [begin, end] = index_.Find(kind, key, hash);
      for (const std::uint32_t* id = begin; id != end; ++id) {
        const Pattern& pattern = patterns_[*id];
        // The first word was found by its key; patterns must still check the whole word.
        if (!text::WordMatches(pattern.words[0], token)) continue;
        if (!MatchesFrom(pattern, 1, text, token.end)) continue;
        const Target* target = targets_.data() + pattern.first_target;
        for (const Target* last = target + pattern.terms.size(); target != last; ++target) {
          if (LanguageFits(target->language, language)) {
            hits.push_back({target->thread, target->term, field, token.begin});
          }
        }
      }
    };
    for (const text::Token& token : text.tokens) {
      if (const std::uint64_t hash = Hash(IndexKind::kExact, token.text);
          filter_.MayContain(hash)) {
        try_patterns(IndexKind::kExact, token.text, hash, token);
      }
      if (!token.stem.empty()) {
        if (const std::uint64_t hash = Hash(IndexKind::kStem, token.stem);
            filter_.MayContain(hash)) {
          try_patterns(IndexKind::kStem, token.stem, hash, token);
        }
      }
      if (prefix_lengths_.empty()) continue;
      // Probe every prefix length that some pattern uses, at code point boundaries, hashing
      // the word once from its start.
      const std::string& word = token.text;
      std::uint64_t hash = HashSeed(IndexKind::kPrefix);
      size_t bytes = 0;
      int code_points = 0;
      for (int length : prefix_lengths_) {
        while (code_points < length && bytes < word.size()) {
          hash = HashStep(hash, static_cast<unsigned char>(word[bytes++]));
          while (bytes < word.size() && (static_cast<unsigned char>(word[bytes]) & 0xC0) == 0x80) {
            hash = HashStep(hash, static_cast<unsigned char>(word[bytes++]));
          }
          ++code_points;
        }
        if (code_points < length) break;
        if (!filter_.MayContain(hash)) continue;
        try_patterns(IndexKind::kPrefix, std::string_view(word).substr(0, bytes), hash, token);
      }
    }
  }

  // A quick check without allocations that rules out most threads with a stray hit or two:
  // every applicable require group needs some hit, and the score can be at most the sum of
  // every positive hit at the larger field weight. (Proximity and fields only take hits away.)
  bool MayMatch(std::uint32_t thread_index, const Hit* begin, const Hit* end,
                text::Language language) const {
    const ThreadDefinition& thread = threads_[thread_index];
    const double best = std::max(thread.title_weight, thread.summary_weight);
    double bound = 0;
    std::uint64_t required = 0;
    const std::vector<std::uint32_t>& required_groups = required_groups_[thread_index];
    for (size_t i = 0; i < required_groups.size() && i < 64; ++i) {
      if (!LanguageFits(groups_[required_groups[i]].language, language)) {
        required |= std::uint64_t{1} << i;
      }
    }
    for (const Hit* hit = begin; hit != end; ++hit) {
      const TermInfo& term = terms_[hit->term];
      if (term.partner) continue;
      const GroupInfo& group = groups_[term.group];
      if (group.kind == Kind::kScored && group.weight > 0) bound += group.weight * best;
      if (group.kind == Kind::kRequired && group.index < 64) {
        required |= std::uint64_t{1} << group.index;
      }
    }
    const size_t groups = std::min<size_t>(required_groups.size(), 64);
    const std::uint64_t all = groups == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << groups) - 1;
    return required == all && bound + 1e-9 >= thread.threshold;
  }

  static std::string GroupLabel(const char* kind, const TermGroup& group) {
    std::string label = std::string("[[thread.") + kind + "]] group ";
    if (!group.name.empty()) return label + "'" + group.name + "'";
    return label + "at line " + std::to_string(group.line);
  }

  // Hits of one thread, sorted by field (title first), position, term. Without `explain`,
  // returns nothing as soon as the thread cannot match; with it, carries on and says why.
  std::optional<ThreadExplanation> Evaluate(std::uint32_t thread_index, const Hit* begin,
                                            const Hit* end, text::Language language,
                                            bool explain) const {
    const ThreadDefinition& thread = threads_[thread_index];
    if (!explain && !MayMatch(thread_index, begin, end, language)) return std::nullopt;
    Verdict verdict(explain);
    Tally tally(thread.required.size());
    if (TallyHits(thread, begin, end, tally, verdict) ||
        CheckRequireGroups(thread_index, tally.required, language, verdict) ||
        CheckContextGroups(thread_index, tally, language, verdict)) {
      return std::nullopt;
    }
    ThreadMatch& match = verdict.result.match;
    ScoreHits(thread, begin, end, tally.credited, match);
    if (CheckThreshold(thread, match.score, verdict)) return std::nullopt;
    verdict.result.matched = verdict.result.reason.empty();
    return std::move(verdict.result);
  }

  // The pass over a thread's qualifying hits that sorts them by group kind and credits the
  // scored ones. Returns whether to stop (see Verdict::Fail): an exclude group was hit.
  bool TallyHits(const ThreadDefinition& thread, const Hit* begin, const Hit* end, Tally& tally,
                 Verdict& verdict) const {
    const double multipliers[] = {thread.title_weight, thread.summary_weight};
    const std::vector<PartnerPlace> partners = PartnerPlaces(begin, end);
    for (const Hit* hit = begin; hit != end; ++hit) {
      if (!Qualifies(*hit, partners)) continue;
      const GroupInfo& group = groups_[terms_[hit->term].group];
      switch (group.kind) {
        case Kind::kExcluded:
          if (verdict.Fail("excluded by '" + terms_[hit->term].text + "' (" +
                           GroupLabel("exclude", thread.excluded[group.index]) + ")")) {
            return true;
          }
          break;
        case Kind::kRequired:
          tally.required[group.index] = true;
          break;
        case Kind::kContext:
          tally.context_hits.push_back(hit);
          break;
        case Kind::kScored:
          if (group.weight > 0) tally.positive_hits.push_back(hit);
          Credit(hit, multipliers, tally.credited);
          break;
      }
    }
    return false;
  }

  bool InFields(const Hit& hit) const {
    return (groups_[terms_[hit.term].group].fields & (1u << hit.field)) != 0;
  }

  // Where a `near` term hit, which a group with `near` needs next to its own hits: sorted and
  // without repeats, so that whether a hit has one close is a binary search. Scanning every
  // partner for every hit made an item of a few thousand repeated words cost seconds of the
  // loop (docs/reliability.md).
  struct PartnerPlace {
    std::uint32_t group;
    std::uint8_t field;
    int position;
    auto operator<=>(const PartnerPlace&) const = default;
  };

  std::vector<PartnerPlace> PartnerPlaces(const Hit* begin, const Hit* end) const {
    std::vector<PartnerPlace> places;
    for (const Hit* hit = begin; hit != end; ++hit) {
      if (terms_[hit->term].partner && InFields(*hit)) {
        places.push_back({terms_[hit->term].group, hit->field, hit->position});
      }
    }
    std::sort(places.begin(), places.end());
    places.erase(std::unique(places.begin(), places.end()), places.end());
    return places;
  }

  // Proximity: a hit of a group with `near` counts only next to a partner of that group.
  bool Qualifies(const Hit& hit, const std::vector<PartnerPlace>& partners) const {
    const TermInfo& term = terms_[hit.term];
    if (term.partner || !InFields(hit)) return false;
    const GroupInfo& group = groups_[term.group];
    if (!group.has_near) return true;
    // At most two steps: places are unique, and only one can be at the hit's own position.
    for (auto place =
             std::lower_bound(partners.begin(), partners.end(),
                              PartnerPlace{term.group, hit.field, hit.position - group.within});
         place != partners.end() && place->group == term.group && place->field == hit.field &&
         place->position <= hit.position + group.within;
         ++place) {
      if (place->position != hit.position) return true;
    }
    return false;
  }

  // Terms earn a credit each, except in a group counted once, which earns one as a whole.
  std::uint64_t CreditKey(std::uint32_t term) const {
    const std::uint32_t group = terms_[term].group;
    return groups_[group].once ? (std::uint64_t{1} << 32) | group
                               : std::uint64_t{terms_[term].credit_term};
  }

  Credits::iterator FindCredit(Credits& credited, std::uint32_t term) const {
    const std::uint64_t key = CreditKey(term);
    return std::find_if(credited.begin(), credited.end(),
                        [&](const auto& entry) { return entry.first == key; });
  }

  // The hit that earns the credit of `term`, or null.
  const Hit* CreditedHit(const Credits& credited, std::uint32_t term) const {
    const std::uint64_t key = CreditKey(term);
    auto it = std::find_if(credited.begin(), credited.end(),
                           [&](const auto& entry) { return entry.first == key; });
    return it == credited.end() ? nullptr : it->second;
  }

  // Gives the credit of a scored hit's term to that hit, or moves it there from a hit in a
  // field with a smaller multiplier.
  void Credit(const Hit* hit, const double multipliers[2], Credits& credited) const {
    auto it = FindCredit(credited, hit->term);
    // One word earns a group's weight once: "negotiation", "negotiator" and
    // "negotiating" share a stem, so all three hit "negotiations" at one position.
    const bool word_taken = std::any_of(credited.begin(), credited.end(), [&](const auto& e) {
      return terms_[e.second->term].group == terms_[hit->term].group &&
             e.second->field == hit->field && e.second->position == hit->position;
    });
    if (it == credited.end() && word_taken) return;
    if (it == credited.end()) {
      credited.emplace_back(CreditKey(hit->term), hit);
    } else if (multipliers[hit->field] > multipliers[it->second->field] && !word_taken) {
      it->second = hit;  // the term earns at its better field, if that word is free
    }
  }

  // Require and context groups written for another language do not apply to this item.
  // Both checks return whether to stop (see Verdict::Fail).
  bool CheckRequireGroups(std::uint32_t thread_index, const std::vector<bool>& required,
                          text::Language language, Verdict& verdict) const {
    const ThreadDefinition& thread = threads_[thread_index];
    for (size_t r = 0; r < required.size(); ++r) {
      if (required[r] ||
          !LanguageFits(groups_[required_groups_[thread_index][r]].language, language)) {
        continue;
      }
      if (verdict.Fail("no hit of the " + GroupLabel("require", thread.required[r]))) return true;
    }
    return false;
  }

  bool CheckContextGroups(std::uint32_t thread_index, const Tally& tally, text::Language language,
                          Verdict& verdict) const {
    const ThreadDefinition& thread = threads_[thread_index];
    for (std::uint32_t c = 0; c < thread.context.size(); ++c) {
      if (!LanguageFits(groups_[context_groups_[thread_index][c]].language, language)) continue;
      const int within = thread.context[c].within;
      if (HasContextHit(c, within, tally)) continue;
      std::string reason = "no hit of the " + GroupLabel("context", thread.context[c]);
      if (within > 0) {
        reason += " in the title or within " + std::to_string(within) + " words of a scored term";
      }
      if (verdict.Fail(std::move(reason))) return true;
    }
    return false;
  }

  // Whether context group `c` (by index within the thread) has a hit that counts. A headline
  // sets the context for the whole item; in the summary the context must be within `within`
  // words of a positive scored hit. Those are in hit order (by field, then position), so the
  // nearest is a binary search rather than a pass over all of them for each context hit.
  bool HasContextHit(std::uint32_t c, int within, const Tally& tally) const {
    const auto& scored = tally.positive_hits;
    const bool scored_in_title = !scored.empty() && scored.front()->field == 0;
    auto close = [&](const Hit* context) {
      if (within == 0 || context->field == 0 || scored_in_title) return true;
      auto nearest = std::lower_bound(
          scored.begin(), scored.end(), std::pair(context->field, context->position - within),
          [](const Hit* hit, const std::pair<std::uint8_t, int>& place) {
            return std::pair(hit->field, hit->position) < place;
          });
      return nearest != scored.end() && (*nearest)->field == context->field &&
             (*nearest)->position <= context->position + within;
    };
    return std::any_of(tally.context_hits.begin(), tally.context_hits.end(), [&](const Hit* hit) {
      return groups_[terms_[hit->term].group].index == c && close(hit);
    });
  }

  // The score (each credited hit's weight at its field's multiplier) and the evidence: every
  // hit in order, the same term at one word listed once.
  void ScoreHits(const ThreadDefinition& thread, const Hit* begin, const Hit* end,
                 const Credits& credited, ThreadMatch& match) const {
    const double multipliers[] = {thread.title_weight, thread.summary_weight};
    match.thread = thread.id;
    match.threshold = thread.threshold;
    size_t run = 0;  // first evidence entry at the current field and position
    for (const Hit* hit = begin; hit != end; ++hit) {
      const TermInfo& term = terms_[hit->term];
      double weight = 0;
      if (CreditedHit(credited, hit->term) == hit) {
        weight = groups_[term.group].weight * multipliers[hit->field];
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
  }

  // Returns whether to stop (see Verdict::Fail).
  static bool CheckThreshold(const ThreadDefinition& thread, double score, Verdict& verdict) {
    // Tolerate rounding: 0.1 + 0.2 must reach a threshold of 0.3.
    if (score + 1e-9 < thread.threshold) {
      char reason[96];
      std::snprintf(reason, sizeof reason, "score %g is below the threshold %g", score,
                    thread.threshold);
      return verdict.Fail(reason);
    }
    return false;
  }

  std::vector<ThreadDefinition> threads_;
  std::vector<GroupInfo> groups_;
  std::vector<std::vector<std::uint32_t>> required_groups_;  // per thread: group ids, in order
  std::vector<std::vector<std::uint32_t>> context_groups_;   // per thread: group ids, in order
  std::vector<TermInfo> terms_;
  std::vector<Pattern> patterns_;
  std::vector<Target> targets_;      // each pattern's terms, from Finish
  // Build only, then moved into index_: patterns by their first word when it matches exactly,
  // by stem, and by the literal head of a prefix or pattern word.
  PatternIndex by_exact_, by_stem_, by_prefix_;
  KeyIndex index_;
  std::vector<int> prefix_lengths_;  // distinct code point lengths of prefix keys, ascending
  KeyFilter filter_;                 // every key of the three indexes
  std::map<std::vector<text::TermWord>, std::uint32_t> dedupe_;  // build only
};

std::string Where(const ThreadDefinition& thread, int line) {
  return (thread.source.empty() ? std::string("<thread>") : thread.source) + ":" +
         std::to_string(line) + ": ";
}

void CheckTerms(const ThreadDefinition& thread, const TermGroup& group,
                const std::vector<std::string>& terms, const std::vector<int>& lines,
                std::vector<std::string>& problems) {
  const text::TermOptions options{text::LanguageFromCode(group.lang), group.stem};
  for (size_t t = 0; t < terms.size(); ++t) {
    const int line = t < lines.size() ? lines[t] : group.line;
    if (terms[t].size() > 1 && terms[t].front() == '@') {
      problems.push_back(Where(thread, line) + "group reference '" + terms[t] +
                         "' was not resolved (references work in thread files)");
      continue;
    }
    text::CompiledTerm compiled = text::CompileTerm(terms[t], options);
    if (!compiled.error.empty()) problems.push_back(Where(thread, line) + compiled.error);
  }
}

void CheckThread(const ThreadDefinition& thread, std::vector<std::string>& problems) {
  if (thread.id.empty()) problems.push_back(Where(thread, thread.line) + "thread has no id");
  if (!std::isfinite(thread.threshold) || thread.threshold <= 0) {
    problems.push_back(Where(thread, thread.line) + "thread '" + thread.id +
                       "': 'threshold' must be a number greater than 0");
  }
  for (auto [value, key] : {std::pair{thread.title_weight, "title_weight"},
                            std::pair{thread.summary_weight, "summary_weight"}}) {
    if (!std::isfinite(value) || value <= 0) {
      problems.push_back(Where(thread, thread.line) + "thread '" + thread.id + "': '" + key +
                         "' must be a number greater than 0");
    }
  }
  for (const auto* groups : {&thread.scored, &thread.required, &thread.excluded, &thread.context}) {
    for (const TermGroup& group : *groups) {
      const std::string where = Where(thread, group.line);
      if (groups == &thread.scored && (!std::isfinite(group.weight) || group.weight == 0)) {
        problems.push_back(where + "'weight' must be a number other than 0");
      }
      if (group.terms.empty()) problems.push_back(where + "'terms' must not be empty");
      if (!group.lang.empty() && text::LanguageFromCode(group.lang) == text::Language::kUnknown) {
        problems.push_back(where + "'lang' must be \"en\", \"uk\" or \"ru\", not '" + group.lang +
                           "'");
      }
      for (const std::string& field : group.fields) {
        if (field != "title" && field != "summary") {
          problems.push_back(where + "'fields' entries must be \"title\" or \"summary\"");
        }
      }
      if (group.within < 0 || group.within > 1000) {
        problems.push_back(where + "'within' must be a whole number of words from 1 to 1000");
      }
      if (groups == &thread.context) {
        if (!group.near.empty()) problems.push_back(where + "a context group takes no 'near'");
      } else if (group.near.empty() != (group.within == 0)) {
        problems.push_back(where + "'near' and 'within' go together");
      }
      CheckTerms(thread, group, group.terms, group.term_lines, problems);
      CheckTerms(thread, group, group.near, group.near_lines, problems);
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
    return Status::InvalidInput(joined);
  }

  auto classifier = std::make_shared<IndexedClassifier>(std::move(threads));
  for (std::uint32_t i = 0; i < classifier->threads().size(); ++i) classifier->AddThread(i);
  classifier->Finish();
  return std::shared_ptr<const Classifier>(std::move(classifier));
}

}  // namespace newsmon
