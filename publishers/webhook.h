// A webhook sink: POSTs each alert of the outbox to one URL, with the same JSON body as on
// the bus, signed with HMAC-SHA256 when a secret is set. It runs on the daemon's loop
// thread and never blocks it: it owns a curl multi handle driven through the socket API,
// so the loop watches WaitFds() until NextDeadline() and then calls Pump().
//
// Delivery is in seq order with one request in flight; a failure (transport error,
// timeout, redirect, non-2xx) retries the same alert with exponential backoff and jitter,
// forever: the queue waits, nothing is skipped. Alerts of threads the sink does not
// follow advance its cursor without a request.
//
// The cursor (the last seq delivered or skipped) is stored per sink name after every
// success, so a restart resumes where the sink stopped. A sink with no stored cursor (new
// in the config, or added to a database that already holds alerts) starts at the
// database's current last seq: it does not flood its receiver with history. Delivery is at
// least once: an alert whose POST succeeded but whose cursor update was lost in a crash is
// posted again, so receivers dedupe by "seq" (in the body and in X-Newsmon-Seq).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "core/wait_fd.h"
#include "store/store.h"

namespace newsmon {

using WebhookClock = std::chrono::steady_clock;  // the time points of newsmon::Clock

struct WebhookOptions {
  std::string name;                  // the key of the stored cursor
  std::string url;                   // http:// or https://; redirects are not followed
  std::string secret;                // empty: no X-Newsmon-Signature-256 header
  std::vector<std::string> threads;  // thread ids to deliver; empty: every thread
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // the whole request
  std::chrono::milliseconds min_backoff{std::chrono::seconds(1)};
  // Also caps a receiver's Retry-After, so a bad header cannot stall delivery for days.
  std::chrono::milliseconds max_backoff{std::chrono::minutes(10)};
  std::size_t batch = 100;  // outbox rows read per look
  std::string user_agent;   // empty: "newsmon/VERSION"
};

// For metrics and status; a snapshot.
struct WebhookState {
  std::int64_t cursor = 0;      // last seq delivered or skipped
  std::uint64_t delivered = 0;  // alerts delivered since the sink was created
  std::uint64_t failed_attempts = 0;
  bool failing = false;    // the last attempt failed; cleared by a success
  std::string last_error;  // why the last failed attempt failed
  bool in_flight = false;
};

class WebhookSink {
 public:
  virtual ~WebhookSink() = default;
  // Validates the options and reads (or, for a new sink, records) the cursor. store and env
  // must outlive the sink and be used on the same thread; curl's timers are read on env's
  // clock and retry jitter is drawn from its random source.
  static Result<std::unique_ptr<WebhookSink>> Create(const WebhookOptions& options, Store& store,
                                                     Env& env = Env::Default());

  // The sockets curl wants watched, each with what it waits for. They change with every
  // Pump(), so the loop asks again before each wait, as it does NextDeadline().
  virtual std::vector<WaitFd> WaitFds() const = 0;
  // When Pump() must run even if no socket is ready: curl's timer, the end of a backoff,
  // or a time already past when there is outbox work to do. nullopt: only sockets matter.
  virtual std::optional<WebhookClock::time_point> NextDeadline() const = 0;
  // Moves the sink on: the ready sockets, an expired timer, a finished request (the cursor
  // is stored on success), and the next request when idle. ready is the WaitFds() entries
  // after the wait, with readable/writable set; descriptors the sink does not own are
  // ignored. Never waits.
  virtual void Pump(std::span<const WaitFd> ready, WebhookClock::time_point now) = 0;
  // New alerts were stored: the next Pump() looks at the outbox again. Cheap; call it
  // after every stored batch. Without it a drained sink does not read the outbox.
  virtual void Notify() = 0;

  virtual const std::string& name() const = 0;
  virtual WebhookState state() const = 0;
};

// Lowercase hex HMAC-SHA256 of body keyed with secret. The request carries it as
// "X-Newsmon-Signature-256: sha256=<hex>" (GitHub's X-Hub-Signature-256 convention).
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace newsmon
