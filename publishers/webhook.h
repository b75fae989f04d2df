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
#include "publishers/alert_sink.h"
#include "publishers/webhook_formats.h"
#include "store/store.h"

namespace newsmon {

class CurlMulti;

using WebhookClock = SinkClock;
using WebhookState = SinkState;

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

class WebhookSink : public AlertSink {
 public:
  // Validates the options and reads (or, for a new sink, records) the cursor. store, multi and
  // env must outlive the sink and be used on the same thread; backoffs are read on env's
  // clock and retry jitter is drawn from its random source.
  static Result<std::unique_ptr<WebhookSink>> Create(const WebhookOptions& options, Store& store,
                                                     CurlMulti& multi, Env& env = Env::Default());
};

// Lowercase hex HMAC-SHA256 of body keyed with secret. The request carries it as
// "X-Newsmon-Signature-256: sha256=<hex>" (GitHub's X-Hub-Signature-256 convention).
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace newsmon
