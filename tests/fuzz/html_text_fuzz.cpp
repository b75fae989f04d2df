// HTML-to-text runs on every title and summary, often on markup escaped twice.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "feeds/feed_parser.h"
#include "feeds/feed_parser_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string text = newsmon::HtmlToText(input);
  // The parser only hands it UTF-8; for that input the text must stay UTF-8.
  if (newsmon::feeds_internal::IsValidUtf8(input) && !newsmon::feeds_internal::IsValidUtf8(text)) {
    __builtin_trap();
  }
  newsmon::feeds_internal::DecodeEntitiesToText(input);
  newsmon::feeds_internal::ContainsHtmlTags(input);
  return 0;
}
