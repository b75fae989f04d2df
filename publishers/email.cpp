#include "publishers/email.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "core/backoff.h"
#include "core/curl_handles.h"
#include "core/curl_multi.h"
#include "core/time_format.h"
#include "publishers/email_message.h"
#include "publishers/sink_delivery.h"
#include "publishers/webhook_formats.h"

namespace newsmon {
namespace {

using Clock = SinkClock;  // the steady time points; newsmon::Clock is the Env's clock
using std::chrono::milliseconds;

// Alerts held in memory while their digests wait; past it the outbox is read as they go out.
constexpr std::size_t kMostWaiting = 2000;

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string copy = value;
  curl_free(value);
  return copy;
}

struct SmtpUrl {
  std::string scheme;
  std::string host;
  std::string port;
};

Result<SmtpUrl> ParseSmtpUrl(const std::string& url) {
  const std::string lower = Lowercase(url);
  if (!lower.starts_with("smtp://") && !lower.starts_with("smtps://")) {
    return Status::Error("url '" + url + "' must start with smtp:// or smtps://");
  }
  UrlHandle parsed(curl_url());
  if (!parsed) return Status::Error("out of memory");
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    return Status::Error("url '" + url + "' is not a valid URL: " + curl_url_strerror(rc));
  }
  // A password in the URL would reach logs and `ps`-like views of the config; and the log
  // line names the URL, so the whole user part is refused.
  if (!UrlPart(parsed.get(), CURLUPART_USER).empty()) {
    return Status::Error("the url must not hold credentials: set username and password");
  }
  return SmtpUrl{UrlPart(parsed.get(), CURLUPART_SCHEME), UrlPart(parsed.get(), CURLUPART_HOST),
                 UrlPart(parsed.get(), CURLUPART_PORT)};
}

Status CheckAddresses(const EmailOptions& options) {
  if (!IsMailAddress(options.from)) {
    return Status::Error("'" + options.from + "' is not an e-mail address");
  }
  if (options.to.empty()) return Status::Error("no recipient");
  for (const std::string& to : options.to) {
    if (!IsMailAddress(to)) return Status::Error("'" + to + "' is not an e-mail address");
  }
  return Status::Ok();
}

Status CheckOptions(const EmailOptions& options, const SmtpUrl& url) {
  if (Status s = CheckAddresses(options); !s.ok()) return s;
  if (url.scheme == "smtp" && !options.starttls && !options.username.empty() &&
      !IsLoopbackHost(url.host)) {
    return Status::Error("credentials go only over TLS: keep starttls on, or use smtps://");
  }
  if (!options.ca_file.empty()) {
    if (Status s = CheckCaFile(options.ca_file); !s.ok()) return s;
  }
  if (options.connect_timeout.count() <= 0 || options.timeout.count() <= 0) {
    return Status::Error("timeouts must be positive");
  }
  if (options.min_backoff.count() <= 0 || options.min_backoff > options.max_backoff) {
    return Status::Error("min_backoff must be positive and at most max_backoff");
  }
  if (options.digest.count() < 0) return Status::Error("digest must not be negative");
  if (options.batch == 0 || options.most_per_digest == 0) {
    return Status::Error("batch and most_per_digest must be positive");
  }
  return Status::Ok();
}

// [A-Za-z0-9-] only, so the sink's name fits a Message-ID's dot-atom.
std::string AtomOf(const std::string& text) {
  std::string atom;
  for (char c : text) atom += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return atom;
}

// One message ready to go: which alerts it carries and its text, fixed at its first attempt so a
// retry sends the same message.
struct Outgoing {
  std::string topic;
  std::vector<std::int64_t> seqs;
  std::string text;
};

// One SMTP session: owns the easy handle and everything curl points into while it runs.
class Mail {
 public:
  explicit Mail(const std::string& text) : text_(text) {}
  Mail(const Mail&) = delete;
  Mail& operator=(const Mail&) = delete;
  // curl requires an easy handle to leave its multi handle before it is cleaned up.
  ~Mail() {
    if (multi_) multi_->Remove(easy_.get());
  }

