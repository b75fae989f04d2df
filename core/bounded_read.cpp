#include "core/bounded_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/unique_fd.h"

namespace newsmon {
namespace {

Status ErrnoStatus(int error) {
  return (error == ENOENT ? Status::NotFound : Status::IoError)(std::strerror(error));
}

Status TooLarge(const struct stat& info, std::size_t max_bytes) {
  if (!S_ISREG(info.st_mode)) {
    return Status::InvalidInput("the file gives more than " + DescribeBytes(max_bytes) +
                                " (it is not a regular file)");
  }
  return Status::InvalidInput("the file grew past " + DescribeBytes(max_bytes) +
                              " while it was read");
}

}  // namespace

Result<std::string> ReadFileAtMost(const std::string& path, std::size_t max_bytes) {
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return ErrnoStatus(errno);
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return ErrnoStatus(errno);
  if (S_ISDIR(info.st_mode)) return ErrnoStatus(EISDIR);
  if (S_ISREG(info.st_mode) && static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    return Status::InvalidInput("the file is " + std::to_string(info.st_size) + " bytes");
  }
  std::string bytes;
  char buffer[64 * 1024];
  while (bytes.size() <= max_bytes) {
    const std::size_t want = std::min(sizeof buffer, max_bytes + 1 - bytes.size());
    const ssize_t got = ::read(file.get(), buffer, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoStatus(errno);
    if (got == 0) return bytes;
    bytes.append(buffer, static_cast<std::size_t>(got));
  }
  return TooLarge(info, max_bytes);
}

std::string DescribeBytes(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace newsmon
