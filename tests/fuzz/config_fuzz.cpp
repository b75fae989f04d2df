// The config loader: LoadConfig reads a path, so each input is written to one file in a
// private folder first. Configs naming thread files are skipped: their globs would read
// whatever the machine holds (the thread compiler has its own target), and an operator, not a
// stranger, writes them.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "daemon/config.h"

namespace {

std::string ConfigPath() {
  char folder[] = "/tmp/newsmon-config-fuzz-XXXXXX";
  if (mkdtemp(folder) == nullptr) std::abort();
  return std::string(folder) + "/newsmon.toml";
}

bool NamesThreadFiles(std::string_view text) {
  try {
    return toml::parse(text).contains("thread_files");
  } catch (const toml::parse_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = ConfigPath();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (NamesThreadFiles(text)) return 0;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) std::abort();
  }
  // Only that it returns matters: a crash, a leak or a hang is the finding.
  static_cast<void>(newsmon::LoadConfig(path));
  return 0;
}
