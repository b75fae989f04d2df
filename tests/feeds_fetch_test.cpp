// The fetcher against a loopback server: what goes over the wire and what comes back.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <map>

#include "feeds/fetcher.h"
#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

// The loopback server is a private address: tests opt in as an operator would.
FetchOptions Local() {
  FetchOptions options;
  options.allow_private_addresses = true;
  return options;
}

FetchResponse FetchOne(const FetchOptions& options, FetchRequest request) {
  auto fetcher = Fetcher::Create(options);
  REQUIRE(fetcher.ok());
  auto responses = FetchAll(**fetcher, {std::move(request)});
  REQUIRE(responses.size() == 1);
  return responses[0];
}

Resource Document(std::string body) {
  Resource resource;
  resource.body = std::move(body);
  return resource;
}

TEST_CASE("fetch returns the body, validators and content type") {
  FeedServer server;
  Resource feed = Document("<rss/>");
  feed.etag = "\"abc\"";
  feed.last_modified = "Sun, 22 Nov 2026 10:00:00 GMT";
  server.Serve("/feed", feed);
  FetchResponse response = FetchOne(Local(), {"f", server.Url("/feed"), "", ""});
  REQUIRE(response.status.ok());
  CHECK(response.http_status == 200);
  CHECK(response.body == "<rss/>");
  CHECK(response.etag == "\"abc\"");
  CHECK(response.last_modified == "Sun, 22 Nov 2026 10:00:00 GMT");
  CHECK(response.content_type == "application/rss+xml; charset=utf-8");
  Hit hit = server.Hits("/feed").at(0);
  CHECK(hit.user_agent.rfind("newsmon/", 0) == 0);
  CHECK(hit.accept_encoding.find("gzip") != std::string::npos);
  CHECK(hit.if_none_match.empty());
}

TEST_CASE("conditional GET sends both validators and reports 304 as not modified") {
  FeedServer server;
  Resource feed = Document("<rss/>");
  feed.etag = "\"abc\"";
  server.Serve("/feed", feed);
  FetchResponse response =
      FetchOne(Local(), {"f", server.Url("/feed"), "\"abc\"", "Sun, 22 Nov 2026 10:00:00 GMT"});
  REQUIRE(response.status.ok());
  CHECK(response.not_modified);
  CHECK(response.body.empty());
  Hit hit = server.Hits("/feed").at(0);
  CHECK(hit.if_none_match == "\"abc\"");
  CHECK(hit.if_modified_since == "Sun, 22 Nov 2026 10:00:00 GMT");
  CHECK(hit.status == 304);
}

TEST_CASE("a gzip-encoded body is decoded") {
  FeedServer server;
  Resource feed = Document(std::string(5000, 'x'));
  feed.gzip = true;
  server.Serve("/feed", feed);
  FetchResponse response = FetchOne(Local(), {"f", server.Url("/feed"), "", ""});
  REQUIRE(response.status.ok());
  CHECK(response.body == std::string(5000, 'x'));
}

TEST_CASE("redirects are followed and the final URL reported") {
  FeedServer server;
  Resource moved;
  moved.status = 301;
  moved.location = server.Url("/new");
  server.Serve("/old", moved);
  server.Serve("/new", Document("<rss/>"));
  FetchResponse response = FetchOne(Local(), {"f", server.Url("/old"), "", ""});
  REQUIRE(response.status.ok());
  CHECK(response.body == "<rss/>");
  CHECK(response.effective_url == server.Url("/new"));
  CHECK(server.HitCount("/old") == 1);
  CHECK(server.HitCount("/new") == 1);
}

