// One daemon per database. The daemon holds an exclusive lock on DATABASE.lock for as long as
// it runs, so a second daemon, a `run --once` from cron or a shard configured with another's
// `database` is refused at start, instead of handing out the same story ids and seqs as the
// first. The kernel drops the lock when the process ends, however it ends, so a crash leaves
// nothing to clean up. Readers (`status`, `classify --database`) take no lock.
#pragma once

#include <string>

#include "core/status.h"
#include "core/unique_fd.h"

namespace newsmon {

class DatabaseLock {
 public:
  // Fails, naming the database and the holder's pid, when another process holds the lock;
  // ":memory:" needs none.
  static Result<DatabaseLock> Acquire(const std::string& database);

  DatabaseLock(DatabaseLock&&) noexcept = default;
  DatabaseLock& operator=(DatabaseLock&&) noexcept = default;

 private:
  explicit DatabaseLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace newsmon
