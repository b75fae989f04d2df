// Sends the alerts the store holds unsent on the bus, oldest first, and marks each sent.
// Delivery is at least once: an alert is marked after it is sent, so a crash in between sends
// it again on the next start. When the store cannot mark one (a full disk, a lock), the alert
// is not sent again in this run — it is on the bus already —, no later alert goes out before
// it is marked, the mark is retried with backoff (1 s doubling to a minute), and the failure
// is logged when it starts and when it ends, not on every retry.
// Nothing goes out before it is durable: a drain that has alerts not yet synced makes the store
// durable first (one fsync for all a turn stored, however many feeds), so a power loss cannot
// take back an alert a subscriber has seen.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/env.h"
#include "publishers/publisher.h"
#include "store/store.h"

namespace newsmon {

struct OutboxDrain {
  std::vector<OutboxEntry> sent;  // put on the bus now, in order
  bool pending = false;           // the store had unsent alerts (webhook sinks may want them)
};

class Outbox {
 public:
  // All four must outlive the outbox.
  Outbox(Store& store, Publisher& publisher, const Clock& clock, Random& random)
      : store_(store), publisher_(publisher), clock_(clock), random_(random) {}

  OutboxDrain Drain();
  // The last seq that is on the bus with every seq before it (or was, before a restart): what a
  // heartbeat announces. Alerts stored but not yet sent (during the join grace, or waiting
  // behind a failure) are not counted.
  Result<std::int64_t> PublishedThrough();
  // When to drain again: after a failure, when the retry is due; after a full batch, now
  // (more alerts wait, and the loop turns once between batches); else nullopt.
  std::optional<Clock::TimePoint> NextRetry() const;
  bool failing() const { return failures_ > 0; }
  // Every alert up to this seq is synced to the disk: the most the sinks may deliver.
  std::int64_t durable_through() const { return durable_up_to_; }
  // Syncs what the store holds, so that durable_through() covers every stored alert: at start
  // (a crashed run may have left it unsynced), and before a drain sends unsynced alerts.
  Status SyncStored();

 private:
  bool MarkUnmarked();
  bool MakeDurable(const std::vector<OutboxEntry>& pending);
  void Fail(const std::string& what, const Status& status);
  void Recover();

  Store& store_;
  Publisher& publisher_;
  const Clock& clock_;
  Random& random_;
  std::int64_t published_up_to_ = 0;    // the last seq put on the bus in this run
  std::int64_t durable_up_to_ = 0;      // every seq up to it has been synced to the disk
  std::vector<std::int64_t> unmarked_;  // on the bus, but the store has not marked them
  int failures_ = 0;                    // consecutive
  bool more_waiting_ = false;           // the last drain read a full batch and sent it all
  Clock::TimePoint retry_at_{};
};

}  // namespace newsmon
