// E-mail through the real daemon: [[publish.email]] in the config with a password_file, alerts
// mailed from the outbox to a loopback SMTP server with AUTH, and alerts stored while the
// server is down mailed after a restart of the daemon, each once; and a relay whose certificate
// only a ca_file can vouch for, which gets nothing until a reload adds it.
#include <catch2/catch.hpp>

#include "tests/support/daemon_runner.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/smtp_server.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

const FeedEntry kWeather{"weather-1", "Sunny weekend ahead", "No rain expected."};
const FeedEntry kTruce{"truce-1", "Ceasefire agreed — перемирие", "The truce holds."};
const FeedEntry kViolation{"truce-2", "Truce violated overnight", "Shelling resumed."};

// The test config plus one e-mail sink, right before the first feed (after [publish]), with
// `more` keys in the sink (starttls = false unless given).
Config EmailConfigFor(const TempDir& dir, const std::string& feed_url, const SmtpServer& smtp,
                      const std::string& more = "starttls = false\n") {
  WriteTrucesThread(dir);
  dir.Write("smtp-password", "s3cret pass\n");
  std::string toml = TestConfigToml(dir, {{"wire", feed_url}});
  toml.insert(toml.find("\n[[feed]]"),
              "\n[[publish.email]]\nname = \"desk\"\nurl = \"" + smtp.Url() +
                  "\"\nfrom = \"newsmon@example.org\"\n"
                  "to = [\"night@example.org\"]\nthreads = [\"truces\"]\n"
                  "username = \"newsmon\"\npassword_file = \"smtp-password\"\n" +
                  more);
  auto config = LoadConfig(dir.Write("newsmon.toml", toml));
  INFO(config.status().message());
  REQUIRE(config.ok());
  return std::move(config).value();
}

TEST_CASE(
    "the daemon mails its threads' alerts, and those stored while the server was down "
    "after a restart",
    "[email][daemon]") {
  if (!SmtpServer::Available()) {
    WARN("skipping: /usr/bin/python3 cannot import aiosmtpd (Debian package python3-aiosmtpd)");
    return;
  }
  LogCapture log;
  TempDir dir;
  FeedServer server;
  SmtpServer smtp("newsmon", "s3cret pass");
  server.Serve("/wire.xml", FeedResource({kWeather, kTruce}));
  Config config = EmailConfigFor(dir, server.Url("/wire.xml"), smtp);

  auto daemon = std::make_unique<DaemonRunner>(config);
  REQUIRE(WaitUntil([&] { return smtp.MailCount() == 1; }, 10s));
  CHECK(
      log.WaitFor("email 'desk' mails each truces's alert to night@example.org through "
                  "127.0.0.1"));
  ReceivedMail first = smtp.Mails()[0];
  CHECK(first.subject == "[truces] Ceasefire agreed — перемирие");
  CHECK(first.login == "newsmon");
  CHECK(first.rcpt_tos == std::vector<std::string>{"night@example.org"});

  smtp.Stop();
  server.Serve("/wire.xml", FeedResource({kWeather, kTruce, kViolation}));
  REQUIRE(log.WaitFor("email 'desk' (" + smtp.Url() + "): failing: "));
  daemon.reset();
  smtp.Start();
  daemon = std::make_unique<DaemonRunner>(config);
  REQUIRE(WaitUntil([&] { return smtp.MailCount() == 2; }, 15s));
  CHECK(smtp.Mails()[1].subject == "[truces] Truce violated overnight");
  CHECK(smtp.Mails()[1].body.find("Seq: 2\r\n") != std::string::npos);
  // Nothing more comes: the mark moved past seq 2 once it was mailed.
  REQUIRE(WaitUntil(
      [&] {
        return CountRows(config.database,
                         "SELECT seq FROM webhook_cursors WHERE sink = 'email:desk'") == 2;
      },
      10s));
  CHECK(smtp.MailCount() == 2);
  Completed status = RunNewsmon({"status", "--config", config.path});
  CHECK(status.out.find("\nEMAIL                   DELIVERED UP TO   BEHIND\n"
                        "desk                    #2                0\n") != std::string::npos);
  for (const std::string& line : log.Lines()) CHECK(line.find("s3cret") == std::string::npos);
}

TEST_CASE(
    "a relay with an internal CA gets nothing until a reload adds ca_file, then the waiting "
    "alert",
    "[email][daemon][tls]") {
  if (!SmtpServer::Available() || !SmtpServer::CanMakeCertificate()) {
    WARN(
        "skipping: needs /usr/bin/python3 with aiosmtpd and /usr/bin/openssl (Debian packages "
        "python3-aiosmtpd, openssl)");
    return;
  }
  LogCapture log;
  TempDir dir;
  FeedServer server;
  SmtpServer smtp("newsmon", "s3cret pass", SmtpTls::kStartTls);
  server.Serve("/wire.xml", FeedResource({kWeather, kTruce}));
  Config config = EmailConfigFor(dir, server.Url("/wire.xml"), smtp, "");
  DaemonRunner daemon(config);
  REQUIRE(log.WaitFor("email 'desk' (" + smtp.Url() +
                      "): failing: the server's certificate could not be verified against the "
                      "system's CAs (SSL certificate problem: self-signed certificate): for a "
                      "relay with an internal CA, set ca_file to that CA's certificate; "
                      "retrying in "));
  CHECK(smtp.MailCount() == 0);
  CHECK(smtp.AuthAttempts().empty());

  EmailConfigFor(dir, server.Url("/wire.xml"), smtp, "ca_file = \"" + smtp.CaFile() + "\"\n");
  daemon.Reload();
  REQUIRE(WaitUntil([&] { return smtp.MailCount() == 1; }, 15s));
  const ReceivedMail mail = smtp.Mails()[0];
  CHECK(mail.subject == "[truces] Ceasefire agreed — перемирие");
  CHECK(mail.tls == "starttls");
  CHECK(mail.login == "newsmon");
  CHECK(smtp.AuthAttempts() == std::vector<std::string>{"newsmon starttls"});
}

}  // namespace
}  // namespace newsmon::testing
