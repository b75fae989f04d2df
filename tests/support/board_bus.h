// A bus for tests of `newsmon board`: a PUB and a REP socket speaking the documented
// protocol (docs/alerts.md), so a test decides exactly which alerts exist, which replay
// serves and which arrive live; and the board binary started against it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace newsmon::testing {

// A schema 2 alert of thread "truces" from feed "wire", matched on "ceasefire", detected in
// 2099 (so the board's "last day" keeps it); `story` 0 means none.
nlohmann::json BoardAlert(std::int64_t seq, const std::string& title, std::int64_t story = 0);

// Alerts stored are replayable; alerts published are stored and sent; a heartbeat goes out
// every 100 ms. Database id "db1". Every socket lives on the bus's own thread.
class FakeBus {
 public:
  explicit FakeBus(const TempDir& dir);
  ~FakeBus();
  FakeBus(const FakeBus&) = delete;
  FakeBus& operator=(const FakeBus&) = delete;

  void Store(const nlohmann::json& alert);
  void Publish(const nlohmann::json& alert);
  const std::string& publish_endpoint() const { return publish_endpoint_; }
  const std::string& replay_endpoint() const { return replay_endpoint_; }

 private:
  void Serve();
  std::int64_t LastSeq() const;

  std::string publish_endpoint_, replay_endpoint_;
  std::mutex mutex_;
  std::vector<nlohmann::json> stored_;
  std::vector<nlohmann::json> outgoing_;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

// `newsmon board` against `bus`, on a free loopback port unless `extra` has --listen;
// constructed once it says where it listens.
class RunningBoard {
 public:
  explicit RunningBoard(const FakeBus& bus, std::vector<std::string> extra = {})
      : RunningBoard(bus.publish_endpoint(), bus.replay_endpoint(), std::move(extra)) {}
  // Against a real daemon's bus.
  RunningBoard(const std::string& endpoint, const std::string& replay_endpoint,
               std::vector<std::string> extra = {});
  int port() const { return port_; }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

}  // namespace newsmon::testing
