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

  // The raw header field's value, unfolded ("" when absent); name is case-insensitive.
  std::string Header(const std::string& name) const;
};

// A real SMTP server (tests/support/smtp_server.py, Debian's python3-aiosmtpd) on 127.0.0.1 and
// a free port, for one test. Stop() and Start() take it down and bring it back on the same port,
// keeping what it received.
class SmtpServer {
 public:
  // Whether /usr/bin/python3 can import aiosmtpd; tests skip with a warning when it cannot.
  static bool Available();

  // With a username, the server requires AUTH with exactly these credentials.
  explicit SmtpServer(std::string username = "", std::string password = "");
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  std::string Url() const;  // smtp://127.0.0.1:PORT
  int port() const { return port_; }
  void Stop();   // returns once the server has exited: connections are refused
  void Start();  // returns once it accepts connections again (REQUIREs it, 10 s)

  std::vector<ReceivedMail> Mails() const;  // in the order accepted
  std::size_t MailCount() const;

 private:
  TempDir dir_;
  std::string username_;
  std::string password_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace newsmon::testing
