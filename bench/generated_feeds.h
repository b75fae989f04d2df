// The feeds of bench/cycle-bench: N deterministic RSS 2.0 and Atom documents of 50 items
// (about 65 KB each), written with a gzip twin for nginx's gzip_static, so every run of the
// harness serves the same bytes and measures the client, not the server's compressor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace newsmon::bench {

inline constexpr int kItemsPerFeed = 50;
inline constexpr int kFeedsPerHost = 10;  // an outlet serves several section feeds

struct GeneratedFeed {
  int index = 0;
  int host = 0;      // index of its loopback host (kFeedsPerHost feeds each)
  std::string path;  // URL path, also its file under the directory: "/feeds/f12.atom"
};

struct FeedSet {
  std::string root;  // the directory nginx serves
  std::vector<GeneratedFeed> feeds;
  std::uint64_t bytes = 0;  // uncompressed XML written
};

// Writes feeds 0..count-1 at generation 0 under root (created if needed). Same seed, same
// bytes; each file's mtime is fixed too, so nginx's ETag and Last-Modified are stable.
FeedSet GenerateFeeds(const std::string& root, int count, std::uint64_t seed);

// The "10% changed" scenario: every tenth feed rewritten at `generation` (1: ten new items
// on top, the ten oldest gone; 0: back to the original bytes and mtime).
void RewriteChangedFeeds(const FeedSet& set, std::uint64_t seed, int generation);

// The feeds RewriteChangedFeeds touches.
bool IsChangedFeed(int index);

}  // namespace newsmon::bench
