#include "publishers/replay.h"

#include <nlohmann/json.hpp>
#include <zmq.hpp>

namespace newsmon {
namespace {

using nlohmann::json;

std::string ErrorReply(const std::string& message) { return json{{"error", message}}.dump(); }

class ZmqReplayServer final : public ReplayServer {
 public:
  ZmqReplayServer(std::string endpoint, Store& store, BusContext& bus, std::string shard)
      : endpoint_(std::move(endpoint)),
        shard_(std::move(shard)),
        store_(store),
        socket_(bus.context(), zmq::socket_type::rep) {}

  Status Open(const BusContext& bus) {
    try {
      bus.SecureServerSocket(socket_);
      socket_.set(zmq::sockopt::linger, 0);
      socket_.set(zmq::sockopt::maxmsgsize, kMaxReplayRequestBytes);
      // REP drops an answer to a client whose queue is full rather than blocking or failing.
      socket_.set(zmq::sockopt::sndhwm, kReplayQueuedAnswers);
      socket_.bind(endpoint_);
      fd_ = socket_.get(zmq::sockopt::fd);
      return Status::Ok();
    } catch (const zmq::error_t& error) {
      return Status::Error("cannot bind replay endpoint '" + endpoint_ + "': " + error.what());
    }
  }

  int fd() const override { return fd_; }

  std::size_t ServePending(std::int64_t durable_through) override {
    std::size_t served = 0;
    has_pending_ = false;
    try {
      // ZMQ_FD is edge-triggered: what is left unserved here is announced by has_pending().
      while (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
        if (served == kReplayRequestsPerTurn) {
          has_pending_ = true;
          break;
        }
        zmq::message_t request;
        if (!socket_.recv(request, zmq::recv_flags::dontwait)) break;
        std::string reply = MoreFrames()
                                ? ErrorReply(
                                      "a request is one frame: a JSON object "
                                      "such as {\"since\": 0}")
                                : ReplayReply(request.to_string(), store_, shard_, durable_through);
        socket_.send(zmq::buffer(reply), zmq::send_flags::dontwait);
        ++served;
      }
    } catch (const zmq::error_t&) {
      // A peer vanishing mid-request must not stop the daemon; REP resets on the next one.
    }
    return served;
  }

  bool has_pending() const override { return has_pending_; }

 private:
  // Reads and drops the rest of a multipart request; REP answers the whole message once.
  bool MoreFrames() {
    bool more = false;
    while (socket_.get(zmq::sockopt::rcvmore)) {
      more = true;
      zmq::message_t frame;
      if (!socket_.recv(frame, zmq::recv_flags::dontwait)) break;
    }
    return more;
  }

  std::string endpoint_;
  std::string shard_;
  Store& store_;
  zmq::socket_t socket_;
  int fd_ = -1;
  bool has_pending_ = false;
};

}  // namespace

std::string ReplayReply(const std::string& request, Store& store, const std::string& shard,
                        std::int64_t durable_through) {
  json parsed = json::parse(request, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return ErrorReply("request must be a JSON object such as {\"since\": 0}");
  }
  const json since = parsed.value("since", json(0));
  const json limit = parsed.value("limit", json(kMaxReplayAlerts));
  const json thread = parsed.value("thread", json(""));
  if (!since.is_number_integer() || since.get<std::int64_t>() < 0) {
    return ErrorReply("'since' must be a non-negative integer");
  }
  if (!limit.is_number_integer() || limit.get<std::int64_t>() < 1) {
    return ErrorReply("'limit' must be a positive integer");
  }
  if (!thread.is_string()) return ErrorReply("'thread' must be a string");
  std::size_t capped = std::min<std::size_t>(limit.get<std::size_t>(), kMaxReplayAlerts);
  auto alerts = store.AlertsAfter(since.get<std::int64_t>(), capped, thread.get<std::string>());
  auto last = store.LastSeq();
  if (!alerts.ok() || !last.ok()) return ErrorReply("database unavailable, try again");
  json list = json::array();
  for (const OutboxEntry& entry : *alerts) {
    if (entry.seq > durable_through) break;  // in seq order: the rest are not synced either
    list.push_back(json::parse(entry.body, nullptr, false));
  }
  json reply = {{"alerts", list},
                {"last_seq", std::min(*last, durable_through)},
                {"database_id", store.DatabaseId()}};
  if (!shard.empty()) reply["shard"] = shard;
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::unique_ptr<ReplayServer>> ReplayServer::Bind(const std::string& endpoint, Store& store,
                                                         BusContext& bus, std::string shard) {
  auto server = std::make_unique<ZmqReplayServer>(endpoint, store, bus, std::move(shard));
  if (Status s = server->Open(bus); !s.ok()) return s;
  return std::unique_ptr<ReplayServer>(std::move(server));
}

}  // namespace newsmon
