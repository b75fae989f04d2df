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
      record.disabled = "the server says the feed is gone (HTTP 410 Gone)";
      report.disabled = true;
    }
    return Record(std::move(record), std::move(report));
  }
  record.ok = true;
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
    record.ok = false;
    report.status = parsed.status();
    return Record(std::move(record), std::move(report));
  }
  report.warnings = parsed->warnings;
  report.items_seen = parsed->items.size();
  auto fresh = NewItems(response.feed, std::move(parsed->items));
  if (!fresh.ok()) {
    report.status = fresh.status();
    return report;  // the store is failing; retry the whole feed next time
  }
  record.new_items = std::move(fresh).value();
  record.validators = {response.etag, response.last_modified};
  report.new_items = record.new_items.size();
  return Record(std::move(record), std::move(report));
}

Result<std::vector<ClassifiedItem>> Pipeline::NewItems(const std::string& feed,
                                                       std::vector<Item> items) {
  std::vector<std::string> ids;
  for (const Item& item : items) ids.push_back(item.id);
  auto known = store_.KnownItemIds(feed, ids);
  if (!known.ok()) return known.status();
  std::vector<ClassifiedItem> fresh;
  for (Item& item : items) {
    if (known->count(item.id)) continue;
    item.feed = feed;
    auto matches = classifier_->Classify({item.title, item.summary});
    fresh.push_back({std::move(item), std::move(matches)});
  }
  return fresh;
}

IngestReport Pipeline::Record(FetchRecord record, IngestReport report) {
  record.error = report.status.ok() ? "" : report.status.message();
  auto seqs = store_.RecordFetch(record);
  if (!seqs.ok()) {
    report.status = seqs.status().WithContext("cannot store: ");
    return report;
  }
  report.alert_seqs = std::move(seqs).value();
  return report;
}

}  // namespace newsmon
