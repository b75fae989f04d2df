// newsmon board as an editor's browser meets it: the board is the real binary, the bus a
// PUB and a REP socket speaking the documented protocol (docs/alerts.md), so the test
// decides exactly which alerts exist, which were replayed and which arrive live.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/time_format.h"
#include "core/unique_fd.h"
#include "tests/support/board_bus.h"
#include "tests/support/daemon_runner.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::int64_t> HeldSeqs(httplib::Client& client) {
  auto response = client.Get("/alerts");
  if (!response || response->status != 200) return {};
  std::vector<std::int64_t> seqs;
  const json held = json::parse(response->body);
  for (const json& alert : held["alerts"]) seqs.push_back(alert["seq"]);
  return seqs;
}

// The seqs of the `id:` lines of an SSE stream, in order.
std::vector<std::int64_t> EventIds(const std::string& stream) {
  std::vector<std::int64_t> ids;
  for (std::size_t at = stream.find("id: "); at != std::string::npos;
       at = stream.find("id: ", at + 1)) {
    if (at == 0 || stream[at - 1] == '\n') ids.push_back(std::stoll(stream.substr(at + 4)));
  }
  return ids;
}

TEST_CASE("board holds the replayed alerts and serves them at /alerts") {
  TempDir dir;
  FakeBus bus(dir);
  for (int seq = 1; seq <= 3; ++seq)
    bus.Store(BoardAlert(seq, "Ceasefire report " + std::to_string(seq)));
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2, 3}; }));
  auto response = client.Get("/alerts");
  REQUIRE(response);
  json held = json::parse(response->body);
  CHECK(held["database_id"] == "db1");
  CHECK(held["last_seq"] == 3);
  CHECK(held["alerts"][1] == BoardAlert(2, "Ceasefire report 2"));

  // Live, then a gap (seq 5 is sent while 4 was only stored): replay fills it.
  bus.Publish(BoardAlert(4, "Live one"));
  CHECK(WaitUntil([&] { return HeldSeqs(client).size() == 4; }));
  bus.Store(BoardAlert(5, "Missed on the bus"));
  bus.Publish(BoardAlert(6, "After the gap"));
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}; }));
}

TEST_CASE("board follows a real daemon from replay to live and onto a replaced database") {
  TempDir dir;
  FeedServer server;
  server.Serve("/wire.xml", FeedResource(TruceItems(2)));
  Config config = TestConfig(dir, {{"wire", server.Url("/wire.xml")}}, kNoStories);
  auto daemon = std::make_unique<DaemonRunner>(config);
  // Stored, so replay has them. (A subscriber made after the daemon could miss them: they are
  // published within milliseconds of its start.)
  REQUIRE(
      WaitUntil([&] { return CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 2; }));
  RunningBoard board(config.publish.endpoint, config.publish.replay_endpoint);
  httplib::Client client("127.0.0.1", board.port());
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2}; }));

  server.Serve("/wire.xml", FeedResource(TruceItems(3)));
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2, 3}; }));
  const json held = json::parse(client.Get("/alerts")->body);
  CHECK(held["alerts"][2]["item"]["title"] == "Ceasefire report truce-2");

  daemon.reset();
  RemoveDatabase(dir);
  server.Serve("/wire.xml", FeedResource(TruceItems(1)));
  daemon = std::make_unique<DaemonRunner>(config);
  CHECK(WaitUntil([&] {
    const json now = json::parse(client.Get("/alerts")->body);
    return now["database_id"] != held["database_id"] && HeldSeqs(client).size() == 1;
  }));
  CHECK(WaitUntil([&] {
    return board.process().Stderr().find("): the board starts over from its alerts\n") !=
           std::string::npos;
  }));
}

TEST_CASE("board without an answer from replay says so once and holds live alerts") {
  TempDir dir;
  FakeBus bus(dir);
  const std::string nowhere = "ipc://" + dir.File("nowhere");
  RunningBoard board(bus.publish_endpoint(), nowhere);
  httplib::Client client("127.0.0.1", board.port());
  const std::string said = "newsmon board: no answer from replay endpoint '" + nowhere +
                           "'; holding live alerts only for now\n";
  REQUIRE(WaitUntil([&] { return board.process().Stderr() == said; }));
  // A heartbeat gives the board the bus's database and last seq, which it then holds.
  REQUIRE(WaitUntil([&] {
    auto response = client.Get("/alerts");
    return response &&
           json::parse(response->body, nullptr, false).value("database_id", "") == "db1";
  }));
  bus.Publish(BoardAlert(1, "Live ceasefire"));
  bus.Publish(BoardAlert(2, "Live truce"));
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2}; }, 1s));
  CHECK(board.process().Stderr() == said);
}

