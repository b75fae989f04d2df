#include "store/database_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace newsmon {
namespace {

// What the holder wrote into the file: its pid, for the refusal's message.
std::string HolderPid(int fd) {
  char buffer[32] = {};
  const ssize_t read = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string pid(buffer, read > 0 ? static_cast<std::size_t>(read) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<DatabaseLock> DatabaseLock::Acquire(const std::string& database) {
  if (database.empty() || database == ":memory:") return DatabaseLock(UniqueFd());
  const std::string path = database + ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) {
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  // flock, not fcntl: SQLite's own locks on the database are fcntl locks, and a process's
  // fcntl locks on a file are all released when it closes any descriptor of that file.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return Status::IoError("cannot lock " + path + ": " + std::strerror(errno));
    }
    return Status::Busy(database + " is in use by another newsmon process (pid " +
                        HolderPid(fd.get()) +
                        "): a database takes one daemon; stop that one, or give this one a "
                        "database of its own");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; only a refusal's message would lack it.
  }
  return DatabaseLock(std::move(fd));
}

}  // namespace newsmon
