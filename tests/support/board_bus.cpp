#include "tests/support/board_bus.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <zmq.hpp>

#include "tests/support/wait.h"

namespace newsmon::testing {

using namespace std::chrono_literals;
using nlohmann::json;

json BoardAlert(std::int64_t seq, const std::string& title, std::int64_t story) {
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

FakeBus::FakeBus(const TempDir& dir)
    : publish_endpoint_("ipc://" + dir.File("pub")),
      replay_endpoint_("ipc://" + dir.File("rep")),
      thread_([this] { Serve(); }) {}

FakeBus::~FakeBus() {
  stop_ = true;
  thread_.join();
}

void FakeBus::Store(const json& alert) {
  std::lock_guard lock(mutex_);
  stored_.push_back(alert);
}

void FakeBus::Publish(const json& alert) {
  std::lock_guard lock(mutex_);
  stored_.push_back(alert);
  outgoing_.push_back(alert);
}

void FakeBus::Serve() {
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
std::int64_t FakeBus::LastSeq() const {
  return stored_.empty() ? 0 : stored_.back()["seq"].get<std::int64_t>();
}

RunningBoard::RunningBoard(const std::string& endpoint, const std::string& replay_endpoint,
                           std::vector<std::string> extra) {
  std::vector<std::string> args = {"board", "--endpoint", endpoint, "--replay", replay_endpoint};
  bool listens = false;
  for (const auto& arg : extra) listens |= arg == "--listen";
  if (!listens) extra.insert(extra.end(), {"--listen", "127.0.0.1:0"});
  args.insert(args.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(args);
  const std::string said = "listening on http://127.0.0.1:";
  // A deadline, not a wait: a ThreadSanitizer build on a loaded 2-core CI machine once took
  // more than the usual 10 s to get this far.
  REQUIRE(WaitUntil([&] { return process_->Stdout().find(said) != std::string::npos; },
                    std::chrono::seconds(30)));
  const std::string out = process_->Stdout();
  port_ = std::stoi(out.substr(out.find(said) + said.size()));
}

}  // namespace newsmon::testing
