#include "publishers/webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <deque>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "core/backoff.h"
#include "core/curl_handles.h"
#include "core/curl_multi.h"
#include "core/version.h"
#include "publishers/sink_delivery.h"

namespace newsmon {
namespace {

using Clock = WebhookClock;
using std::chrono::milliseconds;

constexpr std::size_t kResponseSnippetBytes = 200;

std::string UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string copy = value;
  curl_free(value);
  return copy;
}

Status CheckUrl(const std::string& url) {
  std::string lower = url;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!lower.starts_with("http://") && !lower.starts_with("https://")) {
    return Status::Error("url '" + url + "' must start with http:// or https://");
  }
  UrlHandle parsed(curl_url());
  if (!parsed) return Status::Error("out of memory");
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    return Status::Error("url '" + url + "' is not a valid URL: " + curl_url_strerror(rc));
  }
  return Status::Ok();
}

// Webhook URLs often carry their credential (user:password@, ?token=, or the path itself,
// as Slack's and Discord's do); the log gets scheme, host and port only.
std::string RedactedUrl(const std::string& url) {
  UrlHandle parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return "(invalid URL)";
  }
  std::string port = UrlPart(parsed.get(), CURLUPART_PORT);
  return UrlPart(parsed.get(), CURLUPART_SCHEME) + "://" + UrlPart(parsed.get(), CURLUPART_HOST) +
         (port.empty() ? "" : ":" + port);
}

Status CheckOptions(const WebhookOptions& options) {
  if (Status s = CheckUrl(options.url); !s.ok()) return s;
  if (options.connect_timeout.count() <= 0 || options.timeout.count() <= 0) {
    return Status::Error("timeouts must be positive");
  }
  if (options.min_backoff.count() <= 0 || options.min_backoff > options.max_backoff) {
    return Status::Error("min_backoff must be positive and at most max_backoff");
  }
  if (options.batch == 0) return Status::Error("batch must be positive");
  return Status::Ok();
}

// One POST: owns the easy handle and everything curl points into while it runs.
class Post {
 public:
  Post(std::int64_t seq, WebhookMessage message)
      : seq_(seq), body_(std::move(message.body)), message_(std::move(message)) {}
  Post(const Post&) = delete;
  Post& operator=(const Post&) = delete;
  // curl requires an easy handle to leave its multi handle before it is cleaned up.
  ~Post() {
    if (multi_) multi_->Remove(easy_.get());
  }

  // A prompt transfer: never queued behind the feeds.
  Status Start(const WebhookOptions& options, const std::string& topic, CurlMulti& multi) {
    easy_.reset(curl_easy_init());
    if (!easy_) return Status::Error("cannot create a curl handle");
    Configure(options, topic);
    Status added = multi.Add(easy_.get(), CurlLane::kPrompt, [this](CURLcode result) {
      multi_ = nullptr;  // the driver has taken the handle out
      result_ = result;
    });
    if (added.ok()) multi_ = &multi;
    return added;
  }

  bool done() const { return result_.has_value(); }
  std::int64_t seq() const { return seq_; }

