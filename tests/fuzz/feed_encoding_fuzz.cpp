// Encoding detection: BOMs, wide byte patterns, the XML declaration, the server's charset
// and uchardet's guess. The first byte picks the Content-Type a server might have sent, so
// every path (none, a charset that lies, an unknown one) is reached from one input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser_internal.h"

namespace {

constexpr std::array<std::string_view, 8> kContentTypes = {
    "",
    "application/rss+xml",
    "text/xml; charset=iso-8859-1",
    "application/xml; charset=\"windows-1251\"",
    "text/xml; charset=utf-16",
    "text/html; charset=shift_jis",
    "application/atom+xml; charset=no-such-charset",
    "text/plain; charset=utf-8",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view content_type = kContentTypes[data[0] % kContentTypes.size()];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> warnings;
  newsmon::feeds_internal::DecodedBody decoded =
      newsmon::feeds_internal::DecodeBody(body, content_type, warnings);
  // The repair pass reads what the decoder hands it, as ParseFeed does.
  newsmon::feeds_internal::ScanXml(decoded.utf8);
  return 0;
}
