// The near-duplicate methods the story issue named, as baselines for eval-stories: items
// grouped by the Jaccard similarity of their shingle sets (what MinHash estimates; computed
// exactly here, which is MinHash's best case) or by the Hamming distance of their SimHash
// fingerprints, with the clusterer's own frame around them (title and first 40 lead words,
// stemmed; the same canonical link is the same story; stories close after 36 h without an
// item; an item joins the story of its most similar member). They answer whether the product
// should have used one of them (docs/stories.md, "Shingles and fingerprints").
#pragma once

#include <memory>
#include <string>

#include "classifiers/stories.h"

namespace newsmon::bench {

enum class StoryBaseline {
  kWordJaccard,    // shingles of one word
  kBigramJaccard,  // shingles of two consecutive words (w-shingling, w = 2)
  kSimHash,        // 64-bit SimHash of the words, joined within `threshold` bits
};

// `threshold`: the least Jaccard similarity to join (kWordJaccard, kBigramJaccard), or the
// most differing bits (kSimHash). Only Add is meaningful.
std::unique_ptr<StoryClusterer> CreateBaselineClusterer(StoryBaseline baseline, double threshold);

}  // namespace newsmon::bench
