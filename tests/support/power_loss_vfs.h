#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3_vfs;

namespace newsmon::testing {

// A SQLite VFS over the default (unix) one that remembers, for every database, WAL and
// journal file, what it held at its last sync: what a disk keeps when the power goes
// (LevelDB's FaultInjectionTestEnv, for SQLite). Installed as the default VFS, so a store the
// test opens, or the daemon it runs in-process, writes through it.
class PowerLossVfs {
 public:
  // Registers it once per process as the default VFS.
  static PowerLossVfs& Install();

  // The machine is off: every write, sync, truncate and delete from now on fails.
  void CutPower();
  // Power is back and the files are what the disk held: each as of its last sync, and gone if
  // it was created and never synced. Shared-memory indexes (-shm) are rebuilt by SQLite.
  // Call once every connection is closed.
  void RestoreDisk();
  int syncs() const;

  // For the VFS callbacks.
  bool power_cut() const;
  void FileOpened(const std::string& path, std::optional<std::string> on_disk);
  void FileSynced(const std::string& path, std::string content);
  void FileDeleted(const std::string& path);

 private:
  PowerLossVfs() = default;

  mutable std::mutex mutex_;
  bool power_cut_ = false;
  int syncs_ = 0;
  std::map<std::string, std::optional<std::string>> durable_;  // nullopt: not on the disk
};

}  // namespace newsmon::testing
