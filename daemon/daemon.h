// The daemon: one loop that waits on curl's transfers, the signal fd and its own wake-up
// fd at once, fetches feeds as they fall due, ingests what they return and sends the
// outbox on the bus.
#pragma once

#include <memory>

#include "core/status.h"
#include "daemon/config.h"

namespace newsmon {

class Daemon {
 public:
  virtual ~Daemon() = default;

  // Opens the database and binds the publisher; fails with a message naming what failed.
  static Result<std::unique_ptr<Daemon>> Create(Config config);

  // Runs until Stop(), or SIGTERM/SIGINT read from signal_fd (a signalfd; -1 for none).
  virtual Status Run(int signal_fd) = 0;
  // Safe from any thread or a signal handler: wakes the loop and makes Run() return.
  virtual void Stop() = 0;
};

}  // namespace newsmon
