#include "bench/story_baselines.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "classifiers/analysis.h"
#include "classifiers/text_internal.h"
#include "core/ascii.h"

namespace newsmon::bench {
namespace {

constexpr int kLeadWords = 40;
constexpr std::int64_t kWindowSeconds = 36 * 3600;

using Shingles = std::vector<std::uint64_t>;  // sorted, unique

std::vector<std::string> Words(const text::TokenizedText& tokens, int limit) {
  std::vector<std::string> words;
  for (int position = 0; position < std::min(tokens.words, limit); ++position) {
    const text::Token& token = tokens.tokens[static_cast<std::size_t>(tokens.first_at[position])];
    if (token.text.size() < 2) continue;
    words.push_back(token.stem.empty() ? token.text : token.stem);
  }
  return words;
}

// Shingles of `width` consecutive words of the title and of the lead, not across the two.
Shingles ShinglesOf(const StoryItem& item, int width) {
  Analysis analysis(Document{item.title, item.summary});
  Shingles shingles;
  for (const auto& words : {Words(analysis.text().title, analysis.text().title.words),
                            Words(analysis.text().summary, kLeadWords)}) {
    for (std::size_t i = 0; i + static_cast<std::size_t>(width) <= words.size(); ++i) {
      std::uint64_t hash = kFnvOffsetBasis;
      for (int k = 0; k < width; ++k)
        hash = Fnv1a(words[i + static_cast<std::size_t>(k)] + ' ', hash);
      shingles.push_back(hash);
    }
  }
  std::sort(shingles.begin(), shingles.end());
  shingles.erase(std::unique(shingles.begin(), shingles.end()), shingles.end());
  return shingles;
}

double Jaccard(const Shingles& a, const Shingles& b) {
  std::size_t common = 0;
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  const std::size_t all = a.size() + b.size() - common;
  return all == 0 ? 0 : static_cast<double>(common) / static_cast<double>(all);
}

// Charikar's SimHash: each word's hash votes on each of 64 bits.
std::uint64_t SimHashOf(const Shingles& words) {
  int votes[64] = {};
  for (std::uint64_t word : words) {
    for (int bit = 0; bit < 64; ++bit) votes[bit] += (word >> bit & 1) ? 1 : -1;
  }
  std::uint64_t fingerprint = 0;
  for (int bit = 0; bit < 64; ++bit) {
    if (votes[bit] > 0) fingerprint |= std::uint64_t{1} << bit;
  }
  return fingerprint;
}

struct Member {
  Shingles shingles;
  std::uint64_t fingerprint = 0;
};

struct OpenStory {
  std::int64_t last_active = 0;
  std::vector<Member> members;
};

class BaselineClusterer final : public StoryClusterer {
 public:
  BaselineClusterer(StoryBaseline baseline, double threshold)
      : baseline_(baseline), threshold_(threshold) {}

  StoryAssignment Add(const StoryItem& item) override {
    Expire(item.published);
    Member member;
    member.shingles = ShinglesOf(item, baseline_ == StoryBaseline::kBigramJaccard ? 2 : 1);
    if (baseline_ == StoryBaseline::kSimHash) member.fingerprint = SimHashOf(member.shingles);
    const std::string link = CanonicalLink(item.link);
    std::int64_t story = 0;
    if (auto same = by_link_.find(link);
        !link.empty() && same != by_link_.end() && stories_.count(same->second) > 0) {
      story = same->second;
    } else {
      story = Nearest(member);
    }
    StoryAssignment assignment;
    if (story == 0) {
      story = ++last_id_;
      assignment.started = true;
    }
    OpenStory& open = stories_[story];
    open.last_active = std::max(open.last_active, item.published);
    open.members.push_back(std::move(member));
    if (!link.empty()) by_link_[link] = story;
    activity_.push_back({story, open.last_active});
    assignment.story = story;
    return assignment;
  }

  void Restore(const StoryItem&, std::int64_t) override {}
  void ReserveIdsThrough(std::int64_t) override {}
  std::size_t open_stories() const override { return stories_.size(); }

 private:
  // Every open story is compared, member by member: an evaluation of a few thousand items
  // can afford it, and it makes the baselines' recall as good as it can be.
  std::int64_t Nearest(const Member& item) const {
    std::int64_t best = 0;
    double best_score = std::numeric_limits<double>::lowest();
    for (const auto& [id, story] : stories_) {
      for (const Member& member : story.members) {
        const double score = Similarity(item, member);
        if (score > best_score) best_score = score, best = id;
      }
    }
    return Joins(best_score) ? best : 0;
  }

  double Similarity(const Member& a, const Member& b) const {
    if (baseline_ == StoryBaseline::kSimHash) {
      return -static_cast<double>(std::popcount(a.fingerprint ^ b.fingerprint));
    }
    return Jaccard(a.shingles, b.shingles);
  }

  bool Joins(double score) const {
    if (baseline_ == StoryBaseline::kSimHash) return -score <= threshold_;
    return score >= threshold_ && score > 0;
  }

  void Expire(std::int64_t now) {
    while (!activity_.empty() && activity_.front().second < now - kWindowSeconds) {
      auto [id, active] = activity_.front();
      activity_.pop_front();
      auto story = stories_.find(id);
      if (story != stories_.end() && story->second.last_active == active) stories_.erase(story);
    }
  }

  StoryBaseline baseline_;
  double threshold_;
  std::unordered_map<std::int64_t, OpenStory> stories_;
  std::unordered_map<std::string, std::int64_t> by_link_;
  std::deque<std::pair<std::int64_t, std::int64_t>> activity_;
  std::int64_t last_id_ = 0;
};

}  // namespace

std::unique_ptr<StoryClusterer> CreateBaselineClusterer(StoryBaseline baseline, double threshold) {
  return std::make_unique<BaselineClusterer>(baseline, threshold);
}

}  // namespace newsmon::bench
