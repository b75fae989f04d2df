// One article's address however a feed dressed it: the story clusterer takes items with the
// same canonical link for one article, and the store counts such an item as no new source.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace newsmon {

// The link without what only tracks the reader: lowercased scheme and host, no "www.", no
// fragment, no utm_* / fbclid / gclid / … query parameters, no trailing slash.
std::string CanonicalLink(std::string_view url);

// A story remembers the canonical links of this many of its items, in the order they joined
// (classifiers/stories.h); the store's ledger counts an item at one of them as no new source
// by the same rule, so both stay bounded and agree (store/story_ledger.h).
inline constexpr std::size_t kStoryLinksKept = 32;

}  // namespace newsmon