TEST_CASE("board holds the last day only") {
  TempDir dir;
  FakeBus bus(dir);
  json old = BoardAlert(1, "Yesterday's ceasefire");
  old["detected_at"] = FormatRfc3339(UnixNow() - 25 * 60 * 60);
  json recent = BoardAlert(2, "Today's ceasefire");
  recent["detected_at"] = FormatRfc3339(UnixNow() - 23 * 60 * 60);
  bus.Store(old);
  bus.Store(recent);
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{2}; }));
}

TEST_CASE("board keeps the newest --max-alerts alerts") {
  TempDir dir;
  FakeBus bus(dir);
  for (int seq = 1; seq <= 10; ++seq) bus.Store(BoardAlert(seq, "Report"));
  RunningBoard board(bus, {"--max-alerts", "4"});
  httplib::Client client("127.0.0.1", board.port());
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{7, 8, 9, 10}; }));
  bus.Publish(BoardAlert(11, "Report"));
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{8, 9, 10, 11}; }));
}

TEST_CASE("board streams after Last-Event-ID and then new alerts live within a second") {
  TempDir dir;
  FakeBus bus(dir);
  for (int seq = 1; seq <= 3; ++seq) bus.Store(BoardAlert(seq, "Ceasefire report"));
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  REQUIRE(WaitUntil([&] { return HeldSeqs(client).size() == 3; }));

  std::string stream;
  std::chrono::steady_clock::time_point published, arrived;
  client.set_read_timeout(5s);
  auto response =
      client.Get("/events", httplib::Headers{{"Last-Event-ID", "1"}},
                 [&](const char* data, std::size_t length) {
                   stream.append(data, length);
                   const auto ids = EventIds(stream);
                   if (published == decltype(published)() && !ids.empty() && ids.back() == 3) {
                     published = std::chrono::steady_clock::now();
                     bus.Publish(BoardAlert(4, "Live ceasefire"));
                   }
                   if (!ids.empty() && ids.back() == 4) {
                     arrived = std::chrono::steady_clock::now();
                     return false;
                   }
                   return true;
                 });
  CHECK(EventIds(stream) == std::vector<std::int64_t>{2, 3, 4});
  REQUIRE(arrived != decltype(arrived)());
  CHECK(arrived - published < 1s);
  CHECK(stream.find("data: " + BoardAlert(2, "Ceasefire report").dump() + "\n\n") !=
        std::string::npos);

  // ?since=N does what Last-Event-ID does, for clients that cannot send headers.
  std::string since;
  client.Get("/events?since=2", [&](const char* data, std::size_t length) {
    since.append(data, length);
    return EventIds(since).size() < 2;
  });
  CHECK(EventIds(since) == std::vector<std::int64_t>{3, 4});
}

TEST_CASE("board passes heartbeats on as SSE events of type heartbeat") {
  TempDir dir;
  FakeBus bus(dir);
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  client.set_read_timeout(5s);
  std::string stream;
  client.Get("/events", [&](const char* data, std::size_t length) {
    stream.append(data, length);
    return stream.find("event: heartbeat\ndata: {") == std::string::npos;
  });
  CHECK(stream.find("event: heartbeat\ndata: {") != std::string::npos);
  CHECK(stream.find("\"database_id\":\"db1\"") != std::string::npos);

  // An open stream does not keep the board from stopping.
  std::atomic<bool> streaming = false;
  std::thread reader([&] {
    httplib::Client("127.0.0.1", board.port()).Get("/events", [&](const char*, std::size_t) {
      streaming = true;
      return true;
    });
  });
  CHECK(WaitUntil([&] { return streaming.load(); }));
  board.process().Signal(SIGTERM);
  CHECK(board.process().Wait(5s) == 0);
  reader.join();
}

TEST_CASE("board refuses a non-loopback listen address without a token") {
  Completed run = RunNewsmon({"board", "--listen", "0.0.0.0:0"});
  CHECK(run.status == 1);
  CHECK(run.err ==
        "newsmon board: --listen 0.0.0.0:0 is not a loopback address: give --token (or "
        "NEWSMON_BOARD_TOKEN) so that only those who hold it see the board\n");
  Completed malformed = RunNewsmon({"board", "--listen", "8088"});
  CHECK(malformed.status == 1);
  CHECK(malformed.err ==
        "newsmon board: --listen '8088': expected HOST:PORT, e.g. 127.0.0.1:8088 or "
        "[::1]:8088\n");
}

