// The bus: a ZeroMQ PUB socket that alerts and heartbeats go out on. Sending never
// blocks the daemon: a subscriber that falls behind loses messages at its high-water mark
// and recovers them from the outbox through replay.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "publishers/bus_context.h"

namespace newsmon {

struct PublisherOptions {
  std::string endpoint = "tcp://127.0.0.1:5556";
  int send_high_water_mark = 100000;
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  // The socket lives in bus's context, which must outlive it; with CURVE configured
  // there, only authorised clients can subscribe.
  static Result<std::unique_ptr<Publisher>> Bind(const PublisherOptions& options, BusContext& bus);

  // Two frames: topic, body. Fails only when the message could not be queued.
  virtual Status Send(const std::string& topic, const std::string& body) = 0;
  virtual const std::string& endpoint() const = 0;
};

inline constexpr const char* kHeartbeatTopic = "sys.heartbeat";

// How far a heartbeat says the daemon has got.
struct HeartbeatSeqs {
  std::int64_t published = 0;  // the newest alert sent, with every one before it
  // The newest alert replay answers (stored and on disk); never below `published`. Below
  // what a subscriber has seen, the database was restored from an older copy.
  std::int64_t stored = 0;
};

// database_id names the database the seqs count in (Store::DatabaseId); shard, when not
// empty, the daemon's "K/N" (docs/scaling.md), so a subscriber of several shards tells them apart.
std::string HeartbeatJson(const HeartbeatSeqs& seqs, const std::string& database_id,
                          std::int64_t now, const std::string& shard = "");

}  // namespace newsmon
