// Sharding feeds over several daemons (docs/scaling.md): each daemon polls the feeds whose URL
// hashes to its slot, with its own database, seqs and bus. Nothing here talks to other shards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace newsmon {

// More shards than this is a typo rather than a deployment: each one is a daemon.
inline constexpr int kMostShards = 1024;

// Shard K of N (written "K/N", 1 <= K <= N).
struct Shard {
  int index = 1;
  int count = 1;
  std::string Label() const;  // "K/N"
  bool operator==(const Shard&) const = default;
};

// "K/N" with 1 <= K <= N <= kMostShards; otherwise an InvalidInput whose message says what is
// expected (the caller adds FILE:LINE).
Result<Shard> ParseShard(std::string_view text);

// The 0-based slot of a feed among count: the first 8 bytes of SHA-256 of the URL exactly as
// written in the config, read big-endian, mod count. It must never change: every shard of a
// deployment, whatever machine or version it runs, has to agree on it, and another function
// would move feeds between shards (their items would then alert again, docs/scaling.md).
int ShardSlot(std::string_view url, int count);

// Whether the shard polls the feed with this URL (as written in the config).
bool Owns(const Shard& shard, std::string_view url);

}  // namespace newsmon
