#include "classifiers/stories.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "classifiers/text_internal.h"
#include "core/ascii.h"

namespace newsmon {
namespace {

// Words that say nothing about which event an item reports. IDF learns these too, but only
// after a few hundred items; the list makes the first hour of a fresh daemon behave. Some are
// in two languages' lists.
constexpr std::string_view kFunctionWords[] = {
    // en
    "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "by", "with",
    "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its", "this",
    "that", "these", "those", "after", "before", "over", "into", "about", "says", "said", "say",
    "will", "would", "could", "can", "not", "no", "new", "more", "than", "up", "out", "who", "what",
    "why", "how", "when", "where", "which", "amid", "as", "he", "she", "they", "his", "her",
    "their", "we", "our", "you", "your", "i", "s", "us", "also", "just", "all", "some", "most",
    "one", "two", "first", "last", "year", "years", "day", "days", "week", "news", "live", "latest",
    "update", "updates", "report", "reports",
    // ru
    "и", "в", "во", "на", "с", "со", "к", "ко", "по", "за", "из", "от", "до", "о", "об", "для",
    "не", "что", "как", "это", "его", "ее", "их", "он", "она", "они", "но", "а", "же", "ли", "бы",
    "у", "при", "после", "над", "под", "или", "так", "также", "уже", "еще", "где", "когда", "чтобы",
    "который", "которые", "заявил", "заявила", "сообщил", "сообщает",
    // uk
    "і", "й", "та", "у", "з", "зі", "із", "до", "від", "про", "для", "не", "що", "як", "це", "він",
    "вона", "вони", "але", "або", "чи", "після", "під", "над", "також", "вже", "ще", "де", "коли",
    "щоб", "який", "які", "заявив", "заявила", "повідомив", "повідомляє"};

// Words are interned as small integers: a story's vectors are compared and summed many times
// per item, and hashing and copying the words' strings each time cost more than the rest of
// the clusterer together (bench/ingest-bench, docs/stories.md).
using WordId = std::uint32_t;
using Vector = std::vector<std::pair<WordId, double>>;  // sorted by word
struct Story;
// A story that has a word, and where the word's weight is in its centroid.
struct Posting {
  Story* story;  // stories_ is node-based: a story does not move while it is open
  std::uint32_t slot;
};

// What the clusterer knows of a word besides its text, side by side: weighing an item reads
// its words' counts, and looking for its stories then reads their postings, which the count
// brought into the cache with it (one cache miss per word, not two; docs/stories.md).
struct alignas(32) WordStats {
  double frequency = 0;  // of the items it was in, halved every kDecayEvery items
  std::vector<Posting> postings;
};

struct Member {
  Vector vector;
  double norm2 = 0;
};

struct Story {
  std::int64_t id = 0;
  std::int64_t first_active = 0;  // its first item's time (the first restored, after a restart)
  std::int64_t last_active = 0;
  // The members' vectors added up: weights by slot, slots by word. A word keeps its slot for
  // the story's life, so postings can point at the weight itself.
  std::vector<double> centroid;
  // Sorted by word: a join merges the item's sorted vector in one pass, where a hash map
  // allocated a node per new word and freed them all when the story closed.
  std::vector<std::pair<WordId, std::uint32_t>> slots;
  double norm2 = 0;
  // Scratch for Nearest: the dot product summed so far, valid while `visit` is its pass.
  double dot = 0;
  std::uint64_t visit = 0;
  // The most recent ones, for single-link similarity. Vectors rather than deques here and in
  // the postings: a deque allocates a 512-byte block for its first element, and most stories
  // and words have only a few (the allocations were a tenth of the clusterer's time).
  std::vector<Member> members;
  // Its items' canonical links, the first kStoryLinksKept of them: an item at one of them is
  // that article again (StoryAssignment::same_link), whichever feed carries it.
  std::vector<std::string> links;
};

// Word -> id, by open addressing: a probe of one flat array costs less than
// std::unordered_map's hash into a bucket and walk along node pointers, and restoring a window
// of 50,000 items interns a million words. It must never confuse two words, so it keeps the
// keys: one of up to 16 bytes (nearly every English word, Cyrillic ones up to eight letters)
// in its 32-byte slot, so that a probe is one cache miss, not one for the slot and one for a
// string of its own (bench/ingest-bench, docs/stories.md).
class WordTable {
 public:
  // Null when the word was never inserted.
  const WordId* Find(std::string_view word, std::uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& slot = slots_[i];
      if (slot.size == kEmpty) return nullptr;
      if (slot.hash == hash && slot.size == word.size() && Equals(slot, word)) return &slot.id;
    }
  }

