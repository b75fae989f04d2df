#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <zmq.hpp>

#include "core/item.h"
#include "core/status.h"
#include "daemon/commands.h"

namespace newsmon {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string Join(const json& list) {
  std::string joined;
  for (const auto& entry : list) {
    if (!entry.is_string()) continue;
    joined += (joined.empty() ? "" : ", ") + entry.get<std::string>();
  }
  return joined;
}

// Two lines an editor can scan: when, which thread, the headline and its source; then
// the link and the words that made it match.
std::string FormatAlert(const json& alert) {
  const json& item = alert.value("item", json::object());
  std::ostringstream out;
  out << alert.value("detected_at", "") << "  #" << alert.value("seq", 0) << "  ["
      << alert.value("thread", "") << "]  " << item.value("title", "") << "  ("
      << item.value("feed", "") << ")\n"
      << "    " << item.value("link", "") << "\n"
      << "    matched: " << Join(alert.value("matched", json::array())) << "  score "
      << alert.value("score", 0.0) << "\n";
  return out.str();
}

// Asks the daemon's replay endpoint for stored alerts. A REQ socket that timed out is
// stuck, so each timeout gets a fresh socket.
class ReplayClient {
 public:
  ReplayClient(zmq::context_t& context, std::string endpoint)
      : context_(context), endpoint_(std::move(endpoint)) {}

  std::optional<json> Request(std::int64_t since, const std::string& thread) {
    if (!socket_) Connect();
    json request = {{"since", since}, {"limit", 1000}};
    if (!thread.empty()) request["thread"] = thread;
    socket_->send(zmq::buffer(request.dump()), zmq::send_flags::none);
    zmq::message_t reply;
    if (!socket_->recv(reply)) {
      socket_.reset();
      return std::nullopt;
    }
    json parsed = json::parse(reply.to_string(), nullptr, false);
    if (parsed.is_discarded() || parsed.contains("error")) return std::nullopt;
    return parsed;
  }

 private:
  void Connect() {
    socket_.emplace(context_, zmq::socket_type::req);
    socket_->set(zmq::sockopt::rcvtimeo, 2000);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->connect(endpoint_);
  }

  zmq::context_t& context_;
  std::string endpoint_;
  std::optional<zmq::socket_t> socket_;
};

// Remembers the last seq shown, replacing the file atomically so a crash leaves either
// the old or the new value.
class StateFile {
 public:
  explicit StateFile(std::string path) : path_(std::move(path)) {}

  std::optional<std::int64_t> Read() const {
    std::ifstream file(path_);
    std::int64_t seq = 0;
    if (file >> seq) return seq;
    return std::nullopt;
  }

  void Write(std::int64_t seq) const {
    if (path_.empty()) return;
    std::string temporary = path_ + ".tmp";
    {
      std::ofstream file(temporary, std::ios::trunc);
      file << seq << "\n";
      if (!file.flush()) return;
    }
    std::rename(temporary.c_str(), path_.c_str());
  }

 private:
  std::string path_;
};

class AlertPrinter {
 public:
  explicit AlertPrinter(const TailOptions& options)
      : options_(options), state_(options.state_file) {}

  void Print(const json& alert, const std::string& raw) {
    if (options_.json) {
      std::cout << raw << std::endl;
    } else {
      std::cout << FormatAlert(alert) << std::flush;
    }
    ++printed_;
    state_.Write(alert.value("seq", std::int64_t{0}));
  }
  bool Done() const { return options_.count > 0 && printed_ >= options_.count; }