TEST_CASE("HTTP errors, timeouts and oversized bodies fail with a clear message") {
  FeedServer server;
  Resource gone = Document("gone");
  gone.status = 404;
  server.Serve("/missing", gone);
  Resource slow = Document("<rss/>");
  slow.delay = 2s;
  server.Serve("/slow", slow);
  server.Serve("/huge", Document(std::string(200'000, 'x')));

  FetchOptions options = Local();
  options.max_body_bytes = 100'000;
  auto fetcher = Fetcher::Create(options);
  REQUIRE(fetcher.ok());
  auto responses = FetchAll(**fetcher, {{"missing", server.Url("/missing"), "", ""},
                                        {"huge", server.Url("/huge"), "", ""}});
  std::map<std::string, std::string> errors;
  for (const FetchResponse& response : responses) errors[response.feed] = response.status.message();
  CHECK(errors["missing"] == "HTTP 404");
  CHECK(errors["huge"] == "response body exceeds the limit of 100000 bytes");

  // A timeout of its own, so the other two need not finish within it on a loaded machine.
  FetchOptions impatient = Local();
  impatient.total_timeout = 200ms;
  FetchResponse slow_response = FetchOne(impatient, {"slow", server.Url("/slow"), "", ""});
  CHECK(slow_response.status.message().find("timed out") != std::string::npos);
}

TEST_CASE("many feeds are fetched concurrently on one thread") {
  FeedServer server;
  Resource slow = Document("<rss/>");
  slow.delay = 300ms;
  for (int i = 0; i < 8; ++i) server.Serve("/f" + std::to_string(i), slow);
  auto fetcher = Fetcher::Create(Local());
  REQUIRE(fetcher.ok());
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 8; ++i) {
    requests.push_back({"f" + std::to_string(i), server.Url("/f" + std::to_string(i)), "", ""});
  }
  auto responses = FetchAll(**fetcher, requests);
  CHECK(responses.size() == 8);
  // One at a time would never put two requests on the server at once.
  CHECK(server.PeakConcurrency() >= 4);
}

TEST_CASE("file:// URLs are read only when allowed") {
  TempDir dir;
  std::string path = dir.Write("feed.xml", "<rss/>");
  FetchOptions allowed;
  allowed.allow_file_urls = true;
  FetchResponse ok = FetchOne(allowed, {"f", "file://" + path, "", ""});
  REQUIRE(ok.status.ok());
  CHECK(ok.body == "<rss/>");

  FetchResponse refused = FetchOne({}, {"f", "file://" + path, "", ""});
  CHECK_FALSE(refused.status.ok());
  CHECK(refused.status.message().find("file") != std::string::npos);
}

TEST_CASE("private and loopback addresses are refused unless allowed, also after a redirect") {
  FeedServer server;
  server.Serve("/feed", Document("<rss/>"));
  FetchResponse refused = FetchOne({}, {"f", server.Url("/feed"), "", ""});
  CHECK(refused.status.message() ==
        "refused to connect to a private or loopback address (set allow_private_addresses = "
        "true to allow it)");
  CHECK(server.HitCount("/feed") == 0);
  FetchResponse localhost = FetchOne({}, {"f", "http://localhost:1/feed", "", ""});
  CHECK_FALSE(localhost.status.ok());
}

TEST_CASE("address classification") {
  auto v4 = [](const char* text) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    inet_pton(AF_INET, text, &address.sin_addr);
    return IsPrivateAddress(reinterpret_cast<sockaddr*>(&address));
  };
  auto v6 = [](const char* text) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &address.sin6_addr);
    return IsPrivateAddress(reinterpret_cast<sockaddr*>(&address));
  };
  for (const char* yes : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                          "169.254.169.254", "0.0.0.0", "100.64.0.1"}) {
    INFO(yes);
    CHECK(v4(yes));
  }
  for (const char* no : {"8.8.8.8", "172.32.0.1", "151.101.1.1", "100.128.0.1"}) {
    INFO(no);
    CHECK_FALSE(v4(no));
  }
  CHECK(v6("::1"));
  CHECK(v6("fe80::1"));
  CHECK(v6("fd00::1"));
  CHECK(v6("::ffff:10.0.0.1"));
  CHECK_FALSE(v6("2001:4860:4860::8888"));
  CHECK_FALSE(v6("::ffff:8.8.8.8"));
}

TEST_CASE("a chain of permanent redirects is reported as a move, a temporary one is not") {
  FeedServer server;
  Resource permanent;
  permanent.status = 301;
  permanent.location = server.Url("/hop");
  server.Serve("/old", permanent);
  Resource also_permanent;
  also_permanent.status = 308;
  also_permanent.location = server.Url("/new");
  server.Serve("/hop", also_permanent);
  Resource temporary;
  temporary.status = 302;
  temporary.location = server.Url("/new");
  server.Serve("/temp", temporary);
  server.Serve("/new", Document("<rss/>"));
  FetchResponse moved = FetchOne(Local(), {"f", server.Url("/old"), "", ""});
  CHECK(moved.permanently_moved);
  CHECK(moved.effective_url == server.Url("/new"));
  CHECK_FALSE(FetchOne(Local(), {"f", server.Url("/temp"), "", ""}).permanently_moved);
}

TEST_CASE("Retry-After and Cache-Control max-age are reported") {
  FeedServer server;
  Resource limited = Document("slow down");
  limited.status = 429;
  limited.retry_after = "120";
  server.Serve("/limited", limited);
  Resource cached = Document("<rss/>");
  cached.cache_control = "public, max-age=900";
  server.Serve("/cached", cached);
  FetchResponse response = FetchOne(Local(), {"f", server.Url("/limited"), "", ""});
  CHECK(response.status.message() == "HTTP 429");
  CHECK(response.retry_after == std::chrono::seconds(120));
  CHECK(FetchOne(Local(), {"f", server.Url("/cached"), "", ""}).max_age ==
        std::chrono::seconds(900));
}

TEST_CASE("a 1 MiB response header is reported as too large, not as out of memory") {
  FeedServer server;
  Resource bloated = Document("<rss/>");
  bloated.cache_control = std::string(1 << 20, 'x');
  server.Serve("/bloated", bloated);
  FetchResponse response = FetchOne(Local(), {"f", server.Url("/bloated"), "", ""});
  CHECK(response.status.message() == "response header too large: over the 100 KiB curl accepts");
}

TEST_CASE("redirect loops stop at the limit") {
  FeedServer server;
  Resource loop;
  loop.status = 302;
  loop.location = server.Url("/loop");
  server.Serve("/loop", loop);
  FetchResponse response = FetchOne(Local(), {"f", server.Url("/loop"), "", ""});
  CHECK(response.status.message().find("redirects") != std::string::npos);
  CHECK(server.HitCount("/loop") == 6);
}

}  // namespace
}  // namespace newsmon::testing
