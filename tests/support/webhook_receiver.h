#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace newsmon::testing {

// One POST as the receiver saw it: what a webhook's owner would check in their log.
struct WebhookRequest {
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
  int status = 0;                              // what the receiver answered
  std::chrono::steady_clock::time_point at;

  // "" when the request did not have it.
  std::string Header(const std::string& lowercase_name) const;
  std::int64_t Seq() const;  // X-Newsmon-Seq
};

// How the receiver answers one request.
struct WebhookReply {
  int status = 200;
  std::string retry_after;
  std::string location;
  // Holds the request open until the test releases it (or the receiver ends): a receiver
  // that hangs, for the sender's timeout.
  bool hang = false;
};

// An HTTP server on 127.0.0.1 with a random port that takes POSTs on any path, run on its
// own thread for one test.
class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string Url(const std::string& path = "/hook") const;
  // Answers for the next requests, in order; once they are used up, 200.
  void Script(std::vector<WebhookReply> replies);
  // Lets every hanging request return.
  void Release();

  std::vector<WebhookRequest> Requests() const;
  std::size_t RequestCount() const;
  std::vector<std::int64_t> Seqs() const;

 private:
  WebhookReply Record(WebhookRequest request);
  void HangUntilReleased();

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable released_changed_;
  bool released_ = false;
  std::deque<WebhookReply> script_;
  std::vector<WebhookRequest> requests_;
};

}  // namespace newsmon::testing
