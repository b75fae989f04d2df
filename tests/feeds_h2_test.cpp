// HTTP/2: the fetcher against real TLS servers on loopback. nghttpd (Debian package
// nghttp2-server) offers h2 by ALPN and speaks nothing else; cpp-httplib's SSLServer offers
// no ALPN, so it stands for an https host that only speaks HTTP/1.1. Both use a throwaway
// self-signed certificate made by the openssl command, which the fetcher trusts through
// FetchOptions::ca_file: verification stays on. Skips with a warning when nghttpd or openssl
// is not installed.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/unique_fd.h"
#include "feeds/fetcher.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

// A program run for one test with stdout and stderr going to a log file; killed and reaped
// when it goes out of scope if it has not exited by then.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log_path) {
    // Everything the child touches between fork and exec is prepared here: the test process
    // has other threads (servers), so the child may only make async-signal-safe calls.
    UniqueFd log(open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (log.get() < 0) throw std::runtime_error("cannot open " + log_path);
    std::vector<std::string> strings = args;
    std::vector<char*> argv;
    for (std::string& arg : strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      dup2(log.get(), 1);
      dup2(log.get(), 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (!status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The exit status (128 + signal when killed) once it has exited, without blocking.
  std::optional<int> Exited() {
    int raw = 0;
    if (!status_ && waitpid(pid_, &raw, WNOHANG) == pid_) {
      status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    }
    return status_;
  }

  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    WaitUntil([this] { return Exited().has_value(); }, timeout);
    return status_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
int FreePort() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd.get() < 0 || bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(errno));
  }
  return ntohs(address.sin_port);
}

bool Accepts(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return fd.get() >= 0 &&
         connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The programs the tests need, or nullopt after a warning that names the missing ones (the
// test then passes without running: Catch2 v2 has no skip).
struct Tools {
  std::string nghttpd;
  std::string openssl;
};

std::optional<Tools> FindTools() {
  Tools tools{FindProgram("nghttpd"), FindProgram("openssl")};
  std::vector<std::string> missing;
  if (tools.nghttpd.empty()) missing.push_back("nghttpd (Debian package nghttp2-server)");
  if (tools.openssl.empty()) missing.push_back("openssl (Debian package openssl)");
  if (missing.empty()) return tools;
  WARN("HTTP/2 test skipped, not installed: " << missing[0]
                                              << (missing.size() > 1 ? ", " + missing[1] : ""));
  return std::nullopt;
}

// A self-signed certificate for 127.0.0.1 and localhost, valid for a day; it is its own CA,
// so the fetcher trusts it with ca_file = cert.
struct Certificate {
  std::string key;
  std::string cert;
};

Certificate MakeCertificate(const std::string& openssl, const TempDir& dir) {
  Certificate made{dir.File("key.pem"), dir.File("cert.pem")};
  Child child({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", made.key, "-out", made.cert, "-days", "1", "-subj",
               "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
              dir.File("openssl.log"));
  if (child.Wait(30s) != 0) {
    throw std::runtime_error("openssl req failed: " + ReadFile(dir.File("openssl.log")));
  }
  return made;
}

// nghttpd serving dir/htdocs over TLS with h2 only. Run with -v, its log tells each
// connection's TLS handshake, which is how the tests count connections from the server side.
class H2Server {
 public:
  H2Server(const std::string& nghttpd, const TempDir& dir, const Certificate& certificate)
      : htdocs_(dir.File("htdocs")), log_(dir.File("nghttpd.log")) {
    std::filesystem::create_directories(htdocs_);
    // The port is free when picked but may be taken before nghttpd binds it; nghttpd then
    // exits ("Address already in use") and another port is tried.
    for (int attempt = 0; attempt < 5 && !child_; ++attempt) {
      port_ = FreePort();
      auto child = std::make_unique<Child>(
          std::vector<std::string>{nghttpd, "-v", "-a", "127.0.0.1", "-d", htdocs_,
                                   std::to_string(port_), certificate.key, certificate.cert},
          log_);
      // A plain TCP connect shows it listens; that connection fails the TLS handshake, so it
      // is not counted as a connection below.
      if (!WaitUntil([&] { return child->Exited() || Accepts(port_); })) {
        throw std::runtime_error("nghttpd did not listen within 10 s: " + ReadFile(log_));
      }
      if (!child->Exited()) child_ = std::move(child);
    }
    if (!child_) throw std::runtime_error("nghttpd did not start: " + ReadFile(log_));
  }

  void Serve(const std::string& name, const std::string& body) const {
    std::ofstream(htdocs_ + "/" + name, std::ios::binary) << body;
  }
  std::string Url(const std::string& name) const {
    return "https://127.0.0.1:" + std::to_string(port_) + "/" + name;
  }
  // TLS connections the server has accepted. nghttpd logs the handshake before it reads
  // the first request, so once a response has arrived its connection is counted.
  std::size_t Connections() const { return Count(ReadFile(log_), "SSL/TLS handshake completed"); }

 private:
  std::string htdocs_;
  std::string log_;
  int port_ = 0;
  std::unique_ptr<Child> child_;
};

// An https server that speaks HTTP/1.1 only (cpp-httplib sets no ALPN), serving one feed with
// an ETag, each response after delay.
class Http1TlsServer {
 public:
  Http1TlsServer(const Certificate& certificate, std::chrono::milliseconds delay = 0ms)
      : server_(certificate.cert.c_str(), certificate.key.c_str()) {
    if (!server_.is_valid()) throw std::runtime_error("SSLServer rejected the certificate");
    server_.Get("/feed", [delay](const httplib::Request& request, httplib::Response& response) {
      std::this_thread::sleep_for(delay);
      response.set_header("ETag", "\"v1\"");
      if (request.get_header_value("If-None-Match") == "\"v1\"") {
        response.status = 304;
        return;
      }
      response.set_content("<rss version=\"2.0\"/>", "application/rss+xml");
    });
    port_ = BindAnyPort(server_, "127.0.0.1");  // the burst below is more than httplib's backlog
    if (port_ <= 0) throw std::runtime_error("SSLServer cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    if (!WaitUntil([this] { return server_.is_running(); })) {
      server_.stop();
      thread_.join();
      throw std::runtime_error("SSLServer did not start");
    }
  }
  ~Http1TlsServer() {
    server_.stop();
    thread_.join();
  }
  Http1TlsServer(const Http1TlsServer&) = delete;
  Http1TlsServer& operator=(const Http1TlsServer&) = delete;

  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/feed"; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

FetchOptions Trusting(const Certificate& certificate) {
  FetchOptions options;
  options.allow_private_addresses = true;  // the servers are on loopback
  options.ca_file = certificate.cert;
  return options;
}

std::unique_ptr<Fetcher> MakeFetcher(const FetchOptions& options) {
  auto fetcher = Fetcher::Create(options);
  REQUIRE(fetcher.ok());
  return std::move(*fetcher);
}

FetchResponse FetchOne(Fetcher& fetcher, const FetchRequest& request) {
  return FetchAll(fetcher, {request}).at(0);
}

long NewConnections(const std::vector<FetchResponse>& responses) {
  long sum = 0;
  for (const FetchResponse& response : responses) sum += response.new_connections;
  return sum;
}

TEST_CASE("an https host that offers h2 is fetched over HTTP/2, conditional GET included",
          "[feeds][http2]") {
  std::optional<Tools> tools = FindTools();
  if (!tools) return;
  TempDir dir;
  Certificate certificate = MakeCertificate(tools->openssl, dir);
  H2Server server(tools->nghttpd, dir, certificate);
  server.Serve("feed.xml", "<rss version=\"2.0\"><channel/></rss>");
  auto fetcher = MakeFetcher(Trusting(certificate));

  FetchResponse first = FetchOne(*fetcher, {"f", server.Url("feed.xml"), "", ""});
  INFO(first.status.message());
  REQUIRE(first.status.ok());
  CHECK(first.http_status == 200);
  CHECK(first.http_version == 2);
  CHECK(first.body == "<rss version=\"2.0\"><channel/></rss>");
  // nghttpd sends Last-Modified (the file's mtime) but no ETag. h2 header names are lower
  // case on the wire ("last-modified"); the validator must still be found.
  REQUIRE_FALSE(first.last_modified.empty());
  CHECK(first.etag.empty());

  FetchResponse again = FetchOne(*fetcher, {"f", server.Url("feed.xml"), "", first.last_modified});
  INFO(again.status.message());
  REQUIRE(again.status.ok());
  CHECK(again.http_version == 2);
  CHECK(again.http_status == 304);
  CHECK(again.not_modified);
  CHECK(again.body.empty());
}

TEST_CASE("ca_file adds trust without turning verification off", "[feeds][http2]") {
  std::optional<Tools> tools = FindTools();
  if (!tools) return;
  TempDir dir;
  Certificate certificate = MakeCertificate(tools->openssl, dir);
  H2Server server(tools->nghttpd, dir, certificate);
  server.Serve("feed.xml", "<rss/>");
  FetchOptions system_trust = Trusting(certificate);
  system_trust.ca_file.clear();
  auto fetcher = MakeFetcher(system_trust);
  FetchResponse response = FetchOne(*fetcher, {"f", server.Url("feed.xml"), "", ""});
  CHECK_FALSE(response.status.ok());
  CHECK(response.status.message().find("certificate") != std::string::npos);
  CHECK(response.body.empty());
}

TEST_CASE("an https host without h2 is fetched over HTTP/1.1", "[feeds][http2]") {
  std::optional<Tools> tools = FindTools();
  if (!tools) return;
  TempDir dir;
  Certificate certificate = MakeCertificate(tools->openssl, dir);
  Http1TlsServer server(certificate);
  auto fetcher = MakeFetcher(Trusting(certificate));

  FetchResponse first = FetchOne(*fetcher, {"f", server.Url(), "", ""});
  INFO(first.status.message());
  REQUIRE(first.status.ok());
  CHECK(first.http_status == 200);
  CHECK(first.http_version == 1);
  CHECK(first.body == "<rss version=\"2.0\"/>");
  CHECK(first.etag == "\"v1\"");

  FetchResponse again = FetchOne(*fetcher, {"f", server.Url(), first.etag, ""});
  INFO(again.status.message());
  REQUIRE(again.status.ok());
  CHECK(again.http_version == 1);
  CHECK(again.not_modified);
  CHECK(again.new_connections == 0);  // kept alive between polls
}

// Without CURLOPT_PIPEWAIT (see bench/fetch_scale.cpp), a burst that reaches a host before
// curl knows whether its connection can multiplex opens a connection per feed. Once one h2
// connection is up, every feed of the host started together runs as a stream on it.
TEST_CASE("feeds of one h2 host started together share its one connection", "[feeds][http2]") {
  std::optional<Tools> tools = FindTools();
  if (!tools) return;
  TempDir dir;
  Certificate certificate = MakeCertificate(tools->openssl, dir);
  H2Server server(tools->nghttpd, dir, certificate);
  constexpr int kFeeds = 8;
  std::vector<FetchRequest> burst;
  for (int i = 0; i < kFeeds; ++i) {
    std::string feed = std::to_string(i);
    server.Serve(feed + ".xml", "<rss>" + feed + "</rss>");
    burst.push_back({feed, server.Url(feed + ".xml"), "", ""});
  }
  auto fetcher = MakeFetcher(Trusting(certificate));

  FetchResponse warm = FetchOne(*fetcher, {"warm", server.Url("0.xml"), "", ""});
  REQUIRE(warm.status.ok());
  CHECK(warm.new_connections == 1);
  CHECK(server.Connections() == 1);

  std::vector<FetchResponse> responses = FetchAll(*fetcher, burst);
  for (const FetchResponse& response : responses) {
    INFO(response.feed << ": " << response.status.message());
    REQUIRE(response.status.ok());
    CHECK(response.http_version == 2);
    CHECK(response.body == "<rss>" + response.feed + "</rss>");
  }
  CHECK(NewConnections(responses) == 0);
  CHECK(server.Connections() == 1);
}

// The comparison that makes the test above mean multiplexing: the same burst on an HTTP/1.1
// host, whose kept-alive connection carries one request at a time, needs a connection per
// feed in flight. The server's delay keeps every feed in flight until all have connected.
TEST_CASE("the same burst on an HTTP/1.1 https host opens a connection per feed",
          "[feeds][http2]") {
  std::optional<Tools> tools = FindTools();
  if (!tools) return;
  TempDir dir;
  Certificate certificate = MakeCertificate(tools->openssl, dir);
  Http1TlsServer server(certificate, 300ms);
  constexpr int kFeeds = 8;
  std::vector<FetchRequest> burst(kFeeds, {"f", server.Url(), "", ""});
  auto fetcher = MakeFetcher(Trusting(certificate));

  FetchResponse warm = FetchOne(*fetcher, {"warm", server.Url(), "", ""});
  REQUIRE(warm.status.ok());
  CHECK(warm.new_connections == 1);

  std::vector<FetchResponse> responses = FetchAll(*fetcher, burst);
  for (const FetchResponse& response : responses) {
    INFO(response.status.message());
    REQUIRE(response.status.ok());
    CHECK(response.http_version == 1);
  }
  CHECK(NewConnections(responses) == kFeeds - 1);  // the warm connection serves one of them
}

}  // namespace
}  // namespace newsmon::testing
