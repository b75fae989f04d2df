// A webhook sink: POSTs each alert of the outbox to one URL, with the same JSON body as on
// the bus, signed with HMAC-SHA256 when a secret is set. It runs on the daemon's loop
// thread and never blocks it: its POSTs run in the daemon's curl multi driver
// (core/curl_multi.h), in the prompt lane, so a wave of feed polls does not queue them; the
// loop waits in that driver until NextDeadline() and then calls Pump().
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
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "publishers/webhook_formats.h"
#include "store/store.h"

namespace newsmon {

class CurlMulti;

using WebhookClock = std::chrono::steady_clock;  // the time points of newsmon::Clock

struct WebhookOptions {
  std::string name;                             // the key of the stored cursor
  std::string url;                              // http:// or https://; redirects are not followed
  std::string secret;                           // empty: no X-Newsmon-Signature-256 header
  std::vector<std::string> threads;             // thread ids to deliver; empty: every thread
  WebhookFormat format = WebhookFormat::kJson;  // the alert's JSON, or a chat service's shape
  std::string chat_id;                          // Telegram's chat; required there
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
  // Validates the options and reads (or, for a new sink, records) the cursor. store, multi and
  // env must outlive the sink and be used on the same thread; backoffs are read on env's
  // clock and retry jitter is drawn from its random source.
  static Result<std::unique_ptr<WebhookSink>> Create(const WebhookOptions& options, Store& store,
                                                     CurlMulti& multi, Env& env = Env::Default());

  // When Pump() must run although the driver has nothing for it: the end of a backoff, or a
  // time already past when there is outbox work to do. nullopt: only a finished POST matters
  // (the driver's Wait() returns for it).
  virtual std::optional<WebhookClock::time_point> NextDeadline() const = 0;
  // Moves the sink on: a finished request (the cursor is stored on success), and the next
  // request when idle. Call it after each wait in the driver. Never waits.
  virtual void Pump(WebhookClock::time_point now) = 0;
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