  // A prompt transfer: never queued behind the feeds.
  Status Start(const EmailOptions& options, CurlMulti& multi) {
    easy_.reset(curl_easy_init());
    if (!easy_) return Status::Error("cannot create a curl handle");
    for (const std::string& to : options.to) {
      curl_slist* head = curl_slist_append(recipients_.get(), ("<" + to + ">").c_str());
      if (head == nullptr) return Status::Error("out of memory");
      recipients_.release();
      recipients_.reset(head);
    }
    Configure(options);
    Status added = multi.Add(easy_.get(), CurlLane::kPrompt, [this](CURLcode result) {
      multi_ = nullptr;  // the driver has taken the handle out
      result_ = result;
    });
    if (added.ok()) multi_ = &multi;
    return added;
  }

  bool done() const { return result_.has_value(); }

  // Once done(): ok when the server accepted the message for every recipient.
  Status Outcome(const EmailOptions& options) const {
    if (*result_ == CURLE_OK) return Status::Ok();
    std::string message = error_[0] ? error_ : curl_easy_strerror(*result_);
    // curl's own text ("SSL certificate problem: self-signed certificate") does not say what
    // to change; an internal CA is the usual cause, and ca_file the fix.
    if (*result_ == CURLE_PEER_FAILED_VERIFICATION) {
      if (options.ca_file.empty()) {
        return Status::Error(
            "the server's certificate could not be verified against the system's CAs (" + message +
            "): for a relay with an internal CA, set ca_file to that CA's certificate");
      }
      return Status::Error("the server's certificate could not be verified against ca_file " +
                           options.ca_file + " (" + message + ")");
    }
    if (*result_ == CURLE_SSL_CACERT_BADFILE && !options.ca_file.empty()) {
      return Status::Error("cannot use ca_file " + options.ca_file + ": " + message);
    }
    long code = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
    if (code != 0 && message.find(std::to_string(code)) == std::string::npos) {
      message += " (SMTP " + std::to_string(code) + ")";
    }
    return Status::Error(message);
  }

 private:
  // libcurl's SMTP upload, as in its smtp-mail.c example
  // (https://curl.se/libcurl/c/smtp-mail.html): CURLOPT_MAIL_FROM and CURLOPT_MAIL_RCPT take bare
  // addresses in <>, the message is read through CURLOPT_READFUNCTION with CURLOPT_UPLOAD, and curl
  // dot-stuffs lines that start with "." and ends DATA with CRLF.CRLF itself (lib/smtp.c,
  // Curl_smtp_escape_eob), so the message is handed over as it is. Without
  // CURLOPT_MAIL_RCPT_ALLOWFAILS one refused recipient fails the whole transfer, which is retried:
  // no recipient misses a message.
  void Configure(const EmailOptions& options) {
    CURL* easy = easy_.get();
    curl_easy_setopt(easy, CURLOPT_URL, options.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(easy, CURLOPT_MAIL_FROM, ("<" + options.from + ">").c_str());
    curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, recipients_.get());
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, ReadMessage);
    curl_easy_setopt(easy, CURLOPT_READDATA, this);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text_.size()));
    // CURLUSESSL_ALL: STARTTLS or fail with CURLE_USE_SSL_FAILED, never on in plain text
    // (https://curl.se/libcurl/c/CURLOPT_USE_SSL.html); smtps:// is TLS from the start.
    curl_easy_setopt(easy, CURLOPT_USE_SSL,
                     static_cast<long>(options.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    if (!options.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
      // Debian's libcurl also searches /etc/ssl/certs (built --with-ca-path): the file would
      // add to the system's CAs rather than replace them, which is not what the setting says.
      // NULL turns the path off (https://curl.se/libcurl/c/CURLOPT_CAPATH.html).
      curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
      // libcurl (7.87+) keeps a multi handle's parsed CA store for a day by default
      // (https://curl.se/libcurl/c/CURLOPT_CA_CACHE_TIMEOUT.html), once there is no CA path:
      // a CA file replaced in place would go unread until then. A small file parsed per
      // message costs nothing.
      curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 0L);
    }
    if (!options.username.empty()) {
      curl_easy_setopt(easy, CURLOPT_USERNAME, options.username.c_str());
      curl_easy_setopt(easy, CURLOPT_PASSWORD, options.password.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_);
  }

  static size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
    auto* mail = static_cast<Mail*>(user);
    const std::size_t n = std::min(size * count, mail->text_.size() - mail->sent_);
    std::copy_n(mail->text_.data() + mail->sent_, n, buffer);
    mail->sent_ += n;
    return n;
  }

  const std::string& text_;  // the Outgoing's, which outlives the Mail
  std::size_t sent_ = 0;
  EasyHandle easy_;
  HeaderList recipients_;
  char error_[CURL_ERROR_SIZE] = {};
  CurlMulti* multi_ = nullptr;      // set while in the driver
  std::optional<CURLcode> result_;  // set when done
};

