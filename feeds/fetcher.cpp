#include "feeds/fetcher.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "core/curl_handles.h"
#include "core/curl_multi.h"
#include "core/version.h"

namespace newsmon {
namespace {

// One transfer in flight: owns its easy handle and everything curl points into.
struct Transfer {
  FetchRequest request;
  EasyHandle easy;
  HeaderList headers;
  std::string body;
  std::size_t max_body_bytes = 0;
  bool body_too_large = false;
  bool refused_private_address = false;
  std::vector<long> response_codes;  // one per response on the way, redirects included
  char error[CURL_ERROR_SIZE] = {};
};

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    auto space = line.find(' ');
    if (space != std::string_view::npos) {
      transfer->response_codes.push_back(std::strtol(line.data() + space + 1, nullptr, 10));
    }
  }
  return size * count;
}

curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(user);
  if (IsPrivateAddress(&address->addr)) {
    transfer->refused_private_address = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

bool IsPermanentRedirectChain(const std::vector<long>& codes) {
  if (codes.size() < 2) return false;
  for (std::size_t i = 0; i + 1 < codes.size(); ++i) {
    if (codes[i] != 301 && codes[i] != 308) return false;
  }
  return true;
}

std::optional<std::chrono::seconds> MaxAge(const std::string& cache_control) {
  auto at = cache_control.find("max-age=");
  if (at == std::string::npos) return std::nullopt;
  long seconds = std::strtol(cache_control.c_str() + at + 8, nullptr, 10);
  if (seconds <= 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->max_body_bytes) {
    transfer->body_too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

std::string LastResponseHeader(CURL* easy, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK) return "";
  return header->value;
}

std::string InfoString(CURL* easy, CURLINFO info) {
  char* value = nullptr;
  curl_easy_getinfo(easy, info, &value);
  return value ? value : "";
}

// CURLINFO_HTTP_VERSION's CURL_HTTP_VERSION_* constants as the plain major version, so the
// response does not carry curl's numbering (1.1 is 2, 2 is 3).
long HttpMajorVersion(CURL* easy) {
  long version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
    case CURL_HTTP_VERSION_1_1:
      return 1;
    case CURL_HTTP_VERSION_2_0:
      return 2;
    case CURL_HTTP_VERSION_3:
      return 3;
    default:
      return 0;
  }
}

class CurlFetcher final : public Fetcher {
 public:
  CurlFetcher(const FetchOptions& options, CurlMulti& multi,
              std::unique_ptr<CurlMulti> owned = nullptr)
      : options_(options), owned_(std::move(owned)), multi_(multi) {
    if (options_.user_agent.empty()) options_.user_agent = "newsmon/" NEWSMON_VERSION;
  }

  ~CurlFetcher() override {
    // curl requires easy handles to leave the multi handle before either is cleaned up.
    for (auto& [easy, transfer] : transfers_) multi_.Remove(easy);
  }

  // A transfer that cannot start finishes at once as a failure, so the feed is never left
  // "in flight" forever and its backoff applies as for any other failure.
  void Start(FetchRequest request) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->max_body_bytes = options_.max_body_bytes;
    transfer->easy.reset(curl_easy_init());
    if (!transfer->easy) {
      return FailToStart(transfer->request, "cannot create a curl handle (out of memory?)");
    }
    Configure(*transfer);
    CURL* easy = transfer->easy.get();
    Status added = multi_.Add(easy, CurlLane::kBulk,
                              [this, easy](CURLcode result) { Finished(easy, result); });
    if (!added.ok()) {
      return FailToStart(transfer->request, "cannot start the transfer: " + added.message());
    }
    transfers_[easy] = std::move(transfer);
  }

  Status Wait(std::vector<WaitFd>& extra, std::chrono::milliseconds timeout) override {
    // Transfers that failed to start are done already: Collect() must come at once.
    if (!done_.empty()) timeout = std::chrono::milliseconds(0);
    return multi_.Wait(extra, timeout);
  }

  std::vector<FetchResponse> Collect() override { return std::exchange(done_, {}); }

  std::size_t in_flight() const override { return transfers_.size() + done_.size(); }
  bool has_finished() const override { return !done_.empty(); }

 private:
  void FailToStart(const FetchRequest& request, std::string why) {
    FetchResponse response;
    response.feed = request.feed;
    response.url = request.url;
    response.effective_url = request.url;
    response.status = Status::Error(std::move(why));
    done_.push_back(std::move(response));
  }

  // From the driver's Wait(): the handle has left the multi handle.
  void Finished(CURL* easy, CURLcode result) {
    auto found = transfers_.find(easy);
    if (found == transfers_.end()) return;
    done_.push_back(Finish(*found->second, result));
    transfers_.erase(found);
  }

  void Configure(Transfer& transfer) {
    CURL* easy = transfer.easy.get();
    const FetchRequest& request = transfer.request;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ReadHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    if (!options_.allow_private_addresses) {
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &transfer);
    }
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, options_.max_redirects);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR,
                     options_.allow_file_urls ? "http,https,file" : "http,https");
    // A redirect must never lead to a local file.
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    curl_slist* headers = nullptr;
    if (!request.etag.empty()) {
      headers = curl_slist_append(headers, ("If-None-Match: " + request.etag).c_str());
    }
    if (!request.last_modified.empty()) {
      headers = curl_slist_append(headers, ("If-Modified-Since: " + request.last_modified).c_str());
    }
    transfer.headers.reset(headers);
    if (headers) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  }

  FetchResponse Finish(Transfer& transfer, CURLcode result) {
    CURL* easy = transfer.easy.get();
    FetchResponse response;
    response.feed = transfer.request.feed;
    response.url = transfer.request.url;
    response.effective_url = InfoString(easy, CURLINFO_EFFECTIVE_URL);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.http_status);
    response.content_type = InfoString(easy, CURLINFO_CONTENT_TYPE);
    curl_off_t total_us = 0;
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
    response.duration = std::chrono::microseconds(total_us);
    response.http_version = HttpMajorVersion(easy);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &response.new_connections);
    response.status = Outcome(transfer, result, response.http_status);
    if (response.http_status == 429 || response.http_status == 503) {
      curl_off_t retry_after = 0;
      if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
          retry_after > 0) {
        response.retry_after = std::chrono::seconds(retry_after);
      }
    }
    response.permanently_moved = IsPermanentRedirectChain(transfer.response_codes);
    if (!response.status.ok()) return response;
    response.max_age = MaxAge(LastResponseHeader(easy, "Cache-Control"));
    response.etag = LastResponseHeader(easy, "ETag");
    response.last_modified = LastResponseHeader(easy, "Last-Modified");
    response.not_modified = response.http_status == 304;
    response.body = std::move(transfer.body);
    return response;
  }

  // curl's words, with what they mean for a feed where they leave the reader guessing.
  static std::string Explained(CURLcode result, std::string detail) {
    constexpr std::string_view kUnresolved = "Could not resolve host: ";
    if (result == CURLE_COULDNT_RESOLVE_HOST && detail.starts_with(kUnresolved)) {
      return "cannot resolve host '" + detail.substr(kUnresolved.size()) +
             "': no such name, or no name server could be reached";
    }
    if (result == CURLE_PEER_FAILED_VERIFICATION) {
      return "the server's TLS certificate is not trusted: " + detail;
    }
    return detail;
  }

  Status Outcome(const Transfer& transfer, CURLcode result, long http_status) const {
    if (transfer.refused_private_address) {
      return Status::Error(
          "refused to connect to a private or loopback address (set "
          "allow_private_addresses = true to allow it)");
    }
    if (transfer.body_too_large) {
      return Status::Error("response body exceeds the limit of " +
                           std::to_string(options_.max_body_bytes) + " bytes");
    }
    // curl reports a header line over its limit as "Out of memory", which sends an operator
    // looking at the machine; before any body byte that is what it means.
    if (result == CURLE_OUT_OF_MEMORY && transfer.body.empty()) {
      return Status::Error("response header too large: over the " +
                           std::to_string(CURL_MAX_HTTP_HEADER / 1024) + " KiB curl accepts");
    }
    if (result != CURLE_OK) {
      std::string detail = transfer.error[0] ? transfer.error : curl_easy_strerror(result);
      return Status::Error(Explained(result, std::move(detail)));
    }
    if (http_status >= 400) return Status::Error("HTTP " + std::to_string(http_status));
    return Status::Ok();
  }

  FetchOptions options_;
  std::unique_ptr<CurlMulti> owned_;  // when the fetcher has a driver of its own
  CurlMulti& multi_;
  std::map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::vector<FetchResponse> done_;  // finished or failed to start, for the next Collect()
};

}  // namespace

