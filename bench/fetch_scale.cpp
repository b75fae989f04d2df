// fetch-scale: thousands of feeds in flight through one Fetcher (one curl multi handle).
//   fetch-scale [--quick] [--feeds N] [--per-host K] [--sample S] [--latency MIN-MAX]
//               [--body BYTES] [--min-speedup X] [--client-nofile LIMIT]
// Serves N feeds, K per host, from N/K distinct loopback addresses (127.1.0.1, 127.1.0.2, …:
// Linux routes all of 127/8 to lo), each answered after a server latency spread evenly over
// MIN-MAX ms. Then, through one Fetcher as the daemon uses it:
//   baseline  S feeds on hosts of their own, one at a time, extrapolated to N;
//   round 1   all N feeds at once, cold: wall time, speedup over the baseline, the most
//             requests the server was answering at once, client CPU and peak RSS growth;
//   round 2   all N again with the ETags of round 1 (a normal next poll): 304s, and how many
//             new TCP connections the server accepted for them (connection reuse).
// Exits 1 when a feed was not fetched in either round or the speedup is below X.
// --client-nofile shows what the fetcher does when it runs out of descriptors (the server
// keeps the raised limit).
//
// The server is a single-threaded epoll loop in a forked child process rather than
// cpp-httplib: httplib holds one pool thread per open connection for as long as it is kept
// alive (and closes it after 5 requests), so thousands of kept-alive connections need
// thousands of threads competing with the client for 2 cores, which would measure the
// server; in a child process its memory and CPU are also kept out of the client's figures.
//
// HTTP/2 is not measured here (these servers speak HTTP/1.1; tests/feeds_h2_test.cpp shows h2
// and its multiplexing against nghttpd). The Fetcher leaves the HTTP
// version at libcurl's default (7.88 with nghttp2: CURL_HTTP_VERSION_2TLS, h2 offered by ALPN
// on https, HTTP/1.1 on http) and multiplexing on (CURLMOPT_PIPELINING: CURLPIPE_MULTIPLEX),
// so an h2 server gets several feeds as streams of one connection once it is up. It does not
// set CURLOPT_PIPEWAIT: that holds a second feed of a host until the first connection shows
// whether it can multiplex (ALPN on https, the first response on http), which delays every
// HTTP/1.1 host to save one connection per burst on h2 hosts.
#include <curl/curl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "feeds/fetcher.h"

namespace newsmon {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  int feeds = 3000;
  // The daemon's default max_per_host: everything started at once here could also be in
  // flight at once in the daemon.
  int per_host = 2;
  int sample = 40;
  int latency_min_ms = 100;
  int latency_max_ms = 300;
  std::size_t body_bytes = 8192;
  double min_speedup = 10;
  long client_nofile = 0;  // >0: the client's descriptor limit, e.g. systemd's default 1024
  int hosts() const { return (feeds + per_host - 1) / per_host; }
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "fetch-scale: %s\n", message.c_str());
  std::exit(2);
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// 127.1.0.1 onwards, skipping .0 and .255 in the last byte.
in_addr HostAddress(int index) {
  const std::uint32_t ip = (127u << 24) | ((1u + index / 62500) << 16) |
                           (static_cast<std::uint32_t>(index / 250 % 250) << 8) |
                           static_cast<std::uint32_t>(index % 250 + 1);
  return in_addr{htonl(ip)};
}

