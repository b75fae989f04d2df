// newsmon board: follows the bus like `newsmon tail` (subscribe, page through replay, fill
// gaps, start over on another database) and serves what it holds to browsers: the page at
// /, the held alerts at /alerts, and Server-Sent Events at /events. It uses only the
// documented protocol (docs/alerts.md), so it runs on any machine that may reach the bus.
#include <arpa/inet.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "core/ascii.h"
#include "core/status.h"
#include "core/time_format.h"
#include "daemon/board_page.h"
#include "daemon/commands.h"
#include "publishers/curve.h"
#include "publishers/metrics.h"

namespace newsmon {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

constexpr std::int64_t kDaySeconds = 24 * 60 * 60;

// The alerts a board holds, oldest first, shared by the bus thread (which adds) and the
// HTTP threads (which read and wait). Bodies are kept as compact JSON lines, ready for an
// SSE `data:` line.
class HeldAlerts {
 public:
  explicit HeldAlerts(std::size_t capacity) : capacity_(capacity) {}

  struct Held {
    std::int64_t seq = 0;
    std::int64_t detected = 0;  // unix seconds; 0 when the alert did not say
    std::string body;
  };

  // What a stream has not yet sent, once something is new or the wait is over.
  struct Update {
    bool reset = false;  // the alerts before now counted in another database: drop them
    std::vector<Held> alerts;
    std::optional<std::string> heartbeat;
    bool stopping = false;
  };

  // Where one stream is: the last seq it sent, the generation it counts in, the last
  // heartbeat it passed on.
  struct Cursor {
    std::int64_t after = 0;
    std::uint64_t generation = 0;
    std::uint64_t heartbeats = 0;
  };

  void Add(const json& alert) {
    Held held;
    held.seq = alert.value("seq", std::int64_t{0});
    held.detected = ParseRfc3339(alert.value("detected_at", ""));
    held.body = alert.dump(-1, ' ', false, json::error_handler_t::replace);
    {
      std::lock_guard lock(mutex_);
      if (!alerts_.empty() && held.seq <= alerts_.back().seq) return;
      alerts_.push_back(std::move(held));
      while (alerts_.size() > capacity_) alerts_.pop_front();
      ForgetOld();
    }
    changed_.notify_all();
  }

  // Another database (or one restored from an older copy): its seqs number other alerts.
  void Reset(const std::string& database_id) {
    {
      std::lock_guard lock(mutex_);
      alerts_.clear();
      database_id_ = database_id;
      ++generation_;
    }
    changed_.notify_all();
  }

  void SetDatabase(const std::string& database_id) {
    std::lock_guard lock(mutex_);
    database_id_ = database_id;
  }

  void Heartbeat(const json& heartbeat) {
    {
      std::lock_guard lock(mutex_);
      heartbeat_ = heartbeat;
      heartbeat_at_ = std::chrono::steady_clock::now();
      ++heartbeats_;
      ForgetOld();
    }
    changed_.notify_all();
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
  }

  // {"alerts": [...], "last_seq": N, "database_id": "..."}, the shape of a replay answer.
  std::string Snapshot() {
    std::lock_guard lock(mutex_);
    std::string out = "{\"alerts\":[";
    for (std::size_t i = 0; i < alerts_.size(); ++i) {
      out += (i ? "," : "") + alerts_[i].body;
    }
    out += "],\"last_seq\":" + std::to_string(alerts_.empty() ? 0 : alerts_.back().seq) +
           ",\"database_id\":" + json(database_id_).dump() + "}";
    return out;
  }

  // A new stream: resumes after `last_event_id`, or starts over (with a reset) when that seq
  // is beyond everything held, as it is after the database was replaced.
  Cursor Open(std::int64_t last_event_id, bool& reset) {
    std::lock_guard lock(mutex_);
    std::int64_t newest = alerts_.empty() ? 0 : alerts_.back().seq;
    reset = last_event_id > newest;
    return {reset ? 0 : last_event_id, generation_, heartbeats_ ? heartbeats_ - 1 : 0};
  }

