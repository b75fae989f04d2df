// The feed parser as the daemon calls it on a fetched body: every format, the encoding
// guess for bodies that declare none, the XML repair pass, HTML-to-text and dates.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feeds/feed_parser.h"
#include "feeds/feed_parser_internal.h"

namespace {

// What the parser hands on is stored and sent as JSON: it must be UTF-8 whatever came in.
void RequireUtf8(std::string_view text) {
  if (!newsmon::feeds_internal::IsValidUtf8(text)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  newsmon::ParseOptions options;
  options.base_url = "https://example.com/news/feed.xml";
  options.fetched_at = 1'700'000'000;
  auto feed =
      newsmon::ParseFeed(std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!feed.ok()) return 0;
  RequireUtf8(feed->title);
  for (const newsmon::Item& item : feed->items) {
    RequireUtf8(item.id);
    RequireUtf8(item.title);
    RequireUtf8(item.link);
    RequireUtf8(item.summary);
  }
  return 0;
}
