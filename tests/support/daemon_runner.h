#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/daemon.h"

namespace newsmon::testing {

// The real daemon, run in-process on a thread so a test can start, stop and restart it.
class DaemonRunner {
 public:
  explicit DaemonRunner(Config config, Env& env = Env::Default());  // env outlives the runner
  ~DaemonRunner();  // stops the daemon and waits for it
  DaemonRunner(const DaemonRunner&) = delete;
  DaemonRunner& operator=(const DaemonRunner&) = delete;

  void Stop();
  void Reload() { daemon_->RequestReload(); }
  const Status& run_status() const { return run_status_; }

 private:
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  Status run_status_;
};

// Captures what the daemon logs, so tests can assert on the lines an operator would read.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  bool Contains(const std::string& text) const;
  bool WaitFor(const std::string& text) const;
  std::vector<std::string> Lines() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsmon::testing
