#include "tests/support/bus.h"

namespace newsmon::testing {

using Clock = std::chrono::steady_clock;

Subscriber::Subscriber(const std::string& endpoint, const std::vector<std::string>& topics)
    : socket_(context_, zmq::socket_type::sub) {
  for (const std::string& topic : topics) socket_.set(zmq::sockopt::subscribe, topic);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.connect(endpoint);
}

std::optional<BusMessage> Subscriber::Receive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
  zmq::message_t topic, body;
  if (!socket_.recv(topic) || !socket_.recv(body)) return std::nullopt;
  return BusMessage{topic.to_string(), nlohmann::json::parse(body.to_string())};
}

std::optional<BusMessage> Subscriber::ReceiveTopic(const std::string& prefix,
                                                   std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto message = Receive(std::max(left, std::chrono::milliseconds(1)));
    if (!message) return std::nullopt;
    if (message->topic.rfind(prefix, 0) == 0) return message;
    skipped_.push_back(std::move(*message));
  }
  return std::nullopt;
}

bool Subscriber::WaitConnected(std::chrono::milliseconds timeout) {
  return ReceiveTopic("sys.heartbeat", timeout).has_value();
}

}  // namespace newsmon::testing
