#pragma once

#include <filesystem>
#include <string>

namespace newsmon::testing {

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // Writes content to name (creating folders) and returns the full path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::string& path);
// Repository root and the shared corpus beside it.
std::string SourcePath(const std::string& relative);
std::string CorpusPath(const std::string& relative);

}  // namespace newsmon::testing
