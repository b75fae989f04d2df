#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/item.h"
#include "core/time_format.h"

namespace newsmon {

std::string AlertTopic(const std::string& thread) { return "alert." + thread; }

const char* AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kNew:
      return "new";
    case AlertKind::kUpdate:
      return "update";
    case AlertKind::kBurst:
      return "burst";
  }
  return "new";
}

namespace {

nlohmann::json StoryJson(const std::optional<StoryRef>& story) {
  if (!story) return nullptr;
  return {{"id", story->id},
          {"first_seen", FormatRfc3339(story->first_seen)},
          {"sources", story->sources},
          {"source_count", story->source_count}};
}

}  // namespace

std::string AlertToJson(const Alert& alert) {
  nlohmann::json evidence = nlohmann::json::array();
  for (const MatchedTerm& hit : alert.match.evidence) {
    evidence.push_back({{"term", hit.term},
                        {"field", hit.field},
                        {"position", hit.position},
                        {"weight", hit.weight}});
  }
  const Item& item = alert.item;
  nlohmann::json published = nullptr;
  if (item.published) published = FormatRfc3339(*item.published);
  nlohmann::json body = {
      {"schema", kAlertSchema},
      {"seq", alert.seq},
      {"kind", AlertKindName(alert.kind)},
      {"thread", alert.match.thread},
      {"score", alert.match.score},
      {"threshold", alert.match.threshold},
      {"matched", alert.match.MatchedTerms()},
      {"evidence", evidence},
      {"item",
       {{"id", item.id},
        {"feed", item.feed},
        {"title", item.title},
        {"link", item.link},
        {"published", published},
        {"published_estimated", item.published_estimated},
        {"summary", item.summary}}},
      {"detected_at", FormatRfc3339(alert.detected_at)},
      {"story", StoryJson(alert.story)},
  };
  if (alert.match.via_story != 0) body["via_story"] = alert.match.via_story;
  if (!alert.shard.empty()) body["shard"] = alert.shard;
  // Feed text may hold invalid UTF-8; replacing beats refusing to alert.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AlertToJson(const BurstAlert& alert) {
  nlohmann::json stories = nlohmann::json::array();
  for (const BurstStory& story : alert.story_list) {
    stories.push_back({{"id", story.id},
                       {"title", story.title},
                       {"link", story.link},
                       {"feed", story.feed},
                       {"first_seen", FormatRfc3339(story.first_seen)},
                       {"source_count", story.sources}});
  }
  nlohmann::json body = {
      {"schema", kAlertSchema},
      {"seq", alert.seq},
      {"kind", AlertKindName(AlertKind::kBurst)},
      {"thread", alert.thread},
      {"burst",
       {{"stories", alert.stories},
        {"expected", alert.expected},
        {"p_value", alert.p_value},
        {"window_start", FormatRfc3339(alert.window_start)}}},
      {"stories", stories},
      {"detected_at", FormatRfc3339(alert.detected_at)},
  };
  if (!alert.shard.empty()) body["shard"] = alert.shard;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace newsmon
