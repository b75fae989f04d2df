// One descriptor for the daemon's single wait: every part that owns sockets (the fetcher,
// the webhook sinks) describes them with this, and the loop blocks once on all of them.
#pragma once

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

}  // namespace newsmon