// An alert read from the outbox and not yet mailed, with when its thread's digest is due if it
// opens one.
struct Waiting {
  OutboxEntry entry;
  Clock::time_point due;
};

class SmtpEmailSink final : public EmailSink {
 public:
  SmtpEmailSink(EmailOptions options, SmtpUrl url, Store& store, CurlMulti& multi,
                std::int64_t cursor, Env& env)
      : options_(std::move(options)),
        log_url_(url.scheme + "://" + url.host + (url.port.empty() ? "" : ":" + url.port)),
        domain_(options_.from.substr(options_.from.find('@') + 1)),
        store_(store),
        cursor_(cursor),
        read_up_to_(cursor),
        retries_("email '" + options_.name + "'", log_url_, options_.min_backoff,
                 options_.max_backoff, env.random),
        mark_(store, EmailMarkKey(options_.name), "email '" + options_.name + "'", cursor),
        clock_(env.clock),
        multi_(multi) {
    for (const std::string& thread : options_.threads) topics_.insert(AlertTopic(thread));
  }

  std::optional<Clock::time_point> NextDeadline() const override {
    if (mail_) return std::nullopt;
    if (outgoing_ || (outbox_may_have_more_ && waiting_.size() < kMostWaiting)) {
      return retries_.next_attempt();
    }
    if (waiting_.empty()) return std::nullopt;
    return std::max(retries_.next_attempt(), EarliestDue());
  }

  // A message started here connects in the driver's next Wait(), which curl makes return at once.
  void Pump(Clock::time_point now) override {
    Harvest(now);
    if (!mail_ && now >= retries_.next_attempt()) {
      ReadOutbox(now);
      StartNext(now);
    }
    mark_.Save(cursor_);
  }

  // Only news for the sink when it may read further: a flag set for nothing would have its
  // NextDeadline() ask the loop to turn at once, again and again.
  void Notify(std::int64_t durable_through) override {
    durable_through_ = std::max(durable_through_, durable_through);
    if (durable_through_ > read_up_to_) outbox_may_have_more_ = true;
  }
  const std::string& name() const override { return options_.name; }

  SinkState state() const override {
    return {cursor_,           delivered_,           retries_.failed_attempts(),
            retries_.failing(), retries_.last_error(), mail_ != nullptr};
  }

 private:
  // One batch per call, so a long run of other threads' alerts never stalls the loop.
  void ReadOutbox(Clock::time_point now) {
    if (!outbox_may_have_more_ || waiting_.size() >= kMostWaiting) return;
    if (read_up_to_ >= durable_through_) {
      outbox_may_have_more_ = false;  // until Notify says more is synced
      return;
    }
    auto entries = store_.AlertsAfter(read_up_to_, options_.batch, "");
    if (!entries.ok()) {
      retries_.Failed(entries.status().WithContext("reading the outbox: "), now);
      return;
    }
    outbox_may_have_more_ = entries->size() >= options_.batch;
    for (OutboxEntry& entry : *entries) {
      const std::int64_t seq = entry.seq;
      if (seq > durable_through_) {
        outbox_may_have_more_ = false;  // until the next Notify
        break;
      }
      if (Follows(entry.topic)) {
        auto mark = ThreadMark(entry.topic);
        if (!mark.ok()) {
          // Read again later from this alert on: taking the mark as 0 would mail again what a
          // digest already mailed.
          retries_.Failed(mark.status().WithContext("reading the mark of " + entry.topic + ": "),
                          now);
          outbox_may_have_more_ = true;
          break;
        }
        if (seq > *mark) {
          const Clock::time_point due = DueTime(entry, now);
          waiting_.emplace(seq, Waiting{std::move(entry), due});
        }
      }
      read_up_to_ = seq;
    }
    AdvanceCursor();
  }

