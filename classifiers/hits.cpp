#include "classifiers/hits.h"

#include <algorithm>
#include <tuple>

namespace newsmon {
namespace {

constexpr std::uint64_t kThreadLimit = std::uint64_t{1} << 16;
constexpr std::uint64_t kPositionLimit = std::uint64_t{1} << 23;
constexpr std::uint64_t kTermLimit = std::uint64_t{1} << 24;

bool Packable(const Hit& hit) {
  return hit.thread < kThreadLimit && hit.term < kTermLimit && hit.field <= 1 &&
         hit.position >= 0 && static_cast<std::uint64_t>(hit.position) < kPositionLimit;
}

void SortByFields(std::vector<Hit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return std::tie(a.thread, a.field, a.position, a.term) <
           std::tie(b.thread, b.field, b.position, b.term);
  });
  hits.erase(std::unique(hits.begin(), hits.end(),
                         [](const Hit& a, const Hit& b) {
                           return a.term == b.term && a.field == b.field &&
                                  a.position == b.position;
                         }),
             hits.end());
}

}  // namespace

// Packed into one integer each (16 bits of thread, 1 of field, 23 of position, 24 of term),
// hits sort as plain numbers: comparing four fields one by one, with branches the processor
// cannot predict, was about a tenth of classifying an item with the default threads
// (bench/classify-bench, docs/performance.md). Hits beyond those ranges (a document of over
// eight million words, tens of thousands of threads) take the field-by-field sort.
void SortUniqueHits(std::vector<Hit>& hits) {
  if (!std::all_of(hits.begin(), hits.end(), Packable)) return SortByFields(hits);
  std::vector<std::uint64_t> keys(hits.size());
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const Hit& hit = hits[i];
    keys[i] = std::uint64_t{hit.thread} << 48 | std::uint64_t{hit.field} << 47 |
              static_cast<std::uint64_t>(hit.position) << 24 | hit.term;
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  hits.resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t key = keys[i];
    hits[i] = {static_cast<std::uint32_t>(key >> 48),
               static_cast<std::uint32_t>(key & (kTermLimit - 1)),
               static_cast<std::uint8_t>(key >> 47 & 1),
               static_cast<int>(key >> 24 & (kPositionLimit - 1))};
  }
}

}  // namespace newsmon
