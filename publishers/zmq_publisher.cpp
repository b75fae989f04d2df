#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "core/item.h"
#include "core/time_format.h"
#include "publishers/publisher.h"

namespace newsmon {
namespace {

class ZmqPublisher final : public Publisher {
 public:
  ZmqPublisher(std::string endpoint, BusContext& bus)
      : endpoint_(std::move(endpoint)), socket_(bus.context(), zmq::socket_type::pub) {}

  Status Open(const PublisherOptions& options, const BusContext& bus) {
    try {
      bus.SecureServerSocket(socket_);
      socket_.set(zmq::sockopt::sndhwm, options.send_high_water_mark);
      // Give queued alerts a moment to leave on shutdown, but never hang the stop.
      socket_.set(zmq::sockopt::linger, 1000);
      socket_.bind(endpoint_);
      return Status::Ok();
    } catch (const zmq::error_t& error) {
      return Status::Error("cannot bind publisher to '" + endpoint_ + "': " + error.what());
    }
  }

  Status Send(const std::string& topic, const std::string& body) override {
    try {
      auto sent =
          socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      if (!sent) return Status::Error("publisher queue full");
      socket_.send(zmq::buffer(body), zmq::send_flags::dontwait);
      return Status::Ok();
    } catch (const zmq::error_t& error) {
      return Status::Error(std::string("publish failed: ") + error.what());
    }
  }

  const std::string& endpoint() const override { return endpoint_; }

 private:
  std::string endpoint_;
  zmq::socket_t socket_;
};

}  // namespace

Result<std::unique_ptr<Publisher>> Publisher::Bind(const PublisherOptions& options,
                                                   BusContext& bus) {
  auto publisher = std::make_unique<ZmqPublisher>(options.endpoint, bus);
  if (Status s = publisher->Open(options, bus); !s.ok()) return s;
  return std::unique_ptr<Publisher>(std::move(publisher));
}

std::string HeartbeatJson(const HeartbeatSeqs& seqs, const std::string& database_id,
                          std::int64_t now, const std::string& shard) {
  nlohmann::json body = {{"schema", kAlertSchema},
                         {"last_seq", seqs.published},
                         {"stored_seq", seqs.stored},
                         {"database_id", database_id},
                         {"at", FormatRfc3339(now)}};
  if (!shard.empty()) body["shard"] = shard;
  return body.dump();
}

}  // namespace newsmon
