// Child processes for bench/cycle-bench: a program timed as a user would run it (wall clock,
// and its own CPU and peak RSS from wait4), and nginx serving the generated feeds on loopback.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace newsmon::bench {

struct Measurement {
  double wall = 0;   // seconds
  double cpu = 0;    // user + sys seconds of the process (and children it waited for)
  long rss_kib = 0;  // ru_maxrss
  int status = -1;   // exit code, or 128 + signal
};

// Runs argv to completion with stdout and stderr appended to `log`. `env` entries
// ("NAME=value") are added to the child's environment.
Measurement RunMeasured(const std::vector<std::string>& argv, const std::string& log,
                        const std::vector<std::string>& env = {});

// Starts argv with stdout and stderr appended to `log` and returns its pid, for a child the
// caller stops and waits for itself.
pid_t SpawnLogged(const std::vector<std::string>& argv, const std::string& log,
                  const std::vector<std::string>& env = {});

// The first executable called `name` on PATH (or in /usr/sbin, where Debian puts nginx and
// where a non-root PATH does not look).
std::optional<std::string> FindProgram(const std::string& name);

// nginx from Debian run as the current user under its own prefix (pid, logs, temp paths):
// `nginx -p PREFIX -c CONF` with `daemon off`, so it is our child and dies with us.
// One `listen` per loopback host (127.3.0.1, 127.3.0.2, ...) on one port, because newsmon,
// like browsers, limits the requests in flight per host (max_per_host): a realistic set of
// outlets, not one host serialising a thousand feeds.
// Directives: https://nginx.org/en/docs/ngx_core_module.html,
// https://nginx.org/en/docs/http/ngx_http_gzip_static_module.html,
// https://nginx.org/en/docs/http/ngx_http_core_module.html#etag
class NginxServer {
 public:
  NginxServer(const std::string& nginx, const std::string& prefix, const std::string& root,
              int hosts);
  ~NginxServer();  // SIGTERM, then waits for it
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  int port() const { return port_; }
  std::string Url(int host, const std::string& path) const;
  // What nginx said: the reason it would not start.
  std::string ErrorLog() const;

 private:
  bool TryStart(const std::string& nginx, const std::string& root, int hosts);
  bool WaitUntilAccepting(int hosts, std::chrono::steady_clock::duration limit);
  void Stop();

  std::string prefix_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string HostAddress(int host);

}  // namespace newsmon::bench
