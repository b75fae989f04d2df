#include "daemon/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/backoff.h"

namespace newsmon {
namespace {

constexpr std::size_t kOutboxBatch = 1000;
const BackoffPolicy kRetry{.first = std::chrono::seconds(1), .cap = std::chrono::minutes(1)};

}  // namespace

OutboxDrain Outbox::Drain() {
  OutboxDrain drain;
  more_waiting_ = false;
  if (failures_ > 0 && clock_.Now() < retry_at_) return drain;
  const int failures_before = failures_;
  if (!MarkUnmarked()) return drain;
  auto pending = store_.UnsentAlerts(kOutboxBatch);
  if (!pending.ok()) {
    Fail("cannot read unsent alerts", pending.status());
    return drain;
  }
  if (!MakeDurable(*pending)) return drain;  // webhook sinks are not told of them either
  drain.pending = !pending->empty();
  for (const OutboxEntry& entry : *pending) {
    if (entry.seq <= published_up_to_) continue;  // on the bus already, its mark is pending
    if (Status sent = publisher_.Send(entry.topic, entry.body); !sent.ok()) {
      Fail("cannot send alert #" + std::to_string(entry.seq), sent);
      break;
    }
    published_up_to_ = entry.seq;
    drain.sent.push_back(entry);
    if (Status marked = store_.MarkSent(entry.seq, clock_.UnixSeconds()); !marked.ok()) {
      unmarked_.push_back(entry.seq);
      Fail("cannot mark alert #" + std::to_string(entry.seq) + " sent", marked);
      break;
    }
  }
  if (failures_ > 0 && failures_ == failures_before) Recover();  // this attempt went through
  // A backlog (a first cycle of many feeds, a restart after downtime) is sent a batch per
  // loop turn; without this the rest waited for the next event, as late as a heartbeat.
  more_waiting_ = failures_ == 0 && pending->size() == kOutboxBatch;
  return drain;
}

bool Outbox::MarkUnmarked() {
  while (!unmarked_.empty()) {
    if (Status marked = store_.MarkSent(unmarked_.front(), clock_.UnixSeconds()); !marked.ok()) {
      Fail("cannot mark alert #" + std::to_string(unmarked_.front()) + " sent", marked);
      return false;
    }
    unmarked_.erase(unmarked_.begin());
  }
  return true;
}

Result<std::int64_t> Outbox::PublishedThrough() {
  auto unsent = store_.UnsentAlerts(1);
  if (!unsent.ok()) return unsent.status();
  if (!unsent->empty()) return std::max(unsent->front().seq - 1, published_up_to_);
  return store_.LastSeq();
}

// The last seq is read before the sync, so that everything up to it is on the disk after: the
// sinks may read past a batch of unsent alerts, at once and without a sync of their own.
Status Outbox::SyncStored() {
  auto last = store_.LastSeq();
  if (!last.ok()) return last.status();
  if (Status synced = store_.MakeDurable(); !synced.ok()) return synced;
  durable_up_to_ = std::max(durable_up_to_, *last);
  return Status::Ok();
}

bool Outbox::MakeDurable(const std::vector<OutboxEntry>& pending) {
  if (pending.empty() || pending.back().seq <= durable_up_to_) return true;
  if (Status synced = SyncStored(); !synced.ok()) {
    Fail("cannot make alerts durable before sending them", synced);
    return false;
  }
  return true;
}

std::optional<Clock::TimePoint> Outbox::NextRetry() const {
  if (failures_ > 0) return retry_at_;
  if (more_waiting_) return clock_.Now();
  return std::nullopt;
}

void Outbox::Fail(const std::string& what, const Status& status) {
  if (failures_ == 0) {
    spdlog::error("outbox: {}: {}; retrying with backoff, later alerts wait", what,
                  status.message());
  }
  ++failures_;
  retry_at_ = clock_.Now() + JitteredBackoff(kRetry, failures_, random_);
}

void Outbox::Recover() {
  spdlog::info("outbox: sending again after {} failed attempts", failures_);
  failures_ = 0;
}

}  // namespace newsmon
