#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <zmq.hpp>

#include "core/env.h"
#include "core/item.h"
#include "core/status.h"
#include "daemon/commands.h"
#include "publishers/curve.h"

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

// "UPDATE", "BURST" before the thread, so an editor tells news from confirmation at a glance;
// nothing for a new story (or an alert of a daemon before stories).
std::string KindTag(const json& alert) {
  const std::string kind = alert.value("kind", "new");
  if (kind == "new") return "";
  std::string tag = kind;
  for (char& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return tag + " ";
}

// "5 sources: wire, daily, radio, agency, tv" for an alert of a story with more than one.
std::string SourcesLine(const json& alert) {
  const json& story = alert.value("story", json());
  if (!story.is_object() || story.value("source_count", 0) < 2) return "";
  return "    " + std::to_string(story.value("source_count", 0)) +
         " sources: " + Join(story.value("sources", json::array())) + "\n";
}

std::string FormatBurst(const json& alert) {
  const json& burst = alert.value("burst", json::object());
  std::ostringstream out;
  out << alert.value("detected_at", "") << "  #" << alert.value("seq", 0) << "  " << KindTag(alert)
      << "[" << alert.value("thread", "") << "]  " << burst.value("stories", 0)
      << " new stories since " << burst.value("window_start", "") << " (about "
      << burst.value("expected", 0.0) << " expected)\n";
  for (const json& story : alert.value("stories", json::array())) {
    if (!story.is_object()) continue;
    out << "    " << story.value("title", "") << "  (" << story.value("feed", "") << ")\n";
  }
  return out.str();
}

// Two lines an editor can scan: when, which thread, the headline and its source; then
// the link and the words that made it match (or the story that carried it into the thread).
std::string FormatAlert(const json& alert) {
  if (alert.contains("burst")) return FormatBurst(alert);
  const json& item = alert.value("item", json::object());
  std::ostringstream out;
  out << alert.value("detected_at", "") << "  #" << alert.value("seq", 0) << "  " << KindTag(alert)
      << "[" << alert.value("thread", "") << "]  " << item.value("title", "") << "  ("
      << item.value("feed", "") << ")\n"
      << "    " << item.value("link", "") << "\n";
  if (alert.contains("via_story")) {
    out << "    in the thread through story #" << alert.value("via_story", 0) << "\n";
  } else {
    out << "    matched: " << Join(alert.value("matched", json::array())) << "  score "
        << alert.value("score", 0.0) << "\n";
  }
  out << SourcesLine(alert);
  return out.str();
}

// Our side of CURVE; without keys the sockets talk in the clear, as the daemon does by
// default on loopback.
class ClientSecurity {
 public:
  static Result<ClientSecurity> Load(const TailOptions& options) {
    ClientSecurity security;
    if (options.curve_server_key.empty()) return security;
    auto server = LoadCurveCertificate(options.curve_server_key);
    if (!server.ok()) return server.status();
    auto own = LoadCurveSecretCertificate(options.curve_key);
    if (!own.ok()) return own.status();
    security.server_key_ = server->public_key;
    security.own_ = *own;
    return security;
  }

  void Apply(zmq::socket_t& socket) const {
    if (server_key_.empty()) return;
    socket.set(zmq::sockopt::curve_serverkey, server_key_);
    socket.set(zmq::sockopt::curve_publickey, own_.public_key);
    socket.set(zmq::sockopt::curve_secretkey, own_.secret_key);
  }

 private:
  std::string server_key_;
  CurveKeyPair own_;
};

// Watches the subscriber's handshakes: without it a refused key looks exactly like a
// quiet night, and an editor would wait for alerts that can never come. Only answers
// that cannot change by retrying end tail; a daemon dying mid-handshake (a restart) also
// fails one, and then tail simply reconnects.
class HandshakeWatch {
 public:
  HandshakeWatch(zmq::context_t& context, zmq::socket_t& watched)
      : socket_(context, zmq::socket_type::pair) {
    const std::string endpoint = "inproc://newsmon-tail-handshakes";
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    if (zmq_socket_monitor(watched.handle(), endpoint.c_str(), events) == 0) {
      socket_.connect(endpoint);
    }
  }

  zmq::socket_t& socket() { return socket_; }

  // Why the bus will never talk to us, in words a user can act on; empty while there is
  // hope. Reads every event waiting.
  std::string ReadRefusal() {
    zmq::message_t event, address;
    while (socket_.recv(event, zmq::recv_flags::dontwait)) {
      [[maybe_unused]] auto got = socket_.recv(address, zmq::recv_flags::dontwait);
      if (event.size() < 6) continue;
      std::uint16_t id = 0;
      std::uint32_t value = 0;
      std::memcpy(&id, event.data(), sizeof id);
      std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
      std::string refusal = Interpret(id, value, address.to_string());
      if (!refusal.empty()) return refusal;
    }
    return "";
  }

 private:
  std::string Interpret(std::uint16_t id, std::uint32_t value, const std::string& where) {
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      failures_ = 0;
      return "";
    }
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      return "the daemon at " + where + " refused our key (ZAP status " + std::to_string(value) +
             "): add our NAME.key to its curve_authorized_keys directory and reload it";
    }
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      return "handshake with " + where +
             " failed: one side uses CURVE and the other does not "
             "(check --curve-server-key and --curve-key against the daemon's [publish] keys)";
    }
    // A wrong server key looks like this too, so say something, once, but keep trying.
    if (++failures_ == kFailuresBeforeWarning) {
      std::cerr << "newsmon tail: handshakes with " << where << " keep failing; if the daemon "
                << "is up, check --curve-server-key against its key\n";
    }
    return "";
  }

  static constexpr int kFailuresBeforeWarning = 5;
  zmq::socket_t socket_;
  int failures_ = 0;
};