  // Waits until there is something the stream behind `cursor` has not sent, at most `wait`.
  Update Next(Cursor& cursor, std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    auto pending = [&] {
      return stopping_ || cursor.generation != generation_ || cursor.heartbeats != heartbeats_ ||
             (!alerts_.empty() && alerts_.back().seq > cursor.after);
    };
    changed_.wait_for(lock, wait, pending);
    Update update;
    update.stopping = stopping_;
    if (cursor.generation != generation_) {
      update.reset = true;
      cursor.generation = generation_;
      cursor.after = 0;
    }
    for (const Held& held : alerts_) {
      if (held.seq <= cursor.after) continue;
      update.alerts.push_back(held);
      cursor.after = held.seq;
    }
    if (cursor.heartbeats != heartbeats_) {
      cursor.heartbeats = heartbeats_;
      json beat = heartbeat_;
      beat["age_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - heartbeat_at_)
                           .count();
      update.heartbeat = beat.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return update;
  }

 private:
  // "The last day": what the daemon detected more than a day ago leaves the board.
  void ForgetOld() {
    const std::int64_t oldest = UnixNow() - kDaySeconds;
    while (!alerts_.empty() && alerts_.front().detected != 0 && alerts_.front().detected < oldest) {
      alerts_.pop_front();
    }
  }

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Held> alerts_;
  std::string database_id_;
  std::uint64_t generation_ = 0;
  json heartbeat_;
  std::chrono::steady_clock::time_point heartbeat_at_;
  std::uint64_t heartbeats_ = 0;
  bool stopping_ = false;
};

// Our side of CURVE, as tail has it; without keys the sockets talk in the clear.
struct ClientKeys {
  std::string server_key;
  CurveKeyPair own;

  void Apply(zmq::socket_t& socket) const {
    if (server_key.empty()) return;
    socket.set(zmq::sockopt::curve_serverkey, server_key);
    socket.set(zmq::sockopt::curve_publickey, own.public_key);
    socket.set(zmq::sockopt::curve_secretkey, own.secret_key);
  }
};

Result<ClientKeys> LoadKeys(const BoardOptions& options) {
  ClientKeys keys;
  if (options.curve_server_key.empty() != options.curve_key.empty()) {
    return Status::InvalidInput("--curve-server-key and --curve-key go together");
  }
  if (options.curve_server_key.empty()) return keys;
  auto server = LoadCurveCertificate(options.curve_server_key);
  if (!server.ok()) return server.status();
  auto own = LoadCurveSecretCertificate(options.curve_key);
  if (!own.ok()) return own.status();
  keys.server_key = server->public_key;
  keys.own = *own;
  return keys;
}

// Follows the bus into HeldAlerts, the way docs/alerts.md describes: subscribe, page
// through replay, then live, skipping seqs already held and asking replay again when a
// seq or a heartbeat's last_seq jumps ahead; another database starts the board over. At
// start it asks only for the newest `capacity` alerts, since it would hold no more.
class BusFollower {
 public:
  BusFollower(const BoardOptions& options, ClientKeys keys, HeldAlerts& held)
      : options_(options),
        keys_(std::move(keys)),
        held_(held),
        subscriber_(context_, zmq::socket_type::sub) {}

  // Returns when g_stop is set.
  void Run() {
    keys_.Apply(subscriber_);
    subscriber_.set(zmq::sockopt::subscribe, "alert.");
    subscriber_.set(zmq::sockopt::subscribe, "sys.heartbeat");
    subscriber_.connect(options_.endpoint);
    CatchUp();
    std::array<zmq::pollitem_t, 1> items = {{{subscriber_.handle(), 0, ZMQ_POLLIN, 0}}};
    while (!g_stop) {
      try {
        zmq::poll(items.data(), items.size(), 500ms);
        if (items[0].revents & ZMQ_POLLIN) ReceiveOne();
      } catch (const zmq::error_t& error) {
        if (error.num() != EINTR) throw;
      }
    }
  }

 private:
  void ReceiveOne() {
    zmq::message_t topic, body;
    if (!subscriber_.recv(topic, zmq::recv_flags::dontwait) || !topic.more() ||
        !subscriber_.recv(body, zmq::recv_flags::dontwait)) {
      return;
    }
    json parsed = json::parse(body.to_string(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) return;
    if (topic.to_string() == "sys.heartbeat") return OnHeartbeat(parsed);
    const std::int64_t seq = parsed.value("seq", std::int64_t{0});
    if (cursor_ && seq <= *cursor_) return;         // held already
    if (cursor_ && seq != *cursor_ + 1) CatchUp();  // missed some: replay covers this one too
    if (cursor_ && seq <= *cursor_) return;
    held_.Add(parsed);
    cursor_ = seq;
  }

  void OnHeartbeat(const json& heartbeat) {
    held_.Heartbeat(heartbeat);
    const std::string database = heartbeat.value("database_id", "");
    const std::int64_t last = heartbeat.value("last_seq", std::int64_t{0});
    if (database_id_.empty() || database != database_id_ || !cursor_ || last != *cursor_) {
      CatchUp();
    }
    if (!replay_failing_) return;
    // Without replay the gap cannot be filled: go on with live alerts.
    if (!cursor_ || last > *cursor_) cursor_ = last;
    if (database_id_.empty()) {
      database_id_ = database;
      held_.SetDatabase(database);
    }
  }

  void CatchUp() {
    // Each try that gets no answer holds live alerts back for the reply timeout.
    if (replay_failing_ && std::chrono::steady_clock::now() < next_try_) return;
    while (!g_stop) {
      const bool starting = !cursor_;
      auto reply = Request(cursor_.value_or(0), starting ? 1 : kPage);
      if (!reply) return ReplayFailed();
      if (replay_failing_) std::cerr << "newsmon board: replay answers again\n";
      replay_failing_ = false;
      const std::string database = reply->value("database_id", "");
      const std::int64_t last = reply->value("last_seq", std::int64_t{0});
      if (!database_id_.empty() && database != database_id_) {
        std::cerr << "newsmon board: the daemon now serves another database (id " << database
                  << "): the board starts over from its alerts\n";
        held_.Reset(database);
        database_id_ = database;
        cursor_.reset();
        continue;
      }
      if (database_id_.empty()) held_.SetDatabase(database);
      database_id_ = database;
      if (cursor_ && last < *cursor_) {
        std::cerr << "newsmon board: the daemon's database ends at seq " << last
                  << ", before what the board holds: it was restored from an older copy, so "
                     "the board starts over\n";
        held_.Reset(database);
        cursor_.reset();
        continue;
      }
      if (starting) {
        const auto capacity = static_cast<std::int64_t>(options_.capacity);
        cursor_ = std::max<std::int64_t>(0, last - capacity);
        continue;
      }
      const json& alerts = (*reply)["alerts"];
      for (const json& alert : alerts) {
        const std::int64_t seq = alert.value("seq", std::int64_t{0});
        if (seq <= *cursor_) continue;
        held_.Add(alert);
        cursor_ = seq;
      }
      if (alerts.size() < static_cast<std::size_t>(kPage)) {
        cursor_ = std::max(*cursor_, last);
        return;
      }
    }
  }

  void ReplayFailed() {
    next_try_ = std::chrono::steady_clock::now() + kRetryReplay;
    if (replay_failing_) return;
    replay_failing_ = true;  // said once until an answer comes
    std::cerr << "newsmon board: no answer from replay endpoint '" << options_.replay_endpoint
              << "'; holding live alerts only for now\n";
  }

  // A REQ socket that timed out is stuck, so each request gets a fresh one.
  std::optional<json> Request(std::int64_t since, int limit) {
    zmq::socket_t socket(context_, zmq::socket_type::req);
    socket.set(zmq::sockopt::linger, 0);
    keys_.Apply(socket);
    socket.connect(options_.replay_endpoint);
    json request = {{"since", since}, {"limit", limit}};
    socket.send(zmq::buffer(request.dump()), zmq::send_flags::none);
    std::array<zmq::pollitem_t, 1> items = {{{socket.handle(), 0, ZMQ_POLLIN, 0}}};
    const auto deadline = std::chrono::steady_clock::now() + kReplyTimeout;
    while (!g_stop && std::chrono::steady_clock::now() < deadline) {
      try {
        zmq::poll(items.data(), items.size(), 100ms);
      } catch (const zmq::error_t& error) {
        if (error.num() != EINTR) throw;
        continue;
      }
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      zmq::message_t reply;
      if (!socket.recv(reply, zmq::recv_flags::dontwait)) return std::nullopt;
      json parsed = json::parse(reply.to_string(), nullptr, false);
      if (parsed.is_discarded() || !parsed.is_object() || parsed.contains("error") ||
          !parsed.contains("alerts") || !parsed["alerts"].is_array()) {
        return std::nullopt;
      }
      return parsed;
    }
    return std::nullopt;
  }

  static constexpr int kPage = 1000;
  static constexpr std::chrono::milliseconds kReplyTimeout{2000};
  static constexpr std::chrono::seconds kRetryReplay{30};
  const BoardOptions& options_;
  ClientKeys keys_;
  HeldAlerts& held_;
  zmq::context_t context_;
  zmq::socket_t subscriber_;
  std::optional<std::int64_t> cursor_;  // the newest seq held or skipped; none before the first
  std::string database_id_;
  bool replay_failing_ = false;
  std::chrono::steady_clock::time_point next_try_;  // while replay fails, ask again from then
};

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// Compares without stopping at the first difference, so timing does not tell how much of a
// guessed token was right.
bool SameSecret(const std::string& given, const std::string& token) {
  unsigned char difference = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ token[i % token.size()]);
  }
  return difference == 0;
}

std::string CookieValue(const std::string& header, const std::string& name) {
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t end = header.find(';', start);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(start, end - start);
    const auto first = pair.find_first_not_of(' ');
    if (first != std::string::npos) pair.erase(0, first);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    start = end + 1;
  }
  return "";
}

constexpr const char* kCookie = "newsmon_board";

bool Authorized(const httplib::Request& request, const std::string& token) {
  if (token.empty()) return true;
  const std::string authorization = request.get_header_value("Authorization");
  if (authorization.rfind("Bearer ", 0) == 0 && SameSecret(authorization.substr(7), token)) {
    return true;
  }
  // On the page's address only, which trades it for the cookie at once: on the others a
  // token in the query would stay in proxies' and servers' access logs.
  if (request.path == "/" && request.has_param("token") &&
      SameSecret(request.get_param_value("token"), token)) {
    return true;
  }
  const std::string cookie = CookieValue(request.get_header_value("Cookie"), kCookie);
  return !cookie.empty() && SameSecret(cookie, token);
}

// The host a request names (its Host header without the port), lowercased; "" without one.
std::string RequestHost(const httplib::Request& request) {
  std::string host = AsciiLower(request.get_header_value("Host"));
  if (host.starts_with('[')) return host.substr(1, host.find(']') - 1);
  return host.substr(0, host.find(':'));
}

// A board without a token is for this machine's browsers only, and the loopback address
// alone does not make it so: a web page whose name an attacker re-points at 127.0.0.1 (DNS
// rebinding) would read it from the editor's own browser. Such a page's requests name the
// attacker's host, so only loopback names are answered.
bool NamedAsLoopback(const httplib::Request& request) {
  const std::string host = RequestHost(request);
  return host.empty() || host == "localhost" || host.ends_with(".localhost") || IsLoopback(host);
}

// Headers of every answer: nothing the board shows is to be cached, sniffed, framed or sent
// on in a Referer.
void Harden(httplib::Response& response) {
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
}

std::int64_t ParseSeq(const std::string& text) {
  std::int64_t seq = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (error != std::errc() || end != text.data() + text.size() || seq < 0) return 0;
  return seq;
}

// One SSE stream: a comment every kKeepAlive keeps proxies from closing a quiet one.
constexpr auto kKeepAlive = 15s;

// SSE streams each hold one of the server's threads for as long as a browser is open; the
// rest are kept for the page and /alerts (and what a slow client holds).
constexpr std::size_t kHttpThreads = 64;
constexpr int kMaxStreams = 48;

void ServeEvents(HeldAlerts& held, const std::shared_ptr<std::atomic<int>>& streams,
                 const httplib::Request& request, httplib::Response& response) {
  if (++*streams > kMaxStreams) {
    --*streams;
    response.status = 503;
    response.set_header("Retry-After", "10");
    response.set_content("newsmon board: too many open boards (" + std::to_string(kMaxStreams) +
                             "); close one, or run a second board\n",
                         "text/plain; charset=utf-8");
    return;
  }
  std::string resume = request.get_header_value("Last-Event-ID");
  if (resume.empty() && request.has_param("since")) resume = request.get_param_value("since");
  bool reset = false;
  auto cursor = std::make_shared<HeldAlerts::Cursor>(held.Open(ParseSeq(resume), reset));
  auto first = std::make_shared<bool>(true);
  response.set_header("X-Accel-Buffering", "no");  // nginx would hold the stream back
  response.set_chunked_content_provider(
      "text/event-stream",
      [&held, cursor, first, reset](std::size_t, httplib::DataSink& sink) {
        std::string out;
        if (*first) {
          *first = false;
          out = "retry: 2000\n\n";
          if (reset) out += "event: reset\ndata: {}\n\n";
        }
        HeldAlerts::Update update = held.Next(*cursor, kKeepAlive);
        if (update.stopping) return false;
        if (update.reset) out += "event: reset\ndata: {}\n\n";
        for (const auto& alert : update.alerts) {
          out += "id: " + std::to_string(alert.seq) + "\ndata: " + alert.body + "\n\n";
        }
        if (update.heartbeat) out += "event: heartbeat\ndata: " + *update.heartbeat + "\n\n";
        if (out.empty()) out = ": keep-alive\n\n";
        return sink.write(out.data(), out.size());
      },
      [streams](bool) { --*streams; });
}

// Letters, digits and "-._~+/=" (base64 and URL-safe tokens): the token goes into a cookie
// as it is, where ';', ',', spaces and quotes would cut or break it.
bool TokenCharactersFit(const std::string& token) {
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~+/=").find(c) != std::string_view::npos;
  });
}

}  // namespace