 private:
  const TailOptions& options_;
  StateFile state_;
  long printed_ = 0;
};

// --since N, or --since last with the seq kept in --state (0 when there is none yet).
Result<std::optional<std::int64_t>> StartingCursor(const TailOptions& options) {
  if (!options.since) return std::optional<std::int64_t>();
  if (*options.since == "last") {
    if (options.state_file.empty()) return Status::Error("--since last needs --state FILE");
    return std::optional<std::int64_t>(StateFile(options.state_file).Read().value_or(0));
  }
  std::int64_t seq = -1;
  auto [end, error] = std::from_chars(options.since->data(),
                                      options.since->data() + options.since->size(), seq);
  if (error != std::errc() || end != options.since->data() + options.since->size() || seq < 0) {
    return Status::Error("--since takes a sequence number (0 for everything) or 'last'");
  }
  return std::optional<std::int64_t>(seq);
}

// The Clone pattern: subscribe first, then page through replay from the cursor, then go
// live; a live alert or heartbeat beyond the cursor triggers another catch-up, and
// anything at or below the cursor is a duplicate.
class Tailer {
 public:
  explicit Tailer(const TailOptions& options)
      : options_(options),
        subscriber_(context_, zmq::socket_type::sub),
        replay_(context_, options.replay_endpoint),
        printer_(options) {}

  int Run() {
    auto cursor = StartingCursor(options_);
    if (!cursor.ok()) {
      std::cerr << "newsmon tail: " << cursor.status().message() << "\n";
      return 1;
    }
    cursor_ = *cursor;
    try {
      Subscribe();
    } catch (const zmq::error_t& error) {
      std::cerr << "cannot connect to '" << options_.endpoint << "': " << error.what() << "\n";
      return 1;
    }
    if (cursor_) CatchUp();
    try {
      while (!printer_.Done()) ReceiveOne();
    } catch (const zmq::error_t&) {
      // Interrupted (Ctrl-C): a normal way to stop tailing.
    }
    return 0;
  }

 private:
  void Subscribe() {
    std::string topic = "alert." + options_.thread;
    subscriber_.set(zmq::sockopt::subscribe, topic);
    if (cursor_) subscriber_.set(zmq::sockopt::subscribe, "sys.heartbeat");
    subscriber_.connect(options_.endpoint);
  }

  void CatchUp() {
    while (!printer_.Done()) {
      auto reply = replay_.Request(*cursor_, options_.thread);
      if (!reply) {
        std::cerr << "newsmon tail: no answer from replay endpoint '"
                  << options_.replay_endpoint << "'; showing live alerts only for now\n";
        return;
      }
      const json& alerts = (*reply)["alerts"];
      for (const json& alert : alerts) {
        if (printer_.Done()) return;
        cursor_ = alert.value("seq", *cursor_);
        printer_.Print(alert, alert.dump());
      }
      if (alerts.size() < 1000) {
        cursor_ = std::max(*cursor_, reply->value("last_seq", *cursor_));
        return;
      }
    }
  }

  void ReceiveOne() {
    zmq::message_t topic, body;
    if (!subscriber_.recv(topic) || !topic.more() || !subscriber_.recv(body)) return;
    json parsed = json::parse(body.to_string(), nullptr, false);
    if (parsed.is_discarded()) return;
    if (topic.to_string() == "sys.heartbeat") {
      if (parsed.value("last_seq", 0) > cursor_.value_or(0)) CatchUp();
      return;
    }
    // ZeroMQ filters by prefix: "alert.talks" also lets "alert.talks-2" through.
    if (!options_.thread.empty() && topic.to_string() != "alert." + options_.thread) return;
    std::int64_t seq = parsed.value("seq", std::int64_t{0});
    if (cursor_) {
      if (seq <= *cursor_) return;  // already shown
      if (seq != *cursor_ + 1) return CatchUp();  // missed some: replay covers this one too
      cursor_ = seq;
    }
    printer_.Print(parsed, body.to_string());
  }

  const TailOptions& options_;
  zmq::context_t context_;
  zmq::socket_t subscriber_;
  ReplayClient replay_;
  AlertPrinter printer_;
  std::optional<std::int64_t> cursor_;
};

}  // namespace

int Tail(const TailOptions& options) { return Tailer(options).Run(); }

}  // namespace newsmon
