#include "daemon/pipeline.h"

#include <algorithm>

#include "core/canonical_link.h"
#include "feeds/feed_parser.h"

namespace newsmon {
namespace {

// Stories rebuilt at start-up read at most this many items: a window of a very large
// installation is cut to its newest part rather than delaying the start unboundedly.
constexpr std::size_t kRestoreLimit = 500'000;

// A story's clock is when its items were published, but never later than now: a feed that
// dates items in the future would otherwise close every open story at once.
std::int64_t StoryTime(const std::optional<std::int64_t>& published, std::int64_t now) {
  return std::min(published.value_or(now), now);
}

StoryItem ForStories(const Item& item, std::int64_t now) {
  return {item.title, item.summary, item.link, StoryTime(item.published, now)};
}

}  // namespace

std::vector<std::string> ThreadsFollowingStories(const std::vector<ThreadDefinition>& threads) {
  std::vector<std::string> followed;
  for (const ThreadDefinition& thread : threads) {
    if (thread.follow_stories) followed.push_back(thread.id);
  }
  return followed;
}

Status Pipeline::TrackStories(std::unique_ptr<StoryClusterer> stories, StoryRules rules,
                              std::int64_t now, std::chrono::seconds window) {
  auto last_id = store_.LastStoryId();
  if (!last_id.ok()) return last_id.status();
  stories->ReserveIdsThrough(*last_id);
  Status restored = store_.ForEachStoryItemSince(
      now - window.count(), kRestoreLimit, [&](const StoredStoryItem& stored) {
        StoryItem item{stored.title, stored.summary, stored.link,
                       StoryTime(stored.published, stored.fetched_at)};
        item.words = stored.words;  // the text is analysed only for items stored without
        stories->Restore(item, stored.story);
      });
  if (!restored.ok()) return restored;
  stories_ = std::move(stories);
  story_rules_ = std::move(rules);
  return Status::Ok();
}

IngestReport Pipeline::Ingest(const FetchResponse& response, const std::string& config_url,
                              std::int64_t now) {
  FetchRecord record;
  record.feed = response.feed;
  record.config_url = config_url;
  record.fetched_at = now;
  IngestReport report;
  if (!response.status.ok()) {
    report.status = response.status;
    if (response.http_status == 410) {
      record.disabled = Disabled::Because(kGoneReason);
      report.disabled = record.disabled;
    }
    return Record(std::move(record), std::move(report));
  }
  if (response.not_modified) {
    report.not_modified = true;
    return Record(std::move(record), std::move(report));
  }
  auto parsed = ParseFeed(response.body, {response.effective_url, response.content_type, now});
  if (!parsed.ok()) {
    report.status = parsed.status();
    return Record(std::move(record), std::move(report));
  }
  // A permanent redirect is followed for good only to a feed that was read: a publisher's
  // feed that points for a while at its home page or a maintenance page must be asked again
  // where it was. Not on a 304 either: curl sends the feed's validators on to the target,
  // and a static page older than the feed's Last-Modified answers 304 too.
  if (response.permanently_moved && response.effective_url != response.url) {
    record.moved_to = response.effective_url;
    report.moved = true;
  }
  report.warnings = parsed->warnings;
  report.items_seen = parsed->items.size();
  if (parsed->ttl_minutes) report.ttl = std::chrono::minutes(*parsed->ttl_minutes);
  record.story_rules = story_rules_;
  auto renamed = SortItems(response.feed, std::move(parsed->items), now, record);
  if (!renamed.ok()) {
    report.status = renamed.status();
    return report;  // the store is failing; retry the whole feed next time
  }
  if (!parsed->cut_short) record.validators = {response.etag, response.last_modified};
  report.new_items = record.new_items.size();
  report.updated_items = record.updated_items.size();
  if (*renamed > 0) {
    report.warnings.push_back(std::to_string(*renamed) +
                              " item(s) stored before came back under a new id (the feed's ids "
                              "change from poll to poll); known by their link, title, summary "
                              "and date, not alerted again");
  }
  return Record(std::move(record), std::move(report), /*items_read=*/true);
}

Result<std::size_t> Pipeline::SortItems(const std::string& feed, std::vector<Item> items,
                                        std::int64_t now, FetchRecord& record) {
  std::vector<std::string> ids;
  for (const Item& item : items) ids.push_back(item.id);
  auto known = store_.KnownItemIds(feed, ids);
  if (!known.ok()) return known.status();
  std::vector<std::string> links;  // canonical, for the items' identities and their stories
  links.reserve(items.size());
  for (const Item& item : items) links.push_back(CanonicalLink(item.link));
  auto renamed = RenamedItems(feed, items, links, *known, record);
  if (!renamed.ok()) return renamed.status();
  std::size_t renamed_count = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Item& item = items[i];
    item.feed = feed;
    if ((*renamed)[i]) {
      ++renamed_count;
      continue;
    }
    auto stored = known->find(item.id);
    if (stored == known->end()) {
      const Analysis analysis({item.title, item.summary});
      auto matches = classifier_->Classify(analysis);
      StoryAssignment story = StoryOf(item, analysis, links[i], now);
      std::string hash = ContentHash(item);
      (*known)[item.id] = hash;
      record.new_items.push_back({std::move(item), std::move(matches), story.story,
                                  story.similarity, std::move(story.words), story.same_link,
                                  std::move(hash)});
    } else if (std::string hash = ContentHash(item); stored->second != hash) {
      stored->second = hash;
      auto matches = classifier_->Classify({item.title, item.summary});
      ClassifiedItem updated{std::move(item), std::move(matches)};
      updated.content_hash = std::move(hash);
      record.updated_items.push_back(std::move(updated));
    }
  }
  return renamed_count;
}

