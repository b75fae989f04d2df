#include "tests/support/webhook_receiver.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "tests/support/feed_server.h"
#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string WebhookRequest::Header(const std::string& lowercase_name) const {
  auto found = headers.find(lowercase_name);
  return found == headers.end() ? "" : found->second;
}

std::int64_t WebhookRequest::Seq() const {
  std::string seq = Header("x-newsmon-seq");
  return seq.empty() ? -1 : std::stoll(seq);
}

WebhookReceiver::WebhookReceiver() : server_(std::make_unique<httplib::Server>()) {
  server_->Post(R"(/.*)", [this](const httplib::Request& request, httplib::Response& response) {
    WebhookRequest seen;
    seen.path = request.path;
    seen.body = request.body;
    seen.at = std::chrono::steady_clock::now();
    for (const auto& [name, value] : request.headers) seen.headers[Lowercase(name)] = value;
    WebhookReply reply = Record(std::move(seen));
    if (reply.hang) HangUntilReleased();
    response.status = reply.status;
    if (!reply.retry_after.empty()) response.set_header("Retry-After", reply.retry_after);
    if (!reply.location.empty()) response.set_header("Location", reply.location);
    response.set_content(reply.status < 300 ? "ok" : "scripted failure", "text/plain");
  });
  port_ = BindAnyPort(*server_, "127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("webhook receiver cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  if (!WaitUntil([this] { return server_->is_running(); })) {
    throw std::runtime_error("webhook receiver did not start");
  }
}

WebhookReceiver::~WebhookReceiver() {
  // The server joins its handler threads on stop, so hanging ones must return first.
  Release();
  server_->stop();
  thread_.join();
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::Script(std::vector<WebhookReply> replies) {
  std::lock_guard lock(mutex_);
  script_.assign(replies.begin(), replies.end());
}

void WebhookReceiver::Release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  released_changed_.notify_all();
}

WebhookReply WebhookReceiver::Record(WebhookRequest request) {
  std::lock_guard lock(mutex_);
  WebhookReply reply;
  if (!script_.empty()) {
    reply = script_.front();
    script_.pop_front();
  }
  request.status = reply.status;
  requests_.push_back(std::move(request));
  return reply;
}

void WebhookReceiver::HangUntilReleased() {
  std::unique_lock lock(mutex_);
  released_changed_.wait(lock, [this] { return released_; });
}

std::vector<WebhookRequest> WebhookReceiver::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t WebhookReceiver::RequestCount() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::vector<std::int64_t> WebhookReceiver::Seqs() const {
  std::vector<std::int64_t> seqs;
  for (const WebhookRequest& request : Requests()) seqs.push_back(request.Seq());
  return seqs;
}

}  // namespace newsmon::testing
