// Feed dates: RFC 822/1123, RFC 3339 and the broken forms publishers write.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feeds/feed_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  newsmon::ParseFeedDate(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
