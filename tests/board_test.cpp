// newsmon board as an editor's browser meets it: the board is the real binary, the bus a
// PUB and a REP socket speaking the documented protocol (docs/alerts.md), so the test
// decides exactly which alerts exist, which were replayed and which arrive live.
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <zmq.hpp>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json Alert(std::int64_t seq, const std::string& title, std::int64_t story = 0) {
  json alert = {{"schema", 2},
                {"seq", seq},
                {"kind", "new"},
                {"thread", "truces"},
                {"score", 6.0},
                {"threshold", 3.0},
                {"matched", {"ceasefire"}},
                {"evidence", json::array()},
                {"item",
                 {{"id", "https://example.org/" + std::to_string(seq)},
                  {"feed", "wire"},
                  {"title", title},
                  {"link", "https://example.org/" + std::to_string(seq)},
                  {"published", nullptr},
                  {"summary", "A ceasefire was agreed."}}},
                {"detected_at", "2099-01-01T00:00:00Z"},
                {"story", nullptr}};
  if (story) {
    alert["story"] = {{"id", story},
                      {"first_seen", "2099-01-01T00:00:00Z"},
                      {"sources", {"wire"}},
                      {"source_count", 1}};
  }
  return alert;
}

// A daemon's bus as the protocol has it: alerts stored are replayable, alerts published are
// stored and sent, a heartbeat every 100 ms. Every socket lives on the bus thread.
class FakeBus {
 public:
  explicit FakeBus(const TempDir& dir)
      : publish_endpoint_("ipc://" + dir.File("pub")),
        replay_endpoint_("ipc://" + dir.File("rep")),
        thread_([this] { Serve(); }) {}
  ~FakeBus() {
    stop_ = true;
    thread_.join();
  }

  void Store(const json& alert) {
    std::lock_guard lock(mutex_);
    stored_.push_back(alert);
  }
  void Publish(const json& alert) {
    std::lock_guard lock(mutex_);
    stored_.push_back(alert);
    outgoing_.push_back(alert);
  }
  const std::string& publish_endpoint() const { return publish_endpoint_; }
  const std::string& replay_endpoint() const { return replay_endpoint_; }

 private:
  void Serve() {
    zmq::context_t context;
    zmq::socket_t pub(context, zmq::socket_type::pub);
    zmq::socket_t rep(context, zmq::socket_type::rep);
    pub.bind(publish_endpoint_);
    rep.bind(replay_endpoint_);
    auto next_beat = std::chrono::steady_clock::now();
    while (!stop_) {
      zmq::pollitem_t item{rep.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 10ms);
      std::lock_guard lock(mutex_);
      if (item.revents & ZMQ_POLLIN) {
        zmq::message_t request;
        (void)rep.recv(request);
        json asked = json::parse(request.to_string());
        json reply = {{"alerts", json::array()}, {"last_seq", LastSeq()}, {"database_id", "db1"}};
        const std::int64_t since = asked.value("since", std::int64_t{0});
        const std::size_t limit = asked.value("limit", 1000);
        for (const json& alert : stored_) {
          if (alert["seq"] > since && reply["alerts"].size() < limit) {
            reply["alerts"].push_back(alert);
          }
        }
        rep.send(zmq::buffer(reply.dump()), zmq::send_flags::none);
      }
      for (const json& alert : outgoing_) {
        const std::string topic = "alert." + alert["thread"].get<std::string>();
        pub.send(zmq::buffer(topic), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(alert.dump()), zmq::send_flags::none);
      }
      outgoing_.clear();
      if (std::chrono::steady_clock::now() >= next_beat) {
        json beat = {{"schema", 2}, {"last_seq", LastSeq()}, {"database_id", "db1"}};
        pub.send(zmq::buffer(std::string("sys.heartbeat")), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(beat.dump()), zmq::send_flags::none);
        next_beat += 100ms;
      }
    }
  }

  // The newest alert published with every one before it (stored ones count as sent).
  std::int64_t LastSeq() const {
    return stored_.empty() ? 0 : stored_.back()["seq"].get<std::int64_t>();
  }

  std::string publish_endpoint_, replay_endpoint_;
  std::mutex mutex_;
  std::vector<json> stored_;
  std::vector<json> outgoing_;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

// The board binary, started on a free loopback port; port() once it said where.
class RunningBoard {
 public:
  RunningBoard(const FakeBus& bus, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"board", "--endpoint", bus.publish_endpoint(), "--replay",
                                     bus.replay_endpoint()};
    bool listens = false;
    for (const auto& arg : extra) listens |= arg == "--listen";
    if (!listens) extra.insert(extra.end(), {"--listen", "127.0.0.1:0"});
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(args);
    const std::string said = "listening on http://127.0.0.1:";
    REQUIRE(WaitUntil([&] { return process_->Stdout().find(said) != std::string::npos; }));
    const std::string out = process_->Stdout();
    port_ = std::stoi(out.substr(out.find(said) + said.size()));
  }

  int port() const { return port_; }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

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
    bus.Store(Alert(seq, "Ceasefire report " + std::to_string(seq)));
  RunningBoard board(bus);
  httplib::Client client("127.0.0.1", board.port());
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2, 3}; }));
  auto response = client.Get("/alerts");
  REQUIRE(response);
  json held = json::parse(response->body);
  CHECK(held["database_id"] == "db1");
  CHECK(held["last_seq"] == 3);
  CHECK(held["alerts"][1] == Alert(2, "Ceasefire report 2"));

  // Live, then a gap (seq 5 is sent while 4 was only stored): replay fills it.
  bus.Publish(Alert(4, "Live one"));
  CHECK(WaitUntil([&] { return HeldSeqs(client).size() == 4; }));
  bus.Store(Alert(5, "Missed on the bus"));
  bus.Publish(Alert(6, "After the gap"));
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}; }));
}

TEST_CASE("board keeps the newest --max-alerts alerts") {
  TempDir dir;
  FakeBus bus(dir);
  for (int seq = 1; seq <= 10; ++seq) bus.Store(Alert(seq, "Report"));
  RunningBoard board(bus, {"--max-alerts", "4"});
  httplib::Client client("127.0.0.1", board.port());
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{7, 8, 9, 10}; }));
  bus.Publish(Alert(11, "Report"));
  CHECK(WaitUntil([&] { return HeldSeqs(client) == std::vector<std::int64_t>{8, 9, 10, 11}; }));
}

TEST_CASE("board streams after Last-Event-ID and then new alerts live within a second") {
  TempDir dir;
  FakeBus bus(dir);
  for (int seq = 1; seq <= 3; ++seq) bus.Store(Alert(seq, "Ceasefire report"));
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
                     bus.Publish(Alert(4, "Live ceasefire"));
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
  CHECK(stream.find("data: " + Alert(2, "Ceasefire report").dump() + "\n\n") != std::string::npos);
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
  bus.Store(Alert(1, "Ceasefire report"));
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
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Set-Cookie") ==
        "newsmon_board=s3cret; Path=/; HttpOnly; SameSite=Strict");
  auto cookie = client.Get("/alerts", {{"Cookie", "other=1; newsmon_board=s3cret"}});
  REQUIRE(cookie);
  CHECK(cookie->status == 200);
}

TEST_CASE("board page holds no feed text and inserts it as text only") {
  TempDir dir;
  FakeBus bus(dir);
  const std::string hostile = "Ceasefire <script>alert(1)</script> <img src=x onerror=alert(2)>";
  bus.Store(Alert(1, hostile));
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
