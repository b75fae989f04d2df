// The e-mail sink against a real SMTP server on loopback (Debian's python3-aiosmtpd, through
// tests/support/smtp_server.py): headers, RFC 2047 subjects read back by Python's email package,
// one message per alert, digests per thread, a restart with a digest waiting, AUTH, and a server
// that is down delaying but never losing a message, and TLS: STARTTLS and smtps:// against a
// self-signed certificate trusted through ca_file, refused without it. The encoders are checked
// on their own first.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "core/curl_multi.h"
#include "core/env.h"
#include "core/time_format.h"
#include "publishers/email.h"
#include "publishers/email_message.h"
#include "store/store.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/fixtures.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

const std::string kCyrillic =
    "Перемирие вступило в силу: стороны договорились об обмене пленными и гуманитарных "
    "коридорах для жителей прифронтовых сёл";

// Decodes standard base64 (what EncodedHeader and the body use); stops at anything else.
std::string FromBase64(std::string_view text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const auto at = kAlphabet.find(c);
    if (at == std::string::npos) continue;
    bits = (bits << 6) | static_cast<unsigned>(at);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Whole UTF-8 characters only: no leading continuation byte, no sequence cut at the end.
bool WholeCharacters(const std::string& bytes) {
  if (bytes.empty() || IsContinuation(bytes.front())) return false;
  std::size_t lead = bytes.size() - 1;
  while (lead > 0 && IsContinuation(bytes[lead])) --lead;
  const auto first = static_cast<unsigned char>(bytes[lead]);
  const std::size_t length = first < 0x80 ? 1 : first < 0xE0 ? 2 : first < 0xF0 ? 3 : 4;
  return bytes.size() - lead == length;
}

// A decoded body with the CRLF line ends it was sent with, as "\n".
std::string Lf(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' || i + 1 >= text.size() || text[i + 1] != '\n') out += text[i];
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = std::min(text.find("\r\n", at), text.size());
    lines.push_back(text.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

TEST_CASE("a Cyrillic subject is encoded-words of at most 75 characters, none cutting a letter") {
  const std::string header = EncodedHeader("Subject", kCyrillic);
  std::string decoded;
  for (const std::string& line : Lines(header)) {
    INFO(line);
    CHECK(line.size() <= 76);
    const std::size_t start = line.find("=?UTF-8?B?");
    REQUIRE(start != std::string::npos);
    const std::string word = line.substr(start);
    CHECK(word.size() <= 75);
    REQUIRE(word.ends_with("?="));
    const std::string bytes = FromBase64(word.substr(10, word.size() - 12));
    CHECK(WholeCharacters(bytes));
    decoded += bytes;
  }
  CHECK(header.starts_with("Subject: =?UTF-8?B?"));
  CHECK(Lines(header).size() > 3);
  CHECK(decoded == kCyrillic);
}

TEST_CASE("a short ASCII subject stays as written, one that could forge a header is encoded") {
  CHECK(EncodedHeader("Subject", "[truces] Ceasefire agreed") ==
        "Subject: [truces] Ceasefire agreed");
  // A line break in a feed's title can neither end the header nor start another.
  const std::string forged = EncodedHeader("Subject", "Hi\r\nBcc: victim@example.org");
  CHECK(forged.find("\r\nBcc") == std::string::npos);
  CHECK(forged == "Subject: Hi  Bcc: victim@example.org");
  // "=?" could read as an encoded-word, so the text is encoded itself.
  CHECK(EncodedHeader("Subject", "a =?x?B?eA==?= b").starts_with("Subject: =?UTF-8?B?"));
  const std::string long_ascii(100, 'a');
  CHECK(Lines(EncodedHeader("Subject", long_ascii)).size() == 3);
}

TEST_CASE("dates are RFC 5322 in UTC and addresses are bare addr-specs") {
  CHECK(MailDate(1767225600) == "Thu, 01 Jan 2026 00:00:00 +0000");
  CHECK(MailDate(1795424500) == "Mon, 23 Nov 2026 09:01:40 +0000");
  CHECK(IsMailAddress("desk@example.org"));
  CHECK(IsMailAddress("night.desk+alerts@news.example.org"));
  CHECK_FALSE(IsMailAddress("desk"));
  CHECK_FALSE(IsMailAddress("@example.org"));
  CHECK_FALSE(IsMailAddress("desk@"));
  CHECK_FALSE(IsMailAddress("Desk <desk@example.org>"));
  CHECK_FALSE(IsMailAddress("a@b@example.org"));
  CHECK_FALSE(IsMailAddress("desk@example..org"));
  CHECK_FALSE(IsMailAddress("dësk@example.org"));
  CHECK_FALSE(IsMailAddress("desk@example.org\r\nRCPT TO:<x@y>"));
}

TEST_CASE("a message's body lines are base64 of CRLF text, 76 characters a line") {
  MailHeaders headers{
      "newsmon@example.org", {"a@example.org", "b@example.org"}, 1767225600, "<id@example.org>"};
  const std::string mail = ComposeMail(headers, {"Subject", "first line\nsecond line\n"});
  const std::string body = mail.substr(mail.find("\r\n\r\n") + 4);
  CHECK(FromBase64(body) == "first line\r\nsecond line\r\n");
  CHECK(mail.substr(0, mail.find("\r\n\r\n")) ==
        "From: newsmon@example.org\r\nTo: a@example.org,\r\n b@example.org\r\nSubject: Subject\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <id@example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: base64");
  const std::string long_body = Base64Lines(std::string(200, 'x'));
  for (const std::string& line : Lines(long_body)) CHECK(line.size() <= 76);
}

// ---- against the SMTP server ----

struct Opened {
  TempDir dir;
  std::unique_ptr<Store> store;
  Opened() {
    auto opened = Store::Open(dir.File("n.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }
};

// Stores one item per (id, thread, title), each matching its thread, fetched at `fetched_at`.
void Seed(Store& store, const std::vector<std::array<std::string, 3>>& items,
          std::int64_t fetched_at = 1795424500) {
  FetchRecord record;
  record.feed = "wire";
  record.config_url = "https://example.org/feed";
  record.fetched_at = fetched_at;
  record.status = Status::Ok();
  for (const auto& [id, thread, title] : items) {
    ClassifiedItem item = MatchingItem(id, thread);
    if (!title.empty()) item.item.title = title;
    record.new_items.push_back(std::move(item));
  }
  REQUIRE(store.RecordFetch(record).ok());
}

EmailOptions FastOptions(const SmtpServer& server) {
  EmailOptions options;
  options.name = "desk";
  options.url = server.Url();
  options.from = "newsmon@example.org";
  options.to = {"night@example.org", "chief@example.org"};
  options.starttls = false;  // aiosmtpd on loopback offers no TLS
  options.connect_timeout = 2000ms;
  options.timeout = 5000ms;
  options.min_backoff = 50ms;
  options.max_backoff = 500ms;
  return options;
}

std::unique_ptr<CurlMulti> NewDriver() {
  auto created = CurlMulti::Create();
  REQUIRE(created.ok());
  return std::move(created).value();
}

// A sink with a curl driver of its own, which goes with it (as in webhook_test.cpp).
struct SinkWithDriver {
  std::unique_ptr<CurlMulti> driver = NewDriver();
  std::unique_ptr<EmailSink> sink;
  SinkWithDriver(const EmailOptions& options, Store& store, Env& env) {
    auto created = EmailSink::Create(options, store, *driver, env);
    INFO(created.status().message());
    REQUIRE(created.ok());
    sink = std::move(created).value();
  }
  ~SinkWithDriver() { sink.reset(); }  // leaves the driver before it goes
};

// Waits like the daemon's loop: in the driver until the sink's next deadline, then pumps. On a
// FakeClock virtual time moves as the real time spent waiting, and jumps to the sink's deadline
// when nothing is in flight, so a fifteen-minute digest passes at once.
bool RunUntil(SinkWithDriver& s, const std::function<bool()>& done, FakeClock* fake = nullptr,
              milliseconds timeout = 15s) {
  const auto give_up = SinkClock::now() + timeout;
  while (!done()) {
    if (SinkClock::now() >= give_up) return false;
    const bool idle = !s.sink->state().in_flight;
    const auto deadline = s.sink->NextDeadline();
    const auto now = fake ? fake->Now() : SinkClock::now();
    milliseconds wait = 20ms;
    if (deadline && !(fake && idle)) {
      wait = std::clamp(std::chrono::ceil<milliseconds>(*deadline - now), 0ms, 20ms);
    } else if (deadline) {
      wait = 0ms;
    }
    std::vector<WaitFd> none;
    const auto before = SinkClock::now();
    REQUIRE(s.driver->Wait(none, wait).ok());
    if (fake) {
      fake->Advance(SinkClock::now() - before);
      if (idle && deadline) fake->AdvanceTo(*deadline);
    }
    s.sink->Pump(fake ? fake->Now() : SinkClock::now());
  }
  return true;
}

// The "Seq: N" lines of a mail's body, in order.
std::vector<std::int64_t> SeqsIn(const ReceivedMail& mail) {
  std::vector<std::int64_t> seqs;
  for (std::size_t at = mail.body.find("Seq: "); at != std::string::npos;
       at = mail.body.find("Seq: ", at + 5)) {
    seqs.push_back(std::stoll(mail.body.substr(at + 5)));
  }
  return seqs;
}

#define SKIP_WITHOUT_AIOSMTPD()                                              \
  if (!SmtpServer::Available()) {                                            \
    WARN(                                                                    \
        "skipping: /usr/bin/python3 cannot import aiosmtpd (Debian package " \
        "python3-aiosmtpd)");                                                \
    return;                                                                  \
  }

TEST_CASE("each alert is one message with its headers and the Cyrillic headline as subject",
          "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  Opened db;
  SmtpServer server;
  SinkWithDriver s(FastOptions(server), *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", kCyrillic}, {"b", "talks", "Talks resume in Geneva"}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().cursor == 2; }));

  const std::vector<ReceivedMail> mails = server.Mails();
  REQUIRE(mails.size() == 2);
  const ReceivedMail& first = mails[0];
  CHECK(first.mail_from == "newsmon@example.org");
  CHECK(first.rcpt_tos == std::vector<std::string>{"night@example.org", "chief@example.org"});
  CHECK(first.subject == "[truces] " + kCyrillic);
  CHECK(first.Header("Subject").starts_with("=?UTF-8?B?"));
  CHECK(first.Header("From") == "newsmon@example.org");
  CHECK(first.Header("To") == "night@example.org, chief@example.org");
  CHECK(first.Header("MIME-Version") == "1.0");
  CHECK(first.Header("Content-Type") == "text/plain; charset=UTF-8");
  CHECK(first.Header("Content-Transfer-Encoding") == "base64");
  CHECK(first.Header("Message-ID") ==
        "<newsmon.1.desk." + db.store->DatabaseId() + "@example.org>");
  const std::string date = first.Header("Date");
  CHECK(date.ends_with(" +0000"));
  CHECK(date.size() == std::string("Thu, 01 Jan 2026 00:00:00 +0000").size());
  CHECK(first.body.find("\r\nSeq: 1\r\n") != std::string::npos);
  CHECK(Lf(first.body) == kCyrillic +
                              "\nhttps://example.org/a\n\nThread: truces\nKind: new\nOutlet: wire\n"
                              "Matched: ceasefire\nSeq: 1\n");
  for (const std::string& line : Lines(first.raw)) CHECK(line.size() <= 78);
  CHECK(mails[1].subject == "[talks] Talks resume in Geneva");
  CHECK(mails[1].Header("Subject") == "[talks] Talks resume in Geneva");
  CHECK(mails[1].Header("Message-ID") != first.Header("Message-ID"));
  CHECK(s.sink->state().delivered == 2);
  CHECK(db.store->WebhookCursor(EmailMarkKey("desk"))->value() == 2);
}

TEST_CASE("only the sink's threads are mailed, the others move its mark", "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  Opened db;
  SmtpServer server;
  EmailOptions options = FastOptions(server);
  options.threads = {"talks"};
  SinkWithDriver s(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", ""}, {"b", "talks", ""}, {"c", "truces", ""}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().cursor == 3; }));
  REQUIRE(server.MailCount() == 1);
  CHECK(server.Mails()[0].subject == "[talks] Title b");
}

TEST_CASE("a digest gathers each thread's alerts for its period into one message", "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  Opened db;
  SmtpServer server;
  FakeClock clock(1795424500);
  FixedRandom random(0.5);
  Env env{clock, random};
  EmailOptions options = FastOptions(server);
  options.digest = 15min;
  SinkWithDriver s(options, *db.store, env);
  Seed(*db.store, {{"a", "truces", "Ceasefire agreed"},
                   {"b", "talks", "Talks resume"},
                   {"c", "truces", "Truce holds overnight"}});
  s.sink->Notify(kAllDurable);
  // Read, not yet due: nothing is mailed and the mark stays before the waiting alerts.
  for (int i = 0; i < 5; ++i) {
    std::vector<WaitFd> none;
    REQUIRE(s.driver->Wait(none, 10ms).ok());
    s.sink->Pump(clock.Now());
  }
  CHECK(s.sink->NextDeadline() == clock.Now() + 15min);
  clock.Advance(14min);
  s.sink->Pump(clock.Now());
  CHECK(server.MailCount() == 0);
  CHECK(s.sink->state().cursor == 0);

  REQUIRE(RunUntil(
      s, [&] { return s.sink->state().cursor == 3; }, &clock));
  const std::vector<ReceivedMail> mails = server.Mails();
  REQUIRE(mails.size() == 2);
  CHECK(mails[0].subject == "[truces] 2 alerts: Ceasefire agreed (+1 more)");
  CHECK(SeqsIn(mails[0]) == std::vector<std::int64_t>{1, 3});
  CHECK(Lf(mails[0].body) ==
        "2 alerts in thread truces, oldest first.\n\n"
        "Ceasefire agreed\nhttps://example.org/a\n\nThread: truces\nKind: new\nOutlet: wire\n"
        "Matched: ceasefire\nSeq: 1\n\n"
        "Truce holds overnight\nhttps://example.org/c\n\nThread: truces\nKind: new\n"
        "Outlet: wire\nMatched: ceasefire\nSeq: 3\n");
  CHECK(mails[0].Header("Message-ID") ==
        "<newsmon.1-3.2.desk." + db.store->DatabaseId() + "@example.org>");
  CHECK(mails[1].subject == "[talks] Talks resume");
  CHECK(SeqsIn(mails[1]) == std::vector<std::int64_t>{2});
  CHECK(s.sink->state().delivered == 3);
}

// Two threads' digests of 15 minutes, on a fake clock: talks' alert (seq 1) detected now,
// truces' (seq 2, 3) ten minutes ago, so truces' digest is due first and is mailed while the
// older seq 1 still waits. What a restart then meets, in the tests below.
struct TrucesMailedTalksWaiting {
  static constexpr std::int64_t kNow = 1795424500;
  Opened db;
  SmtpServer server;
  FakeClock clock{kNow};
  FixedRandom random{0.5};
  Env env{clock, random};
  EmailOptions options = DigestOptions(server);
  std::unique_ptr<SinkWithDriver> s = std::make_unique<SinkWithDriver>(options, *db.store, env);

  TrucesMailedTalksWaiting() {
    Seed(*db.store, {{"a", "talks", "Talks resume"}}, kNow);
    Seed(*db.store, {{"b", "truces", "Ceasefire agreed"}, {"c", "truces", "Truce holds"}},
         kNow - 600);
    s->sink->Notify(kAllDurable);
    REQUIRE(RunUntil(
        *s, [&] { return server.MailCount() == 1; }, &clock));
  }

  static EmailOptions DigestOptions(SmtpServer& server) {
    EmailOptions options = FastOptions(server);
    options.digest = 15min;
    return options;
  }

  // The restart: talks' digest was waiting in memory only.
  void Restart(Store& store) {
    s.reset();
    s = std::make_unique<SinkWithDriver>(options, store, env);
    s->sink->Notify(kAllDurable);  // as the daemon does at start
  }
};

TEST_CASE("a digest waiting at a restart is gathered again from the store, and mailed once",
          "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  TrucesMailedTalksWaiting t;
  CHECK(t.server.Mails()[0].subject == "[truces] 2 alerts: Ceasefire agreed (+1 more)");
  CHECK(t.s->sink->state().cursor == 0);
  CHECK(t.db.store->WebhookCursor(EmailMarkKey("desk"))->value() == 0);

  t.Restart(*t.db.store);
  REQUIRE(RunUntil(
      *t.s, [&] { return t.s->sink->state().cursor == 3; }, &t.clock));
  const std::vector<ReceivedMail> mails = t.server.Mails();
  REQUIRE(mails.size() == 2);
  CHECK(mails[1].subject == "[talks] Talks resume");
  CHECK(SeqsIn(mails[1]) == std::vector<std::int64_t>{1});
  CHECK(t.db.store->WebhookCursor(EmailMarkKey("desk"))->value() == 3);
}

// The thread marks cannot be read for a while (a locked or failing database), as a restart
// finds them.
class UnreadableThreadMarks final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  bool failing = true;
  Result<std::optional<std::int64_t>> WebhookCursor(const std::string& sink) override {
    if (failing && sink.find(":alert.") != std::string::npos) {
      return Status::IoError("disk I/O error");
    }
    return real_.WebhookCursor(sink);
  }
};

TEST_CASE("a digest's thread mark that cannot be read is read again, not taken as nothing mailed",
          "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  TrucesMailedTalksWaiting t;
  REQUIRE(t.db.store->WebhookCursor(EmailMarkKey("desk") + ":alert.truces")->value() == 3);

  // The restart, with truces' mark (3: its digest is mailed) unreadable at first.
  UnreadableThreadMarks store(*t.db.store);
  t.Restart(store);
  REQUIRE(RunUntil(
      *t.s, [&] { return t.s->sink->state().failed_attempts >= 1; }, &t.clock));
  CHECK(t.s->sink->state().last_error.find("reading the mark of alert.") != std::string::npos);
  store.failing = false;
  REQUIRE(RunUntil(
      *t.s, [&] { return t.s->sink->state().cursor == 3; }, &t.clock));
  const std::vector<ReceivedMail> mails = t.server.Mails();
  REQUIRE(mails.size() == 2);  // truces' digest was not mailed again
  CHECK(mails[1].subject == "[talks] Talks resume");
  t.s.reset();  // before `store`, which it holds
}

TEST_CASE("a server that is down delays the messages, and each arrives once, in order", "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  Opened db;
  SmtpServer server;
  SinkWithDriver s(FastOptions(server), *db.store, Env::Default());
  server.Stop();
  Seed(*db.store, {{"a", "truces", ""}, {"b", "talks", ""}, {"c", "truces", ""}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().failed_attempts >= 3; }));
  CHECK(s.sink->state().failing);
  CHECK(s.sink->state().cursor == 0);
  CHECK(s.sink->state().last_error.find("onnect") != std::string::npos);

  server.Start();
  REQUIRE(RunUntil(s, [&] { return s.sink->state().cursor == 3; }));
  const std::vector<ReceivedMail> mails = server.Mails();
  REQUIRE(mails.size() == 3);
  std::vector<std::int64_t> seqs;
  std::set<std::string> ids;
  for (const ReceivedMail& mail : mails) {
    for (std::int64_t seq : SeqsIn(mail)) seqs.push_back(seq);
    ids.insert(mail.Header("Message-ID"));
  }
  CHECK(seqs == std::vector<std::int64_t>{1, 2, 3});
  CHECK(ids.size() == 3);
  CHECK_FALSE(s.sink->state().failing);
}

TEST_CASE("AUTH sends the configured credentials, and a refused login mails nothing", "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  Opened db;
  SmtpServer server("newsmon", "s3cret pass");
  EmailOptions options = FastOptions(server);
  options.username = "newsmon";
  options.password = "wrong";
  auto s = std::make_unique<SinkWithDriver>(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", ""}});
  s->sink->Notify(kAllDurable);
  REQUIRE(RunUntil(*s, [&] { return s->sink->state().failed_attempts >= 1; }));
  CHECK(server.MailCount() == 0);
  INFO(s->sink->state().last_error);
  CHECK(s->sink->state().last_error.find("535") != std::string::npos);

  options.password = "s3cret pass";
  s = std::make_unique<SinkWithDriver>(options, *db.store, Env::Default());
  s->sink->Notify(kAllDurable);  // as the daemon does at start
  REQUIRE(RunUntil(*s, [&] { return s->sink->state().cursor == 1; }));
  REQUIRE(server.MailCount() == 1);
  CHECK(server.Mails()[0].login == "newsmon");
}

TEST_CASE("with starttls on, a server without STARTTLS gets nothing in plain text", "[email]") {
  SKIP_WITHOUT_AIOSMTPD();
  Opened db;
  SmtpServer server;
  EmailOptions options = FastOptions(server);
  options.starttls = true;
  SinkWithDriver s(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", ""}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().failed_attempts >= 1; }));
  INFO(s.sink->state().last_error);
  CHECK(s.sink->state().last_error.find("STARTTLS") != std::string::npos);
  CHECK(server.MailCount() == 0);
}

#define SKIP_WITHOUT_TLS_SERVER()                                                      \
  SKIP_WITHOUT_AIOSMTPD();                                                             \
  if (!SmtpServer::CanMakeCertificate()) {                                             \
    WARN(                                                                              \
        "skipping: no /usr/bin/openssl to make the test server's certificate (Debian " \
        "package openssl)");                                                           \
    return;                                                                            \
  }

// A sink that logs in over TLS, as a real relay wants it.
EmailOptions TlsOptions(const SmtpServer& server) {
  EmailOptions options = FastOptions(server);
  options.starttls = !server.Url().starts_with("smtps://");
  options.username = "newsmon";
  options.password = "s3cret pass";
  return options;
}

TEST_CASE("with ca_file the message goes over STARTTLS, and AUTH only after it", "[email][tls]") {
  SKIP_WITHOUT_TLS_SERVER();
  Opened db;
  SmtpServer server("newsmon", "s3cret pass", SmtpTls::kStartTls);
  EmailOptions options = TlsOptions(server);
  options.ca_file = server.CaFile();
  SinkWithDriver s(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", kCyrillic}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().cursor == 1; }));
  const std::vector<ReceivedMail> mails = server.Mails();
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].tls == "starttls");
  CHECK(mails[0].login == "newsmon");
  CHECK(mails[0].subject == "[truces] " + kCyrillic);
  // The server neither offers nor takes AUTH before STARTTLS (auth_require_tls): the one
  // attempt it saw came encrypted.
  CHECK(server.AuthAttempts() == std::vector<std::string>{"newsmon starttls"});
  CHECK(s.sink->state().failed_attempts == 0);
}

TEST_CASE(
    "without ca_file a self-signed certificate is refused before anything is sent, and the "
    "alert waits for the right ca_file",
    "[email][tls]") {
  SKIP_WITHOUT_TLS_SERVER();
  LogCapture log;
  Opened db;
  SmtpServer server("newsmon", "s3cret pass", SmtpTls::kStartTls);
  EmailOptions options = TlsOptions(server);
  auto s = std::make_unique<SinkWithDriver>(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", ""}});
  s->sink->Notify(kAllDurable);
  REQUIRE(RunUntil(*s, [&] { return s->sink->state().failed_attempts >= 2; }));
  const std::string refused =
      "the server's certificate could not be verified against the system's CAs (SSL "
      "certificate problem: self-signed certificate): for a relay with an internal CA, set "
      "ca_file to that CA's certificate";
  CHECK(s->sink->state().last_error == refused);
  CHECK(log.WaitFor("email 'desk' (" + server.Url() + "): failing: " + refused + "; retrying in "));
  CHECK(server.MailCount() == 0);
  CHECK(server.AuthAttempts().empty());  // the password never left
  CHECK(s->sink->state().cursor == 0);
  CHECK(db.store->WebhookCursor(EmailMarkKey("desk"))->value() == 0);

  options.ca_file = server.CaFile();
  s = std::make_unique<SinkWithDriver>(options, *db.store, Env::Default());
  s->sink->Notify(kAllDurable);  // as the daemon does at start
  REQUIRE(RunUntil(*s, [&] { return s->sink->state().cursor == 1; }));
  REQUIRE(server.MailCount() == 1);
  CHECK(server.Mails()[0].tls == "starttls");
  CHECK(SeqsIn(server.Mails()[0]) == std::vector<std::int64_t>{1});
}

TEST_CASE("a ca_file of another CA refuses the server, and the file replaced counts at once",
          "[email][tls]") {
  SKIP_WITHOUT_TLS_SERVER();
  Opened db;
  SmtpServer server("newsmon", "s3cret pass", SmtpTls::kStartTls);
  SmtpServer other("", "", SmtpTls::kStartTls);  // only for its certificate
  const std::string ca_file = db.dir.File("relay-ca.pem");
  std::filesystem::copy_file(other.CaFile(), ca_file);
  EmailOptions options = TlsOptions(server);
  options.ca_file = ca_file;
  SinkWithDriver s(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", ""}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().failed_attempts >= 1; }));
  CHECK(s.sink->state().last_error ==
        "the server's certificate could not be verified against ca_file " + ca_file +
            " (SSL certificate problem: self-signed certificate)");
  CHECK(server.MailCount() == 0);

  // The same sink and curl driver: without CURLOPT_CA_CACHE_TIMEOUT 0 libcurl would go on
  // with the store it parsed from the old file (checked: this test then fails).
  std::filesystem::copy_file(server.CaFile(), ca_file,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().cursor == 1; }));
  REQUIRE(server.MailCount() == 1);
  CHECK(server.Mails()[0].tls == "starttls");
}

TEST_CASE("smtps:// with ca_file is TLS from the first byte", "[email][tls]") {
  SKIP_WITHOUT_TLS_SERVER();
  Opened db;
  SmtpServer server("newsmon", "s3cret pass", SmtpTls::kImplicit);
  EmailOptions options = TlsOptions(server);
  options.ca_file = server.CaFile();
  SinkWithDriver s(options, *db.store, Env::Default());
  Seed(*db.store, {{"a", "truces", ""}});
  s.sink->Notify(kAllDurable);
  REQUIRE(RunUntil(s, [&] { return s.sink->state().cursor == 1; }));
  REQUIRE(server.MailCount() == 1);
  CHECK(server.Mails()[0].tls == "implicit");
  CHECK(server.AuthAttempts() == std::vector<std::string>{"newsmon implicit"});
}

TEST_CASE("Create refuses settings that cannot work, naming the sink") {
  Opened db;
  auto driver = NewDriver();
  auto error_of = [&](const std::function<void(EmailOptions&)>& change) {
    EmailOptions options;
    options.name = "desk";
    options.url = "smtp://mail.example.org:587";
    options.from = "newsmon@example.org";
    options.to = {"night@example.org"};
    change(options);
    auto sink = EmailSink::Create(options, *db.store, *driver);
    return sink.ok() ? std::string("ok") : sink.status().message();
  };
  CHECK(error_of([](EmailOptions&) {}) == "ok");
  CHECK(error_of([](EmailOptions& o) { o.url = "https://mail.example.org"; }) ==
        "email 'desk': url 'https://mail.example.org' must start with smtp:// or smtps://");
  CHECK(error_of([](EmailOptions& o) { o.url = "smtp://user:pw@mail.example.org"; }) ==
        "email 'desk': the url must not hold credentials: set username and password");
  CHECK(error_of([](EmailOptions& o) { o.to = {}; }) == "email 'desk': no recipient");
  CHECK(error_of([](EmailOptions& o) { o.to = {"Night <n@example.org>"}; }) ==
        "email 'desk': 'Night <n@example.org>' is not an e-mail address");
  CHECK(error_of([](EmailOptions& o) {
          o.starttls = false;
          o.username = "u";
        }) == "email 'desk': credentials go only over TLS: keep starttls on, or use smtps://");
  CHECK(error_of([](EmailOptions& o) {
          o.url = "smtp://127.0.0.1:2525";
          o.starttls = false;
          o.username = "u";
        }) == "ok");
  const std::string missing = db.dir.File("nowhere/ca.pem");
  CHECK(error_of([&](EmailOptions& o) { o.ca_file = missing; }) ==
        "email 'desk': cannot read ca_file " + missing + ": No such file or directory");
  CHECK(error_of([&](EmailOptions& o) { o.ca_file = db.dir.path().string(); }) ==
        "email 'desk': ca_file " + db.dir.path().string() +
            " is a directory, not a PEM file of certificates");
  const std::string key = db.dir.Write("key.pem", "-----BEGIN PRIVATE KEY-----\n");
  CHECK(error_of([&](EmailOptions& o) { o.ca_file = key; }) ==
        "email 'desk': ca_file " + key +
            " holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  CHECK(IsLoopbackHost("localhost"));
  CHECK(IsLoopbackHost("127.0.0.53"));
  CHECK(IsLoopbackHost("[::1]"));
  CHECK(IsLoopbackHost("[::1"));  // as the config's host reader leaves it
  CHECK_FALSE(IsLoopbackHost("128.0.0.1"));
  CHECK_FALSE(IsLoopbackHost("mail.example.org"));
}

}  // namespace
}  // namespace newsmon::testing
