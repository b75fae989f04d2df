#include "core/curl_multi.h"

#include <sys/resource.h>

#include <algorithm>
#include <utility>

namespace newsmon {
namespace {

// A third of the descriptor limit (see the header); 0 (no cap) when it is unlimited.
long ConnectionBudget() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return std::max<long>(16, static_cast<long>(limit.rlim_cur / 3));
}

// Bulk transfers in curl at once, however large the budget. Every one holds its body until
// the loop has parsed it, and the loop parses far slower than loopback or a fast network
// delivers: with all of 10,000 feeds in flight a cold cycle peaked at 201 MiB, mostly bodies
// waiting (heaptrack at 2,000 feeds: 27 of 42 MB of heap). 256 at once still fetch faster
// than the loop parses, and a few slow servers among them delay nobody (each has at most
// its timeout). docs/performance.md, "Memory".
constexpr long kMaxBulkTransfers = 256;

// Webhooks have one POST in flight per sink, so a handful of connections covers them; a
// sixteenth of the budget costs the feeds little (12 of 16 at the smallest budget).
std::size_t BulkLimit(long budget) {
  if (budget <= 0) return 0;
  const long reserve = std::max<long>(4, budget / 16);
  return static_cast<std::size_t>(std::clamp<long>(budget - reserve, 1, kMaxBulkTransfers));
}

}  // namespace

Result<std::unique_ptr<CurlMulti>> CurlMulti::Create(std::chrono::seconds address_lifetime) {
  return Create(ConnectionBudget(), address_lifetime);
}

Result<std::unique_ptr<CurlMulti>> CurlMulti::Create(long connection_budget,
                                                     std::chrono::seconds address_lifetime) {
  CurlGlobalInitOnce();
  MultiHandle multi(curl_multi_init());
  if (!multi) return Status::Error("cannot create a curl multi handle");
  return std::unique_ptr<CurlMulti>(
      new CurlMulti(std::move(multi), connection_budget, address_lifetime));
}

// By default curl caches 4 connections per transfer currently in the multi handle, so as a
// burst of polls drains, the connections of its first hosts are closed before the next poll
// could reuse them (fetch-scale: 20% of a second round opened new connections). Keeping as
// many as the budget allows is safe: when a new connection needs room, curl closes the oldest
// idle one, and any older than 118 s (CURLOPT_MAXAGE_CONN) is never reused.
CurlMulti::CurlMulti(MultiHandle multi, long connection_budget,
                     std::chrono::seconds address_lifetime)
    : multi_(std::move(multi)),
      // 0 would mean "no cache" to one option and "no bound" to the other: at least 1 s.
      address_lifetime_s_(std::max<long>(1, static_cast<long>(address_lifetime.count()))),
      bulk_limit_(BulkLimit(connection_budget)) {
  if (connection_budget <= 0) return;
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, connection_budget);
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, connection_budget);
}

CurlMulti::~CurlMulti() {
  for (const auto& [easy, transfer] : transfers_) curl_multi_remove_handle(multi_.get(), easy);
}

Status CurlMulti::Add(CURL* easy, CurlLane lane, OnDone on_done) {
  // Both caches are this driver's, whoever made the handle (see the header). libcurl docs:
  // CURLOPT_DNS_CACHE_TIMEOUT(3), CURLOPT_MAXLIFETIME_CONN(3) (unbounded by default before
  // libcurl 8.17, 24 h since).
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, address_lifetime_s_);
  curl_easy_setopt(easy, CURLOPT_MAXLIFETIME_CONN, address_lifetime_s_);
  if (lane == CurlLane::kBulk && bulk_limit_ > 0 && bulk_in_curl_ >= bulk_limit_) {
    queue_.push_back({easy, std::move(on_done)});
    return Status::Ok();
  }
  if (CURLMcode rc = Attach(easy, lane, std::move(on_done)); rc != CURLM_OK) {
    return Status::Error(curl_multi_strerror(rc));
  }
  return Status::Ok();
}

CURLMcode CurlMulti::Attach(CURL* easy, CurlLane lane, OnDone on_done) {
  CURLMcode rc = curl_multi_add_handle(multi_.get(), easy);
  if (rc != CURLM_OK) return rc;
  transfers_.emplace(easy, Transfer{lane, std::move(on_done)});
  if (lane == CurlLane::kBulk) ++bulk_in_curl_;
  return CURLM_OK;
}

void CurlMulti::Detach(std::map<CURL*, Transfer>::iterator transfer) {
  curl_multi_remove_handle(multi_.get(), transfer->first);
  if (transfer->second.lane == CurlLane::kBulk) --bulk_in_curl_;
  transfers_.erase(transfer);
}

void CurlMulti::Remove(CURL* easy) {
  if (auto found = transfers_.find(easy); found != transfers_.end()) {
    Detach(found);
    return;
  }
  auto queued = std::find_if(queue_.begin(), queue_.end(),
                             [easy](const Queued& entry) { return entry.easy == easy; });
  if (queued != queue_.end()) queue_.erase(queued);
}

Status CurlMulti::Wait(std::vector<WaitFd>& extra, std::chrono::milliseconds timeout) {
  std::vector<curl_waitfd> fds;
  for (const WaitFd& wait_fd : extra) {
    auto events = static_cast<short>((wait_fd.want_read ? CURL_WAIT_POLLIN : 0) |
                                     (wait_fd.want_write ? CURL_WAIT_POLLOUT : 0));
    fds.push_back({wait_fd.fd, events, 0});
  }
  // A Remove() freed a bulk share: the queue moves on in Perform(), now.
  if (!queue_.empty() && bulk_in_curl_ < bulk_limit_) timeout = std::chrono::milliseconds(0);
  int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, timeout.count()));
  CURLMcode rc = curl_multi_poll(multi_.get(), fds.data(), static_cast<unsigned>(fds.size()),
                                 timeout_ms, nullptr);
  if (rc != CURLM_OK) return Status::Error(std::string("poll: ") + curl_multi_strerror(rc));
  for (size_t i = 0; i < extra.size(); ++i) {
    extra[i].readable = (fds[i].revents & CURL_WAIT_POLLIN) != 0;
    extra[i].writable = (fds[i].revents & CURL_WAIT_POLLOUT) != 0;
  }
  Perform();
  return Status::Ok();
}

// The callbacks run last, once the driver's own state is settled: they may Add or Remove.
void CurlMulti::Perform() {
  int running = 0;
  curl_multi_perform(multi_.get(), &running);
  std::vector<std::pair<OnDone, CURLcode>> done;
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    auto found = transfers_.find(message->easy_handle);
    if (found == transfers_.end()) continue;
    const CURLcode result = message->data.result;  // message dies with the handle's removal
    done.emplace_back(std::move(found->second.on_done), result);
    Detach(found);
  }
  StartQueued(done);
  for (auto& [on_done, result] : done) on_done(result);
}

void CurlMulti::StartQueued(std::vector<std::pair<OnDone, CURLcode>>& done) {
  while (!queue_.empty() && bulk_in_curl_ < bulk_limit_) {
    Queued next = std::move(queue_.front());
    queue_.pop_front();
    if (Attach(next.easy, CurlLane::kBulk, next.on_done) != CURLM_OK) {
      done.emplace_back(std::move(next.on_done), CURLE_FAILED_INIT);
    }
  }
}

}  // namespace newsmon
