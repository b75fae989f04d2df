#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {

// One message as the SMTP server accepted it.
struct ReceivedMail {
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  std::string raw;      // as sent after DATA, dot-stuffing undone
  std::string subject;  // decoded by Python's email package (RFC 2047)
  std::string body;     // decoded likewise (base64, charset)
  std::string login;    // the AUTH username, "" without AUTH
  // How the session was encrypted, as the server saw it: "starttls" (aiosmtpd's session.ssl
  // was set), "implicit" (smtps://) or "none".
  std::string tls;

  // The raw header field's value, unfolded ("" when absent); name is case-insensitive.
  std::string Header(const std::string& name) const;
};

enum class SmtpTls {
  kNone,      // plain text; AUTH allowed without TLS (a loopback relay)
  kStartTls,  // offers STARTTLS and requires it before MAIL and AUTH
  kImplicit,  // TLS from the first byte (smtps://)
};

// A real SMTP server (tests/support/smtp_server.py, Debian's python3-aiosmtpd) on 127.0.0.1 and
// a free port, for one test. Stop() and Start() take it down and bring it back on the same port,
// keeping what it received. With TLS, its certificate is self-signed for 127.0.0.1 and
// localhost, made at construction by /usr/bin/openssl in the server's temp dir: CaFile() is the
// file a client must trust.
class SmtpServer {
 public:
  // Whether /usr/bin/python3 can import aiosmtpd; tests skip with a warning when it cannot.
  static bool Available();
  // Whether /usr/bin/openssl can be run, to make the certificate of a TLS server.
  static bool CanMakeCertificate();

  // With a username, the server requires AUTH with exactly these credentials.
  explicit SmtpServer(std::string username = "", std::string password = "",
                      SmtpTls tls = SmtpTls::kNone);
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  std::string Url() const;  // smtp://127.0.0.1:PORT, or smtps:// for kImplicit
  int port() const { return port_; }
  std::string CaFile() const;  // the certificate (PEM); "" without TLS
  // Each AUTH attempt that reached the server's authenticator, as "USERNAME TLS" with TLS as
  // in ReceivedMail::tls.
  std::vector<std::string> AuthAttempts() const;
  void Stop();   // returns once the server has exited: connections are refused
  void Start();  // returns once it accepts connections again (REQUIREs it, 10 s)

  std::vector<ReceivedMail> Mails() const;  // in the order accepted
  std::size_t MailCount() const;

 private:
  TempDir dir_;
  std::string username_;
  std::string password_;
  SmtpTls tls_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace newsmon::testing