std::string HostText(int index) {
  in_addr address = HostAddress(index);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

// Latencies spread evenly over [min, max], so that the sample and all feeds wait the same
// mean and the extrapolated baseline does not depend on which feeds were sampled.
int Latency(const Options& options, int index, int count) {
  if (count < 2) return (options.latency_min_ms + options.latency_max_ms) / 2;
  const int spread = options.latency_max_ms - options.latency_min_ms;
  return options.latency_min_ms + spread * index / (count - 1);
}

// ---------------------------------------------------------------------------------------
// The server, in a child process. It shares these counters with the bench.

struct ServerStats {
  std::atomic<long> connections{0};  // TCP connections accepted
  std::atomic<long> requests{0};
  std::atomic<long> not_modified{0};
  std::atomic<long> in_flight{0};  // requests received and not yet answered
  std::atomic<long> peak_in_flight{0};
};
static_assert(std::atomic<long>::is_always_lock_free, "counters shared across processes");

ServerStats* MapSharedStats() {
  void* memory =
      mmap(nullptr, sizeof(ServerStats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) Die(Errno("mmap"));
  return new (memory) ServerStats;
}

std::string FeedBody(std::size_t bytes) {
  std::string body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>";
  for (int item = 0; body.size() + 200 < bytes; ++item) {
    body += "<item><guid>urn:wire:" + std::to_string(item) +
            "</guid><title>Talks resume in Geneva</title><description>Delegations met for "
            "a third day; no statement was issued.</description></item>";
  }
  return body + "</channel></rss>";
}

class EpollServer {
 public:
  EpollServer(const std::vector<int>& listeners, int stop_fd, ServerStats* stats,
              std::size_t body_bytes)
      : epoll_(epoll_create1(EPOLL_CLOEXEC)), stats_(stats) {
    const std::string body = FeedBody(body_bytes);
    full_ =
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: \"v1\"\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    not_modified_ = "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n";
    for (int fd : listeners) Watch(fd, EPOLLIN, kListener | static_cast<std::uint64_t>(fd));
    Watch(stop_fd, EPOLLIN, kStop);
  }

  void Run() {
    std::vector<epoll_event> events(1024);
    for (;;) {
      const int ready = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                                   MillisecondsToNextAnswer());
      if (ready < 0 && errno != EINTR) Die(Errno("server epoll_wait"));
      for (int i = 0; i < ready; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == kStop) return;
        if (tag & kListener) {
          Accept(static_cast<int>(tag & 0xffffffff));
        } else {
          Serve(static_cast<int>(tag), events[i].events);
        }
      }
      AnswerDue();
    }
  }

 private:
  static constexpr std::uint64_t kListener = 1ull << 32;
  static constexpr std::uint64_t kStop = 1ull << 33;

  struct Connection {
    std::uint64_t id = 0;
    std::string in;
    std::string out;
    std::size_t sent = 0;
    bool answering = false;  // one request at a time, as HTTP/1.1 without pipelining
  };
  struct Answer {
    Clock::time_point due;
    int fd;
    std::uint64_t id;  // the fd may have been closed and reused by then
    bool not_modified;
    bool operator>(const Answer& other) const { return due > other.due; }
  };

  void Watch(int fd, std::uint32_t events, std::uint64_t tag) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) Die(Errno("server epoll_ctl"));
  }

  int MillisecondsToNextAnswer() const {
    if (answers_.empty()) return -1;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(answers_.top().due - Clock::now());
    return static_cast<int>(std::max<long>(0, wait.count()));
  }

  void Accept(int listener) {
    for (;;) {
      const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: all taken; EMFILE shows up as fetch failures
      ++stats_->connections;
      connections_[fd].id = ++next_id_;
      // Edge-triggered: each event is drained until EAGAIN, so no re-arming is needed.
      Watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, static_cast<std::uint64_t>(fd));
    }
  }

  void Serve(int fd, std::uint32_t events) {
    auto found = connections_.find(fd);
    if (found == connections_.end()) return;
    Connection& connection = found->second;
    if ((events & EPOLLOUT) && !Flush(fd, connection)) return;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !Read(fd, connection)) {
      Close(fd);
      return;
    }
    TakeRequest(fd, connection);
  }

  bool Read(int fd, Connection& connection) {
    char buffer[16384];
    for (;;) {
      const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
      if (got > 0) {
        connection.in.append(buffer, static_cast<std::size_t>(got));
      } else {
        return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      }
    }
  }

  // Schedules the answer to a complete request after the latency its path names
  // ("/LATENCY_MS/feed-I.xml").
  void TakeRequest(int fd, Connection& connection) {
    if (connection.answering) return;
    const std::size_t end = connection.in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    const std::string head = connection.in.substr(0, end + 4);
    connection.in.erase(0, end + 4);
    const std::size_t path = head.find(' ') + 1;
    const long latency_ms = std::strtol(head.c_str() + path + 1, nullptr, 10);
    const bool not_modified = head.find("\r\nIf-None-Match: \"v1\"\r\n") != std::string::npos;
    connection.answering = true;
    ++stats_->requests;
    const long now_answering = ++stats_->in_flight;
    long peak = stats_->peak_in_flight.load();
    while (now_answering > peak &&
           !stats_->peak_in_flight.compare_exchange_weak(peak, now_answering)) {
    }
    answers_.push(
        {Clock::now() + std::chrono::milliseconds(latency_ms), fd, connection.id, not_modified});
  }

  void AnswerDue() {
    const Clock::time_point now = Clock::now();
    while (!answers_.empty() && answers_.top().due <= now) {
      const Answer answer = answers_.top();
      answers_.pop();
      auto found = connections_.find(answer.fd);
      if (found == connections_.end() || found->second.id != answer.id) continue;
      Connection& connection = found->second;
      connection.answering = false;
      --stats_->in_flight;
      if (answer.not_modified) ++stats_->not_modified;
      connection.out += answer.not_modified ? not_modified_ : full_;
      if (!Flush(answer.fd, connection)) continue;
      TakeRequest(answer.fd, connection);
    }
  }

  bool Flush(int fd, Connection& connection) {
    while (connection.sent < connection.out.size()) {
      const ssize_t wrote = send(fd, connection.out.data() + connection.sent,
                                 connection.out.size() - connection.sent, MSG_NOSIGNAL);
      if (wrote < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // EPOLLOUT resumes it
        Close(fd);
        return false;
      }
      connection.sent += static_cast<std::size_t>(wrote);
    }
    connection.out.clear();
    connection.sent = 0;
    return true;
  }

  void Close(int fd) {
    auto found = connections_.find(fd);
    if (found == connections_.end()) return;
    if (found->second.answering) --stats_->in_flight;
    connections_.erase(found);
    close(fd);
  }

  int epoll_;
  ServerStats* stats_;
  std::string full_;
  std::string not_modified_;
  std::unordered_map<int, Connection> connections_;
  std::priority_queue<Answer, std::vector<Answer>, std::greater<>> answers_;
  std::uint64_t next_id_ = 0;
};

