#include "publishers/http_listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "core/ascii.h"
#include "core/unique_fd.h"

namespace newsmon {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kBacklog = 64;
// Smaller answers (a /healthz line) go as they are: gzip's header would outweigh the saving.
constexpr std::size_t kGzipFrom = 256;
// After accept fails for want of descriptors, it is tried again this much later instead of
// at once: the waiting connection keeps the listening socket readable, and poll would spin.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// How long a connection whose answer is sent waits for the client to close first, reading
// and dropping anything more it sends, so that the answer is not cut off by a reset.
constexpr auto kLinger = std::chrono::seconds(1);

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

// One zlib stream making one gzip body; ended however Gzip returns.
class GzipStream {
 public:
  GzipStream() {
    ok_ = deflateInit2(&stream_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipStream() {
    if (ok_) deflateEnd(&stream_);
  }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  std::optional<std::string> Compress(std::string_view data) {
    if (!ok_ || data.size() > UINT_MAX) return std::nullopt;
    std::string out(deflateBound(&stream_, static_cast<uLong>(data.size())), '\0');
    if (out.size() > UINT_MAX) return std::nullopt;
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) return std::nullopt;
    out.resize(stream_.total_out);
    return out;
  }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

// The quality an Accept-Encoding value gives gzip (RFC 9110 12.5.3): its own q if it is
// named, else that of "*", else 0. Only whether it is 0 matters here.
bool AcceptsGzip(std::string_view value) {
  std::optional<bool> gzip;
  std::optional<bool> any;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string coding = AsciiLower(value.substr(0, comma));
    value = comma == std::string_view::npos ? "" : value.substr(comma + 1);
    std::erase_if(coding, [](char c) { return c == ' ' || c == '\t'; });
    const std::size_t semicolon = coding.find(';');
    const std::string name = coding.substr(0, semicolon);
    const std::string parameters = semicolon == std::string::npos ? "" : coding.substr(semicolon);
    const bool refused = parameters.starts_with(";q=0") &&
                         parameters.find_first_not_of("0.", 4) == std::string::npos;
    if (name == "gzip") gzip = !refused;
    if (name == "*") any = !refused;
  }
  return gzip.value_or(any.value_or(false));
}

// The request line and the one header this listener reads; nullopt for anything that is not
// HTTP/1.x.
std::optional<HttpRequestHead> ParseHead(std::string_view head) {
  auto next_line = [&head] {
    const std::size_t newline = head.find('\n');
    std::string_view line = head.substr(0, newline);
    head = newline == std::string_view::npos ? "" : head.substr(newline + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
  };
  std::string_view request_line = next_line();
  // RFC 9112 2.2: empty lines before the request line are to be ignored.
  while (request_line.empty() && !head.empty()) request_line = next_line();
  const std::size_t method_end = request_line.find(' ');
  if (method_end == 0 || method_end == std::string_view::npos) return std::nullopt;
  const std::size_t target_end = request_line.find(' ', method_end + 1);
  if (target_end == std::string_view::npos || target_end == method_end + 1) return std::nullopt;
  if (!request_line.substr(target_end + 1).starts_with("HTTP/1.")) return std::nullopt;
  HttpRequestHead parsed;
  parsed.method = std::string(request_line.substr(0, method_end));
  std::string_view target = request_line.substr(method_end + 1, target_end - method_end - 1);
  if (!target.starts_with('/')) {  // the absolute form, "http://host/metrics": drop the authority
    const std::size_t scheme = target.find("://");
    const std::size_t path =
        scheme == std::string_view::npos ? std::string_view::npos : target.find('/', scheme + 3);
    target = path == std::string_view::npos ? "/" : target.substr(path);
  }
  parsed.path = std::string(target.substr(0, target.find('?')));
  while (!head.empty()) {
    const std::string_view line = next_line();
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (AsciiLower(Trim(line.substr(0, colon))) == "accept-encoding" &&
        AcceptsGzip(line.substr(colon + 1))) {
      parsed.accepts_gzip = true;
    }
  }
  return parsed;
}

std::string Render(const HttpRequestHead& request, HttpAnswer answer) {
  bool gzipped = false;
  const bool compressible = answer.status == 200 && answer.body.size() >= kGzipFrom;
  if (request.accepts_gzip && compressible) {
    if (auto compressed = GzipStream().Compress(answer.body)) {
      answer.body = std::move(*compressed);
      gzipped = true;
    }
  }
  std::string out =
      "HTTP/1.1 " + std::to_string(answer.status) + " " + ReasonPhrase(answer.status) + "\r\n";
  if (!answer.content_type.empty()) out += "Content-Type: " + answer.content_type + "\r\n";
  if (gzipped) out += "Content-Encoding: gzip\r\n";
  if (compressible) out += "Vary: Accept-Encoding\r\n";  // caches must not mix the two
  if (answer.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (request.method != "HEAD") out += answer.body;
  return out;
}

HttpAnswer PlainAnswer(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

// A connection reads its request's head, then sends the answer, then waits for the client to
// close (or a short linger) before it is closed itself. Whatever the client sends after its
// head is read and dropped meanwhile: a close with unread bytes makes the kernel reset the
// connection and discard the part of the answer not yet delivered.
enum class Phase : std::uint8_t { kReading, kAnswering, kLingering };

struct Connection {
  UniqueFd fd;
  Clock::time_point accepted;
  Clock::time_point deadline;
  Phase phase = Phase::kReading;
  std::string received;
  std::size_t scanned = 0;  // bytes of `received` searched for the head's end
  std::string answer;       // the whole response, once the request's head is read
  std::size_t sent = 0;
  bool client_closed = false;  // its side: nothing more to read (poll would report it forever)
  bool done = false;
};

// Where the head ends (one past its empty line), searching only what arrived since the last
// call: a client sending a byte at a time makes as many calls, each short.
std::optional<std::size_t> HeadEnd(Connection& connection) {
  const std::string& received = connection.received;
  for (std::size_t i = connection.scanned >= 2 ? connection.scanned - 2 : 0; i < received.size();
       ++i) {
    if (received[i] != '\n') continue;
    if (i + 1 < received.size() && received[i + 1] == '\n') return i + 2;
    if (i + 2 < received.size() && received[i + 1] == '\r' && received[i + 2] == '\n') {
      return i + 3;
    }
  }
  connection.scanned = received.size();
  return std::nullopt;
}

enum class Drained : std::uint8_t { kOpen, kClosed, kFailed };

// Reads what is waiting without keeping it: whether the client is still sending (kOpen), has
// closed its side (kClosed: it may still read), or the connection failed.
Drained Discard(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got > 0) continue;
    if (got == 0) return Drained::kClosed;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Drained::kOpen : Drained::kFailed;
  }
}

// accept(2) on Linux: errors of the network that concern the connection being accepted, to
// be treated like EAGAIN (try the next one), not as the listener's.
bool ConnectionError(int error) {
  switch (error) {
    case ECONNABORTED:
    case ENETDOWN:
    case EPROTO:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

class PollingHttpListener final : public HttpListener {
 public:
  PollingHttpListener(UniqueFd listening, UniqueFd wake, int port, HttpHandler handler,
                      HttpListenerLimits limits)
      : listening_(std::move(listening)),
        wake_(std::move(wake)),
        port_(port),
        handler_(std::move(handler)),
        limits_(limits) {
    limits_.max_connections = std::max<std::size_t>(1, limits_.max_connections);
  }

  ~PollingHttpListener() override {
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    while (::write(wake_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
    thread_.join();
  }

  void Run() {
    thread_ = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "http-listener");
      Serve();
    });
  }

  int port() const override { return port_; }

 private:
  void Serve() {
    std::vector<pollfd> polled;
    for (;;) {
      const bool accepting = Clock::now() >= accept_paused_until_;
      polled.clear();
      polled.push_back({wake_.get(), POLLIN, 0});
      polled.push_back({listening_.get(), static_cast<short>(accepting ? POLLIN : 0), 0});
      for (const Connection& connection : connections_) {
        short events = connection.client_closed ? 0 : POLLIN;
        if (connection.phase == Phase::kAnswering) events |= POLLOUT;
        polled.push_back({connection.fd.get(), events, 0});
      }
      if (::poll(polled.data(), polled.size(), PollTimeout()) < 0) {
        // EINTR; anything else (out of memory) waits a little rather than spinning.
        if (errno != EINTR) ::poll(polled.data(), 1, 100);
        continue;
      }
      if (polled[0].revents != 0) return;
      for (std::size_t i = 0; i < connections_.size(); ++i) {
        if (polled[i + 2].revents != 0) Service(connections_[i]);
      }
      // Deadlines after the work, so that a request already waiting when the thread was late
      // is still read and answered.
      const Clock::time_point now = Clock::now();
      std::erase_if(connections_, [now](const Connection& connection) {
        return connection.done || now >= connection.deadline;
      });
      if ((polled[1].revents & POLLIN) != 0) AcceptWaiting();
    }
  }

  void Service(Connection& connection) {
    try {
      if (connection.phase == Phase::kReading) Read(connection);
      if (connection.phase == Phase::kAnswering) Send(connection);
      if (connection.phase == Phase::kLingering &&
          (connection.client_closed || Discard(connection.fd.get()) != Drained::kOpen)) {
        connection.done = true;  // the client has the answer and closed
      }
    } catch (const std::exception&) {
      connection.done = true;  // out of memory for this one's answer: the others go on
    }
  }

  // Until the nearest deadline (or accepting again); forever when nothing is open.
  int PollTimeout() const {
    const Clock::time_point now = Clock::now();
    std::optional<Clock::time_point> wake_at;
    for (const Connection& connection : connections_) {
      if (!wake_at || connection.deadline < *wake_at) wake_at = connection.deadline;
    }
    if (now < accept_paused_until_ && (!wake_at || accept_paused_until_ < *wake_at)) {
      wake_at = accept_paused_until_;
    }
    if (!wake_at) return -1;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*wake_at - now).count();
    return static_cast<int>(std::clamp<std::int64_t>(wait, 0, INT_MAX));
  }

  // Takes the connections waiting, at most a full set per turn. When all places are taken the
  // oldest connection gives way: a client that answers promptly is done within milliseconds,
  // so the oldest is the one dawdling, and a newcomer is never kept waiting behind it.
  void AcceptWaiting() {
    for (std::size_t taken = 0; taken < limits_.max_connections; ++taken) {
      const int fd = ::accept4(listening_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || ConnectionError(errno)) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          accept_paused_until_ = Clock::now() + kAcceptRetry;  // out of descriptors or memory
        }
        return;
      }
      UniqueFd accepted(fd);
      if (connections_.size() >= limits_.max_connections) {
        connections_.erase(std::min_element(
            connections_.begin(), connections_.end(),
            [](const Connection& a, const Connection& b) { return a.accepted < b.accepted; }));
      }
      Connection& connection = connections_.emplace_back();
      connection.fd = std::move(accepted);
      connection.accepted = Clock::now();
      connection.deadline = connection.accepted + limits_.request_deadline;
    }
  }

