// A term found in an item, and the order the classifier evaluates hits in. Internal to
// classifiers/; its own header so that tests can hold both ways of sorting to one result.
#pragma once

#include <cstdint>
#include <vector>

namespace newsmon {

struct Hit {
  std::uint32_t thread;
  std::uint32_t term;
  std::uint8_t field;  // 0 title, 1 summary
  int position;        // the word's index in its field, from 0
};

// Sorts by thread, field, position and term, and drops repeats (a term found twice at one
// place, by text and by stem; a term belongs to one thread).
void SortUniqueHits(std::vector<Hit>& hits);

}  // namespace newsmon