  // `word` must not be in the table yet. Not inserted once the long keys' bytes would pass what
  // a slot's 32-bit offset reaches (4 GiB of words between two compactions).
  void Insert(std::string_view word, std::uint64_t hash, WordId id) {
    if (word.size() >= kEmpty - tails_.size()) return;
    if (2 * (used_ + 1) > slots_.size()) Rehash(std::max<std::size_t>(64, 2 * slots_.size()));
    Slot slot;
    slot.hash = hash;
    slot.id = id;
    slot.size = static_cast<std::uint32_t>(word.size());
    if (word.size() <= kHeadBytes) {
      std::copy(word.begin(), word.end(), slot.head);
    } else {
      std::copy_n(word.begin(), kLongHeadBytes, slot.head);
      const auto tail = static_cast<std::uint32_t>(tails_.size());
      std::memcpy(slot.head + kLongHeadBytes, &tail, sizeof tail);
      tails_.append(word.substr(kLongHeadBytes));
    }
    Place(slot);
    ++used_;
  }

  // Room for `keys` without growing.
  void Reserve(std::size_t keys) {
    const std::size_t size = std::bit_ceil(std::max<std::size_t>(64, 2 * keys));
    if (size > slots_.size()) Rehash(size);
  }

  // Keeps the table's size: the words come back after a compaction, and growing again by
  // doubling from empty would rehash them all several times over.
  void Clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    tails_.clear();
    used_ = 0;
  }

 private:
  static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t kHeadBytes = 16;
  // A longer key keeps this much in its slot, then where the rest starts in tails_.
  static constexpr std::size_t kLongHeadBytes = kHeadBytes - sizeof(std::uint32_t);
  struct Slot {
    std::uint64_t hash = 0;
    WordId id = 0;
    std::uint32_t size = kEmpty;  // the key's bytes; kEmpty: a free slot
    char head[kHeadBytes] = {};
  };
  static_assert(sizeof(Slot) == 32, "two slots to a cache line");

  bool Equals(const Slot& slot, std::string_view word) const {
    if (word.size() <= kHeadBytes) return std::equal(word.begin(), word.end(), slot.head);
    if (!std::equal(word.begin(), word.begin() + kLongHeadBytes, slot.head)) return false;
    std::uint32_t tail = 0;
    std::memcpy(&tail, slot.head + kLongHeadBytes, sizeof tail);
    return word.substr(kLongHeadBytes) ==
           std::string_view(tails_).substr(tail, word.size() - kLongHeadBytes);
  }

  void Rehash(std::size_t size) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(size, Slot{});
    for (const Slot& slot : old) {
      if (slot.size != kEmpty) Place(slot);
    }
  }

  void Place(const Slot& placed) {
    std::size_t i = placed.hash & (slots_.size() - 1);
    while (slots_[i].size != kEmpty) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = placed;
  }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::string tails_;        // long keys' bytes past their heads
  std::size_t used_ = 0;
};

// Token text -> word, in front of the WordTable: each token of each item is looked up here,
// one probe and so one cache miss (the table outgrows the cache) per token. A slot holds no
// key, only 32 bits of the token's 64-bit hash and the word, 8 bytes, so the table is a
// quarter of a WordTable and four times as many of its slots stay in the cache (16-byte slots
// of hash and length: ingest-bench 1.30 -> 1.26; 8 bytes: docs/stories.md). The slot a probe
// starts at is the hash's low bits, so two tokens read as one word only when the table puts
// them in one run of slots and the high halves of their hashes agree: for a new token about
// one chance in 2^32 per slot of its run (1.5 on average at most half full), 10^-5 over a
// day's 100,000 distinct tokens. It would cluster one item as if it had written the other
// word, as a feed could by writing it; words as restored go through the WordTable.
class TokenCache {
 public:
  // Null when no token of this hash was inserted.
  const WordId* Find(std::uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    const std::uint32_t tag = Tag(hash);
    for (std::size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& slot = slots_[i];
      if (slot.tag == kFree) return nullptr;
      if (slot.tag == tag) return &slot.word;
    }
  }

