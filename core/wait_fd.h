// One descriptor for the daemon's single wait: every part that owns sockets (the fetcher,
// the webhook sinks) describes them with this, and the loop blocks once on all of them.
#pragma once

#include <chrono>
#include <vector>

#include "core/status.h"

namespace newsmon {

// Watched for input, and for output when want_write is set (a socket that a curl multi
// handle is connecting or sending on).
struct WaitFd {
  int fd = -1;
  bool want_read = true;
  bool want_write = false;
  bool readable = false;  // set by the wait
  bool writable = false;  // set by the wait
};

// What the loop blocks in: a call that waits on `fds` (setting readable/writable) and on
// whatever the implementation watches itself (the fetcher: curl's own sockets and timers),
// for at most `timeout`.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual Status Wait(std::vector<WaitFd>& fds, std::chrono::milliseconds timeout) = 0;
};

}  // namespace newsmon
