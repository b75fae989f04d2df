#include "core/canonical_link.h"

#include <algorithm>
#include <iterator>

#include "core/ascii.h"

namespace newsmon {
namespace {

bool TrackingParameter(std::string_view name) {
  static constexpr std::string_view kExact[] = {
      "fbclid", "gclid",          "dclid", "msclkid", "yclid", "mc_cid",    "mc_eid",     "ocid",
      "cmpid",  "traffic_source", "ref",   "ref_src", "smid",  "at_medium", "at_campaign"};
  if (name.starts_with("utm_")) return true;
  return std::find(std::begin(kExact), std::end(kExact), name) != std::end(kExact);
}

}  // namespace

std::string CanonicalLink(std::string_view url) {
  url = Trim(url);
  if (url.empty()) return "";
  url = url.substr(0, url.find('#'));
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::size_t host_end = std::min(url.find_first_of("/?", scheme_end + 3), url.size());
  std::string host = AsciiLower(url.substr(scheme_end + 3, host_end - scheme_end - 3));
  if (host.starts_with("www.")) host.erase(0, 4);
  // The scheme is left out: http and https copies of a link are one article.
  std::string_view rest = url.substr(host_end);
  std::string_view path = rest.substr(0, rest.find('?'));
  std::string canonical = host + std::string(path);
  while (canonical.size() > host.size() + 1 && canonical.back() == '/') canonical.pop_back();
  if (const std::size_t query = rest.find('?'); query != std::string_view::npos) {
    std::string kept;
    std::string_view parameters = rest.substr(query + 1);
    while (!parameters.empty()) {
      const std::size_t amp = parameters.find('&');
      std::string_view parameter = parameters.substr(0, amp);
      if (!parameter.empty() && !TrackingParameter(parameter.substr(0, parameter.find('=')))) {
        kept += (kept.empty() ? "?" : "&") + std::string(parameter);
      }
      parameters = amp == std::string_view::npos ? "" : parameters.substr(amp + 1);
    }
    canonical += kept;
  }
  return canonical;
}

}  // namespace newsmon