  // Asks for the cache line Find(hash) reads first, so that several look-ups' misses overlap.
  void Prefetch(std::uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }

  // No token of this hash may be in the cache yet.
  void Insert(std::uint64_t hash, WordId word) {
    if (2 * (used_ + 1) > slots_.size()) Rehash(std::max<std::size_t>(64, 2 * slots_.size()));
    Place(hash, word);
  }

  // Inserted, and kept through Clear and growth: the function words, so that a token the
  // cache does not know is never one.
  void Pin(std::uint64_t hash, WordId word) {
    if (Find(hash) == nullptr) Insert(hash, word);  // before pinned_ holds it: a rehash places
    pinned_.push_back({hash, word});                // the pinned ones, then Insert this one
  }

  // Room for `keys` without growing.
  void Reserve(std::size_t keys) {
    const std::size_t size = std::bit_ceil(std::max<std::size_t>(64, 2 * keys));
    if (size > slots_.size()) Rehash(size);
  }

  // All but the pinned; keeps the cache's size, as WordTable::Clear does.
  void Clear() { Rehash(slots_.size()); }

 private:
  static constexpr std::uint32_t kFree = 0;
  struct Slot {
    std::uint32_t tag = kFree;
    WordId word = 0;
  };
  static_assert(sizeof(Slot) == 8, "eight slots to a cache line");

  static std::uint32_t Tag(std::uint64_t hash) {
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    return tag == kFree ? 1 : tag;
  }

  // A slot keeps too little of its hash to be placed again in a table of another size, so a
  // rehash starts afresh from the pinned words; the rest come back as they are read, through
  // the WordTable. Only a cache past its reserve grows, and a compaction clears it anyway.
  void Rehash(std::size_t size) {
    // Never too small for the pinned words (a Clear before any Reserve asks for 0 slots).
    size = std::max(size, std::bit_ceil(std::max<std::size_t>(64, 4 * pinned_.size())));
    slots_.assign(size, Slot{});
    used_ = 0;
    for (const auto& [hash, word] : pinned_) {
      if (Find(hash) == nullptr) Place(hash, word);
    }
  }

  void Place(std::uint64_t hash, WordId word) {
    std::size_t i = hash & (slots_.size() - 1);
    while (slots_[i].tag != kFree) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = {Tag(hash), word};
    ++used_;
  }

  std::vector<std::pair<std::uint64_t, WordId>> pinned_;
  std::vector<Slot> slots_;  // a power of two, at most half full
  std::size_t used_ = 0;
};

double Norm2(const Vector& vector) {
  double sum = 0;
  for (const auto& [word, weight] : vector) sum += weight * weight;
  return sum;
}

// The dot product of a vector with another sorted by word: a member's own vector, or a story's
// slots, whose weights `weight_of` looks up in its centroid.
template <typename Sorted, typename WeightOf>
double SparseDot(const Vector& a, const Sorted& b, WeightOf weight_of) {
  double dot = 0;
  auto j = b.begin();
  for (auto i = a.begin(); i != a.end() && j != b.end();) {
    if (i->first < j->first) {
      ++i;
    } else if (j->first < i->first) {
      ++j;
    } else {
      dot += (i++)->second * weight_of((j++)->second);
    }
  }
  return dot;
}

double Cosine(const Vector& a, double a_norm2, const Vector& b, double b_norm2) {
  if (a_norm2 == 0 || b_norm2 == 0) return 0;
  return SparseDot(a, b, [](double weight) { return weight; }) / std::sqrt(a_norm2 * b_norm2);
}

// A token Words reads: its text's hash, and its weight (title or lead).
struct TokenRead {
  const text::Token* token;
  std::uint64_t hash;
  double weight;
};

