// Replay: a REP socket that answers {"since": N, "limit": M, "thread": "id"} with the
// alerts after N from the outbox, so a subscriber that was away loses nothing. It never
// blocks: the daemon's loop waits on fd() and calls ServePending() after every wake-up.
// Anyone who can reach the endpoint is a stranger: a request over kMaxReplayRequestBytes
// closes that client's connection (ZMQ_MAXMSGSIZE) before it is read into memory, a request
// of several frames is answered with an error at once, and one call serves at most
// kReplayRequestsPerTurn requests, so a client flooding it cannot stall the loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "core/status.h"
#include "publishers/bus_context.h"
#include "store/store.h"

namespace newsmon {

inline constexpr std::size_t kMaxReplayAlerts = 1000;
inline constexpr std::int64_t kMaxReplayRequestBytes = 4096;  // a request is a small JSON object
// Answers queued per client before further ones are dropped: a client that sends requests
// without reading the answers (each up to kMaxReplayAlerts alerts, a megabyte or more) would
// otherwise have ZeroMQ's default of 1,000 of them held in the daemon's memory. A REQ client
// has one request out at a time.
inline constexpr int kReplayQueuedAnswers = 4;
inline constexpr std::size_t kReplayRequestsPerTurn = 16;

inline constexpr std::int64_t kEveryStoredAlert = std::numeric_limits<std::int64_t>::max();

class ReplayServer {
 public:
  virtual ~ReplayServer() = default;
  // The socket lives in bus's context, which must outlive it. shard: the daemon's "K/N",
  // named in every answer, or "" when it is not sharded.
  static Result<std::unique_ptr<ReplayServer>> Bind(const std::string& endpoint, Store& store,
                                                    BusContext& bus, std::string shard = "");

  // A descriptor that becomes readable when requests may be waiting (ZMQ_FD).
  virtual int fd() const = 0;
  // Answers the requests that have arrived, at most kReplayRequestsPerTurn; returns how many.
  // Only alerts up to `durable_through` are told of (Outbox::durable_through): a seq handed
  // out before the store synced it may name another alert after a power loss.
  virtual std::size_t ServePending(std::int64_t durable_through = kEveryStoredAlert) = 0;
  // More requests are waiting than the last call served: the loop must come back at once
  // (ZMQ_FD is edge-triggered and will not wake it for them).
  virtual bool has_pending() const = 0;
};

// The reply to one request body, told of alerts up to durable_through; exposed for tests.
std::string ReplayReply(const std::string& request, Store& store, const std::string& shard = "",
                        std::int64_t durable_through = kEveryStoredAlert);

}  // namespace newsmon
