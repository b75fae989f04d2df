#include "store/database_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

// One lock file per database file, whatever path names it: through a symlink to the file,
// another path would give another lock and let two daemons in.
std::string LockPath(const std::string& database) {
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(database, error);
  return (error ? database : resolved.string()) + ".lock";
}

// The lock file takes the database's owner when root has just created it (a `run --once` by
// hand), as SQLite does for its -wal and -shm files: else the service's own user could not
// open it. Only a file this call created: one found in place may be anything (a hard link).
void OwnLikeDatabase(int fd, const std::string& database) {
  struct stat db {};
  if (::geteuid() != 0 || ::stat(database.c_str(), &db) != 0) return;
  if (::fchown(fd, db.st_uid, db.st_gid) != 0) {
    // Left to root: the next start as the service's user falls back to reading it.
  }
}

}  // namespace

Result<DatabaseLock> DatabaseLock::Acquire(const std::string& database) {
  if (database.empty() || database == ":memory:") return DatabaseLock(UniqueFd());
  const std::string path = LockPath(database);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  const bool created = fd.valid();
  if (!created && errno == EEXIST)
    fd = UniqueFd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  bool writable = true;
  if (!fd.valid() && (errno == EACCES || errno == EROFS)) {
    // flock needs no write access: a lock file another user created, or a read-only folder
    // holding one, still locks. Only the pid for a refusal's message is not written.
    const int refused = errno;
    fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) errno = refused;  // the reason worth telling
    writable = false;
  }
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
  if (writable) {
    if (created) OwnLikeDatabase(fd.get(), database);
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      // The lock holds without the pid; only a refusal's message would lack it.
    }
  }
  return DatabaseLock(std::move(fd));
}

}  // namespace newsmon