  bool Follows(const std::string& topic) const {
    return topics_.empty() || topics_.contains(topic);
  }

  // A digest is due its period after its first alert was detected, not after it was read: a
  // restart does not push a waiting digest back by a whole period.
  Clock::time_point DueTime(const OutboxEntry& entry, Clock::time_point now) const {
    if (options_.digest.count() == 0) return now;
    auto facts = AlertFactsOf(entry.body);
    const std::int64_t unix_now = clock_.UnixSeconds();
    std::int64_t detected = facts ? ParseRfc3339(facts->detected_at) : 0;
    if (detected <= 0 || detected > unix_now) detected = unix_now;
    const auto waited = std::chrono::seconds(unix_now - detected);
    return now + std::max<Clock::duration>(Clock::duration::zero(), options_.digest - waited);
  }

  // The earliest due time among the threads' oldest waiting alerts.
  Clock::time_point EarliestDue() const {
    Clock::time_point earliest = Clock::time_point::max();
    std::set<std::string> seen;
    for (const auto& [seq, waiting] : waiting_) {
      if (seen.insert(waiting.entry.topic).second) earliest = std::min(earliest, waiting.due);
    }
    return earliest;
  }

  // The last seq of a thread mailed in a digest ahead of the sink's mark; 0 when none. Kept
  // once read; a failed read is not kept.
  Result<std::int64_t> ThreadMark(const std::string& topic) {
    auto known = thread_marks_.find(topic);
    if (known != thread_marks_.end()) return known->second;
    auto stored = store_.WebhookCursor(ThreadMarkKey(topic));
    if (!stored.ok()) return stored.status();
    const std::int64_t mark = stored->value_or(0);
    thread_marks_[topic] = mark;
    return mark;
  }

  std::string ThreadMarkKey(const std::string& topic) const {
    return EmailMarkKey(options_.name) + ":" + topic;
  }

  void StartNext(Clock::time_point now) {
    if (!outgoing_) outgoing_ = NextMessage(now);
    if (!outgoing_) return;
    auto mail = std::make_unique<Mail>(outgoing_->text);
    if (Status s = mail->Start(options_, multi_); !s.ok()) {
      retries_.Failed(s, now);
      return;
    }
    spdlog::debug("email '{}': mailing alerts {} to {}", options_.name, outgoing_->seqs.front(),
                  outgoing_->seqs.back());
    mail_ = std::move(mail);
  }

  // The oldest thread whose digest is due (the oldest alert without a digest), with up to
  // most_per_digest of its alerts.
  std::optional<Outgoing> NextMessage(Clock::time_point now) const {
    std::set<std::string> seen;
    for (const auto& [seq, waiting] : waiting_) {
      if (!seen.insert(waiting.entry.topic).second) continue;
      if (waiting.due <= now) return Compose(waiting.entry.topic);
    }
    return std::nullopt;
  }

  Outgoing Compose(const std::string& topic) const {
    const std::size_t most = options_.digest.count() == 0 ? 1 : options_.most_per_digest;
    std::vector<OutboxEntry> alerts;
    for (const auto& [seq, waiting] : waiting_) {
      if (waiting.entry.topic != topic) continue;
      alerts.push_back(waiting.entry);
      if (alerts.size() == most) break;
    }
    Outgoing outgoing{topic, {}, ""};
    for (const OutboxEntry& alert : alerts) outgoing.seqs.push_back(alert.seq);
    MailHeaders headers{options_.from, options_.to, clock_.UnixSeconds(), MessageId(outgoing.seqs)};
    outgoing.text = ComposeMail(headers, AlertMailText(alerts));
    return outgoing;
  }

  // The same for a retry, and after a restart for the same alerts: a mail client that got a
  // message whose acknowledgement was lost can tell the second copy. The database id keeps a
  // new database's seqs from repeating an old one's.
  std::string MessageId(const std::vector<std::int64_t>& seqs) const {
    std::string range = std::to_string(seqs.front());
    if (seqs.size() > 1) {
      range += "-" + std::to_string(seqs.back()) + "." + std::to_string(seqs.size());
    }
    return "<newsmon." + range + "." + AtomOf(options_.name) + "." + AtomOf(store_.DatabaseId()) +
           "@" + domain_ + ">";
  }