// One listening socket per host address, all on one port: the server listens on exactly
// the addresses it serves rather than on every interface.
std::vector<int> Listen(int hosts, int& port) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::vector<int> listeners;
    port = 0;
    for (int host = 0; host < hosts; ++host) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) Die(Errno("socket"));
      listeners.push_back(fd);
      const int on = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr = HostAddress(host);
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) break;
      if (listen(fd, 4096) != 0) Die(Errno("listen"));
      if (port == 0) {
        socklen_t length = sizeof address;
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
      }
    }
    if (static_cast<int>(listeners.size()) == hosts && port != 0) return listeners;
    for (int fd : listeners) close(fd);  // the port was taken on one address: try another
  }
  Die("cannot find a port free on all " + std::to_string(hosts) + " loopback addresses");
}

// The server child; stopping it (closing the pipe it watches) returns its CPU time.
class ServerProcess {
 public:
  ServerProcess(int hosts, std::size_t body_bytes) : stats_(MapSharedStats()) {
    std::vector<int> listeners = Listen(hosts, port_);
    int stop[2];
    if (pipe2(stop, O_CLOEXEC) != 0) Die(Errno("pipe"));
    pid_ = fork();
    if (pid_ < 0) Die(Errno("fork"));
    if (pid_ == 0) {
      close(stop[1]);
      EpollServer(listeners, stop[0], stats_, body_bytes).Run();
      _exit(0);
    }
    close(stop[0]);
    stop_ = stop[1];
    for (int fd : listeners) close(fd);
  }
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  ServerStats& stats() { return *stats_; }

  double Stop() {
    if (pid_ <= 0) return 0;
    close(stop_);
    rusage usage{};
    int status = 0;
    wait4(pid_, &status, 0, &usage);
    pid_ = 0;
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }

 private:
  ServerStats* stats_;
  int port_ = 0;
  pid_t pid_ = 0;
  int stop_ = -1;
};

// ---------------------------------------------------------------------------------------
// The client side: the real Fetcher.

long StatusKb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
    }
  }
  return 0;
}

// Makes VmHWM start again from the current RSS, so each round's peak is its own.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Round {
  double seconds = 0;
  double cpu_seconds = 0;
  long peak_rss_growth_kb = 0;
  int ok = 0;
  int not_modified = 0;
  std::map<std::string, int> errors;
  std::vector<std::string> etags;  // by feed index
  long connections = 0;            // accepted by the server during the round
  long requests = 0;
  long peak_in_flight = 0;
};

// Starts every request, then waits as the daemon's loop does until all have finished.
void FetchAll(Fetcher& fetcher, const std::vector<FetchRequest>& requests, Round& round) {
  for (const FetchRequest& request : requests) fetcher.Start(request);
  std::vector<WaitFd> none;
  const Clock::time_point deadline = Clock::now() + 180s;
  while (fetcher.in_flight() > 0 && Clock::now() < deadline) {
    if (Status waited = fetcher.Wait(none, 100ms); !waited.ok()) Die(waited.message());
    for (const FetchResponse& response : fetcher.Collect()) {
      if (!response.status.ok()) {
        ++round.errors[response.status.message()];
        continue;
      }
      ++round.ok;
      round.not_modified += response.not_modified;
      const auto index = static_cast<std::size_t>(std::stol(response.feed));
      if (index < round.etags.size()) round.etags[index] = response.etag;
    }
  }
  if (fetcher.in_flight() > 0) {
    round.errors["still in flight after 180 s"] += static_cast<int>(fetcher.in_flight());
  }
}

