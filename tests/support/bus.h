#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include <nlohmann/json.hpp>

namespace newsmon::testing {

struct BusMessage {
  std::string topic;
  nlohmann::json body;
};

// A real ZeroMQ SUB socket, as a newsroom consumer would run one.
class Subscriber {
 public:
  Subscriber(const std::string& endpoint, const std::vector<std::string>& topics);
  std::optional<BusMessage> Receive(std::chrono::milliseconds timeout);
  // The next message on a topic starting with prefix; others are kept in skipped().
  std::optional<BusMessage> ReceiveTopic(const std::string& prefix,
                                         std::chrono::milliseconds timeout);
  // Returns once a heartbeat has arrived: the subscription has reached the publisher, so
  // nothing published from now on can be lost to ZeroMQ's slow-joiner window.
  bool WaitConnected(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::vector<BusMessage>& skipped() const { return skipped_; }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::vector<BusMessage> skipped_;
};

}  // namespace newsmon::testing
