// Replay: a REP socket that answers {"since": N, "limit": M, "thread": "id"} with the
// alerts after N from the outbox, so a subscriber that was away loses nothing. It never
// blocks: the daemon's loop waits on fd() and calls ServePending() after every wake-up.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/status.h"
#include "publishers/bus_context.h"
#include "store/store.h"

namespace newsmon {

inline constexpr std::size_t kMaxReplayAlerts = 1000;

class ReplayServer {
 public:
  virtual ~ReplayServer() = default;
  // The socket lives in bus's context, which must outlive it.
  static Result<std::unique_ptr<ReplayServer>> Bind(const std::string& endpoint, Store& store,
                                                    BusContext& bus);

  // A descriptor that becomes readable when requests may be waiting (ZMQ_FD).
  virtual int fd() const = 0;
  // Answers every request that has arrived; returns how many.
  virtual std::size_t ServePending() = 0;
};

// The reply to one request body; exposed for tests.
std::string ReplayReply(const std::string& request, Store& store);

}  // namespace newsmon