  // Once done(): why the POST did not deliver (ok when it did), and how long the receiver
  // asked us to wait before the next attempt.
  std::pair<Status, std::optional<std::chrono::seconds>> Outcome() const {
    const CURLcode result = *result_;
    if (result != CURLE_OK) {
      return {Status::Error(error_[0] ? error_ : curl_easy_strerror(result)), std::nullopt};
    }
    long code = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) return {Status::Ok(), std::nullopt};
    if (code >= 300 && code < 400) return {Redirected(code), std::nullopt};
    std::string message = "HTTP " + std::to_string(code);
    if (!response_.empty()) message += ": " + response_;
    return {Status::Error(message), RetryAfter(code)};
  }

 private:
  void Configure(const WebhookOptions& options, const std::string& topic) {
    CURL* easy = easy_.get();
    curl_easy_setopt(easy, CURLOPT_URL, options.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    // body_ lives as long as the transfer, so curl need not copy it.
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body_.c_str());
    headers_ = Headers(options.secret, topic);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, KeepResponseStart);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  }

  HeaderList Headers(const std::string& secret, const std::string& topic) const {
    std::vector<std::string> lines = {"Content-Type: " + message_.content_type,
                                      "X-Newsmon-Seq: " + std::to_string(seq_),
                                      "X-Newsmon-Topic: " + topic,
                                      // A body over 1 MiB would otherwise wait up to a second for a
                                      // 100 Continue that many receivers never send.
                                      "Expect:"};
    if (!secret.empty()) {
      lines.push_back("X-Newsmon-Signature-256: sha256=" + WebhookSignature(secret, body_));
    }
    lines.insert(lines.end(), message_.headers.begin(), message_.headers.end());
    HeaderList list;
    for (const std::string& line : lines) {
      curl_slist* head = curl_slist_append(list.get(), line.c_str());
      if (head == nullptr) break;  // out of memory: the list so far stays valid
      list.release();
      list.reset(head);
    }
    return list;
  }

  // Keeps the first printable characters of the response for the error message.
  static size_t KeepResponseStart(char* data, size_t size, size_t count, void* user) {
    auto* post = static_cast<Post*>(user);
    for (size_t i = 0; i < size * count && post->response_.size() < kResponseSnippetBytes; ++i) {
      char c = data[i];
      post->response_ += (c >= 0x20 && c < 0x7f) ? c : ' ';
    }
    return size * count;
  }

  Status Redirected(long code) const {
    char* location = nullptr;
    curl_easy_getinfo(easy_.get(), CURLINFO_REDIRECT_URL, &location);
    return Status::Error("HTTP " + std::to_string(code) + " redirect to " +
                         (location ? location : "(no Location)") +
                         "; webhooks do not follow redirects: set the url to where it points");
  }

  std::optional<std::chrono::seconds> RetryAfter(long code) const {
    if (code != 429 && code != 503) return std::nullopt;
    curl_off_t seconds = 0;
    if (curl_easy_getinfo(easy_.get(), CURLINFO_RETRY_AFTER, &seconds) != CURLE_OK ||
        seconds <= 0) {
      return std::nullopt;
    }
    return std::chrono::seconds(seconds);
  }

  std::int64_t seq_;
  std::string body_;
  WebhookMessage message_;  // its content type and extra headers (the body is moved out)
  EasyHandle easy_;
  HeaderList headers_;
  std::string response_;
  char error_[CURL_ERROR_SIZE] = {};
  CurlMulti* multi_ = nullptr;      // set while in the driver
  std::optional<CURLcode> result_;  // set when done
};

class HttpWebhookSink final : public WebhookSink {
 public:
  HttpWebhookSink(WebhookOptions options, Store& store, CurlMulti& multi, std::int64_t cursor,
                  Env& env)
      : options_(std::move(options)),
        log_url_(RedactedUrl(options_.url)),
        store_(store),
        cursor_(cursor),
        read_up_to_(cursor),
        retries_("webhook '" + options_.name + "'", log_url_, options_.min_backoff,
                 options_.max_backoff, env.random),
        mark_(store, options_.name, "webhook '" + options_.name + "'", cursor),
        multi_(multi) {
    if (options_.user_agent.empty()) options_.user_agent = "newsmon/" NEWSMON_VERSION;
    for (const std::string& thread : options_.threads) topics_.insert(AlertTopic(thread));
  }

  std::optional<Clock::time_point> NextDeadline() const override {
    if (!post_ && (!queue_.empty() || outbox_may_have_more_)) return retries_.next_attempt();
    return std::nullopt;
  }

  // A POST started here connects in the driver's next Wait(), which curl makes return at once.
  void Pump(Clock::time_point now) override {
    Harvest(now);
    if (!post_ && now >= retries_.next_attempt()) StartNext(now);
    mark_.Save(cursor_);
  }

  // Only news for the sink when it may read further: a flag set for nothing would have its
  // NextDeadline() ask the loop to turn at once, again and again.
  void Notify(std::int64_t durable_through) override {
    durable_through_ = std::max(durable_through_, durable_through);
    if (durable_through_ > read_up_to_) outbox_may_have_more_ = true;
  }

  const std::string& name() const override { return options_.name; }

