#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace newsmon::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "newsmon-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
  return file.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::string SourcePath(const std::string& relative) {
  return std::string(NEWSMON_SOURCE_DIR) + "/" + relative;
}

std::string CorpusPath(const std::string& relative) {
  return std::string(NEWSMON_SOURCE_DIR) + "/../shared/corpus/" + relative;
}

}  // namespace newsmon::testing
