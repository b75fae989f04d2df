#include "bench/bench_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/unique_fd.h"

namespace newsmon::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Forks and execs; the child's output goes to `log`. Returns the pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::vector<std::string>& env) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(Errno("fork"));
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || null < 0) _exit(126);
    dup2(null, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const std::string& entry : env) putenv(const_cast<char*>(entry.c_str()));
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

in_addr HostIp(int host) {
  const std::uint32_t ip = (127u << 24) | (3u << 16) |
                           (static_cast<std::uint32_t>(host / 250 % 250) << 8) |
                           static_cast<std::uint32_t>(host % 250 + 1);
  return in_addr{htonl(ip)};
}

// A port the kernel says is free on the first host; nginx binds it on the others too, and a
// start that finds it taken there is retried with another.
int FreePort() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr = HostIp(0);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error(Errno("bind 127.3.0.1:0"));
  }
  socklen_t length = sizeof address;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

bool Accepts(int host, int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr = HostIp(host);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

// As root, nginx's workers would switch to "nobody", who cannot read a 0700 temp dir; as
// anyone else the directive is ignored with a warning, so it is left out.
std::string UserDirective() {
  if (geteuid() != 0) return "";
  const passwd* user = getpwuid(geteuid());
  const group* grp = getgrgid(getegid());
  if (user == nullptr || grp == nullptr) return "";
  return std::string("user ") + user->pw_name + " " + grp->gr_name + ";\n";
}

std::string NginxConf(const std::string& prefix, const std::string& root, int hosts, int port) {
  std::ostringstream conf;
  // One worker: the machine has two cores and the client under test needs one.
  conf << "daemon off;\nworker_processes 1;\n"
       << UserDirective() << "pid " << prefix << "/nginx.pid;\nlock_file " << prefix
       << "/nginx.lock;\nerror_log " << prefix << "/error.log warn;\n"
       << "events { worker_connections 16384; }\n"
       << "http {\n"
       << "  access_log off;\n"
       << "  client_body_temp_path " << prefix << "/body;\n"
       << "  proxy_temp_path " << prefix << "/proxy;\n"
       << "  fastcgi_temp_path " << prefix << "/fastcgi;\n"
       << "  uwsgi_temp_path " << prefix << "/uwsgi;\n"
       << "  scgi_temp_path " << prefix << "/scgi;\n"
       << "  types { application/rss+xml xml; application/atom+xml atom; }\n"
       << "  default_type application/octet-stream;\n"
       << "  sendfile on;\n  keepalive_requests 100000;\n"
       // gzip_static serves the generator's .gz twins: what a CDN's cache does, and what
       // keeps nginx's compressor off the core the client is measured on.
       << "  gzip on;\n  gzip_static on;\n  gzip_vary on;\n"
       << "  gzip_types application/rss+xml application/atom+xml;\n"
       << "  etag on;\n"
       << "  server {\n";
  for (int host = 0; host < hosts; ++host) {
    conf << "    listen " << HostAddress(host) << ":" << port << " backlog=4096;\n";
  }
  conf << "    root " << root << ";\n  }\n}\n";
  return conf.str();
}

}  // namespace

std::string HostAddress(int host) {
  const in_addr address = HostIp(host);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

Measurement RunMeasured(const std::vector<std::string>& argv, const std::string& log,
                        const std::vector<std::string>& env) {
  const auto start = Clock::now();
  const pid_t pid = Spawn(argv, log, env);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error(Errno("wait4"));
  }
  Measurement m;
  m.wall = std::chrono::duration<double>(Clock::now() - start).count();
  m.cpu = Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
  m.rss_kib = usage.ru_maxrss;
  m.status = ExitCode(status);
  return m;
}

pid_t SpawnLogged(const std::vector<std::string>& argv, const std::string& log,
                  const std::vector<std::string>& env) {
  return Spawn(argv, log, env);
}

std::optional<std::string> FindProgram(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  path += ":/usr/sbin:/sbin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

NginxServer::NginxServer(const std::string& nginx, const std::string& prefix,
                         const std::string& root, int hosts)
    : prefix_(prefix) {
  fs::create_directories(prefix_);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (TryStart(nginx, root, hosts)) return;
  }
  throw std::runtime_error("nginx did not start; its log:\n" + ErrorLog());
}

NginxServer::~NginxServer() { Stop(); }

bool NginxServer::TryStart(const std::string& nginx, const std::string& root, int hosts) {
  port_ = FreePort();
  const std::string conf = prefix_ + "/nginx.conf";
  std::ofstream(conf) << NginxConf(prefix_, root, hosts, port_);
  pid_ = Spawn({nginx, "-p", prefix_ + "/", "-c", conf}, prefix_ + "/stderr.log", {});
  if (WaitUntilAccepting(hosts, std::chrono::seconds(15))) return true;
  Stop();
  return false;
}

// Ready when the first and the last host accept (nginx opens every listen socket before it
// starts its worker); gone when the child has exited (a port taken on some host).
bool NginxServer::WaitUntilAccepting(int hosts, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (Accepts(0, port_) && Accepts(hosts - 1, port_)) return true;
    // Polled, not slept on: each attempt is a connect() that fails at once while nginx is
    // still reading its configuration.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void NginxServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);  // fast shutdown: no client is left to wait for
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string NginxServer::Url(int host, const std::string& path) const {
  return "http://" + HostAddress(host) + ":" + std::to_string(port_) + path;
}

std::string NginxServer::ErrorLog() const {
  std::ifstream in(prefix_ + "/error.log");
  std::ostringstream text;
  text << in.rdbuf();
  std::ifstream err(prefix_ + "/stderr.log");
  text << err.rdbuf();
  return text.str();
}

}  // namespace newsmon::bench