  void Read(Connection& connection) {
    char buffer[4096];
    bool closed = false;
    // At most one byte past the limit is kept: enough to know the head is too long.
    while (connection.received.size() <= limits_.max_request_bytes) {
      const std::size_t room = limits_.max_request_bytes + 1 - connection.received.size();
      const ssize_t got = ::recv(connection.fd.get(), buffer, std::min(sizeof buffer, room), 0);
      if (got > 0) {
        connection.received.append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      connection.client_closed = closed;
      break;
    }
    const std::optional<std::size_t> end = HeadEnd(connection);
    if (end && *end <= limits_.max_request_bytes) {
      Answer(connection, ParseHead(std::string_view(connection.received).substr(0, *end)));
    } else if (connection.received.size() > limits_.max_request_bytes) {
      Respond(connection, HttpRequestHead{}, PlainAnswer(431, "request head too large\n"));
    } else if (closed) {
      connection.done = true;  // gone before its request ended
    }
  }

  void Answer(Connection& connection, const std::optional<HttpRequestHead>& head) {
    if (!head) {
      Respond(connection, HttpRequestHead{}, PlainAnswer(400, "bad request\n"));
    } else if (head->method != "GET" && head->method != "HEAD") {
      Respond(connection, *head, PlainAnswer(405, "method not allowed\n"));
    } else {
      HttpAnswer answer;
      try {
        answer = handler_(*head);
      } catch (...) {
        answer = PlainAnswer(500, "internal error\n");
      }
      Respond(connection, *head, std::move(answer));
    }
  }

  void Respond(Connection& connection, const HttpRequestHead& head, HttpAnswer answer) {
    connection.answer = Render(head, std::move(answer));
    connection.phase = Phase::kAnswering;
    connection.deadline = Clock::now() + limits_.answer_deadline;
    connection.received.clear();
    connection.received.shrink_to_fit();
  }

  void Send(Connection& connection) {
    if (!connection.client_closed) {  // what follows the head, if anything
      const Drained drained = Discard(connection.fd.get());
      if (drained == Drained::kFailed) {
        connection.done = true;
        return;
      }
      connection.client_closed = drained == Drained::kClosed;
    }
    const std::string& answer = connection.answer;
    while (connection.sent < answer.size()) {
      const ssize_t sent = ::send(connection.fd.get(), answer.data() + connection.sent,
                                  answer.size() - connection.sent, MSG_NOSIGNAL);
      if (sent > 0) {
        connection.sent += static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      connection.done = true;  // the client went away
      return;
    }
    ::shutdown(connection.fd.get(), SHUT_WR);
    connection.answer.clear();
    connection.answer.shrink_to_fit();
    connection.phase = Phase::kLingering;
    connection.deadline = std::min(connection.deadline, Clock::now() + kLinger);
  }

  UniqueFd listening_;
  UniqueFd wake_;  // an eventfd: written once by the destructor to end Serve
  int port_;
  HttpHandler handler_;
  HttpListenerLimits limits_;
  std::vector<Connection> connections_;  // only Serve's thread touches these two
  Clock::time_point accept_paused_until_{};
  std::thread thread_;
};

int BoundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return -1;
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

// A socket bound to one of host's addresses and listening, or the reason none could be.
Result<UniqueFd> Listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Status::Error(rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  int error = EADDRNOTAVAIL;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    UniqueFd sock(::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           address->ai_protocol));
    if (!sock.valid()) {
      error = errno;
      continue;
    }
    // SO_REUSEADDR allows a quick restart (sockets in TIME_WAIT) but, unlike SO_REUSEPORT, not
    // a second daemon on the same port silently sharing its scrapes. Should setting it fail,
    // a restart's bind reports the port in use, which is the message that fits.
    const int yes = 1;
    ::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(sock.get(), address->ai_addr, address->ai_addrlen) != 0 ||
        ::listen(sock.get(), kBacklog) != 0) {
      error = errno;
      continue;
    }
    return sock;
  }
  return Status::Error(std::strerror(error));
}

}  // namespace

Result<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& host, int port,
                                                          HttpHandler handler,
                                                          HttpListenerLimits limits) {
  const std::string display =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  auto fail = [&display](const std::string& reason) {
    return Status::Error("cannot listen on " + display + ": " + reason);
  };
  auto listening = Listen(host, port);
  if (!listening.ok()) return fail(listening.status().message());
  const int bound_port = BoundPort(listening->get());
  if (bound_port < 0) return fail(std::strerror(errno));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return fail(std::strerror(errno));
  auto listener = std::make_unique<PollingHttpListener>(
      std::move(listening).value(), std::move(wake), bound_port, std::move(handler), limits);
  try {
    listener->Run();
  } catch (const std::system_error& error) {
    return fail(std::string("cannot start its thread: ") + error.what());
  }
  return std::unique_ptr<HttpListener>(std::move(listener));
}

}  // namespace newsmon