int Board(const BoardOptions& options) {
  auto address = ParseListen(options.listen);
  if (!address.ok()) {
    std::cerr << "newsmon board: --listen '" << options.listen
              << "': expected HOST:PORT, e.g. 127.0.0.1:8088 or [::1]:8088\n";
    return 1;
  }
  if (!IsLoopback(address->host) && options.token.empty()) {
    std::cerr << "newsmon board: --listen " << options.listen
              << " is not a loopback address: give --token (or NEWSMON_BOARD_TOKEN) so that "
                 "only those who hold it see the board\n";
    return 1;
  }
  if (!TokenCharactersFit(options.token)) {
    std::cerr << "newsmon board: --token may hold only letters, digits and - . _ ~ + / = (it "
                 "goes into a cookie)\n";
    return 1;
  }
  auto keys = LoadKeys(options);
  if (!keys.ok()) {
    std::cerr << "newsmon board: " << keys.status().message() << "\n";
    return 1;
  }

  HeldAlerts held(options.capacity);
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  const std::string token = options.token;
  auto streams = std::make_shared<std::atomic<int>>(0);
  server.set_pre_routing_handler(
      [token](const httplib::Request& request, httplib::Response& response) {
        Harden(response);
        if (token.empty() && !NamedAsLoopback(request)) {
          response.status = 421;
          response.set_content(
              "newsmon board: a board without a token answers only to loopback names "
              "(localhost, 127.0.0.1, [::1]), not to '" +
                  request.get_header_value("Host") + "'\n",
              "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        if (Authorized(request, token)) return httplib::Server::HandlerResponse::Unhandled;
        response.status = 401;
        response.set_header("WWW-Authenticate", "Bearer");
        response.set_content(
            "newsmon board: this board needs its token: open /?token=TOKEN once, or send "
            "Authorization: Bearer TOKEN\n",
            "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      });
  server.Get("/", [token](const httplib::Request& request, httplib::Response& response) {
    if (!token.empty() && request.has_param("token")) {
      // The page's own requests (EventSource cannot send headers) then carry the cookie,
      // and the token leaves the address bar and the browser's history.
      response.set_header(
          "Set-Cookie", std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
      response.set_redirect("/", 303);
      return;
    }
    response.set_header("Content-Security-Policy",
                        "default-src 'none'; script-src 'unsafe-inline'; style-src "
                        "'unsafe-inline'; connect-src 'self'; img-src 'self'; "
                        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    response.set_content(kBoardPage, "text/html; charset=utf-8");
  });
  server.Get("/alerts", [&held](const httplib::Request&, httplib::Response& response) {
    response.set_content(held.Snapshot(), "application/json");
  });
  server.Get("/events",
             [&held, streams](const httplib::Request& request, httplib::Response& response) {
               ServeEvents(held, streams, request, response);
             });

  // Like the metrics listener: no SO_REUSEPORT, so a second board cannot share the port.
  server.set_socket_options([](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const int port = address->port == 0
                       ? server.bind_to_any_port(address->host)
                       : (server.bind_to_port(address->host, address->port) ? address->port : -1);
  const std::string host =
      address->host.find(':') != std::string::npos ? "[" + address->host + "]" : address->host;
  if (port < 0) {
    std::cerr << "newsmon board: cannot listen on " << options.listen << "\n";
    return 1;
  }

  struct sigaction action {};
  action.sa_handler = OnStopSignal;  // no SA_RESTART: the bus poll returns at once
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::thread http([&server] { server.listen_after_bind(); });
  std::cout << "newsmon board: listening on http://" << host << ":" << port << "/" << std::endl;
  int status = 0;
  try {
    BusFollower(options, std::move(keys).value(), held).Run();
  } catch (const zmq::error_t& error) {
    std::cerr << "newsmon board: bus: " << error.what() << "\n";
    status = 1;
  }
  held.Stop();
  // httplib 0.11's stop() does nothing until its loop has marked itself running.
  for (int i = 0; i < 400 && !server.is_running(); ++i) std::this_thread::sleep_for(5ms);
  server.stop();
  http.join();
  return status;
}

}  // namespace newsmon
