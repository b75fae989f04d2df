// With the default policy, a feed on a public host that redirects to loopback is refused
// before loopback is ever contacted. Every test server is on loopback, which the default
// policy refuses outright, so each test here runs in a network namespace of its own where
// lo also carries 198.51.100.7 (TEST-NET-2, RFC 5737: public to IsPrivateAddress, routed
// nowhere on the internet). Needs CAP_SYS_ADMIN (root in CI); skips with a warning without.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "core/unique_fd.h"
#include "feeds/fetcher.h"
#include "tests/support/feed_server.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPublicAddress = "198.51.100.7";
constexpr const char* kRefusal =
    "refused to connect to a private or loopback address (set allow_private_addresses = true "
    "to allow it)";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Brings lo up (which also gives it 127.0.0.1) and adds address/32 to it as the alias lo:1.
// ioctl rather than `ip addr add` so the test needs no iproute2.
std::string ConfigureLoopback(const char* address) {
  UniqueFd socket_fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (socket_fd.get() < 0) return Errno("socket");
  ifreq lo{};
  std::strncpy(lo.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(socket_fd.get(), SIOCGIFFLAGS, &lo) != 0) return Errno("get flags of lo");
  lo.ifr_flags = static_cast<short>(lo.ifr_flags | IFF_UP);
  if (ioctl(socket_fd.get(), SIOCSIFFLAGS, &lo) != 0) return Errno("bring lo up");
  ifreq alias{};
  std::strncpy(alias.ifr_name, "lo:1", IFNAMSIZ - 1);
  auto* ip = reinterpret_cast<sockaddr_in*>(&alias.ifr_addr);
  ip->sin_family = AF_INET;
  inet_pton(AF_INET, address, &ip->sin_addr);
  if (ioctl(socket_fd.get(), SIOCSIFADDR, &alias) != 0) return Errno("add address to lo");
  auto* mask = reinterpret_cast<sockaddr_in*>(&alias.ifr_netmask);
  mask->sin_family = AF_INET;
  mask->sin_addr.s_addr = INADDR_NONE;  // 255.255.255.255
  if (ioctl(socket_fd.get(), SIOCSIFNETMASK, &alias) != 0) return Errno("set netmask");
  return "";
}

// Moves the calling thread into a fresh network namespace for its lifetime; threads started
// meanwhile (the servers', curl's) inherit it, so they must end before this does. On
// destruction the thread returns to the namespace it came from, so the other tests of this
// executable run as usual.
class NetworkNamespace {
 public:
  static std::unique_ptr<NetworkNamespace> Enter(const char* address, std::string& why) {
    int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original < 0) {
      why = Errno("open /proc/thread-self/ns/net");
      return nullptr;
    }
    std::unique_ptr<NetworkNamespace> entered(new NetworkNamespace(original));
    if (unshare(CLONE_NEWNET) != 0) {
      why = Errno("unshare(CLONE_NEWNET)");
      return nullptr;
    }
    entered->inside_ = true;
    why = ConfigureLoopback(address);
    if (!why.empty()) return nullptr;
    return entered;
  }

  ~NetworkNamespace() {
    // Failing to go back would leave later tests in this process without a network; abort
    // loudly rather than let them fail for a reason they do not name.
    if (inside_ && setns(original_.get(), CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "%s\n", Errno("setns back to the original namespace").c_str());
      std::abort();
    }
  }

 private:
  explicit NetworkNamespace(int original) : original_(original) {}
  UniqueFd original_;
  bool inside_ = false;
};

// Catch2 v2 has no SKIP: warn and let the caller return.
std::unique_ptr<NetworkNamespace> EnterNamespaceOrWarn() {
  std::string why;
  auto entered = NetworkNamespace::Enter(kPublicAddress, why);
  if (!entered) {
    WARN("network namespace unavailable (" << why << "; needs root or CAP_SYS_ADMIN): skipping");
  }
  return entered;
}

FetchResponse FetchWithDefaultPolicy(const std::string& url) {
  auto fetcher = Fetcher::Create(FetchOptions{});
  REQUIRE(fetcher.ok());
  (*fetcher)->Start({"wire", url, "", ""});
  std::vector<FetchResponse> done;
  std::vector<WaitFd> none;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (done.empty() && std::chrono::steady_clock::now() < deadline) {
    REQUIRE((*fetcher)->Wait(none, 100ms).ok());
    done = (*fetcher)->Collect();
  }
  REQUIRE(done.size() == 1);
  return done[0];
}

Resource Redirect(int status, std::string location) {
  Resource resource;
  resource.status = status;
  resource.location = std::move(location);
  resource.body = "moved";
  resource.content_type = "text/plain";
  return resource;
}

Resource Document() {
  Resource resource;
  resource.body = "<rss version=\"2.0\"><channel><title>Wire</title></channel></rss>";
  return resource;
}

TEST_CASE("a feed on a public address is fetched with the default policy") {
  auto namespace_scope = EnterNamespaceOrWarn();
  if (!namespace_scope) return;
  FeedServer public_host(kPublicAddress);
  public_host.Serve("/feed.xml", Document());

  FetchResponse response = FetchWithDefaultPolicy(public_host.Url("/feed.xml"));
  INFO(response.status.message());
  REQUIRE(response.status.ok());
  CHECK(response.http_status == 200);
  CHECK(response.body == Document().body);
  CHECK(public_host.HitCount("/feed.xml") == 1);
}

TEST_CASE("a redirect from a public address to loopback is refused before loopback is contacted") {
  auto namespace_scope = EnterNamespaceOrWarn();
  if (!namespace_scope) return;
  FeedServer loopback;  // 127.0.0.1: what a malicious or compromised feed host points at
  loopback.Serve("/admin", Document());
  FeedServer public_host(kPublicAddress);
  const std::string target = loopback.Url("/admin");
  const std::string by_name = "http://localhost:" + target.substr(target.rfind(':') + 1);
  public_host.Serve("/moved.xml", Redirect(301, target));
  public_host.Serve("/found.xml", Redirect(302, target));
  public_host.Serve("/by-name.xml", Redirect(302, by_name));

  for (const char* path : {"/moved.xml", "/found.xml", "/by-name.xml"}) {
    INFO(path);
    FetchResponse response = FetchWithDefaultPolicy(public_host.Url(path));
    CHECK(response.status.message() == kRefusal);
    CHECK(response.body.empty());
    // The public host did answer: the refusal is about where the redirect leads.
    CHECK(public_host.HitCount(path) == 1);
  }
  CHECK(loopback.HitCount("/admin") == 0);
}

}  // namespace
}  // namespace newsmon::testing