TEST_CASE("board with a token answers 401 without it and accepts header or query or cookie") {
  TempDir dir;
  FakeBus bus(dir);
  bus.Store(BoardAlert(1, "Ceasefire report"));
  RunningBoard board(bus, {"--token", "s3cret"});
  httplib::Client client("127.0.0.1", board.port());

  auto none = client.Get("/alerts");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->body ==
        "newsmon board: this board needs its token: open /?token=TOKEN once, or send "
        "Authorization: Bearer TOKEN\n");
  auto wrong = client.Get("/alerts", {{"Authorization", "Bearer s3creT"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(client.Get("/events", {{"Cookie", "newsmon_board=nope"}})->status == 401);
  CHECK(client.Get("/?token=s3cre")->status == 401);

  auto bearer = client.Get("/alerts", {{"Authorization", "Bearer s3cret"}});
  REQUIRE(bearer);
  CHECK(bearer->status == 200);
  auto page = client.Get("/?token=s3cret");
  REQUIRE(page);
  CHECK(page->status == 303);
  CHECK(page->get_header_value("Location") == "/");
  CHECK(page->get_header_value("Set-Cookie") ==
        "newsmon_board=s3cret; Path=/; HttpOnly; SameSite=Strict");
  auto cookie = client.Get("/alerts", {{"Cookie", "other=1; newsmon_board=s3cret"}});
  REQUIRE(cookie);
  CHECK(cookie->status == 200);
}

TEST_CASE("board without a token answers only to loopback names (no DNS rebinding)") {
  TempDir dir;
  FakeBus bus(dir);
  bus.Store(BoardAlert(1, "Ceasefire report"));
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  const std::string port = std::to_string(board.port());
  auto rebound = client.Get("/alerts", {{"Host", "evil.example:" + port}});
  REQUIRE(rebound);
  CHECK(rebound->status == 421);
  CHECK(rebound->body ==
        "newsmon board: a board without a token answers only to loopback names (localhost, "
        "127.0.0.1, [::1]), not to 'evil.example:" +
            port + "'\n");
  for (const std::string& host :
       {"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "board.localhost:" + port}) {
    CAPTURE(host);
    auto answer = client.Get("/alerts", {{"Host", host}});
    REQUIRE(answer);
    CHECK(answer->status == 200);
    CHECK(answer->get_header_value("Cache-Control") == "no-store");
    CHECK(answer->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(answer->get_header_value("Referrer-Policy") == "no-referrer");
  }
  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") !=
        std::string::npos);
}

TEST_CASE(
    "board takes its token in the query on the page only, and refuses one unfit for a cookie") {
  TempDir dir;
  FakeBus bus(dir);
  RunningBoard board(bus, {"--token", "s3cret"});
  httplib::Client client("127.0.0.1", board.port());
  CHECK(client.Get("/alerts?token=s3cret")->status == 401);
  CHECK(client.Get("/events?token=s3cret")->status == 401);
  CHECK(client.Get("/?token=s3cret")->status == 303);

  Completed unfit = RunNewsmon({"board", "--listen", "127.0.0.1:0", "--token", "a; Path=/x"});
  CHECK(unfit.status == 1);
  CHECK(unfit.err ==
        "newsmon board: --token may hold only letters, digits and - . _ ~ + / = (it goes into "
        "a cookie)\n");
}

TEST_CASE("board refuses event streams past its limit, and takes one again when one closes") {
  TempDir dir;
  FakeBus bus(dir);
  RunningBoard board(bus);
  auto open_stream = [&] {
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(sock.valid());
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(board.port()));
    REQUIRE(::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const std::string request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    REQUIRE(::send(sock.get(), request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    return sock;
  };
  auto status_line = [](const UniqueFd& sock) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (got.find("\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd polled{sock.get(), POLLIN, 0};
      if (::poll(&polled, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = ::recv(sock.get(), buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got.substr(0, got.find("\r\n"));
  };
  std::vector<UniqueFd> streams;
  for (int i = 0; i < 48; ++i) {
    streams.push_back(open_stream());
    REQUIRE(status_line(streams.back()) == "HTTP/1.1 200 OK");
  }
  UniqueFd refused = open_stream();
  CHECK(status_line(refused) == "HTTP/1.1 503 Service Unavailable");
  streams.pop_back();  // a tab closed: its place is free again once the board notices
  CHECK(WaitUntil([&] { return status_line(open_stream()) == "HTTP/1.1 200 OK"; }, 30s));
}

TEST_CASE("board page holds no feed text and inserts it as text only") {
  TempDir dir;
  FakeBus bus(dir);
  const std::string hostile = "Ceasefire <script>alert(1)</script> <img src=x onerror=alert(2)>";
  bus.Store(BoardAlert(1, hostile));
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  REQUIRE(WaitUntil([&] { return HeldSeqs(client).size() == 1; }));
  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->body.find("Ceasefire") == std::string::npos);
  CHECK(page->body.find("innerHTML") == std::string::npos);
  CHECK(page->body.find("outerHTML") == std::string::npos);
  CHECK(page->body.find("insertAdjacentHTML") == std::string::npos);
  CHECK(page->body.find("textContent") != std::string::npos);
  CHECK(page->body.find("new EventSource(\"events\")") != std::string::npos);
  // The alert itself reaches the browser only as JSON, its markup a string.
  CHECK(json::parse(client.Get("/alerts")->body)["alerts"][0]["item"]["title"] == hostile);
}

}  // namespace
}  // namespace newsmon::testing
