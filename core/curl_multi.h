// The process's one curl multi handle and the one wait on it. The feed fetcher and the webhook
// sinks hand it their easy handles, each with what to run when the transfer is done; the
// daemon's loop blocks in Wait() (curl_multi_poll: curl's sockets and timers and the loop's own
// descriptors at once), which then moves every transfer on and runs the callbacks of those that
// finished. So every HTTP transfer of the daemon shares one connection cache and one budget.
//
// The budget: past the descriptor limit socket() fails and curl reports every further
// transfer as "Couldn't connect to server", so connections are capped at a third of the limit
// (a connection may hold 2 descriptors, and SQLite, ZeroMQ and the logs need some too). Bulk
// transfers (feeds, thousands at once) get all of it but a reserve, and at most 256 at once
// (each holds its body until the loop has parsed it); beyond their share they wait here, in
// the order added, and enter curl as earlier ones finish. Idle connections are kept up to the
// whole budget, for the next poll. Prompt transfers
// (webhooks, one per sink) enter curl at once and find the reserve free, so a wave of feed
// polls never queues an alert's delivery behind it. See docs/design.md, "The loop".
//
// The driver's DNS cache and connection cache are shared by all its transfers, so it sets
// how long they trust a host's address: Add() gives every handle a DNS cache timeout and a
// connection lifetime of `address_lifetime`. A host whose address changes is then reached at
// the new one within two lifetimes (an address cached for one, then a connection opened to it
// just before it expired, reused for one more). Without the second bound, libcurl 7.88 reuses
// a connection as long as it is never idle for 118 s, so a busy host's old address would be
// used for as long as its old server kept the connection open (docs/reliability.md).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/curl_handles.h"
#include "core/env.h"
#include "core/status.h"
#include "core/wait_fd.h"

namespace newsmon {

enum class CurlLane {
  kBulk,    // many at once (feeds): held back beyond the bulk share of the budget
  kPrompt,  // few and waited for (webhooks): never queued behind bulk transfers
};

class CurlMulti final : public Waiter {
 public:
  // Runs from Wait() once the transfer is done and its handle has left the multi handle, so
  // it may clean up the easy handle. result is curl's for the transfer.
  using OnDone = std::function<void(CURLcode result)>;

  // The budget from the process's descriptor limit (no cap when it is unlimited).
  static Result<std::unique_ptr<CurlMulti>> Create(
      std::chrono::seconds address_lifetime = kDefaultAddressLifetime);
  // connection_budget 0: no cap, no reserve.
  static Result<std::unique_ptr<CurlMulti>> Create(
      long connection_budget, std::chrono::seconds address_lifetime = kDefaultAddressLifetime);

  // Handles still added are taken out, not cleaned up: their owners must have removed them.
  ~CurlMulti() override;
  CurlMulti(const CurlMulti&) = delete;  // curl keeps pointers to its handles
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts the transfer, or queues it when it is bulk and the bulk share is in use; sets the
  // handle's CURLOPT_DNS_CACHE_TIMEOUT and CURLOPT_MAXLIFETIME_CONN (see above). easy must
  // stay alive until on_done has run or Remove() was called. Fails, without queueing, when
  // curl refuses the handle; a queued handle curl refuses later is done with
  // CURLE_FAILED_INIT.
  [[nodiscard]] Status Add(CURL* easy, CurlLane lane, OnDone on_done);
  // Takes a transfer back unfinished: its on_done never runs. Unknown handles are ignored.
  void Remove(CURL* easy);

  // Blocks until curl has work, one of `extra` is ready, or timeout; then moves every transfer
  // on and runs the callbacks of the finished ones.
  Status Wait(std::vector<WaitFd>& extra, std::chrono::milliseconds timeout) override;

  std::size_t in_curl() const { return transfers_.size(); }
  std::size_t queued() const { return queue_.size(); }
  // How many bulk transfers may be in curl at once; 0: no limit.
  std::size_t bulk_limit() const { return bulk_limit_; }

 private:
  struct Transfer {
    CurlLane lane;
    OnDone on_done;
  };
  struct Queued {
    CURL* easy;
    OnDone on_done;
  };

  CurlMulti(MultiHandle multi, long connection_budget, std::chrono::seconds address_lifetime);
  CURLMcode Attach(CURL* easy, CurlLane lane, OnDone on_done);
  void Detach(std::map<CURL*, Transfer>::iterator transfer);
  void StartQueued(std::vector<std::pair<OnDone, CURLcode>>& done);
  void Perform();

  MultiHandle multi_;
  long address_lifetime_s_;  // as curl takes it
  std::size_t bulk_limit_ = 0;
  std::size_t bulk_in_curl_ = 0;
  std::map<CURL*, Transfer> transfers_;  // in curl
  std::deque<Queued> queue_;             // bulk, waiting for a share of the budget
};

}  // namespace newsmon