bool IsPrivateAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    auto ip = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
    auto in = [ip](std::uint32_t network, int bits) {
      return (ip >> (32 - bits)) == (network >> (32 - bits));
    };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
           in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10);
  }
  if (address->sa_family == AF_INET6) {
    const auto& ip6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&ip6)) {
      sockaddr_in mapped{};
      mapped.sin_family = AF_INET;
      std::memcpy(&mapped.sin_addr, ip6.s6_addr + 12, 4);
      return IsPrivateAddress(reinterpret_cast<const sockaddr*>(&mapped));
    }
    return IN6_IS_ADDR_LOOPBACK(&ip6) || IN6_IS_ADDR_UNSPECIFIED(&ip6) ||
           IN6_IS_ADDR_LINKLOCAL(&ip6) || (ip6.s6_addr[0] & 0xFE) == 0xFC;
  }
  return true;  // anything else (unix sockets…) is not a public feed host
}

Result<std::unique_ptr<Fetcher>> Fetcher::Create(const FetchOptions& options) {
  auto multi = CurlMulti::Create();
  if (!multi.ok()) return multi.status();
  CurlMulti& driver = **multi;
  return std::unique_ptr<Fetcher>(
      std::make_unique<CurlFetcher>(options, driver, std::move(multi).value()));
}

Result<std::unique_ptr<Fetcher>> Fetcher::Create(const FetchOptions& options, CurlMulti& multi) {
  CurlGlobalInitOnce();
  return std::unique_ptr<Fetcher>(std::make_unique<CurlFetcher>(options, multi));
}

}  // namespace newsmon