// Which items, under an id not stored, are an item of the feed's last document under
// another (ItemIdentity): a feed that gives its items a new id at each poll alerted them at each
// poll (with stories, once their story had closed or after a restart). The identities of this
// document's items are kept in the record for the next.
Result<std::vector<bool>> Pipeline::RenamedItems(
    const std::string& feed, const std::vector<Item>& items, const std::vector<std::string>& links,
    const std::unordered_map<std::string, std::string>& known, FetchRecord& record) {
  auto last = store_.LastItemIdentities(feed);
  if (!last.ok()) return last.status();
  std::vector<std::uint64_t> identities(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) identities[i] = ItemIdentity(items[i], links[i]);
  // Each of the last document's items can be found once: by its own id first, so that a
  // document holding an item and another of the same identity under a new id (two alerts of
  // the same words) has two items, not one renamed.
  std::unordered_map<std::uint64_t, int> unclaimed;
  for (std::uint64_t identity : *last) ++unclaimed[identity];
  std::vector<bool> stored(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    stored[i] = known.contains(items[i].id);
    if (stored[i]) --unclaimed[identities[i]];
  }
  std::vector<bool> renamed(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (identities[i] == 0 || stored[i]) continue;
    auto left = unclaimed.find(identities[i]);
    renamed[i] = left != unclaimed.end() && left->second-- > 0;
  }
  record.item_identities = std::move(identities);
  return renamed;
}

StoryAssignment Pipeline::StoryOf(const Item& item, const Analysis& analysis,
                                  const std::string& canonical_link, std::int64_t now) {
  if (!stories_) return {};
  if (auto unstored = unstored_stories_.find(item.feed); unstored != unstored_stories_.end()) {
    if (auto placed = unstored->second.find(item.id); placed != unstored->second.end()) {
      return placed->second;
    }
  }
  StoryItem story = ForStories(item, now);
  story.analysis = &analysis;
  story.canonical_link = &canonical_link;
  return stories_->Add(story);
}

// The clusterer has placed a feed's new items before the store commits them. When the commit
// fails (the database busy), the feed is fetched again and its items come back: placed again,
// each would meet its own copy and be taken for one (no alert), so they keep the stories they
// were given until a commit of the feed's items succeeds. A poll that read no items (a
// network error, a 304, a broken feed) changes nothing: the items may come with the next.
void Pipeline::RememberUnstoredStories(const FetchRecord& record, bool stored) {
  if (!stories_) return;
  if (stored) {
    unstored_stories_.erase(record.feed);  // stored now, or gone from the feed
    return;
  }
  auto& placed = unstored_stories_[record.feed];
  for (const ClassifiedItem& item : record.new_items) {
    placed[item.item.id] = {item.story, item.story_similarity == 0, item.story_similarity,
                            item.story_words, item.story_same_link};
  }
}

IngestReport Pipeline::Record(FetchRecord record, IngestReport report, bool items_read) {
  record.status = report.status;
  auto seqs = store_.RecordFetch(record);
  if (items_read) RememberUnstoredStories(record, seqs.ok());
  if (!seqs.ok()) {
    // Nothing was stored, the validators included, so the next poll fetches it all again.
    report.status = seqs.status().code() == StatusCode::kBusy
                        ? Status::Busy(
                              "cannot store: the database is locked by another process; "
                              "retrying with the feed's next poll")
                        : seqs.status().WithContext("cannot store: ");
    return report;
  }
  report.alert_seqs = std::move(seqs).value();
  return report;
}

}  // namespace newsmon