class Clusterer final : public StoryClusterer {
 public:
  explicit Clusterer(const StoryOptions& options) : options_(options) {
    ReserveVocabulary();
    PinFunctionWords();
  }

  // Compaction renumbers the words, so it waits until the item is placed: the item's vector,
  // weighed before, holds the old numbers (docs/stories.md).
  StoryAssignment Add(const StoryItem& item) override {
    StoryAssignment assignment = Place(item);
    if (compact_due_) Compact();
    return assignment;
  }

  void Restore(const StoryItem& item, std::int64_t id) override {
    PlaceRestored(item, id);
    if (compact_due_) Compact();
  }

  void ReserveIdsThrough(std::int64_t id) override { last_id_ = std::max(last_id_, id); }

  std::size_t open_stories() const override { return stories_.size(); }

 private:
  StoryAssignment Place(const StoryItem& item) {
    Expire(item.published);
    std::string made;
    const std::string& link =
        item.canonical_link ? *item.canonical_link : (made = CanonicalLink(item.link));
    std::string written;
    Vector vector = Words(item, &written);
    Weigh(vector);
    Learn(vector);
    if (!link.empty()) {
      if (auto same = by_link_.find(link); same != by_link_.end()) {
        auto story = stories_.find(same->second);
        if (story != stories_.end() && Joinable(story->second, item.published)) {
          if (const auto similarity = LinkSimilarity(story->second, vector)) {
            Join(story->second, std::move(vector), link, item.published);
            return {story->second.id, false, *similarity, std::move(written), /*same_link=*/true};
          }
        }
      }
    }
    auto [best, similarity] = Nearest(vector, item.published);
    if (best != nullptr && similarity >= options_.threshold) {
      Join(*best, std::move(vector), link, item.published);
      return {best->id, false, similarity, std::move(written)};
    }
    return {Start(std::move(vector), link, item.published), true, 0.0, std::move(written)};
  }

  void PlaceRestored(const StoryItem& item, std::int64_t id) {
    Expire(item.published);
    std::optional<Vector> read = ReadWords(item.words);
    Vector vector = read ? std::move(*read) : Words(item, nullptr);
    Weigh(vector);
    Learn(vector);
    ReserveIdsThrough(id);
    const std::string link = CanonicalLink(item.link);
    if (auto story = stories_.find(id); story != stories_.end()) {
      Join(story->second, std::move(vector), link, item.published);
      return;
    }
    Open(id, std::move(vector), link, item.published);
  }

  // A daemon's vocabulary passes kVocabularyReserved within its first few thousand items and
  // stays above it (news-2025: 10,365 distinct tokens and 7,191 words in 2,659 items). Grown
  // from empty by doubling, the tables rehashed every key several times and touched fresh
  // pages all through the first hours: 2 µs of the clusterer's 8 per item over those 2,659
  // (bench/ingest-bench, docs/stories.md). About 3 MiB, allocated once.
  void ReserveVocabulary() {
    for (TokenCache& ids : token_ids_) ids.Reserve(kVocabularyReserved);
    ids_.Reserve(kVocabularyReserved);
    words_.reserve(kVocabularyReserved);
    word_stats_.reserve(kVocabularyReserved);
  }

  // The function words are in the token caches for good, as kFunctionWord: a token the
  // cache does not know is then never one, and needs no check against the list.
  void PinFunctionWords() {
    for (TokenCache& ids : token_ids_) {
      for (std::string_view word : kFunctionWords) ids.Pin(Fnv1a(word), kFunctionWord);
    }
  }

  WordId Intern(std::string_view word) {
    const std::uint64_t hash = Fnv1a(word);
    if (const WordId* found = ids_.Find(word, hash)) return *found;
    const auto id = static_cast<WordId>(words_.size());
    words_.emplace_back(word);
    word_stats_.emplace_back();
    ids_.Insert(word, hash, id);
    return id;
  }

