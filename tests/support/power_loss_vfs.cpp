#include "tests/support/power_loss_vfs.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace newsmon::testing {
namespace {

sqlite3_vfs* real_vfs = nullptr;

// Our file object, with the real VFS's file object right after it in the same allocation
// (szOsFile covers both).
struct ShimFile {
  sqlite3_file base;
  const char* path;  // SQLite keeps the name valid until xClose
  bool tracked;      // a database, WAL or journal: what a power loss can take back
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

ShimFile* Shim(sqlite3_file* file) { return reinterpret_cast<ShimFile*>(file); }
PowerLossVfs& Disk() { return PowerLossVfs::Install(); }

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

std::string Contents(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK || size <= 0) return "";
  std::string content(static_cast<std::size_t>(size), '\0');
  real->pMethods->xRead(real, content.data(), static_cast<int>(size), 0);
  return content;
}

int Close(sqlite3_file* file) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xClose(real);
}
int Read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xRead(real, buffer, amount, offset);
}
int Write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  if (Disk().power_cut()) return SQLITE_IOERR_WRITE;
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xWrite(real, buffer, amount, offset);
}
int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (Disk().power_cut()) return SQLITE_IOERR_TRUNCATE;
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xTruncate(real, size);
}
int Sync(sqlite3_file* file, int flags) {
  if (Disk().power_cut()) return SQLITE_IOERR_FSYNC;
  ShimFile* shim = Shim(file);
  int rc = shim->real()->pMethods->xSync(shim->real(), flags);
  if (rc == SQLITE_OK && shim->tracked) Disk().FileSynced(shim->path, Contents(shim->real()));
  return rc;
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xFileSize(real, size);
}
int Lock(sqlite3_file* file, int level) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xLock(real, level);
}
int Unlock(sqlite3_file* file, int level) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xUnlock(real, level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xCheckReservedLock(real, out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xFileControl(real, op, arg);
}
int SectorSize(sqlite3_file* file) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xSectorSize(real);
}
int DeviceCharacteristics(sqlite3_file* file) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xDeviceCharacteristics(real);
}
int ShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xShmMap(real, page, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xShmLock(real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  sqlite3_file* real = Shim(file)->real();
  real->pMethods->xShmBarrier(real);
}
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  sqlite3_file* real = Shim(file)->real();
  return real->pMethods->xShmUnmap(real, delete_flag);
}

// Version 2: shared memory for WAL, and no memory-mapped reads that would bypass xRead.
const sqlite3_io_methods kMethods = {2,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     nullptr,
                                     nullptr};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  ShimFile* shim = Shim(file);
  shim->base.pMethods = nullptr;
  shim->path = name;
  shim->tracked = name != nullptr &&
                  (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) != 0;
  std::optional<std::string> on_disk = name ? ReadWholeFile(name) : std::nullopt;
  int rc = real_vfs->xOpen(real_vfs, name, shim->real(), flags, out_flags);
  if (rc != SQLITE_OK) {
    if (shim->real()->pMethods) shim->real()->pMethods->xClose(shim->real());
    return rc;
  }
  if (shim->tracked) Disk().FileOpened(name, std::move(on_disk));
  shim->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (Disk().power_cut()) return SQLITE_IOERR_DELETE;
  int rc = real_vfs->xDelete(real_vfs, name, sync_dir);
  if (rc == SQLITE_OK) Disk().FileDeleted(name);
  return rc;
}

}  // namespace

PowerLossVfs& PowerLossVfs::Install() {
  static PowerLossVfs* disk = [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs shim = *real_vfs;
    shim.zName = "power-loss";
    shim.szOsFile = static_cast<int>(sizeof(ShimFile)) + real_vfs->szOsFile;
    shim.xOpen = Open;
    shim.xDelete = Delete;
    shim.pNext = nullptr;
    if (sqlite3_vfs_register(&shim, 1) != SQLITE_OK) {
      throw std::runtime_error("cannot register the power-loss VFS");
    }
    return new PowerLossVfs();
  }();
  return *disk;
}

void PowerLossVfs::CutPower() {
  std::lock_guard lock(mutex_);
  power_cut_ = true;
}

void PowerLossVfs::RestoreDisk() {
  std::lock_guard lock(mutex_);
  for (const auto& [path, content] : durable_) {
    std::filesystem::remove(path + "-shm");
    if (!content) {
      std::filesystem::remove(path);
      continue;
    }
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << *content;
  }
  durable_.clear();
  power_cut_ = false;
}

int PowerLossVfs::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

bool PowerLossVfs::power_cut() const {
  std::lock_guard lock(mutex_);
  return power_cut_;
}

void PowerLossVfs::FileOpened(const std::string& path, std::optional<std::string> on_disk) {
  std::lock_guard lock(mutex_);
  durable_.try_emplace(path, std::move(on_disk));  // a file there before the test is durable
}

void PowerLossVfs::FileSynced(const std::string& path, std::string content) {
  std::lock_guard lock(mutex_);
  ++syncs_;
  durable_[path] = std::move(content);
}

void PowerLossVfs::FileDeleted(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (auto known = durable_.find(path); known != durable_.end()) known->second.reset();
}

}  // namespace newsmon::testing
