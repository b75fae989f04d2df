#include "tests/support/smtp_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>

#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kOpenssl = "/usr/bin/openssl";

// A port nothing listens on now: the kernel's pick for a socket bound to port 0, closed again.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  REQUIRE(bound);
  return ntohs(address.sin_port);
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string ReceivedMail::Header(const std::string& name) const {
  const std::string head = raw.substr(0, raw.find("\r\n\r\n")) + "\r\n";
  const std::string wanted = Lower(name) + ":";
  for (std::size_t at = 0; at < head.size();) {
    std::size_t end = head.find("\r\n", at);
    while (end + 2 < head.size() && (head[end + 2] == ' ' || head[end + 2] == '\t')) {
      end = head.find("\r\n", end + 2);
    }
    std::string field = head.substr(at, end - at);
    at = end + 2;
    if (Lower(field.substr(0, wanted.size())) != wanted) continue;
    std::string value;
    for (std::size_t i = wanted.size(); i < field.size(); ++i) {
      if (field[i] == '\r' && i + 1 < field.size() && field[i + 1] == '\n') {
        ++i;  // unfolding removes the CRLF and keeps the white space after it
        continue;
      }
      value += field[i];
    }
    return value.substr(value.find_first_not_of(' '));
  }
  return "";
}

bool SmtpServer::Available() {
  auto check = Process::Program({kPython, "-c", "import aiosmtpd.controller"});
  return check->Wait(20s) == 0;
}

bool SmtpServer::CanMakeCertificate() { return access(kOpenssl, X_OK) == 0; }

SmtpServer::SmtpServer(std::string username, std::string password, SmtpTls tls)
    : username_(std::move(username)), password_(std::move(password)), tls_(tls), port_(FreePort()) {
  std::filesystem::create_directories(dir_.path() / "mail");
  if (tls_ != SmtpTls::kNone) {
    // As tests/fault_test.cpp: an EC key is made at once, where RSA takes a while.
    auto openssl = Process::Program(
        {kOpenssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", dir_.File("key.pem"), "-out", dir_.File("cert.pem"), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    const auto status = openssl->Wait(30s);
    INFO(openssl->Stderr());
    REQUIRE(status == 0);
  }
  Start();
}

std::string SmtpServer::Url() const {
  return (tls_ == SmtpTls::kImplicit ? "smtps://127.0.0.1:" : "smtp://127.0.0.1:") +
         std::to_string(port_);
}

std::string SmtpServer::CaFile() const {
  return tls_ == SmtpTls::kNone ? "" : dir_.File("cert.pem");
}

std::vector<std::string> SmtpServer::AuthAttempts() const {
  const std::string path = dir_.File("mail/auth.log");
  std::vector<std::string> attempts;
  if (!std::filesystem::exists(path)) return attempts;
  const std::string text = ReadFile(path);
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    attempts.push_back(text.substr(at, end - at));
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return attempts;
}

void SmtpServer::Start() {
  std::vector<std::string> args = {kPython, "-u", SourcePath("tests/support/smtp_server.py"),
                                   dir_.File("mail"), std::to_string(port_)};
  if (!username_.empty()) args.insert(args.end(), {"--login", username_, password_});
  if (tls_ != SmtpTls::kNone) {
    args.insert(args.end(), {tls_ == SmtpTls::kStartTls ? "--starttls" : "--tls", "--cert",
                             dir_.File("cert.pem"), dir_.File("key.pem")});
  }
  process_ = Process::Program(args);
  const bool ready = WaitUntil(
      [&] { return process_->Stdout().find("ready") != std::string::npos || process_->Wait(0ms); },
      10s);
  INFO(process_->Stderr());
  REQUIRE(ready);
  REQUIRE(process_->Stdout().find("ready") != std::string::npos);
}

void SmtpServer::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  REQUIRE(process_->Wait(10s).has_value());
  process_.reset();
}

std::vector<ReceivedMail> SmtpServer::Mails() const {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "mail")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<ReceivedMail> mails;
  for (const std::string& file : files) {
    auto record = nlohmann::json::parse(ReadFile(file));
    mails.push_back({record["mail_from"], record["rcpt_tos"], record["raw"], record["subject"],
                     record["body"], record["login"], record["tls"]});
  }
  return mails;
}

std::size_t SmtpServer::MailCount() const {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "mail")) {
    count += entry.path().extension() == ".json";
  }
  return count;
}

}  // namespace newsmon::testing