  // The words of the title (weight 2) and of the lead (weight 1), each once, by stem. When
  // `written` is given, also writes them down for ReadWords (cleared if one cannot be).
  Vector Words(const StoryItem& item, std::string* written) {
    std::optional<Analysis> own;
    if (item.analysis == nullptr) own.emplace(Document{item.title, item.summary});
    const text::AnalysedText& analysed = (item.analysis ? *item.analysis : *own).text();
    auto& ids = token_ids_[analysed.language == text::Language::kUkrainian];
    tokens_.clear();
    Gather(analysed.title, 2.0, analysed.title.words, ids);
    Gather(analysed.summary, 1.0, std::min(analysed.summary.words, options_.lead_words), ids);
    Vector words;
    words.reserve(tokens_.size());
    if (written != nullptr) {
      written->reserve(kWrittenBytesPerToken * tokens_.size());
      written->assign(1, kWordsFormat);
    }
    for (const TokenRead& read : tokens_) AddWord(read, ids, words, written);
    return Unique(std::move(words));
  }

  static Vector Unique(Vector words) {
    std::sort(words.begin(), words.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    });
    words.erase(std::unique(words.begin(), words.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                words.end());  // keeps each word's highest weight, sorted first
    return words;
  }

  // The tokens to read, hashed, their table slots fetched ahead: each look-up misses the cache
  // (the table outgrows it), and asked for together the misses overlap instead of each waiting
  // for the one before (bench/ingest-bench, docs/stories.md).
  void Gather(const text::TokenizedText& tokens, double weight, int words, const TokenCache& ids) {
    for (int position = 0; position < words; ++position) {
      const text::Token& token = tokens.tokens[static_cast<std::size_t>(tokens.first_at[position])];
      if (token.text.size() < 2) continue;
      const std::uint64_t hash = Fnv1a(token.text);
      ids.Prefetch(hash);
      tokens_.push_back({&token, hash, weight});
    }
  }

  void AddWord(const TokenRead& read, TokenCache& ids, Vector& out, std::string* written) {
    const text::Token& token = *read.token;
    WordId id;
    if (const WordId* found = ids.Find(read.hash)) {
      id = *found;
    } else {
      id = Intern(token.stem.empty() ? token.text : token.stem);
      ids.Insert(read.hash, id);
    }
    if (id == kFunctionWord) return;
    out.push_back({id, read.weight});
    // The token's own stem is words_[id] (a token's text has one stem per table), without
    // reading words_, which would be one more cache miss per token.
    if (written != nullptr)
      Write(token.stem.empty() ? token.text : token.stem, read.weight, *written);
  }

  // Every word as it was read, repeats included and in order: interning them again in this
  // order gives every word the id that analysing the text would have given it, so the stories
  // rebuilt from them are the same to the last bit of every sum.
  static void Write(std::string_view word, double weight, std::string& written) {
    if (written.empty()) return;  // an earlier word could not be written
    if (word.find(kWordEnd) != std::string::npos) {
      written.clear();
      return;
    }
    written += weight > 1.0 ? kTitleWord : kLeadWord;
    written += word;
    written += kWordEnd;
  }

  // Words written by Write; nullopt for anything else (another format, a damaged value, or
  // none), which the caller reads from the text instead.
  std::optional<Vector> ReadWords(std::string_view written) {
    if (written.empty() || written.front() != kWordsFormat) return std::nullopt;
    written.remove_prefix(1);
    // Checked whole before any word is interned: interning half of a damaged value and then
    // analysing the text would number the words differently.
    std::vector<std::pair<std::string_view, double>> read;
    while (!written.empty()) {
      const char kind = written.front();
      const std::size_t end = written.find(kWordEnd);
      if ((kind != kTitleWord && kind != kLeadWord) || end == std::string_view::npos || end < 2) {
        return std::nullopt;
      }
      read.push_back({written.substr(1, end - 1), kind == kTitleWord ? 2.0 : 1.0});
      written.remove_prefix(end + 1);
    }
    Vector words;
    words.reserve(read.size());
    for (const auto& [word, weight] : read) words.push_back({Intern(word), weight});
    return Unique(std::move(words));
  }

  // Rarer words weigh more: log((N + prior) / (df + 1)), with a prior so that the first items
  // do not treat every word as rare.
  double Idf(WordId word) const {
    return std::log((documents_ + kIdfPrior) / (word_stats_[word].frequency + 1.0));
  }