template <typename Work>
Round Measure(ServerProcess& server, std::size_t feeds, Work work) {
  ServerStats& stats = server.stats();
  Round round;
  round.etags.resize(feeds);
  const long connections = stats.connections, requests = stats.requests;
  stats.peak_in_flight = stats.in_flight.load();
  const long rss_kb = StatusKb("VmRSS:");
  ResetPeakRss();
  const double cpu = CpuSeconds();
  const Clock::time_point start = Clock::now();
  work(round);
  round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  round.cpu_seconds = CpuSeconds() - cpu;
  round.peak_rss_growth_kb = StatusKb("VmHWM:") - rss_kb;
  round.connections = stats.connections - connections;
  round.requests = stats.requests - requests;
  round.peak_in_flight = stats.peak_in_flight;
  return round;
}

std::vector<FetchRequest> Requests(const Options& options, int port, int first_host, int count,
                                   int per_host) {
  std::vector<FetchRequest> requests;
  for (int i = 0; i < count; ++i) {
    const std::string host = HostText(first_host + i / per_host);
    requests.push_back({std::to_string(i),
                        "http://" + host + ":" + std::to_string(port) + "/" +
                            std::to_string(Latency(options, i, count)) + "/feed-" +
                            std::to_string(i) + ".xml",
                        "", ""});
  }
  return requests;
}

// Each transfer holds a socket here and one in the server; curl_multi_poll uses poll(), so
// descriptors above 1024 are fine once the limit allows them.
void RaiseFileLimit(const Options& options) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t needed = static_cast<rlim_t>(options.feeds + options.hosts() + options.sample) + 64;
  if (limit.rlim_cur < needed) {
    Die("needs " + std::to_string(needed) + " file descriptors, the hard limit is " +
        std::to_string(limit.rlim_cur) + " (fewer --feeds, or raise ulimit -Hn)");
  }
}

void LimitClientFiles(long soft) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = static_cast<rlim_t>(soft);
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) Die(Errno("setrlimit"));
  std::printf("client descriptor limit: %ld\n", soft);
}

// A few messages are enough to see why; they name a host each, so there can be thousands.
void PrintErrors(const Round& round) {
  int shown = 0, rest = 0, rest_kinds = 0;
  for (const auto& [message, count] : round.errors) {
    if (shown++ < 3) {
      std::printf("    %d failed: %s\n", count, message.c_str());
    } else {
      rest += count;
      ++rest_kinds;
    }
  }
  if (rest > 0) std::printf("    %d more failed with %d other messages\n", rest, rest_kinds);
}

void PrintCurl() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  const bool http2 = (curl->features & CURL_VERSION_HTTP2) != 0;
  std::printf("libcurl %s, %s\n", curl->version,
              http2 ? (std::string("nghttp2 ") + curl->nghttp2_version +
                       ": https feeds offer h2 by ALPN and multiplex on the multi handle "
                       "(libcurl defaults); these plain-http feeds use HTTP/1.1")
                          .c_str()
                    : "no HTTP/2 support: every feed uses HTTP/1.1");
}

Options Parse(int argc, char** argv) {
  Options options;
  auto usage = [&](int status) {
    std::fprintf(status ? stderr : stdout,
                 "usage: %s [--quick] [--feeds N] [--per-host K] [--sample S] "
                 "[--latency MIN-MAX] [--body BYTES] [--min-speedup X] "
                 "[--client-nofile LIMIT]\n",
                 argv[0]);
    std::exit(status);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      options.feeds = 300;
      options.sample = 10;
    } else if (arg == "--feeds" && has_value) {
      options.feeds = std::atoi(argv[++i]);
    } else if (arg == "--per-host" && has_value) {
      options.per_host = std::atoi(argv[++i]);
    } else if (arg == "--sample" && has_value) {
      options.sample = std::atoi(argv[++i]);
    } else if (arg == "--latency" && has_value) {
      const char* range = argv[++i];
      options.latency_min_ms = std::atoi(range);
      const char* dash = std::strchr(range, '-');
      options.latency_max_ms = dash ? std::atoi(dash + 1) : options.latency_min_ms;
    } else if (arg == "--body" && has_value) {
      options.body_bytes = static_cast<std::size_t>(std::atol(argv[++i]));
    } else if (arg == "--client-nofile" && has_value) {
      options.client_nofile = std::atol(argv[++i]);
    } else if (arg == "--min-speedup" && has_value) {
      options.min_speedup = std::atof(argv[++i]);
    } else {
      usage(arg == "--help" || arg == "-h" ? 0 : 2);
    }
  }
  if (options.feeds < 1 || options.per_host < 1 || options.sample < 1 ||
      options.latency_min_ms < 0 || options.latency_max_ms < options.latency_min_ms) {
    usage(2);
  }
  return options;
}

