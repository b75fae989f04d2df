#include "tests/support/feed_server.h"

#include <httplib.h>
#include <sys/socket.h>
#include <zlib.h>

#include <stdexcept>

#include "tests/support/wait.h"

namespace newsmon::testing {

FeedServer::FeedServer(FeedServerOptions options)
    : server_(std::make_unique<httplib::Server>()), address_(std::move(options.address)) {
  if (options.long_keep_alive) {
    server_->set_keep_alive_max_count(1000);
    server_->set_keep_alive_timeout(30);
  }
  server_->Get(R"(/.*)", [this](const httplib::Request& request, httplib::Response& response) {
    Hit hit;
    hit.path = request.path;
    hit.at = std::chrono::steady_clock::now();
    hit.if_none_match = request.get_header_value("If-None-Match");
    hit.if_modified_since = request.get_header_value("If-Modified-Since");
    hit.accept_encoding = request.get_header_value("Accept-Encoding");
    hit.user_agent = request.get_header_value("User-Agent");
    Resource resource;
    Handle(request.path, hit.if_none_match, hit.if_modified_since, hit, resource);
    int now_serving = ++concurrency_;
    int peak = peak_concurrency_.load();
    while (now_serving > peak && !peak_concurrency_.compare_exchange_weak(peak, now_serving)) {
    }
    // The delay stands for a slow server; it is what the client's timeouts are tested on.
    if (resource.delay.count() > 0) {
      std::unique_lock lock(stop_mutex_);
      stop_.wait_for(lock, resource.delay, [this] { return stopping_; });
    }
    --concurrency_;
    response.status = hit.status;
    if (!resource.etag.empty()) response.set_header("ETag", resource.etag);
    if (!resource.last_modified.empty())
      response.set_header("Last-Modified", resource.last_modified);
    if (!resource.location.empty()) response.set_header("Location", resource.location);
    if (!resource.retry_after.empty()) response.set_header("Retry-After", resource.retry_after);
    if (!resource.cache_control.empty()) {
      response.set_header("Cache-Control", resource.cache_control);
    }
    if (hit.status == 304) return;
    if (resource.gzip) {
      response.set_header("Content-Encoding", "gzip");
      response.set_content(Gzip(resource.body), resource.content_type.c_str());
    } else {
      response.set_content(resource.body, resource.content_type.c_str());
    }
  });
  port_ = BindPort(*server_, address_, options.port);
  if (port_ <= 0) throw std::runtime_error("feed server cannot bind " + address_);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  if (!WaitUntil([this] { return server_->is_running(); })) {
    throw std::runtime_error("feed server did not start");
  }
}

FeedServer::~FeedServer() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  server_->stop();
  thread_.join();
}

void FeedServer::Handle(const std::string& path, const std::string& if_none_match,
                        const std::string& if_modified_since, Hit& hit, Resource& out) {
  std::lock_guard lock(mutex_);
  auto found = resources_.find(path);
  if (found == resources_.end()) {
    hit.status = 404;
    out.body = "not found";
    out.content_type = "text/plain";
  } else {
    out = found->second;
    bool etag_matches = !out.etag.empty() && if_none_match == out.etag;
    bool date_matches =
        out.etag.empty() && !out.last_modified.empty() && if_modified_since == out.last_modified;
    hit.status = (out.status == 200 && (etag_matches || date_matches)) ? 304 : out.status;
  }
  hits_.push_back(hit);
}

std::string FeedServer::Url(const std::string& path) const {
  return "http://" + address_ + ":" + std::to_string(port_) + path;
}

void FeedServer::Serve(const std::string& path, Resource resource) {
  std::lock_guard lock(mutex_);
  resources_[path] = std::move(resource);
}

std::vector<Hit> FeedServer::Hits(const std::string& path) const {
  std::lock_guard lock(mutex_);
  std::vector<Hit> hits;
  for (const Hit& hit : hits_) {
    if (hit.path == path) hits.push_back(hit);
  }
  return hits;
}

std::size_t FeedServer::HitCount(const std::string& path) const { return Hits(path).size(); }

bool FeedServer::WaitForHits(const std::string& path, std::size_t count,
                             std::chrono::milliseconds timeout) const {
  return WaitUntil([&] { return HitCount(path) >= count; }, timeout);
}

int BindAnyPort(httplib::Server& server, const std::string& address) {
  return BindPort(server, address, 0);
}

int BindPort(httplib::Server& server, const std::string& address, int port) {
  int listening = -1;
  server.set_socket_options([&listening](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listening = sock;
  });
  if (port == 0) {
    port = server.bind_to_any_port(address);
  } else if (!server.bind_to_port(address, port)) {
    port = -1;
  }
  // httplib listens with a backlog of 5: a sixth connection of a burst can find the queue
  // full, and its SYN is sent again only after a second. Tests open more than that at once.
  if (port > 0) ::listen(listening, SOMAXCONN);
  return port;
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  // 15 + 16: zlib's way of asking for a gzip header instead of a zlib one.
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

}  // namespace newsmon::testing