  // Before Learn counts the item's own words.
  void Weigh(Vector& words) const {
    for (auto& [word, weight] : words) weight *= Idf(word);
  }

  // Counts decay by half every kDecayEvery items, so the table forgets the words of past
  // events; then words neither frequent nor in an open story leave the vocabulary, which keeps
  // it bounded however long the daemon runs.
  void Learn(const Vector& words) {  // reads only the words, not their weights
    for (const auto& [word, weight] : words) word_stats_[word].frequency += 1.0;
    documents_ += 1.0;
    if (++since_decay_ < kDecayEvery) return;
    since_decay_ = 0;
    documents_ /= 2;
    for (WordStats& stats : word_stats_) stats.frequency /= 2;
    compact_due_ = true;  // once the item being learnt from is placed
  }

  void Compact() {
    compact_due_ = false;
    std::vector<bool> keep(words_.size());
    for (std::size_t word = 0; word < words_.size(); ++word) {
      keep[word] = word_stats_[word].frequency >= 0.5;
    }
    for (const auto& [id, story] : stories_) {
      for (const auto& [word, slot] : story.slots) keep[word] = true;
    }
    // New ids in the old order, so that sorted vectors stay sorted.
    constexpr WordId kGone = std::numeric_limits<WordId>::max();
    std::vector<WordId> renumbered(words_.size(), kGone);
    std::vector<std::string> words;
    std::vector<WordStats> stats;
    ids_.Clear();
    for (auto& ids : token_ids_) ids.Clear();
    for (std::size_t word = 0; word < words_.size(); ++word) {
      if (!keep[word]) continue;
      renumbered[word] = static_cast<WordId>(words.size());
      ids_.Insert(words_[word], Fnv1a(words_[word]), renumbered[word]);
      words.push_back(std::move(words_[word]));
      stats.push_back(std::move(word_stats_[word]));
    }
    words_ = std::move(words);
    word_stats_ = std::move(stats);
    for (auto& [id, story] : stories_) {
      for (auto& [word, slot] : story.slots) word = renumbered[word];  // order kept
      for (Member& member : story.members) {
        for (auto& [word, weight] : member.vector) word = renumbered[word];
      }
    }
  }

  // How alike an item is to the story whose link it shares; nullopt when too little for one
  // article. A link shared by items whose words have little in common is not one article:
  // some feeds give every item their home page, or put the item's identity after a '#', which
  // canonical links drop. Without this, every report of such a feed joined its first item's
  // story. The similarity is the words', not 1: a live page's link carries one report after
  // another, and taken for copies, the later ones alerted nothing.
  std::optional<double> LinkSimilarity(const Story& story, const Vector& vector) const {
    const double norm2 = Norm2(vector);
    if (norm2 == 0 || story.norm2 <= 0) return 1.0;  // nothing to compare: trust the link
    double similarity =
        SparseDot(vector, story.slots, [&](std::uint32_t slot) { return story.centroid[slot]; }) /
        std::sqrt(norm2 * story.norm2);
    for (const Member& member : story.members) {
      similarity = std::max(similarity, Cosine(vector, norm2, member.vector, member.norm2));
    }
    if (similarity < options_.threshold / 2) return std::nullopt;
    return std::max(similarity, std::numeric_limits<double>::min());  // 0 means "started"
  }

