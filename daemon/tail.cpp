#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>
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

// Feed text as a terminal may show it: control characters (C0, DEL, and C1, which some
// terminals obey in UTF-8, U+009B starting an escape sequence) and the bidirectional
// overrides (which can make a line read as another) become U+FFFD. The feed parser drops
// C0 controls already; a title is still a stranger's bytes reaching the editor's terminal.
std::string Printable(const std::string& text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const auto third = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if (byte < 0x20 || byte == 0x7F) {
      out += kReplacement;
    } else if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {  // U+0080..U+009F
      out += kReplacement;
      ++i;
    } else if (byte == 0xE2 && ((next == 0x80 && third >= 0xAA && third <= 0xAE) ||   // U+202A..E
                                (next == 0x81 && third >= 0xA6 && third <= 0xA9))) {  // U+2066..9
      out += kReplacement;
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// A string field; "" when it is missing or not a string: a message of another shape (from a
// peer on the bus that is not the daemon) is read as far as it goes, not ended on.
std::string StringOf(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

// A string field of an alert as a terminal may show it.
std::string Text(const json& object, const char* key) { return Printable(StringOf(object, key)); }

// A number field, or `fallback` when it is missing or not a number.
template <typename Number>
Number NumberOf(const json& object, const char* key, Number fallback) {
  if (!object.is_object()) return fallback;
  auto found = object.find(key);
  return found != object.end() && found->is_number() ? found->get<Number>() : fallback;
}

std::string Join(const json& list) {
  std::string joined;
  if (!list.is_array()) return joined;
  for (const auto& entry : list) {
    if (!entry.is_string()) continue;
    joined += (joined.empty() ? "" : ", ") + Printable(entry.get<std::string>());
  }
  return joined;
}

// A member that is an object or array, or `null` when it is missing or of another type.
const json& Member(const json& object, const char* key) {
  static const json kNone;
  if (!object.is_object()) return kNone;
  auto found = object.find(key);
  return found == object.end() ? kNone : *found;
}

// "UPDATE", "BURST" before the thread, so an editor tells news from confirmation at a glance;
// nothing for a new story (or an alert of a daemon before stories).
std::string KindTag(const json& alert) {
  const std::string kind = Text(alert, "kind");
  if (kind.empty() || kind == "new") return "";
  std::string tag = kind;
  for (char& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return tag + " ";
}

// "5 sources: wire, daily, radio, agency, tv" for an alert of a story with more than one.
std::string SourcesLine(const json& alert) {
  const json& story = Member(alert, "story");
  const auto sources = NumberOf<std::int64_t>(story, "source_count", 0);
  if (sources < 2) return "";
  return "    " + std::to_string(sources) + " sources: " + Join(Member(story, "sources")) + "\n";
}

std::string FormatBurst(const json& alert) {
  const json& burst = Member(alert, "burst");
  std::ostringstream out;
  out << Text(alert, "detected_at") << "  #" << NumberOf<std::int64_t>(alert, "seq", 0) << "  "
      << KindTag(alert) << "[" << Text(alert, "thread") << "]  "
      << NumberOf<std::int64_t>(burst, "stories", 0) << " new stories since "
      << Text(burst, "window_start") << " (about " << NumberOf(burst, "expected", 0.0)
      << " expected)\n";
  const json& stories = Member(alert, "stories");
  for (const json& story : stories.is_array() ? stories : json::array()) {
    if (!story.is_object()) continue;
    out << "    " << Text(story, "title") << "  (" << Text(story, "feed") << ")\n";
  }
  return out.str();
}

// Two lines an editor can scan: when, which thread, the headline and its source; then
// the link and the words that made it match (or the story that carried it into the thread).
// Every field is read as what it should be and shown printable: an alert is made of feed
// text, and one of another shape (a peer on the bus that is not the daemon) is shown as far
// as it goes rather than ending tail.
std::string FormatAlert(const json& alert) {
  if (Member(alert, "burst").is_object()) return FormatBurst(alert);
  const json& item = Member(alert, "item");
  std::ostringstream out;
  out << Text(alert, "detected_at") << "  #" << NumberOf<std::int64_t>(alert, "seq", 0) << "  "
      << KindTag(alert) << "[" << Text(alert, "thread") << "]  " << Text(item, "title") << "  ("
      << Text(item, "feed") << ")\n"
      << "    " << Text(item, "link") << "\n";
  if (alert.contains("via_story")) {
    out << "    in the thread through story #" << NumberOf<std::int64_t>(alert, "via_story", 0)
        << "\n";
  } else {
    out << "    matched: " << Join(Member(alert, "matched")) << "  score "
        << NumberOf(alert, "score", 0.0) << "\n";
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
  // stream: a number of its own per watched socket, which names the monitor's endpoint.
  HandshakeWatch(zmq::context_t& context, zmq::socket_t& watched, std::size_t stream)
      : socket_(context, zmq::socket_type::pair) {
    const std::string endpoint = "inproc://newsmon-tail-handshakes-" + std::to_string(stream);
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    if (zmq_socket_monitor(watched.handle(), endpoint.c_str(), events) == 0) {
      socket_.connect(endpoint);
    }
  }

  zmq::socket_t& socket() { return socket_; }

  // True once after each handshake that succeeded: the daemon at the other end may have
  // restarted, on another database.
  bool TakeConnected() { return std::exchange(connected_, false); }

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
      connected_ = true;
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
  bool connected_ = false;
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
    // Anything but an object with alerts is no answer (json::value would throw on it).
    if (!parsed.is_object() || parsed.contains("error") || !parsed.contains("alerts") ||
        !parsed.at("alerts").is_array()) {
      return std::nullopt;
    }
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
    // A page of 1,000 alerts is well below this; an endpoint that sends more is not a daemon.
    socket_->set(zmq::sockopt::maxmsgsize, std::int64_t{256} << 20);
    security_.Apply(*socket_);
    socket_->connect(endpoint_);
  }

  static constexpr std::chrono::milliseconds kReplyTimeout{2000};
  zmq::context_t& context_;
  std::string endpoint_;
  const ClientSecurity& security_;
  std::optional<zmq::socket_t> socket_;
};

// Where tail is in one daemon's stream: the last seq shown and the database it counts in
// ("" before the daemon has said).
struct Position {
  std::int64_t seq = 0;
  std::string database_id;
};

// A stream's position and the daemon's bus endpoint that names it.
struct Kept {
  std::string endpoint;
  Position position;
};

// Remembers where each stream is, replacing the file atomically so a crash leaves either the
// old or the new one. With one endpoint the file holds "SEQ DATABASE_ID", as it always has (a
// file of older versions holds the seq alone); with several, one line "SEQ DATABASE_ID
// ENDPOINT" per stream, "-" standing for a database not known yet.
class StateFile {
 public:
  explicit StateFile(std::string path) : path_(std::move(path)) {}

  // The position kept for the stream at endpoint. A line without an endpoint was written by a
  // tail of one endpoint and counts for the first stream: if that is another daemon now, its
  // database id says so and tail starts that stream again from its first alert.
  std::optional<Position> Read(const std::string& endpoint, bool first) const {
    std::ifstream file(path_);
    std::string line;
    while (std::getline(file, line)) {
      std::istringstream fields(line);
      Position position;
      std::string kept_endpoint;
      if (!(fields >> position.seq)) continue;
      fields >> position.database_id >> std::ws;
      std::getline(fields, kept_endpoint);
      if (position.database_id == "-") position.database_id.clear();
      if (kept_endpoint == endpoint || (kept_endpoint.empty() && first)) return position;
    }
    return std::nullopt;
  }

  void Write(const std::vector<Kept>& streams) const {
    if (path_.empty()) return;
    std::string temporary = path_ + ".tmp";
    {
      std::ofstream file(temporary, std::ios::trunc);
      if (streams.size() == 1) {
        file << streams[0].position.seq << " " << streams[0].position.database_id << "\n";
      } else {
        for (const Kept& kept : streams) {
          const std::string& id = kept.position.database_id;
          file << kept.position.seq << " " << (id.empty() ? "-" : id) << " " << kept.endpoint
               << "\n";
        }
      }
      if (!file.flush()) return;
    }
    std::rename(temporary.c_str(), path_.c_str());
  }

 private:
  std::string path_;
};

class AlertPrinter {
 public:
  explicit AlertPrinter(const TailOptions& options) : options_(options) {}

  void Print(const json& alert, const std::string& raw) {
    if (options_.json) {
      std::cout << raw << std::endl;
    } else {
      std::cout << FormatAlert(alert) << std::flush;
    }
    ++printed_;
  }
  bool Done() const { return options_.count > 0 && printed_ >= options_.count; }

 private:
  const TailOptions& options_;
  long printed_ = 0;
};

// --since N, or --since last with the position kept in --state (seq 0 when there is none), for
// the stream at endpoint (the first one given when first).
Result<std::optional<Position>> StartingPosition(const TailOptions& options,
                                                 const std::string& endpoint, bool first) {
  if (!options.since) return std::optional<Position>();
  if (*options.since == "last") {
    if (options.state_file.empty()) return Status::Error("--since last needs --state FILE");
    return std::optional<Position>(
        StateFile(options.state_file).Read(endpoint, first).value_or(Position{}));
  }
  std::int64_t seq = -1;
  auto [end, error] =
      std::from_chars(options.since->data(), options.since->data() + options.since->size(), seq);
  if (error != std::errc() || end != options.since->data() + options.since->size() || seq < 0) {
    return Status::Error("--since takes a sequence number (0 for everything) or 'last'");
  }
  return std::optional<Position>(Position{seq, ""});
}

// What one stream shares with the others: the bus's context and keys, what is printed, and
// who hears that its position moved.
struct StreamShared {
  const TailOptions& options;
  zmq::context_t& context;
  const ClientSecurity& security;
  AlertPrinter& printer;
  std::function<void()> moved;
};

// One daemon's stream, after the Clone pattern: subscribe first, then page through replay
// from the cursor, then go live; a live alert or heartbeat beyond the cursor triggers another
// catch-up, and anything at or below the cursor is a duplicate. Without --since the first
// heartbeat or alert sets the cursor, and gaps are filled from then on, so a daemon restart
// loses nothing. Heartbeats and replay answers name the database: another one means its seqs
// count other alerts, and the stream starts again from its first. Each stream has its own
// SUB socket, so where an alert came from, and so which cursor and replay endpoint it belongs
// to, is known without trusting the alert to say (docs/scaling.md).
class Stream {
 public:
  static constexpr std::chrono::seconds kReplayRetry{5};
  static constexpr std::int64_t kLargestAlert = std::int64_t{16} << 20;
  static constexpr std::size_t kMostOwed = 100'000;

  // who: how messages name the daemon ("the daemon", or "the daemon at ENDPOINT" among several).
  Stream(const StreamShared& shared, std::size_t number, std::string endpoint,
         std::string replay_endpoint, std::string who)
      : shared_(shared),
        options_(shared.options),
        endpoint_(std::move(endpoint)),
        replay_endpoint_(std::move(replay_endpoint)),
        who_(std::move(who)),
        subscriber_(shared.context, zmq::socket_type::sub),
        handshakes_(shared.context, subscriber_, number),
        replay_(shared.context, replay_endpoint_, shared.security),
        printer_(shared.printer) {}

  const std::string& endpoint() const { return endpoint_; }
  const std::string& refusal() const { return refusal_; }
  // What --state keeps: while alerts are owed (replay failing), where they begin, so that a
  // tail stopped meanwhile asks for them again; before the daemon has said anything, what the
  // file held (a shard not heard from yet keeps its place).
  Kept kept() const {
    if (!cursor_) return {endpoint_, read_.value_or(Position{})};
    return {endpoint_, {hole_after_.value_or(*cursor_), database_id_}};
  }
  void Remember(std::optional<Position> read) { read_ = std::move(read); }
  zmq::pollitem_t SubscriberItem() { return {subscriber_.handle(), 0, ZMQ_POLLIN, 0}; }
  zmq::pollitem_t HandshakeItem() { return {handshakes_.socket().handle(), 0, ZMQ_POLLIN, 0}; }

  // Throws zmq::error_t when the endpoint is not one ZeroMQ can connect to.
  void Subscribe() {
    shared_.security.Apply(subscriber_);
    // Whatever is bound on the endpoint decides what arrives: one alert is far below this.
    subscriber_.set(zmq::sockopt::maxmsgsize, kLargestAlert);
    std::string topic = "alert." + options_.thread;
    subscriber_.set(zmq::sockopt::subscribe, topic);
    subscriber_.set(zmq::sockopt::subscribe, "sys.heartbeat");
    subscriber_.connect(endpoint_);
  }

  // From start (--since), or, without it, from the first heartbeat or alert.
  void Start(const std::optional<Position>& start) {
    if (!start) return;
    cursor_ = start->seq;
    database_id_ = start->database_id;
    CatchUp();
  }

  // After the handshake socket polled readable. False when the bus refused us: nothing will
  // ever arrive, so tail says why and stops.
  bool OnHandshakes() {
    refusal_ = handshakes_.ReadRefusal();
    if (!refusal_.empty()) return false;
    if (handshakes_.TakeConnected()) confirmed_ = false;
    return true;
  }

  void ReceiveOne() {
    zmq::message_t topic, body;
    if (!subscriber_.recv(topic) || !topic.more() || !subscriber_.recv(body)) return;
    json parsed = json::parse(body.to_string(), nullptr, false);
    // Only objects: a message of another shape on the bus (not the daemon's) would make
    // json::value throw and end tail.
    if (!parsed.is_object()) return;
    if (topic.to_string() == "sys.heartbeat") return OnHeartbeat(parsed);
    // ZeroMQ filters by prefix: "alert.talks" also lets "alert.talks-2" through.
    if (!options_.thread.empty() && topic.to_string() != "alert." + options_.thread) return;
    std::int64_t seq = NumberOf<std::int64_t>(parsed, "seq", 0);
    // Since a (re)connection, seqs may count in another database: replay says which first.
    if (cursor_ && !confirmed_) CatchUp();
    if (cursor_ && seq <= *cursor_) return;  // already shown
    if (cursor_ && seq != *cursor_ + 1) {
      // Missed some (or, with --thread, another thread's): replay covers this one too. While
      // it is failing, the gap is owed and the alert shown now, as for heartbeats.
      if (ReplayResting()) {
        if (!hole_after_) hole_after_ = *cursor_;
      } else {
        CatchUp();
      }
    }
    if (cursor_ && seq <= *cursor_) return;  // replay showed it
    Show(parsed, body.to_string(), seq);
  }

 private:
  void CatchUp() {
    while (!printer_.Done()) {
      auto reply = replay_.Request(*cursor_, options_.thread, handshakes_, refusal_);
      if (!reply) return ReplayFailed();
      replay_failing_ = false;
      ConfirmedByReply();
      const std::int64_t asked = *cursor_;
      FollowDatabase(StringOf(*reply, "database_id"));
      const std::int64_t last = NumberOf<std::int64_t>(*reply, "last_seq", 0);
      if (last < *cursor_) Rewound(last);
      if (*cursor_ != asked) continue;  // started over: ask again from there
      const json& alerts = (*reply)["alerts"];
      for (const json& alert : alerts) {
        if (printer_.Done()) return;
        const std::int64_t seq = NumberOf<std::int64_t>(alert, "seq", 0);
        // Shown already: an answer that does not move on (a replay server gone wrong) must
        // not make tail print the same page for ever.
        if (seq <= *cursor_) continue;
        Show(alert, alert.dump(), seq);
      }
      if (alerts.size() < 1000 || *cursor_ == asked) {
        Advance(std::max(*cursor_, last));
        return;
      }
    }
  }

  // A handshake that finished before this answer came is covered by it: without draining
  // its event, the first live alert would make tail ask replay the same question again.
  void ConfirmedByReply() {
    if (refusal_.empty()) refusal_ = handshakes_.ReadRefusal();
    handshakes_.TakeConnected();
    confirmed_ = true;
  }

  // Live alerts are shown as they come until replay answers again; not asking again for each
  // of them keeps tail from waiting a timeout per alert.
  void ReplayFailed() {
    confirmed_ = true;
    last_failure_ = std::chrono::steady_clock::now();
    if (cursor_ && !hole_after_) hole_after_ = *cursor_;
    if (refusal_.empty()) refusal_ = handshakes_.ReadRefusal();  // a refused key explains it
    if (!refusal_.empty() || replay_failing_) return;
    replay_failing_ = true;  // said once until an answer comes
    std::cerr << "newsmon tail: no answer from replay endpoint '" << replay_endpoint_
              << "'; showing live alerts only for now\n";
  }

  // Another database's seqs number other alerts: everything in it is new to us.
  void FollowDatabase(const std::string& id) {
    if (id.empty() || id == database_id_) return;
    const bool replaced = !database_id_.empty() && cursor_;
    if (replaced) {
      std::cerr << "newsmon tail: " << who_ << " now serves another database (id " << id << ", was "
                << database_id_
                << "): its seqs number other alerts, so tail starts again from its first alert\n";
    }
    database_id_ = id;
    if (!replaced) return;
    // What was owed counts in the old database's seqs: the new one's are all owed from 0.
    if (hole_after_) hole_after_ = 0;
    shown_since_hole_.clear();
    Advance(0);
  }

  void Rewound(std::int64_t last) {
    std::cerr << "newsmon tail: " << who_ << "'s database ends at seq " << last << ", before seq "
              << *cursor_
              << " that tail has shown: it was restored from an older copy, so tail goes on "
                 "from seq "
              << last << "\n";
    if (hole_after_ && *hole_after_ > last) hole_after_ = last;
    // The old copy's seqs past its end number other alerts in this one: not shown yet.
    shown_since_hole_.erase(shown_since_hole_.upper_bound(last), shown_since_hole_.end());
    Advance(last);
  }

  void OnHeartbeat(const json& heartbeat) {
    FollowDatabase(StringOf(heartbeat, "database_id"));
    const bool first_since_connecting = !confirmed_;
    confirmed_ = true;
    const std::int64_t last = NumberOf<std::int64_t>(heartbeat, "last_seq", 0);
    if (!cursor_) return Advance(last);  // tail shows what comes after it joined
    // The first heartbeat of a connection was made after every replay answer tail had before
    // it, so a daemon that has stored less than tail has shown serves an older copy of the
    // database; heartbeats say so when replay cannot (a daemon before stored_seq says nothing).
    if (first_since_connecting) {
      const auto stored = NumberOf<std::int64_t>(heartbeat, "stored_seq", *cursor_);
      if (stored < *cursor_) Rewound(stored);
    }
    // Beyond us: missed some. Behind us: the database may have been restored; replay says.
    if (last == *cursor_ && !hole_after_) return;
    // While replay fails, asking at every heartbeat would make live alerts wait its timeout
    // each time: ask again every kReplayRetry, and show live alerts meanwhile. The alerts
    // missed stay owed (hole_after_) and are shown, late, when replay answers.
    if (ReplayResting()) {
      if (last > *cursor_) {
        if (!hole_after_) hole_after_ = *cursor_;
        Advance(last);
      }
      // A heartbeat behind tail is no proof of a restored copy: it says how far the daemon
      // has published, and replay also answers alerts stored but not yet sent. Replay says,
      // once the rest is over.
      return;
    }
    if (hole_after_) FillHole();
    // Also after a failure that left nothing owed (FillHole then asks nothing): once the rest
    // is over, a heartbeat beyond or behind tail is asked about again.
    if (!ReplayResting() && last != *cursor_) CatchUp();
  }

  // Replay failed less than kReplayRetry ago: asking again now would only wait its timeout.
  bool ReplayResting() const {
    return replay_failing_ && std::chrono::steady_clock::now() - last_failure_ < kReplayRetry;
  }

  // Shows the alerts after hole_after_ that tail has not shown, oldest first, once replay
  // answers; the live ones shown meanwhile are skipped.
  void FillHole() {
    std::int64_t since = *hole_after_;
    while (!printer_.Done() && since < *cursor_) {
      auto reply = replay_.Request(since, options_.thread, handshakes_, refusal_);
      if (!reply) return ReplayFailed();
      replay_failing_ = false;
      const json& alerts = (*reply)["alerts"];
      const std::int64_t asked = since;
      for (const json& alert : alerts) {
        const std::int64_t seq = NumberOf<std::int64_t>(alert, "seq", since);
        if (seq <= since) continue;  // not after what was asked: shown, or not this hole's
        since = seq;
        if (seq > *cursor_) break;
        if (!shown_since_hole_.contains(seq) && !printer_.Done())
          printer_.Print(alert, alert.dump());
      }
      if (alerts.size() < 1000 || since == asked) break;
    }
    hole_after_.reset();
    shown_since_hole_.clear();
  }

  void Show(const json& alert, const std::string& raw, std::int64_t seq) {
    printer_.Print(alert, raw);
    if (hole_after_ && shown_since_hole_.size() < kMostOwed) shown_since_hole_.insert(seq);
    Advance(seq);
  }

  void Advance(std::int64_t seq) {
    cursor_ = seq;
    shared_.moved();
  }

  const StreamShared& shared_;
  const TailOptions& options_;
  const std::string endpoint_;
  const std::string replay_endpoint_;
  const std::string who_;
  zmq::socket_t subscriber_;
  HandshakeWatch handshakes_;
  ReplayClient replay_;
  AlertPrinter& printer_;
  std::optional<std::int64_t> cursor_;  // the last seq shown or skipped; none before the first
  std::optional<Position> read_;        // the position --state held at start
  std::string database_id_;
  bool confirmed_ = false;  // a heartbeat or replay answer named the database since connecting
  bool replay_failing_ = false;
  std::chrono::steady_clock::time_point last_failure_;
  // Replay failed with alerts missing after this seq; they are shown when it answers again.
  std::optional<std::int64_t> hole_after_;
  std::set<std::int64_t> shown_since_hole_;  // live alerts shown meanwhile (not shown twice)
  std::string refusal_;                      // why the bus will never talk to us
};

// The endpoints paired in order, the first replay endpoint with the first endpoint; one
// endpoint may go without (the default replay endpoint). An error says what to give instead.
Result<std::vector<std::pair<std::string, std::string>>> PairEndpoints(const TailOptions& options) {
  std::vector<std::string> endpoints = options.endpoints, replays = options.replay_endpoints;
  if (endpoints.empty()) endpoints.push_back(kDefaultTailEndpoint);
  if (replays.empty() && endpoints.size() == 1) replays.push_back(kDefaultTailReplayEndpoint);
  if (replays.size() != endpoints.size()) {
    return Status::InvalidInput("give one --replay-endpoint per --endpoint, in the same order (" +
                                std::to_string(endpoints.size()) + " --endpoint, " +
                                std::to_string(replays.size()) + " --replay-endpoint)");
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    for (const auto& [endpoint, replay] : pairs) {
      if (endpoint == endpoints[i] || replay == replays[i]) {
        return Status::InvalidInput("'" + (endpoint == endpoints[i] ? endpoint : replay) +
                                    "' is given twice: each shard has endpoints of its own");
      }
    }
    pairs.emplace_back(endpoints[i], replays[i]);
  }
  return pairs;
}

// Every daemon's stream at once: their SUB sockets are polled together (the fan-in), and
// each keeps its own cursor, database and replay endpoint. One endpoint is the plain case.
class Tailer {
 public:
  Tailer(const TailOptions& options, ClientSecurity security)
      : options_(options),
        security_(std::move(security)),
        printer_(options),
        state_(options.state_file),
        shared_{options_, context_, security_, printer_, [this] { SaveState(); }} {}

  int Run() {
    auto pairs = PairEndpoints(options_);
    if (!pairs.ok()) return Fail(pairs.status().message());
    for (const auto& [endpoint, replay] : *pairs) {
      std::string who = pairs->size() == 1 ? "the daemon" : "the daemon at " + endpoint;
      streams_.push_back(
          std::make_unique<Stream>(shared_, streams_.size(), endpoint, replay, std::move(who)));
    }
    std::vector<std::optional<Position>> starts;
    for (const auto& stream : streams_) {
      const bool first = starts.empty();
      auto start = StartingPosition(options_, stream->endpoint(), first);
      if (!start.ok()) return Fail(start.status().message());
      starts.push_back(*start);
      if (!options_.state_file.empty()) {
        stream->Remember(StateFile(options_.state_file).Read(stream->endpoint(), first));
      }
    }
    for (const auto& stream : streams_) {
      try {
        stream->Subscribe();
      } catch (const zmq::error_t& error) {
        std::cerr << "cannot connect to '" << stream->endpoint() << "': " << error.what() << "\n";
        return 1;
      }
    }
    for (std::size_t i = 0; i < streams_.size() && Refusal().empty(); ++i) {
      streams_[i]->Start(starts[i]);
    }
    try {
      while (!printer_.Done() && Refusal().empty() && PollOnce()) {
      }
    } catch (const zmq::error_t&) {
      // Interrupted (Ctrl-C): a normal way to stop tailing.
    }
    if (Refusal().empty()) return 0;
    std::cerr << "newsmon tail: " << Refusal() << "\n";
    return 2;
  }

 private:
  static int Fail(const std::string& message) {
    std::cerr << "newsmon tail: " << message << "\n";
    return 1;
  }

  // Waits for any stream, then serves each that has something: one message, or its
  // handshake events. False when a bus refused us.
  bool PollOnce() {
    std::vector<zmq::pollitem_t> items;
    for (const auto& stream : streams_) {
      items.push_back(stream->SubscriberItem());
      items.push_back(stream->HandshakeItem());
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if ((items[2 * i + 1].revents & ZMQ_POLLIN) && !streams_[i]->OnHandshakes()) return false;
      if ((items[2 * i].revents & ZMQ_POLLIN) && !printer_.Done() && Refusal().empty()) {
        streams_[i]->ReceiveOne();
      }
    }
    return true;
  }

  // Why a bus will never talk to us; empty while every one may.
  std::string Refusal() const {
    for (const auto& stream : streams_) {
      if (!stream->refusal().empty()) return stream->refusal();
    }
    return "";
  }

  void SaveState() {
    std::vector<Kept> kept;
    for (const auto& stream : streams_) kept.push_back(stream->kept());
    state_.Write(kept);
  }

  const TailOptions& options_;
  ClientSecurity security_;
  zmq::context_t context_;
  AlertPrinter printer_;
  StateFile state_;
  StreamShared shared_;
  std::vector<std::unique_ptr<Stream>> streams_;
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
