#include "tests/support/fake_resolver.h"

#include <dlfcn.h>
#include <netdb.h>

#include <map>
#include <mutex>
#include <stdexcept>

namespace newsmon::testing {
namespace {

struct Entry {
  std::string ipv4;
  std::size_t lookups = 0;
};

std::mutex& Mutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, Entry>& Entries() {
  static std::map<std::string, Entry> entries;
  return entries;
}

// The address a test gave host, counting the lookup; "" when it gave none.
std::string Answer(const char* host) {
  if (host == nullptr) return "";
  std::lock_guard lock(Mutex());
  auto found = Entries().find(host);
  if (found == Entries().end()) return "";
  ++found->second.lookups;
  return found->second.ipv4;
}

using GetAddrInfo = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

GetAddrInfo Next() {
  // The definition after this executable's: the C library's, or a sanitizer's interceptor.
  static const auto next = reinterpret_cast<GetAddrInfo>(dlsym(RTLD_NEXT, "getaddrinfo"));
  return next;
}

}  // namespace

ScopedHostAddress::ScopedHostAddress(std::string host, const std::string& ipv4)
    : host_(std::move(host)) {
  if (Next() == nullptr) throw std::runtime_error("no getaddrinfo after the test's own");
  std::lock_guard lock(Mutex());
  Entries()[host_] = Entry{ipv4};
}

ScopedHostAddress::~ScopedHostAddress() {
  std::lock_guard lock(Mutex());
  Entries().erase(host_);
}

void ScopedHostAddress::MoveTo(const std::string& ipv4) {
  std::lock_guard lock(Mutex());
  Entries()[host_].ipv4 = ipv4;
}

std::size_t ScopedHostAddress::lookups() const {
  std::lock_guard lock(Mutex());
  return Entries()[host_].lookups;
}

}  // namespace newsmon::testing

// Interposes on the C library's getaddrinfo for the whole test executable (see the header).
extern "C" int getaddrinfo(const char* __restrict node, const char* __restrict service,
                           const addrinfo* __restrict hints,
                           addrinfo** __restrict result) noexcept {
  const std::string address = newsmon::testing::Answer(node);
  if (address.empty()) return newsmon::testing::Next()(node, service, hints, result);
  addrinfo numeric = hints ? *hints : addrinfo{};
  numeric.ai_flags |= AI_NUMERICHOST;
  return newsmon::testing::Next()(address.c_str(), service, &numeric, result);
}