  // The open story most similar to `vector`. The dot products with every story's centroid are
  // summed along the postings of the item's words (one step per shared word, none for the
  // words a story does not share); only the closest stories by centroid are then compared
  // member by member, since that costs a pass over up to kMaxMembers vectors each.
  // Stories no longer Joinable are closed even if Expire has not reached them yet: it closes
  // in the order items arrived, and a backlog item (a new feed, a feed back from downtime)
  // starts a story dated weeks before the items around it.
  std::pair<Story*, double> Nearest(const Vector& vector, std::int64_t now) {
    const double norm2 = Norm2(vector);
    if (norm2 == 0) return {nullptr, 0.0};
    ++visit_;
    std::vector<Story*>& sharing = sharing_;
    sharing.clear();
    for (const auto& [word, weight] : vector) {
      for (const Posting& posting : word_stats_[word].postings) {
        Story& story = *posting.story;
        if (story.visit != visit_) {
          story.visit = visit_;
          story.dot = 0;
          sharing.push_back(&story);
        }
        story.dot += weight * story.centroid[posting.slot];
      }
    }
    std::vector<std::pair<double, Story*>>& ranked = ranked_;
    ranked.clear();
    for (Story* story : sharing) {
      if (story->norm2 <= 0 || !Joinable(*story, now)) continue;
      ranked.push_back({story->dot / std::sqrt(norm2 * story->norm2), story});
    }
    const std::size_t compared = std::min(ranked.size(), kMembersCompared);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(compared),
                      ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    Story* best = nullptr;
    double best_similarity = 0;
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      auto [similarity, story] = ranked[i];
      // A story of one item is its centroid: most stories, and nothing to add for them.
      if (i < compared && story->members.size() > 1) {
        for (const Member& member : story->members) {
          similarity = std::max(similarity, Cosine(vector, norm2, member.vector, member.norm2));
        }
      }
      if (similarity > best_similarity) {
        best_similarity = similarity;
        best = story;
      }
    }
    return {best, best_similarity};
  }

  std::int64_t Start(Vector vector, const std::string& link, std::int64_t published) {
    const std::int64_t id = ++last_id_;
    Open(id, std::move(vector), link, published);
    return id;
  }

  void Open(std::int64_t id, Vector vector, const std::string& link, std::int64_t published) {
    Story& story = stories_[id];
    story.id = id;
    story.first_active = published;
    Join(story, std::move(vector), link, published);
  }

  void Join(Story& story, Vector vector, const std::string& link, std::int64_t published) {
    AddLink(story, link);
    std::vector<std::pair<WordId, std::uint32_t>> slots;
    slots.reserve(story.slots.size() + vector.size());
    story.centroid.reserve(story.centroid.size() + vector.size());
    auto kept = story.slots.begin();
    for (const auto& [word, weight] : vector) {
      while (kept != story.slots.end() && kept->first < word) slots.push_back(*kept++);
      std::uint32_t slot;
      if (kept != story.slots.end() && kept->first == word) {
        slot = (kept++)->second;
      } else {
        slot = static_cast<std::uint32_t>(story.centroid.size());
        story.centroid.push_back(0);
        Post(word, {&story, slot});
      }
      slots.push_back({word, slot});
      double& sum = story.centroid[slot];
      story.norm2 += weight * (2 * sum + weight);  // (sum + weight)² - sum²
      sum += weight;
    }
    slots.insert(slots.end(), kept, story.slots.end());
    story.slots = std::move(slots);
    story.norm2 = std::max(story.norm2, 0.0);
    const double norm2 = Norm2(vector);
    story.members.push_back({std::move(vector), norm2});
    if (story.members.size() > kMaxMembers) story.members.erase(story.members.begin());
    story.last_active = std::max(story.last_active, published);
    activity_.push_back({story.id, story.last_active});
  }

  void AddLink(Story& story, const std::string& link) {
    if (link.empty() || story.links.size() >= kStoryLinksKept ||
        std::find(story.links.begin(), story.links.end(), link) != story.links.end()) {
      return;
    }
    story.links.push_back(link);
    by_link_[link] = story.id;
  }

  // A word's postings keep only its most recent stories: a word in hundreds of open stories
  // is no evidence for any of them, and the cap bounds the work per item.
  void Post(WordId word, Posting posting) {
    std::vector<Posting>& postings = word_stats_[word].postings;
    postings.push_back(posting);
    if (postings.size() > kMaxPostings) postings.erase(postings.begin());
  }

  // A story takes items while it had one within the window and for at most max_age from its
  // first: one that keeps chaining (a daily digest, a report every day on a broad subject)
  // would otherwise sum every word of every member for as long as it lives, so its memory and
  // the cost of each join would grow without end (docs/stories.md).
  bool Joinable(const Story& story, std::int64_t now) const {
    return story.last_active >= now - options_.window.count() &&
           story.first_active >= now - options_.max_age.count();
  }

  // Closes the stories that had no item within the window before `now`. One past max_age takes
  // no more items, so it closes a window after its last.
  void Expire(std::int64_t now) {
    const std::int64_t inactive = now - options_.window.count();
    while (!activity_.empty() && activity_.front().second < inactive) {
      auto [id, active] = activity_.front();
      activity_.pop_front();
      auto story = stories_.find(id);
      if (story != stories_.end() && story->second.last_active == active) Close(story);
    }
  }

  void Close(std::unordered_map<std::int64_t, Story>::iterator story) {
    for (const auto& [word, slot] : story->second.slots) Unpost(word, &story->second);
    for (const std::string& link : story->second.links) {
      if (auto entry = by_link_.find(link);
          entry != by_link_.end() && entry->second == story->first) {
        by_link_.erase(entry);
      }
    }
    stories_.erase(story);
  }

  void Unpost(WordId word, const Story* story) {
    auto& list = word_stats_[word].postings;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Posting& posting) { return posting.story == story; }),
               list.end());
  }

  // StoryAssignment::words: this format's mark, then per word its kind and text, ended by
  // kWordEnd. Change the mark whenever what Words reads changes (the analysis, the function
  // words, the lead's length): items stored before are then analysed again at restore.
  // stories_test holds the words of 36 items to tests/data/story-words.jsonl and says which to
  // change when they move.
  static constexpr char kWordsFormat = 'A';
  static constexpr char kTitleWord = 'T';
  static constexpr char kLeadWord = 'L';
  static constexpr char kWordEnd = '\x1f';  // a control character: never in a word
  // Room reserved per token for the written words, so that the string is not grown several
  // times per item: a kind, a stem of about seven bytes (more for Cyrillic ones), an end.
  static constexpr std::size_t kWrittenBytesPerToken = 12;

  static constexpr std::size_t kVocabularyReserved = 16384;
  static constexpr double kIdfPrior = 50;
  static constexpr int kDecayEvery = 20000;
  static constexpr std::size_t kMaxPostings = 64;
  static constexpr std::size_t kMaxMembers = 16;
  // Stories compared member by member: a reaction may resemble one earlier report more than
  // the story's average ("Europe rallies behind Zelensky after the clash"), but only a story
  // already close by its centroid is worth the pass.
  static constexpr std::size_t kMembersCompared = 8;

  StoryOptions options_;
  std::unordered_map<std::int64_t, Story> stories_;
  std::uint64_t visit_ = 0;      // Nearest's passes, to tell a story's scratch dot product fresh
  std::vector<Story*> sharing_;  // Nearest's scratch, kept for its capacity
  std::vector<std::pair<double, Story*>> ranked_;  // likewise
  std::vector<TokenRead> tokens_;                  // Words' scratch, likewise
  std::unordered_map<std::string, std::int64_t> by_link_;
  std::deque<std::pair<std::int64_t, std::int64_t>> activity_;  // (story, last_active) in order
  // Word -> id: restoring a window of 50,000 items interns a million words, and
  // std::unordered_map spent a quarter of the restore on them (docs/performance.md, warm cycle).
  WordTable ids_;
  // Each token's word (or kFunctionWord) by its text, so a token costs one lookup rather than
  // a function-word check and an interning; [1] for Ukrainian items, whose Cyrillic words are
  // not stemmed. Cleared with each compaction, as the ids change.
  std::array<TokenCache, 2> token_ids_;
  static constexpr WordId kFunctionWord = std::numeric_limits<WordId>::max();
  // By word id: ids are dense (interned in order, renumbered at each compaction), so a word's
  // count and postings are one index away rather than a hash lookup for every word of every item.
  std::vector<std::string> words_;
  std::vector<WordStats> word_stats_;
  double documents_ = 0;
  int since_decay_ = 0;
  bool compact_due_ = false;
  std::int64_t last_id_ = 0;
};

}  // namespace

std::unique_ptr<StoryClusterer> StoryClusterer::Create(const StoryOptions& options) {
  return std::make_unique<Clusterer>(options);
}

}  // namespace newsmon
