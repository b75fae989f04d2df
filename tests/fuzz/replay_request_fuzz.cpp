// The replay endpoint's request decoder: anyone who can reach the endpoint writes its input.
// A private in-memory store answers, as the daemon's would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "publishers/replay.h"
#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<newsmon::Store> store = [] {
    auto opened = newsmon::Store::Open(":memory:");
    if (!opened.ok()) std::abort();
    return std::move(opened).value();
  }();
  // The socket refuses anything longer (ZMQ_MAXMSGSIZE) before it is read.
  if (size > static_cast<std::size_t>(newsmon::kMaxReplayRequestBytes)) return 0;
  newsmon::ReplayReply(std::string(reinterpret_cast<const char*>(data), size), *store);
  return 0;
}