int Run(const Options& options) {
  RaiseFileLimit(options);
  // Forked before the Fetcher exists, so the child starts with one thread and no curl state.
  ServerProcess server(options.hosts() + options.sample, options.body_bytes);
  std::printf(
      "%d feeds on %d loopback hosts (%d per host), server latency %d-%d ms, "
      "%zu-byte feeds; server: one epoll thread in a child process\n",
      options.feeds, options.hosts(), options.per_host, options.latency_min_ms,
      options.latency_max_ms, options.body_bytes);
  PrintCurl();
  if (options.client_nofile > 0) LimitClientFiles(options.client_nofile);

  FetchOptions fetch_options;
  fetch_options.allow_private_addresses = true;  // every host here is on loopback
  auto created = Fetcher::Create(fetch_options);
  if (!created.ok()) Die(created.status().message());
  std::unique_ptr<Fetcher> fetcher = std::move(created).value();
  Fetcher& one = *fetcher;

  // Hosts of their own, so round 1 starts with no connection the baseline opened.
  const auto sample = Requests(options, server.port(), options.hosts(), options.sample, 1);
  Round baseline = Measure(server, sample.size(), [&](Round& round) {
    for (const FetchRequest& request : sample) FetchAll(one, {request}, round);
  });
  const double per_feed = baseline.seconds / options.sample;
  const double sequential = per_feed * options.feeds;
  std::printf(
      "baseline   %d feeds one at a time: %.2f s, %.0f ms per feed -> %d feeds "
      "would take %.1f s\n",
      options.sample, baseline.seconds, per_feed * 1000, options.feeds, sequential);
  PrintErrors(baseline);

  auto requests = Requests(options, server.port(), 0, options.feeds, options.per_host);
  auto fetch_all = [&](Round& round) { FetchAll(one, requests, round); };
  Round cold = Measure(server, requests.size(), fetch_all);
  const double speedup = sequential / cold.seconds;
  std::printf(
      "round 1    %d/%d fetched in %.2f s: speedup %.0fx over one at a time "
      "(must be >= %.0fx)\n",
      cold.ok, options.feeds, cold.seconds, speedup, options.min_speedup);
  std::printf(
      "           server: %ld requests at once at the peak, %ld connections "
      "accepted for %ld requests\n",
      cold.peak_in_flight, cold.connections, cold.requests);
  std::printf(
      "           client: %.2f s CPU, peak RSS +%.1f MiB (%.1f KiB per feed in "
      "flight)\n",
      cold.cpu_seconds, cold.peak_rss_growth_kb / 1024.0,
      static_cast<double>(cold.peak_rss_growth_kb) / options.feeds);
  PrintErrors(cold);

  for (int i = 0; i < options.feeds; ++i) requests[i].etag = cold.etags[i];
  Round warm = Measure(server, requests.size(), fetch_all);
  std::printf("round 2    %d/%d fetched in %.2f s with their ETags, %d not modified\n", warm.ok,
              options.feeds, warm.seconds, warm.not_modified);
  std::printf(
      "           server: %ld new connections for %ld requests (%.0f%% on reused "
      "connections), %ld at once at the peak\n",
      warm.connections, warm.requests,
      warm.requests ? 100.0 * (warm.requests - warm.connections) / warm.requests : 0.0,
      warm.peak_in_flight);
  std::printf("           client: %.2f s CPU, peak RSS +%.1f MiB\n", warm.cpu_seconds,
              warm.peak_rss_growth_kb / 1024.0);
  PrintErrors(warm);

  fetcher.reset();  // closes the connections, so the server can stop
  const double server_cpu = server.Stop();
  std::printf("server CPU over all rounds: %.2f s\n", server_cpu);

  const bool all_fetched =
      cold.ok == options.feeds && warm.ok == options.feeds && baseline.ok == options.sample;
  if (!all_fetched) std::printf("FAIL: not every feed was fetched\n");
  if (speedup < options.min_speedup) {
    std::printf("FAIL: speedup below %.0fx\n", options.min_speedup);
  }
  return all_fetched && speedup >= options.min_speedup ? 0 : 1;
}

}  // namespace
}  // namespace newsmon

int main(int argc, char** argv) { return newsmon::Run(newsmon::Parse(argc, argv)); }
