// A Store that forwards every call to a real one: a test's fault-injecting store derives from
// it and overrides only the calls it makes fail (LevelDB's fault_injection_test, Ninja's
// recording fakes).
#pragma once

#include "store/store.h"

namespace newsmon::testing {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& real) : real_(real) {}

  Status MakeDurable() override { return real_.MakeDurable(); }
  const std::string& DatabaseId() const override { return real_.DatabaseId(); }

  Status MarkSent(std::int64_t seq, std::int64_t sent_at) override {
    return real_.MarkSent(seq, sent_at);
  }
  Result<FeedFetchState> FetchState(const std::string& f) override { return real_.FetchState(f); }
  Result<std::unordered_map<std::string, std::string>> KnownItemIds(
      const std::string& f, const std::vector<std::string>& ids) override {
    return real_.KnownItemIds(f, ids);
  }
  Result<std::vector<std::uint64_t>> LastItemIdentities(const std::string& f) override {
    return real_.LastItemIdentities(f);
  }
  Result<std::vector<std::int64_t>> RecordFetch(const FetchRecord& r) override {
    return real_.RecordFetch(r);
  }
  Result<std::vector<std::int64_t>> FlushStoryUpdates(std::int64_t now,
                                                      std::int64_t window) override {
    return real_.FlushStoryUpdates(now, window);
  }
  Result<std::optional<std::int64_t>> NextStoryUpdateDue(std::int64_t window) override {
    return real_.NextStoryUpdateDue(window);
  }
  Status ForEachStoryItemSince(std::int64_t s, std::size_t n,
                               const std::function<void(const StoredStoryItem&)>& each) override {
    return real_.ForEachStoryItemSince(s, n, each);
  }
  Result<std::int64_t> LastStoryId() override { return real_.LastStoryId(); }
  Result<std::int64_t> InsertBurstAlert(BurstAlert a,
                                        const std::vector<std::int64_t>& ids) override {
    return real_.InsertBurstAlert(std::move(a), ids);
  }
  Result<std::vector<StoryEntry>> StoryEntriesSince(std::int64_t s, std::int64_t f) override {
    return real_.StoryEntriesSince(s, f);
  }
  Result<std::int64_t> WatchingSince() override { return real_.WatchingSince(); }
  Result<std::int64_t> WatchThread(const std::string& t, std::int64_t now) override {
    return real_.WatchThread(t, now);
  }
  Result<std::int64_t> LastBurstAt(const std::string& t) override { return real_.LastBurstAt(t); }
  Result<std::vector<Item>> Revisions(const std::string& f, const std::string& id) override {
    return real_.Revisions(f, id);
  }
  Result<std::vector<OutboxEntry>> UnsentAlerts(std::size_t n) override {
    return real_.UnsentAlerts(n);
  }
  Result<std::int64_t> UnsentCount() override { return real_.UnsentCount(); }
  Result<std::vector<OutboxEntry>> AlertsAfter(std::int64_t a, std::size_t n,
                                               const std::string& t) override {
    return real_.AlertsAfter(a, n, t);
  }
  Result<std::int64_t> LastSeq() override { return real_.LastSeq(); }
  Result<std::vector<FeedStatus>> Feeds() override { return real_.Feeds(); }
  Status RecordNextDue(const std::string& f, std::int64_t d) override {
    return real_.RecordNextDue(f, d);
  }
  Result<std::vector<std::pair<std::string, std::int64_t>>> AlertCountsSince(
      std::int64_t s) override {
    return real_.AlertCountsSince(s);
  }
  Result<std::size_t> PruneItemsBefore(std::int64_t c, std::size_t b) override {
    return real_.PruneItemsBefore(c, b);
  }
  Result<std::int64_t> SizeBytes() override { return real_.SizeBytes(); }
  Result<std::vector<Item>> ItemsFetchedSince(std::int64_t s, std::size_t n) override {
    return real_.ItemsFetchedSince(s, n);
  }
  Result<std::optional<std::int64_t>> WebhookCursor(const std::string& s) override {
    return real_.WebhookCursor(s);
  }
  Status SetWebhookCursor(const std::string& s, std::int64_t q) override {
    return real_.SetWebhookCursor(s, q);
  }

 protected:
  Store& real_;
};

}  // namespace newsmon::testing
