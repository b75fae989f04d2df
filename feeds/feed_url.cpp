// Relative link resolution (RFC 3986 section 5.2, simplified). Hand-written: the only URL
// library in the dependency set is libcurl's URL API, which would also normalise and
// reject references that feeds use as-is; this is ~80 lines of well-specified logic.
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon::feeds_internal {
namespace {

// URLs in feeds come padded with any control byte, not only spaces.
std::string_view TrimUrl(std::string_view s) { return Trim(s, kSpaceAndControls); }

}  // namespace

std::size_t SchemeLength(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i + 1;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) return 0;
  }
  return 0;
}

namespace {

// RFC 3986 section 5.2.4.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  const bool absolute = path.starts_with('/');
  std::size_t i = absolute ? 1 : 0;
  bool trailing_slash = false;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view seg = path.substr(i, j - i);
    const bool last = j == path.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else {
      out.push_back(seg);
      trailing_slash = false;
    }
    i = j + 1;
  }
  std::string result = absolute ? "/" : "";
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (k > 0) result += '/';
    result += out[k];
  }
  if (trailing_slash && !result.ends_with('/')) result += '/';
  return result;
}

struct Parts {
  std::string_view scheme;     // with ':'
  std::string_view authority;  // with leading "//", may be empty
  std::string_view path;
  std::string_view query;  // with '?', may be empty
};

Parts Split(std::string_view url) {
  Parts p;
  const std::size_t scheme_len = SchemeLength(url);
  p.scheme = url.substr(0, scheme_len);
  std::string_view rest = url.substr(scheme_len);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (rest.starts_with("//")) {
    const std::size_t end = rest.find_first_of("/?", 2);
    p.authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  const std::size_t q = rest.find('?');
  p.path = rest.substr(0, q);
  if (q != std::string_view::npos) p.query = rest.substr(q);
  return p;
}

}  // namespace

std::string ResolveUrl(std::string_view base, std::string_view reference) {
  reference = TrimUrl(reference);
  base = TrimUrl(base);
  if (reference.empty()) return std::string();
  if (SchemeLength(reference) > 0) return std::string(reference);
  const Parts b = Split(base);
  if (b.scheme.empty() || b.authority.empty()) return std::string(reference);

  std::string out(b.scheme);
  if (reference.starts_with("//")) return out + std::string(reference);
  out += b.authority;
  if (reference.starts_with('#')) {
    out += b.path;
    out += b.query;
    return out + std::string(reference);
  }
  if (reference.starts_with('?')) {
    out += b.path.empty() ? "/" : b.path;
    return out + std::string(reference);
  }
  // Split the reference's path from its query/fragment.
  const std::size_t tail_pos = reference.find_first_of("?#");
  const std::string_view ref_path = reference.substr(0, tail_pos);
  const std::string_view ref_tail =
      tail_pos == std::string_view::npos ? std::string_view() : reference.substr(tail_pos);
  std::string merged;
  if (ref_path.starts_with('/')) {
    merged = std::string(ref_path);
  } else {
    const std::size_t slash = b.path.rfind('/');
    merged = slash == std::string_view::npos ? "/" : std::string(b.path.substr(0, slash + 1));
    merged += ref_path;
  }
  out += RemoveDotSegments(merged);
  out += ref_tail;
  return out;
}

}  // namespace newsmon::feeds_internal
