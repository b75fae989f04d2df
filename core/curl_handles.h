// Move-only owners for libcurl's handles, shared by the parts that speak HTTP (the feed
// fetcher, the webhook sink). Header-only: only targets that link libcurl include it.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace newsmon {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using EasyHandle = std::unique_ptr<CURL, CurlEasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, CurlMultiDeleter>;
using HeaderList = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using UrlHandle = std::unique_ptr<CURLU, CurlUrlDeleter>;

// curl_global_init must run before any other curl call and, in libcurl before 7.84, not
// concurrently with one; once per process, before the first handle.
inline void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace newsmon