// Asks the daemon's replay endpoint for stored alerts. A REQ socket that timed out is
// stuck, so each timeout gets a fresh socket.
class ReplayClient {
 public:
  ReplayClient(zmq::context_t& context, std::string endpoint, const ClientSecurity& security)
      : context_(context), endpoint_(std::move(endpoint)), security_(security) {}

  // Nothing after the timeout, or as soon as the bus refuses us (then `refusal` says why):
  // a refused key never gets a reply, and its user should not wait the timeout to hear so.
  std::optional<json> Request(std::int64_t since, const std::string& thread,
                              HandshakeWatch& handshakes, std::string& refusal) {
    if (!socket_) Connect();
    json request = {{"since", since}, {"limit", 1000}};
    if (!thread.empty()) request["thread"] = thread;
    socket_->send(zmq::buffer(request.dump()), zmq::send_flags::none);
    if (!AwaitReply(handshakes, refusal)) {
      socket_.reset();
      return std::nullopt;
    }
    zmq::message_t reply;
    if (!socket_->recv(reply, zmq::recv_flags::dontwait)) {
      socket_.reset();
      return std::nullopt;
    }
    json parsed = json::parse(reply.to_string(), nullptr, false);
    if (parsed.is_discarded() || parsed.contains("error")) return std::nullopt;
    return parsed;
  }

 private:
  // True when a reply waits. Handshake events that are not a refusal (a wrong server key
  // fails every reconnect) do not extend the timeout.
  bool AwaitReply(HandshakeWatch& handshakes, std::string& refusal) {
    Clock& clock = Env::Default().clock;
    const auto deadline = clock.Now() + kReplyTimeout;
    std::array<zmq::pollitem_t, 2> items = {
        {{socket_->handle(), 0, ZMQ_POLLIN, 0}, {handshakes.socket().handle(), 0, ZMQ_POLLIN, 0}}};
    for (auto now = clock.Now(); now < deadline; now = clock.Now()) {
      zmq::poll(items.data(), items.size(),
                std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
      if (items[0].revents & ZMQ_POLLIN) return true;
      if (items[1].revents & ZMQ_POLLIN) {
        refusal = handshakes.ReadRefusal();
        if (!refusal.empty()) return false;
      }
    }
    return false;
  }

  void Connect() {
    socket_.emplace(context_, zmq::socket_type::req);
    socket_->set(zmq::sockopt::linger, 0);
    security_.Apply(*socket_);
    socket_->connect(endpoint_);
  }

  static constexpr std::chrono::milliseconds kReplyTimeout{2000};
  zmq::context_t& context_;
  std::string endpoint_;
  const ClientSecurity& security_;
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
  auto [end, error] =
      std::from_chars(options.since->data(), options.since->data() + options.since->size(), seq);
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
  Tailer(const TailOptions& options, ClientSecurity security)
      : options_(options),
        security_(std::move(security)),
        subscriber_(context_, zmq::socket_type::sub),
        handshakes_(context_, subscriber_),
        replay_(context_, options.replay_endpoint, security_),
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
      while (!printer_.Done() && refusal_.empty() && WaitForMessage()) ReceiveOne();
    } catch (const zmq::error_t&) {
      // Interrupted (Ctrl-C): a normal way to stop tailing.
    }
    if (refusal_.empty()) return 0;
    std::cerr << "newsmon tail: " << refusal_ << "\n";
    return 2;
  }

 private:
  // False when the bus refused us: nothing will ever arrive, so say why and stop.
  bool WaitForMessage() {
    std::array<zmq::pollitem_t, 2> items = {{{subscriber_.handle(), 0, ZMQ_POLLIN, 0},
                                             {handshakes_.socket().handle(), 0, ZMQ_POLLIN, 0}}};
    while (true) {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
      if (items[1].revents & ZMQ_POLLIN) {
        refusal_ = handshakes_.ReadRefusal();
        if (!refusal_.empty()) return false;
      }
      if (items[0].revents & ZMQ_POLLIN) return true;
    }
  }

  void Subscribe() {
    security_.Apply(subscriber_);
    std::string topic = "alert." + options_.thread;
    subscriber_.set(zmq::sockopt::subscribe, topic);
    if (cursor_) subscriber_.set(zmq::sockopt::subscribe, "sys.heartbeat");
    subscriber_.connect(options_.endpoint);
  }

  void CatchUp() {
    while (!printer_.Done()) {
      auto reply = replay_.Request(*cursor_, options_.thread, handshakes_, refusal_);
      if (!reply) {
        if (refusal_.empty()) refusal_ = handshakes_.ReadRefusal();  // explains the silence
        if (!refusal_.empty()) return;
        std::cerr << "newsmon tail: no answer from replay endpoint '" << options_.replay_endpoint
                  << "'; showing live alerts only for now\n";
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
      if (seq <= *cursor_) return;                // already shown
      if (seq != *cursor_ + 1) return CatchUp();  // missed some: replay covers this one too
      cursor_ = seq;
    }
    printer_.Print(parsed, body.to_string());
  }

  const TailOptions& options_;
  ClientSecurity security_;
  zmq::context_t context_;
  zmq::socket_t subscriber_;
  HandshakeWatch handshakes_;
  ReplayClient replay_;
  AlertPrinter printer_;
  std::optional<std::int64_t> cursor_;
  std::string refusal_;  // why the bus will never talk to us
};

}  // namespace

int Tail(const TailOptions& options) {
  auto security = ClientSecurity::Load(options);
  if (!security.ok()) {
    std::cerr << "newsmon tail: " << security.status().message() << "\n";
    return 1;
  }
  return Tailer(options, std::move(security).value()).Run();
}

}  // namespace newsmon
