// Text put between tags of the feeds the benchmarks write: '&', '<' and '>' escaped (quotes
// need no escaping outside attributes). One copy for every bench that writes XML.
#pragma once

#include <string>
#include <string_view>

namespace newsmon::bench {

inline std::string XmlText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace newsmon::bench