  void Harvest(Clock::time_point now) {
    if (!mail_ || !mail_->done()) return;
    Status status = mail_->Outcome(options_);
    mail_.reset();
    if (status.ok()) {
      Delivered(now);
    } else {
      retries_.Failed(status, now);
    }
  }

  void Delivered(Clock::time_point now) {
    for (std::int64_t seq : outgoing_->seqs) waiting_.erase(seq);
    delivered_ += outgoing_->seqs.size();
    const std::int64_t last = outgoing_->seqs.back();
    const std::string topic = outgoing_->topic;
    outgoing_.reset();
    AdvanceCursor();
    if (cursor_ < last) StoreThreadMark(topic, last);
    retries_.Succeeded(now);
  }

  // A lost write costs a second copy of that digest after a restart, nothing more.
  void StoreThreadMark(const std::string& topic, std::int64_t seq) {
    thread_marks_[topic] = seq;
    if (Status s = store_.SetWebhookCursor(ThreadMarkKey(topic), seq); !s.ok()) {
      spdlog::warn("email '{}': cannot store what it mailed of {}: {}", options_.name, topic,
                   s.message());
    }
  }

  // Everything before the oldest waiting alert was mailed or is not ours to mail.
  void AdvanceCursor() { cursor_ = waiting_.empty() ? read_up_to_ : waiting_.begin()->first - 1; }

  EmailOptions options_;
  std::string log_url_;
  std::string domain_;  // of the From address, for Message-IDs
  Store& store_;
  std::set<std::string> topics_;  // empty: every thread
  std::int64_t cursor_;
  std::int64_t read_up_to_;                           // the last seq read from the outbox
  std::int64_t durable_through_ = 0;                  // read no further (Notify)
  std::map<std::int64_t, Waiting> waiting_;           // by seq: read, ours, not yet mailed
  std::map<std::string, std::int64_t> thread_marks_;  // by topic
  std::optional<Outgoing> outgoing_;                  // the message being sent or retried
  bool outbox_may_have_more_ = false;                 // nothing to read before the first Notify
  std::uint64_t delivered_ = 0;
  DeliveryRetries retries_;  // of outgoing_
  SinkMark mark_;
  const newsmon::Clock& clock_;
  CurlMulti& multi_;
  std::unique_ptr<Mail> mail_;  // after outgoing_, whose text it reads; leaves multi_ when it goes
};


}  // namespace

std::string EmailMarkKey(const std::string& sink_name) { return "email:" + sink_name; }

Status CheckCaFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return Status::Error("ca_file " + path + " is a directory, not a PEM file of certificates");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::Error("cannot read ca_file " + path + ": " + std::strerror(errno));
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  // Caught here rather than as curl's "error setting certificate file" at the first message.
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Status::Error("ca_file " + path +
                         " holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  }
  return Status::Ok();
}

bool IsLoopbackHost(const std::string& host) {
  std::string bare = Lowercase(host);
  if (!bare.empty() && bare.front() == '[') bare.erase(0, 1);
  if (!bare.empty() && bare.back() == ']') bare.pop_back();
  if (bare == "localhost" || bare == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, bare.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

Result<std::unique_ptr<EmailSink>> EmailSink::Create(const EmailOptions& options, Store& store,
                                                     CurlMulti& multi, Env& env) {
  if (options.name.empty()) return Status::Error("an e-mail sink needs a name");
  const std::string context = "email '" + options.name + "': ";
  CurlGlobalInitOnce();
  auto url = ParseSmtpUrl(options.url);
  if (!url.ok()) return url.status().WithContext(context);
  if (Status s = CheckOptions(options, *url); !s.ok()) return s.WithContext(context);
  auto cursor = SinkMark::Initial(store, EmailMarkKey(options.name));
  if (!cursor.ok()) return cursor.status().WithContext(context);
  return std::unique_ptr<EmailSink>(
      std::make_unique<SmtpEmailSink>(options, *url, store, multi, *cursor, env));
}

}  // namespace newsmon
