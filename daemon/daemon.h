// The daemon: one loop that waits on curl's transfers, the signal fd, the replay socket
// and its own wake-up fd at once, fetches feeds as they fall due, ingests what they
// return and sends the outbox on the bus.
#pragma once

#include <memory>

#include "core/env.h"
#include "core/status.h"
#include "daemon/config.h"

namespace newsmon {

class Daemon {
 public:
  virtual ~Daemon() = default;

  // Opens the database and binds the bus; fails with a message naming what failed.
  // The overrides are applied to config here and again to every reloaded config. Time and
  // jitter come from `env`, which must outlive the daemon.
  static Result<std::unique_ptr<Daemon>> Create(Config config, ConfigOverrides overrides = {},
                                                Env& env = Env::Default());

  // Runs until Stop(), or SIGTERM/SIGINT read from signal_fd (a signalfd; -1 for none).
  // SIGHUP on signal_fd reloads the config file.
  virtual Status Run(int signal_fd) = 0;
  // Safe from any thread: wakes the loop and makes Run() return.
  virtual void Stop() = 0;
  // Safe from any thread: the loop re-reads the config file as on SIGHUP.
  virtual void RequestReload() = 0;
};

}  // namespace newsmon
