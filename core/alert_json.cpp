#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/item.h"
#include "core/time_format.h"

namespace newsmon {

std::vector<std::string> ThreadMatch::MatchedTerms() const {
  std::vector<std::string> terms;
  for (const MatchedTerm& hit : evidence) {
    if (std::find(terms.begin(), terms.end(), hit.term) == terms.end()) terms.push_back(hit.term);
  }
  return terms;
}

std::string ContentHash(const Item& item) {
  // FNV-1a: a change detector, not a security boundary; no library needed for 10 lines.
  std::uint64_t hash = 1469598103934665603ULL;
  for (const std::string* field : {&item.title, &item.link, &item.summary}) {
    for (unsigned char c : *field) hash = (hash ^ c) * 1099511628211ULL;
    hash = (hash ^ 0xff) * 1099511628211ULL;  // field separator
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

std::string AlertTopic(const std::string& thread) { return "alert." + thread; }

std::string AlertToJson(const Alert& alert) {
  nlohmann::json evidence = nlohmann::json::array();
  for (const MatchedTerm& hit : alert.match.evidence) {
    evidence.push_back({{"term", hit.term}, {"field", hit.field}, {"position", hit.position},
                        {"weight", hit.weight}});
  }
  const Item& item = alert.item;
  nlohmann::json published = nullptr;
  if (item.published) published = FormatRfc3339(*item.published);
  nlohmann::json body = {
      {"schema", kAlertSchema},
      {"seq", alert.seq},
      {"thread", alert.match.thread},
      {"score", alert.match.score},
      {"threshold", alert.match.threshold},
      {"matched", alert.match.MatchedTerms()},
      {"evidence", evidence},
      {"item",
       {{"id", item.id}, {"feed", item.feed}, {"title", item.title}, {"link", item.link},
        {"published", published}, {"published_estimated", item.published_estimated},
        {"summary", item.summary}}},
      {"detected_at", FormatRfc3339(alert.detected_at)},
  };
  // Feed text may hold invalid UTF-8; replacing beats refusing to alert.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace newsmon
