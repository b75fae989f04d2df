#include "daemon/pipeline.h"

#include "feeds/feed_parser.h"

namespace newsmon {

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
  if (response.permanently_moved && response.effective_url != response.url) {
    record.moved_to = response.effective_url;
    report.moved = true;
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
  report.warnings = parsed->warnings;
  report.items_seen = parsed->items.size();
  if (parsed->ttl_minutes) report.ttl = std::chrono::minutes(*parsed->ttl_minutes);
  if (Status s = SortItems(response.feed, std::move(parsed->items), record); !s.ok()) {
    report.status = s;
    return report;  // the store is failing; retry the whole feed next time
  }
  record.validators = {response.etag, response.last_modified};
  report.new_items = record.new_items.size();
  report.updated_items = record.updated_items.size();
  return Record(std::move(record), std::move(report));
}

Status Pipeline::SortItems(const std::string& feed, std::vector<Item> items, FetchRecord& record) {
  std::vector<std::string> ids;
  for (const Item& item : items) ids.push_back(item.id);
  auto known = store_.KnownItemIds(feed, ids);
  if (!known.ok()) return known.status();
  for (Item& item : items) {
    item.feed = feed;
    auto stored = known->find(item.id);
    if (stored == known->end()) {
      auto matches = classifier_->Classify({item.title, item.summary});
      record.new_items.push_back({std::move(item), std::move(matches)});
      (*known)[record.new_items.back().item.id] = ContentHash(record.new_items.back().item);
    } else if (stored->second != ContentHash(item)) {
      stored->second = ContentHash(item);
      record.updated_items.push_back(std::move(item));
    }
  }
  return Status::Ok();
}

IngestReport Pipeline::Record(FetchRecord record, IngestReport report) {
  record.status = report.status;
  auto seqs = store_.RecordFetch(record);
  if (!seqs.ok()) {
    report.status = seqs.status().WithContext("cannot store: ");
    return report;
  }
  report.alert_seqs = std::move(seqs).value();
  return report;
}

}  // namespace newsmon
