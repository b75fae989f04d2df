// Host names a test points at addresses of its own, and can point elsewhere while the daemon
// runs: a stand-in for DNS answers that change. It works by defining getaddrinfo() in the test
// executable, which the dynamic linker then binds libcurl's (and everyone's) calls to; names no
// ScopedHostAddress holds go on to the C library's getaddrinfo, so the rest of the process
// resolves as before. The answer is built by the C library's getaddrinfo from the address
// (AI_NUMERICHOST), so callers free it with the usual freeaddrinfo.
//
// Production code has no seam for this: curl asks the C library, as it would for DNS, and its
// own DNS cache and connection reuse (core/curl_multi.h) are what a test then observes.
// (CURLOPT_RESOLVE would write into curl's cache directly, so it could not show that the
// cache lets go of an address.)
#pragma once

#include <cstddef>
#include <string>

namespace newsmon::testing {

class ScopedHostAddress {
 public:
  // host: a name; ipv4: a dotted address ("127.0.0.2"). The name resolves to it alone.
  ScopedHostAddress(std::string host, const std::string& ipv4);
  ~ScopedHostAddress();  // the name resolves as the C library says again
  ScopedHostAddress(const ScopedHostAddress&) = delete;
  ScopedHostAddress& operator=(const ScopedHostAddress&) = delete;

  // From the next lookup on: what a changed DNS record does.
  void MoveTo(const std::string& ipv4);
  // Lookups of the name answered so far.
  std::size_t lookups() const;

 private:
  std::string host_;
};

}  // namespace newsmon::testing