  WebhookState state() const override {
    return {cursor_,           delivered_,           retries_.failed_attempts(),
            retries_.failing(), retries_.last_error(), post_ != nullptr};
  }

 private:
  // Fills the queue from the outbox when it is empty and starts a POST of its head.
  bool StartNext(Clock::time_point now) {
    if (queue_.empty() && !ReadOutbox(now)) return false;
    if (queue_.empty()) return false;
    auto post = std::make_unique<Post>(
        queue_.front().seq,
        FormatWebhookMessage(options_.format, queue_.front().body, options_.chat_id));
    if (Status s = post->Start(options_, queue_.front().topic, multi_); !s.ok()) {
      retries_.Failed(s, now);
      return false;
    }
    spdlog::debug("webhook '{}': posting alert {}", options_.name, post->seq());
    post_ = std::move(post);
    return true;
  }

  // One batch per call, so a long run of other threads' alerts never stalls the loop.
  bool ReadOutbox(Clock::time_point now) {
    if (!outbox_may_have_more_) return true;
    if (read_up_to_ >= durable_through_) {
      outbox_may_have_more_ = false;  // until Notify says more is synced
      return true;
    }
    auto entries = store_.AlertsAfter(read_up_to_, options_.batch, "");
    if (!entries.ok()) {
      retries_.Failed(entries.status().WithContext("reading the outbox: "), now);
      return false;
    }
    outbox_may_have_more_ = entries->size() >= options_.batch;
    for (OutboxEntry& entry : *entries) {
      if (entry.seq > durable_through_) {
        outbox_may_have_more_ = false;  // until the next Notify
        break;
      }
      read_up_to_ = entry.seq;
      if (Follows(entry.topic)) queue_.push_back(std::move(entry));
    }
    AdvanceCursor();
    return true;
  }

  bool Follows(const std::string& topic) const {
    return topics_.empty() || topics_.contains(topic);
  }

  // Everything before the queue's head was delivered or is not ours to deliver.
  void AdvanceCursor() { cursor_ = queue_.empty() ? read_up_to_ : queue_.front().seq - 1; }

  void Harvest(Clock::time_point now) {
    if (!post_ || !post_->done()) return;
    auto [status, retry_after] = post_->Outcome();
    post_.reset();  // the connection stays in the driver's cache for the next POST
    if (status.ok()) {
      Delivered(now);
    } else {
      retries_.Failed(status, now, retry_after);
    }
  }

  void Delivered(Clock::time_point now) {
    queue_.pop_front();
    AdvanceCursor();
    ++delivered_;
    retries_.Succeeded(now);
  }

  WebhookOptions options_;
  std::string log_url_;
  Store& store_;
  std::unordered_set<std::string> topics_;  // empty: every thread
  std::int64_t cursor_;
  std::int64_t read_up_to_;        // the last seq read from the outbox
  std::int64_t durable_through_ = 0;  // read no further (Notify)
  std::deque<OutboxEntry> queue_;  // alerts of our threads read but not yet delivered
  bool outbox_may_have_more_ = false;  // nothing to read before the first Notify
  std::uint64_t delivered_ = 0;
  DeliveryRetries retries_;  // of the queue's head
  SinkMark mark_;
  CurlMulti& multi_;
  std::unique_ptr<Post> post_;  // leaves multi_ when it goes
};


}  // namespace

Result<std::unique_ptr<WebhookSink>> WebhookSink::Create(const WebhookOptions& options,
                                                         Store& store, CurlMulti& multi, Env& env) {
  if (options.name.empty()) return Status::Error("webhook '" + options.url + "' has no name");
  std::string context = "webhook '" + options.name + "': ";
  if (Status s = CheckOptions(options); !s.ok()) return s.WithContext(context);
  auto cursor = SinkMark::Initial(store, options.name);
  if (!cursor.ok()) return cursor.status().WithContext(context);
  CurlGlobalInitOnce();
  return std::unique_ptr<WebhookSink>(
      std::make_unique<HttpWebhookSink>(options, store, multi, *cursor, env));
}

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  // OpenSSL reads an empty key through a pointer that must not be null.
  static const char kEmpty = 0;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.empty() ? &kEmpty : secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

}  // namespace newsmon
