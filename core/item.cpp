#include <algorithm>

#include "core/ascii.h"
#include "core/item.h"

namespace newsmon {

std::vector<std::string> ThreadMatch::MatchedTerms() const {
  std::vector<std::string> terms;
  for (const MatchedTerm& hit : evidence) {
    if (std::find(terms.begin(), terms.end(), hit.term) == terms.end()) terms.push_back(hit.term);
  }
  return terms;
}

std::string ContentHash(const Item& item) {
  // FNV-1a: a change detector, not a security boundary. Its basis is not the standard one
  // (a digit short), and stays so: every stored item's content hash was computed with it, and
  // another basis would make each of them look updated once.
  std::uint64_t hash = 1469598103934665603ULL;
  for (const std::string* field : {&item.title, &item.link, &item.summary}) {
    hash = Fnv1a(*field, hash);
    hash = Fnv1aStep(hash, 0xff);  // field separator
  }
  return Hex64(hash);
}

std::uint64_t ItemIdentity(const Item& item, std::string_view canonical_link) {
  if (canonical_link.empty() && item.title.empty() && item.summary.empty()) return 0;
  // A summary's length, beginning and end: a long one (a whole article) is hashed for every
  // item of every document read, and a report that kept the length, the first and the last
  // kSummaryEnds bytes of another's and changed only its middle is not one a feed sends.
  constexpr std::size_t kSummaryEnds = 1024;
  std::string_view summary = item.summary;
  std::string_view tail;
  if (summary.size() > 2 * kSummaryEnds) {
    tail = summary.substr(summary.size() - kSummaryEnds);
    summary = summary.substr(0, kSummaryEnds);
  }
  const std::string length = std::to_string(item.summary.size());
  // The date the feed gave, not one estimated from the fetch: an alert of the same words at a
  // later time ("Air raid alert in the Kyiv region") is another event.
  const std::string published =
      item.published && !item.published_estimated ? std::to_string(*item.published) : "";
  std::uint64_t hash = kFnvOffsetBasis;
  for (std::string_view field : {canonical_link, std::string_view(item.title), summary, tail,
                                 std::string_view(length), std::string_view(published)}) {
    hash = Fnv1a(field, hash);
    hash = Fnv1aStep(hash, 0xff);  // field separator: no UTF-8 text holds this byte
  }
  return hash == 0 ? 1 : hash;  // 0 says "none"
}

}  // namespace newsmon
