#include "daemon/shard.h"

#include <openssl/sha.h>

#include <charconv>

namespace newsmon {
namespace {

// A number and nothing else: from_chars takes no spaces or '+', and a '-' fails the bounds.
bool ParseCount(std::string_view text, int& value) {
  if (text.empty() || text.size() > 4) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string Shard::Label() const { return std::to_string(index) + "/" + std::to_string(count); }

Result<Shard> ParseShard(std::string_view text) {
  const std::string expected =
      "'shard' must be \"K/N\": this daemon is shard K of N, with 1 <= K "
      "<= N <= " +
      std::to_string(kMostShards) + " (such as \"2/4\"), not '" + std::string(text) + "'";
  const auto slash = text.find('/');
  Shard shard;
  if (slash == std::string_view::npos || !ParseCount(text.substr(0, slash), shard.index) ||
      !ParseCount(text.substr(slash + 1), shard.count) || shard.index < 1 ||
      shard.count > kMostShards || shard.index > shard.count) {
    return Status::InvalidInput(expected);
  }
  return shard;
}

int ShardSlot(std::string_view url, int count) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(url.data()), url.size(), digest);
  std::uint64_t prefix = 0;
  for (int i = 0; i < 8; ++i) prefix = (prefix << 8) | digest[i];
  return static_cast<int>(prefix % static_cast<std::uint64_t>(count));
}

bool Owns(const Shard& shard, std::string_view url) {
  return ShardSlot(url, shard.count) == shard.index - 1;
}

}  // namespace newsmon
